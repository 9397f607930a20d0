//! Findings: scanner matches placed in the image. A file finding knows its layer, the build step
//! that made it, and whether the final filesystem still shows it (`visible`) or a later layer
//! only hid it (`deleted`, `overwritten`) while the bytes stay readable in the lower layer.
//! Config and history findings come from Env, labels, Cmd/Entrypoint and `created_by`.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::image::{HistoryEntry, ImageConfig};
use crate::layer::{ContentVisitor, LayerInfo};
use crate::paths::PathId;
use crate::secrets::{self, Confidence, Match, Scanner, Severity};
use crate::tree::{Change, Tree};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingSource {
    File,
    History,
    Env,
    Label,
    Config,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Visible,
    Deleted,
    Overwritten,
    History,
    Config,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Visible => "visible",
            Status::Deleted => "deleted",
            Status::Overwritten => "overwritten",
            Status::History => "history",
            Status::Config => "config",
        }
    }
}

#[derive(Clone)]
pub struct Finding {
    pub rule: Arc<str>,
    pub title: Arc<str>,
    pub severity: Severity,
    pub confidence: Confidence,
    pub source: FindingSource,
    pub path: Option<PathId>,
    pub layer: Option<usize>,
    pub entry: Option<u32>,
    pub history: Option<usize>,
    pub line: u32,
    pub column: u32,
    /// Byte span of the secret in the file content, or in the config/history text.
    pub span: Range<usize>,
    pub status: Status,
    pub removed_in_layer: Option<usize>,
    pub replaced_in_layer: Option<usize>,
    /// Env variable name or label key, for config findings.
    pub key: Option<String>,
    /// The raw value. Never printed unless the user asks (`--show-secrets`, reveal key).
    pub secret: String,
    pub masked: String,
    pub fingerprint: String,
    /// The package that owns the file, when a package database lists it.
    pub package: Option<crate::packages::PackageRef>,
    /// Shipped unchanged by that package: the same bytes are in every copy of it.
    pub vendor: bool,
}

impl std::fmt::Debug for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finding")
            .field("rule", &self.rule)
            .field("source", &self.source)
            .field("path", &self.path)
            .field("layer", &self.layer)
            .field("history", &self.history)
            .field("status", &self.status)
            .field("secret", &self.masked)
            .finish()
    }
}

/// The indexed image that findings are placed in (the parts of the analysis below findings).
#[derive(Clone, Copy)]
pub struct Indexed<'a> {
    pub config: &'a ImageConfig,
    pub history: &'a [HistoryEntry],
    pub layers: &'a [LayerInfo],
    pub tree: &'a Tree,
}

/// Matches keyed by (content hash, file name): identical content under the same name is scanned once.
type ScanCache = Mutex<HashMap<(u64, u64), Arc<Vec<Match>>>>;

/// Files smaller than this are scanned again rather than cached: scanning them costs less than
/// hashing, locking and remembering them, and an image of 350,000 small files would otherwise
/// keep a cache entry for each.
const CACHE_MIN: usize = 64 << 10;

/// Collects the matches of one layer during the indexing pass.
pub struct LayerScan<'a> {
    owner: &'a ImageScan<'a>,
    layer: usize,
    hits: Vec<(u32, Match)>,
    /// The large file being read in windows: line count and start of the current line before
    /// the window, and its binary flag (from its first window).
    window: WindowState,
}

#[derive(Default)]
struct WindowState {
    lines_before: u32,
    line_start: u64,
    binary: bool,
}

impl ContentVisitor for LayerScan<'_> {
    fn file(&mut self, entry: u32, path: &[u8], data: &[u8]) {
        if data.len() < CACHE_MIN {
            let found = self.owner.scanner.scan_file(path, data);
            self.hits.extend(found.into_iter().map(|m| (entry, m)));
            return;
        }
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        let key = (
            xxhash_rust::xxh3::xxh3_64(data),
            xxhash_rust::xxh3::xxh3_64(name),
        );
        let cached = self
            .owner
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let found = match cached {
            Some(m) => m,
            None => {
                let mut found = self.owner.scanner.scan_file(path, data);
                // Generic rules over executables are noise (string tables full of `password=%s`).
                if secrets::is_binary(data) {
                    found.retain(|m| m.confidence > Confidence::Low);
                }
                let m = Arc::new(found);
                self.owner
                    .cache
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, m.clone());
                m
            }
        };
        self.hits.extend(found.iter().map(|m| (entry, m.clone())));
    }

    /// Large files that no path rule names stream through in windows.
    fn windows(&self, path: &[u8], _size: u64) -> bool {
        !self.owner.scanner.names_path(path)
    }

    fn file_window(&mut self, entry: u32, path: &[u8], offset: u64, data: &[u8], last: bool) {
        if offset == 0 {
            self.window = WindowState {
                binary: secrets::is_binary(data),
                ..Default::default()
            };
        }
        // A match belongs to the window it starts in; the overlap belongs to the next window,
        // which sees whole whatever starts there.
        let owned = if last {
            data.len()
        } else {
            data.len() - crate::layer::WINDOW_OVERLAP
        };
        let st = &self.window;
        for mut m in self.owner.scanner.scan_window(path, data, st.binary) {
            if m.span.start >= owned {
                continue;
            }
            if m.line == 1 {
                m.column += (offset - st.line_start) as u32;
            }
            m.line += st.lines_before;
            m.span = m.span.start + offset as usize..m.span.end + offset as usize;
            self.hits.push((entry, m));
        }
        let st = &mut self.window;
        // Counted in one vectorised pass, then the last one found: binary windows have a
        // newline every ~256 bytes, which an iterator over each would restart its search on.
        let seen = &data[..owned];
        let newlines = memchr::memchr_iter(b'\n', seen).count();
        if let Some(i) = memchr::memrchr(b'\n', seen) {
            st.lines_before += newlines as u32;
            st.line_start = offset + i as u64 + 1;
        }
    }

    fn finish(&mut self) {
        self.owner.store(self.layer, std::mem::take(&mut self.hits));
    }
}

/// Shared state of the scan across the layers of one image.
pub struct ImageScan<'a> {
    pub scanner: &'a Scanner,
    cache: ScanCache,
    layers: Mutex<Vec<Vec<(u32, Match)>>>,
}

impl<'a> ImageScan<'a> {
    pub fn new(scanner: &'a Scanner, layers: usize) -> Self {
        ImageScan {
            scanner,
            cache: Mutex::new(HashMap::new()),
            layers: Mutex::new(vec![Vec::new(); layers]),
        }
    }
    pub fn visitor(&'a self, layer: usize) -> LayerScan<'a> {
        LayerScan {
            owner: self,
            layer,
            hits: Vec::new(),
            window: WindowState::default(),
        }
    }
    pub fn store(&self, layer: usize, hits: Vec<(u32, Match)>) {
        let mut l = self.layers.lock().unwrap_or_else(|e| e.into_inner());
        if layer < l.len() {
            l[layer] = hits;
        }
    }
    /// A copy of one layer's matches (for a view that shows them while the pass runs).
    pub fn hits_of(&self, layer: usize) -> Vec<(u32, Match)> {
        let l = self.layers.lock().unwrap_or_else(|e| e.into_inner());
        l.get(layer).cloned().unwrap_or_default()
    }
    pub fn into_hits(self) -> Vec<Vec<(u32, Match)>> {
        self.layers.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

fn finding(m: &Match, source: FindingSource, status: Status) -> Finding {
    Finding {
        rule: m.rule.clone(),
        title: m.title.clone(),
        severity: m.severity,
        confidence: m.confidence,
        source,
        path: None,
        layer: None,
        entry: None,
        history: None,
        line: m.line,
        column: m.column,
        span: m.span.clone(),
        status,
        removed_in_layer: None,
        replaced_in_layer: None,
        key: None,
        masked: secrets::mask(&m.secret),
        fingerprint: secrets::fingerprint(&m.rule, &m.secret),
        secret: m.secret.clone(),
        package: None,
        vendor: false,
    }
}

/// Places file matches in the tree and scans the config and history.
pub fn assemble(a: &Indexed, scanner: &Scanner, file_hits: Vec<Vec<(u32, Match)>>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (layer, hits) in file_hits.into_iter().enumerate() {
        for (entry, m) in hits {
            let Some(e) = a.layers[layer].entries.get(entry as usize) else {
                continue;
            };
            let mut f = finding(&m, FindingSource::File, Status::Visible);
            let full = a.tree.paths.path(e.path);
            if is_reference_material(&full) {
                // Documentation, examples, tests and third-party packages ship sample keys to
                // everyone: list them, but below the level that fails a pipeline.
                f.severity = f.severity.min(Severity::Medium);
                f.confidence = Confidence::Low;
            }
            f.path = Some(e.path);
            f.layer = Some(layer);
            f.entry = Some(entry);
            f.history = a.layers[layer].history;
            // The entry may have been overridden later in its own layer (duplicate entries).
            let own = a.tree.version_in(e.path, layer);
            if own.is_some_and(|v| v.entry != entry) {
                f.status = Status::Overwritten;
                f.replaced_in_layer = Some(layer);
            } else if let Some(v) = a.tree.superseded_by(e.path, layer) {
                if v.change == Change::Removed {
                    f.status = Status::Deleted;
                    f.removed_in_layer = Some(v.layer as usize);
                } else {
                    f.status = Status::Overwritten;
                    f.replaced_in_layer = Some(v.layer as usize);
                }
            }
            out.push(f);
        }
    }
    for (hi, h) in a.history.iter().enumerate() {
        let Some(text) = h.created_by.as_deref() else {
            continue;
        };
        for m in scanner.scan_text(text) {
            let mut f = finding(&m, FindingSource::History, Status::History);
            f.history = Some(hi);
            f.layer = h.layer;
            out.push(f);
        }
    }
    for env in &a.config.env {
        let key = env.split_once('=').map(|(k, _)| k.to_string());
        for m in scanner.scan_env(env) {
            let mut f = finding(&m, FindingSource::Env, Status::Config);
            f.history = key.as_deref().and_then(|k| step_setting(a, k));
            f.layer = f.history.and_then(|h| a.history[h].layer);
            f.key = key.clone();
            out.push(f);
        }
    }
    for (k, v) in &a.config.labels {
        for m in scanner.scan_env(&format!("{k}={v}")) {
            let mut f = finding(&m, FindingSource::Label, Status::Config);
            // Spans refer to the label value.
            let shift = k.len() + 1;
            if f.span.start < shift {
                continue;
            }
            f.span = f.span.start - shift..f.span.end - shift;
            f.key = Some(k.clone());
            f.history = step_setting(a, k);
            out.push(f);
        }
    }
    for (name, list) in [("Cmd", &a.config.cmd), ("Entrypoint", &a.config.entrypoint)] {
        let Some(list) = list else { continue };
        for m in scanner.scan_text(&list.join(" ")) {
            let mut f = finding(&m, FindingSource::Config, Status::Config);
            f.key = Some(name.to_string());
            out.push(f);
        }
    }
    sort(a, &mut out);
    out
}

/// Paths whose files are published reference material rather than this image's own data.
pub fn is_reference_material(path: &[u8]) -> bool {
    const DIRS: &[&[u8]] = &[
        b"doc",
        b"docs",
        b"example",
        b"examples",
        b"sample",
        b"samples",
        b"test",
        b"tests",
        b"testdata",
        b"testing",
        b"__tests__",
        b"fixtures",
        b"man",
        b"site-packages",
        b"dist-packages",
        b"node_modules",
        b"vendor",
        b"gems",
    ];
    const EXT: &[&[u8]] = &[b".md", b".rst", b".html", b".htm", b".adoc", b".1", b".gz"];
    let mut comps = path.split(|&b| b == b'/').peekable();
    let mut in_dir = false;
    let mut last: &[u8] = b"";
    while let Some(c) = comps.next() {
        if comps.peek().is_some() && DIRS.contains(&c) {
            in_dir = true;
        }
        last = c;
    }
    in_dir || path.starts_with(b"usr/share/doc/") || EXT.iter().any(|e| last.ends_with(e))
}

/// The history step that set an ENV or LABEL key (the last one that mentions `KEY=`).
fn step_setting(a: &Indexed, key: &str) -> Option<usize> {
    let needle = format!("{key}=");
    a.history
        .iter()
        .rposition(|h| h.created_by.as_deref().is_some_and(|c| c.contains(&needle)))
}

fn sort(a: &Indexed, v: &mut [Finding]) {
    v.sort_by(|x, y| {
        y.severity
            .cmp(&x.severity)
            .then_with(|| x.layer.cmp(&y.layer))
            .then_with(|| x.history.cmp(&y.history))
            .then_with(|| {
                let px = x.path.map(|p| a.tree.paths.path(p)).unwrap_or_default();
                let py = y.path.map(|p| a.tree.paths.path(p)).unwrap_or_default();
                px.cmp(&py)
            })
            .then_with(|| x.line.cmp(&y.line))
            .then_with(|| x.rule.cmp(&y.rule))
    });
}

/// The secret values of `findings`, to mask wherever else they show up: config and history values
/// from 4 bytes (an ENV password echoed in a later `RUN`), file values from 8 (shorter ones would
/// mask ordinary words in every preview).
pub fn known_secrets<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> secrets::KnownSecrets {
    secrets::KnownSecrets::new(
        findings
            .into_iter()
            .filter(|f| f.source != FindingSource::File || f.secret.len() >= 8)
            .map(|f| f.secret.as_str()),
    )
}

/// Masks every secret span found in config and history text, for every output.
pub fn masker(
    findings: &[Finding],
    a: &Indexed,
    known: &secrets::KnownSecrets,
) -> HashMap<String, String> {
    let mut spans: HashMap<&str, Vec<Range<usize>>> = HashMap::new();
    for f in findings {
        let text: Option<&str> = match f.source {
            FindingSource::History => f.history.and_then(|h| a.history[h].created_by.as_deref()),
            FindingSource::Env => f
                .key
                .as_deref()
                .and_then(|k| {
                    a.config
                        .env
                        .iter()
                        .find(|e| e.split_once('=').is_some_and(|(ek, _)| ek == k))
                })
                .map(String::as_str),
            FindingSource::Label => f
                .key
                .as_deref()
                .and_then(|k| a.config.labels.get(k))
                .map(String::as_str),
            _ => None,
        };
        if let Some(t) = text {
            spans.entry(t).or_default().push(f.span.clone());
        }
    }
    // Every text is masked through the one masking function: its own spans, and every secret
    // value found anywhere (an ENV value repeated in its history step, a build arg echoed in a
    // later RUN).
    let mut texts: Vec<&str> = a
        .history
        .iter()
        .filter_map(|h| h.created_by.as_deref())
        .collect();
    texts.extend(a.config.env.iter().map(String::as_str));
    texts.extend(a.config.labels.values().map(String::as_str));
    let mut out = HashMap::new();
    for t in texts {
        let own: Vec<secrets::SecretSpan> = spans
            .get(t)
            .into_iter()
            .flatten()
            .map(|r| secrets::SecretSpan {
                range: r.start as u64..r.end as u64,
                finding: None,
            })
            .collect();
        let masked = secrets::redact_str(t, &own, known);
        if masked != t {
            out.insert(t.to_string(), masked);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_material_paths() {
        assert!(is_reference_material(
            b"usr/share/doc/git/contrib/test.netrc"
        ));
        assert!(is_reference_material(
            b"usr/lib/python3/site-packages/moto/ca.key"
        ));
        assert!(is_reference_material(b"srv/app/docs/setup.md"));
        assert!(!is_reference_material(b"root/.netrc"));
        assert!(!is_reference_material(b"app/config/production.yml"));
        // A file merely named like a folder is not inside it.
        assert!(!is_reference_material(b"app/test"));
    }
}

//! Findings from other scanners (`--findings-from REPORT`): Trivy JSON, SARIF (any tool, ours
//! included) and Kingfisher JSON (or JSON Lines). Each is placed in the image: which layer holds
//! the path, whether the final filesystem still shows it, and whether layerscope's own scan
//! agrees.
//!
//! Reports may carry raw secrets (Trivy `Match`, Kingfisher `snippet`, SARIF `snippet`): they are
//! kept in `ExternalFinding::snippet` and only ever shown through [`ExternalFinding::shown_snippet`]
//! (masked unless the user asks).

use std::fmt;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::findings::{Finding, FindingSource};
use crate::paths::{PathId, ROOT};
use crate::secrets::Severity;
use crate::tree::{Change, NO_ENTRY};

mod parse;

pub use parse::parse_report;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalFinding {
    pub tool: String,
    pub rule: String,
    pub title: String,
    pub severity: Option<Severity>,
    /// Path as the report gives it (leading `/` and archive prefixes removed).
    pub path: Option<String>,
    pub line: Option<u32>,
    pub layer_diff_id: Option<String>,
    pub layer_digest: Option<String>,
    /// A layer the path itself names (a digest in an extraction folder, a layer tar member).
    pub layer_hint: Option<String>,
    /// What the report shows of the match. May be the raw secret: never print it unmasked.
    pub snippet: Option<String>,
    /// Where a finding that names no file is (a SARIF logical location).
    pub location: Option<String>,
    /// The scanner's own verdict on the secret (Kingfisher's validation status).
    pub validation: Option<String>,
    /// The package a vulnerability is in: (`PkgName`, `InstalledVersion`).
    pub package: Option<(String, String)>,
}

impl ExternalFinding {
    /// An empty finding of `tool`, to be filled in by a parser.
    pub fn new(tool: &str) -> ExternalFinding {
        ExternalFinding {
            tool: tool.to_string(),
            rule: String::new(),
            title: String::new(),
            severity: None,
            path: None,
            line: None,
            layer_diff_id: None,
            layer_digest: None,
            layer_hint: None,
            snippet: None,
            location: None,
            validation: None,
            package: None,
        }
    }

    /// The snippet as it may be shown: masked with `secrets::mask` unless `reveal`.
    pub fn shown_snippet(&self, reveal: bool) -> Option<String> {
        let s = self.snippet.as_deref().filter(|s| !s.is_empty())?;
        Some(if reveal {
            s.to_string()
        } else {
            crate::secrets::mask(s.trim())
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// layerscope reports a finding for the same file version.
    Confirmed,
    /// The file is in the image, but layerscope found nothing in it.
    NoOwnFinding,
    /// The scanner names a file the final filesystem no longer shows.
    Deleted,
    /// The path is not in the image at all.
    NotInImage,
    /// Not a file finding (config, package metadata): nothing to place.
    Unplaced,
}

#[derive(Clone, Debug)]
pub struct Reconciled {
    pub ext: ExternalFinding,
    pub path: Option<PathId>,
    /// The layer that holds the flagged bytes (the one to open).
    pub layer: Option<usize>,
    /// The layer the report names, if it names one this image has.
    pub stated_layer: Option<usize>,
    pub agreement: Agreement,
    /// layerscope's own findings (indices into the findings given to `reconcile`) in the same
    /// file version.
    pub own: Vec<usize>,
    pub note: String,
}

impl Reconciled {
    /// Does layerscope's own scan find something in the flagged file version?
    pub fn agrees(&self) -> bool {
        !self.own.is_empty()
    }

    /// A few words for a list row: the agreement, and for a deleted file whether layerscope
    /// finds the secret too.
    pub fn tag(&self) -> &'static str {
        match (self.agreement, self.agrees()) {
            (Agreement::Confirmed, _) => "agrees",
            (Agreement::NoOwnFinding, _) => "no own finding",
            (Agreement::Deleted, true) => "deleted, agrees",
            (Agreement::Deleted, false) => "deleted, no own finding",
            (Agreement::NotInImage, _) => "not in image",
            (Agreement::Unplaced, _) => "unplaced",
        }
    }
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Agreement::Confirmed => "agrees",
            Agreement::NoOwnFinding => "no own finding",
            Agreement::Deleted => "deleted",
            Agreement::NotInImage => "not in image",
            Agreement::Unplaced => "unplaced",
        })
    }
}

/// Finds the image path a report means: exact, or the longest suffix that exists (reports made
/// from an extracted copy carry the extraction folder in front).
fn locate(a: &Analysis, p: &str) -> Option<PathId> {
    let known = |q: &str| {
        a.tree
            .paths
            .lookup(q.as_bytes())
            .filter(|&id| id != ROOT && !a.tree.versions(id).is_empty())
    };
    if let Some(id) = known(p) {
        return Some(id);
    }
    let mut rest = p;
    while let Some((_, tail)) = rest.split_once('/') {
        if let Some(id) = known(tail) {
            return Some(id);
        }
        rest = tail;
    }
    None
}

fn hex(s: &str) -> String {
    s.rsplit(':').next().unwrap_or(s).to_ascii_lowercase()
}

/// The layer a report names by diff_id, digest, or a digest found in the path.
fn stated_layer(a: &Analysis, e: &ExternalFinding) -> Option<usize> {
    let want: Vec<String> = [&e.layer_diff_id, &e.layer_digest, &e.layer_hint]
        .into_iter()
        .flatten()
        .map(|s| hex(s))
        .filter(|h| !h.is_empty())
        .collect();
    if want.is_empty() {
        return None;
    }
    a.layers.iter().position(|l| {
        want.iter().any(|w| {
            *w == hex(&l.diff_id)
                || l.digest.as_deref().is_some_and(|d| *w == hex(d))
                || l.computed_diff_id.as_deref().is_some_and(|d| *w == hex(d))
                // A legacy `docker save` member, `<v1id>/layer.tar` (or `<hex>.tar`).
                || l.member.as_deref().is_some_and(|m| {
                    m.split('/')
                        .any(|c| c.trim_end_matches(".gz").trim_end_matches(".tar").eq_ignore_ascii_case(w))
                })
        })
    })
}

/// The build step of a layer, for a note: short, with secrets masked.
fn step_text(a: &Analysis, layer: usize) -> Option<String> {
    let h = a.layers.get(layer)?.history?;
    let c = a.history.get(h)?.created_by.as_deref()?;
    let shown = crate::image::short_created_by(a.display_text(c, false));
    let shown = shown.strip_prefix("RUN ").unwrap_or(&shown);
    let mut t = crate::paths::escape(shown.as_bytes());
    if t.chars().count() > 100 {
        t = t.chars().take(99).collect::<String>() + "…";
    }
    Some(t)
}

/// The layer that installed `name` at `version` (the present copy first) and a note saying so.
fn package_layer(a: &Analysis, name: &str, version: &str) -> Option<(usize, String)> {
    let present = a.packages.final_packages();
    let m = &a.packages;
    let id = present
        .iter()
        .map(|p| p.0)
        .find(|&id| m.package(id).name == name && m.package(id).version == version)
        .or_else(|| {
            (0..m.packages.len() as u32)
                .rev()
                .find(|&id| m.package(id).name == name && m.package(id).version == version)
        })?;
    let p = m.package(id);
    let note = format!(
        "{} {} {} was installed by layer {}{}",
        p.manager.describe(),
        crate::paths::escape(name.as_bytes()),
        crate::paths::escape(version.as_bytes()),
        p.layer,
        by_step(a, p.layer)
    );
    Some((p.layer, note))
}

fn by_step(a: &Analysis, layer: usize) -> String {
    step_text(a, layer)
        .map(|t| format!(" by `{t}`"))
        .unwrap_or_default()
}

/// The last version of `path` at or before `upto` that holds an entry (the bytes to open).
fn content_layer(a: &Analysis, path: PathId, upto: usize) -> Option<usize> {
    a.tree
        .versions(path)
        .iter()
        .rev()
        .filter(|v| v.layer as usize <= upto)
        .find(|v| v.present() && v.entry != NO_ENTRY)
        .map(|v| v.layer as usize)
}

fn rules_of(own: &[Finding], idx: &[usize]) -> String {
    let mut r: Vec<&str> = Vec::new();
    for &i in idx {
        if !r.contains(&&*own[i].rule) {
            r.push(&own[i].rule);
        }
    }
    r.join(", ")
}

pub fn reconcile(a: &Analysis, own: &[Finding], ext: Vec<ExternalFinding>) -> Vec<Reconciled> {
    let last = a.layers.len().saturating_sub(1);
    ext.into_iter()
        .map(|e| {
            let stated = stated_layer(a, &e);
            let Some(path) = e.path.as_deref().and_then(|p| locate(a, p)) else {
                let (agreement, note) = match (&e.path, &e.location) {
                    (Some(p), _) => (
                        Agreement::NotInImage,
                        format!(
                            "the scanner names /{}, which no layer of this image holds{}",
                            crate::paths::escape(p.as_bytes()),
                            stated.map(|l| format!(" (the report places it in layer {l})")).unwrap_or_default()
                        ),
                    ),
                    (None, Some(l)) => (
                        Agreement::Unplaced,
                        format!("not a file finding: {}", crate::paths::escape(l.as_bytes())),
                    ),
                    (None, None) => (Agreement::Unplaced, "the report names no file".to_string()),
                };
                // A vulnerable package: on the layer and step that installed that version.
                if let Some((l, pkg_note)) = e.package.as_ref().and_then(|(n, v)| package_layer(a, n, v)) {
                    let note = format!("{pkg_note}; {note}");
                    return Reconciled { ext: e, path: None, layer: Some(l), stated_layer: stated, agreement, own: Vec::new(), note };
                }
                return Reconciled { ext: e, path: None, layer: stated, stated_layer: stated, agreement, own: Vec::new(), note };
            };
            let shown = a.path_string(path);
            let mut extra = String::new();
            // The layer that holds the flagged bytes: the stated one (or the version in effect
            // there), else the last version with content.
            let from_stated = stated.and_then(|l| {
                let layer = content_layer(a, path, l);
                if layer.is_none() {
                    extra.push_str(&format!(
                        "; the report places it in layer {l}, which does not hold /{shown}"
                    ));
                }
                layer
            });
            let layer = from_stated.or_else(|| content_layer(a, path, last));
            let own_idx: Vec<usize> = own
                .iter()
                .enumerate()
                .filter(|(_, f)| f.source == FindingSource::File && f.path == Some(path) && f.layer == layer)
                .map(|(i, _)| i)
                .collect();
            let elsewhere: Vec<usize> = own
                .iter()
                .enumerate()
                .filter(|(_, f)| f.source == FindingSource::File && f.path == Some(path) && f.layer != layer)
                .map(|(i, _)| i)
                .collect();
            let visible = a.tree.exists_at(path, last);
            let lstr = |l: Option<usize>| l.map_or("?".to_string(), |l| l.to_string());
            let (agreement, mut note) = if !visible {
                let gone = a.tree.versions(path).iter().rev().find(|v| v.change == Change::Removed).map(|v| v.layer as usize);
                let ours = if own_idx.is_empty() {
                    "; layerscope's rules found nothing in it".to_string()
                } else {
                    format!("; layerscope finds it too ({})", rules_of(own, &own_idx))
                };
                (
                    Agreement::Deleted,
                    format!(
                        "the scanner says /{shown} is in the image, but the final filesystem no longer shows it: deleted in layer {}{}; its bytes stay in layer {}{ours}",
                        lstr(gone),
                        gone.map(|g| by_step(a, g)).unwrap_or_default(),
                        lstr(layer),
                    ),
                )
            } else if !own_idx.is_empty() {
                let on_line: Vec<usize> = own_idx.iter().copied().filter(|&i| Some(own[i].line) == e.line).collect();
                let note = match (e.line, on_line.is_empty()) {
                    (Some(l), false) => format!("layerscope agrees: line {l} of /{shown} (layer {}) holds {}", lstr(layer), rules_of(own, &on_line)),
                    (Some(l), true) => format!("layerscope agrees on the file: /{shown} (layer {}) holds {}, though not on line {l}", lstr(layer), rules_of(own, &own_idx)),
                    (None, _) => format!("layerscope agrees: /{shown} (layer {}) holds {}", lstr(layer), rules_of(own, &own_idx)),
                };
                (Agreement::Confirmed, note)
            } else {
                (
                    Agreement::NoOwnFinding,
                    format!("/{shown} is in the image (layer {}); layerscope's rules found nothing there", lstr(layer)),
                )
            };
            // The flagged version was replaced later: the final file is not what the scanner saw.
            if visible {
                if let Some(s) = layer.and_then(|l| a.tree.superseded_by(path, l)).filter(|s| s.change == Change::Modified) {
                    note.push_str(&format!(
                        "; replaced in layer {}{}, this version still ships in layer {}",
                        s.layer,
                        by_step(a, s.layer as usize),
                        lstr(layer)
                    ));
                }
            }
            if own_idx.is_empty() && !elsewhere.is_empty() {
                let f = &own[elsewhere[0]];
                note.push_str(&format!(
                    "; layerscope finds {} in the version from layer {}",
                    f.rule,
                    lstr(f.layer)
                ));
            }
            note.push_str(&extra);
            Reconciled { ext: e, path: Some(path), layer, stated_layer: stated, agreement, own: own_idx, note }
        })
        .collect()
}

/// One external finding in the `--json` output (`external_findings`).
#[derive(Serialize, Debug)]
pub struct ExternalOut {
    pub tool: String,
    pub rule: String,
    pub title: String,
    pub severity: Option<Severity>,
    /// The path as placed in the image (`/root/.netrc`), or as the report gives it.
    pub path: Option<String>,
    pub line: Option<u32>,
    pub layer: Option<usize>,
    pub agreement: Agreement,
    /// layerscope's own rules that fire in the same file version.
    pub own_rules: Vec<String>,
    pub note: String,
    /// What the report shows of the match: masked unless `--show-secrets`.
    pub snippet: Option<String>,
}

pub fn to_json(
    a: &Analysis,
    own: &[Finding],
    recs: &[Reconciled],
    show_secrets: bool,
) -> Vec<ExternalOut> {
    recs.iter()
        .map(|r| {
            let mut rules: Vec<String> = Vec::new();
            for &i in &r.own {
                if !rules.iter().any(|x| **x == *own[i].rule) {
                    rules.push(own[i].rule.to_string());
                }
            }
            ExternalOut {
                tool: r.ext.tool.clone(),
                rule: r.ext.rule.clone(),
                title: r.ext.title.clone(),
                severity: r.ext.severity,
                path: match r.path {
                    Some(p) => Some(format!("/{}", a.path_string(p))),
                    None => r.ext.path.as_ref().map(|p| format!("/{p}")),
                },
                line: r.ext.line,
                layer: r.layer,
                agreement: r.agreement,
                own_rules: rules,
                note: r.note.clone(),
                snippet: r.ext.shown_snippet(show_secrets),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse::{clean_path, layer_hint};
    use super::*;

    #[test]
    fn paths_are_cleaned() {
        assert_eq!(clean_path("/root/.netrc"), "root/.netrc");
        assert_eq!(clean_path("./app/.env"), "app/.env");
        assert_eq!(clean_path("file:///root/.netrc"), "root/.netrc");
        assert_eq!(clean_path("demo.tar | root/.netrc"), "root/.netrc");
        assert_eq!(clean_path("app/my%20file"), "app/my file");
        assert_eq!(clean_path("//.//x"), "x");
    }

    #[test]
    fn layer_hints_come_from_digests_in_paths() {
        let h = "ab".repeat(32);
        assert_eq!(
            layer_hint(&format!("/tmp/x/blobs/sha256/{h}/root/.netrc")),
            Some(h.clone())
        );
        assert_eq!(layer_hint(&format!("img.tar | {h}.tar | a")), Some(h));
        assert_eq!(layer_hint("/tmp/x/root/.netrc"), None);
    }

    #[test]
    fn unknown_documents_are_refused() {
        assert!(parse_report("hello").is_err());
        assert!(parse_report("{\"a\":1}").is_err());
        assert!(parse_report("{\"schema_version\":1,\"findings\":[]}").is_err());
        assert!(parse_report("{\"findings\":[{\"rule\":\"x\"}]}").is_err());
        let (fmt, v) = parse_report("{\"findings\":[]}").unwrap();
        assert_eq!((fmt, v.len()), ("kingfisher", 0));
    }

    #[test]
    fn snippets_are_masked_unless_revealed() {
        let mut e = ExternalFinding::new("x");
        e.snippet = Some("ghp_0123456789abcdefghij".into());
        assert_eq!(e.shown_snippet(false).as_deref(), Some("ghp_…"));
        assert_eq!(
            e.shown_snippet(true).as_deref(),
            Some("ghp_0123456789abcdefghij")
        );
    }
}

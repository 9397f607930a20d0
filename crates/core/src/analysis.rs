//! One analysis of an image, shared by the JSON/SARIF/CI outputs and the TUI: open the source,
//! index every layer once (in parallel), merge the tree, compute waste.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result, Warning};
use crate::findings::{self, Finding};
use crate::image::{map_history, HistoryEntry, ImageConfig};
pub use crate::layer::LayerInfo;
use crate::layer::{
    index_layer, index_layer_spooled, ContentVisitor, Entry, EntryKind, LayerIndex, PassState,
};
use crate::paths::{PathId, PathTable};
use crate::secrets::{self};
use crate::source::{Compression, Format, ImageSource, OpenOptions};
use crate::tree::{Change, Tree, Version};

pub mod partial;
pub mod reuse;

#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    pub open: OpenOptions,
    /// A diff_id mismatch is an error instead of a warning.
    pub strict: bool,
    /// Worker threads for layer indexing (0 = one per core).
    pub threads: usize,
    /// Keep an uncompressed copy of each compressed layer in the temp dir (removed on drop), so
    /// previews deep in a gzip or zstd layer are a seek, not a re-inflation. For the TUI.
    pub spool_compressed: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Waste {
    pub path: PathId,
    pub versions: usize,
    pub bytes: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Efficiency {
    pub score: f64,
    pub wasted_bytes: u64,
    /// Bytes of every file version in every layer.
    pub total_file_bytes: u64,
    /// Wasted bytes in layers above the first (dive's "user wasted" share).
    pub user_wasted_bytes: u64,
    pub wasted: Vec<Waste>,
}

pub struct Analysis {
    pub source: ImageSource,
    pub config: ImageConfig,
    pub history: Vec<HistoryEntry>,
    pub layers: Vec<LayerInfo>,
    pub tree: Tree,
    pub efficiency: Efficiency,
    pub warnings: Vec<Warning>,
    pub findings: Vec<Finding>,
    /// Config and history text with secret spans masked, keyed by the original text.
    pub masked_text: HashMap<String, String>,
    /// Every secret value found, masked wherever else it shows up.
    pub known: secrets::KnownSecrets,
    /// Which package owns every file version (see `crate::packages`).
    pub packages: crate::packages::Model,
}

impl Analysis {
    /// Text from the config or history as it may be shown: secrets masked unless `reveal`.
    pub fn display_text<'a>(&'a self, text: &'a str, reveal: bool) -> &'a str {
        if reveal {
            return text;
        }
        self.masked_text
            .get(text)
            .map(String::as_str)
            .unwrap_or(text)
    }

    /// The secrets of one file version (layer, entry), for [`secrets::redact`].
    pub fn secret_spans(&self, layer: usize, entry: u32) -> Vec<secrets::SecretSpan> {
        self.findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.source == findings::FindingSource::File
                    && f.layer == Some(layer)
                    && f.entry == Some(entry)
            })
            .map(|(i, f)| secrets::SecretSpan {
                range: f.span.start as u64..f.span.end as u64,
                finding: Some(i),
            })
            .collect()
    }

    /// What findings are placed in.
    pub fn indexed(&self) -> findings::Indexed<'_> {
        findings::Indexed {
            config: &self.config,
            history: &self.history,
            layers: &self.layers,
            tree: &self.tree,
        }
    }

    pub fn format(&self) -> Format {
        self.source.format
    }
    pub fn total_size(&self) -> u64 {
        self.layers.iter().map(|l| l.size).sum()
    }
    pub fn entry(&self, v: &Version) -> Option<&Entry> {
        self.layers
            .get(v.layer as usize)?
            .entries
            .get(v.entry as usize)
    }
    /// The kind a version has, or had before it was removed.
    pub fn kind_of(&self, v: &Version) -> EntryKind {
        if let Some(e) = self.entry(v) {
            return e.kind;
        }
        if v.change == Change::Removed {
            if let Some(p) = self.tree.previous(v.path, v.layer as usize) {
                if let Some(e) = self.entry(p) {
                    return e.kind;
                }
            }
        }
        EntryKind::Dir
    }
    pub fn path_string(&self, p: PathId) -> String {
        crate::paths::escape(&self.tree.paths.path(p))
    }
}

/// Told of each layer as soon as it is indexed (a copy, paths not yet interned), on the
/// indexing thread; see [`partial`].
pub type OnLayer<'a> = dyn Fn(usize, &LayerIndex) + Sync + 'a;

pub(crate) type VisitorFactory<'a> =
    dyn Fn(usize) -> Box<dyn ContentVisitor + Send + 'a> + Sync + 'a;

/// The indexing pass and the tree: `visitor` makes one content visitor per layer; `plan` names
/// the layers taken from another analysis. Findings and package ownership come after it (see
/// `crate::analyze`), from what the visitors saw and the package databases captured here.
pub(crate) fn index<'v>(
    mut src: ImageSource,
    opts: &AnalyzeOptions,
    state: &PassState,
    visitor: &VisitorFactory<'v>,
    plan: Option<&reuse::Plan>,
    on_layer: Option<&OnLayer<'_>>,
) -> Result<(Analysis, crate::packages::capture::Captured)> {
    // Versions record their layer as a u16.
    if src.image.layers.len() > u16::MAX as usize {
        return Err(Error::invalid(
            src.container.display(),
            format!(
                "the image lists {} layers; at most {} are supported",
                src.image.layers.len(),
                u16::MAX
            ),
        ));
    }
    let mut config = ImageConfig::parse(&src.image.config_raw, &src.image.config_display)?;
    let mut warnings = std::mem::take(&mut src.image.warnings);
    if !config.diff_ids.is_empty() && config.diff_ids.len() != src.image.layers.len() {
        warnings.push(Warning::new(
            "layer-count-mismatch",
            format!(
                "config lists {} diff_ids but the manifest {} layers",
                config.diff_ids.len(),
                src.image.layers.len()
            ),
        ));
    }
    let reused = |i: usize| plan.and_then(|p| p.source(i).map(|j| (p, j)));
    let captured = crate::packages::capture::Captured::default();
    let capture = |layer| -> Box<dyn ContentVisitor + Send + '_> {
        Box::new(captured.visitor(layer, visitor(layer)))
    };
    let indexes = index_all(&src, opts, state, &capture, &reused, on_layer)?;
    let mut history = std::mem::take(&mut config.history);
    let (layer_hist, hw) = map_history(&mut history, src.image.layers.len());
    warnings.extend(hw);

    let mut table = PathTable::new();
    let mut indexes = indexes;
    for (i, ix) in indexes.iter_mut().enumerate() {
        match reused(i) {
            Some((p, _)) => p.intern(ix, &mut table),
            None => ix.intern(&mut table),
        }
    }
    let tree = Tree::build(table, &indexes);
    warnings.extend(tree.warnings.iter().cloned());

    let mut layers = Vec::with_capacity(indexes.len());
    for (i, mut ix) in indexes.into_iter().enumerate() {
        let r = &src.image.layers[i];
        for w in &ix.warnings {
            warnings.push(Warning::new(w.code, format!("layer {i}: {}", w.message)));
        }
        let diff_id = config.diff_ids.get(i).cloned().unwrap_or_default();
        let spool = match reused(i) {
            Some((p, j)) => p.spool(j),
            None => ix.spool.take().map(std::sync::Arc::new),
        };
        let info = layer_info(&src, i, ix, diff_id, layer_hist[i], spool);
        if info.digest_mismatch() {
            let err = Error::DigestMismatch {
                path: src
                    .container
                    .display_member(r.member.as_deref().unwrap_or("")),
                layer: i,
                expected: info.diff_id.clone(),
                actual: info.computed_diff_id.clone().unwrap_or_default(),
            };
            if opts.strict {
                return Err(err);
            }
            warnings.push(Warning::new("diff-id-mismatch", err.to_string()));
        }
        layers.push(info);
    }
    let a = Analysis::assemble(src, config, history, layers, tree, warnings);
    Ok((a, captured))
}

/// What the analysis records of one indexed layer.
fn layer_info(
    src: &ImageSource,
    i: usize,
    mut ix: LayerIndex,
    diff_id: String,
    history: Option<usize>,
    spool: Option<std::sync::Arc<tempfile::TempPath>>,
) -> LayerInfo {
    let r = &src.image.layers[i];
    let present = r.member.is_some();
    LayerInfo {
        index: i,
        computed_diff_id: present.then(|| ix.diff_id.clone()),
        computed_digest: present.then(|| ix.digest.clone()),
        digest: r
            .digest
            .clone()
            .or_else(|| present.then(|| ix.digest.clone())),
        media_type: r.media_type.clone(),
        compression: ix.compression,
        compressed_size: if present {
            ix.compressed_size
        } else {
            r.compressed_size.unwrap_or(0)
        },
        size: ix.size,
        content_size: ix
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::File)
            .map(|e| e.size)
            .sum(),
        history,
        member: r.member.clone(),
        spool,
        whiteouts: std::mem::take(&mut ix.whiteouts),
        entries: ix.entries,
        added: 0,
        modified: 0,
        removed: 0,
        diff_id,
    }
}

impl Analysis {
    /// The analysis of indexed layers merged into `tree`: their change counts and the image's
    /// efficiency filled in; no findings, masks or packages yet.
    fn assemble(
        source: ImageSource,
        config: ImageConfig,
        history: Vec<HistoryEntry>,
        mut layers: Vec<LayerInfo>,
        tree: Tree,
        warnings: Vec<Warning>,
    ) -> Analysis {
        count_changes(&tree, &mut layers);
        let mut a = Analysis {
            source,
            config,
            history,
            layers,
            tree,
            efficiency: Efficiency::default(),
            warnings,
            findings: Vec::new(),
            masked_text: HashMap::new(),
            known: secrets::KnownSecrets::default(),
            packages: Default::default(),
        };
        a.efficiency = efficiency(&a);
        a
    }
}

fn count_changes(tree: &Tree, layers: &mut [LayerInfo]) {
    for v in tree.all_versions() {
        let l = &mut layers[v.layer as usize];
        match v.change {
            Change::Added => l.added += 1,
            Change::Modified => l.modified += 1,
            Change::Removed => l.removed += 1,
            Change::Unchanged => {}
        }
    }
}

type Reused<'p> = dyn Fn(usize) -> Option<(&'p reuse::Plan<'p>, usize)> + Sync + 'p;

fn index_all<'v>(
    src: &ImageSource,
    opts: &AnalyzeOptions,
    state: &PassState,
    visitor: &VisitorFactory<'v>,
    reused: &Reused<'_>,
    on_layer: Option<&OnLayer<'_>>,
) -> Result<Vec<LayerIndex>> {
    let n = src.image.layers.len();
    let threads = match opts.threads {
        0 => std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(2),
        t => t,
    }
    .min(n.max(1));
    let results: Vec<Mutex<Option<Result<LayerIndex>>>> =
        (0..n).map(|_| Mutex::new(None)).collect();
    // Largest layers first: with a queue in image order, a big top layer started last leaves
    // the other cores idle at the end (longest-processing-time-first scheduling).
    let mut order: Vec<usize> = (0..n).collect();
    // Also for a progressive view: its default screen (the last layer, everything up to it)
    // needs every layer, and each layer's own changes are browsable as it arrives. A viewer's
    // own pick (`PassState::first`) still goes before the queue.
    order.sort_by_key(|&i| std::cmp::Reverse(src.blob_size(i)));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let taken: Vec<AtomicBool> = (0..n).map(|_| AtomicBool::new(false)).collect();
    // The layer a viewer asked for (`PassState::first`) if still free, else the next in order.
    let claim = || -> Option<usize> {
        let first = state.first.load(Ordering::Relaxed);
        if (1..=n).contains(&first) && !taken[first - 1].swap(true, Ordering::AcqRel) {
            return Some(first - 1);
        }
        loop {
            let i = *order.get(next.fetch_add(1, Ordering::Relaxed))?;
            if !taken[i].swap(true, Ordering::AcqRel) {
                return Some(i);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while let Some(i) = claim() {
                    let r = match reused(i) {
                        Some((p, j)) => Ok(p.index(i, j)),
                        None => index_one(src, i, opts, state, visitor),
                    };
                    state.layers_done.fetch_add(1, Ordering::Relaxed);
                    if let (Some(f), Ok(ix)) = (on_layer, &r) {
                        f(i, ix);
                    }
                    if r.is_err() {
                        // One bad layer ends the image: stop the other workers early.
                        state.cancel.store(true, Ordering::Relaxed);
                    }
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            });
        }
    });
    let mut out = Vec::with_capacity(n);
    let mut first_err = None;
    for r in results {
        match r.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(ix)) => out.push(ix),
            // A cancellation caused by another layer's error is not the error to report.
            Some(Err(Error::Cancelled)) => {
                first_err.get_or_insert(Error::Cancelled);
            }
            Some(Err(e)) => {
                if first_err
                    .as_ref()
                    .is_none_or(|f| matches!(f, Error::Cancelled))
                {
                    first_err = Some(e);
                }
            }
            None => {
                first_err.get_or_insert(Error::Cancelled);
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn index_one<'v>(
    src: &ImageSource,
    i: usize,
    opts: &AnalyzeOptions,
    state: &PassState,
    visitor: &VisitorFactory<'v>,
) -> Result<LayerIndex> {
    let Some(member) = &src.image.layers[i].member else {
        return Ok(LayerIndex::default());
    };
    let shown = src.container.display_member(member);
    let mut blob = src.container.open(member)?;
    let mut v = visitor(i);
    let spool = if opts.spool_compressed {
        spool_for(&mut blob, &shown)?
    } else {
        None
    };
    let ix = match spool {
        None => index_layer(blob, &shown, &opts.open.limits, state, v.as_mut())?,
        Some(file) => {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            let mut ix = index_layer_spooled(
                blob,
                &shown,
                &opts.open.limits,
                state,
                v.as_mut(),
                Some(&mut w),
            )?;
            let file = w
                .into_inner()
                .map_err(|e| Error::io("layer spool file", e.into_error()))?;
            ix.spool = Some(file.into_temp_path());
            ix
        }
    };
    v.finish();
    Ok(ix)
}

/// A spool file for a compressed blob; `None` for an uncompressed one (read in place).
fn spool_for(
    blob: &mut Box<dyn crate::source::container::ReadSeek>,
    shown: &str,
) -> Result<Option<tempfile::NamedTempFile>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut head = [0u8; 8];
    let n = blob.read(&mut head).map_err(|e| Error::io(shown, e))?;
    blob.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(shown, e))?;
    if Compression::sniff(&head[..n]) == Compression::None {
        return Ok(None);
    }
    let f = tempfile::Builder::new()
        .prefix("layerscope-layer-")
        .tempfile()
        .map_err(|e| Error::io("layer spool file", e))?;
    Ok(Some(f))
}

fn efficiency(a: &Analysis) -> Efficiency {
    let mut eff = Efficiency::default();
    let tree = &a.tree;
    for p in 0..tree.paths.len() as PathId {
        let vs = tree.versions(p);
        let mut waste = Waste {
            path: p,
            ..Default::default()
        };
        for (i, v) in vs.iter().enumerate() {
            let Some(e) = a.entry(v) else { continue };
            if e.kind != EntryKind::File {
                continue;
            }
            eff.total_file_bytes += e.size;
            // Any later version (removal, replacement, even an identical re-write) leaves these
            // bytes in a lower layer for nothing.
            if i + 1 < vs.len() {
                waste.bytes += e.size;
                waste.versions += 1;
                if v.layer > 0 {
                    eff.user_wasted_bytes += e.size;
                }
            }
        }
        if waste.versions > 0 {
            waste.versions += 1;
            eff.wasted_bytes += waste.bytes;
            eff.wasted.push(waste);
        }
    }
    eff.wasted.sort_by(|x, y| {
        y.bytes
            .cmp(&x.bytes)
            .then_with(|| tree.paths.path(x.path).cmp(&tree.paths.path(y.path)))
    });
    eff.score = if eff.total_file_bytes == 0 {
        1.0
    } else {
        1.0 - eff.wasted_bytes as f64 / eff.total_file_bytes as f64
    };
    eff
}

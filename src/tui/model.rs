//! Data derived once from a finished analysis and shared read-only by the panes: the build steps
//! in order (history rows), the guessed base-image boundary, and the findings index.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::tui::filetree::Marks;
use layerscope_core::analysis::Analysis;
use layerscope_core::findings::FindingSource;
use layerscope_core::image::parse_rfc3339;
use layerscope_core::paths::PathId;

/// One row of the history pane: a build step, or a layer no step accounts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistRow {
    pub history: Option<usize>,
    /// The layer this step made (None for ENV/LABEL/CMD... steps).
    pub layer: Option<usize>,
    /// The layer selected when this row is: its own, or the last one made before it.
    pub target: usize,
}

impl HistRow {
    pub fn empty(&self) -> bool {
        self.layer.is_none()
    }
}

pub struct Model {
    pub analysis: Arc<Analysis>,
    pub history_rows: Vec<HistRow>,
    /// Guessed last layer of the base image (see `guess_base`).
    pub base_guess: Option<usize>,
    /// Findings per file version (layer, entry) -> indices into the findings list.
    pub by_version: HashMap<(usize, u32), Vec<usize>>,
    /// Paths with a file finding in any of their versions.
    pub by_path: HashSet<PathId>,
    /// File findings per layer and history findings per step (for the history badges).
    pub per_layer: Vec<usize>,
    pub per_history: Vec<usize>,
    /// One finding per secret (fingerprint) in display order (severity, then layer): the
    /// findings pane lists one row per secret, wherever it occurs.
    pub order: Vec<usize>,
    /// For each finding, every finding with its fingerprint (itself included), in the findings'
    /// order: the places one row stands for.
    pub same: Vec<Arc<[usize]>>,
}

impl Marks for Model {
    fn marked(&self, layer: usize, entry: u32) -> bool {
        self.by_version.contains_key(&(layer, entry))
    }
    fn path_marked(&self, path: PathId) -> bool {
        self.by_path.contains(&path)
    }
}

impl Model {
    pub(crate) fn new(a: Arc<Analysis>) -> Model {
        let hist = history_rows(&a);
        let base_guess = guess_base(&a);
        let mut per_layer = vec![0; a.layers.len()];
        let mut per_history = vec![0; a.history.len()];
        let mut by_version: HashMap<(usize, u32), Vec<usize>> = HashMap::new();
        for (i, f) in a.findings.iter().enumerate() {
            match (f.source, f.layer, f.entry, f.history) {
                (FindingSource::File, Some(l), Some(e), _) if l < per_layer.len() => {
                    by_version.entry((l, e)).or_default().push(i);
                    per_layer[l] += 1;
                }
                (FindingSource::History, _, _, Some(h)) if h < per_history.len() => {
                    per_history[h] += 1;
                }
                _ => {}
            }
        }
        let by_path = a
            .findings
            .iter()
            .filter(|f| f.source == FindingSource::File)
            .filter_map(|f| f.path)
            .collect();
        let mut order: Vec<usize> = (0..a.findings.len()).collect();
        let key = |i: &usize| {
            let f = &a.findings[*i];
            (
                std::cmp::Reverse(f.severity),
                f.layer
                    .or(f.history.and_then(|h| a.history.get(h)?.layer))
                    .unwrap_or(usize::MAX),
                f.path.map(|p| a.tree.paths.path(p)),
                f.line,
            )
        };
        order.sort_by_cached_key(key);
        let same = layerscope_core::report::locations::same_secret(&a.findings);
        // The first of each secret in display order stands for all its places.
        let mut seen = std::collections::HashSet::new();
        order.retain(|&i| seen.insert(a.findings[i].fingerprint.clone()));
        Model {
            analysis: a,
            history_rows: hist,
            base_guess,
            by_version,
            by_path,
            per_layer,
            per_history,
            order,
            same,
        }
    }

    pub(crate) fn layer_count(&self) -> usize {
        self.analysis.layers.len()
    }

    /// The badge count of a history row: its layer's file findings plus its own.
    pub(crate) fn row_findings(&self, row: &HistRow) -> usize {
        row.layer
            .map_or(0, |l| self.per_layer.get(l).copied().unwrap_or(0))
            + row
                .history
                .map_or(0, |h| self.per_history.get(h).copied().unwrap_or(0))
    }
}

/// Every history entry in build order; layers without a history entry are appended in order.
pub(crate) fn history_rows(a: &Analysis) -> Vec<HistRow> {
    let mut rows = Vec::new();
    let mut last = 0usize;
    for (hi, h) in a.history.iter().enumerate() {
        let layer = h.layer.filter(|&l| l < a.layers.len());
        if let Some(l) = layer {
            last = l;
        }
        rows.push(HistRow {
            history: Some(hi),
            layer,
            target: last,
        });
    }
    for (li, l) in a.layers.iter().enumerate() {
        let mapped = l
            .history
            .and_then(|h| a.history.get(h))
            .is_some_and(|h| h.layer == Some(li));
        if !mapped {
            rows.push(HistRow {
                history: None,
                layer: Some(li),
                target: li,
            });
        }
    }
    // Appended layers must not break build order: sort layer rows by layer, keeping steps
    // attached to the layer before them.
    if rows.iter().any(|r| r.history.is_none()) {
        rows.sort_by_key(|r| (r.target, r.layer.is_none()));
    }
    rows
}

/// The base image's last layer, guessed from the history timestamps: base images are built long
/// before the steps on top of them, so the largest gap (over one hour) between consecutive
/// `created` times marks the boundary. The user can set it by hand with `b`.
pub(crate) fn guess_base(a: &Analysis) -> Option<usize> {
    let times: Vec<(usize, i64)> = a
        .history
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((i, parse_rfc3339(h.created.as_deref()?)?)))
        .collect();
    let mut best: Option<(i64, usize)> = None;
    for w in times.windows(2) {
        let gap = w[1].1 - w[0].1;
        if gap > 3600 && best.is_none_or(|(g, _)| gap > g) {
            best = Some((gap, w[0].0));
        }
    }
    let (_, hi) = best?;
    // The last layer made at or before that step, if layers remain above it.
    let base = a.history[..=hi].iter().rev().find_map(|h| h.layer)?;
    (base + 1 < a.layers.len()).then_some(base)
}

//! Two analyses side by side: what a new tag shares with the old one, which build steps differ,
//! what its filesystem added, removed and modified (each change placed in the NEW layer and
//! step that made it), which findings are new, fixed or still there, and how size and waste
//! moved. Pure computation over two finished `Analysis` values: no I/O, no terminal.

mod findings;
mod fs;
mod history;
mod packages;
pub mod report;

pub use findings::{match_findings, FindingDiff, Unchanged};
pub use fs::{diff_layers, FileChange, FsChange, What};
pub use history::{align_history, HistoryRow, StepChange};
pub use packages::{diff_packages, PackageChange, PackageDiff, PackageSide};

use crate::analysis::Analysis;

/// Everything `layerscope diff` reports.
pub struct Comparison {
    /// Leading layers with the same diff_id in both images.
    pub shared_layers: usize,
    /// The first history row that is not `Same` (index into `history`).
    pub first_difference: Option<usize>,
    pub history: Vec<HistoryRow>,
    /// Final filesystem of OLD against final filesystem of NEW, in path order.
    pub changes: Vec<FileChange>,
    pub findings: FindingDiff,
    /// Packages added, removed and upgraded (from the package databases of both final images).
    pub packages: PackageDiff,
    pub size: (u64, u64),
    pub wasted_bytes: (u64, u64),
    /// Wasted bytes held by each layer (the lower versions a later layer replaced or removed).
    pub layer_waste: (Vec<u64>, Vec<u64>),
}

impl Comparison {
    /// No layer, step, file or finding differs.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
            && self.findings.new.is_empty()
            && self.findings.fixed.is_empty()
            && self.packages.is_empty()
            && self.history.iter().all(|h| h.change == StepChange::Same)
    }
}

/// The layer's identity for sharing: the config's diff_id, or the computed one when the config
/// lists none.
pub fn layer_id(a: &Analysis, layer: usize) -> &str {
    let l = &a.layers[layer];
    if l.diff_id.is_empty() {
        l.computed_diff_id.as_deref().unwrap_or("")
    } else {
        &l.diff_id
    }
}

/// How many leading layers the two images share (same diff_id, in the same place).
pub fn shared_layers(old: &Analysis, new: &Analysis) -> usize {
    (0..old.layers.len().min(new.layers.len()))
        .take_while(|&i| {
            let id = layer_id(old, i);
            !id.is_empty() && id == layer_id(new, i)
        })
        .count()
}

/// Wasted bytes per layer: a file version that a later layer replaced or removed still costs
/// its bytes in the layer that holds it.
pub fn layer_waste(a: &Analysis) -> Vec<u64> {
    let mut out = vec![0u64; a.layers.len()];
    let tree = &a.tree;
    for p in 0..tree.paths.len() as crate::paths::PathId {
        let vs = tree.versions(p);
        for v in &vs[..vs.len().saturating_sub(1)] {
            if let Some(e) = a.entry(v) {
                if e.kind == crate::layer::EntryKind::File {
                    out[v.layer as usize] += e.size;
                }
            }
        }
    }
    out
}

/// Compares the final images.
pub fn compare(old: &Analysis, new: &Analysis) -> Comparison {
    let history = align_history(old, new);
    let first_difference = history.iter().position(|h| h.change != StepChange::Same);
    let last = |a: &Analysis| a.layers.len().checked_sub(1);
    Comparison {
        shared_layers: shared_layers(old, new),
        first_difference,
        history,
        changes: diff_layers(old, last(old), new, last(new)),
        findings: match_findings(old, new),
        packages: diff_packages(old, new),
        size: (old.total_size(), new.total_size()),
        wasted_bytes: (old.efficiency.wasted_bytes, new.efficiency.wasted_bytes),
        layer_waste: (layer_waste(old), layer_waste(new)),
    }
}

//! Findings matched across images by fingerprint (rule + secret): the same key in another file
//! or another layer is the same leak. A secret that moved from a visible file to a deleted one
//! is unchanged, not fixed: the bytes still ship in a lower layer.

use std::collections::{HashMap, HashSet};

use crate::analysis::Analysis;
use crate::findings::{Finding, Status};

/// A finding present in both images: indices into each analysis' `findings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unchanged {
    pub old: usize,
    pub new: usize,
}

impl Unchanged {
    /// The status moved from visible to a hidden-but-shipping one: looks fixed, is not.
    pub fn hidden_not_fixed(&self, old: &Analysis, new: &Analysis) -> bool {
        old.findings[self.old].status == Status::Visible
            && matches!(
                new.findings[self.new].status,
                Status::Deleted | Status::Overwritten
            )
    }
}

#[derive(Clone, Debug, Default)]
pub struct FindingDiff {
    /// Indices into NEW's findings.
    pub new: Vec<usize>,
    /// Indices into OLD's findings.
    pub fixed: Vec<usize>,
    pub unchanged: Vec<Unchanged>,
}

fn same_place(o: &Finding, n: &Finding, old: &Analysis, new: &Analysis) -> bool {
    o.source == n.source
        && o.key == n.key
        && match (o.path, n.path) {
            (Some(op), Some(np)) => old.tree.paths.path(op) == new.tree.paths.path(np),
            (None, None) => true,
            _ => false,
        }
}

pub fn match_findings(old: &Analysis, new: &Analysis) -> FindingDiff {
    let mut by_fp: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in old.findings.iter().enumerate() {
        by_fp.entry(f.fingerprint.as_str()).or_default().push(i);
    }
    let new_fps: HashSet<&str> = new
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    let mut out = FindingDiff::default();
    for (i, f) in new.findings.iter().enumerate() {
        let Some(cands) = by_fp.get(f.fingerprint.as_str()) else {
            out.new.push(i);
            continue;
        };
        // The same secret may sit in several places; pair it with the one in the same place
        // when there is one, so a status change is told against the right old finding.
        let o = cands
            .iter()
            .copied()
            .find(|&o| same_place(&old.findings[o], f, old, new))
            .unwrap_or(cands[0]);
        out.unchanged.push(Unchanged { old: o, new: i });
    }
    out.fixed = (0..old.findings.len())
        .filter(|&i| !new_fps.contains(old.findings[i].fingerprint.as_str()))
        .collect();
    out
}

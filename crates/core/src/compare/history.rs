//! Both histories aligned step by step. Steps are matched by their command (`created_by`), so an
//! inserted `RUN` shows as one added step instead of shifting every later step into "changed";
//! a matched step whose layer differs (a `COPY` of new sources) is `Changed`.

use crate::analysis::Analysis;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepChange {
    Same,
    Changed,
    Added,
    Removed,
}

impl StepChange {
    pub fn name(self) -> &'static str {
        match self {
            StepChange::Same => "same",
            StepChange::Changed => "changed",
            StepChange::Added => "added",
            StepChange::Removed => "removed",
        }
    }
}

/// One row of the alignment: indices into each image's `history`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    pub change: StepChange,
    pub old: Option<usize>,
    pub new: Option<usize>,
}

fn key(a: &Analysis, i: usize) -> (&str, bool) {
    let h = &a.history[i];
    (h.created_by.as_deref().unwrap_or(""), h.layer.is_some())
}

/// Same command and the same layer content (or both no layer).
fn same_step(old: &Analysis, o: usize, new: &Analysis, n: usize) -> bool {
    if key(old, o) != key(new, n) {
        return false;
    }
    match (old.history[o].layer, new.history[n].layer) {
        (Some(ol), Some(nl)) => {
            let id = super::layer_id(old, ol);
            !id.is_empty() && id == super::layer_id(new, nl)
        }
        (None, None) => true,
        _ => false,
    }
}

pub fn align_history(old: &Analysis, new: &Analysis) -> Vec<HistoryRow> {
    let ok: Vec<(&str, bool)> = (0..old.history.len()).map(|i| key(old, i)).collect();
    let nk: Vec<(&str, bool)> = (0..new.history.len()).map(|i| key(new, i)).collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &ok, &nk);
    let mut rows = Vec::with_capacity(ok.len().max(nk.len()));
    let pair = |rows: &mut Vec<HistoryRow>, o: usize, n: usize| {
        let change = if same_step(old, o, new, n) {
            StepChange::Same
        } else {
            StepChange::Changed
        };
        rows.push(HistoryRow {
            change,
            old: Some(o),
            new: Some(n),
        });
    };
    for op in ops {
        match op {
            similar::DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for k in 0..len {
                    pair(&mut rows, old_index + k, new_index + k);
                }
            }
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => rows.extend((old_index..old_index + old_len).map(|o| HistoryRow {
                change: StepChange::Removed,
                old: Some(o),
                new: None,
            })),
            similar::DiffOp::Insert {
                new_index, new_len, ..
            } => rows.extend((new_index..new_index + new_len).map(|n| HistoryRow {
                change: StepChange::Added,
                old: None,
                new: Some(n),
            })),
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // A rewritten command in place of the old one: pair them up as changed steps,
                // the surplus on either side is added or removed.
                let both = old_len.min(new_len);
                for k in 0..both {
                    rows.push(HistoryRow {
                        change: StepChange::Changed,
                        old: Some(old_index + k),
                        new: Some(new_index + k),
                    });
                }
                rows.extend((both..old_len).map(|k| HistoryRow {
                    change: StepChange::Removed,
                    old: Some(old_index + k),
                    new: None,
                }));
                rows.extend((both..new_len).map(|k| HistoryRow {
                    change: StepChange::Added,
                    old: None,
                    new: Some(new_index + k),
                }));
            }
        }
    }
    rows
}

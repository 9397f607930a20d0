//! The finding at hand in each pane, for `e` (explain) wherever a finding is shown: the selected
//! finding, the selected file version's, the selected step's or layer's, or the config's in the
//! Image pane. When there is none, the message says where findings are.

use layerscope_core::findings::FindingSource;

use super::loaded::FindingRow;
use super::state::{Overlay, Session};
use crate::tui::pane::Pane;

/// What `explain` found where the user is.
enum Here {
    Own(usize),
    External(usize),
    /// None here; the text says why and where to look.
    Nothing(String),
}

impl Session<'_> {
    fn finding_here(&self) -> Here {
        let v = &*self.loaded;
        let m = &v.model;
        let a = &*m.analysis;
        // The first in display order of the findings that satisfy `keep` (every place of each
        // secret's row, not only the one the row shows).
        let first = |keep: &dyn Fn(usize) -> bool| {
            m.order
                .iter()
                .flat_map(|&r| m.same[r].iter().copied())
                .find(|&i| keep(i))
        };
        let found = match self.ui.focus {
            Pane::Findings => {
                return match v.finding_row(v.findings.sel) {
                    Some(FindingRow::Own(f)) => Here::Own(f),
                    Some(FindingRow::External(i)) => Here::External(i),
                    None => Here::Nothing("no findings in this image".into()),
                }
            }
            Pane::Tree | Pane::Preview => {
                let Some(sel) = v.selected_content() else {
                    return Here::Nothing("no file version selected".into());
                };
                let own = m.by_version.get(&sel).and_then(|l| l.first().copied());
                match own {
                    Some(f) => Some(f),
                    None => {
                        let path = v.selected_row().map(|r| r.path);
                        let other = first(&|i| {
                            let f = &a.findings[i];
                            f.source == FindingSource::File && f.path == path && f.path.is_some()
                        });
                        if let Some(f) = other {
                            let l = a.findings[f].layer.unwrap_or(0);
                            return Here::Nothing(format!(
                                "this version is clean; the version in layer {l} has findings (v lists every version)"
                            ));
                        }
                        None
                    }
                }
            }
            Pane::History => {
                let vis = v.visible_hist();
                let row = vis.get(v.history.sel).map(|&r| &m.history_rows[r]);
                row.and_then(|row| {
                    first(&|i| {
                        let f = &a.findings[i];
                        (f.source == FindingSource::History && f.history == row.history)
                            || (f.source == FindingSource::File
                                && row.layer.is_some()
                                && f.layer == row.layer)
                    })
                })
            }
            Pane::Layer => first(&|i| a.findings[i].layer == Some(v.layer)),
            Pane::Image => first(&|i| {
                matches!(
                    a.findings[i].source,
                    FindingSource::Env | FindingSource::Label | FindingSource::Config
                )
            }),
        };
        match found {
            Some(f) => Here::Own(f),
            None => Here::Nothing(format!(
                "no finding in this {} (the Findings pane lists every finding)",
                match self.ui.focus {
                    Pane::Tree | Pane::Preview => "file version",
                    Pane::History => "step",
                    Pane::Layer => "layer",
                    _ => "image config",
                }
            )),
        }
    }

    /// `e`: explains the finding at hand and selects it in the findings list.
    pub(super) fn explain(&mut self) {
        match self.finding_here() {
            Here::Own(f) => {
                let v = &mut *self.loaded;
                if let Some(i) = v.model.order.iter().position(|&o| o == f) {
                    v.findings.sel = v.external.len() + i;
                }
                self.follow_all();
                self.ui.overlay = Overlay::Explain {
                    finding: f,
                    scroll: 0,
                };
            }
            Here::External(index) => {
                self.ui.overlay = Overlay::ExplainExternal { index, scroll: 0 }
            }
            Here::Nothing(why) => self.ui.say(why, false),
        }
    }
}

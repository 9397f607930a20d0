//! The findings pane: explaining a finding, and jumping to where it is (ours and other
//! scanners').

use layerscope_core::external::Reconciled;
use layerscope_core::findings::FindingSource;

use super::loaded::{FindingRow, ListState};
use super::state::{App, Session};
use crate::tui::action::{Cmd, Effect};
use crate::tui::keymap::KeyContext;
use crate::tui::pane::Pane;
use crate::tui::ui::image;

impl Session<'_> {
    pub(super) fn jump_to_finding(&mut self, fx: &mut Vec<Effect>) {
        let image_w = self.areas().get(Pane::Image).width.saturating_sub(2);
        let v = &mut *self.loaded;
        let row_fi = match v.finding_row(v.findings.sel) {
            Some(FindingRow::Own(fi)) => fi,
            Some(FindingRow::External(i)) => return self.jump_to_external(i, fx),
            None => return,
        };
        // A row stands for every place of its secret: Enter again on the same row opens the
        // next one.
        let members = v.model.same[row_fi].clone();
        let k = match v.next_place {
            (row, k) if row == v.findings.sel => k % members.len().max(1),
            _ => 0,
        };
        v.next_place = (v.findings.sel, k + 1);
        let fi = members.get(k).copied().unwrap_or(row_fi);
        let place_note = (members.len() > 1).then(|| {
            let key = self.ui.keymap.hint(KeyContext::Findings, Cmd::Open);
            format!(
                "place {} of {} of this secret ({key} on its row again opens the next)",
                k + 1,
                members.len()
            )
        });
        let a = v.model.analysis.clone();
        let f = &a.findings[fi];
        match (f.source, f.layer, f.path, f.history) {
            (FindingSource::File, Some(l), Some(p), _) => {
                self.jump_to(l, p, Some(f.span.start as u64), fx)
            }
            (FindingSource::History, _, _, Some(h)) => {
                if v.hide_base {
                    v.hide_base = false;
                    v.rebuild();
                }
                let vis = v.visible_hist();
                let rows = &v.model.history_rows;
                if let Some(i) = vis.iter().position(|&r| rows[r].history == Some(h)) {
                    let d = i as isize - v.history.sel as isize;
                    self.ui.focus = Pane::History;
                    self.move_sel(d, fx);
                }
            }
            (source, _, _, _) => {
                // Scrolled so the item's section heads the pane.
                if let Some(row) = image::row_of(v, image_w, source) {
                    v.image_scroll = row;
                }
                self.ui.focus = Pane::Image;
                self.ui.say(
                    "this secret is in the image config (Env, labels, Cmd): see the Image pane",
                    false,
                );
            }
        }
        if let Some(note) = place_note {
            let text = match self.ui.message.take() {
                Some((m, _)) => format!("{note}; {m}"),
                None => note,
            };
            self.ui.say(text, false);
        }
    }

    fn jump_to_external(&mut self, i: usize, fx: &mut Vec<Effect>) {
        let Some(r) = self.loaded.external.get(i) else {
            return;
        };
        let status = App::external_status(r);
        match (r.path, r.layer) {
            (Some(path), Some(layer)) => {
                // Open at our own match on the same line when there is one.
                let findings = &self.loaded.model.analysis.findings;
                let target = r
                    .own
                    .iter()
                    .filter_map(|f| findings.get(*f))
                    .find(|f| r.ext.line.is_none_or(|l| f.line == l))
                    .map(|f| f.span.start as u64);
                self.jump_to(layer, path, target, fx);
                self.ui.say(status, false);
            }
            (None, Some(layer)) if r.ext.package.is_some() => {
                let (name, version) = r.ext.package.clone().unwrap_or_default();
                self.open_package(layer, &name, &version);
                self.ui.say(status, false);
            }
            _ => self.ui.say(status, true),
        }
    }
}

impl App {
    /// Lists other scanners' findings in the findings pane (before ours) and selects the first,
    /// with the findings pane focused.
    pub fn set_external(&mut self, ext: Vec<Reconciled>) {
        let Some(mut s) = self.session() else { return };
        let any = !ext.is_empty();
        s.loaded.external = ext;
        s.loaded.findings = ListState::default();
        if any {
            s.ui.focus = Pane::Findings;
        }
        s.follow_all();
    }

    /// The status line for the selected external finding: tool, agreement and the note.
    pub(crate) fn external_status(r: &Reconciled) -> String {
        format!("[{}] {}: {}", r.ext.tool, r.tag(), r.note)
    }
}

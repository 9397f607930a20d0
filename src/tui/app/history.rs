//! The history pane: choosing the layer, and the base-image mark (set by hand, hidden on request).

use super::state::Session;
use crate::tui::action::{Cmd, Effect};
use crate::tui::keymap::KeyContext;

impl Session<'_> {
    /// Moves the history selection; true when that selected another layer.
    pub(super) fn history_move(&mut self, d: isize) -> bool {
        let v = &mut *self.loaded;
        let vis = v.visible_hist();
        v.history.move_by(d, vis.len());
        let Some(&r) = vis.get(v.history.sel) else {
            return false;
        };
        let target = v.model.history_rows[r].target;
        if target != v.layer && target < v.model.layer_count() {
            v.select_layer(target);
            return true;
        }
        false
    }

    pub(super) fn toggle_hide_base(&mut self, fx: &mut Vec<Effect>) {
        let v = &mut *self.loaded;
        match v.base {
            None => {
                let b = self.ui.keymap.hint(KeyContext::History, Cmd::SetBase);
                self.ui.say(
                    format!(
                        "no base image detected: press {b} on a history row to mark the last base layer"
                    ),
                    false,
                )
            }
            Some(b) => {
                v.hide_base = !v.hide_base;
                let msg = if v.hide_base {
                    format!("hiding the base image (layers 0-{b})")
                } else {
                    "showing all layers".to_string()
                };
                self.after_base_change(fx);
                self.ui.say(msg, false);
            }
        }
    }

    /// Marks the selected row's layer as the base image's last (again: clears the mark).
    pub(super) fn set_base(&mut self, fx: &mut Vec<Effect>) {
        let v = &mut *self.loaded;
        let vis = v.visible_hist();
        let Some(&r) = vis.get(v.history.sel) else {
            return;
        };
        let t = v.model.history_rows[r].target;
        if v.base == Some(t) {
            v.base = None;
            v.hide_base = false;
            self.ui.say("base image mark cleared", false);
        } else if t + 1 >= v.model.layer_count() {
            self.ui.say("the base cannot be the last layer", true);
            return;
        } else {
            v.base = Some(t);
            let z = self.ui.key(Cmd::HideBase);
            self.ui.say(
                format!("base image = layers 0-{t}; press {z} to hide them"),
                false,
            );
        }
        self.after_base_change(fx);
    }

    fn after_base_change(&mut self, fx: &mut Vec<Effect>) {
        let v = &mut *self.loaded;
        if !v.hide_base {
            v.base = v.base.or(v.model.base_guess);
        }
        let vis = v.visible_hist();
        let want = v.layer;
        let rows = &v.model.history_rows;
        match vis.iter().position(|&r| rows[r].layer == Some(want)) {
            Some(i) => v.history.sel = i,
            None => {
                // The selected layer is now hidden: go to the first shown one.
                v.history.sel = 0;
                if let Some(&r) = vis.first() {
                    v.layer = rows[r].target;
                }
            }
        }
        self.tree_changed(fx);
    }
}

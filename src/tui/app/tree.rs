//! The file tree pane: which changes are shown, folding, the path filter, sorting.

use super::state::{Overlay, PromptKind, Session};
use crate::tui::action::{Cmd, Effect};
use crate::tui::filetree::{F_COLLAPSED, F_KIDS};
use crate::tui::pane::Pane;

impl Session<'_> {
    /// Moves the tree selection; true when another row is selected.
    pub(super) fn tree_move(&mut self, d: isize) -> bool {
        let v = &mut *self.loaded;
        let before = v.tree.sel;
        v.tree.move_by(d, v.tree_rows.len());
        v.tree.sel != before
    }

    pub(super) fn toggle_shown(&mut self, c: Cmd, fx: &mut Vec<Effect>) {
        let s = &mut self.loaded.tree_opts.shown;
        let (flag, name) = match c {
            Cmd::ToggleAdded => (&mut s.added, "added"),
            Cmd::ToggleRemoved => (&mut s.removed, "removed"),
            Cmd::ToggleModified => (&mut s.modified, "modified"),
            _ => (&mut s.unchanged, "unchanged"),
        };
        *flag = !*flag;
        let msg = format!("{} {name} files", if *flag { "showing" } else { "hiding" });
        self.tree_changed(fx);
        self.ui.say(msg, false);
    }

    pub(super) fn toggle_aggregated(&mut self, fx: &mut Vec<Effect>) {
        self.loaded.tree_opts.aggregated ^= true;
        self.tree_changed(fx);
    }

    pub(super) fn toggle_sort(&mut self, fx: &mut Vec<Effect>) {
        self.loaded.tree_opts.sort_by_size ^= true;
        self.tree_changed(fx);
    }

    pub(super) fn open_filter(&mut self) {
        self.ui.overlay = Overlay::Prompt {
            kind: PromptKind::Filter,
            text: self.loaded.tree_opts.filter.clone(),
        };
        self.ui.focus = Pane::Tree;
    }

    pub(super) fn set_filter(&mut self, text: String, fx: &mut Vec<Effect>) {
        let v = &mut *self.loaded;
        v.tree_opts.filter = text;
        let before = v.selected_row().map(|r| r.path);
        v.rebuild();
        let after = v.selected_row().map(|r| r.path);
        self.follow_all();
        if before != after {
            self.request_preview(fx);
        }
    }

    /// After a change of the tree's options: rebuild, and preview the new selection.
    pub(super) fn tree_changed(&mut self, fx: &mut Vec<Effect>) {
        let v = &mut *self.loaded;
        let before = v.selected_row().map(|r| r.path);
        v.rebuild();
        let after = v.selected_row().map(|r| r.path);
        self.follow_all();
        if before != after || after.is_none() {
            self.request_preview(fx);
        }
    }

    pub(super) fn toggle_collapse(&mut self, fx: &mut Vec<Effect>) {
        let v = &mut *self.loaded;
        let Some(r) = v.selected_row().copied() else {
            return;
        };
        if !r.is(F_KIDS) {
            return;
        }
        if !v.tree_opts.toggled.remove(&r.path) {
            v.tree_opts.toggled.insert(r.path);
        }
        self.tree_changed(fx);
    }

    pub(super) fn toggle_collapse_all(&mut self, fx: &mut Vec<Effect>) {
        let o = &mut self.loaded.tree_opts;
        o.collapse_default = !o.collapse_default;
        o.toggled.clear();
        self.tree_changed(fx);
    }

    /// Left in the tree: fold an open directory, else go to the parent.
    pub(super) fn tree_left(&mut self, fx: &mut Vec<Effect>) {
        let v = &*self.loaded;
        let Some(r) = v.selected_row().copied() else {
            return;
        };
        if r.is(F_KIDS) && !r.is(F_COLLAPSED) {
            self.toggle_collapse(fx);
        } else if let Some(p) = v.model.analysis.tree.paths.parent(r.path) {
            if let Some(i) = v.row_index(p) {
                let d = i as isize - v.tree.sel as isize;
                self.move_sel(d, fx);
            }
        }
    }
}

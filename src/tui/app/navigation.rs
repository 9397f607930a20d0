//! Moving around: focus and Tab order, zoom, the mouse, and moving the focused pane's selection
//! or scroll (each pane's own reaction lives in its file).

use super::state::{Overlay, Session};
use crate::tui::action::{Effect, MouseKind};
use crate::tui::filetree::{F_COLLAPSED, F_DIR, F_KIDS};
use crate::tui::pane::Pane;

impl Session<'_> {
    pub(super) fn cycle_focus(&mut self, forward: bool) {
        let order = Pane::ORDER;
        let i = order.iter().position(|&p| p == self.ui.focus).unwrap_or(0);
        let n = order.len();
        let j = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        self.ui.focus = order[j];
    }

    /// Zoom in or out. Offsets chosen for the old height would leave rows hidden above (or
    /// blank space below) in the new one: each list scrolls as little as keeps its selection
    /// in view, and the preview no further than its last line at the bottom.
    pub(super) fn toggle_zoom(&mut self) {
        self.ui.zoom = !self.ui.zoom;
        let v = &mut *self.loaded;
        v.history.off = 0;
        v.tree.off = 0;
        v.findings.off = 0;
        self.follow_all();
        let h = self.inner_height(Pane::Preview);
        let p = &mut self.loaded.preview;
        let len = p.doc.as_ref().map_or(0, |d| d.body_len());
        p.scroll = p.scroll.min(len.saturating_sub(h));
    }

    /// Esc with no overlay: clears the filter, else leaves the zoom.
    pub(super) fn cancel(&mut self, fx: &mut Vec<Effect>) {
        if self.clear_package_filter(fx) {
            return;
        }
        if !self.loaded.tree_opts.filter.is_empty() {
            self.set_filter(String::new(), fx);
        } else if self.ui.zoom {
            self.ui.zoom = false;
            self.follow_all();
        }
    }

    /// Rows a page key moves in the focused pane.
    pub(super) fn page(&self) -> isize {
        self.inner_height(self.ui.focus).saturating_sub(1).max(1) as isize
    }

    /// Keeps every list's selection on screen after a move or a resize.
    pub(super) fn follow_all(&mut self) {
        let th = self.inner_height(Pane::Tree);
        // The history pane's first row is its header.
        let hh = self.inner_height(Pane::History).saturating_sub(1);
        let fh = self.inner_height(Pane::Findings);
        let v = &mut *self.loaded;
        let hl = v.visible_hist().len();
        v.history.clamp(hl);
        v.history.follow(hh, hl);
        v.tree.clamp(v.tree_rows.len());
        v.tree.follow(th, v.tree_rows.len());
        let fl = v.finding_rows();
        v.findings.clamp(fl);
        v.findings.follow(fh, fl);
    }

    /// Moves the focused pane's selection (or scroll) by `d` rows.
    pub(super) fn move_sel(&mut self, d: isize, fx: &mut Vec<Effect>) {
        let moved = match self.ui.focus {
            Pane::History => self.history_move(d),
            Pane::Tree => self.tree_move(d),
            Pane::Findings => {
                let v = &mut *self.loaded;
                v.findings.move_by(d, v.finding_rows());
                false
            }
            Pane::Preview => {
                self.preview_scroll(d);
                false
            }
            Pane::Layer => {
                let s = &mut self.loaded.layer_scroll;
                *s = (*s as isize + d).max(0) as usize;
                false
            }
            Pane::Image => {
                let s = &mut self.loaded.image_scroll;
                *s = (*s as isize + d).max(0) as usize;
                false
            }
        };
        self.follow_all();
        if moved {
            self.request_preview(fx);
        }
    }

    /// Moves `pane`'s selection without taking the focus (the mouse wheel).
    fn move_in(&mut self, pane: Pane, d: isize, fx: &mut Vec<Effect>) {
        let prev = self.ui.focus;
        self.ui.focus = pane;
        self.move_sel(d, fx);
        self.ui.focus = prev;
    }

    pub(super) fn on_mouse(&mut self, kind: MouseKind, x: u16, y: u16, fx: &mut Vec<Effect>) {
        if !matches!(self.ui.overlay, Overlay::None) {
            return;
        }
        let areas = self.areas();
        let Some(pane) = areas.hit(x, y) else { return };
        match kind {
            MouseKind::ScrollUp => self.move_in(pane, -3, fx),
            MouseKind::ScrollDown => self.move_in(pane, 3, fx),
            MouseKind::Click => {
                self.ui.focus = pane;
                let r = areas.get(pane);
                if y <= r.y || y >= r.y + r.height.saturating_sub(1) {
                    return;
                }
                let mut row = (y - r.y - 1) as usize;
                if pane == Pane::History {
                    // Below the header row.
                    let Some(r) = row.checked_sub(1) else { return };
                    row = r;
                }
                let v = &*self.loaded;
                let (cur, len) = match pane {
                    Pane::History => (v.history, v.visible_hist().len()),
                    Pane::Tree => (v.tree, v.tree_rows.len()),
                    Pane::Findings => (v.findings, v.finding_rows()),
                    _ => return,
                };
                let target = cur.off + row;
                if target < len {
                    self.move_sel(target as isize - cur.sel as isize, fx);
                }
            }
        }
    }

    /// Enter: history -> its files, tree -> fold or preview, findings -> jump to the match.
    pub(super) fn open(&mut self, fx: &mut Vec<Effect>) {
        match self.ui.focus {
            Pane::History => self.ui.focus = Pane::Tree,
            Pane::Tree => {
                let Some(r) = self.loaded.selected_row() else {
                    return;
                };
                if r.is(F_KIDS) {
                    self.toggle_collapse(fx);
                } else {
                    self.ui.focus = Pane::Preview;
                }
            }
            Pane::Findings => self.jump_to_finding(fx),
            _ => {}
        }
    }

    pub(super) fn left(&mut self, fx: &mut Vec<Effect>) {
        match self.ui.focus {
            Pane::Tree => self.tree_left(fx),
            Pane::Preview => {
                let p = &mut self.loaded.preview;
                p.hscroll = p.hscroll.saturating_sub(8);
            }
            _ => {}
        }
    }

    pub(super) fn right(&mut self, fx: &mut Vec<Effect>) {
        match self.ui.focus {
            Pane::Tree => {
                let Some(r) = self.loaded.selected_row().copied() else {
                    return;
                };
                if r.is(F_COLLAPSED) {
                    self.toggle_collapse(fx);
                } else if !r.is(F_DIR) {
                    self.ui.focus = Pane::Preview;
                }
            }
            Pane::Preview => self.preview_right(),
            _ => {}
        }
    }
}

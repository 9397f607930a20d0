//! The progressive load: the first partial snapshot replaces the loading screen, later ones and
//! the final analysis replace the image on screen keeping what the user selected (step, layer,
//! tree path, scroll, options). A snapshot older than the one shown, or arriving after the
//! final analysis, is dropped. While the load runs, quitting cancels it and what needs the whole
//! analysis (search, export, explain) says so.

use std::sync::Arc;

use layerscope_core::analysis::Analysis;

use super::loaded::Loaded;
use super::state::{App, Phase};
use crate::tui::action::{Cmd, Effect};
use crate::tui::filetree::TreeOpts;
use crate::tui::pane::Pane;
use crate::tui::pending::Pending;

impl App {
    pub(super) fn on_partial(&mut self, a: Arc<Analysis>, p: Pending) {
        match &mut self.phase {
            Phase::Loading(_) => {
                self.phase = Phase::Ready(Box::new(Loaded::new_pending(a, Some(p))));
                self.ui.focus = Pane::History;
                if let Some(mut s) = self.session() {
                    s.follow_all();
                }
            }
            Phase::Ready(old) if old.pending.as_ref().is_some_and(|o| o.seq < p.seq) => {
                // Same tree, more layers indexed: only the counters moved.
                if Arc::ptr_eq(&old.model.analysis, &a) {
                    old.pending = Some(p);
                    return;
                }
                let v = carried(old, a, Some(p));
                self.phase = Phase::Ready(Box::new(v));
                if let Some(mut s) = self.session() {
                    s.follow_all();
                }
            }
            _ => {}
        }
    }

    pub(super) fn on_final(&mut self, a: Arc<Analysis>, fx: &mut Vec<Effect>) {
        match &self.phase {
            Phase::Ready(old) if old.pending.is_some() => {
                let v = carried(old, a, None);
                self.phase = Phase::Ready(Box::new(v));
            }
            _ => {
                self.phase = Phase::Ready(Box::new(Loaded::new(a)));
                self.ui.focus = Pane::History;
            }
        }
        if let Some(mut s) = self.session() {
            s.follow_all();
            s.request_preview(fx);
        }
    }

    /// Commands that mean something else while a partial image is shown; true when handled.
    pub(super) fn pending_cmd(&mut self, c: Cmd, fx: &mut Vec<Effect>) -> bool {
        let Some(v) = self.loaded() else {
            return false;
        };
        if v.pending.is_none() {
            return false;
        }
        let nothing_to_cancel = v.tree_opts.filter.is_empty() && !self.ui.zoom;
        match c {
            Cmd::Quit => {}
            Cmd::Cancel if nothing_to_cancel => {}
            Cmd::Search | Cmd::SearchResults | Cmd::Export | Cmd::Explain => {
                self.ui.say(
                    "still loading: search, export and explain work once the load ends",
                    false,
                );
                return true;
            }
            _ => return false,
        }
        fx.push(Effect::CancelLoad);
        fx.push(Effect::Quit);
        true
    }
}

/// A new snapshot (or the final analysis) with the user's place in `old` kept. Paths are
/// matched by name: each snapshot numbers them anew.
fn carried(old: &Loaded, a: Arc<Analysis>, pending: Option<Pending>) -> Loaded {
    let mut v = Loaded::new_pending(a, pending);
    let old_paths = &old.analysis().tree.paths;
    let remap = |id| v.analysis().tree.paths.lookup(&old_paths.path(id));
    let selected = old.selected_row().and_then(|r| remap(r.path));
    let collapse_default = v.tree_opts.collapse_default;
    let toggled = if collapse_default == old.tree_opts.collapse_default {
        old.tree_opts
            .toggled
            .iter()
            .filter_map(|&p| remap(p))
            .collect()
    } else {
        Default::default()
    };
    v.tree_opts = TreeOpts {
        collapse_default,
        toggled,
        ..old.tree_opts.clone()
    };
    // A daemon's early view and the image its tar holds may differ in their counts.
    if old.model.layer_count() == v.model.layer_count()
        && old.analysis().history.len() == v.analysis().history.len()
    {
        v.history = old.history;
        v.layer = old.layer;
    }
    // A base the user marked stays; a guess is made again from what is now indexed.
    if old.base != old.model.base_guess {
        v.base = old.base;
    }
    v.hide_base = old.hide_base;
    v.layer_scroll = old.layer_scroll;
    v.image_scroll = old.image_scroll;
    v.reveal = old.reveal;
    v.external = old.external.clone();
    v.tree = old.tree;
    v.rebuild();
    if let Some(i) = selected.and_then(|p| v.row_index(p)) {
        v.tree.sel = i;
    }
    v
}

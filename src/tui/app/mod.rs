//! The app state and its update function. `App::update(action) -> Vec<Effect>` is the only way
//! state changes; it does no I/O (work is requested as `Effect`s and comes back as
//! `WorkerMsg`s), so every interaction is testable without a terminal.
//!
//! The state is two halves: `Phase` (loading, failed, or the `Loaded` image) and `Ui` (focus,
//! overlay, message, size, keymap). Once an image is loaded, handlers work on a `Session`: both
//! halves borrowed apart, so the "is it loaded?" check is made once, in `App::session`.
//! `state` holds these types and this file dispatches; the handlers live by concern: `overlays` (help, explain, prompts,
//! confirm, search results), `navigation` (focus, Tab order, zoom, mouse, moving selections),
//! one file per pane (`history`, `tree`, `preview`, `findings`) and `jump` (search, export,
//! goto).

mod findings;
mod here;
mod history;
mod hit_groups;
mod hscroll;
mod jump;
mod loaded;
mod navigation;
mod overlays;
mod packages;
mod preview;
mod progress;
mod state;
mod tree;
mod versions;

use crossterm::event::KeyEvent;

use crate::tui::action::{Action, Cmd, Effect, WorkerMsg};
use crate::tui::pane::Pane;

pub use hit_groups::hit_groups;
pub use loaded::{FindingRow, ListState, Loaded, PreviewState, SearchState};
pub use packages::{files_of, OnlyPaths, PackageRow, PackagesView, RowKind};
pub(crate) use state::Session;
pub use state::{App, Loading, Overlay, Phase, PromptKind, Ui};
pub use versions::{other_findings, version_rows, VersionRow};

impl App {
    /// Turns a key into an action: text prompts take raw keys, everything else goes through
    /// the keymap of the focused pane.
    pub fn translate(&self, ev: &KeyEvent) -> Option<Action> {
        overlays::translate(&self.ui, ev)
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        let waited = self.unindexed_selection();
        if matches!(
            action,
            Action::Cmd(_) | Action::Char(_) | Action::Submit | Action::ClearLine
        ) {
            self.ui.message = None;
        }
        match action {
            Action::Resize(w, h) => {
                self.ui.width = w;
                self.ui.height = h;
                if let Some(mut s) = self.session() {
                    s.follow_all();
                }
            }
            Action::Worker(msg) => self.on_worker(msg, &mut fx),
            Action::Mouse(kind, x, y) => {
                if let Some(mut s) = self.session() {
                    s.on_mouse(kind, x, y, &mut fx);
                }
            }
            Action::Char(c) => self.on_char(c, &mut fx),
            Action::Backspace => self.on_backspace(false, &mut fx),
            Action::ClearLine => self.on_backspace(true, &mut fx),
            Action::Submit => self.on_submit(&mut fx),
            Action::Cmd(c) => self.on_cmd(c, &mut fx),
        }
        if fx.contains(&Effect::Quit) {
            self.ui.quit = true;
        }
        if let Some(l) = self.unindexed_selection().filter(|&l| waited != Some(l)) {
            fx.push(Effect::LoadFirst(l));
        }
        fx
    }

    /// The selected layer while the load has not indexed it yet.
    fn unindexed_selection(&self) -> Option<usize> {
        let v = self.loaded()?;
        v.pending
            .as_ref()
            .is_some_and(|p| !p.is_indexed(v.layer))
            .then_some(v.layer)
    }

    fn on_worker(&mut self, msg: WorkerMsg, fx: &mut Vec<Effect>) {
        match msg {
            WorkerMsg::Opened {
                compressed_total,
                layers,
            } => {
                if let Phase::Loading(p) = &mut self.phase {
                    p.compressed_total = compressed_total;
                    p.layers_total = layers;
                }
            }
            WorkerMsg::Partial(a, pending) => self.on_partial(a, pending),
            WorkerMsg::Loaded(Ok(a)) => self.on_final(a, fx),
            WorkerMsg::Loaded(Err(e)) => self.phase = Phase::Failed(e),
            WorkerMsg::Exported { req, result } => {
                let what = self.loaded().map(|v| jump::version_name(v, &req));
                self.ui.on_exported(req, result, what)
            }
            msg => {
                let Some(mut s) = self.session() else { return };
                match msg {
                    WorkerMsg::Preview(doc) => s.on_preview(*doc),
                    WorkerMsg::SearchHits { gen, hits } => s.on_search_hits(gen, hits),
                    WorkerMsg::SearchDone { gen, error } => s.on_search_done(gen, error),
                    _ => {}
                }
            }
        }
    }

    fn on_cmd(&mut self, c: Cmd, fx: &mut Vec<Effect>) {
        if !matches!(self.ui.overlay, Overlay::None) {
            return self.overlay_cmd(c, fx);
        }
        if self.pending_cmd(c, fx) {
            return;
        }
        if let Some(mut s) = self.session() {
            return s.on_cmd(c, fx);
        }
        match (&self.phase, c) {
            (Phase::Loading(_), Cmd::Quit | Cmd::Cancel) => {
                fx.push(Effect::CancelLoad);
                fx.push(Effect::Quit);
            }
            (_, Cmd::Quit | Cmd::Cancel) => fx.push(Effect::Quit),
            (_, Cmd::Help) => self.ui.overlay = Overlay::Help { scroll: 0 },
            _ => {}
        }
    }
}

impl Session<'_> {
    fn on_cmd(&mut self, c: Cmd, fx: &mut Vec<Effect>) {
        let focus = self.ui.focus;
        match c {
            Cmd::Quit => fx.push(Effect::Quit),
            Cmd::Help => self.ui.overlay = Overlay::Help { scroll: 0 },
            Cmd::NextPane | Cmd::PrevPane => self.cycle_focus(c == Cmd::NextPane),
            Cmd::Zoom => self.toggle_zoom(),
            Cmd::Up => self.move_sel(-1, fx),
            Cmd::Down => self.move_sel(1, fx),
            Cmd::PageUp => self.move_sel(-self.page(), fx),
            Cmd::PageDown => self.move_sel(self.page(), fx),
            Cmd::Top => self.move_sel(isize::MIN / 2, fx),
            Cmd::Bottom => self.move_sel(isize::MAX / 2, fx),
            Cmd::Cancel => self.cancel(fx),
            Cmd::ToggleAdded | Cmd::ToggleRemoved | Cmd::ToggleModified | Cmd::ToggleUnchanged => {
                self.toggle_shown(c, fx)
            }
            Cmd::ToggleAggregated => self.toggle_aggregated(fx),
            Cmd::ToggleAttributes => self.loaded.tree_opts.attributes ^= true,
            Cmd::SortBySize => self.toggle_sort(fx),
            Cmd::Filter => self.open_filter(),
            Cmd::Search => self.open_search(),
            Cmd::SearchResults => self.show_results(),
            Cmd::HideBase => self.toggle_hide_base(fx),
            Cmd::SetBase if focus == Pane::History => self.set_base(fx),
            Cmd::Open => self.open(fx),
            Cmd::ToggleCollapse if focus == Pane::Tree => self.toggle_collapse(fx),
            Cmd::ToggleCollapseAll if focus == Pane::Tree => self.toggle_collapse_all(fx),
            Cmd::Left => self.left(fx),
            Cmd::Right => self.right(fx),
            Cmd::ToggleDiff => self.toggle_diff(fx),
            Cmd::Reveal => self.toggle_reveal(fx),
            Cmd::NextChunk | Cmd::PrevChunk => self.chunk(c == Cmd::NextChunk, fx),
            Cmd::Export => self.open_export(),
            Cmd::Explain => self.explain(),
            Cmd::Packages => self.open_packages(),
            Cmd::Versions => self.open_versions(),
            _ => {}
        }
    }
}

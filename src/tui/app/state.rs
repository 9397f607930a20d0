//! The app's state: the `Phase` (loading, failed, or the `Loaded` image) and the `Ui` (focus,
//! overlay, message, size, keymap), and the `Session` that borrows both apart once an image is
//! loaded. Handlers are in the sibling files; `mod.rs` dispatches to them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use ratatui::layout::Rect;

use layerscope_core::layer::PassState;
use layerscope_core::paths::PathId;

use super::loaded::{ListState, Loaded};
use crate::tui::action::{Cmd, ExportReq};
use crate::tui::keymap::Keymap;
use crate::tui::pane::Pane;
use crate::tui::ui::layout::{self, Areas};
use crate::tui::worker::Fetch;

/// The loading pass as the loading screen shows it: the live counters the load worker writes,
/// and the totals known once the image is opened.
#[derive(Default)]
pub struct Loading {
    pub pass: Arc<PassState>,
    /// Bytes streamed from a daemon so far, and the total when known.
    pub(crate) fetch: Arc<Fetch>,
    pub(crate) compressed_total: u64,
    pub(crate) layers_total: usize,
}

pub enum Phase {
    Loading(Loading),
    Failed(String),
    Ready(Box<Loaded>),
}

/// Everything about the screen that is not the image: size, focus, overlay, message, keys.
pub struct Ui {
    pub(crate) keymap: Arc<Keymap>,
    pub width: u16,
    pub height: u16,
    pub focus: Pane,
    pub zoom: bool,
    pub overlay: Overlay,
    /// One-line message in the status bar (text, is an error); cleared by the next key.
    pub message: Option<(String, bool)>,
    /// What was opened, for the title while loading.
    pub(crate) source_name: String,
    pub quit: bool,
    /// Rule id -> what the rule finds (from the scanner), for the explain overlay.
    pub(crate) rules: Arc<HashMap<String, String>>,
    /// Where the user's `keys.toml` goes (named in the help), found once, not while drawing.
    pub(crate) keys_file: Option<PathBuf>,
    /// The load's transfer counters (registry blobs still downloading while a partial image is
    /// on screen), written by the load worker.
    pub(crate) transfer: Arc<Fetch>,
}

pub struct App {
    pub phase: Phase,
    pub ui: Ui,
}

/// A loaded app, its two halves borrowed apart.
pub(crate) struct Session<'a> {
    pub(crate) loaded: &'a mut Loaded,
    pub(crate) ui: &'a mut Ui,
}

/// Lines of the status area: two while other scanners' findings are listed (their notes are
/// long), one otherwise.
pub(super) fn status_lines(loaded: Option<&Loaded>) -> u16 {
    match loaded {
        Some(v) if !v.external.is_empty() => 2,
        _ => 1,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Filter,
    Search,
    Export,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    None,
    Help {
        scroll: usize,
    },
    Prompt {
        kind: PromptKind,
        text: String,
    },
    Confirm {
        req: ExportReq,
        message: String,
    },
    Results {
        list: ListState,
    },
    Explain {
        finding: usize,
        scroll: usize,
    },
    /// Every version of one path across layers (`app/versions.rs`).
    Versions {
        path: PathId,
        list: ListState,
    },
    /// Details of a finding from another scanner's report (index into `Loaded::external`).
    ExplainExternal {
        index: usize,
        scroll: usize,
    },
    /// The packages view of a layer (see `app::packages`).
    Packages(Box<super::packages::PackagesView>),
}

impl Ui {
    pub(super) fn areas(&self, status_h: u16) -> Areas {
        layout::compute(
            Rect::new(0, 0, self.width, self.height),
            self.zoom.then_some(self.focus),
            status_h,
        )
    }

    pub(super) fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some((text.into(), error));
    }

    /// The key bound to `cmd` where the user is now, for messages that name it.
    pub(super) fn key(&self, cmd: Cmd) -> String {
        self.keymap.hint(self.focus.key_context(), cmd)
    }
}

impl App {
    pub fn new(
        keymap: Arc<Keymap>,
        source_name: impl Into<String>,
        width: u16,
        height: u16,
    ) -> App {
        App {
            phase: Phase::Loading(Loading::default()),
            ui: Ui {
                keymap,
                width,
                height,
                focus: Pane::History,
                zoom: false,
                overlay: Overlay::None,
                message: None,
                source_name: source_name.into(),
                quit: false,
                rules: Arc::default(),
                keys_file: Keymap::config_path(),
                transfer: Arc::default(),
            },
        }
    }

    /// Shows these counters on the loading screen (the load worker writes them).
    pub(crate) fn watch_load(&mut self, pass: Arc<PassState>, fetch: Arc<Fetch>) {
        self.ui.transfer = fetch.clone();
        if let Phase::Loading(l) = &mut self.phase {
            l.pass = pass;
            l.fetch = fetch;
        }
    }

    /// What is still loading under a partial image: the transfer, then the pass.
    pub(crate) fn pending_status(&self) -> Option<String> {
        let p = self.loaded()?.pending.as_ref()?;
        Some(match self.ui.transfer.running() {
            Some((done, total)) => format!(
                "downloading {} of {} · {}",
                crate::tui::text::human(done),
                crate::tui::text::human(total),
                p.status()
            ),
            None => p.status(),
        })
    }

    pub fn loaded(&self) -> Option<&Loaded> {
        match &self.phase {
            Phase::Ready(v) => Some(v),
            _ => None,
        }
    }

    /// The loaded image and the UI state, or None while loading or after a failure.
    pub(super) fn session(&mut self) -> Option<Session<'_>> {
        match &mut self.phase {
            Phase::Ready(loaded) => Some(Session {
                loaded,
                ui: &mut self.ui,
            }),
            _ => None,
        }
    }

    pub fn areas(&self) -> Areas {
        self.ui.areas(self.status_height())
    }

    pub(crate) fn status_height(&self) -> u16 {
        status_lines(self.loaded())
    }
}

impl Session<'_> {
    pub(super) fn areas(&self) -> Areas {
        self.ui.areas(status_lines(Some(self.loaded)))
    }

    /// Rows inside a pane's border.
    pub(super) fn inner_height(&self, pane: Pane) -> usize {
        self.areas().get(pane).height.saturating_sub(2) as usize
    }
}

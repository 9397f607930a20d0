//! What can happen to the app (`Action`) and what the app asks the runtime to do (`Effect`).
//! `Cmd` is the bindable subset: its snake_case names are the keys of `keys.toml`.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use crate::tui::pending::Pending;
use crate::tui::preview::{PreviewDoc, PreviewReq};
use crate::tui::search::Hit;
use layerscope_core::analysis::Analysis;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cmd {
    Quit,
    NextPane,
    PrevPane,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    Open,
    Cancel,
    ToggleAdded,
    ToggleRemoved,
    ToggleModified,
    ToggleUnchanged,
    ToggleCollapse,
    ToggleCollapseAll,
    ToggleAttributes,
    ToggleAggregated,
    Filter,
    Search,
    SearchResults,
    SortBySize,
    HideBase,
    SetBase,
    Export,
    ToggleDiff,
    Reveal,
    Explain,
    /// Every version of the selected path, across layers.
    Versions,
    NextChunk,
    PrevChunk,
    Zoom,
    Packages,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MouseKind {
    Click,
    ScrollUp,
    ScrollDown,
}

/// Messages from worker threads.
pub enum WorkerMsg {
    Opened {
        compressed_total: u64,
        layers: usize,
    },
    /// The image as far as the pass has got (see `snapshots`); the final word is `Loaded`.
    Partial(Arc<Analysis>, Pending),
    Loaded(Result<Arc<Analysis>, String>),
    Preview(Box<PreviewDoc>),
    SearchHits {
        gen: u64,
        hits: Vec<Hit>,
    },
    SearchDone {
        gen: u64,
        error: Option<String>,
    },
    Exported {
        req: ExportReq,
        result: Result<PathBuf, ExportFail>,
    },
}

/// Why an export did not happen; `exists` asks the user to confirm an overwrite.
#[derive(Clone, Debug)]
pub struct ExportFail {
    pub message: String,
    pub exists: bool,
}

pub enum Action {
    Cmd(Cmd),
    /// Text typed into the open prompt.
    Char(char),
    Backspace,
    /// Ctrl+U in a prompt: clears the line (the export prompt starts filled in).
    ClearLine,
    Submit,
    Resize(u16, u16),
    Mouse(MouseKind, u16, u16),
    Worker(WorkerMsg),
}

impl From<Cmd> for Action {
    fn from(c: Cmd) -> Self {
        Action::Cmd(c)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Quit,
    CancelLoad,
    /// Index this layer next if the pass has not started it (the user selected it).
    LoadFirst(usize),
    Preview(PreviewReq),
    Search {
        gen: u64,
        needle: String,
    },
    CancelSearch,
    Export(ExportReq),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReq {
    pub layer: usize,
    pub entry: u32,
    pub dest: PathBuf,
    pub force: bool,
}

//! The state of a loaded image: what is selected and scrolled in each pane, over the data derived
//! once from the analysis (`Model`). Knows nothing of the screen or the keys.

use std::sync::Arc;

use layerscope_core::analysis::Analysis;
use layerscope_core::external::Reconciled;
use layerscope_core::paths::{PathId, ROOT};
use layerscope_core::tree::NO_ENTRY;

use crate::tui::action::Cmd;
use crate::tui::filetree::{self, Row, TreeOpts};
use crate::tui::model::Model;
use crate::tui::pending::Pending;
use crate::tui::preview::PreviewDoc;
use crate::tui::search::Hit;

/// Selection and scroll offset of a list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListState {
    pub sel: usize,
    pub off: usize,
}

impl ListState {
    pub(crate) fn clamp(&mut self, len: usize) {
        if len == 0 {
            self.sel = 0;
            self.off = 0;
        } else if self.sel >= len {
            self.sel = len - 1;
        }
    }
    /// The moves every list takes: a line, a page of `page` rows, either end. True when `c` was
    /// one of them.
    pub(crate) fn navigate(&mut self, c: Cmd, len: usize, page: usize) -> bool {
        let page = page as isize;
        match c {
            Cmd::Down => self.move_by(1, len),
            Cmd::Up => self.move_by(-1, len),
            Cmd::PageDown => self.move_by(page, len),
            Cmd::PageUp => self.move_by(-page, len),
            Cmd::Top => self.sel = 0,
            Cmd::Bottom => self.sel = len.saturating_sub(1),
            _ => return false,
        }
        true
    }
    pub(crate) fn move_by(&mut self, delta: isize, len: usize) {
        if len == 0 {
            return;
        }
        self.sel = (self.sel as isize + delta).clamp(0, len as isize - 1) as usize;
    }
    /// Keeps the selection inside a window of `height` rows.
    pub(crate) fn follow(&mut self, height: usize, len: usize) {
        let h = height.max(1);
        if self.sel < self.off {
            self.off = self.sel;
        } else if self.sel >= self.off + h {
            self.off = self.sel + 1 - h;
        }
        let max_off = len.saturating_sub(h);
        if self.off > max_off {
            self.off = max_off;
        }
    }
}

/// A row of the findings pane: another scanner's finding (listed first), or one of ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingRow {
    /// Index into `Loaded::external`.
    External(usize),
    /// Index into the analysis' findings.
    Own(usize),
}

#[derive(Clone, Debug, Default)]
pub struct PreviewState {
    pub gen: u64,
    pub doc: Option<PreviewDoc>,
    pub scroll: usize,
    pub hscroll: usize,
    pub diff: bool,
    /// Starts (offset, first line) of the chunks before the one shown.
    pub chunks: Vec<(u64, usize)>,
    pub target: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct SearchState {
    pub gen: u64,
    pub query: String,
    pub hits: Vec<Hit>,
    pub running: bool,
    pub error: Option<String>,
}

pub struct Loaded {
    pub model: Model,
    /// Selected row among the visible history rows.
    pub history: ListState,
    /// The selected layer: the tree and the preview show the image as of it.
    pub layer: usize,
    /// Last layer of the base image (guessed or marked by hand).
    pub base: Option<usize>,
    pub hide_base: bool,
    pub tree_opts: TreeOpts,
    pub tree_rows: Vec<Row>,
    pub tree: ListState,
    pub preview: PreviewState,
    pub findings: ListState,
    /// Findings from other scanners' reports (`--findings-from`), placed in this image.
    pub external: Vec<Reconciled>,
    pub search: SearchState,
    pub layer_scroll: usize,
    pub image_scroll: usize,
    pub reveal: bool,
    /// (findings row, place): which place of that row's secret Enter opens next.
    pub next_place: (usize, usize),
    /// Set while this is a partial snapshot of a load still running.
    pub pending: Option<Pending>,
}

/// Directories with more paths than this start collapsed.
const EXPAND_LIMIT: usize = 5000;

impl Loaded {
    pub(crate) fn new(a: Arc<Analysis>) -> Loaded {
        Loaded::new_pending(a, None)
    }

    /// `new` for a partial snapshot while `pending` is Some.
    pub(crate) fn new_pending(a: Arc<Analysis>, pending: Option<Pending>) -> Loaded {
        let model = Model::new(a);
        let layer = model.layer_count().saturating_sub(1);
        let tree_opts = TreeOpts {
            collapse_default: model.analysis.tree.paths.len() > EXPAND_LIMIT,
            ..TreeOpts::default()
        };
        let mut v = Loaded {
            base: model.base_guess,
            model,
            history: ListState::default(),
            layer,
            hide_base: false,
            tree_opts,
            tree_rows: Vec::new(),
            tree: ListState::default(),
            preview: PreviewState::default(),
            findings: ListState::default(),
            external: Vec::new(),
            search: SearchState::default(),
            layer_scroll: 0,
            image_scroll: 0,
            reveal: false,
            next_place: (usize::MAX, 0),
            pending,
        };
        // Start on the last layer: the image as it runs.
        let vis = v.visible_hist();
        let rows = &v.model.history_rows;
        if let Some(i) = vis.iter().rposition(|&r| rows[r].layer == Some(layer)) {
            v.history.sel = i;
        } else {
            v.history.sel = vis.len().saturating_sub(1);
        }
        v.rebuild();
        v
    }

    pub fn analysis(&self) -> &Analysis {
        &self.model.analysis
    }

    /// Indices into `model.history_rows` of the rows shown (the base image's rows hidden on
    /// request).
    pub fn visible_hist(&self) -> Vec<usize> {
        let rows = &self.model.history_rows;
        match (self.hide_base, self.base) {
            // Steps of the base image (its layers and the metadata steps that only select
            // them) are hidden.
            (true, Some(b)) => (0..rows.len()).filter(|&i| rows[i].target > b).collect(),
            _ => (0..rows.len()).collect(),
        }
    }

    /// Rebuilds the tree rows after a change of layer or options, keeping the selected path
    /// (or its nearest shown ancestor) selected.
    pub(crate) fn rebuild(&mut self) {
        let keep = self.tree_rows.get(self.tree.sel).map(|r| r.path);
        self.tree_opts.lowest = match (self.hide_base, self.base) {
            (true, Some(b)) => b + 1,
            _ => 0,
        };
        // A layer the partial tree does not reach yet has no rows (its pane says it waits).
        self.tree_rows = match &self.pending {
            Some(p) if !p.tree_ready(self.layer, self.tree_opts.aggregated) => Vec::new(),
            _ => filetree::build(
                &self.model.analysis,
                self.layer,
                &self.tree_opts,
                &self.model,
            ),
        };
        if let Some(p) = keep {
            if let Some(i) = self.row_index(p) {
                self.tree.sel = i;
            } else {
                // The nearest ancestor still shown.
                let paths = &self.model.analysis.tree.paths;
                let mut cur = paths.parent(p);
                while let Some(c) = cur {
                    if c == ROOT {
                        break;
                    }
                    if let Some(i) = self.row_index(c) {
                        self.tree.sel = i;
                        break;
                    }
                    cur = paths.parent(c);
                }
            }
        }
        self.tree.clamp(self.tree_rows.len());
    }

    /// Rows of the findings pane: external findings first, then ours.
    pub fn finding_rows(&self) -> usize {
        self.external.len() + self.model.order.len()
    }

    pub fn finding_row(&self, i: usize) -> Option<FindingRow> {
        if i < self.external.len() {
            Some(FindingRow::External(i))
        } else {
            self.model
                .order
                .get(i - self.external.len())
                .map(|&f| FindingRow::Own(f))
        }
    }

    /// The external finding selected in the findings pane, if one is.
    pub(crate) fn selected_external(&self) -> Option<&Reconciled> {
        match self.finding_row(self.findings.sel)? {
            FindingRow::External(i) => self.external.get(i),
            FindingRow::Own(_) => None,
        }
    }

    pub(crate) fn row_index(&self, p: PathId) -> Option<usize> {
        self.tree_rows.iter().position(|r| r.path == p)
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.tree_rows.get(self.tree.sel)
    }

    /// The file version the selection shows (a ghost: the version it removed).
    pub(crate) fn selected_content(&self) -> Option<(usize, u32)> {
        let r = self.selected_row()?;
        let a = self.analysis();
        let v = a.tree.state_at(r.path, self.layer)?;
        let cv = filetree::content_version(a, v)?;
        let e = a.entry(cv)?;
        (cv.entry != NO_ENTRY && e.kind.has_content()).then_some((cv.layer as usize, cv.entry))
    }

    pub(super) fn select_layer(&mut self, layer: usize) {
        if layer != self.layer {
            self.layer = layer;
            self.rebuild();
        }
    }
}

//! The app state and its update function. `App::update(action) -> Vec<Effect>` is the only way
//! state changes; it does no I/O (work is requested as `Effect`s and comes back as
//! `WorkerMsg`s), so every interaction is testable without a terminal.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use crate::tui::action::{Action, Cmd, Effect, ExportReq, MouseKind, Progress, WorkerMsg};
use crate::tui::filetree::{self, Row, TreeOpts, F_COLLAPSED, F_DIR, F_KIDS};
use crate::tui::keymap::{Ctx, Key, Keymap};
use crate::tui::model::Model;
use crate::tui::preview::{Body, PreviewDoc, PreviewReq};
use crate::tui::search::Hit;
use crate::tui::ui::layout::{self, Areas};
use layerscope_core::analysis::Analysis;
use layerscope_core::external::Reconciled;
use layerscope_core::findings::FindingSource;
use layerscope_core::goto::Goto;
use layerscope_core::paths::{PathId, ROOT};
use layerscope_core::tree::NO_ENTRY;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pane {
    History,
    Tree,
    Preview,
    Findings,
    Layer,
    Image,
}

impl Pane {
    pub const ORDER: [Pane; 6] = [
        Pane::History,
        Pane::Tree,
        Pane::Preview,
        Pane::Findings,
        Pane::Layer,
        Pane::Image,
    ];
    pub fn ctx(self) -> Ctx {
        match self {
            Pane::History => Ctx::History,
            Pane::Tree => Ctx::Tree,
            Pane::Preview => Ctx::Preview,
            Pane::Findings => Ctx::Findings,
            Pane::Layer | Pane::Image => Ctx::Details,
        }
    }
}

/// Selection and scroll offset of a list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListState {
    pub sel: usize,
    pub off: usize,
}

impl ListState {
    pub fn clamp(&mut self, len: usize) {
        if len == 0 {
            self.sel = 0;
            self.off = 0;
        } else if self.sel >= len {
            self.sel = len - 1;
        }
    }
    pub fn move_by(&mut self, delta: isize, len: usize) {
        if len == 0 {
            return;
        }
        self.sel = (self.sel as isize + delta).clamp(0, len as isize - 1) as usize;
    }
    /// Keeps the selection inside a window of `height` rows.
    pub fn follow(&mut self, height: usize, len: usize) {
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
    /// Details of a finding from another scanner's report (index into `View::external`).
    ExplainExternal {
        index: usize,
        scroll: usize,
    },
}

/// A row of the findings pane: another scanner's finding (listed first), or one of ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingRow {
    /// Index into `View::external`.
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

pub struct View {
    pub m: Model,
    /// Selected row among the visible history rows.
    pub hist: ListState,
    pub layer: usize,
    pub base: Option<usize>,
    pub hide_base: bool,
    pub opts: TreeOpts,
    pub rows: Vec<Row>,
    pub tree: ListState,
    pub preview: PreviewState,
    pub findings: ListState,
    /// Findings from other scanners' reports (`--findings-from`), placed in this image.
    pub external: Vec<Reconciled>,
    pub search: SearchState,
    pub layer_scroll: usize,
    pub image_scroll: usize,
    pub reveal: bool,
}

pub enum Phase {
    Loading(Progress),
    Failed(String),
    Ready(Box<View>),
}

pub struct App {
    pub phase: Phase,
    pub keymap: Arc<Keymap>,
    pub width: u16,
    pub height: u16,
    pub focus: Pane,
    pub zoom: bool,
    pub overlay: Overlay,
    /// One-line message in the status bar (text, is an error); cleared by the next key.
    pub message: Option<(String, bool)>,
    /// What was opened, for the title while loading.
    pub source_name: String,
    pub quit: bool,
    /// Rule id -> what the rule finds (from the scanner), for the explain overlay.
    pub rules: Arc<std::collections::HashMap<String, String>>,
}

/// Directories with more paths than this start collapsed.
const EXPAND_LIMIT: usize = 5000;

impl View {
    pub fn new(a: Arc<Analysis>) -> View {
        let m = Model::new(a);
        let layer = m.layer_count().saturating_sub(1);
        let opts = TreeOpts {
            collapse_default: m.a.tree.paths.len() > EXPAND_LIMIT,
            ..TreeOpts::default()
        };
        let mut v = View {
            base: m.base_guess,
            m,
            hist: ListState::default(),
            layer,
            hide_base: false,
            opts,
            rows: Vec::new(),
            tree: ListState::default(),
            preview: PreviewState::default(),
            findings: ListState::default(),
            external: Vec::new(),
            search: SearchState::default(),
            layer_scroll: 0,
            image_scroll: 0,
            reveal: false,
        };
        // Start on the last layer: the image as it runs.
        let vis = v.visible_hist();
        if let Some(i) = vis.iter().rposition(|&r| v.m.hist[r].layer == Some(layer)) {
            v.hist.sel = i;
        } else {
            v.hist.sel = vis.len().saturating_sub(1);
        }
        v.rebuild();
        v
    }

    pub fn a(&self) -> &Analysis {
        &self.m.a
    }

    /// Indices into `m.hist` of the rows shown (the base image's rows hidden on request).
    pub fn visible_hist(&self) -> Vec<usize> {
        match (self.hide_base, self.base) {
            // Steps of the base image (its layers and the metadata steps that only select
            // them) are hidden.
            (true, Some(b)) => (0..self.m.hist.len())
                .filter(|&i| self.m.hist[i].target > b)
                .collect(),
            _ => (0..self.m.hist.len()).collect(),
        }
    }

    pub fn rebuild(&mut self) {
        let keep = self.rows.get(self.tree.sel).map(|r| r.path);
        self.opts.lowest = match (self.hide_base, self.base) {
            (true, Some(b)) => b + 1,
            _ => 0,
        };
        self.rows = filetree::build(&self.m.a, self.layer, &self.opts, &self.m);
        if let Some(p) = keep {
            if let Some(i) = self.row_index(p) {
                self.tree.sel = i;
            } else {
                // The nearest ancestor still shown.
                let mut cur = self.m.a.tree.paths.parent(p);
                while let Some(c) = cur {
                    if c == ROOT {
                        break;
                    }
                    if let Some(i) = self.row_index(c) {
                        self.tree.sel = i;
                        break;
                    }
                    cur = self.m.a.tree.paths.parent(c);
                }
            }
        }
        self.tree.clamp(self.rows.len());
    }

    /// Rows of the findings pane: external findings first, then ours.
    pub fn finding_rows(&self) -> usize {
        self.external.len() + self.m.order.len()
    }

    pub fn finding_row(&self, i: usize) -> Option<FindingRow> {
        if i < self.external.len() {
            Some(FindingRow::External(i))
        } else {
            self.m
                .order
                .get(i - self.external.len())
                .map(|&f| FindingRow::Own(f))
        }
    }

    /// The external finding selected in the findings pane, if one is.
    pub fn selected_external(&self) -> Option<&Reconciled> {
        match self.finding_row(self.findings.sel)? {
            FindingRow::External(i) => self.external.get(i),
            FindingRow::Own(_) => None,
        }
    }

    pub fn row_index(&self, p: PathId) -> Option<usize> {
        self.rows.iter().position(|r| r.path == p)
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.tree.sel)
    }

    /// The file version the selection shows (a ghost: the version it removed).
    pub fn selected_content(&self) -> Option<(usize, u32)> {
        let r = self.selected_row()?;
        let a = self.a();
        let v = a.tree.state_at(r.path, self.layer)?;
        let cv = filetree::content_version(a, v)?;
        let e = a.entry(cv)?;
        (cv.entry != NO_ENTRY && e.kind.has_content()).then_some((cv.layer as usize, cv.entry))
    }

    fn select_layer(&mut self, layer: usize) {
        if layer != self.layer {
            self.layer = layer;
            self.rebuild();
        }
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
            phase: Phase::Loading(Progress::default()),
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
        }
    }

    /// An app with an analysis already loaded (tests, benchmarks).
    pub fn ready(a: Arc<Analysis>, width: u16, height: u16) -> App {
        let mut app = App::new(Arc::new(Keymap::default()), "", width, height);
        let _ = app.update(Action::Worker(WorkerMsg::Loaded(Ok(a))));
        app
    }

    pub fn view(&self) -> Option<&View> {
        match &self.phase {
            Phase::Ready(v) => Some(v),
            _ => None,
        }
    }

    pub fn areas(&self) -> Areas {
        layout::compute_with_status(
            Rect::new(0, 0, self.width, self.height),
            self.zoom.then_some(self.focus),
            self.status_height(),
        )
    }

    /// Lines of the status area: two while other scanners' findings are listed (their notes are
    /// long), one otherwise.
    pub fn status_height(&self) -> u16 {
        match self.view() {
            Some(v) if !v.external.is_empty() => 2,
            _ => 1,
        }
    }

    fn inner_height(&self, pane: Pane) -> usize {
        let r = self.areas().get(pane);
        r.height.saturating_sub(2) as usize
    }

    /// Turns a key into an action: text prompts take raw keys, everything else goes through
    /// the keymap of the focused pane.
    pub fn translate(&self, ev: &KeyEvent) -> Option<Action> {
        if matches!(
            self.overlay,
            Overlay::Prompt { .. } | Overlay::Confirm { .. }
        ) {
            let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
            return match ev.code {
                KeyCode::Esc => Some(Cmd::Cancel.into()),
                KeyCode::Enter => Some(Action::Submit),
                KeyCode::Backspace => Some(Action::Backspace),
                KeyCode::Char('c') if ctrl => Some(Cmd::Quit.into()),
                KeyCode::Char(c) if !ctrl => Some(Action::Char(c)),
                _ => None,
            };
        }
        let ctx = match self.overlay {
            Overlay::None => self.focus.ctx(),
            // A list of hits: Enter opens one, as in the findings list.
            Overlay::Results { .. } => Ctx::Findings,
            _ => Ctx::Global,
        };
        self.keymap
            .lookup(ctx, Key::from_event(ev))
            .map(Action::Cmd)
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        if matches!(action, Action::Cmd(_) | Action::Char(_) | Action::Submit) {
            self.message = None;
        }
        match action {
            Action::Resize(w, h) => {
                self.width = w;
                self.height = h;
                self.follow_all();
            }
            Action::Progress(p) => {
                if let Phase::Loading(cur) = &mut self.phase {
                    let (t, n) = (cur.compressed_total, cur.layers_total);
                    *cur = p;
                    if cur.compressed_total == 0 {
                        cur.compressed_total = t;
                    }
                    if cur.layers_total == 0 {
                        cur.layers_total = n;
                    }
                }
            }
            Action::Worker(msg) => self.on_worker(msg, &mut fx),
            Action::Mouse(kind, x, y) => self.on_mouse(kind, x, y, &mut fx),
            Action::Char(c) => self.on_char(c, &mut fx),
            Action::Backspace => {
                if let Overlay::Prompt { kind, text } = &mut self.overlay {
                    text.pop();
                    if *kind == PromptKind::Filter {
                        let t = text.clone();
                        self.set_filter(t, &mut fx);
                    }
                }
            }
            Action::Submit => self.on_submit(&mut fx),
            Action::Cmd(c) => self.on_cmd(c, &mut fx),
        }
        if fx.contains(&Effect::Quit) {
            self.quit = true;
        }
        fx
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
            WorkerMsg::Loaded(Ok(a)) => {
                self.phase = Phase::Ready(Box::new(View::new(a)));
                self.focus = Pane::History;
                self.follow_all();
                self.request_preview(fx);
            }
            WorkerMsg::Loaded(Err(e)) => self.phase = Phase::Failed(e),
            WorkerMsg::Preview(doc) => {
                let h = self.inner_height(Pane::Preview);
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                if doc.req.gen != v.preview.gen {
                    return; // the user has moved on: stale
                }
                let p = &mut v.preview;
                p.scroll = doc
                    .target_line
                    .map(|t| t.saturating_sub(h.saturating_sub(2) / 3))
                    .unwrap_or(0);
                p.doc = Some(*doc);
            }
            WorkerMsg::SearchHits { gen, hits } => {
                if let Phase::Ready(v) = &mut self.phase {
                    if gen == v.search.gen {
                        v.search.hits.extend(hits);
                    }
                }
            }
            WorkerMsg::SearchDone { gen, error } => {
                if let Phase::Ready(v) = &mut self.phase {
                    if gen == v.search.gen {
                        v.search.running = false;
                        v.search.error = error.clone();
                        if let Some(e) = error {
                            self.message = Some((format!("search failed: {e}"), true));
                        } else if v.search.hits.is_empty() {
                            self.message = Some((
                                format!("no file in any layer contains {:?}", v.search.query),
                                false,
                            ));
                            if matches!(self.overlay, Overlay::Results { .. }) {
                                self.overlay = Overlay::None;
                            }
                        }
                    }
                }
            }
            WorkerMsg::Exported { req, result } => match result {
                Ok(p) => self.message = Some((format!("exported to {}", p.display()), false)),
                Err(f) if f.exists && !req.force => {
                    self.overlay = Overlay::Confirm {
                        req: ExportReq { force: true, ..req },
                        message: f.message,
                    };
                }
                Err(f) => self.message = Some((f.message, true)),
            },
        }
    }
}

impl App {
    /// Keeps every list's selection on screen after a move or a resize.
    fn follow_all(&mut self) {
        let th = self.inner_height(Pane::Tree);
        let hh = self.inner_height(Pane::History);
        let fh = self.inner_height(Pane::Findings);
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        let hl = v.visible_hist().len();
        v.hist.clamp(hl);
        v.hist.follow(hh, hl);
        v.tree.clamp(v.rows.len());
        v.tree.follow(th, v.rows.len());
        let fl = v.finding_rows();
        v.findings.clamp(fl);
        v.findings.follow(fh, fl);
    }

    /// Asks for the preview of the selected file as it is in the selected layer.
    fn request_preview(&mut self, fx: &mut Vec<Effect>) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        let Some(row) = v.rows.get(v.tree.sel).copied() else {
            v.preview.doc = None;
            v.preview.gen += 1;
            return;
        };
        v.preview.gen += 1;
        v.preview.scroll = 0;
        v.preview.hscroll = 0;
        v.preview.chunks.clear();
        let req = PreviewReq {
            gen: v.preview.gen,
            path: row.path,
            layer: v.layer,
            diff: v.preview.diff,
            reveal: v.reveal,
            start: 0,
            first_line: 1,
            target: v.preview.target.take(),
        };
        let mut doc = PreviewDoc::loading(req.clone());
        doc.title = format!("/{}", v.m.a.path_string(row.path));
        v.preview.doc = Some(doc);
        fx.push(Effect::Preview(req));
    }

    /// Re-asks for the current preview with a change (diff mode, chunk) keeping the selection.
    fn rerequest(&mut self, fx: &mut Vec<Effect>, f: impl FnOnce(&mut PreviewReq)) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        let Some(doc) = &v.preview.doc else { return };
        let mut req = doc.req.clone();
        v.preview.gen += 1;
        req.gen = v.preview.gen;
        req.diff = v.preview.diff;
        req.reveal = v.reveal;
        req.target = None;
        f(&mut req);
        let mut d = PreviewDoc::loading(req.clone());
        d.title = doc.title.clone();
        v.preview.doc = Some(d);
        v.preview.scroll = 0;
        fx.push(Effect::Preview(req));
    }

    fn set_filter(&mut self, text: String, fx: &mut Vec<Effect>) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        v.opts.filter = text;
        let before = v.selected_row().map(|r| r.path);
        v.rebuild();
        let after = v.selected_row().map(|r| r.path);
        self.follow_all();
        if before != after {
            self.request_preview(fx);
        }
    }

    fn tree_changed(&mut self, fx: &mut Vec<Effect>) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        let before = v.selected_row().map(|r| r.path);
        v.rebuild();
        let after = v.selected_row().map(|r| r.path);
        self.follow_all();
        if before != after || after.is_none() {
            self.request_preview(fx);
        }
    }

    fn on_char(&mut self, c: char, fx: &mut Vec<Effect>) {
        match &mut self.overlay {
            Overlay::Prompt { kind, text } => {
                text.push(c);
                if *kind == PromptKind::Filter {
                    let t = text.clone();
                    self.set_filter(t, fx);
                }
            }
            Overlay::Confirm { req, .. } => match c {
                'y' | 'Y' => {
                    fx.push(Effect::Export(req.clone()));
                    self.overlay = Overlay::None;
                }
                'n' | 'N' => {
                    self.overlay = Overlay::None;
                    self.message = Some(("not exported".into(), false));
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn on_submit(&mut self, fx: &mut Vec<Effect>) {
        let overlay = std::mem::replace(&mut self.overlay, Overlay::None);
        match overlay {
            Overlay::Prompt {
                kind: PromptKind::Filter,
                ..
            } => {}
            Overlay::Prompt {
                kind: PromptKind::Search,
                text,
            } => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                if text.is_empty() {
                    return;
                }
                v.search = SearchState {
                    gen: v.search.gen + 1,
                    query: text.clone(),
                    hits: Vec::new(),
                    running: true,
                    error: None,
                };
                fx.push(Effect::CancelSearch);
                fx.push(Effect::Search {
                    gen: v.search.gen,
                    needle: text,
                });
                self.overlay = Overlay::Results {
                    list: ListState::default(),
                };
            }
            Overlay::Prompt {
                kind: PromptKind::Export,
                text,
            } => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                let text = text.trim();
                if text.is_empty() {
                    return;
                }
                match v.selected_content() {
                    Some((layer, entry)) => fx.push(Effect::Export(ExportReq {
                        layer,
                        entry,
                        dest: PathBuf::from(text),
                        force: false,
                    })),
                    None => self.message = Some(("only files can be exported".into(), true)),
                }
            }
            // Overwriting needs an explicit y.
            other => self.overlay = other,
        }
    }

    fn on_mouse(&mut self, kind: MouseKind, x: u16, y: u16, fx: &mut Vec<Effect>) {
        if !matches!(self.overlay, Overlay::None) || self.view().is_none() {
            return;
        }
        let areas = self.areas();
        let Some(pane) = areas.hit(x, y) else { return };
        match kind {
            MouseKind::ScrollUp | MouseKind::ScrollDown => {
                let d: isize = if kind == MouseKind::ScrollUp { -3 } else { 3 };
                let prev = self.focus;
                self.focus = pane;
                self.move_sel(d, fx);
                self.focus = prev;
            }
            MouseKind::Click => {
                self.focus = pane;
                let r = areas.get(pane);
                if y <= r.y || y >= r.y + r.height.saturating_sub(1) {
                    return;
                }
                let row = (y - r.y - 1) as usize;
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                let (cur, len) = match pane {
                    Pane::History => (v.hist, v.visible_hist().len()),
                    Pane::Tree => (v.tree, v.rows.len()),
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

    /// Moves the focused pane's selection (or scroll) by `d` rows.
    fn move_sel(&mut self, d: isize, fx: &mut Vec<Effect>) {
        let focus = self.focus;
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        match focus {
            Pane::History => {
                let vis = v.visible_hist();
                v.hist.move_by(d, vis.len());
                if let Some(&r) = vis.get(v.hist.sel) {
                    let target = v.m.hist[r].target;
                    if target != v.layer && target < v.m.layer_count() {
                        v.select_layer(target);
                        self.follow_all();
                        self.request_preview(fx);
                        return;
                    }
                }
            }
            Pane::Tree => {
                let before = v.tree.sel;
                v.tree.move_by(d, v.rows.len());
                if v.tree.sel != before {
                    self.follow_all();
                    self.request_preview(fx);
                    return;
                }
            }
            Pane::Findings => {
                v.findings.move_by(d, v.finding_rows());
            }
            Pane::Preview => {
                let len = v.preview.doc.as_ref().map_or(0, |d| d.body_len());
                v.preview.scroll = (v.preview.scroll as isize + d)
                    .clamp(0, len.saturating_sub(1) as isize)
                    as usize;
            }
            Pane::Layer => v.layer_scroll = (v.layer_scroll as isize + d).max(0) as usize,
            Pane::Image => v.image_scroll = (v.image_scroll as isize + d).max(0) as usize,
        }
        self.follow_all();
    }

    fn page(&self) -> isize {
        self.inner_height(self.focus).saturating_sub(1).max(1) as isize
    }

    fn on_cmd(&mut self, c: Cmd, fx: &mut Vec<Effect>) {
        // Overlays first.
        match &mut self.overlay {
            Overlay::None => {}
            Overlay::Prompt { kind, .. } => {
                if c == Cmd::Cancel {
                    if *kind == PromptKind::Filter {
                        self.set_filter(String::new(), fx);
                    }
                    self.overlay = Overlay::None;
                } else if c == Cmd::Quit {
                    fx.push(Effect::Quit);
                }
                return;
            }
            Overlay::Confirm { .. } => {
                if c == Cmd::Cancel {
                    self.overlay = Overlay::None;
                    self.message = Some(("not exported".into(), false));
                } else if c == Cmd::Quit {
                    fx.push(Effect::Quit);
                }
                return;
            }
            Overlay::Help { scroll } => {
                match c {
                    Cmd::Down => *scroll += 1,
                    Cmd::Up => *scroll = scroll.saturating_sub(1),
                    Cmd::PageDown => *scroll += 10,
                    Cmd::PageUp => *scroll = scroll.saturating_sub(10),
                    Cmd::Top => *scroll = 0,
                    Cmd::Quit if self.view().is_none() => fx.push(Effect::Quit),
                    _ => self.overlay = Overlay::None,
                }
                return;
            }
            Overlay::Explain { scroll, .. } | Overlay::ExplainExternal { scroll, .. } => {
                match c {
                    Cmd::Down => *scroll += 1,
                    Cmd::Up => *scroll = scroll.saturating_sub(1),
                    _ => self.overlay = Overlay::None,
                }
                return;
            }
            Overlay::Results { list } => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                let len = v.search.hits.len();
                match c {
                    Cmd::Down => list.move_by(1, len),
                    Cmd::Up => list.move_by(-1, len),
                    Cmd::PageDown => list.move_by(10, len),
                    Cmd::PageUp => list.move_by(-10, len),
                    Cmd::Top => list.sel = 0,
                    Cmd::Bottom => list.sel = len.saturating_sub(1),
                    Cmd::Open | Cmd::Right => {
                        if let Some(h) = v.search.hits.get(list.sel).cloned() {
                            self.overlay = Overlay::None;
                            self.jump_to(h.layer, h.path, Some(h.offset), fx);
                        }
                        return;
                    }
                    Cmd::Quit => fx.push(Effect::Quit),
                    Cmd::Cancel | Cmd::SearchResults | Cmd::Search | Cmd::Help => {
                        self.overlay = Overlay::None;
                        if c == Cmd::Search {
                            self.overlay = Overlay::Prompt {
                                kind: PromptKind::Search,
                                text: String::new(),
                            };
                        }
                    }
                    _ => {}
                }
                let h = (self.height as usize).saturating_sub(8).max(1);
                if let Overlay::Results { list } = &mut self.overlay {
                    list.follow(h, len);
                }
                return;
            }
        }
        match &self.phase {
            Phase::Loading(_) => {
                match c {
                    Cmd::Quit | Cmd::Cancel => {
                        fx.push(Effect::CancelLoad);
                        fx.push(Effect::Quit);
                    }
                    Cmd::Help => self.overlay = Overlay::Help { scroll: 0 },
                    _ => {}
                }
                return;
            }
            Phase::Failed(_) => {
                match c {
                    Cmd::Quit | Cmd::Cancel => fx.push(Effect::Quit),
                    Cmd::Help => self.overlay = Overlay::Help { scroll: 0 },
                    _ => {}
                }
                return;
            }
            Phase::Ready(_) => {}
        }
        match c {
            Cmd::Quit => fx.push(Effect::Quit),
            Cmd::Help => self.overlay = Overlay::Help { scroll: 0 },
            Cmd::NextPane | Cmd::PrevPane => {
                let i = Pane::ORDER
                    .iter()
                    .position(|&p| p == self.focus)
                    .unwrap_or(0);
                let n = Pane::ORDER.len();
                let j = if c == Cmd::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.focus = Pane::ORDER[j];
            }
            Cmd::Zoom => {
                self.zoom = !self.zoom;
                self.follow_all();
            }
            Cmd::Up => self.move_sel(-1, fx),
            Cmd::Down => self.move_sel(1, fx),
            Cmd::PageUp => {
                let p = self.page();
                self.move_sel(-p, fx)
            }
            Cmd::PageDown => {
                let p = self.page();
                self.move_sel(p, fx)
            }
            Cmd::Top => self.move_sel(isize::MIN / 2, fx),
            Cmd::Bottom => self.move_sel(isize::MAX / 2, fx),
            Cmd::Cancel => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                if !v.opts.filter.is_empty() {
                    self.set_filter(String::new(), fx);
                } else if self.zoom {
                    self.zoom = false;
                    self.follow_all();
                }
            }
            Cmd::ToggleAdded | Cmd::ToggleRemoved | Cmd::ToggleModified | Cmd::ToggleUnchanged => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                let s = &mut v.opts.shown;
                let (flag, name) = match c {
                    Cmd::ToggleAdded => (&mut s.added, "added"),
                    Cmd::ToggleRemoved => (&mut s.removed, "removed"),
                    Cmd::ToggleModified => (&mut s.modified, "modified"),
                    _ => (&mut s.unchanged, "unchanged"),
                };
                *flag = !*flag;
                let msg = format!("{} {name} files", if *flag { "showing" } else { "hiding" });
                self.tree_changed(fx);
                self.message = Some((msg, false));
            }
            Cmd::ToggleAggregated => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                v.opts.aggregated = !v.opts.aggregated;
                self.tree_changed(fx);
            }
            Cmd::ToggleAttributes => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                v.opts.attributes = !v.opts.attributes;
            }
            Cmd::SortBySize => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                v.opts.sort_by_size = !v.opts.sort_by_size;
                self.tree_changed(fx);
            }
            Cmd::Filter => {
                let Phase::Ready(v) = &self.phase else { return };
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::Filter,
                    text: v.opts.filter.clone(),
                };
                self.focus = Pane::Tree;
            }
            Cmd::Search => {
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::Search,
                    text: String::new(),
                }
            }
            Cmd::SearchResults => {
                let Phase::Ready(v) = &self.phase else { return };
                if v.search.hits.is_empty() && !v.search.running {
                    self.message = Some(("no search results (press s to search)".into(), false));
                } else {
                    self.overlay = Overlay::Results {
                        list: ListState::default(),
                    };
                }
            }
            Cmd::HideBase => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                match v.base {
                    None => {
                        self.message = Some((
                            "no base image detected: press b on a history row to mark the last base layer".into(),
                            false,
                        ))
                    }
                    Some(b) => {
                        v.hide_base = !v.hide_base;
                        let msg = if v.hide_base {
                            format!("hiding the base image (layers 0-{b})")
                        } else {
                            "showing all layers".to_string()
                        };
                        self.after_base_change(fx);
                        self.message = Some((msg, false));
                    }
                }
            }
            Cmd::SetBase if self.focus == Pane::History => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                let vis = v.visible_hist();
                let Some(&r) = vis.get(v.hist.sel) else {
                    return;
                };
                let t = v.m.hist[r].target;
                if v.base == Some(t) {
                    v.base = None;
                    v.hide_base = false;
                    self.message = Some(("base image mark cleared".into(), false));
                } else if t + 1 >= v.m.layer_count() {
                    self.message = Some(("the base cannot be the last layer".into(), true));
                    return;
                } else {
                    v.base = Some(t);
                    self.message = Some((
                        format!("base image = layers 0-{t}; press z to hide them"),
                        false,
                    ));
                }
                self.after_base_change(fx);
            }
            Cmd::Open => self.open(fx),
            Cmd::ToggleCollapse if self.focus == Pane::Tree => self.toggle_collapse(fx),
            Cmd::ToggleCollapseAll if self.focus == Pane::Tree => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                v.opts.collapse_default = !v.opts.collapse_default;
                v.opts.toggled.clear();
                self.tree_changed(fx);
            }
            Cmd::Left => self.left(fx),
            Cmd::Right => self.right(fx),
            Cmd::ToggleDiff => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                v.preview.diff = !v.preview.diff;
                self.rerequest(fx, |_| {});
            }
            Cmd::Reveal => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                v.reveal = !v.reveal;
                let msg = if v.reveal {
                    "secrets revealed (r to mask)"
                } else {
                    "secrets masked"
                };
                let diff = v.preview.diff;
                self.message = Some((msg.into(), false));
                if diff {
                    self.rerequest(fx, |_| {});
                }
            }
            Cmd::NextChunk | Cmd::PrevChunk => self.chunk(c == Cmd::NextChunk, fx),
            Cmd::Export => {
                let Phase::Ready(v) = &self.phase else { return };
                let Some(row) = v.selected_row() else { return };
                if v.selected_content().is_none() {
                    self.message = Some(("only files can be exported".into(), true));
                    return;
                }
                let name = layerscope_core::paths::escape(v.m.a.tree.paths.name(row.path));
                self.overlay = Overlay::Prompt {
                    kind: PromptKind::Export,
                    text: format!("./{name}"),
                };
            }
            Cmd::Explain => {
                let Phase::Ready(v) = &self.phase else { return };
                match v.finding_row(v.findings.sel) {
                    Some(FindingRow::Own(f)) => {
                        self.overlay = Overlay::Explain {
                            finding: f,
                            scroll: 0,
                        }
                    }
                    Some(FindingRow::External(index)) => {
                        self.overlay = Overlay::ExplainExternal { index, scroll: 0 }
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }

    fn after_base_change(&mut self, fx: &mut Vec<Effect>) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        if !v.hide_base {
            v.base = v.base.or(v.m.base_guess);
        }
        let vis = v.visible_hist();
        let want = v.layer;
        match vis.iter().position(|&r| v.m.hist[r].layer == Some(want)) {
            Some(i) => v.hist.sel = i,
            None => {
                // The selected layer is now hidden: go to the first shown one.
                v.hist.sel = 0;
                if let Some(&r) = vis.first() {
                    v.layer = v.m.hist[r].target;
                }
            }
        }
        self.tree_changed(fx);
    }

    fn open(&mut self, fx: &mut Vec<Effect>) {
        match self.focus {
            Pane::History => self.focus = Pane::Tree,
            Pane::Tree => {
                let Phase::Ready(v) = &self.phase else { return };
                let Some(r) = v.selected_row() else { return };
                if r.is(F_KIDS) {
                    self.toggle_collapse(fx);
                } else {
                    self.focus = Pane::Preview;
                }
            }
            Pane::Findings => self.jump_to_finding(fx),
            _ => {}
        }
    }

    fn toggle_collapse(&mut self, fx: &mut Vec<Effect>) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        let Some(r) = v.selected_row().copied() else {
            return;
        };
        if !r.is(F_KIDS) {
            return;
        }
        if !v.opts.toggled.remove(&r.path) {
            v.opts.toggled.insert(r.path);
        }
        self.tree_changed(fx);
    }

    fn left(&mut self, fx: &mut Vec<Effect>) {
        match self.focus {
            Pane::Tree => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                let Some(r) = v.selected_row().copied() else {
                    return;
                };
                if r.is(F_KIDS) && !r.is(F_COLLAPSED) {
                    self.toggle_collapse(fx);
                } else if let Some(p) = v.m.a.tree.paths.parent(r.path) {
                    if let Some(i) = v.row_index(p) {
                        let d = i as isize - v.tree.sel as isize;
                        self.move_sel(d, fx);
                    }
                }
            }
            Pane::Preview => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                v.preview.hscroll = v.preview.hscroll.saturating_sub(8);
            }
            _ => {}
        }
    }

    fn right(&mut self, fx: &mut Vec<Effect>) {
        match self.focus {
            Pane::Tree => {
                let Phase::Ready(v) = &self.phase else { return };
                let Some(r) = v.selected_row().copied() else {
                    return;
                };
                if r.is(F_COLLAPSED) {
                    self.toggle_collapse(fx);
                } else if !r.is(F_DIR) {
                    self.focus = Pane::Preview;
                }
            }
            Pane::Preview => {
                let Phase::Ready(v) = &mut self.phase else {
                    return;
                };
                v.preview.hscroll += 8;
            }
            _ => {}
        }
    }

    fn chunk(&mut self, next: bool, fx: &mut Vec<Effect>) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        let Some(doc) = &v.preview.doc else { return };
        let (start, end, size, lines) = match &doc.body {
            Body::Text {
                lines,
                start,
                end,
                size,
            } => (*start, *end, *size, lines.len()),
            Body::Hex {
                bytes, start, size, ..
            } => (*start, *start + bytes.len() as u64, *size, 0),
            _ => return,
        };
        let first = doc.req.first_line;
        if next {
            if end >= size {
                self.message = Some(("end of file".into(), false));
                return;
            }
            v.preview.chunks.push((start, first));
            let chunks = v.preview.chunks.clone();
            self.rerequest(fx, |r| {
                r.start = end;
                r.first_line = first + lines;
            });
            if let Phase::Ready(v) = &mut self.phase {
                v.preview.chunks = chunks;
            }
        } else {
            let Some((s, f)) = v.preview.chunks.pop() else {
                self.message = Some(("start of file".into(), false));
                return;
            };
            let chunks = v.preview.chunks.clone();
            self.rerequest(fx, |r| {
                r.start = s;
                r.first_line = f;
            });
            if let Phase::Ready(v) = &mut self.phase {
                v.preview.chunks = chunks;
            }
        }
    }

    /// Shows `path` as of `layer` in the tree (expanding and unfiltering as needed) and opens
    /// its preview at `target`.
    pub fn jump_to(
        &mut self,
        layer: usize,
        path: PathId,
        target: Option<u64>,
        fx: &mut Vec<Effect>,
    ) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        if layer >= v.m.layer_count() {
            return;
        }
        if v.hide_base && v.base.is_some_and(|b| layer <= b) {
            v.hide_base = false;
        }
        v.layer = layer;
        let vis = v.visible_hist();
        if let Some(i) = vis.iter().position(|&r| v.m.hist[r].layer == Some(layer)) {
            v.hist.sel = i;
        }
        let a = v.m.a.clone();
        let mut anc = a.tree.paths.parent(path);
        while let Some(p) = anc {
            if p == ROOT {
                break;
            }
            if v.opts.collapse_default {
                v.opts.toggled.insert(p);
            } else {
                v.opts.toggled.remove(&p);
            }
            anc = a.tree.paths.parent(p);
        }
        v.rebuild();
        if v.row_index(path).is_none() {
            v.opts.filter.clear();
            v.opts.shown = Default::default();
            v.rebuild();
        }
        if let Some(i) = v.row_index(path) {
            v.tree.sel = i;
        }
        v.preview.target = target;
        self.focus = Pane::Preview;
        self.follow_all();
        self.request_preview(fx);
    }

    fn jump_to_finding(&mut self, fx: &mut Vec<Effect>) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        let fi = match v.finding_row(v.findings.sel) {
            Some(FindingRow::Own(fi)) => fi,
            Some(FindingRow::External(i)) => return self.jump_to_external(i, fx),
            None => return,
        };
        let a = v.m.a.clone();
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
                if let Some(i) = vis.iter().position(|&r| v.m.hist[r].history == Some(h)) {
                    let d = i as isize - v.hist.sel as isize;
                    self.focus = Pane::History;
                    self.move_sel(d, fx);
                    self.focus = Pane::History;
                }
            }
            _ => {
                self.focus = Pane::Image;
                self.message = Some((
                    "this secret is in the image config (Env, labels, Cmd): see the Image pane"
                        .into(),
                    false,
                ));
            }
        }
    }
}

impl App {
    /// Lists other scanners' findings in the findings pane (before ours) and selects the first,
    /// with the findings pane focused.
    pub fn set_external(&mut self, ext: Vec<Reconciled>) {
        let Phase::Ready(v) = &mut self.phase else {
            return;
        };
        let any = !ext.is_empty();
        v.external = ext;
        v.findings = ListState::default();
        if any {
            self.focus = Pane::Findings;
        }
        self.follow_all();
    }

    /// Opens a file version: the tree as of its layer, the path expanded and selected, the
    /// preview on it.
    pub fn goto(&mut self, g: Goto) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.jump_to(g.layer, g.path, None, &mut fx);
        fx
    }

    /// The status line for the selected external finding: tool, agreement and the note.
    pub fn external_status(r: &Reconciled) -> String {
        format!("[{}] {}: {}", r.ext.tool, r.tag(), r.note)
    }

    fn jump_to_external(&mut self, i: usize, fx: &mut Vec<Effect>) {
        let Phase::Ready(v) = &self.phase else { return };
        let Some(r) = v.external.get(i) else { return };
        let status = App::external_status(r);
        match (r.path, r.layer) {
            (Some(path), Some(layer)) => {
                // Open at our own match on the same line when there is one.
                let a = v.m.a.clone();
                let own = |f: &usize| a.findings.get(*f);
                let target = r
                    .own
                    .iter()
                    .filter_map(own)
                    .find(|f| r.ext.line.is_none_or(|l| f.line == l))
                    .map(|f| f.span.start as u64);
                self.jump_to(layer, path, target, fx);
                self.message = Some((status, false));
            }
            _ => self.message = Some((status, true)),
        }
    }
}

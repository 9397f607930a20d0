//! Searching file contents, exporting a file version, and going to a file version (search hits,
//! findings, `--goto`).

use std::path::PathBuf;

use layerscope_core::goto::Goto;
use layerscope_core::paths::{PathId, ROOT};

use super::loaded::{ListState, Loaded, SearchState};
use super::state::{App, Overlay, PromptKind, Session, Ui};
use crate::tui::action::{Cmd, Effect, ExportFail, ExportReq};
use crate::tui::pane::Pane;
use crate::tui::search::Hit;

impl Session<'_> {
    pub(super) fn open_search(&mut self) {
        self.ui.overlay = Overlay::Prompt {
            kind: PromptKind::Search,
            text: String::new(),
        };
    }

    pub(super) fn show_results(&mut self) {
        let s = &self.loaded.search;
        if s.hits.is_empty() && !s.running {
            let k = self.ui.key(Cmd::Search);
            self.ui
                .say(format!("no search results (press {k} to search)"), false);
        } else {
            self.ui.overlay = Overlay::Results {
                list: ListState::default(),
            };
        }
    }

    pub(super) fn start_search(&mut self, text: String, fx: &mut Vec<Effect>) {
        if text.is_empty() {
            return;
        }
        let s = &mut self.loaded.search;
        *s = SearchState {
            gen: s.gen + 1,
            query: text.clone(),
            hits: Vec::new(),
            running: true,
            error: None,
        };
        fx.push(Effect::CancelSearch);
        fx.push(Effect::Search {
            gen: s.gen,
            needle: text,
        });
        self.ui.overlay = Overlay::Results {
            list: ListState::default(),
        };
    }

    pub(super) fn on_search_hits(&mut self, gen: u64, hits: Vec<Hit>) {
        let s = &mut self.loaded.search;
        if gen == s.gen {
            s.hits.extend(hits);
        }
    }

    pub(super) fn on_search_done(&mut self, gen: u64, error: Option<String>) {
        let s = &mut self.loaded.search;
        if gen != s.gen {
            return;
        }
        s.running = false;
        s.error = error.clone();
        if let Some(e) = error {
            self.ui.say(format!("search failed: {e}"), true);
        } else if s.hits.is_empty() {
            let msg = format!("no file in any layer contains {:?}", s.query);
            self.ui.say(msg, false);
            if matches!(self.ui.overlay, Overlay::Results { .. }) {
                self.ui.overlay = Overlay::None;
            }
        }
    }

    /// Opens the export prompt, filled with the selected file's name.
    pub(super) fn open_export(&mut self) {
        let v = &*self.loaded;
        let Some(row) = v.selected_row() else { return };
        if v.selected_content().is_none() {
            self.ui.say("only files can be exported", true);
            return;
        }
        let name = layerscope_core::paths::escape(v.model.analysis.tree.paths.name(row.path));
        self.ui.overlay = Overlay::Prompt {
            kind: PromptKind::Export,
            text: format!("./{name}"),
        };
    }

    pub(super) fn export_to(&mut self, dest: &str, fx: &mut Vec<Effect>) {
        if dest.is_empty() {
            return;
        }
        match self.loaded.selected_content() {
            Some((layer, entry)) => fx.push(Effect::Export(ExportReq {
                layer,
                entry,
                dest: PathBuf::from(dest),
                force: false,
            })),
            None => self.ui.say("only files can be exported", true),
        }
    }

    /// Shows `path` as of `layer` in the tree (expanding and unfiltering as needed) and opens
    /// its preview at `target`.
    pub(super) fn jump_to(
        &mut self,
        layer: usize,
        path: PathId,
        target: Option<u64>,
        fx: &mut Vec<Effect>,
    ) {
        let v = &mut *self.loaded;
        if layer >= v.model.layer_count() {
            return;
        }
        if v.hide_base && v.base.is_some_and(|b| layer <= b) {
            v.hide_base = false;
        }
        v.layer = layer;
        let vis = v.visible_hist();
        let rows = &v.model.history_rows;
        if let Some(i) = vis.iter().position(|&r| rows[r].layer == Some(layer)) {
            v.history.sel = i;
        }
        let a = v.model.analysis.clone();
        let mut anc = a.tree.paths.parent(path);
        while let Some(p) = anc {
            if p == ROOT {
                break;
            }
            if v.tree_opts.collapse_default {
                v.tree_opts.toggled.insert(p);
            } else {
                v.tree_opts.toggled.remove(&p);
            }
            anc = a.tree.paths.parent(p);
        }
        v.rebuild();
        if v.row_index(path).is_none() {
            v.tree_opts.filter.clear();
            v.tree_opts.only = None;
            v.tree_opts.shown = Default::default();
            v.rebuild();
        }
        if let Some(i) = v.row_index(path) {
            v.tree.sel = i;
        }
        v.preview.target = target;
        self.ui.focus = Pane::Preview;
        self.follow_all();
        self.request_preview(fx);
    }
}

/// Which bytes an export wrote: `/etc/app.conf as of layer 2 (step 4)`, ghosts named as such.
pub(super) fn version_name(v: &Loaded, req: &ExportReq) -> String {
    let a = v.analysis();
    let Some(e) = a
        .layers
        .get(req.layer)
        .and_then(|l| l.entries.get(req.entry as usize))
    else {
        return format!("layer {}'s version", req.layer);
    };
    let step = a.layers[req.layer]
        .history
        .map(|h| format!(" (step {h})"))
        .unwrap_or_default();
    let removed = a
        .tree
        .superseded_by(e.path, req.layer)
        .filter(|s| s.change == layerscope_core::tree::Change::Removed)
        .map(|s| format!(", deleted in layer {}", s.layer))
        .unwrap_or_default();
    format!(
        "/{} as written in layer {}{step}{removed}",
        crate::tui::text::clean(&a.path_string(e.path)),
        req.layer
    )
}

impl Ui {
    /// An export finished: say where, or ask before overwriting.
    pub(super) fn on_exported(
        &mut self,
        req: ExportReq,
        result: Result<PathBuf, ExportFail>,
        what: Option<String>,
    ) {
        match result {
            Ok(p) => {
                let what = what.unwrap_or_else(|| format!("layer {}'s version", req.layer));
                self.say(format!("exported {what} to {}", p.display()), false)
            }
            Err(f) if f.exists && !req.force => {
                self.overlay = Overlay::Confirm {
                    req: ExportReq { force: true, ..req },
                    message: f.message,
                };
            }
            Err(f) => self.say(f.message, true),
        }
    }
}

impl App {
    /// Opens a file version: the tree as of its layer, the path expanded and selected, the
    /// preview on it.
    pub fn goto(&mut self, g: Goto) -> Vec<Effect> {
        let mut fx = Vec::new();
        if let Some(mut s) = self.session() {
            s.jump_to(g.layer, g.path, None, &mut fx);
        }
        fx
    }
}

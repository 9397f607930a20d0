//! The versions list: every version of one path across layers (layer, step, change, size,
//! findings), so that a clean latest version cannot hide an older one that held secrets.
//! Enter opens the chosen version in the tree and the preview.

use layerscope_core::paths::PathId;
use layerscope_core::tree::{Change, NO_ENTRY};

use super::loaded::ListState;
use super::state::{Overlay, Session};
use crate::tui::action::{Cmd, Effect};
use crate::tui::model::Model;

/// One version of a path, as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRow {
    pub layer: usize,
    /// The history step that made the layer.
    pub step: Option<usize>,
    pub change: Change,
    /// Bytes of the version (None for a removal or a directory).
    pub size: Option<u64>,
    /// Indices into the findings of this version's bytes.
    pub findings: Vec<usize>,
}

/// Every version of `path`, oldest first.
pub fn version_rows(m: &Model, path: PathId) -> Vec<VersionRow> {
    let a = &*m.analysis;
    a.tree
        .versions(path)
        .iter()
        .map(|v| {
            let layer = v.layer as usize;
            let entry = (v.entry != NO_ENTRY).then(|| a.entry(v)).flatten();
            VersionRow {
                layer,
                step: a.layers.get(layer).and_then(|l| l.history),
                change: v.change,
                size: entry.filter(|e| e.kind.has_content()).map(|e| e.size),
                findings: m
                    .by_version
                    .get(&(layer, v.entry))
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Layers other than `layer` whose version of `path` holds findings, with their counts.
pub fn other_findings(m: &Model, path: PathId, layer: usize) -> Vec<(usize, usize)> {
    version_rows(m, path)
        .into_iter()
        .filter(|r| r.layer != layer && !r.findings.is_empty())
        .map(|r| (r.layer, r.findings.len()))
        .collect()
}

impl Session<'_> {
    pub(super) fn open_versions(&mut self) {
        let v = &*self.loaded;
        let Some(row) = v.selected_row() else {
            self.ui.say("select a path first", false);
            return;
        };
        let path = row.path;
        let rows = version_rows(&v.model, path);
        // Start on the version shown now.
        let shown = v
            .model
            .analysis
            .tree
            .state_at(path, v.layer)
            .map(|s| s.layer as usize);
        let sel = rows
            .iter()
            .rposition(|r| Some(r.layer) == shown)
            .unwrap_or(rows.len().saturating_sub(1));
        self.ui.overlay = Overlay::Versions {
            path,
            list: ListState { sel, off: 0 },
        };
    }

    pub(super) fn versions_cmd(&mut self, c: Cmd, fx: &mut Vec<Effect>) {
        let Overlay::Versions { path, list } = &mut self.ui.overlay else {
            return;
        };
        let path = *path;
        let rows = version_rows(&self.loaded.model, path);
        let len = rows.len();
        match c {
            _ if list.navigate(c, len, 10) => {}
            Cmd::Open | Cmd::Right => {
                if let Some(r) = rows.get(list.sel) {
                    let a = self.loaded.model.analysis.clone();
                    let target = r.findings.first().map(|&f| a.findings[f].span.start as u64);
                    let layer = r.layer;
                    self.ui.overlay = Overlay::None;
                    self.jump_to(layer, path, target, fx);
                }
            }
            Cmd::Quit => fx.push(Effect::Quit),
            Cmd::Reveal => self.toggle_reveal(fx),
            _ => self.ui.overlay = Overlay::None,
        }
    }
}

//! The packages view of one layer: what its step installed, upgraded and removed (or every
//! package present after it), sortable by size; Enter narrows the tree to the selected
//! package's files. Rows come from the package model built during the analysis: nothing here
//! reads the image.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use layerscope_core::analysis::Analysis;
use layerscope_core::layer::EntryKind;
use layerscope_core::packages::{Manager, PackageId};
use layerscope_core::paths::PathId;

use super::loaded::ListState;
use super::state::{Overlay, Session};
use crate::tui::action::{Cmd, Effect};
use crate::tui::filetree::F_DIR;
use crate::tui::pane::Pane;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKind {
    Installed,
    Upgraded,
    Removed,
    /// Present after the layer, unchanged by it (listed when the view shows every package).
    Present,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageRow {
    pub kind: RowKind,
    pub package: PackageId,
    pub manager: Manager,
    pub name: String,
    pub version: String,
    pub old_version: Option<String>,
    /// Bytes of its files as of this layer (for a removed package: before it).
    pub size: u64,
    pub files: u32,
}

/// The view's state, kept in its overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackagesView {
    pub layer: usize,
    /// Every package present after the layer, not only what the layer changed.
    pub all: bool,
    pub by_size: bool,
    pub rows: Vec<PackageRow>,
    pub list: ListState,
}

/// The tree narrowed to one package's files (Enter in the packages view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlyPaths {
    pub package: PackageId,
    pub paths: Arc<HashSet<PathId>>,
}

fn sizes_at(a: &Analysis, layer: usize) -> HashMap<PackageId, (u64, u32)> {
    a.packages
        .layers
        .get(layer)
        .map(|l| l.present.iter().map(|p| (p.0, (p.1, p.2))).collect())
        .unwrap_or_default()
}

/// The rows for `layer`: by kind then name, or largest first when `by_size`.
pub(crate) fn rows(a: &Analysis, layer: usize, all: bool, by_size: bool) -> Vec<PackageRow> {
    let Some(l) = a.packages.layers.get(layer) else {
        return Vec::new();
    };
    let here = sizes_at(a, layer);
    let before = if l.removed.is_empty() {
        HashMap::new()
    } else {
        sizes_at(a, layer.saturating_sub(1))
    };
    let row = |kind, id: PackageId, old: Option<PackageId>| {
        let p = a.packages.package(id);
        let at = if kind == RowKind::Removed {
            &before
        } else {
            &here
        };
        let (size, files) = at.get(&id).copied().unwrap_or((0, 0));
        PackageRow {
            kind,
            package: id,
            manager: p.manager,
            name: p.name.clone(),
            version: p.version.clone(),
            old_version: old.map(|o| a.packages.package(o).version.clone()),
            size,
            files,
        }
    };
    let mut out: Vec<PackageRow> = l
        .installed
        .iter()
        .map(|&id| row(RowKind::Installed, id, None))
        .chain(
            l.upgraded
                .iter()
                .map(|c| row(RowKind::Upgraded, c.new, Some(c.old))),
        )
        .chain(l.removed.iter().map(|&id| row(RowKind::Removed, id, None)))
        .collect();
    if all {
        let changed: HashSet<PackageId> = out.iter().map(|r| r.package).collect();
        out.extend(
            l.present
                .iter()
                .filter(|p| !changed.contains(&p.0))
                .map(|p| row(RowKind::Present, p.0, None)),
        );
    }
    if by_size {
        out.sort_by(|x, y| y.size.cmp(&x.size).then_with(|| x.name.cmp(&y.name)));
    } else {
        out.sort_by(|x, y| (x.kind, &x.name, x.manager).cmp(&(y.kind, &y.name, y.manager)));
    }
    out
}

/// The paths of a package's files (anything but directories) present after `layer`, in path
/// order: what its database lists, or for an npm package what its folder holds.
pub fn files_of(a: &Analysis, layer: usize, id: PackageId) -> Vec<PathId> {
    let Some(listed) = a.packages.listed(id) else {
        return Vec::new();
    };
    let kind_at = |p: PathId| {
        a.tree
            .state_at(p, layer)
            .filter(|v| v.present())
            .map(|v| a.kind_of(v))
    };
    let mut out: Vec<PathId> = listed
        .files
        .iter()
        .map(|f| f.0)
        .filter(|&p| kind_at(p).is_some_and(|k| k != EntryKind::Dir))
        .collect();
    let mut stack: Vec<PathId> = listed.dirs.clone();
    while let Some(d) = stack.pop() {
        for c in a.tree.paths.children(d) {
            match kind_at(c) {
                Some(EntryKind::Dir) if a.tree.paths.name(c) != b"node_modules" => stack.push(c),
                Some(EntryKind::Dir) | None => {}
                Some(_) => out.push(c),
            }
        }
    }
    out.sort_by_key(|&p| a.tree.paths.path(p));
    out.dedup();
    out
}

impl PackagesView {
    fn new(a: &Analysis, layer: usize) -> PackagesView {
        let mut v = PackagesView {
            layer,
            all: false,
            by_size: false,
            rows: Vec::new(),
            list: ListState::default(),
        };
        v.refresh(a);
        v
    }

    /// Recomputes the rows, keeping the selected package selected when it is still listed.
    fn refresh(&mut self, a: &Analysis) {
        let keep = self.rows.get(self.list.sel).map(|r| r.package);
        self.rows = rows(a, self.layer, self.all, self.by_size);
        self.list.sel = keep
            .and_then(|k| self.rows.iter().position(|r| r.package == k))
            .unwrap_or(0);
        self.list.clamp(self.rows.len());
    }
}

impl Session<'_> {
    /// Opens the packages view of the selected layer.
    pub(super) fn open_packages(&mut self) {
        let a = self.loaded.model.analysis.clone();
        if a.packages.is_empty() {
            self.ui.say(
                "no package database in this image (dpkg, apk, rpm, Python, npm)",
                false,
            );
            return;
        }
        let view = PackagesView::new(&a, self.loaded.layer);
        self.ui.overlay = Overlay::Packages(Box::new(view));
        self.follow_packages();
    }

    /// Opens the view on the layer that installed `name` at `version`, that package selected
    /// (Enter on another scanner's vulnerability in a package).
    pub(super) fn open_package(&mut self, layer: usize, name: &str, version: &str) {
        self.select_layer_row(layer);
        self.open_packages();
        if let Overlay::Packages(v) = &mut self.ui.overlay {
            if let Some(i) = v
                .rows
                .iter()
                .position(|r| r.name == name && r.version == version)
            {
                v.list.sel = i;
            }
        }
        self.follow_packages();
    }

    /// Keys while the packages view is open.
    pub(super) fn packages_cmd(&mut self, c: Cmd, fx: &mut Vec<Effect>) {
        let a = self.loaded.model.analysis.clone();
        let page = (self.ui.height as usize).saturating_sub(6).max(1);
        let Overlay::Packages(v) = &mut self.ui.overlay else {
            return;
        };
        let len = v.rows.len();
        match c {
            _ if v.list.navigate(c, len, page) => {}
            Cmd::SortBySize => {
                v.by_size ^= true;
                v.refresh(&a);
            }
            Cmd::ToggleAggregated => {
                v.all ^= true;
                v.refresh(&a);
            }
            Cmd::Left | Cmd::Right => {
                let to = if c == Cmd::Left {
                    v.layer.checked_sub(1)
                } else {
                    Some(v.layer + 1).filter(|&l| l < a.layers.len())
                };
                let Some(to) = to else { return };
                v.layer = to;
                v.list = ListState::default();
                v.refresh(&a);
                self.select_layer_row(to);
                self.follow_all();
                self.request_preview(fx);
            }
            Cmd::Open => return self.list_package_files(fx),
            Cmd::Quit => fx.push(Effect::Quit),
            Cmd::Help => self.ui.overlay = Overlay::Help { scroll: 0 },
            Cmd::Cancel | Cmd::Packages => self.ui.overlay = Overlay::None,
            _ => {}
        }
        self.follow_packages();
    }

    fn follow_packages(&mut self) {
        let h = (self.ui.height as usize).saturating_sub(6).max(1);
        if let Overlay::Packages(v) = &mut self.ui.overlay {
            v.list.follow(h, v.rows.len());
        }
    }

    /// Makes `layer` the selected one, as choosing its history row does.
    fn select_layer_row(&mut self, layer: usize) {
        let v = &mut *self.loaded;
        if layer >= v.model.layer_count() {
            return;
        }
        if v.hide_base && v.base.is_some_and(|b| layer <= b) {
            v.hide_base = false;
        }
        let vis = v.visible_hist();
        let rows = &v.model.history_rows;
        if let Some(i) = vis.iter().position(|&r| rows[r].layer == Some(layer)) {
            v.history.sel = i;
        }
        v.select_layer(layer);
    }

    /// Enter: the tree narrowed to the selected package's files as of the view's layer (for a
    /// removed package, the files this layer removed), the first of them selected.
    fn list_package_files(&mut self, fx: &mut Vec<Effect>) {
        let Overlay::Packages(view) = &self.ui.overlay else {
            return;
        };
        let Some(row) = view.rows.get(view.list.sel).cloned() else {
            return;
        };
        let layer = view.layer;
        let a = self.loaded.model.analysis.clone();
        let from = if row.kind == RowKind::Removed {
            layer.saturating_sub(1)
        } else {
            layer
        };
        let paths = files_of(&a, from, row.package);
        let shown = |s: &str| crate::tui::ui::packages::shown_text(&a, s, self.loaded.reveal);
        let what = format!("{} {}", shown(&row.name), shown(&row.version));
        if paths.is_empty() {
            self.ui.say(format!("{what} owns no file here"), false);
            return;
        }
        let n = paths.len();
        self.ui.overlay = Overlay::None;
        self.select_layer_row(layer);
        let v = &mut *self.loaded;
        v.tree_opts.only = Some(OnlyPaths {
            package: row.package,
            paths: Arc::new(paths.into_iter().collect()),
        });
        v.rebuild();
        if !v.tree_rows.iter().any(|r| !r.is(F_DIR)) {
            // Hidden by the tree's toggles: show them all, as of this layer.
            v.tree_opts.aggregated = true;
            v.tree_opts.shown = Default::default();
            v.rebuild();
        }
        v.tree.sel = v.tree_rows.iter().position(|r| !r.is(F_DIR)).unwrap_or(0);
        self.ui.focus = Pane::Tree;
        self.follow_all();
        self.request_preview(fx);
        let esc = self.ui.key(Cmd::Cancel);
        self.ui.say(
            format!("{n} files of {what}; {esc} shows every file"),
            false,
        );
    }

    /// Esc in the tree: drops the package narrowing first. True when there was one.
    pub(super) fn clear_package_filter(&mut self, fx: &mut Vec<Effect>) -> bool {
        if self.loaded.tree_opts.only.take().is_none() {
            return false;
        }
        self.tree_changed(fx);
        true
    }
}

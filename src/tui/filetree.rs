//! The file tree as of one layer, computed from the path-interned index (`Tree::state_at`,
//! `paths.children`) on demand: nothing is copied per layer. A rebuild walks the paths once
//! (O(files)) and yields only the rows that are visible (collapsed directories are not
//! descended); the pane then renders only the window of rows on screen.

use std::collections::HashSet;

use layerscope_core::analysis::Analysis;
use layerscope_core::layer::EntryKind;
use layerscope_core::paths::{PathId, ROOT};
use layerscope_core::tree::{Change, Version, NO_ENTRY};

/// Which change kinds are shown (dive's Ctrl+A/R/M/U).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shown {
    pub added: bool,
    pub modified: bool,
    pub removed: bool,
    pub unchanged: bool,
}

impl Default for Shown {
    fn default() -> Self {
        Shown {
            added: true,
            modified: true,
            removed: true,
            unchanged: true,
        }
    }
}

impl Shown {
    pub(crate) fn shows(&self, c: Change) -> bool {
        match c {
            Change::Added => self.added,
            Change::Modified => self.modified,
            Change::Removed => self.removed,
            Change::Unchanged => self.unchanged,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeOpts {
    /// false: only this layer's changes; true: everything up to this layer.
    pub aggregated: bool,
    pub shown: Shown,
    /// Case-insensitive substring of the full path.
    pub filter: String,
    pub sort_by_size: bool,
    pub attributes: bool,
    /// Directories start collapsed when true; `toggled` flips single directories.
    pub collapse_default: bool,
    pub toggled: HashSet<PathId>,
    /// First layer of the range shown in aggregated mode (above a hidden base image).
    pub lowest: usize,
    /// Only these paths (one package's files, from the packages view), with their directories.
    pub only: Option<crate::tui::app::OnlyPaths>,
}

impl Default for TreeOpts {
    fn default() -> Self {
        TreeOpts {
            aggregated: true,
            shown: Shown::default(),
            filter: String::new(),
            sort_by_size: false,
            attributes: true,
            collapse_default: false,
            toggled: HashSet::new(),
            lowest: 0,
            only: None,
        }
    }
}

impl TreeOpts {
    pub(crate) fn collapsed(&self, p: PathId) -> bool {
        self.collapse_default != self.toggled.contains(&p)
    }
}

pub(crate) const F_DIR: u8 = 1;
pub(crate) const F_COLLAPSED: u8 = 2;
pub(crate) const F_GHOST: u8 = 4;
pub(crate) const F_FINDING: u8 = 8;
pub(crate) const F_KIDS: u8 = 16;
/// Shown only because something below it is (not itself in the view).
pub(crate) const F_CONTEXT: u8 = 32;
/// A file whose shown version is clean while another version of the path has findings.
pub(crate) const F_ELSEWHERE: u8 = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub path: PathId,
    pub depth: u16,
    pub change: Change,
    pub flags: u8,
    /// Layer of the version in effect (for a removal: the removing layer).
    pub layer: u16,
    /// File bytes, or for a directory the bytes of its visible files.
    pub size: u64,
}

impl Row {
    pub(crate) fn is(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// Is this removal a ghost: a file whose bytes still sit in a lower layer?
pub(crate) fn is_ghost(a: &Analysis, v: &Version) -> bool {
    if v.change != Change::Removed {
        return false;
    }
    a.tree
        .previous(v.path, v.layer as usize)
        .and_then(|p| a.entry(p))
        .is_some_and(|e| e.kind.has_content())
}

/// The version whose bytes a view of `v` shows: itself, or for a ghost the version it removed.
pub(crate) fn content_version<'a>(a: &'a Analysis, v: &'a Version) -> Option<&'a Version> {
    if v.change == Change::Removed {
        a.tree.previous(v.path, v.layer as usize)
    } else {
        Some(v)
    }
}

/// Answers "does this file version hold a finding?" for the `!` marks.
pub(crate) trait Marks {
    fn marked(&self, layer: usize, entry: u32) -> bool;
    /// Does any version of this path hold a finding? (For the mark on its clean versions.)
    fn path_marked(&self, _path: PathId) -> bool {
        false
    }
}

impl Marks for () {
    fn marked(&self, _: usize, _: u32) -> bool {
        false
    }
}

struct Info {
    change: Change,
    flags: u8,
    layer: u16,
    size: u64,
}

/// Builds the visible rows of the tree as of `layer`.
pub(crate) fn build(a: &Analysis, layer: usize, opts: &TreeOpts, marks: &dyn Marks) -> Vec<Row> {
    if a.tree.layer_count == 0 || layer >= a.tree.layer_count {
        return Vec::new();
    }
    let n = a.tree.paths.len();
    let mut info: Vec<Option<Info>> = Vec::with_capacity(n);
    info.resize_with(n, || None);
    let needle = opts.filter.to_lowercase();
    let mut path_buf = String::new();
    let ctx = TreeWalk {
        a,
        layer,
        opts,
        marks,
        needle: &needle,
    };
    for c in a.tree.paths.children(ROOT) {
        ctx.visit(c, &mut info, &mut path_buf);
    }
    let mut rows = Vec::new();
    emit(a, ROOT, 0, opts, &info, &mut rows);
    rows
}

struct TreeWalk<'a> {
    a: &'a Analysis,
    layer: usize,
    opts: &'a TreeOpts,
    marks: &'a dyn Marks,
    needle: &'a str,
}

impl TreeWalk<'_> {
    /// Post-order: decides whether `p` is visible and sums visible sizes. Returns visibility.
    fn visit(&self, p: PathId, info: &mut [Option<Info>], path_buf: &mut String) -> bool {
        let a = self.a;
        let Some(v) = a.tree.state_at(p, self.layer) else {
            return false; // never existed up to here: nothing below it did either
        };
        let here = v.layer as usize == self.layer;
        let in_range = if self.opts.aggregated {
            v.layer as usize >= self.opts.lowest
        } else {
            here
        };
        let change = if here {
            v.change
        } else if v.change == Change::Removed {
            Change::Removed
        } else {
            Change::Unchanged
        };
        let kind = a.kind_of(v);
        let is_dir = kind == EntryKind::Dir;
        let shown_v = content_version(a, v);
        let size = shown_v
            .and_then(|sv| a.entry(sv))
            .filter(|e| e.kind.has_content())
            .map(|e| e.size)
            .unwrap_or(0);
        let mut flags = 0u8;
        if is_dir {
            flags |= F_DIR;
        }
        if is_ghost(a, v) {
            flags |= F_GHOST;
        }
        if let Some(sv) = shown_v {
            if sv.entry != NO_ENTRY && self.marks.marked(sv.layer as usize, sv.entry) {
                flags |= F_FINDING;
            }
        }
        if flags & F_FINDING == 0 && !is_dir && self.marks.path_marked(p) {
            flags |= F_ELSEWHERE;
        }
        let old_len = path_buf.len();
        let matches = if self.needle.is_empty() {
            true
        } else {
            if !path_buf.is_empty() {
                path_buf.push('/');
            }
            path_buf.push_str(&String::from_utf8_lossy(a.tree.paths.name(p)).to_lowercase());
            path_buf.contains(self.needle)
        };
        let listed = self.opts.only.as_ref().is_none_or(|o| o.paths.contains(&p));
        let mut self_visible = in_range && self.opts.shown.shows(change) && matches && listed;
        let mut any_kid = false;
        let mut kid_size = 0u64;
        let mut kid_finding = false;
        if is_dir || a.tree.paths.children(p).next().is_some() {
            for c in a.tree.paths.children(p) {
                if self.visit(c, info, path_buf) {
                    any_kid = true;
                    if let Some(ci) = &info[c as usize] {
                        kid_size += ci.size;
                        kid_finding |= ci.flags & F_FINDING != 0;
                    }
                }
            }
        }
        path_buf.truncate(old_len);
        if any_kid {
            flags |= F_KIDS;
            if !self_visible {
                flags |= F_CONTEXT;
            }
            self_visible = true;
        }
        if kid_finding {
            flags |= F_FINDING;
        }
        if !self_visible {
            return false;
        }
        info[p as usize] = Some(Info {
            change,
            flags,
            layer: v.layer,
            size: if is_dir { kid_size } else { size },
        });
        true
    }
}

fn emit(
    a: &Analysis,
    dir: PathId,
    depth: u16,
    opts: &TreeOpts,
    info: &[Option<Info>],
    rows: &mut Vec<Row>,
) {
    let mut kids: Vec<PathId> = a
        .tree
        .paths
        .children(dir)
        .filter(|&c| info[c as usize].is_some())
        .collect();
    if opts.sort_by_size {
        // Stable: equal sizes keep name order.
        kids.sort_by_key(|&c| std::cmp::Reverse(info[c as usize].as_ref().map_or(0, |i| i.size)));
    }
    for c in kids {
        let Some(i) = &info[c as usize] else { continue };
        let mut flags = i.flags;
        let collapsed = flags & F_KIDS != 0
            && opts.collapsed(c)
            && opts.filter.is_empty()
            && opts.only.is_none();
        if collapsed {
            flags |= F_COLLAPSED;
        }
        rows.push(Row {
            path: c,
            depth,
            change: i.change,
            flags,
            layer: i.layer,
            size: i.size,
        });
        if flags & F_KIDS != 0 && !collapsed {
            emit(a, c, depth + 1, opts, info, rows);
        }
    }
}

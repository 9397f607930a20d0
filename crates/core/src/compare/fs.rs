//! The filesystem diff of two images (or of any two layers): paths are matched by name through
//! both path tables at once, so no full path string is built for the paths that did not change.

use crate::analysis::Analysis;
use crate::layer::{Entry, EntryKind};
use crate::paths::{PathId, ROOT};
use crate::tree::{Change, Location, Version, NO_ENTRY};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FsChange {
    Added,
    Removed,
    Modified,
}

impl FsChange {
    pub fn name(self) -> &'static str {
        match self {
            FsChange::Added => "added",
            FsChange::Removed => "removed",
            FsChange::Modified => "modified",
        }
    }
}

/// What differs between two versions of a path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct What {
    pub content: bool,
    pub mode: bool,
    pub owner: bool,
    pub link: bool,
    pub kind: bool,
}

impl What {
    pub fn any(&self) -> bool {
        self.content || self.mode || self.owner || self.link || self.kind
    }
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.kind, "kind"),
            (self.content, "content"),
            (self.mode, "mode"),
            (self.owner, "owner"),
            (self.link, "link"),
        ]
        .into_iter()
        .filter_map(|(on, n)| on.then_some(n))
        .collect()
    }
}

#[derive(Clone, Debug)]
pub struct FileChange {
    /// Without a leading `/`.
    pub path: Vec<u8>,
    pub change: FsChange,
    /// The kind in NEW (in OLD for a removal).
    pub kind: EntryKind,
    pub old_kind: Option<EntryKind>,
    pub old_size: Option<u64>,
    pub new_size: Option<u64>,
    pub what: What,
    /// The NEW layer that made the change (for a removal: the layer that removed the path, when
    /// NEW ever had it).
    pub layer: Option<usize>,
    pub history: Option<usize>,
    /// Where each side's version lives (`entry` is `NO_ENTRY` for an implied directory).
    pub old_at: Option<Location>,
    pub new_at: Option<Location>,
}

/// Metadata of one present version; an implied parent directory has no entry.
struct Meta<'a> {
    kind: EntryKind,
    entry: Option<&'a Entry>,
}

fn meta<'a>(a: &'a Analysis, v: &Version) -> Meta<'a> {
    match a.entry(v) {
        Some(e) => Meta {
            kind: e.kind,
            entry: Some(e),
        },
        None => Meta {
            kind: EntryKind::Dir,
            entry: None,
        },
    }
}

fn what(o: &Meta, n: &Meta) -> What {
    let mut w = What {
        kind: o.kind != n.kind,
        ..What::default()
    };
    let (Some(oe), Some(ne)) = (o.entry, n.entry) else {
        // An implied directory has no metadata of its own to differ in.
        return w;
    };
    if w.kind {
        // Another kind of thing altogether: its mode and owner are not a change of their own.
        return w;
    }
    w.mode = (oe.mode & 0o7777) != (ne.mode & 0o7777);
    w.owner = oe.uid != ne.uid || oe.gid != ne.gid;
    if o.kind != EntryKind::Dir {
        w.content = oe.kind.has_content() && (oe.size != ne.size || oe.hash != ne.hash);
        w.link = oe.link != ne.link;
    }
    w
}

/// The present version of `path` after `layer`.
fn present(a: &Analysis, path: PathId, layer: Option<usize>) -> Option<&Version> {
    a.tree.state_at(path, layer?).filter(|v| v.present())
}

/// The NEW version that actually made the state seen after `layer`: identical re-writes
/// (`Unchanged`) hand the credit down to the version they repeat.
fn maker(a: &Analysis, path: PathId, layer: usize) -> Option<&Version> {
    a.tree
        .versions(path)
        .iter()
        .rev()
        .filter(|v| v.layer as usize <= layer)
        .find(|v| v.change != Change::Unchanged)
}

fn loc(v: &Version) -> Location {
    Location {
        layer: v.layer as usize,
        entry: v.entry,
    }
}

fn size(a: &Analysis, v: &Version) -> u64 {
    a.entry(v).map_or(0, |e| e.size)
}

/// The filesystem after `old_layer` of OLD against the filesystem after `new_layer` of NEW
/// (`None`: before any layer, an empty filesystem), in path order.
pub fn diff_layers(
    old: &Analysis,
    old_layer: Option<usize>,
    new: &Analysis,
    new_layer: Option<usize>,
) -> Vec<FileChange> {
    let (op, np) = (&old.tree.paths, &new.tree.paths);
    let mut to_new: Vec<Option<PathId>> = vec![None; op.len()];
    let mut matched = vec![false; np.len()];
    let mut stack: Vec<(PathId, Option<PathId>)> = vec![(ROOT, Some(ROOT))];
    while let Some((o, n)) = stack.pop() {
        for c in op.children(o) {
            let nc = n.and_then(|n| np.find_child(n, op.name(c)));
            to_new[c as usize] = nc;
            if let Some(nc) = nc {
                matched[nc as usize] = true;
            }
            stack.push((c, nc));
        }
    }
    let attribute = |p: PathId, c: &mut FileChange| {
        let Some(l) = new_layer else { return };
        if let Some(v) = maker(new, p, l) {
            c.layer = Some(v.layer as usize);
            c.history = new.layers[v.layer as usize].history;
        }
    };
    let mut out = Vec::new();
    for (o, n) in to_new.iter().enumerate().skip(1) {
        let o = o as PathId;
        let ov = present(old, o, old_layer);
        let nv = n.and_then(|n| present(new, n, new_layer));
        let c = match (ov, nv) {
            (None, None) => continue,
            (Some(ov), None) => {
                let mut c = FileChange {
                    path: op.path(o),
                    change: FsChange::Removed,
                    kind: meta(old, ov).kind,
                    old_kind: None,
                    old_size: Some(size(old, ov)),
                    new_size: None,
                    what: What::default(),
                    layer: None,
                    history: None,
                    old_at: Some(loc(ov)),
                    new_at: None,
                };
                if let Some(n) = *n {
                    attribute(n, &mut c);
                }
                c
            }
            (None, Some(nv)) => added(new, n.unwrap_or(ROOT), nv, &attribute),
            (Some(ov), Some(nv)) => {
                let (om, nm) = (meta(old, ov), meta(new, nv));
                let w = what(&om, &nm);
                if !w.any() {
                    continue;
                }
                let mut c = FileChange {
                    path: op.path(o),
                    change: FsChange::Modified,
                    kind: nm.kind,
                    old_kind: w.kind.then_some(om.kind),
                    old_size: Some(size(old, ov)),
                    new_size: Some(size(new, nv)),
                    what: w,
                    layer: None,
                    history: None,
                    old_at: Some(loc(ov)),
                    new_at: Some(loc(nv)),
                };
                attribute(n.unwrap_or(ROOT), &mut c);
                c
            }
        };
        out.push(c);
    }
    for (n, seen) in matched.iter().enumerate().skip(1) {
        if *seen {
            continue;
        }
        let n = n as PathId;
        if let Some(nv) = present(new, n, new_layer) {
            out.push(added(new, n, nv, &attribute));
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn added(
    new: &Analysis,
    n: PathId,
    nv: &Version,
    attribute: &dyn Fn(PathId, &mut FileChange),
) -> FileChange {
    let mut c = FileChange {
        path: new.tree.paths.path(n),
        change: FsChange::Added,
        kind: meta(new, nv).kind,
        old_kind: None,
        old_size: None,
        new_size: Some(size(new, nv)),
        what: What::default(),
        layer: None,
        history: None,
        old_at: None,
        new_at: Some(loc(nv)),
    };
    attribute(n, &mut c);
    c
}

impl FileChange {
    /// The entry of a side's version, when it has one (not an implied directory).
    pub fn entry(a: &Analysis, at: Option<Location>) -> Option<&Entry> {
        let at = at?;
        if at.entry == NO_ENTRY {
            return None;
        }
        a.layers.get(at.layer)?.entries.get(at.entry as usize)
    }
}

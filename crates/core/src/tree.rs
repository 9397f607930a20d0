//! Merging layers into the filesystem as it stands after each layer. Every change of every path
//! is one `Version` record; views for any layer are read from those records, never by copying a
//! tree per layer, so memory grows with entries, not with entries × layers. A removed or
//! overwritten file version keeps pointing at the layer entry that still holds its bytes: the
//! "ghosts" an attacker recovers with `tar -x`.

use std::collections::{HashMap, HashSet};

use crate::error::Warning;
use crate::layer::{EntryKind, LayerIndex, WhiteoutKind};
use crate::paths::{PathId, PathTable, ROOT};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Modified,
    Removed,
    /// Re-written with identical content and metadata (parent dirs re-emitted by the builder).
    Unchanged,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Modified => "modified",
            Change::Removed => "removed",
            Change::Unchanged => "unchanged",
        }
    }
}

pub const NO_ENTRY: u32 = u32::MAX;

/// What happened to one path in one layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    pub path: PathId,
    pub layer: u16,
    pub change: Change,
    /// Index into that layer's entries; `NO_ENTRY` for removals and implied parent directories.
    pub entry: u32,
}

impl Version {
    pub fn present(&self) -> bool {
        self.change != Change::Removed
    }
}

pub struct Tree {
    pub paths: PathTable,
    /// All versions, sorted by (path, layer).
    versions: Vec<Version>,
    /// For each path, where its versions start in `versions` (len = paths + 1).
    path_start: Vec<u32>,
    /// Indices into `versions` for each layer, in path order.
    by_layer: Vec<Vec<u32>>,
    pub layer_count: usize,
    pub warnings: Vec<Warning>,
}

/// Where the bytes of a file version live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub layer: usize,
    pub entry: u32,
}

impl Tree {
    /// Merges indexed layers (already interned into `paths`) in order.
    pub fn build(mut paths: PathTable, layers: &[LayerIndex]) -> Tree {
        paths.finish();
        let n = paths.len();
        // Current state per path: the layer and entry that provide it.
        let mut cur: Vec<Option<(u16, u32)>> = vec![None; n];
        let mut out: Vec<Version> = Vec::new();
        let mut warnings = Vec::new();
        let kind_of = |state: (u16, u32)| -> Option<EntryKind> {
            (state.1 != NO_ENTRY).then(|| layers[state.0 as usize].entries[state.1 as usize].kind)
        };
        for (li, layer) in layers.iter().enumerate() {
            let l = li as u16;
            let mut removed_here: HashSet<PathId> = HashSet::new();
            // Whiteouts act on lower layers only, before this layer's own entries, wherever the
            // marker sits in the tar.
            for w in &layer.whiteouts {
                match w.kind {
                    WhiteoutKind::Opaque => {
                        for d in paths.descendants(w.path) {
                            if cur[d as usize].is_some() {
                                cur[d as usize] = None;
                                removed_here.insert(d);
                            }
                        }
                    }
                    WhiteoutKind::Path => {
                        if cur[w.path as usize].is_none() {
                            warnings.push(Warning::new(
                                "whiteout-nothing",
                                format!(
                                    "layer {li} whites out {}, which no lower layer holds",
                                    crate::paths::escape(&paths.path(w.path))
                                ),
                            ));
                            continue;
                        }
                        cur[w.path as usize] = None;
                        removed_here.insert(w.path);
                        for d in paths.descendants(w.path) {
                            if cur[d as usize].is_some() {
                                cur[d as usize] = None;
                                removed_here.insert(d);
                            }
                        }
                    }
                }
            }
            // Last entry for a path wins within a layer.
            let mut last: HashMap<PathId, u32> = HashMap::with_capacity(layer.entries.len());
            for (ei, e) in layer.entries.iter().enumerate() {
                last.insert(e.path, ei as u32);
            }
            let mut written: HashMap<PathId, Change> = HashMap::with_capacity(layer.entries.len());
            for (ei, e) in layer.entries.iter().enumerate() {
                let ei = ei as u32;
                if last.get(&e.path) != Some(&ei) {
                    continue;
                }
                // Parents that the tar does not list are implied directories.
                let mut anc = paths.parent(e.path);
                while let Some(a) = anc {
                    if a == ROOT {
                        break;
                    }
                    match cur[a as usize] {
                        Some(s) if kind_of(s).is_none_or(|k| k == EntryKind::Dir) => break,
                        Some(_) => {
                            // A file stands where a directory is needed: it is replaced.
                            written.insert(a, Change::Modified);
                        }
                        None => {
                            let c = if removed_here.contains(&a) {
                                Change::Modified
                            } else {
                                Change::Added
                            };
                            written.entry(a).or_insert(c);
                        }
                    }
                    cur[a as usize] = Some((l, NO_ENTRY));
                    anc = paths.parent(a);
                }
                let prev = cur[e.path as usize];
                let change = match prev {
                    None => {
                        if removed_here.contains(&e.path) {
                            Change::Modified
                        } else {
                            Change::Added
                        }
                    }
                    // Implied earlier in this very layer by a child listed before it.
                    Some(p) if p.0 == l && p.1 == NO_ENTRY => {
                        written.get(&e.path).copied().unwrap_or(Change::Added)
                    }
                    Some(p) => {
                        let pk = kind_of(p);
                        if pk.is_none_or(|k| k == EntryKind::Dir) && e.kind != EntryKind::Dir {
                            // Directory replaced by a non-directory: its children go too.
                            for d in paths.descendants(e.path) {
                                if cur[d as usize].is_some() {
                                    cur[d as usize] = None;
                                    removed_here.insert(d);
                                }
                            }
                        }
                        match pk {
                            None if e.kind == EntryKind::Dir => Change::Unchanged,
                            None => Change::Modified,
                            Some(_) => {
                                let old = &layers[p.0 as usize].entries[p.1 as usize];
                                if same(old, e) {
                                    Change::Unchanged
                                } else {
                                    Change::Modified
                                }
                            }
                        }
                    }
                };
                cur[e.path as usize] = Some((l, ei));
                written.insert(e.path, change);
                out.push(Version {
                    path: e.path,
                    layer: l,
                    change,
                    entry: ei,
                });
            }
            for (p, change) in written {
                let ent = cur[p as usize].map(|s| s.1).unwrap_or(NO_ENTRY);
                if ent == NO_ENTRY {
                    out.push(Version {
                        path: p,
                        layer: l,
                        change,
                        entry: NO_ENTRY,
                    });
                }
            }
            let mut removed_here: Vec<PathId> = removed_here.into_iter().collect();
            removed_here.sort_unstable();
            for p in removed_here {
                // Removed and then re-created in the same layer: the entry's version stands.
                if cur[p as usize].is_none() {
                    out.push(Version {
                        path: p,
                        layer: l,
                        change: Change::Removed,
                        entry: NO_ENTRY,
                    });
                }
            }
        }
        out.sort_unstable_by_key(|v| (v.path, v.layer));
        out.shrink_to_fit();
        let mut path_start = vec![0u32; n + 1];
        for v in &out {
            path_start[v.path as usize + 1] += 1;
        }
        for i in 0..n {
            path_start[i + 1] += path_start[i];
        }
        let mut per_layer = vec![0usize; layers.len()];
        for v in &out {
            per_layer[v.layer as usize] += 1;
        }
        let mut by_layer: Vec<Vec<u32>> =
            per_layer.iter().map(|&k| Vec::with_capacity(k)).collect();
        for (i, v) in out.iter().enumerate() {
            by_layer[v.layer as usize].push(i as u32);
        }
        Tree {
            paths,
            versions: out,
            path_start,
            by_layer,
            layer_count: layers.len(),
            warnings,
        }
    }

    /// Every version of a path, oldest first.
    pub fn versions(&self, path: PathId) -> &[Version] {
        let (a, b) = (
            self.path_start[path as usize],
            self.path_start[path as usize + 1],
        );
        &self.versions[a as usize..b as usize]
    }

    /// The version of `path` in effect after `layer` (None: never existed up to there).
    pub fn state_at(&self, path: PathId, layer: usize) -> Option<&Version> {
        self.versions(path)
            .iter()
            .rev()
            .find(|v| (v.layer as usize) <= layer)
    }

    /// Does `path` exist after `layer`?
    pub fn exists_at(&self, path: PathId, layer: usize) -> bool {
        path == ROOT || self.state_at(path, layer).is_some_and(Version::present)
    }

    /// The versions written by one layer, in path order (Unchanged re-writes included).
    pub fn layer_versions(&self, layer: usize) -> impl Iterator<Item = &Version> + '_ {
        self.by_layer[layer]
            .iter()
            .map(move |&i| &self.versions[i as usize])
    }

    /// The version of `path` written exactly in `layer`.
    pub fn version_in(&self, path: PathId, layer: usize) -> Option<&Version> {
        self.versions(path)
            .iter()
            .find(|v| v.layer as usize == layer)
    }

    /// The present version before `layer` (what a removal or a modification replaced).
    pub fn previous(&self, path: PathId, layer: usize) -> Option<&Version> {
        self.versions(path)
            .iter()
            .rev()
            .find(|v| (v.layer as usize) < layer)
            .filter(|v| v.present())
    }

    /// The first later version that removed or replaced this one.
    pub fn superseded_by(&self, path: PathId, layer: usize) -> Option<&Version> {
        self.versions(path)
            .iter()
            .find(|v| (v.layer as usize) > layer && v.change != Change::Unchanged)
    }

    pub fn all_versions(&self) -> &[Version] {
        &self.versions
    }

    /// Approximate heap bytes, for the memory-per-entry figure.
    pub fn heap_bytes(&self) -> usize {
        self.paths.heap_bytes()
            + self.versions.capacity() * std::mem::size_of::<Version>()
            + self.path_start.capacity() * 4
            + self
                .by_layer
                .iter()
                .map(|v| v.capacity() * 4)
                .sum::<usize>()
    }
}

fn same(a: &crate::layer::Entry, b: &crate::layer::Entry) -> bool {
    a.kind == b.kind
        && a.mode == b.mode
        && a.uid == b.uid
        && a.gid == b.gid
        && (a.kind == EntryKind::Dir || (a.size == b.size && a.hash == b.hash && a.link == b.link))
}

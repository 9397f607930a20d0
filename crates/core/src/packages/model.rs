//! Packages per layer. At every layer whose package database files changed, that database is
//! read as the filesystem stands there (each database file version parsed once), compared with
//! the layer below (installed / upgraded / removed), and its file lists are resolved to paths of
//! the tree (following directory symlinks such as merged-usr `bin -> usr/bin`). Every file
//! version written by a layer is then owned by the package that lists it at that layer.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::db_paths::DbKey;
pub use super::read::LayerBlob;
use super::{Checksum, FileState, Manager, Package};
use crate::error::Warning;
use crate::layer::{Entry, EntryKind};
use crate::paths::{PathId, ROOT};
use crate::tree::{Tree, NO_ENTRY};

mod builder;

pub use builder::build;

pub type PackageId = u32;

/// One installed version of a package (a reinstall after removal is a new one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageInfo {
    pub manager: Manager,
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    /// The database it came from (`var/lib/dpkg/status`, a dist-info folder, …).
    pub db: String,
    /// The layer that installed (or upgraded to) this version.
    pub layer: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileOwner {
    pub package: PackageId,
    pub checksum: Option<Checksum>,
}

impl FileOwner {
    pub fn state(&self, data: &[u8]) -> FileState {
        match self.checksum {
            None => FileState::Unchecked,
            Some(c) if c.matches(data) => FileState::Unmodified,
            Some(_) => FileState::Modified,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackageChange {
    pub old: PackageId,
    pub new: PackageId,
}

/// What one layer did to the packages, and how its bytes split between them.
#[derive(Clone, Debug, Default)]
pub struct LayerPackages {
    pub installed: Vec<PackageId>,
    pub upgraded: Vec<PackageChange>,
    pub removed: Vec<PackageId>,
    /// Every package present after this layer with the bytes and count of its files then.
    pub present: Vec<(PackageId, u64, u32)>,
    pub owned_files: u64,
    pub owned_bytes: u64,
    /// Regular files this layer wrote that no package lists (what the build added by hand).
    pub unowned_files: u64,
    pub unowned_bytes: u64,
    /// Bytes of file versions written here that a later layer removed or replaced.
    pub wasted_bytes: u64,
}

#[derive(Debug, Default)]
pub struct Model {
    pub packages: Vec<PackageInfo>,
    pub layers: Vec<LayerPackages>,
    /// Per layer: entry index -> owner.
    owners: Vec<HashMap<u32, FileOwner>>,
    /// Bytes of each package's file versions that a later layer removed or replaced.
    pub wasted: HashMap<PackageId, u64>,
    pub warnings: Vec<Warning>,
    /// Per package: the paths its database lists (see `Model::listed`).
    pub(super) listed: Vec<Option<Listed>>,
}

/// The paths one package version's database lists, resolved at the layer it came with; an npm
/// package lists its folder instead (it owns the folder minus nested `node_modules`).
#[derive(Clone, Debug, Default)]
pub struct Listed {
    /// Each listed path with the checksum the database records for it.
    pub files: Vec<(PathId, Option<Checksum>)>,
    pub dirs: Vec<PathId>,
}

impl Model {
    pub fn owner(&self, layer: usize, entry: u32) -> Option<&FileOwner> {
        self.owners.get(layer)?.get(&entry)
    }
    pub fn package(&self, id: PackageId) -> &PackageInfo {
        &self.packages[id as usize]
    }
    /// Packages in the final filesystem with their size and file count, largest first.
    pub fn final_packages(&self) -> Vec<(PackageId, u64, u32)> {
        let mut v = self
            .layers
            .last()
            .map(|l| l.present.clone())
            .unwrap_or_default();
        v.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| self.package(a.0).name.cmp(&self.package(b.0).name))
        });
        v
    }
    /// The owned entries of one layer.
    pub fn owned(&self, layer: usize) -> impl Iterator<Item = (u32, &FileOwner)> + '_ {
        self.owners
            .get(layer)
            .into_iter()
            .flatten()
            .map(|(e, o)| (*e, o))
    }
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }
    /// What a package version lists: its files while it is installed, whichever layer wrote
    /// them (ownership by file version follows the last package to list a path, so a version
    /// upgraded later owns none of the files the upgrade did not rewrite).
    pub fn listed(&self, id: PackageId) -> Option<&Listed> {
        self.listed.get(id as usize)?.as_ref()
    }
}

/// A file version, due for attribution at the last layer in which it is present.
struct Due {
    layer: u16,
    entry: u32,
    path: PathId,
    superseded: bool,
}

/// File versions grouped by their last present layer: a version is owned by the package that
/// lists its path while it stands, so a file moved to another package by an upgrade that left
/// its bytes alone belongs to the new package, and a removed package's files to the old one.
fn due_layers(tree: &Tree, entries: &[&[Entry]]) -> Vec<Vec<Due>> {
    let n = tree.layer_count;
    let mut due: Vec<Vec<Due>> = (0..n).map(|_| Vec::new()).collect();
    for v in tree.all_versions() {
        if !v.present() || v.entry == NO_ENTRY {
            continue;
        }
        if entries[v.layer as usize][v.entry as usize].kind == EntryKind::Dir {
            continue;
        }
        let next = tree.superseded_by(v.path, v.layer as usize);
        let last = next.map_or(n - 1, |s| (s.layer as usize).saturating_sub(1));
        due[last].push(Due {
            layer: v.layer,
            entry: v.entry,
            path: v.path,
            superseded: next.is_some(),
        });
    }
    due
}

/// The nearest enclosing npm package folder.
fn npm_owner(tree: &Tree, p: PathId, dirs: &HashMap<PathId, PackageId>) -> Option<PackageId> {
    if dirs.is_empty() {
        return None;
    }
    let mut cur = tree.paths.parent(p);
    while let Some(d) = cur {
        if let Some(&id) = dirs.get(&d) {
            return Some(id);
        }
        if d == ROOT {
            break;
        }
        cur = tree.paths.parent(d);
    }
    None
}

/// Bytes and files of every present package at `layer`.
fn sizes(
    tree: &Tree,
    entries: &[&[Entry]],
    index: &HashMap<PathId, FileOwner>,
    npm_dirs: &HashMap<PathId, PackageId>,
    dbs: &BTreeMap<DbKey, Vec<(PackageId, Rc<Package>)>>,
    layer: usize,
) -> Vec<(PackageId, u64, u32)> {
    let mut acc: HashMap<PackageId, (u64, u32)> = dbs
        .values()
        .flatten()
        .map(|(id, _)| (*id, (0, 0)))
        .collect();
    let file_size = |p: PathId| -> Option<u64> {
        let v = tree
            .state_at(p, layer)
            .filter(|v| v.present() && v.entry != NO_ENTRY)?;
        let e = &entries[v.layer as usize][v.entry as usize];
        (e.kind == EntryKind::File).then_some(e.size)
    };
    for (&p, o) in index {
        if let Some(s) = file_size(p) {
            let a = acc.entry(o.package).or_default();
            a.0 += s;
            a.1 += 1;
        }
    }
    for (&d, &id) in npm_dirs {
        let mut stack = vec![d];
        while let Some(x) = stack.pop() {
            for c in tree.paths.children(x) {
                if npm_dirs.contains_key(&c) || !tree.exists_at(c, layer) {
                    continue;
                }
                if let Some(s) = file_size(c) {
                    let a = acc.entry(id).or_default();
                    a.0 += s;
                    a.1 += 1;
                }
                stack.push(c);
            }
        }
    }
    let mut v: Vec<(PackageId, u64, u32)> =
        acc.into_iter().map(|(id, (s, n))| (id, s, n)).collect();
    v.sort_unstable_by_key(|x| x.0);
    v
}

/// Resolves a listed path at `layer`, following symlinked directories on the way (merged-usr
/// images list `/bin/bash` for `usr/bin/bash`). Directories themselves are not owned.
pub fn resolve(tree: &Tree, entries: &[&[Entry]], path: &[u8], layer: usize) -> Option<PathId> {
    let kind_at = |p: PathId| -> Option<(EntryKind, u32, u16)> {
        let v = tree.state_at(p, layer).filter(|v| v.present())?;
        if v.entry == NO_ENTRY {
            return Some((EntryKind::Dir, NO_ENTRY, v.layer));
        }
        Some((
            entries[v.layer as usize][v.entry as usize].kind,
            v.entry,
            v.layer,
        ))
    };
    if let Some(p) = tree.paths.lookup(path) {
        if let Some((k, _, _)) = kind_at(p) {
            return (k != EntryKind::Dir).then_some(p);
        }
    }
    // Walk component by component, replacing symlinked directories by their targets.
    let mut comps: Vec<Vec<u8>> = path
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    comps.reverse();
    let mut cur = ROOT;
    let mut hops = 0;
    while let Some(c) = comps.pop() {
        if c == b".." {
            cur = tree.paths.parent(cur).unwrap_or(ROOT);
            continue;
        }
        let next = tree.paths.find_child(cur, &c)?;
        let (k, ent, l) = kind_at(next)?;
        if k == EntryKind::Symlink && !comps.is_empty() {
            hops += 1;
            if hops > 16 {
                return None;
            }
            let target = entries[l as usize][ent as usize].link.as_deref()?;
            if target.starts_with(b"/") {
                cur = ROOT;
            }
            for t in target
                .rsplit(|&b| b == b'/')
                .filter(|t| !t.is_empty() && *t != b".")
            {
                comps.push(t.to_vec());
            }
            continue;
        }
        cur = next;
    }
    let (k, _, _) = kind_at(cur)?;
    (cur != ROOT && k != EntryKind::Dir).then_some(cur)
}

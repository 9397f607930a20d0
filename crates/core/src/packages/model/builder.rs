//! Building the [`Model`]: each changed database read as the filesystem stands at its layer,
//! compared with the layer below, and its file lists resolved to paths of the tree.

use super::{
    due_layers, npm_owner, resolve, sizes, Due, FileOwner, LayerPackages, Listed, Model,
    PackageChange, PackageId, PackageInfo,
};
use crate::error::Warning;
use crate::layer::{Entry, EntryKind};
use crate::packages::db_paths::{db_key, may_be_db, split, DbKey, APK_DB};
use crate::packages::read::read_spans;
use crate::packages::read::LayerBlob;
use crate::packages::{apk, dpkg, npm, python, rpm, Manager, Package, MAX_DB_FILE};
use crate::paths::PathId;
use crate::tree::{Change, Tree, NO_ENTRY};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

fn may_be_db_dir(tree: &Tree, p: PathId) -> bool {
    tree.paths
        .parent(p)
        .is_some_and(|d| tree.paths.name(d) == b"status.d")
}

/// One parsed database file version, shared by every layer that still has it.
enum Parsed {
    Status(Vec<dpkg::Stanza>),
    List(Vec<Vec<u8>>),
    Md5(Vec<crate::packages::ListedFile>),
    Bytes(Vec<u8>),
    Skipped,
}

/// Parses one file: (path, bytes, name for messages, warnings).
type ParseFn<'a> = dyn Fn(&[u8], &[u8], &str, &mut Vec<String>) -> Parsed + 'a;

/// What identifies "the same package" from one layer to the next.
type Identity = (Manager, String, Option<String>, Vec<u8>);

struct Builder<'a> {
    tree: &'a Tree,
    entries: &'a [&'a [Entry]],
    blobs: &'a [LayerBlob<'a>],
    captured: Option<&'a crate::packages::capture::Captured>,
    cache: HashMap<(u16, u32), Rc<Parsed>>,
    warnings: Vec<Warning>,
}

/// Builds the package model. `entries[i]` and `blobs[i]` describe layer `i`.
pub fn build(
    tree: &Tree,
    entries: &[&[Entry]],
    blobs: &[LayerBlob],
    captured: Option<&crate::packages::capture::Captured>,
) -> Model {
    let mut b = Builder {
        tree,
        entries,
        blobs,
        captured,
        cache: HashMap::new(),
        warnings: Vec::new(),
    };
    let n = tree.layer_count;
    let mut model = Model {
        layers: vec![LayerPackages::default(); n],
        owners: vec![HashMap::new(); n],
        ..Default::default()
    };
    // Current packages per database, and the identity -> id of every present package.
    let mut dbs: BTreeMap<DbKey, Vec<(PackageId, Rc<Package>)>> = BTreeMap::new();
    let mut index: HashMap<PathId, FileOwner> = HashMap::new();
    let mut npm_dirs: HashMap<PathId, PackageId> = HashMap::new();
    let due = due_layers(tree, entries);
    for (layer, due) in due.iter().enumerate() {
        let changed = b.changed_dbs(layer);
        for key in &changed {
            let pkgs = b.read_db(key, layer);
            let old = dbs.remove(key).unwrap_or_default();
            let mut old_by_id: HashMap<Identity, PackageId> = old
                .iter()
                .map(|(id, _)| (identity(&model.packages[*id as usize]), *id))
                .collect();
            let mut now = Vec::with_capacity(pkgs.len());
            for (mgr, db, p) in pkgs {
                let ident: Identity = (mgr, p.name.clone(), p.arch.clone(), scope(key));
                let id = match old_by_id.remove(&ident) {
                    Some(id) if model.packages[id as usize].version == p.version => id,
                    prev => {
                        let id = model.packages.len() as PackageId;
                        model.packages.push(PackageInfo {
                            manager: mgr,
                            name: p.name.clone(),
                            version: p.version.clone(),
                            arch: p.arch.clone(),
                            db,
                            layer,
                        });
                        let lp = &mut model.layers[layer];
                        match prev {
                            Some(old) => lp.upgraded.push(PackageChange { old, new: id }),
                            None => lp.installed.push(id),
                        }
                        id
                    }
                };
                now.push((id, Rc::new(p)));
            }
            for id in old_by_id.into_values() {
                model.layers[layer].removed.push(id);
            }
            if !now.is_empty() {
                dbs.insert(key.clone(), now);
            }
        }
        // A database moved between keys (python upgrade renames the dist-info folder): the
        // same identity removed from one key and added in another is an upgrade.
        fold_moves(&mut model, layer, &mut dbs);
        if !changed.is_empty() {
            index.clear();
            npm_dirs.clear();
            model.listed.resize_with(model.packages.len(), || None);
            for list in dbs.values() {
                for (id, p) in list {
                    // What a version lists is kept from the layer it came with.
                    let mut listed = model.listed[*id as usize].is_none().then(Listed::default);
                    for f in &p.files {
                        if let Some(pid) = resolve(tree, entries, &f.path, layer) {
                            index.insert(
                                pid,
                                FileOwner {
                                    package: *id,
                                    checksum: f.checksum,
                                },
                            );
                            if let Some(l) = &mut listed {
                                l.files.push((pid, f.checksum));
                            }
                        }
                    }
                    for d in &p.dirs {
                        if let Some(pid) = tree.paths.lookup(d) {
                            npm_dirs.insert(pid, *id);
                            if let Some(l) = &mut listed {
                                l.dirs.push(pid);
                            }
                        }
                    }
                    if listed.is_some() {
                        model.listed[*id as usize] = listed;
                    }
                }
            }
        }
        b.attribute(&mut model, due, &index, &npm_dirs);
        model.layers[layer].present = sizes(tree, entries, &index, &npm_dirs, &dbs, layer);
    }
    model.warnings = b.warnings;
    model
}

fn identity(p: &PackageInfo) -> Identity {
    let scope = match p.manager {
        Manager::Python | Manager::Npm => split(p.db.as_bytes()).0.to_vec(),
        _ => Vec::new(),
    };
    (p.manager, p.name.clone(), p.arch.clone(), scope)
}

/// Python and npm packages are "the same" within one folder of packages.
fn scope(key: &DbKey) -> Vec<u8> {
    match key {
        DbKey::Python(d) | DbKey::Npm(d) => split(d).0.to_vec(),
        _ => Vec::new(),
    }
}

fn fold_moves(
    model: &mut Model,
    layer: usize,
    dbs: &mut BTreeMap<DbKey, Vec<(PackageId, Rc<Package>)>>,
) {
    let lp = &mut model.layers[layer];
    if lp.installed.is_empty() {
        return;
    }
    let mut by_ident: HashMap<Identity, PackageId> = lp
        .removed
        .iter()
        .map(|&id| (identity(&model.packages[id as usize]), id))
        .collect();
    // `pip install --upgrade --target` leaves the old dist-info folder behind: an older copy
    // of the same package in the same folder is superseded metadata, not a second install.
    let fresh: std::collections::HashSet<PackageId> = lp.installed.iter().copied().collect();
    let mut stale: HashMap<Identity, PackageId> = HashMap::new();
    for list in dbs.values() {
        for (id, _) in list {
            let p = &model.packages[*id as usize];
            if !fresh.contains(id) && matches!(p.manager, Manager::Python | Manager::Npm) {
                stale.insert(identity(p), *id);
            }
        }
    }
    let mut moved: std::collections::HashSet<PackageId> = std::collections::HashSet::new();
    let mut installed = Vec::new();
    let mut superseded = std::collections::HashSet::new();
    for &id in &lp.installed {
        let ident = identity(&model.packages[id as usize]);
        if let Some(old) = by_ident.remove(&ident) {
            moved.insert(old);
            lp.upgraded.push(PackageChange { old, new: id });
        } else if let Some(old) = stale.remove(&ident) {
            superseded.insert(old);
            lp.upgraded.push(PackageChange { old, new: id });
        } else {
            installed.push(id);
        }
    }
    lp.installed = installed;
    lp.removed.retain(|r| !moved.contains(r));
    if !superseded.is_empty() {
        for list in dbs.values_mut() {
            list.retain(|(id, _)| !superseded.contains(id));
        }
        dbs.retain(|_, l| !l.is_empty());
    }
}

impl Builder<'_> {
    /// Databases with a file written or removed by `layer`.
    fn changed_dbs(&self, layer: usize) -> Vec<DbKey> {
        let mut keys: Vec<DbKey> = self
            .tree
            .layer_versions(layer)
            .filter(|v| v.change != Change::Unchanged)
            .filter(|v| may_be_db(self.tree.paths.name(v.path)) || may_be_db_dir(self.tree, v.path))
            .filter_map(|v| db_key(&self.tree.paths.path(v.path)))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The present version of `path` at `layer` when it is a regular file.
    fn file_at(&self, p: PathId, layer: usize) -> Option<(u16, u32)> {
        let v = self
            .tree
            .state_at(p, layer)
            .filter(|v| v.present() && v.entry != NO_ENTRY)?;
        let e = &self.entries[v.layer as usize][v.entry as usize];
        e.kind.has_content().then_some((v.layer, v.entry))
    }

    /// Reads and parses these file versions (each once across the whole image).
    fn load(&mut self, wanted: &[(u16, u32)], parse: &ParseFn) -> Vec<Rc<Parsed>> {
        let mut by_layer: BTreeMap<u16, Vec<u32>> = BTreeMap::new();
        for &(l, e) in wanted {
            if !self.cache.contains_key(&(l, e)) {
                by_layer.entry(l).or_default().push(e);
            }
        }
        for (l, mut ents) in by_layer {
            ents.sort_unstable();
            ents.dedup();
            let layer = &self.entries[l as usize];
            if let Some(c) = self.captured {
                // Bytes kept during the pass: parsed without reading the layer again.
                ents.retain(|&e| {
                    let Some(data) = c.get(l, e) else { return true };
                    let path = self.tree.paths.path(layer[e as usize].path);
                    let shown = format!("layer {l}: {}", crate::paths::escape(&path));
                    let mut w = Vec::new();
                    let parsed = parse(&path, &data, &shown, &mut w);
                    for m in w {
                        if self.warnings.len() < 200 {
                            self.warnings.push(Warning::new("package-db", m));
                        }
                    }
                    self.cache.insert((l, e), Rc::new(parsed));
                    false
                });
            }
            let (ok, big): (Vec<u32>, Vec<u32>) = ents
                .into_iter()
                .partition(|&e| layer[e as usize].size <= MAX_DB_FILE);
            for e in big {
                let shown = crate::paths::escape(&self.tree.paths.path(layer[e as usize].path));
                self.warn(format!(
                    "layer {l}: {shown} is larger than {MAX_DB_FILE} bytes; not read as a package database"
                ));
                self.cache.insert((l, e), Rc::new(Parsed::Skipped));
            }
            let spans: Vec<(u64, u64)> = ok
                .iter()
                .map(|&e| (layer[e as usize].offset, layer[e as usize].size))
                .collect();
            match read_spans(&self.blobs[l as usize], &spans) {
                Ok(datas) => {
                    for (e, data) in ok.iter().zip(datas) {
                        let path = self.tree.paths.path(layer[*e as usize].path);
                        let shown = format!("layer {l}: {}", crate::paths::escape(&path));
                        let mut w = Vec::new();
                        let parsed = parse(&path, &data, &shown, &mut w);
                        for m in w {
                            self.warn(m);
                        }
                        self.cache.insert((l, *e), Rc::new(parsed));
                    }
                }
                Err(err) => {
                    self.warn(format!("layer {l}: package database not readable: {err}"));
                    for e in ok {
                        self.cache.insert((l, e), Rc::new(Parsed::Skipped));
                    }
                }
            }
        }
        wanted.iter().map(|k| self.cache[k].clone()).collect()
    }

    fn warn(&mut self, m: String) {
        // One malformed database must not flood the report.
        const MAX: usize = 200;
        if self.warnings.len() < MAX {
            self.warnings.push(Warning::new("package-db", m));
        }
    }

    /// The packages one database holds at `layer`: (manager, database path, package).
    fn read_db(&mut self, key: &DbKey, layer: usize) -> Vec<(Manager, String, Package)> {
        match key {
            DbKey::Dpkg => self.read_dpkg(layer),
            DbKey::Apk => {
                let Some(v) = self
                    .tree
                    .paths
                    .lookup(APK_DB)
                    .and_then(|p| self.file_at(p, layer))
                else {
                    return Vec::new();
                };
                let got = self.load(&[v], &|_, d, _, _| Parsed::Bytes(d.to_vec()));
                let Parsed::Bytes(data) = &*got[0] else {
                    return Vec::new();
                };
                let parsed = apk::parse(data, &format!("layer {layer}: /lib/apk/db/installed"));
                for w in parsed.warnings {
                    self.warn(w);
                }
                let db = String::from_utf8_lossy(APK_DB).into_owned();
                parsed
                    .packages
                    .into_iter()
                    .map(|p| (Manager::Apk, db.clone(), p))
                    .collect()
            }
            DbKey::Rpm(dir) => self.read_rpm(dir, layer),
            DbKey::Python(dir) => self.read_python(dir, layer),
            DbKey::Npm(dir) => {
                let mut path = dir.clone();
                path.extend_from_slice(b"/package.json");
                let Some(v) = self
                    .tree
                    .paths
                    .lookup(&path)
                    .and_then(|p| self.file_at(p, layer))
                else {
                    return Vec::new();
                };
                let size = self.entries[v.0 as usize][v.1 as usize].size;
                if size > npm::MAX_PACKAGE_JSON {
                    return Vec::new();
                }
                let dir2 = dir.clone();
                let got = self.load(&[v], &|_, d, s, w| match npm::parse(&dir2, d, s, w) {
                    Some(p) => {
                        Parsed::Bytes(serde_json::to_vec(&(p.name, p.version)).unwrap_or_default())
                    }
                    None => Parsed::Skipped,
                });
                let Parsed::Bytes(nv) = &*got[0] else {
                    return Vec::new();
                };
                let Ok((name, version)) = serde_json::from_slice::<(String, String)>(nv) else {
                    return Vec::new();
                };
                let db = String::from_utf8_lossy(dir).into_owned();
                vec![(
                    Manager::Npm,
                    db,
                    Package {
                        name,
                        version,
                        arch: None,
                        files: Vec::new(),
                        dirs: vec![dir.clone()],
                    },
                )]
            }
        }
    }

    fn children_at(&self, dir: &[u8], layer: usize) -> Vec<(PathId, (u16, u32))> {
        let Some(d) = self.tree.paths.lookup(dir) else {
            return Vec::new();
        };
        self.tree
            .paths
            .children(d)
            .filter_map(|c| Some((c, self.file_at(c, layer)?)))
            .collect()
    }

    fn read_dpkg(&mut self, layer: usize) -> Vec<(Manager, String, Package)> {
        let mut stanzas = Vec::new();
        let mut db = "var/lib/dpkg/status".to_string();
        let status = self
            .tree
            .paths
            .lookup(b"var/lib/dpkg/status")
            .and_then(|p| self.file_at(p, layer));
        let mut status_files: Vec<(u16, u32)> = status.into_iter().collect();
        let status_d = self.children_at(b"var/lib/dpkg/status.d", layer);
        let md5_in_status_d: Vec<(PathId, (u16, u32))> = status_d
            .iter()
            .filter(|(p, _)| self.tree.paths.name(*p).ends_with(b".md5sums"))
            .cloned()
            .collect();
        if status.is_none() && !status_d.is_empty() {
            db = "var/lib/dpkg/status.d".into();
        }
        status_files.extend(
            status_d
                .iter()
                .filter(|(p, _)| !self.tree.paths.name(*p).ends_with(b".md5sums"))
                .map(|x| x.1),
        );
        let parse_status = |_: &[u8], d: &[u8], s: &str, w: &mut Vec<String>| {
            Parsed::Status(dpkg::parse_status(d, s, w))
        };
        for got in self.load(&status_files, &parse_status) {
            if let Parsed::Status(s) = &*got {
                stanzas.extend(s.iter().cloned());
            }
        }
        let mut info_files = self.children_at(b"var/lib/dpkg/info", layer);
        info_files.retain(|(p, _)| dpkg::info_name(self.tree.paths.name(*p)).is_some());
        info_files.extend(md5_in_status_d);
        let names: Vec<(String, Option<String>, dpkg::InfoKind)> = info_files
            .iter()
            .filter_map(|(p, _)| dpkg::info_name(self.tree.paths.name(*p)))
            .collect();
        let versions: Vec<(u16, u32)> = info_files.iter().map(|x| x.1).collect();
        let parse_info = |path: &[u8], d: &[u8], s: &str, w: &mut Vec<String>| match dpkg::info_name(
            split(path).1,
        ) {
            Some((_, _, dpkg::InfoKind::List)) => Parsed::List(dpkg::parse_list(d)),
            Some((_, _, dpkg::InfoKind::Md5sums)) => Parsed::Md5(dpkg::parse_md5sums(d, s, w)),
            None => Parsed::Skipped,
        };
        let parsed = self.load(&versions, &parse_info);
        let mut info: HashMap<(String, Option<String>), dpkg::Info> = HashMap::new();
        for ((pkg, arch, _), got) in names.into_iter().zip(parsed) {
            let slot = info.entry((pkg, arch)).or_default();
            match &*got {
                Parsed::List(l) => slot.list.extend(l.iter().cloned()),
                Parsed::Md5(m) => slot.md5sums.extend(m.iter().cloned()),
                _ => {}
            }
        }
        dpkg::assemble(stanzas, info)
            .into_iter()
            .map(|p| (Manager::Dpkg, db.clone(), p))
            .collect()
    }

    fn read_python(&mut self, dir: &[u8], layer: usize) -> Vec<(Manager, String, Package)> {
        let egg = dir.ends_with(b".egg-info");
        let (meta, list) = if egg {
            (&b"PKG-INFO"[..], &b"installed-files.txt"[..])
        } else {
            (&b"METADATA"[..], &b"RECORD"[..])
        };
        let at = |name: &[u8]| {
            let mut p = dir.to_vec();
            p.push(b'/');
            p.extend_from_slice(name);
            self.tree
                .paths
                .lookup(&p)
                .and_then(|id| self.file_at(id, layer))
        };
        let Some(m) = at(meta) else { return Vec::new() };
        let mut want = vec![m];
        let r = at(list);
        want.extend(r);
        let got = self.load(&want, &|_, d, _, _| Parsed::Bytes(d.to_vec()));
        let Parsed::Bytes(md) = &*got[0] else {
            return Vec::new();
        };
        let rec = got.get(1).and_then(|g| match &**g {
            Parsed::Bytes(b) => Some(b.as_slice()),
            _ => None,
        });
        let shown = format!("layer {layer}: {}", crate::paths::escape(dir));
        let mut w = Vec::new();
        let pkg = if egg {
            python::parse_metadata(md).map(|(name, version)| Package {
                name,
                version,
                arch: None,
                files: rec
                    .map(|r| python::parse_installed_files(r, dir))
                    .unwrap_or_default(),
                dirs: Vec::new(),
            })
        } else {
            python::dist_info(dir, md, rec, &shown, &mut w)
        };
        for m in w {
            self.warn(m);
        }
        let db = String::from_utf8_lossy(dir).into_owned();
        pkg.into_iter()
            .map(|p| (Manager::Python, db.clone(), p))
            .collect()
    }

    fn read_rpm(&mut self, dir: &str, layer: usize) -> Vec<(Manager, String, Package)> {
        let files = self.children_at(dir.as_bytes(), layer);
        let names: Vec<Vec<u8>> = files
            .iter()
            .map(|(p, _)| self.tree.paths.name(*p).to_vec())
            .collect();
        let sqlite = names.iter().position(|n| n == b"rpmdb.sqlite");
        let Some(i) = sqlite else {
            if let Some(n) = names.iter().find(|n| rpm::is_db_file(n)) {
                self.warn(format!(
                    "layer {layer}: /{dir}/{} is an rpm database in {} format, which is not read; its packages are not attributed",
                    crate::paths::escape(n),
                    rpm::format_name(n)
                ));
            }
            return Vec::new();
        };
        let got = self.load(&[files[i].1], &|_, d, _, _| Parsed::Bytes(d.to_vec()));
        let Parsed::Bytes(data) = &*got[0] else {
            return Vec::new();
        };
        let shown = format!("layer {layer}: /{dir}/rpmdb.sqlite");
        let parsed = rpm::parse_sqlite(data, &shown);
        for w in parsed.warnings {
            self.warn(w);
        }
        let db = format!("{dir}/rpmdb.sqlite");
        parsed
            .packages
            .into_iter()
            .map(|p| (Manager::Rpm, db.clone(), p))
            .collect()
    }

    /// Owners for the file versions whose last layer is the current one.
    fn attribute(
        &self,
        model: &mut Model,
        due: &[Due],
        index: &HashMap<PathId, FileOwner>,
        npm_dirs: &HashMap<PathId, PackageId>,
    ) {
        for d in due {
            let layer = d.layer as usize;
            let e = &self.entries[layer][d.entry as usize];
            let owner = index.get(&d.path).copied().or_else(|| {
                npm_owner(self.tree, d.path, npm_dirs).map(|package| FileOwner {
                    package,
                    checksum: None,
                })
            });
            let regular = e.kind == EntryKind::File;
            let lp = &mut model.layers[layer];
            if regular && d.superseded {
                lp.wasted_bytes += e.size;
            }
            match owner {
                Some(o) => {
                    if regular {
                        lp.owned_files += 1;
                        lp.owned_bytes += e.size;
                        if d.superseded {
                            *model.wasted.entry(o.package).or_default() += e.size;
                        }
                    }
                    model.owners[layer].insert(d.entry, o);
                }
                None if regular => {
                    lp.unowned_files += 1;
                    lp.unowned_bytes += e.size;
                }
                None => {}
            }
        }
    }
}

//! Packages of the two final images: which were added, removed, or changed version, each placed
//! on the NEW layer and step that installed the version it has.

use std::collections::BTreeMap;

use crate::analysis::Analysis;
use crate::packages::{Manager, PackageId};

/// One package of one image, as the compare reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageSide {
    pub id: PackageId,
    pub version: String,
    /// The layer that installed this version.
    pub layer: usize,
    /// Bytes of its files in that image's final filesystem.
    pub size: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageChange {
    pub manager: Manager,
    pub name: String,
    pub arch: Option<String>,
    pub old: Option<PackageSide>,
    pub new: Option<PackageSide>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageDiff {
    pub added: Vec<PackageChange>,
    pub removed: Vec<PackageChange>,
    /// Present in both with another version (an upgrade or a downgrade: `old` → `new`).
    pub upgraded: Vec<PackageChange>,
}

impl PackageDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.upgraded.is_empty()
    }
}

type Key = (Manager, String, Option<String>);

fn finals(a: &Analysis) -> BTreeMap<Key, PackageSide> {
    a.packages
        .final_packages()
        .into_iter()
        .map(|(id, size, _)| {
            let p = a.packages.package(id);
            (
                (p.manager, p.name.clone(), p.arch.clone()),
                PackageSide {
                    id,
                    version: p.version.clone(),
                    layer: p.layer,
                    size,
                },
            )
        })
        .collect()
}

/// The package lists of the two final images compared by manager, name and architecture.
pub fn diff_packages(old: &Analysis, new: &Analysis) -> PackageDiff {
    let (o, n) = (finals(old), finals(new));
    let mut d = PackageDiff::default();
    let change = |k: &Key, old: Option<&PackageSide>, new: Option<&PackageSide>| PackageChange {
        manager: k.0,
        name: k.1.clone(),
        arch: k.2.clone(),
        old: old.cloned(),
        new: new.cloned(),
    };
    for (k, ov) in &o {
        match n.get(k) {
            None => d.removed.push(change(k, Some(ov), None)),
            Some(nv) if nv.version != ov.version => d.upgraded.push(change(k, Some(ov), Some(nv))),
            Some(_) => {}
        }
    }
    for (k, nv) in &n {
        if !o.contains_key(k) {
            d.added.push(change(k, None, Some(nv)));
        }
    }
    d
}

//! The package parts of `--json`: the final image's packages and what each layer did to them.

use serde::Serialize;

use crate::analysis::Analysis;
use crate::packages::{Manager, PackageId};

#[derive(Serialize)]
pub struct PackageOut<'a> {
    pub manager: Manager,
    pub name: &'a str,
    pub version: &'a str,
    pub arch: Option<&'a str>,
    /// The layer, and its history step, that installed this version.
    pub layer: usize,
    pub history: Option<usize>,
    /// Bytes and count of its regular files in the final filesystem.
    pub size: u64,
    pub files: u32,
    /// Bytes of its file versions that a later layer removed or replaced.
    pub wasted_bytes: u64,
    pub db: &'a str,
}

#[derive(Serialize)]
pub struct PackageVersionOut<'a> {
    pub manager: Manager,
    pub name: &'a str,
    pub version: &'a str,
    pub arch: Option<&'a str>,
}

#[derive(Serialize)]
pub struct UpgradeOut<'a> {
    pub manager: Manager,
    pub name: &'a str,
    pub arch: Option<&'a str>,
    pub old_version: &'a str,
    pub new_version: &'a str,
}

#[derive(Serialize, Default)]
pub struct LayerPackagesOut<'a> {
    pub installed: Vec<PackageVersionOut<'a>>,
    pub upgraded: Vec<UpgradeOut<'a>>,
    pub removed: Vec<PackageVersionOut<'a>>,
    pub owned_files: u64,
    pub owned_bytes: u64,
    pub unowned_files: u64,
    pub unowned_bytes: u64,
    pub wasted_bytes: u64,
}

fn version_out(a: &Analysis, id: PackageId) -> PackageVersionOut<'_> {
    let p = a.packages.package(id);
    PackageVersionOut {
        manager: p.manager,
        name: &p.name,
        version: &p.version,
        arch: p.arch.as_deref(),
    }
}

pub fn layer(a: &Analysis, index: usize) -> LayerPackagesOut<'_> {
    let Some(l) = a.packages.layers.get(index) else {
        return LayerPackagesOut::default();
    };
    let sorted = |ids: &[PackageId]| {
        let mut v: Vec<PackageVersionOut> = ids.iter().map(|&id| version_out(a, id)).collect();
        v.sort_by(|x, y| (x.manager, x.name).cmp(&(y.manager, y.name)));
        v
    };
    let mut upgraded: Vec<UpgradeOut> = l
        .upgraded
        .iter()
        .map(|c| {
            let (o, n) = (a.packages.package(c.old), a.packages.package(c.new));
            UpgradeOut {
                manager: n.manager,
                name: &n.name,
                arch: n.arch.as_deref(),
                old_version: &o.version,
                new_version: &n.version,
            }
        })
        .collect();
    upgraded.sort_by(|x, y| (x.manager, x.name).cmp(&(y.manager, y.name)));
    LayerPackagesOut {
        installed: sorted(&l.installed),
        upgraded,
        removed: sorted(&l.removed),
        owned_files: l.owned_files,
        owned_bytes: l.owned_bytes,
        unowned_files: l.unowned_files,
        unowned_bytes: l.unowned_bytes,
        wasted_bytes: l.wasted_bytes,
    }
}

pub fn image(a: &Analysis) -> Vec<PackageOut<'_>> {
    a.packages
        .final_packages()
        .into_iter()
        .map(|(id, size, files)| {
            let p = a.packages.package(id);
            PackageOut {
                manager: p.manager,
                name: &p.name,
                version: &p.version,
                arch: p.arch.as_deref(),
                layer: p.layer,
                history: a.layers.get(p.layer).and_then(|l| l.history),
                size,
                files,
                wasted_bytes: a.packages.wasted.get(&id).copied().unwrap_or(0),
                db: &p.db,
            }
        })
        .collect()
}

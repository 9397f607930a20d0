//! Package attribution applied to an analysis: the package model of its layers, and findings in
//! package-owned files. A secret in a file whose bytes are exactly what its package shipped is
//! vendor material (the same bytes are in every copy of that package): it stays listed, capped
//! at low severity. A package file changed after installation keeps its severity.

use std::collections::{BTreeMap, HashMap};

use crate::analysis::Analysis;
use crate::findings::FindingSource;
use crate::layer::Entry;
use crate::packages::{self, FileState, LayerBlob, Model, PackageRef};
use crate::secrets::Severity;

/// Bytes of one file read to check it against its package's checksum, at most.
const MAX_VERIFY: usize = 512 << 20;

fn blob(a: &Analysis, layer: usize) -> LayerBlob<'_> {
    let l = &a.layers[layer];
    LayerBlob {
        container: &a.source.container,
        member: l.member.as_deref(),
        compression: l.compression.unwrap_or(crate::source::Compression::None),
        spool: l.spool.as_deref().map(|p| p.as_ref()),
    }
}

/// The package model; `captured` holds database bytes kept during the indexing pass.
pub fn package_model(a: &Analysis, captured: Option<&packages::capture::Captured>) -> Model {
    let entries: Vec<&[Entry]> = a.layers.iter().map(|l| l.entries.as_slice()).collect();
    let blobs: Vec<LayerBlob> = (0..a.layers.len()).map(|i| blob(a, i)).collect();
    packages::build(&a.tree, &entries, &blobs, captured)
}

fn package_ref(a: &Analysis, owner: &packages::FileOwner, state: FileState) -> PackageRef {
    let p = a.packages.package(owner.package);
    PackageRef {
        manager: p.manager,
        name: p.name.clone(),
        version: p.version.clone(),
        state,
    }
}

/// The owner of a file version and whether its bytes match the package's checksum.
pub fn file_package(a: &Analysis, layer: usize, entry: u32) -> Option<PackageRef> {
    let owner = a.packages.owner(layer, entry)?;
    let state = match owner.checksum {
        None => FileState::Unchecked,
        Some(_) => {
            let e = a.layers.get(layer)?.entries.get(entry as usize)?;
            match crate::content::read(a, layer, e, MAX_VERIFY) {
                Ok(c) if !c.truncated => owner.state(&c.bytes),
                _ => FileState::Unchecked,
            }
        }
    };
    Some(package_ref(a, owner, state))
}

/// Checks the owned files among `(layer, entry)` against their checksums, reading each layer
/// once (a compressed layer is inflated once, not once per file).
fn check_files(a: &Analysis, files: &[(usize, u32)]) -> HashMap<(usize, u32), PackageRef> {
    let mut by_layer: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    let mut out = HashMap::new();
    for &(l, e) in files {
        let Some(owner) = a.packages.owner(l, e) else {
            continue;
        };
        let size = a.layers[l].entries[e as usize].size;
        if owner.checksum.is_some() && size <= MAX_VERIFY as u64 {
            by_layer.entry(l).or_default().push(e);
        } else {
            out.insert((l, e), package_ref(a, owner, FileState::Unchecked));
        }
    }
    for (l, mut ents) in by_layer {
        ents.sort_unstable();
        ents.dedup();
        let entries = &a.layers[l].entries;
        let spans: Vec<(u64, u64)> = ents
            .iter()
            .map(|&e| (entries[e as usize].offset, entries[e as usize].size))
            .collect();
        let datas = packages::read::read_spans(&blob(a, l), &spans).ok();
        for (i, &e) in ents.iter().enumerate() {
            let owner = a.packages.owner(l, e).expect("collected above");
            let state = datas
                .as_ref()
                .map_or(FileState::Unchecked, |d| owner.state(&d[i]));
            out.insert((l, e), package_ref(a, owner, state));
        }
    }
    out
}

/// Sets `package` and `vendor` on file findings.
pub fn mark_findings(a: &mut Analysis) {
    if a.packages.is_empty() {
        return;
    }
    let files: Vec<(usize, u32)> = a
        .findings
        .iter()
        .filter(|f| f.source == FindingSource::File)
        .filter_map(|f| Some((f.layer?, f.entry?)))
        .collect();
    let refs = check_files(a, &files);
    for f in a.findings.iter_mut() {
        let (FindingSource::File, Some(l), Some(e)) = (f.source, f.layer, f.entry) else {
            continue;
        };
        if let Some(p) = refs.get(&(l, e)) {
            if p.state == FileState::Unmodified {
                f.vendor = true;
                f.severity = f.severity.min(Severity::Low);
            }
            f.package = Some(p.clone());
        }
    }
}

//! Package attribution applied to an analysis: the package model of its layers, and findings in
//! package-owned files. A secret in a file whose bytes are exactly what its package shipped is
//! vendor material (the same bytes are in every copy of that package): it stays listed, capped
//! at low severity. A package file changed after installation keeps its severity.

use std::collections::HashMap;

use crate::analysis::Analysis;
use crate::findings::FindingSource;
use crate::layer::Entry;
use crate::packages::{self, FileState, LayerBlob, Model, PackageRef};
use crate::secrets::Severity;

/// Bytes of one file read to check it against its package's checksum, at most.
const MAX_VERIFY: usize = 512 << 20;

pub fn package_model(a: &Analysis) -> Model {
    let entries: Vec<&[Entry]> = a.layers.iter().map(|l| l.entries.as_slice()).collect();
    let blobs: Vec<LayerBlob> = a
        .layers
        .iter()
        .map(|l| LayerBlob {
            container: &a.source.container,
            member: l.member.as_deref(),
            compression: l.compression.unwrap_or(crate::source::Compression::None),
            spool: l.spool.as_deref().map(|p| p.as_ref()),
        })
        .collect();
    packages::build(&a.tree, &entries, &blobs)
}

/// The owner of a file version and whether its bytes match the package's checksum.
pub fn file_package(a: &Analysis, layer: usize, entry: u32) -> Option<PackageRef> {
    let owner = a.packages.owner(layer, entry)?;
    let p = a.packages.package(owner.package);
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
    Some(PackageRef {
        manager: p.manager,
        name: p.name.clone(),
        version: p.version.clone(),
        state,
    })
}

/// Sets `package` and `vendor` on file findings (each file read once).
pub fn mark_findings(a: &mut Analysis) {
    if a.packages.is_empty() {
        return;
    }
    let mut seen: HashMap<(usize, u32), Option<PackageRef>> = HashMap::new();
    let mut marks = Vec::with_capacity(a.findings.len());
    for f in &a.findings {
        let (FindingSource::File, Some(layer), Some(entry)) = (f.source, f.layer, f.entry) else {
            marks.push(None);
            continue;
        };
        let r = seen
            .entry((layer, entry))
            .or_insert_with(|| file_package(a, layer, entry))
            .clone();
        marks.push(r);
    }
    for (f, m) in a.findings.iter_mut().zip(marks) {
        if let Some(p) = m {
            if p.state == FileState::Unmodified {
                f.vendor = true;
                f.severity = f.severity.min(Severity::Low);
            }
            f.package = Some(p);
        }
    }
}

/// The sentence a report gives for a finding in a package-owned file.
pub fn explanation(p: &PackageRef, vendor: bool) -> String {
    let what = format!("{} {} {}", p.manager.describe(), p.name, p.version);
    if vendor {
        format!(
            "shipped unchanged by {what}: the same bytes are in every copy of that package; not a secret of this image's builder"
        )
    } else if p.state == FileState::Modified {
        format!("a file of {what} that was modified after installation: its bytes differ from the package's checksum")
    } else {
        format!("a file of {what}; the package database records no checksum for it, so it may have been changed")
    }
}

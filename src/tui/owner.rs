//! The package that owns the file a preview shows, as of the layer selected, and whether the
//! file still has the bytes that package installed. Checking reads the whole file, so this runs
//! on the preview worker with the preview, never while drawing.
//!
//! The model owns each file version by the package that lists it at the last layer where that
//! version stands (what findings and reports use). Viewed from an earlier layer, the package
//! then installed may be another version (an upgrade that did not rewrite the file) or another
//! package (a file moved between packages): the one present at the selected layer that lists
//! the path is named, with its own checksum.

use layerscope_core::analysis::Analysis;
use layerscope_core::findings::FindingSource;
use layerscope_core::packages::{Checksum, FileState, PackageId};

/// Files larger than this are left `unchecked` by the preview (the report still checks the
/// files that carry a finding, whatever their size).
pub(crate) const CHECK_CAP: u64 = 64 << 20;

/// The owner of file version (`layer`, `entry`) as of layer `at`, and its checksum state; None
/// when no package owns it.
pub(crate) fn owner_at(
    a: &Analysis,
    at: usize,
    layer: usize,
    entry: u32,
) -> Option<(PackageId, FileState)> {
    let owner = a.packages.owner(layer, entry)?;
    let e = a.layers.get(layer)?.entries.get(entry as usize)?;
    let present = a.packages.layers.get(at).map(|l| &l.present);
    let mine = present.is_none_or(|p| p.iter().any(|x| x.0 == owner.package));
    let (package, checksum) = if mine {
        (owner.package, owner.checksum)
    } else {
        present
            .into_iter()
            .flatten()
            .find_map(|&(id, _, _)| {
                let listed = a.packages.listed(id)?;
                let f = listed.files.iter().find(|f| f.0 == e.path)?;
                Some((id, f.1))
            })
            .unwrap_or((owner.package, owner.checksum))
    };
    Some((package, state(a, layer, entry, package, checksum)))
}

fn state(
    a: &Analysis,
    layer: usize,
    entry: u32,
    package: PackageId,
    checksum: Option<Checksum>,
) -> FileState {
    let Some(sum) = checksum else {
        return FileState::Unchecked;
    };
    // A file with a finding was checked against this package during the analysis.
    let known = a.findings.iter().find_map(|f| {
        let p = f.package.as_ref()?;
        let same = f.source == FindingSource::File
            && f.layer == Some(layer)
            && f.entry == Some(entry)
            && a.packages.package(package).name == p.name
            && a.packages.package(package).version == p.version;
        same.then_some(p.state)
    });
    if let Some(s) = known {
        return s;
    }
    let Some(e) = a
        .layers
        .get(layer)
        .and_then(|l| l.entries.get(entry as usize))
    else {
        return FileState::Unchecked;
    };
    if e.size > CHECK_CAP {
        return FileState::Unchecked;
    }
    match layerscope_core::content::read(a, layer, e, CHECK_CAP as usize) {
        Ok(c) if !c.truncated && sum.matches(&c.bytes) => FileState::Unmodified,
        Ok(c) if !c.truncated => FileState::Modified,
        _ => FileState::Unchecked,
    }
}

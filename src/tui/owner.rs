//! Whether the file a preview shows still has the bytes its package installed. Checking reads
//! the whole file, so it runs on the preview worker with the preview, never while drawing; the
//! owner's name and version come from the package model, which needs no read.

use layerscope_core::analysis::Analysis;
use layerscope_core::findings::FindingSource;
use layerscope_core::packages::FileState;

/// Files larger than this are left `unchecked` by the preview (the report still checks the
/// files that carry a finding, whatever their size).
pub(crate) const CHECK_CAP: u64 = 64 << 20;

/// The checksum state of one file version, or None when no package owns it.
pub(crate) fn file_state(a: &Analysis, layer: usize, entry: u32) -> Option<FileState> {
    let owner = a.packages.owner(layer, entry)?;
    if owner.checksum.is_none() {
        return Some(FileState::Unchecked);
    }
    // A file with a finding was checked during the analysis.
    let known = a.findings.iter().find_map(|f| {
        (f.source == FindingSource::File && f.layer == Some(layer) && f.entry == Some(entry))
            .then(|| f.package.as_ref().map(|p| p.state))
            .flatten()
    });
    if let Some(s) = known {
        return Some(s);
    }
    let e = a.layers.get(layer)?.entries.get(entry as usize)?;
    if e.size > CHECK_CAP {
        return Some(FileState::Unchecked);
    }
    Some(
        match layerscope_core::content::read(a, layer, e, CHECK_CAP as usize) {
            Ok(c) if !c.truncated => owner.state(&c.bytes),
            _ => FileState::Unchecked,
        },
    )
}

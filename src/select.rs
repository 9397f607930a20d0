//! Naming things inside an analysed image from the command line: a layer by index or digest,
//! a file version by path and layer. Shared by `export`, `--goto` and the TUI.

use crate::analysis::Analysis;
use crate::tree::NO_ENTRY;

/// A layer by index, or by digest / diff_id (full, or a unique hex prefix of at least 6).
pub fn layer_by_ref(a: &Analysis, r: &str) -> Result<usize, String> {
    if let Ok(i) = r.parse::<usize>() {
        return if i < a.layers.len() {
            Ok(i)
        } else {
            Err(format!(
                "layer {i} does not exist (the image has {} layers, 0 to {})",
                a.layers.len(),
                a.layers.len().saturating_sub(1)
            ))
        };
    }
    let hex = r.trim_start_matches("sha256:").to_ascii_lowercase();
    if hex.len() < 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "layer {r:?} is neither an index nor a digest (at least 6 hex digits)"
        ));
    }
    let hits: Vec<usize> = a
        .layers
        .iter()
        .filter(|l| {
            [Some(&l.diff_id), l.digest.as_ref()]
                .into_iter()
                .flatten()
                .any(|d| d.trim_start_matches("sha256:").starts_with(&hex))
        })
        .map(|l| l.index)
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("no layer has digest or diff_id {r}")),
        _ => Err(format!(
            "{r} matches several layers ({hits:?}); give more digits"
        )),
    }
}

/// The file version to read for `path`: the one `layer` wrote, or if it wrote none, the one in
/// effect there; without a layer, the last version that has bytes (a ghost's source layer for a
/// deleted file). Returns (layer, entry).
pub fn file_version(
    a: &Analysis,
    path: &[u8],
    layer: Option<usize>,
) -> Result<(usize, u32), String> {
    let clean = crate::paths::normalize(path).ok_or("path climbs out of the root")?;
    let shown = crate::paths::escape(&clean);
    let id = a
        .tree
        .paths
        .lookup(&clean)
        .filter(|&id| !a.tree.versions(id).is_empty())
        .ok_or_else(|| format!("/{shown} is in no layer of this image"))?;
    let versions = a.tree.versions(id);
    let with_bytes = |v: &&crate::tree::Version| v.present() && v.entry != NO_ENTRY;
    match layer {
        None => versions
            .iter()
            .rev()
            .find(with_bytes)
            .map(|v| (v.layer as usize, v.entry))
            .ok_or_else(|| {
                format!("/{shown} is a directory implied by its children, with no content")
            }),
        Some(l) => match a.tree.state_at(id, l) {
            Some(v) if with_bytes(&v) => Ok((v.layer as usize, v.entry)),
            Some(v) if !v.present() => {
                let holder = a.tree.previous(id, v.layer as usize).map(|p| p.layer);
                Err(match holder {
                    Some(h) => format!("/{shown} was deleted in layer {}; its bytes are in layer {h} (use --layer {h})", v.layer),
                    None => format!("/{shown} does not exist in layer {l}"),
                })
            }
            Some(_) => Err(format!("/{shown} has no content in layer {l}")),
            None => Err(format!("/{shown} does not exist yet in layer {l}")),
        },
    }
}

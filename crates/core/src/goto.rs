//! Naming a file version from the command line: `--goto PATH [--layer N|DIGEST]` (which version
//! to open the view on, resolved before the terminal is touched so a wrong path or layer is a
//! one-line error, not a half-drawn screen) and `export`.

use crate::analysis::Analysis;
use crate::paths::{PathId, ROOT};
use crate::tree::NO_ENTRY;

/// A file version to select: the tree as of `layer`, `path` selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Goto {
    pub layer: usize,
    pub path: PathId,
}

fn hex_part(s: &str) -> &str {
    s.rsplit(':').next().unwrap_or(s)
}

/// A layer by index, or by digest / diff_id: full (`sha256:…`) or a unique hex prefix of at
/// least 6 digits.
pub fn resolve_layer(a: &Analysis, s: &str) -> Result<usize, String> {
    let s = s.trim();
    let n = a.layers.len();
    let range = if n == 0 {
        "the image has no layers".to_string()
    } else {
        format!("the image has {n} layers, 0-{}", n - 1)
    };
    // The History pane's numbers: `L3` (its L column) is layer 3; `step:8` (its STEP column,
    // `history` in JSON) is the layer that step made, or for a metadata step the one below it.
    if let Some(rest) = s
        .strip_prefix(['L', 'l'])
        .filter(|r| r.parse::<usize>().is_ok())
    {
        return match rest.parse::<usize>() {
            Ok(i) if i < n => Ok(i),
            _ => Err(format!("--layer {s}: no such layer ({range})")),
        };
    }
    if let Some(rest) = s.strip_prefix("step:").or_else(|| s.strip_prefix("step ")) {
        return step_layer(a, rest.trim()).map_err(|e| format!("--layer {s}: {e}"));
    }
    if let Ok(i) = s.parse::<usize>() {
        if i < n {
            return Ok(i);
        }
        if s.len() < 6 {
            return Err(format!("--layer {s}: no such layer ({range})"));
        }
    }
    let want = hex_part(s).to_ascii_lowercase();
    if want.len() < 6 || !want.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "--layer {s}: give a layer index ({range}) or a digest / diff_id (at least 6 hex digits)"
        ));
    }
    let ids = |l: &crate::analysis::LayerInfo| -> Vec<String> {
        [
            Some(&l.diff_id),
            l.digest.as_ref(),
            l.computed_diff_id.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|d| hex_part(d).to_ascii_lowercase())
        .collect()
    };
    let hits: Vec<usize> = a
        .layers
        .iter()
        .enumerate()
        .filter(|(_, l)| ids(l).iter().any(|d| d.starts_with(&want)))
        .map(|(i, _)| i)
        .collect();
    match hits.as_slice() {
        [i] => Ok(*i),
        [] => Err(format!(
            "--layer {s}: no layer digest or diff_id starts with {want} ({range})"
        )),
        many => Err(format!(
            "--layer {s}: matches layers {}; give more digits",
            many.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The layer selected by history step `s`: the one it made, else the last one made before it.
fn step_layer(a: &Analysis, s: &str) -> Result<usize, String> {
    let steps = a.history.len();
    let i = s
        .parse::<usize>()
        .ok()
        .filter(|&i| i < steps)
        .ok_or_else(|| match steps {
            0 => "the image has no history steps".to_string(),
            _ => format!("no such step (the history has steps 0-{})", steps - 1),
        })?;
    a.history[..=i]
        .iter()
        .rev()
        .find_map(|h| h.layer.filter(|&l| l < a.layers.len()))
        .ok_or_else(|| format!("step {i} comes before the first layer"))
}

/// Resolves `--goto PATH [--layer L]`. Without a layer: the last layer that has a version of the
/// path (for a deleted file, the layer that still holds its bytes).
pub fn resolve(a: &Analysis, path: &str, layer: Option<&str>) -> Result<Goto, String> {
    let clean = path.trim().trim_start_matches('/').trim_end_matches('/');
    let shown = format!("/{clean}");
    let id = a
        .tree
        .paths
        .lookup(clean.as_bytes())
        .filter(|&id| id != ROOT && !a.tree.versions(id).is_empty())
        .ok_or_else(|| format!("--goto {shown}: no layer of this image has that path"))?;
    let versions = a.tree.versions(id);
    match layer {
        Some(l) => {
            let layer = resolve_layer(a, l)?;
            if a.tree.state_at(id, layer).is_none() {
                let first = versions.first().map_or(0, |v| v.layer);
                return Err(format!(
                    "--goto {shown} --layer {l}: the path is not there yet in layer {layer} (it first appears in layer {first})"
                ));
            }
            Ok(Goto { layer, path: id })
        }
        None => {
            let v = versions
                .iter()
                .rev()
                .find(|v| v.present())
                .or(versions.last())
                .expect("a path with versions");
            Ok(Goto {
                layer: v.layer as usize,
                path: id,
            })
        }
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
            // A ghost: what the TUI's `x` writes for it, the version the deletion hid.
            Some(v) if !v.present() => match a.tree.previous(id, v.layer as usize) {
                Some(h) if with_bytes(&h) => Ok((h.layer as usize, h.entry)),
                _ => Err(format!("/{shown} does not exist in layer {l}")),
            },
            Some(_) => Err(format!("/{shown} has no content in layer {l}")),
            None => Err(format!("/{shown} does not exist yet in layer {l}")),
        },
    }
}

/// Which bytes `file_version` chose, for the export message: ` (deleted in layer 8; these bytes
/// are still in layer 2)`, ` (the version in effect in layer 5)`, or nothing when the asked
/// layer wrote them and no later layer deleted them.
pub fn version_note(a: &Analysis, path: &[u8], asked: Option<usize>, got: usize) -> String {
    let Some(id) = crate::paths::normalize(path).and_then(|p| a.tree.paths.lookup(&p)) else {
        return String::new();
    };
    let removed = a
        .tree
        .superseded_by(id, got)
        .filter(|v| !v.present())
        .map(|v| v.layer as usize);
    match (removed, asked) {
        (Some(r), _) => format!(" (deleted in layer {r}; these bytes are still in layer {got})"),
        (None, Some(l)) if l != got => format!(" (the version in effect in layer {l})"),
        _ => String::new(),
    }
}

//! Hostile images: every safety limit stops the image with one line naming the limit and its
//! flag (and writes no half output); hostile paths and whiteouts are handled per the OCI spec or
//! reported; nothing reads outside the archive or layout; names from the image cannot drive the
//! terminal; inputs are only read and nothing opens a socket.

use std::path::Path;

use crate::support::hostile::*;
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze;
use layerscope_core::layer::PassState;

mod limits;
mod paths;
mod read_only;
mod terminal;

fn analyze_bytes(name: &str, bytes: &[u8]) -> layerscope_core::Result<Analysis> {
    let (_d, p) = temp_image(name, bytes);
    analyze(&p, &AnalyzeOptions::default(), &PassState::default())
}

fn ok(name: &str, bytes: &[u8]) -> Analysis {
    analyze_bytes(name, bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn exists_after(a: &Analysis, path: &str, layer: usize) -> bool {
    a.tree
        .paths
        .lookup(path.as_bytes())
        .is_some_and(|id| a.tree.exists_at(id, layer))
}

fn warned(a: &Analysis, code: &str) -> bool {
    a.warnings.iter().any(|w| w.code == code)
}

fn single_layer(ents: &[Ent], comp: Comp) -> Vec<u8> {
    outer(&Image::new(vec![Layer::of(ents, comp)]).oci())
}

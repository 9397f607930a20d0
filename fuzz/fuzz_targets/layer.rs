//! (b) The layer tar indexer over arbitrary bytes. The first byte picks how the rest reaches it:
//! as is (compression sniffed from the bytes: corrupt gzip/zstd streams), or compressed here
//! with gzip or zstd first (so that the tar parser behind each decoder is fuzzed too). The index
//! is then interned and merged, as analysis does.
#![no_main]

use std::io::Write;

use layerscope_core::layer::{index_layer, PassState};
use layerscope_core::paths::PathTable;
use layerscope_core::tree::Tree;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let blob: Vec<u8> = match mode % 3 {
        0 => rest.to_vec(),
        1 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(rest).unwrap();
            e.finish().unwrap()
        }
        _ => zstd::encode_all(rest, 1).unwrap(),
    };
    let limits = common::limits();
    let state = PassState::default();
    match index_layer(&blob[..], "fuzz", &limits, &state, &mut ()) {
        Ok(mut ix) => {
            // Two copies of the layer: whiteouts and replacements then act on a lower layer.
            let state2 = PassState::default();
            let mut ix2 = index_layer(&blob[..], "fuzz", &limits, &state2, &mut ()).unwrap();
            let mut table = PathTable::new();
            ix.intern(&mut table);
            ix2.intern(&mut table);
            let tree = Tree::build(table, &[ix, ix2]);
            for v in tree.all_versions() {
                let _ = tree.paths.path(v.path);
            }
        }
        Err(e) => common::check_error(&e),
    }
});

//! (a) The archive/layout reader: arbitrary bytes as an image file, opened and analysed whole
//! (outer tar index, docker/OCI resolution, every layer with the built-in secret scanner, tree
//! merge, JSON report).
#![no_main]

use std::io::Write;

use layerscope_core::layer::PassState;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

static SCANNER: std::sync::OnceLock<layerscope_core::secrets::Scanner> = std::sync::OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(data).expect("write");
    f.flush().expect("flush");
    let state = PassState::default();
    let opts = common::options();
    let scanner = SCANNER.get_or_init(layerscope_core::secrets::Scanner::builtin);
    let analysis = layerscope_core::source::open_path(f.path(), &opts.open)
        .and_then(|src| layerscope_core::analyze::analyze_source(src, &opts, &state, Some(scanner)));
    match analysis {
        Ok(a) => {
            let report = layerscope_core::report::json::build(&a, false);
            let _ = serde_json_to_string(&report);
        }
        Err(e) => common::check_error(&e),
    }
});

fn serde_json_to_string<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map(|v| v.len()).unwrap_or(0)
}

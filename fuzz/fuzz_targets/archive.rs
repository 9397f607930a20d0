//! (a) The archive/layout reader: arbitrary bytes as an image file, opened and analysed whole
//! (outer tar index, docker/OCI resolution, every layer, tree merge, JSON report).
#![no_main]

use std::io::Write;

use layerscope::layer::PassState;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(data).expect("write");
    f.flush().expect("flush");
    let state = PassState::default();
    match layerscope::analyze(f.path(), &common::options(), &state) {
        Ok(a) => {
            let report = layerscope::report::json::build(&a, &|s: &str| s.to_string());
            let _ = serde_json_to_string(&report);
        }
        Err(e) => common::check_error(&e),
    }
});

fn serde_json_to_string<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map(|v| v.len()).unwrap_or(0)
}

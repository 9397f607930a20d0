//! Shared by the fuzz targets: small limits so that a run measures robustness, not patience.

use layerscope_core::analysis::AnalyzeOptions;
use layerscope_core::source::{Limits, OpenOptions};

#[allow(dead_code)]
pub fn options() -> AnalyzeOptions {
    AnalyzeOptions {
        open: OpenOptions {
            limits: limits(),
            ..Default::default()
        },
        strict: false,
        threads: 1,
        ..Default::default()
    }
}

pub fn limits() -> Limits {
    Limits {
        max_json_bytes: 1 << 20,
        max_bytes: 32 << 20,
        max_ratio: 1000,
        max_entries: 100_000,
        max_path_len: 4096,
        max_depth: 256,
    }
}

/// Every error must render as one line (the binary prints exactly that).
#[allow(dead_code)]
pub fn check_error(e: &layerscope_core::Error) {
    let s = e.to_string();
    assert!(!s.is_empty());
}

#![allow(dead_code)]
//! Helpers shared by the integration tests (`mod common;` in a test file).

pub mod dockerd;
pub mod fake;

use std::path::PathBuf;

use layerscope_core::analysis::{analyze, Analysis, AnalyzeOptions};
use layerscope_core::layer::PassState;

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn open(rel: &str) -> Analysis {
    open_with(rel, &AnalyzeOptions::default())
}

pub fn open_with(rel: &str, opts: &AnalyzeOptions) -> Analysis {
    analyze(&fixture(rel), opts, &PassState::default()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_layerscope"))
}

/// Runs the binary; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(bin())
        .args(args)
        .output()
        .expect("run layerscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

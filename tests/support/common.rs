//! Fixtures, opening them, and running the binary.

use std::path::PathBuf;

use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze;
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

/// Whether the external tool `name` can run (`name ARG` succeeds). Missing: a test prints
/// `SKIPPED` and returns, except when `CI` is set, where `.ci/run` installed it and its absence
/// is a failure.
pub fn tool(name: &str, arg: &str) -> bool {
    let ok = std::process::Command::new(name)
        .arg(arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{name} is required when CI is set (.ci/run installs it)");
        }
        println!("SKIPPED: {name} not installed");
    }
    ok
}

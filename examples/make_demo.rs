//! Rebuilds the demo / leak-vector image byte for byte:
//! `assets/demo/demo.tar` (Docker legacy `docker save` of `layerscope/demo:latest`) and
//! `assets/demo/EXPECTED.md` (the findings it must produce).
//!
//! `cargo run --example make_demo [OUT_DIR]` (default: `assets/demo` in the crate root).

use layerscope_imagegen::{demo, write_image, Compression, Layout};
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo"));
    std::fs::create_dir_all(&dir)?;
    let tar = dir.join("demo.tar");
    let w = write_image(
        &demo::demo_spec(),
        Layout::DockerLegacy,
        Compression::None,
        &tar,
    )?;
    std::fs::write(dir.join("EXPECTED.md"), demo::expected_markdown())?;
    println!(
        "wrote {} ({} bytes, {} layers, image ID {})",
        tar.display(),
        std::fs::metadata(&tar)?.len(),
        w.diff_ids.len(),
        w.config_digest
    );
    Ok(())
}

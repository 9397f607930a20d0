//! Memory of the index per file entry, for benches/README.md:
//!
//!     cargo run --release --example index_stats -- IMAGE
//!
//! Prints the entries, interned paths and versions, the heap of the merged tree
//! (`Tree::heap_bytes`: path table, versions, per-layer lists) and of the layer entry lists, and
//! both per entry.

use layerscope_core::analysis::AnalyzeOptions;
use layerscope_core::analyze::analyze;
use layerscope_core::layer::{Entry, PassState};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: index_stats IMAGE");
        std::process::exit(2)
    };
    let t = std::time::Instant::now();
    let a = analyze(
        path.as_ref(),
        &AnalyzeOptions::default(),
        &PassState::default(),
    )
    .unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let secs = t.elapsed().as_secs_f64();
    let entries: usize = a.layers.iter().map(|l| l.entries.len()).sum();
    let entry_heap: usize = a
        .layers
        .iter()
        .map(|l| {
            l.entries.capacity() * std::mem::size_of::<Entry>()
                + l.entries
                    .iter()
                    .map(|e| e.link.as_ref().map_or(0, |b| b.len()))
                    .sum::<usize>()
        })
        .sum();
    let tree = a.tree.heap_bytes();
    let n = entries.max(1) as f64;
    println!("image            {path}");
    println!("analysis         {secs:.2} s (no secret scan)");
    println!("entries          {entries}");
    println!("paths            {}", a.tree.paths.len());
    println!("versions         {}", a.tree.all_versions().len());
    println!("size_of Entry    {} B", std::mem::size_of::<Entry>());
    println!(
        "tree heap        {:.1} MB = {:.1} B/entry",
        tree as f64 / 1e6,
        tree as f64 / n
    );
    println!(
        "entry lists      {:.1} MB = {:.1} B/entry",
        entry_heap as f64 / 1e6,
        entry_heap as f64 / n
    );
    println!(
        "index total      {:.1} MB = {:.1} B/entry",
        (tree + entry_heap) as f64 / 1e6,
        (tree + entry_heap) as f64 / n
    );
}

//! Measures how long opening a preview takes for the file deepest in the largest layer of an
//! image, after the analysis: with the TUI's spool of compressed layers (a seek) and without it
//! (re-inflating up to the file). Usage: cargo run --release --example preview_latency -- IMAGE
use std::time::Instant;

use layerscope_core::analysis::AnalyzeOptions;
use layerscope_core::analyze::analyze;
use layerscope_core::layer::{EntryKind, PassState};

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: preview_latency IMAGE");
    for spool in [true, false] {
        let opts = AnalyzeOptions {
            spool_compressed: spool,
            ..Default::default()
        };
        let t = Instant::now();
        let a = analyze(path.as_ref(), &opts, &PassState::default()).expect("analyse");
        let load = t.elapsed();
        let (li, l) = a
            .layers
            .iter()
            .enumerate()
            .max_by_key(|(_, l)| l.size)
            .unwrap();
        let e = l
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::File && e.size > 0)
            .max_by_key(|e| e.offset)
            .unwrap();
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let c = layerscope_core::content::read(&a, li, e, 256 * 1024).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!c.bytes.is_empty());
        }
        times.sort_by(|x, y| x.partial_cmp(y).unwrap());
        println!(
            "spool={spool}: analysis {:.2} s; layer {li} ({:?}, {:.0} MB uncompressed), file at offset {:.0} MB: preview median {:.2} ms (min {:.2}, max {:.2})",
            load.as_secs_f64(),
            l.compression,
            l.size as f64 / 1e6,
            e.offset as f64 / 1e6,
            times[2],
            times[0],
            times[4]
        );
    }
}

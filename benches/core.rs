//! Criterion micro-benchmarks of the hot paths (`cargo bench`; each group measures for a few
//! seconds so the whole run takes a few minutes on 2 cores):
//!
//! - `index_layer`: one streaming pass over an in-memory layer tar of small files (MB/s).
//! - `secrets`: the scanner over text and binary buffers (MB/s).
//! - `tree_merge`: interning plus `Tree::build` for N entries in 4 layers.
//! - `json_report`: building and serialising the `--json` report of a 35,000-file image.
//! - `preview_gzip`: `content::read` of the last file of the largest layer of a gzip image
//!   (a re-inflation up to the entry).

use layerscope_imagegen::large as gen;

use std::io::Cursor;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use layerscope_core::analysis::AnalyzeOptions;
use layerscope_core::analyze::analyze;
use layerscope_core::layer::{index_layer, LayerIndex, PassState};
use layerscope_core::paths::PathTable;
use layerscope_core::secrets::Scanner;
use layerscope_core::source::Limits;
use layerscope_core::tree::Tree;

fn quick(c: &mut Criterion) -> &mut Criterion {
    c
}

fn index(tar: &[u8]) -> LayerIndex {
    index_layer(
        Cursor::new(tar),
        "bench",
        &Limits::default(),
        &PassState::default(),
        &mut (),
    )
    .expect("index")
}

fn bench_index(c: &mut Criterion) {
    let tar = gen::layer_in_memory(20_000, 7);
    let mut g = quick(c).benchmark_group("index_layer");
    g.throughput(Throughput::Bytes(tar.len() as u64));
    g.bench_function("20k_small_files", |b| b.iter(|| index(&tar)));
    g.finish();
}

fn bench_secrets(c: &mut Criterion) {
    let scanner = Scanner::builtin();
    let corpus = gen::Corpus::new(3);
    let mut text = vec![0u8; 4 << 20];
    std::io::Read::read_exact(
        &mut gen::Content::new(&corpus, gen::Kind::Text, text.len() as u64, 1),
        &mut text,
    )
    .unwrap();
    let mut bin = vec![0u8; 4 << 20];
    std::io::Read::read_exact(
        &mut gen::Content::new(&corpus, gen::Kind::Binary, bin.len() as u64, 2),
        &mut bin,
    )
    .unwrap();
    let mut g = c.benchmark_group("secrets");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("scan_text_4MiB", |b| {
        b.iter(|| scanner.scan_file(b"app/src/main.js", &text))
    });
    g.bench_function("scan_binary_4MiB", |b| {
        b.iter(|| scanner.scan_file(b"usr/lib/libx.so", &bin))
    });
    g.finish();
}

fn bench_tree(c: &mut Criterion) {
    let mut g = c.benchmark_group("tree_merge");
    for n in [10_000u64, 100_000] {
        let tars: Vec<Vec<u8>> = (0..4)
            .map(|i| gen::layer_in_memory(n / 4, 100 + i))
            .collect();
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("{n}_entries_4_layers"), |b| {
            b.iter_batched(
                || tars.iter().map(|t| index(t)).collect::<Vec<_>>(),
                |mut layers| {
                    let mut table = PathTable::new();
                    for l in layers.iter_mut() {
                        l.intern(&mut table);
                    }
                    Tree::build(table, &layers)
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn images() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = gen::Params {
        scale: 0.1,
        ..Default::default()
    };
    gen::generate(dir.path(), "many", &p, 2).expect("generate many");
    let p = gen::Params {
        scale: 0.05,
        ..Default::default()
    };
    gen::generate(dir.path(), "big", &p, 2).expect("generate big");
    dir
}

fn bench_report_and_preview(c: &mut Criterion) {
    let dir = images();
    let a = analyze(
        &dir.path().join("many.docker.tar"),
        &AnalyzeOptions::default(),
        &PassState::default(),
    )
    .expect("analyze");
    let mut g = c.benchmark_group("json_report");
    g.throughput(Throughput::Elements(a.tree.all_versions().len() as u64));
    g.bench_function("many_35k_files", |b| {
        b.iter(|| {
            let r = layerscope_core::report::json::build(&a, false);
            serde_json::to_writer_pretty(std::io::sink(), &r).unwrap();
        })
    });
    g.finish();

    let a = analyze(
        &dir.path().join("big.oci-gzip.tar"),
        &AnalyzeOptions::default(),
        &PassState::default(),
    )
    .expect("analyze");
    let (li, layer) = a
        .layers
        .iter()
        .enumerate()
        .max_by_key(|(_, l)| l.size)
        .unwrap();
    let entry = layer
        .entries
        .iter()
        .filter(|e| e.kind == layerscope_core::layer::EntryKind::File)
        .max_by_key(|e| e.offset)
        .unwrap()
        .clone();
    let mut g = c.benchmark_group("preview_gzip");
    g.throughput(Throughput::Bytes(entry.offset));
    g.bench_function("last_file_of_largest_layer", |b| {
        b.iter(|| layerscope_core::content::read(&a, li, &entry, 64 << 10).unwrap())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_index, bench_secrets, bench_tree, bench_report_and_preview
}
criterion_main!(benches);

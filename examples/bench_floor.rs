//! The decompression floor for benches/run.sh: locate the image's layer blobs the way layerscope
//! does, then only read and inflate each one (flate2 with zlib-rs for gzip, zstd for zstd; the
//! same crates and buffer sizes as the analysis), one thread per core, output discarded. What is
//! left between this and a full analysis is parsing, hashing, scanning and the report.
//!
//!     cargo run --release --example bench_floor -- IMAGE [THREADS]

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use layerscope_core::source::{self, compress, OpenOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bench_floor IMAGE [THREADS]");
        std::process::exit(2)
    };
    let threads: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let src = source::open_path(path.as_ref(), &OpenOptions::default()).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let members: Vec<&str> = src
        .image
        .layers
        .iter()
        .filter_map(|l| l.member.as_deref())
        .collect();
    let next = AtomicUsize::new(0);
    let total = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads.min(members.len()).max(1) {
            s.spawn(|| {
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(m) = members.get(i) else { break };
                    let blob = src.container.open(m).expect("open layer");
                    let (_, mut dec) = compress::decoder(blob).expect("decoder");
                    let mut n = 0u64;
                    loop {
                        match dec.read(&mut buf) {
                            Ok(0) => break,
                            Ok(k) => n += k as u64,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => panic!("{m}: {e}"),
                        }
                    }
                    total.fetch_add(n, Ordering::Relaxed);
                }
            });
        }
    });
    println!("{} bytes", total.load(Ordering::Relaxed));
}

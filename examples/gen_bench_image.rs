//! Generates the benchmark images (see benches/README.md). Deterministic, no network:
//!
//!     cargo run --release --example gen_bench_image -- OUTDIR [--scale 0.01] [--seed 42]
//!         [--only big,many,many40] [--gzip-level 6] [--zstd-level 3] [--threads N]
//!
//! Archives that already exist in OUTDIR are kept (delete them to regenerate).

use layerscope_imagegen::large as gen;

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut out: Option<PathBuf> = None;
    let mut p = gen::Params::default();
    let mut only: Vec<String> = gen::IMAGES.iter().map(|s| s.to_string()).collect();
    let mut threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let usage = "usage: gen_bench_image OUTDIR [--scale F] [--seed N] [--only big,many,many40] \
                 [--gzip-level N] [--zstd-level N] [--threads N]";
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{name} needs a value\n{usage}");
                std::process::exit(2)
            })
        };
        let bad = |what: &str| -> ! {
            eprintln!("invalid {what}\n{usage}");
            std::process::exit(2)
        };
        match a.as_str() {
            "--scale" => p.scale = val("--scale").parse().unwrap_or_else(|_| bad("--scale")),
            "--seed" => p.seed = val("--seed").parse().unwrap_or_else(|_| bad("--seed")),
            "--gzip-level" => {
                p.gzip_level = val("--gzip-level")
                    .parse()
                    .unwrap_or_else(|_| bad("--gzip-level"))
            }
            "--zstd-level" => {
                p.zstd_level = val("--zstd-level")
                    .parse()
                    .unwrap_or_else(|_| bad("--zstd-level"))
            }
            "--threads" => {
                threads = val("--threads")
                    .parse()
                    .unwrap_or_else(|_| bad("--threads"))
            }
            "--only" => only = val("--only").split(',').map(str::to_string).collect(),
            "-h" | "--help" => {
                println!("{usage}");
                return;
            }
            s if s.starts_with('-') => bad(s),
            s => out = Some(PathBuf::from(s)),
        }
    }
    let Some(out) = out else {
        eprintln!("{usage}");
        std::process::exit(2)
    };
    for image in &only {
        let t = Instant::now();
        match gen::generate(&out, image, &p, threads) {
            Ok(written) if written.is_empty() => eprintln!("{image}: up to date"),
            Ok(written) => {
                for w in written {
                    eprintln!(
                        "{}: {} layers, {} entries, {:.1} MB",
                        w.path.display(),
                        w.layers,
                        w.files,
                        w.bytes as f64 / 1e6
                    );
                }
                eprintln!("{image}: generated in {:.1}s", t.elapsed().as_secs_f64());
            }
            Err(e) => {
                eprintln!("{image}: {e}");
                std::process::exit(1)
            }
        }
    }
}

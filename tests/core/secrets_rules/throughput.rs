//! Scanner throughput, measured by hand (ignored tests).

use super::*;

/// On-CPU nanoseconds of this thread (Linux), so that a loaded machine
/// does not distort per-core throughput; falls back to wall time.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn measure(label: &str, s: &Scanner, path: &[u8], data: &[u8]) {
    let c0 = cpu_ns();
    let t = std::time::Instant::now();
    let m = s.scan_file(path, data);
    let wall = t.elapsed().as_secs_f64();
    let cpu = match (c0, cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1e9,
        _ => wall,
    };
    let mb = data.len() as f64 / 1e6;
    println!(
        "{label:<22} {:>4} MB: {:>6.0} MB/s on-CPU ({:.3}s), {:>6.0} MB/s wall, {} matches",
        data.len() >> 20,
        mb / cpu,
        cpu,
        mb / wall,
        m.len()
    );
}

/// Not a pass/fail test. Run with
/// `cargo test --release --test secrets_rules -- --ignored --nocapture throughput`
#[test]
#[ignore]
fn throughput() {
    let t = std::time::Instant::now();
    let s = Scanner::builtin();
    println!(
        "startup: Scanner::builtin() with {} rules in {:.1} ms",
        s.rules().count(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut g = Gen::new(1234);
    // ~200 MB of ordinary text: words, paths, numbers, no keywords
    let words = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
        "sed",
        "do",
        "eiusmod",
        "tempor",
        "incididunt",
        "ut",
        "labore",
        "et",
        "dolore",
        "magna",
        "aliqua",
        "/usr/lib/x86_64-linux-gnu",
        "0.5.12",
        "function",
        "return",
        "value",
        "index",
    ];
    let mut text = Vec::with_capacity(200 << 20);
    while text.len() < (200 << 20) {
        for _ in 0..12 {
            text.extend_from_slice(words[(g.next() % words.len() as u64) as usize].as_bytes());
            text.push(b' ');
        }
        text.push(b'\n');
    }
    measure("text (no keywords)", &s, b"usr/share/doc/x.txt", &text);
    drop(text);

    let bin = Gen::new(5).bytes(200 << 20);
    measure("random binary", &s, b"usr/lib/libx.so", &bin);
    drop(bin);

    // source-like text where generic keywords hit on every other line
    let mut src = Vec::with_capacity(50 << 20);
    while src.len() < (50 << 20) {
        src.extend_from_slice(
            b"    let token = self.parse_key(input, &mut state)?; // secret handling\n",
        );
        src.extend_from_slice(
            b"    for (i, item) in items.iter().enumerate() { total += item.len(); }\n",
        );
    }
    measure("keyword-dense source", &s, b"src/lib.rs", &src);
}

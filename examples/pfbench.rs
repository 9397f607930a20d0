use aho_corasick::{packed, AhoCorasick, AhoCorasickKind, MatchKind};
struct Instant(u64);
impl Instant {
    fn now() -> Instant {
        Instant(cpu_ns())
    }
    fn elapsed(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(cpu_ns() - self.0)
    }
}
fn cpu_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    s.split_whitespace().next().unwrap().parse().unwrap()
}
fn lower(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    dst.extend(src.iter().map(|&b| {
        if b.wrapping_sub(b'A') < 26 {
            b | 0x20
        } else {
            b
        }
    }));
}
fn main() {
    let toml = std::fs::read_to_string("assets/rules/builtin.toml").unwrap();
    let mut kws: Vec<String> = vec![];
    for line in toml.lines() {
        if let Some(r) = line.strip_prefix("keywords = [") {
            for k in r.trim_end_matches(']').split(',') {
                let k = k.trim().trim_matches('"').to_string();
                if !k.is_empty() && !kws.contains(&k) {
                    kws.push(k);
                }
            }
        }
    }
    let mut pre3: Vec<String> = kws.iter().map(|k| k[..3].to_string()).collect();
    pre3.sort();
    pre3.dedup();
    println!("{} keywords, {} 3-prefixes", kws.len(), pre3.len());
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
    let mut text = Vec::new();
    let mut x: u64 = 1;
    while text.len() < (100 << 20) {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        text.extend_from_slice(words[((x >> 33) % words.len() as u64) as usize].as_bytes());
        text.push(if (x >> 20) % 12 == 0 { b'\n' } else { b' ' });
    }
    let mut bin = Vec::with_capacity(100 << 20);
    while bin.len() < (100 << 20) {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        bin.extend_from_slice(&x.to_le_bytes());
    }
    for (dname, data) in [("text", &text), ("bin", &bin)] {
        let mb = data.len() as f64 / 1e6;
        let t = Instant::now();
        let n = memchr::memchr_iter(b'\n', data).count();
        println!(
            "[{dname}] memchr newline: {:.0} MB/s ({n})",
            mb / t.elapsed().as_secs_f64()
        );
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&kws)
            .unwrap();
        let t = Instant::now();
        let n = ac.find_iter(data).count();
        println!(
            "[{dname}] ci dfa find: {:.0} MB/s ({n})",
            mb / t.elapsed().as_secs_f64()
        );
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .byte_classes(false)
            .build(&kws)
            .unwrap();
        let t = Instant::now();
        let n = ac.find_iter(data).count();
        println!(
            "[{dname}] ci dfa find noclasses: {:.0} MB/s ({n})",
            mb / t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let n = ac.find_overlapping_iter(data).count();
        println!(
            "[{dname}] ci dfa overlapping noclasses: {:.0} MB/s ({n})",
            mb / t.elapsed().as_secs_f64()
        );
        // lowercase chunks + packed on full keywords / prefixes
        for (pname, pats) in [("full", &kws), ("pre3", &pre3)] {
            let s = packed::Config::new()
                .heuristic_pattern_limits(false)
                .builder()
                .extend(pats.iter())
                .build();
            let Some(s) = s else {
                println!("packed {pname}: none");
                continue;
            };
            let mut buf = Vec::with_capacity(65536);
            let t = Instant::now();
            let mut n = 0;
            for chunk in data.chunks(65536) {
                lower(chunk, &mut buf);
                n += s.find_iter(&buf).count();
            }
            println!(
                "[{dname}] lower+packed {pname}: {:.0} MB/s ({n})",
                mb / t.elapsed().as_secs_f64()
            );
            let ac2 = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(pats.iter())
                .unwrap();
            let t = Instant::now();
            let mut n = 0;
            for chunk in data.chunks(65536) {
                lower(chunk, &mut buf);
                n += ac2.find_iter(&buf).count();
            }
            println!(
                "[{dname}] lower+ac auto {pname}: {:.0} MB/s ({n})",
                mb / t.elapsed().as_secs_f64()
            );
        }
        {
            let mut fold = [0u8; 256];
            for i in 0..256 {
                fold[i] = (i as u8).to_ascii_lowercase();
            }
            let mut bits = vec![0u64; 1024];
            let h3 = |a: u8, b: u8, c: u8| -> usize {
                let w = (a as u32) << 16 | (b as u32) << 8 | c as u32;
                (w.wrapping_mul(0x9E37_79B1) >> 16) as usize
            };
            for k in &kws {
                let k = k.as_bytes();
                let h = h3(k[0], k[1], k[2]);
                bits[h >> 6] |= 1 << (h & 63);
            }
            let t = Instant::now();
            let mut n = 0usize;
            let d = &data[..];
            if d.len() >= 3 {
                let mut w: u32 = (fold[d[0] as usize] as u32) << 8 | fold[d[1] as usize] as u32;
                for i in 2..d.len() {
                    w = (w << 8 | fold[d[i] as usize] as u32) & 0xFF_FFFF;
                    let h = (w.wrapping_mul(0x9E37_79B1) >> 16) as usize;
                    if bits[h >> 6] & (1 << (h & 63)) != 0 {
                        n += 1;
                    }
                }
            }
            println!(
                "[{dname}] trigram hash: {:.0} MB/s ({n})",
                mb / t.elapsed().as_secs_f64()
            );
        }
        let mut buf = Vec::with_capacity(65536);
        let t = Instant::now();
        let mut n = 0usize;
        for chunk in data.chunks(65536) {
            lower(chunk, &mut buf);
            n += buf[0] as usize;
        }
        println!(
            "[{dname}] lower only: {:.0} MB/s ({n})",
            mb / t.elapsed().as_secs_f64()
        );
    }
}

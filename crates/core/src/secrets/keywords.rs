//! Where keywords end in a buffer: the scanner's prefilter.
//!
//! One ASCII case-insensitive Aho-Corasick DFA holds every rule keyword. Its walk is
//! latency-bound (a dependent table load per byte), and on binary data nearly all of that walk
//! is wasted: a keyword is made of a few dozen byte values, so it can only occur inside a run of
//! such bytes at least as long as the shortest keyword. Binary data is therefore classified 32
//! bytes at a time (the bytes' nibbles looked up in two 16-entry tables, as in Hyperscan's
//! "shufti"), and the DFA walks only the long-enough runs, each from its start state. That is
//! exact by construction: the class is derived from the keywords themselves. Text, where
//! nearly every byte is in the class, keeps the four-lane walk over the whole buffer.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::Anchored;

/// Bytes per mask word.
const BLOCK: usize = 64;
/// Masks built per pass over a buffer (16 KiB of data), so they stay in L1.
const MASKS: usize = 256;

pub(super) struct KeywordFinder {
    dfa: DFA,
    max_len: usize,
    /// Runs shorter than this hold no keyword (the shortest keyword, capped at 8).
    min_run: usize,
    /// Byte `b` may be part of a keyword iff `lo[b & 15] & hi[b >> 4] != 0`; a superset of the
    /// exact class when keywords use more than 8 distinct high nibbles (still exact results).
    lo: [u8; 16],
    hi: [u8; 16],
}

impl KeywordFinder {
    pub(super) fn new(dfa: DFA, keywords: &[String]) -> KeywordFinder {
        let mut class = [false; 256];
        for k in keywords {
            for &b in k.as_bytes() {
                class[b.to_ascii_lowercase() as usize] = true;
                class[b.to_ascii_uppercase() as usize] = true;
            }
        }
        let (mut lo, mut hi) = ([0u8; 16], [0u8; 16]);
        for (b, _) in class.iter().enumerate().filter(|(_, &c)| c) {
            let bit = 1u8 << ((b >> 4) % 8);
            lo[b & 15] |= bit;
            hi[b >> 4] |= bit;
        }
        KeywordFinder {
            dfa,
            max_len: keywords.iter().map(|k| k.len()).max().unwrap_or(1),
            min_run: keywords
                .iter()
                .map(|k| k.len())
                .min()
                .unwrap_or(1)
                .clamp(1, 8),
            lo,
            hi,
        }
    }

    pub(super) fn dfa(&self) -> &DFA {
        &self.dfa
    }

    /// End offsets of keyword matches, ascending (possibly with duplicates).
    pub(super) fn ends(&self, data: &[u8], binary: bool) -> Vec<usize> {
        if binary {
            self.ends_in_runs(data)
        } else {
            self.ends_in_lanes(data)
        }
    }

    fn in_class(&self, b: u8) -> bool {
        self.lo[(b & 15) as usize] & self.hi[(b >> 4) as usize] != 0
    }

    /// The DFA over each run of class bytes at least `min_run` long.
    fn ends_in_runs(&self, data: &[u8]) -> Vec<usize> {
        let mut hits = Vec::new();
        let Ok(start) = self.dfa.start_state(Anchored::No) else {
            return hits;
        };
        let mut masks = [0u64; MASKS + 1];
        // Everything before `walked` has been walked (or holds no run).
        let mut walked = 0;
        let mut base = 0;
        while base < data.len() {
            let span = (data.len() - base).min(MASKS * BLOCK);
            let words = span.div_ceil(BLOCK);
            self.class_masks(&data[base..base + span], &mut masks[..words]);
            // One word of lookahead so runs straddling the pass edge are seen whole.
            let next = base + span;
            masks[words] = if next < data.len() {
                let end = (next + BLOCK).min(data.len());
                let mut m = [0u64; 1];
                self.class_masks(&data[next..end], &mut m);
                m[0]
            } else {
                0
            };
            for w in 0..words {
                // Bit i: a run of at least `min_run` class bytes starts at word offset i.
                let mut starts = masks[w];
                for n in 1..self.min_run {
                    starts &= (masks[w] >> n) | (masks[w + 1] << (BLOCK - n));
                }
                let word_at = base + w * BLOCK;
                // Runs whose start was already walked are cleared.
                if walked > word_at {
                    let skip = walked - word_at;
                    starts = if skip >= BLOCK {
                        0
                    } else {
                        starts & (!0u64 << skip)
                    };
                }
                while starts != 0 {
                    let s = word_at + starts.trailing_zeros() as usize;
                    let e = self.run_end(data, s);
                    self.walk(start, &data[s..e], s, &mut hits);
                    walked = e;
                    let skip = e - word_at;
                    starts = if skip >= BLOCK {
                        0
                    } else {
                        starts & (!0u64 << skip)
                    };
                }
            }
            base = next;
        }
        hits
    }

    /// The first byte at or after `s` not in the class.
    fn run_end(&self, data: &[u8], s: usize) -> usize {
        data[s..]
            .iter()
            .position(|&b| !self.in_class(b))
            .map_or(data.len(), |i| s + i)
    }

    /// End offsets of keyword matches (ascending, possibly with duplicates).
    ///
    /// The DFA walk is latency-bound (one dependent table load per byte), so the
    /// data is split into four lanes walked in lock-step; lanes overlap by
    /// `max_len - 1` bytes so no keyword straddling a lane boundary is lost.
    fn ends_in_lanes(&self, data: &[u8]) -> Vec<usize> {
        const LANES: usize = 4;
        // Below this, one lane: the lanes' set-up and overlap would cost more than they save.
        const LANE_MIN: usize = 256;
        let dfa = &self.dfa;
        let Ok(start) = dfa.start_state(Anchored::No) else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        let n = data.len();
        if n < LANE_MIN.max(LANES * self.max_len) {
            self.walk(start, data, 0, &mut hits);
            return hits;
        }
        let chunk = n / LANES;
        let overlap = self.max_len.saturating_sub(1);
        let mut begin = [0usize; LANES];
        let mut end = [0usize; LANES];
        for k in 0..LANES {
            begin[k] = (k * chunk).saturating_sub(if k == 0 { 0 } else { overlap });
            end[k] = if k + 1 == LANES { n } else { (k + 1) * chunk };
        }
        let common = (0..LANES).map(|k| end[k] - begin[k]).min().unwrap_or(0);
        let (l0, l1, l2, l3) = (
            &data[begin[0]..begin[0] + common],
            &data[begin[1]..begin[1] + common],
            &data[begin[2]..begin[2] + common],
            &data[begin[3]..begin[3] + common],
        );
        let mut lane_hits: [Vec<usize>; LANES] = Default::default();
        let mut st = [start; LANES];
        for (i, (((&a, &b), &c), &d)) in l0.iter().zip(l1).zip(l2).zip(l3).enumerate() {
            st[0] = dfa.next_state(Anchored::No, st[0], a);
            st[1] = dfa.next_state(Anchored::No, st[1], b);
            st[2] = dfa.next_state(Anchored::No, st[2], c);
            st[3] = dfa.next_state(Anchored::No, st[3], d);
            if dfa.is_special(st[0])
                | dfa.is_special(st[1])
                | dfa.is_special(st[2])
                | dfa.is_special(st[3])
            {
                for k in 0..LANES {
                    if dfa.is_special(st[k]) && dfa.is_match(st[k]) {
                        lane_hits[k].push(begin[k] + i + 1);
                    }
                }
            }
        }
        for k in 0..LANES {
            hits.append(&mut lane_hits[k]);
            let from = begin[k] + common;
            self.walk(st[k], &data[from..end[k]], from, &mut hits);
        }
        hits.sort_unstable();
        hits
    }

    fn walk(&self, start: StateID, run: &[u8], base: usize, hits: &mut Vec<usize>) {
        let mut sid = start;
        for (i, &b) in run.iter().enumerate() {
            sid = self.dfa.next_state(Anchored::No, sid, b);
            if self.dfa.is_special(sid) && self.dfa.is_match(sid) {
                hits.push(base + i + 1);
            }
        }
    }

    /// Bit i of `out[w]` is set iff byte `w * 64 + i` of `data` is in the class; bits past the
    /// end of `data` are clear.
    fn class_masks(&self, data: &[u8], out: &mut [u64]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was detected at run time.
            unsafe { self.class_masks_avx2(data, out) };
            return;
        }
        self.class_masks_scalar(data, out);
    }

    fn class_masks_scalar(&self, data: &[u8], out: &mut [u64]) {
        for (w, chunk) in data.chunks(BLOCK).enumerate() {
            let mut m = 0u64;
            for (i, &b) in chunk.iter().enumerate() {
                m |= (self.in_class(b) as u64) << i;
            }
            out[w] = m;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn class_masks_avx2(&self, data: &[u8], out: &mut [u64]) {
        use std::arch::x86_64::*;
        let lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(self.lo.as_ptr().cast()));
        let hi = _mm256_broadcastsi128_si256(_mm_loadu_si128(self.hi.as_ptr().cast()));
        let full = data.len() / BLOCK;
        for (w, slot) in out.iter_mut().enumerate().take(full) {
            let p = data.as_ptr().add(w * BLOCK);
            *slot = class_bits32(p, lo, hi) as u64 | (class_bits32(p.add(32), lo, hi) as u64) << 32;
        }
        if full < out.len() {
            let tail = &data[full * BLOCK..];
            self.class_masks_scalar(tail, &mut out[full..full + 1]);
        }
    }
}

/// Bit i set iff byte `p[i]` is in the class of the nibble tables `lo`/`hi`.
///
/// # Safety
/// AVX2 is available and `p..p + 32` is readable.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn class_bits32(
    p: *const u8,
    lo: std::arch::x86_64::__m256i,
    hi: std::arch::x86_64::__m256i,
) -> u32 {
    use std::arch::x86_64::*;
    let nib = _mm256_set1_epi8(0x0f);
    let v = _mm256_loadu_si256(p.cast());
    let l = _mm256_shuffle_epi8(lo, _mm256_and_si256(v, nib));
    let h = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
    let none = _mm256_cmpeq_epi8(_mm256_and_si256(l, h), _mm256_setzero_si256());
    !(_mm256_movemask_epi8(none) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::MatchKind;

    fn finder(keywords: &[&str]) -> KeywordFinder {
        let kw: Vec<String> = keywords.iter().map(|s| s.to_string()).collect();
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&kw)
            .unwrap();
        KeywordFinder::new(dfa, &kw)
    }

    fn plain(f: &KeywordFinder, data: &[u8]) -> Vec<usize> {
        let mut v = Vec::new();
        f.walk(f.dfa.start_state(Anchored::No).unwrap(), data, 0, &mut v);
        v
    }

    /// xorshift: deterministic bytes without a dependency.
    fn bytes(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn runs_find_exactly_what_the_whole_walk_finds() {
        let kws = [
            "akia",
            "ghp_",
            "-----begin",
            "password",
            "hf_",
            "q~",
            "secret_key",
        ];
        let f = finder(&kws);
        for seed in 1..40u64 {
            let mut data = bytes(seed, 1 + (seed as usize * 7919) % 70_000);
            // Plant keywords at pass, word and buffer edges, and in mixed case.
            let n = data.len();
            for (j, at) in [
                0,
                61,
                63,
                64,
                127,
                16_380,
                16_383,
                16_384,
                n / 2,
                n.saturating_sub(4),
            ]
            .into_iter()
            .enumerate()
            {
                let k = kws[(j + seed as usize) % kws.len()].as_bytes();
                let k: Vec<u8> = if j % 2 == 0 {
                    k.to_ascii_uppercase()
                } else {
                    k.to_vec()
                };
                if at + k.len() <= n {
                    data[at..at + k.len()].copy_from_slice(&k);
                }
            }
            assert_eq!(f.ends(&data, true), plain(&f, &data), "seed {seed}");
            let mut lanes = f.ends(&data, false);
            lanes.dedup();
            assert_eq!(lanes, plain(&f, &data), "seed {seed}");
        }
    }

    #[test]
    fn the_lanes_of_short_buffers_find_what_one_walk_finds() {
        let f = finder(&["password", "hf_", "secret_key"]);
        for n in [0, 1, 40, 79, 80, 81, 255, 256, 257, 300, 1000, 5000] {
            // Keywords everywhere, so some straddle every lane boundary.
            let text: Vec<u8> = b"xx password hf_ secret_key "
                .iter()
                .cycle()
                .take(n)
                .copied()
                .collect();
            let mut got = f.ends(&text, false);
            got.dedup();
            assert_eq!(got, plain(&f, &text), "n = {n}");
        }
    }

    #[test]
    fn text_runs_and_a_buffer_of_class_bytes_only() {
        let f = finder(&["password", "token"]);
        let text = b"x=1\npassword=hunter2 TOKEN:abc\n".repeat(2000);
        assert_eq!(f.ends(&text, true), plain(&f, &text));
        let all = b"passwordtoken".repeat(5000);
        assert_eq!(f.ends(&all, true), plain(&f, &all));
        assert!(f.ends(b"", true).is_empty());
        assert_eq!(f.ends(b"token", true), vec![5]);
    }

    #[test]
    fn the_class_holds_both_cases_and_nothing_else() {
        let f = finder(&["ab_"]);
        for b in 0..=255u8 {
            let want = matches!(b, b'a' | b'b' | b'A' | b'B' | b'_');
            assert_eq!(f.in_class(b), want, "byte {b}");
        }
        let mut m = [0u64; 2];
        let data: Vec<u8> = (0..100u8)
            .map(|i| if i % 3 == 0 { b'a' } else { 0 })
            .collect();
        f.class_masks(&data, &mut m);
        let mut s = [0u64; 2];
        f.class_masks_scalar(&data, &mut s);
        assert_eq!(m, s);
    }
}

//! The one masking function. Every surface that shows bytes from an image (the preview, the
//! version diff, search hits, hex dumps, history and config text, JSON, SARIF, CI text) cuts them
//! with [`redact`]: secret spans are byte offsets into the exact bytes shown, computed once, widened
//! to whole characters and merged, and each secret piece gets its mask *before* anything escapes,
//! cuts or scrolls the text. A surface then picks `Piece::shown(reveal)` and cannot misplace a mask.
//!
//! Besides the spans a caller knows (the findings of that file version), every occurrence of any
//! secret value found anywhere in the image is masked too ([`KnownSecrets`]): the other side of a
//! diff, an ENV value echoed in a `RUN` line, a line where the rule no longer fires.

use std::ops::Range;

use aho_corasick::AhoCorasick;

use super::mask::mask;

/// A secret's place in the bytes of a file version or a text, in absolute byte offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretSpan {
    pub range: Range<u64>,
    /// The finding it belongs to, where there is one (a known value found elsewhere has none).
    pub finding: Option<usize>,
}

/// How a secret piece is shown while masked, and which finding it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hidden {
    pub masked: String,
    pub finding: Option<usize>,
}

/// A run of shown text: plain, or a secret with its mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The bytes as the caller's escape turned them into text.
    pub text: String,
    pub secret: Option<Hidden>,
}

impl Piece {
    pub fn plain(text: String) -> Piece {
        Piece { text, secret: None }
    }
    /// What a surface prints: the mask of a secret piece unless `reveal`.
    pub fn shown(&self, reveal: bool) -> &str {
        match &self.secret {
            Some(h) if !reveal => &h.masked,
            _ => &self.text,
        }
    }
}

/// Pieces joined as a surface prints them.
pub fn shown(pieces: &[Piece], reveal: bool) -> String {
    pieces.iter().map(|p| p.shown(reveal)).collect()
}

/// Shorter values are not searched for elsewhere: they would mask ordinary words.
const MIN_KNOWN: usize = 4;

/// Every secret value of an image, to mask wherever it shows up.
#[derive(Default)]
pub struct KnownSecrets {
    ac: Option<AhoCorasick>,
}

impl KnownSecrets {
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> KnownSecrets {
        let mut v: Vec<&str> = values
            .into_iter()
            .filter(|s| s.len() >= MIN_KNOWN)
            .collect();
        v.sort_unstable();
        v.dedup();
        let ac = if v.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&v)
                .ok()
        };
        KnownSecrets { ac }
    }

    /// Where known values occur in `bytes`, as spans offset by `base`.
    pub fn find(&self, bytes: &[u8], base: u64) -> Vec<SecretSpan> {
        let Some(ac) = &self.ac else {
            return Vec::new();
        };
        ac.find_iter(bytes)
            .map(|m| SecretSpan {
                range: base + m.start() as u64..base + m.end() as u64,
                finding: None,
            })
            .collect()
    }
}

/// Turns a run of bytes into shown text. `col` is the column where the run starts on its line
/// (for tab stops); the function advances it.
pub type Escape<'e> = &'e dyn Fn(&[u8], &mut usize) -> String;

/// Lossless for valid UTF-8 (JSON, SARIF and CI text escape later, their own way).
pub fn no_escape(b: &[u8], col: &mut usize) -> String {
    let s = String::from_utf8_lossy(b).into_owned();
    *col += s.chars().count();
    s
}

/// Cuts `bytes` (which start at absolute offset `base`) into plain and secret pieces.
///
/// `spans` may be unsorted, overlapping, or reach outside the bytes; each is clipped, widened to
/// whole UTF-8 characters, and merged with those it overlaps. Known values found in the bytes are
/// added. A span that starts before `base` is shown as a continuation (`•`), never by its
/// first characters, so a secret cut by a line or chunk edge shows no piece of itself.
pub fn redact(
    bytes: &[u8],
    base: u64,
    spans: &[SecretSpan],
    known: &KnownSecrets,
    escape: Escape,
) -> Vec<Piece> {
    let end = base + bytes.len() as u64;
    let mut cuts: Vec<(Range<usize>, bool, Option<usize>)> = spans
        .iter()
        .cloned()
        .chain(known.find(bytes, base))
        .filter(|s| s.range.start < end && s.range.end > base && s.range.start < s.range.end)
        .map(|s| {
            let cont = s.range.start < base;
            let a = (s.range.start.max(base) - base) as usize;
            let b = (s.range.end.min(end) - base) as usize;
            (widen(bytes, a, b), cont, s.finding)
        })
        .collect();
    cuts.sort_by_key(|(r, _, _)| (r.start, std::cmp::Reverse(r.end)));
    let mut merged: Vec<(Range<usize>, bool, Option<usize>)> = Vec::with_capacity(cuts.len());
    for c in cuts {
        match merged.last_mut() {
            Some(last) if c.0.start < last.0.end => {
                last.0.end = last.0.end.max(c.0.end);
                last.2 = last.2.or(c.2);
            }
            _ => merged.push(c),
        }
    }
    let mut out = Vec::with_capacity(merged.len() * 2 + 1);
    let mut pos = 0;
    let mut col = 0usize;
    for (r, cont, finding) in merged {
        if r.start > pos {
            out.push(Piece::plain(escape(&bytes[pos..r.start], &mut col)));
        }
        let text = escape(&bytes[r.clone()], &mut col);
        let masked = if cont {
            "•".repeat(text.chars().count().clamp(1, 16))
        } else {
            mask(&text)
        };
        out.push(Piece {
            text,
            secret: Some(Hidden { masked, finding }),
        });
        pos = r.end;
    }
    if pos < bytes.len() || out.is_empty() {
        out.push(Piece::plain(escape(&bytes[pos..], &mut col)));
    }
    out
}

/// `text` as it may be shown outside the terminal (JSON, SARIF, CI text, notes): every span and
/// known value masked, nothing else changed.
pub fn redact_str(text: &str, spans: &[SecretSpan], known: &KnownSecrets) -> String {
    shown(&redact(text.as_bytes(), 0, spans, known, &no_escape), false)
}

/// Replace each `spans` range of `text` with the mask of the text it covers: [`redact_str`]
/// for callers that hold plain byte ranges.
///
/// [`redact_str`]: redact_str
pub fn mask_spans(text: &str, spans: &[Range<usize>]) -> String {
    let spans: Vec<SecretSpan> = spans
        .iter()
        .map(|r| SecretSpan {
            range: r.start as u64..r.end as u64,
            finding: None,
        })
        .collect();
    redact_str(text, &spans, &KnownSecrets::default())
}

/// Spans of the tokens in `text` that look like secrets (20+ characters of a base64-like alphabet,
/// upper and lower case and digits, 3.5+ bits of entropy per character; not an absolute path),
/// for text shown before the scan
/// that would name its secrets has finished: a value only a file's rule recognises may be echoed in
/// a build step, and it must not show while the pass is still running.
pub fn likely_secret_spans(text: &str) -> Vec<SecretSpan> {
    let b = text.as_bytes();
    let tok = |c: u8| c.is_ascii_alphanumeric() || b"+/=_-".contains(&c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !tok(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && tok(b[i]) {
            i += 1;
        }
        let t = &b[start..i];
        if t.len() >= 20
            && t[0] != b'/'
            && t.iter().any(u8::is_ascii_digit)
            && t.iter().any(u8::is_ascii_uppercase)
            && t.iter().any(u8::is_ascii_lowercase)
            && super::mask::shannon_entropy(t) >= 3.5
        {
            out.push(SecretSpan {
                range: start as u64..i as u64,
                finding: None,
            });
        }
    }
    out
}

/// Widens `a..b` outwards to UTF-8 character boundaries (continuation bytes are `10xxxxxx`).
fn widen(bytes: &[u8], mut a: usize, mut b: usize) -> Range<usize> {
    let cont = |i: usize| bytes.get(i).is_some_and(|&c| c & 0xc0 == 0x80);
    for _ in 0..3 {
        if a > 0 && cont(a) {
            a -= 1;
        }
    }
    for _ in 0..3 {
        if cont(b) {
            b += 1;
        }
    }
    a..b.min(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_spans_basic() {
        let t = "TOKEN=abcdefghijklmnop rest";
        assert_eq!(
            mask_spans(t, std::slice::from_ref(&(6..22))),
            "TOKEN=abcd… rest"
        );
        // overlapping / unsorted / out of range
        assert_eq!(
            mask_spans(t, &[10..22, 6..12, 100..200]),
            "TOKEN=abcd… rest"
        );
        assert_eq!(
            mask_spans("é=secretvalue", std::slice::from_ref(&(3..14))),
            "é=se…"
        );
        assert_eq!(
            mask_spans("é=secretvalue", std::slice::from_ref(&(1..3))),
            "…secretvalue"
        );
        assert_eq!(mask_spans("x", &[]), "x");
    }

    fn sp(r: Range<u64>) -> SecretSpan {
        SecretSpan {
            range: r,
            finding: Some(0),
        }
    }

    #[test]
    fn two_secrets_on_one_line_each_masked_in_place() {
        let t = "A=ghp_aaaaaaaaaaaaaaaaaaaa B=hf_bbbbbbbbbbbbbbbbbbbbbbbb!";
        let p = redact_str(t, &[sp(2..26), sp(29..56)], &KnownSecrets::default());
        assert_eq!(p, "A=ghp_… B=hf_b…!");
    }

    #[test]
    fn spans_clipped_widened_and_merged() {
        let t = "é=secretvalue";
        assert_eq!(
            redact_str(t, &[sp(3..14)], &KnownSecrets::default()),
            "é=se…"
        );
        // A span starting inside `é` takes the whole character.
        assert_eq!(
            redact_str(t, &[sp(1..3)], &KnownSecrets::default()),
            "…secretvalue"
        );
        assert_eq!(
            redact_str(
                "TOKEN=abcdefghijklmnop rest",
                &[sp(10..22), sp(6..12), sp(100..200)],
                &KnownSecrets::default()
            ),
            "TOKEN=abcd… rest"
        );
    }

    #[test]
    fn likely_secrets_are_long_mixed_high_entropy_tokens() {
        let t = "RUN echo wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9Xa3 > /root/key && apt-get install -y libssl3";
        let s = likely_secret_spans(t);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(
            &t[s[0].range.start as usize..s[0].range.end as usize],
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9Xa3"
        );
        // Paths, versions and words are left alone.
        assert!(likely_secret_spans(
            "/usr/lib/x86_64-linux-gnu/libssl.so.3 ca-certificates=20230311"
        )
        .is_empty());
    }

    #[test]
    fn continuation_shows_no_characters() {
        let b = b"ijklmnop rest";
        let p = redact(b, 100, &[sp(92..108)], &KnownSecrets::default(), &no_escape);
        assert_eq!(p[0].secret.as_ref().unwrap().masked, "••••••••");
        assert_eq!(shown(&p, false), "•••••••• rest");
        assert_eq!(shown(&p, true), "ijklmnop rest");
    }

    #[test]
    fn known_values_masked_without_a_span() {
        let k = KnownSecrets::new(["s3cr3tv4lue-xyz", "abc"]);
        assert_eq!(redact_str("x=s3cr3tv4lue-xyz abc", &[], &k), "x=s3c… abc");
    }

    #[test]
    fn escape_runs_per_piece_with_columns() {
        let tabs = |b: &[u8], col: &mut usize| -> String {
            let mut s = String::new();
            for &c in b {
                if c == b'\t' {
                    let pad = 4 - *col % 4;
                    s.extend(std::iter::repeat_n(' ', pad));
                    *col += pad;
                } else {
                    s.push(c as char);
                    *col += 1;
                }
            }
            s
        };
        let p = redact(
            b"\tk=abcdefghijklmnopq\tz",
            0,
            &[sp(3..20)],
            &KnownSecrets::default(),
            &tabs,
        );
        assert_eq!(shown(&p, true), "    k=abcdefghijklmnopq z");
        assert_eq!(shown(&p, false), "    k=abcd… z");
    }
}

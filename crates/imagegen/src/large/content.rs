//! Generated file content: a word corpus and readers of text, binary and compressible bytes.

use crate::fake::Rng;
use std::io::{self, Read};

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "for",
    "that",
    "with",
    "on",
    "as",
    "this",
    "be",
    "by",
    "file",
    "package",
    "license",
    "copyright",
    "software",
    "version",
    "return",
    "function",
    "import",
    "from",
    "class",
    "self",
    "def",
    "const",
    "let",
    "var",
    "module",
    "exports",
    "require",
    "value",
    "error",
    "data",
    "config",
    "path",
    "buffer",
    "string",
    "number",
    "object",
    "array",
    "true",
    "false",
    "null",
    "None",
    "if",
    "else",
    "while",
    "async",
    "await",
    "yield",
    "distributed",
    "WITHOUT",
    "WARRANTY",
    "GNU",
    "General",
    "Public",
    "License",
    "Free",
    "Foundation",
    "permission",
    "granted",
    "merchantability",
    "fitness",
    "purpose",
    "debian",
    "upstream",
    "changelog",
    "urgency",
    "medium",
    "fixes",
    "security",
    "update",
    "build",
    "depends",
    "python3",
    "node",
    "lib",
    "usr",
    "share",
    "doc",
    "bin",
    "etc",
    "var",
    "x86_64",
    "linux",
    "gnu",
    "so",
    "test",
    "assert",
    "raise",
    "except",
    "try",
    "finally",
    "lambda",
    "typeof",
    "undefined",
    "prototype",
    "constructor",
    "length",
    "index",
    "key",
    "map",
    "filter",
];

/// A few MB of word salad that text files take slices of: fast, and compresses like real text.
pub struct Corpus(Vec<u8>);

impl Corpus {
    pub fn new(seed: u64) -> Corpus {
        let mut rng = Rng::new(seed ^ 0xc0ffee);
        let mut out = Vec::with_capacity(4 << 20);
        let mut col = 0;
        while out.len() < (4 << 20) {
            let w = rng.pick(WORDS);
            out.extend_from_slice(w.as_bytes());
            col += w.len() + 1;
            if col > 60 + rng.below(30) as usize {
                out.push(b'\n');
                col = 0;
                if rng.chance(10) {
                    out.push(b'\n');
                }
            } else if rng.chance(8) {
                out.extend_from_slice(b"(); ");
            } else {
                out.push(b' ');
            }
        }
        Corpus(out)
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Word salad (sources, docs, metadata).
    Text,
    /// Machine-code-like bytes: a mix of random, low-entropy and repeated blocks (~2:1 gzip).
    Binary,
    /// Pure PRNG output (already-compressed payloads, model weights).
    Random,
}

/// Streams generated content; `plant` puts fixed bytes at an offset (a secret deep in a file).
pub struct Content<'a> {
    pub(super) kind: Kind,
    pub(super) rng: Rng,
    pub(super) left: u64,
    pub(super) pos: u64,
    pub(super) corpus: &'a Corpus,
    pub(super) text_at: usize,
    pub(super) plant: Option<(u64, &'a [u8])>,
    pub(super) block: Vec<u8>,
    pub(super) block_pos: usize,
}

impl<'a> Content<'a> {
    pub fn new(corpus: &'a Corpus, kind: Kind, size: u64, seed: u64) -> Content<'a> {
        let mut rng = Rng::new(seed);
        let text_at = rng.below(corpus.0.len() as u64 / 2) as usize;
        Content {
            kind,
            rng,
            left: size,
            pos: 0,
            corpus,
            text_at,
            plant: None,
            block: Vec::new(),
            block_pos: 0,
        }
    }
    pub fn with_plant(mut self, offset: u64, bytes: &'a [u8]) -> Self {
        self.plant = Some((offset, bytes));
        self
    }
    fn next_block(&mut self) {
        const B: usize = 4096;
        self.block.resize(B, 0);
        self.block_pos = 0;
        match self.kind {
            Kind::Random => self.rng.fill(&mut self.block),
            Kind::Binary => match self.rng.below(10) {
                0..=3 => self.rng.fill(&mut self.block),
                4..=6 => {
                    self.rng.fill(&mut self.block);
                    for b in self.block.iter_mut() {
                        *b &= 0x0f;
                    }
                }
                _ => {
                    let mut pat = [0u8; 16];
                    self.rng.fill(&mut pat);
                    for (i, b) in self.block.iter_mut().enumerate() {
                        *b = pat[i % 16];
                    }
                }
            },
            Kind::Text => {
                let c = &self.corpus.0;
                if self.text_at + B > c.len() {
                    self.text_at = self.rng.below(c.len() as u64 / 2) as usize;
                }
                self.block
                    .copy_from_slice(&c[self.text_at..self.text_at + B]);
                self.text_at += B;
            }
        }
    }
}

impl Read for Content<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && self.left > 0 {
            if self.block_pos >= self.block.len() {
                self.next_block();
            }
            let k = (buf.len() - n)
                .min(self.block.len() - self.block_pos)
                .min(self.left as usize);
            buf[n..n + k].copy_from_slice(&self.block[self.block_pos..self.block_pos + k]);
            // Overlay the planted bytes where they fall in this chunk.
            if let Some((at, bytes)) = self.plant {
                let (s, e) = (self.pos, self.pos + k as u64);
                let (ps, pe) = (at, at + bytes.len() as u64);
                if ps < e && pe > s {
                    let from = ps.max(s);
                    let to = pe.min(e);
                    let dst = n + (from - s) as usize;
                    let src = (from - ps) as usize;
                    let len = (to - from) as usize;
                    buf[dst..dst + len].copy_from_slice(&bytes[src..src + len]);
                }
            }
            self.block_pos += k;
            self.left -= k as u64;
            self.pos += k as u64;
            n += k;
        }
        Ok(n)
    }
}

//! Deterministic generator of large, realistic container images for benchmarks (no network).
//!
//! Shared by `examples/gen_bench_image.rs` (the CLI), the criterion benches (in-memory layers) and
//! a smoke test. Unlike the rest of this crate it streams: layers of a gigabyte never sit in memory. Everything derives from one seed: the same flags give byte-identical archives.
//!
//! Images:
//! - `big`: ~1 GB at scale 1 — a distribution root (usr/lib, usr/share/doc, dpkg info, many
//!   small text files), a Python site-packages and a node_modules tree (tens of thousands of small
//!   files), large binaries (5–50 MB of seeded pseudo-random, partly compressible bytes), then a
//!   cleanup layer with deletions (whiteouts, an opaque dir) and overwrites. FAKE secrets are
//!   planted (an `AKIA…` key id, a `ghp_` token, a PEM key, one deep inside a 30 MB binary, one in
//!   a file that a later layer deletes). Written as a legacy `docker save`, an OCI archive with
//!   gzip layers and one with zstd layers.
//! - `many`: 350,000 files in 8 layers (docker save; also the Docker 25+ layout for xray-tui).
//! - `many40`: the same 350,000 files spread over 40 layers, with a file re-written in every
//!   layer and deletions along the way (docker save).
//!
//! Layer tars are streamed to disk while hashed (never held in memory), then copied into the
//! outer archives (compressed on the way for the OCI variants, one thread per layer).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Fixed mtime for every entry: byte-identical output across runs.
pub const MTIME: u64 = 1_700_000_000;

// ------------------------------------------------------------------------------------------------
// PRNG

pub use crate::fake::Rng;

// ------------------------------------------------------------------------------------------------
// Content

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
    kind: Kind,
    rng: Rng,
    left: u64,
    pos: u64,
    corpus: &'a Corpus,
    text_at: usize,
    plant: Option<(u64, &'a [u8])>,
    block: Vec<u8>,
    block_pos: usize,
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

// ------------------------------------------------------------------------------------------------
// Layer writer

/// Hashes (sha256) and counts what goes through to the inner writer.
pub struct HashWriter<W> {
    pub inner: W,
    pub hasher: Sha256,
    pub count: u64,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> HashWriter<W> {
    pub fn new(inner: W) -> Self {
        HashWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    pub fn hex(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }
}

pub use layerscope_core::digest::hex;

/// Writes one layer tar the way `docker build` does: parent directories listed before their
/// children, whiteouts as empty `.wh.` files.
pub struct LayerWriter<'c, W: Write> {
    b: tar::Builder<HashWriter<W>>,
    dirs: HashSet<String>,
    pub corpus: &'c Corpus,
    pub files: u64,
    pub content_bytes: u64,
}

impl<'c, W: Write> LayerWriter<'c, W> {
    pub fn new(inner: W, corpus: &'c Corpus) -> Self {
        let mut b = tar::Builder::new(HashWriter::new(inner));
        b.mode(tar::HeaderMode::Deterministic);
        LayerWriter {
            b,
            dirs: HashSet::new(),
            corpus,
            files: 0,
            content_bytes: 0,
        }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    fn parents(&mut self, path: &str) -> io::Result<()> {
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            let dir = &path[..end + i];
            end += i + 1;
            if self.dirs.insert(dir.to_string()) {
                let mut h = Self::header(tar::EntryType::Directory, 0o755, 0);
                self.b.append_data(&mut h, format!("{dir}/"), io::empty())?;
            }
        }
        Ok(())
    }

    pub fn dir(&mut self, path: &str) -> io::Result<()> {
        self.parents(&format!("{path}/"))
    }

    pub fn file(
        &mut self,
        path: &str,
        mode: u32,
        kind: Kind,
        size: u64,
        seed: u64,
    ) -> io::Result<()> {
        let content = Content::new(self.corpus, kind, size, seed);
        self.file_from(path, mode, size, content)
    }

    pub fn file_from(&mut self, path: &str, mode: u32, size: u64, r: impl Read) -> io::Result<()> {
        self.parents(path)?;
        let mut h = Self::header(tar::EntryType::Regular, mode, size);
        self.b.append_data(&mut h, path, r)?;
        self.files += 1;
        self.content_bytes += size;
        Ok(())
    }

    pub fn literal(&mut self, path: &str, mode: u32, data: &[u8]) -> io::Result<()> {
        self.file_from(path, mode, data.len() as u64, data)
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.parents(path)?;
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0);
        self.b.append_link(&mut h, path, target)?;
        self.files += 1;
        Ok(())
    }

    pub fn hardlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.parents(path)?;
        let mut h = Self::header(tar::EntryType::Link, 0o755, 0);
        self.b.append_link(&mut h, path, target)?;
        self.files += 1;
        Ok(())
    }

    /// Deletes `path` (from lower layers).
    pub fn whiteout(&mut self, path: &str) -> io::Result<()> {
        let (dir, base) = match path.rfind('/') {
            Some(i) => (&path[..i + 1], &path[i + 1..]),
            None => ("", path),
        };
        let wh = format!("{dir}.wh.{base}");
        self.parents(&wh)?;
        let mut h = Self::header(tar::EntryType::Regular, 0o000, 0);
        self.b.append_data(&mut h, wh, io::empty())
    }

    /// Hides everything lower layers hold under `dir`.
    pub fn opaque(&mut self, dir: &str) -> io::Result<()> {
        let wh = format!("{dir}/.wh..wh..opq");
        self.parents(&wh)?;
        let mut h = Self::header(tar::EntryType::Regular, 0o755, 0);
        self.b.append_data(&mut h, wh, io::empty())
    }

    /// Ends the archive; returns (inner writer, diff_id hex, tar size).
    pub fn finish(self) -> io::Result<(W, String, u64)> {
        let hw = self.b.into_inner()?;
        let hex = hex(&hw.hasher.finalize());
        Ok((hw.inner, hex, hw.count))
    }
}

// ------------------------------------------------------------------------------------------------
// Trees of files

/// A Python package, an npm package, a Debian package: a nest of directories with small files.
#[derive(Clone)]
pub struct TreeSpec {
    pub root: String,
    pub name_prefix: &'static str,
    pub exts: &'static [&'static str],
    /// Size range of text files.
    pub text: (u64, u64),
    /// Percent of files that are binaries, and their size range.
    pub bin_pct: u64,
    pub bin: (u64, u64),
    pub files_per_dir: (u64, u64),
}

const SYLLABLES: &[&str] = &[
    "ab", "co", "de", "ex", "fu", "gi", "ha", "in", "jo", "ka", "lo", "mi", "nu", "op", "py", "qu",
    "re", "st", "tu", "ur", "vi", "wa", "xy", "yo", "ze", "util", "core", "lib", "io", "http",
    "json", "yaml", "log", "net", "web", "cli", "api", "db", "sql", "test", "async",
];

pub fn ident(rng: &mut Rng) -> String {
    let n = rng.range(2, 4);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 && rng.chance(30) {
            s.push('_');
        }
        let syllable: &&str = rng.pick(SYLLABLES);
        s.push_str(syllable);
    }
    s
}

/// Writes `count` files shaped by `spec`; returns the paths written (for later layers to delete
/// or overwrite).
pub fn write_tree<W: Write>(
    w: &mut LayerWriter<'_, W>,
    rng: &mut Rng,
    spec: &TreeSpec,
    count: u64,
) -> io::Result<Vec<String>> {
    let mut out = Vec::with_capacity(count as usize);
    let mut written = 0;
    let mut pkg_no = 0;
    while written < count {
        pkg_no += 1;
        let pkg = format!("{}{}{}", spec.name_prefix, ident(rng), pkg_no);
        // A package: a few sub-directories, a handful of files each.
        let subdirs = rng.range(1, 6);
        for d in 0..subdirs {
            let dir = if d == 0 {
                format!("{}/{pkg}", spec.root)
            } else {
                format!("{}/{pkg}/{}", spec.root, ident(rng))
            };
            let nfiles = rng.range(spec.files_per_dir.0, spec.files_per_dir.1);
            for f in 0..nfiles {
                if written >= count {
                    break;
                }
                let seed = rng.next_u64();
                let (kind, size, mode, ext) = if rng.below(100) < spec.bin_pct {
                    (Kind::Binary, rng.range(spec.bin.0, spec.bin.1), 0o755, "so")
                } else {
                    // Mostly small files, some larger: a long tail like real trees.
                    let mut sz = rng.range(spec.text.0, spec.text.1);
                    if rng.chance(5) {
                        sz *= 8;
                    }
                    (Kind::Text, sz, 0o644, *rng.pick(spec.exts))
                };
                let path = format!("{dir}/{}_{f}.{ext}", ident(rng));
                w.file(&path, mode, kind, size, seed)?;
                out.push(path);
                written += 1;
            }
        }
    }
    Ok(out)
}

pub fn distro_spec() -> TreeSpec {
    TreeSpec {
        root: "usr/share/doc".into(),
        name_prefix: "lib",
        exts: &["txt", "gz", "md", "conf", "list", "md5sums"],
        text: (200, 6_000),
        bin_pct: 0,
        bin: (0, 0),
        files_per_dir: (2, 8),
    }
}

pub fn python_spec() -> TreeSpec {
    TreeSpec {
        root: "usr/local/lib/python3.12/site-packages".into(),
        name_prefix: "",
        exts: &["py", "py", "py", "pyi", "txt", "json", "typed"],
        text: (100, 9_000),
        bin_pct: 1,
        bin: (50_000, 1_500_000),
        files_per_dir: (3, 25),
    }
}

pub fn node_spec() -> TreeSpec {
    TreeSpec {
        root: "app/node_modules".into(),
        name_prefix: "",
        exts: &["js", "js", "js", "json", "d.ts", "md", "map", "cjs", "mjs"],
        text: (80, 4_000),
        bin_pct: 0,
        bin: (0, 0),
        files_per_dir: (2, 20),
    }
}

// ------------------------------------------------------------------------------------------------
// Fake secrets (generated, never real)

pub struct Secrets {
    pub aws_key_id: String,
    pub aws_secret: String,
    pub github: String,
    pub pem: String,
    pub deep_key_id: String,
}

impl Secrets {
    pub fn new(seed: u64) -> Secrets {
        let mut r = Rng::new(seed ^ 0x5ec2e7);
        const UP: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let body: String = (0..20)
            .map(|_| r.string(B64, 64) + "\n")
            .collect::<Vec<_>>()
            .concat();
        Secrets {
            aws_key_id: format!("AKIA{}", r.string(UP, 16)),
            aws_secret: r.string(B64, 40),
            github: format!("ghp_{}", r.string(ALNUM, 36)),
            pem: format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n"),
            deep_key_id: format!("AKIA{}", r.string(UP, 16)),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Images

#[derive(Clone, Debug)]
pub struct Params {
    /// Multiplies file counts and byte sizes (1.0 = full size; 0.01 for a smoke run).
    pub scale: f64,
    pub seed: u64,
    pub gzip_level: u32,
    pub zstd_level: i32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            scale: 1.0,
            seed: 42,
            gzip_level: 6,
            zstd_level: 3,
        }
    }
}

impl Params {
    fn n(&self, full: u64) -> u64 {
        ((full as f64 * self.scale).round() as u64).max(1)
    }
}

/// One layer as generated: its tar on disk plus what the config says of it.
pub struct Layer {
    pub tar: PathBuf,
    pub diff_id: String,
    pub size: u64,
    pub created_by: String,
    pub files: u64,
}

fn write_layer(
    dir: &Path,
    i: usize,
    corpus: &Corpus,
    build: &dyn Fn(&mut LayerWriter<'_, BufWriter<File>>) -> io::Result<()>,
    created_by: &str,
) -> io::Result<Layer> {
    let tar = dir.join(format!("layer-{i:02}.tar"));
    let f = BufWriter::with_capacity(1 << 20, File::create(&tar)?);
    let mut w = LayerWriter::new(f, corpus);
    build(&mut w)?;
    let files = w.files;
    let (mut f, diff_id, size) = w.finish()?;
    f.flush()?;
    Ok(Layer {
        tar,
        diff_id,
        size,
        created_by: created_by.to_string(),
        files,
    })
}

/// The `big` image: ~1 GB, ~45k files at scale 1.
pub fn big_layers(dir: &Path, p: &Params) -> io::Result<Vec<Layer>> {
    let corpus = Corpus::new(p.seed);
    let s = Secrets::new(p.seed);
    let mut layers = Vec::new();
    let seed = p.seed;
    let sc = p.scale;
    let n = |full: u64| p.n(full);
    let bytes = |full: u64| ((full as f64 * sc) as u64).max(1);

    // 0: base distribution.
    layers.push(write_layer(
        dir,
        0,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed);
            for d in [
                "bin", "dev", "home", "proc", "root", "run", "sys", "tmp", "var/log", "var/tmp",
            ] {
                w.dir(d)?;
            }
            w.literal(
                "etc/os-release",
                0o644,
                b"PRETTY_NAME=\"Benchian GNU/Linux 12\"\nID=benchian\n",
            )?;
            w.literal("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/bash\n")?;
            w.file(
                "var/lib/dpkg/status",
                0o644,
                Kind::Text,
                bytes(2_000_000),
                rng.next_u64(),
            )?;
            w.file(
                "etc/ld.so.cache",
                0o644,
                Kind::Binary,
                bytes(60_000),
                rng.next_u64(),
            )?;
            // Shared libraries and executables.
            for i in 0..n(900) {
                let name = format!("usr/lib/x86_64-linux-gnu/lib{}{i}.so.1", ident(&mut rng));
                let size = rng.range(bytes(8_000), bytes(300_000));
                w.file(&name, 0o644, Kind::Binary, size, rng.next_u64())?;
                w.symlink(&name[..name.len() - 2], name.rsplit('/').next().unwrap())?;
            }
            for i in 0..n(500) {
                let name = format!("usr/bin/{}{i}", ident(&mut rng));
                w.file(
                    &name,
                    0o755,
                    Kind::Binary,
                    rng.range(bytes(10_000), bytes(200_000)),
                    rng.next_u64(),
                )?;
            }
            w.file(
                "usr/bin/python3.12",
                0o755,
                Kind::Binary,
                bytes(6_500_000),
                rng.next_u64(),
            )?;
            w.hardlink("usr/bin/python3", "usr/bin/python3.12")?;
            w.symlink("bin/sh", "/usr/bin/dash")?;
            write_tree(w, &mut rng, &distro_spec(), n(6_000))?;
            let mut spec = distro_spec();
            spec.root = "var/lib/dpkg/info".into();
            write_tree(w, &mut rng, &spec, n(2_500))?;
            spec.root = "usr/share/locale".into();
            spec.exts = &["mo"];
            write_tree(w, &mut rng, &spec, n(1_500))?;
            for i in 0..n(40) {
                w.file(
                    &format!("var/lib/apt/lists/deb_{i}_Packages"),
                    0o644,
                    Kind::Text,
                    rng.range(bytes(100_000), bytes(900_000)),
                    rng.next_u64(),
                )?;
            }
            Ok(())
        },
        "/bin/sh -c #(nop) ADD file:benchian-rootfs.tar.xz in / ",
    )?);

    // 1: build toolchain (apt-get install), overwriting some base files.
    layers.push(write_layer(
        dir,
        1,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed ^ 1);
            w.file(
                "var/lib/dpkg/status",
                0o644,
                Kind::Text,
                bytes(2_400_000),
                rng.next_u64(),
            )?;
            w.file(
                "etc/ld.so.cache",
                0o644,
                Kind::Binary,
                bytes(90_000),
                rng.next_u64(),
            )?;
            for i in 0..n(300) {
                let name = format!("usr/lib/gcc/x86_64-linux-gnu/12/{}{i}.a", ident(&mut rng));
                w.file(
                    &name,
                    0o644,
                    Kind::Binary,
                    rng.range(bytes(20_000), bytes(500_000)),
                    rng.next_u64(),
                )?;
            }
            let mut spec = distro_spec();
            spec.root = "usr/include".into();
            spec.exts = &["h", "h", "hpp"];
            write_tree(w, &mut rng, &spec, n(3_500))?;
            w.file(
                "usr/bin/cc1",
                0o755,
                Kind::Binary,
                bytes(30_000_000),
                rng.next_u64(),
            )?;
            Ok(())
        },
        "/bin/sh -c apt-get update && apt-get install -y build-essential python3-dev nodejs",
    )?);

    // 2: pip install.
    layers.push(write_layer(dir, 2, &corpus, &|w| {
        let mut rng = Rng::new(seed ^ 2);
        write_tree(w, &mut rng, &python_spec(), n(15_000))?;
        // Planted: an AWS key pair in a settings module.
        let settings = format!(
            "# settings for the billing service\nAWS_REGION = 'eu-west-1'\nAWS_ACCESS_KEY_ID = '{}'\nAWS_SECRET_ACCESS_KEY = '{}'\n",
            s.aws_key_id, s.aws_secret
        );
        w.literal("usr/local/lib/python3.12/site-packages/billing/settings.py", 0o644, settings.as_bytes())?;
        Ok(())
    }, "/bin/sh -c pip install --no-cache-dir -r requirements.txt")?);

    // 3: npm ci.
    layers.push(write_layer(
        dir,
        3,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed ^ 3);
            write_tree(w, &mut rng, &node_spec(), n(20_000))?;
            Ok(())
        },
        "/bin/sh -c npm ci",
    )?);

    // 4: application, model weights and other large binaries; secrets that layer 5 deletes.
    layers.push(write_layer(
        dir,
        4,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed ^ 4);
            let env = format!(
                "NODE_ENV=production\nGITHUB_TOKEN={}\nDATABASE_URL=postgres://app@db/app\n",
                s.github
            );
            w.literal("app/.env", 0o600, env.as_bytes())?;
            w.literal("root/.ssh/id_rsa", 0o600, s.pem.as_bytes())?;
            let mut spec = node_spec();
            spec.root = "app/src".into();
            write_tree(w, &mut rng, &spec, n(1_500))?;
            // Binaries from 5 to 45 MB, ~350 MB together at scale 1.
            let sizes = [45, 40, 36, 32, 30, 28, 25, 22, 20, 18, 15, 12, 10, 8, 6, 5];
            for (i, mb) in sizes.iter().enumerate() {
                let size = bytes(mb * 1_000_000);
                let path = format!("opt/models/shard-{i:02}.bin");
                let kind = if i % 2 == 0 {
                    Kind::Random
                } else {
                    Kind::Binary
                };
                let c = Content::new(w.corpus, kind, size, rng.next_u64());
                if i == 4 {
                    // Deep in a binary: the scanner must read every byte to find it.
                    let planted = format!("\naws_access_key_id={}\n", s.deep_key_id);
                    let c = c.with_plant(size * 2 / 3, planted.as_bytes());
                    w.file_from(&path, 0o644, size, c)?;
                } else {
                    w.file_from(&path, 0o644, size, c)?;
                }
            }
            w.file(
                "app/bin/server",
                0o755,
                Kind::Binary,
                bytes(40_000_000),
                rng.next_u64(),
            )?;
            Ok(())
        },
        "/bin/sh -c #(nop) COPY dir:app in /app",
    )?);

    // 5: cleanup: deletions (the secrets stay in layer 4 as ghosts), an opaque dir, overwrites.
    layers.push(write_layer(
        dir,
        5,
        &corpus,
        &|w| {
            let mut rng = Rng::new(seed ^ 5);
            w.whiteout("app/.env")?;
            w.whiteout("root/.ssh/id_rsa")?;
            w.whiteout("opt/models/shard-03.bin")?;
            w.whiteout("usr/bin/cc1")?;
            w.whiteout("usr/include")?;
            w.opaque("var/lib/apt/lists")?;
            w.literal("var/lib/apt/lists/lock", 0o640, b"")?;
            w.file(
                "var/lib/dpkg/status",
                0o644,
                Kind::Text,
                bytes(2_300_000),
                rng.next_u64(),
            )?;
            w.file(
                "app/bin/server",
                0o755,
                Kind::Binary,
                bytes(41_000_000),
                rng.next_u64(),
            )?;
            w.literal(
                "etc/passwd",
                0o644,
                b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/app:/bin/sh\n",
            )?;
            Ok(())
        },
        "/bin/sh -c rm -rf /app/.env /root/.ssh /var/lib/apt/lists/* /usr/include && useradd app",
    )?);
    Ok(layers)
}

/// The `many` images: 350,000 files (scale 1) in `nlayers` layers.
pub fn many_layers(dir: &Path, p: &Params, nlayers: usize) -> io::Result<Vec<Layer>> {
    let corpus = Corpus::new(p.seed);
    let total = p.n(350_000);
    // Which tree each share of the files goes to: distro, python, node.
    let mut layers = Vec::new();
    let per = total / nlayers as u64;
    for li in 0..nlayers {
        let count = if li + 1 == nlayers {
            total - per * (nlayers as u64 - 1)
        } else {
            per
        };
        let seed = p.seed ^ (0x1000 + li as u64);
        let sc = p.scale;
        let created_by = format!("/bin/sh -c install step {li}");
        layers.push(write_layer(
            dir,
            li,
            &corpus,
            &|w| {
                let mut rng = Rng::new(seed);
                let mut written = 0u64;
                // Upper layers re-write a build log and delete one file of the layer below.
                if li > 0 {
                    w.file(
                        "var/log/build.log",
                        0o644,
                        Kind::Text,
                        ((20_000.0 * sc) as u64).max(1) * li as u64,
                        rng.next_u64(),
                    )?;
                    written += 1;
                    if li % 3 == 0 {
                        w.whiteout(&format!("opt/step{}/README.md", li - 1))?;
                    }
                }
                w.literal(
                    &format!("opt/step{li}/README.md"),
                    0o644,
                    format!("step {li}\n").as_bytes(),
                )?;
                written += 1;
                let rest = count.saturating_sub(written);
                let specs = [distro_spec(), python_spec(), node_spec()];
                let mut spec_i = li % 3;
                let mut left = rest;
                let chunk = (rest / 3).max(1);
                while left > 0 {
                    let mut spec = specs[spec_i].clone();
                    // Small files only: this image is about file count, not bytes.
                    spec.bin_pct = 0;
                    spec.text = (50, 1_500);
                    spec.root = format!("{}/l{li}s{spec_i}", spec.root);
                    let k = chunk.min(left);
                    write_tree(w, &mut rng, &spec, k)?;
                    left -= k;
                    spec_i = (spec_i + 1) % 3;
                }
                Ok(())
            },
            &created_by,
        )?);
    }
    Ok(layers)
}

// ------------------------------------------------------------------------------------------------
// Archives

fn config_json(layers: &[Layer]) -> Vec<u8> {
    let mut history = vec![];
    for (i, l) in layers.iter().enumerate() {
        if i == 1 {
            history.push(serde_json::json!({
                "created": "2024-01-01T00:00:00Z",
                "created_by": "/bin/sh -c #(nop)  ENV LANG=C.UTF-8",
                "empty_layer": true
            }));
        }
        history.push(serde_json::json!({
            "created": "2024-01-01T00:00:00Z",
            "created_by": l.created_by,
        }));
    }
    history.push(serde_json::json!({
        "created": "2024-01-01T00:00:00Z",
        "created_by": "/bin/sh -c #(nop)  CMD [\"/app/bin/server\"]",
        "empty_layer": true
    }));
    let cfg = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
            "Cmd": ["/app/bin/server"],
            "WorkingDir": "/app",
            "Labels": {"org.opencontainers.image.title": "layerscope benchmark image"}
        },
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| format!("sha256:{}", l.diff_id)).collect::<Vec<_>>()
        },
        "history": history
    });
    serde_json::to_vec(&cfg).unwrap()
}

use crate::sha256_hex;

fn append_bytes<W: Write>(b: &mut tar::Builder<W>, path: &str, data: &[u8]) -> io::Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_mtime(MTIME);
    b.append_data(&mut h, path, data)
}

fn append_file<W: Write>(b: &mut tar::Builder<W>, path: &str, file: &Path) -> io::Result<()> {
    let f = File::open(file)?;
    let len = f.metadata()?.len();
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(len);
    h.set_mtime(MTIME);
    b.append_data(&mut h, path, io::BufReader::with_capacity(1 << 20, f))
}

fn append_dir<W: Write>(b: &mut tar::Builder<W>, path: &str) -> io::Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_size(0);
    h.set_mtime(MTIME);
    b.append_data(&mut h, path, io::empty())
}

fn create(out: &Path) -> io::Result<tar::Builder<BufWriter<File>>> {
    let tmp = out.with_extension("partial");
    Ok(tar::Builder::new(BufWriter::with_capacity(
        1 << 20,
        File::create(tmp)?,
    )))
}

fn commit(b: tar::Builder<BufWriter<File>>, out: &Path) -> io::Result<()> {
    let mut w = b.into_inner()?;
    w.flush()?;
    drop(w);
    std::fs::rename(out.with_extension("partial"), out)
}

/// Legacy `docker save` (Docker < 25): `<v1id>/layer.tar`, `<config hex>.json`, manifest.json.
pub fn write_docker_legacy(out: &Path, name: &str, layers: &[Layer]) -> io::Result<()> {
    let config = config_json(layers);
    let cfg_hex = sha256_hex(&config);
    let mut b = create(out)?;
    let mut parent = String::new();
    let mut ids = vec![];
    for l in layers {
        let id = sha256_hex(format!("{parent}\n{}", l.diff_id).as_bytes());
        append_dir(&mut b, &format!("{id}/"))?;
        append_bytes(&mut b, &format!("{id}/VERSION"), b"1.0")?;
        let mut json = serde_json::json!({"id": id, "created": "2024-01-01T00:00:00Z"});
        if !parent.is_empty() {
            json["parent"] = serde_json::Value::String(parent.clone());
        }
        append_bytes(
            &mut b,
            &format!("{id}/json"),
            &serde_json::to_vec(&json).unwrap(),
        )?;
        append_file(&mut b, &format!("{id}/layer.tar"), &l.tar)?;
        ids.push(id.clone());
        parent = id;
    }
    append_bytes(&mut b, &format!("{cfg_hex}.json"), &config)?;
    let manifest = serde_json::json!([{
        "Config": format!("{cfg_hex}.json"),
        "RepoTags": [format!("layerscope-bench/{name}:latest")],
        "Layers": ids.iter().map(|id| format!("{id}/layer.tar")).collect::<Vec<_>>()
    }]);
    append_bytes(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    )?;
    let repos = serde_json::json!({ format!("layerscope-bench/{name}"): {"latest": parent} });
    append_bytes(&mut b, "repositories", &serde_json::to_vec(&repos).unwrap())?;
    commit(b, out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerCodec {
    None,
    Gzip,
    Zstd,
}

/// Compresses each layer into a blob file (in parallel, one thread per layer up to `threads`);
/// returns (blob path, digest hex, size).
fn blobs(
    layers: &[Layer],
    codec: LayerCodec,
    p: &Params,
    threads: usize,
) -> io::Result<Vec<(PathBuf, String, u64)>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    // One slot per layer: (blob path, digest, size) once a worker has written it.
    type Slot = std::sync::Mutex<Option<io::Result<(PathBuf, String, u64)>>>;
    let results: Vec<Slot> = layers.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= layers.len() {
                    break;
                }
                let r = blob_one(&layers[i], codec, p);
                *results[i].lock().unwrap() = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().unwrap().unwrap())
        .collect()
}

fn blob_one(l: &Layer, codec: LayerCodec, p: &Params) -> io::Result<(PathBuf, String, u64)> {
    if codec == LayerCodec::None {
        let len = std::fs::metadata(&l.tar)?.len();
        return Ok((l.tar.clone(), l.diff_id.clone(), len));
    }
    let ext = if codec == LayerCodec::Gzip {
        "gz"
    } else {
        "zst"
    };
    let path = l.tar.with_extension(format!("tar.{ext}"));
    let mut src = io::BufReader::with_capacity(1 << 20, File::open(&l.tar)?);
    let hw = HashWriter::new(BufWriter::with_capacity(1 << 20, File::create(&path)?));
    let hw = match codec {
        LayerCodec::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(hw, flate2::Compression::new(p.gzip_level));
            io::copy(&mut src, &mut enc)?;
            enc.finish()?
        }
        LayerCodec::Zstd => {
            let mut enc = zstd::stream::write::Encoder::new(hw, p.zstd_level)?;
            io::copy(&mut src, &mut enc)?;
            enc.finish()?
        }
        LayerCodec::None => unreachable!(),
    };
    let digest = hw.hex();
    let size = hw.count;
    let mut inner = hw.inner;
    inner.flush()?;
    Ok((path, digest, size))
}

/// An OCI image layout in a tar (`oci-archive`), layers compressed with `codec`. With
/// `docker_manifest`, also a `manifest.json`: the Docker 25+ `docker save` layout.
pub fn write_oci(
    out: &Path,
    name: &str,
    layers: &[Layer],
    codec: LayerCodec,
    docker_manifest: bool,
    p: &Params,
    threads: usize,
) -> io::Result<()> {
    let blobs = blobs(layers, codec, p, threads)?;
    let config = config_json(layers);
    let cfg_hex = sha256_hex(&config);
    let media = match codec {
        LayerCodec::None => "application/vnd.oci.image.layer.v1.tar",
        LayerCodec::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        LayerCodec::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    };
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{cfg_hex}"), "size": config.len()},
        "layers": blobs.iter().map(|(_, d, s)| serde_json::json!({"mediaType": media, "digest": format!("sha256:{d}"), "size": s})).collect::<Vec<_>>()
    });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let man_hex = sha256_hex(&manifest);
    let reference = format!("layerscope-bench/{name}:latest");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{man_hex}"),
            "size": manifest.len(),
            "annotations": {"io.containerd.image.name": format!("docker.io/{reference}"), "org.opencontainers.image.ref.name": "latest"}
        }]
    });
    let mut b = create(out)?;
    append_dir(&mut b, "blobs/")?;
    append_dir(&mut b, "blobs/sha256/")?;
    let mut seen = HashSet::new();
    for (path, d, _) in &blobs {
        if seen.insert(d.clone()) {
            append_file(&mut b, &format!("blobs/sha256/{d}"), path)?;
        }
    }
    append_bytes(&mut b, &format!("blobs/sha256/{cfg_hex}"), &config)?;
    append_bytes(&mut b, &format!("blobs/sha256/{man_hex}"), &manifest)?;
    append_bytes(&mut b, "index.json", &serde_json::to_vec(&index).unwrap())?;
    if docker_manifest {
        let m = serde_json::json!([{
            "Config": format!("blobs/sha256/{cfg_hex}"),
            "RepoTags": [reference],
            "Layers": blobs.iter().map(|(_, d, _)| format!("blobs/sha256/{d}")).collect::<Vec<_>>()
        }]);
        append_bytes(&mut b, "manifest.json", &serde_json::to_vec(&m).unwrap())?;
    }
    append_bytes(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    commit(b, out)?;
    for (path, _, _) in &blobs {
        if codec != LayerCodec::None {
            std::fs::remove_file(path).ok();
        }
    }
    Ok(())
}

/// What `generate` wrote.
pub struct Written {
    pub path: PathBuf,
    pub layers: usize,
    pub files: u64,
    pub bytes: u64,
}

/// Image names and the archives each one gets.
pub const IMAGES: &[&str] = &["big", "many", "many40"];

/// Writes the named image's archives into `out` (skipping those that exist), returns them.
pub fn generate(out: &Path, image: &str, p: &Params, threads: usize) -> io::Result<Vec<Written>> {
    std::fs::create_dir_all(out)?;
    let targets: Vec<(String, &str)> = match image {
        "big" => vec![
            ("big.docker.tar".into(), "docker"),
            ("big.oci-gzip.tar".into(), "gzip"),
            ("big.oci-zstd.tar".into(), "zstd"),
        ],
        "many" => vec![
            ("many.docker.tar".into(), "docker"),
            ("many.docker25.tar".into(), "docker25"),
        ],
        "many40" => vec![("many40.docker.tar".into(), "docker")],
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown image {other:?}; one of {IMAGES:?}"),
            ))
        }
    };
    let missing: Vec<&(String, &str)> = targets
        .iter()
        .filter(|(f, _)| !out.join(f).exists())
        .collect();
    let mut written = Vec::new();
    if missing.is_empty() {
        return Ok(written);
    }
    let work = out.join(format!(".work-{image}"));
    std::fs::create_dir_all(&work)?;
    let layers = match image {
        "big" => big_layers(&work, p)?,
        "many" => many_layers(&work, p, 8)?,
        _ => many_layers(&work, p, 40)?,
    };
    let files: u64 = layers.iter().map(|l| l.files).sum();
    for (f, how) in missing {
        let path = out.join(f);
        match *how {
            "docker" => write_docker_legacy(&path, image, &layers)?,
            "docker25" => write_oci(&path, image, &layers, LayerCodec::None, true, p, threads)?,
            "gzip" => write_oci(&path, image, &layers, LayerCodec::Gzip, false, p, threads)?,
            _ => write_oci(&path, image, &layers, LayerCodec::Zstd, false, p, threads)?,
        }
        written.push(Written {
            bytes: std::fs::metadata(&path)?.len(),
            path,
            layers: layers.len(),
            files,
        });
    }
    std::fs::remove_dir_all(&work)?;
    Ok(written)
}

/// One layer tar in memory (for micro-benchmarks): `files` small files of the given shape.
pub fn layer_in_memory(files: u64, seed: u64) -> Vec<u8> {
    let corpus = Corpus::new(seed);
    let mut w = LayerWriter::new(Vec::new(), &corpus);
    let mut rng = Rng::new(seed);
    write_tree(&mut w, &mut rng, &python_spec(), files).unwrap();
    w.finish().unwrap().0
}

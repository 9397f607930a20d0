//! Trees of files shaped like a distro, a Python and a Node install.

use super::content::Kind;
use super::layer_writer::LayerWriter;
use crate::fake::Rng;
use std::io::{self, Write};

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

//! dpkg: `var/lib/dpkg/status` (or distroless `status.d/*`, one stanza file per package),
//! `info/<pkg>[:<arch>].list` (the files a package installed) and `info/<pkg>[:<arch>].md5sums`
//! (their md5). Conffiles carry their md5 in the status stanza instead.

use std::collections::HashMap;

use super::{lines, rel_path, text, Checksum, ListedFile, Package};

/// One package stanza of a status file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stanza {
    pub package: String,
    pub version: String,
    pub arch: Option<String>,
    /// The third word of `Status:` is neither `not-installed` nor `config-files` (a stanza
    /// without `Status:`, as distroless writes them, counts as installed).
    pub installed: bool,
    pub conffiles: Vec<ListedFile>,
}

/// Parses a status file (any number of stanzas). Stanzas without `Package:` or `Version:` are
/// dropped with a warning naming their position.
pub fn parse_status(data: &[u8], shown: &str, warnings: &mut Vec<String>) -> Vec<Stanza> {
    let mut out = Vec::new();
    let mut cur = Stanza {
        installed: true,
        ..Default::default()
    };
    let mut field: Vec<u8> = Vec::new();
    let mut seen = false;
    let mut start_line = 1usize;
    for (n, line) in lines(data).enumerate() {
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            finish(&mut cur, &mut seen, start_line, &mut out, shown, warnings);
            start_line = n + 2;
            continue;
        }
        seen = true;
        if line[0] == b' ' || line[0] == b'\t' {
            if field.eq_ignore_ascii_case(b"conffiles") {
                if let Some(c) = conffile(line) {
                    cur.conffiles.push(c);
                }
            }
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            warnings.push(format!(
                "{shown}: line {} is neither a field nor a continuation; ignored",
                n + 1
            ));
            continue;
        };
        field.clear();
        field.extend_from_slice(&line[..colon]);
        let value = &line[colon + 1..];
        match field.to_ascii_lowercase().as_slice() {
            b"package" => cur.package = text(value),
            b"version" => cur.version = text(value),
            b"architecture" => cur.arch = Some(text(value)).filter(|a| !a.is_empty()),
            b"status" => {
                let st = text(value);
                let third = st.split_whitespace().nth(2).unwrap_or("");
                cur.installed = !matches!(third, "not-installed" | "config-files");
            }
            _ => {}
        }
    }
    finish(&mut cur, &mut seen, start_line, &mut out, shown, warnings);
    out
}

fn finish(
    cur: &mut Stanza,
    seen: &mut bool,
    line: usize,
    out: &mut Vec<Stanza>,
    shown: &str,
    warnings: &mut Vec<String>,
) {
    if !*seen {
        return;
    }
    let s = std::mem::replace(
        cur,
        Stanza {
            installed: true,
            ..Default::default()
        },
    );
    *seen = false;
    if s.package.is_empty() || s.version.is_empty() {
        // A package that is only known (not installed) may have no version: not an error.
        if s.installed {
            warnings.push(format!(
                "{shown}: stanza at line {line} has no Package or Version field; skipped"
            ));
        }
        return;
    }
    out.push(s);
}

/// ` /etc/foo.conf 0123…cdef` (a trailing `obsolete` or `remove-on-upgrade` is allowed).
fn conffile(line: &[u8]) -> Option<ListedFile> {
    let mut words = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let path = words.next()?;
    let sum = words.next()?;
    Some(ListedFile {
        path: rel_path(path)?,
        checksum: Checksum::from_hex(sum).filter(|c| matches!(c, Checksum::Md5(_))),
    })
}

/// What an `info/` file name says: package, architecture qualifier, and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoKind {
    List,
    Md5sums,
}

/// `libc6:amd64.list` -> (`libc6`, Some(`amd64`), List).
pub fn info_name(name: &[u8]) -> Option<(String, Option<String>, InfoKind)> {
    let (stem, kind) = if let Some(s) = name.strip_suffix(b".list") {
        (s, InfoKind::List)
    } else if let Some(s) = name.strip_suffix(b".md5sums") {
        (s, InfoKind::Md5sums)
    } else {
        return None;
    };
    let stem = std::str::from_utf8(stem).ok()?;
    if stem.is_empty() {
        return None;
    }
    Some(match stem.split_once(':') {
        Some((p, a)) => (p.to_string(), Some(a.to_string()), kind),
        None => (stem.to_string(), None, kind),
    })
}

/// A `.list` file: one absolute path per line (directories included).
pub fn parse_list(data: &[u8]) -> Vec<Vec<u8>> {
    lines(data)
        .filter(|l| !l.is_empty())
        .filter_map(rel_path)
        .collect()
}

/// An `.md5sums` file: `<32 hex>  <path relative to />` per line.
pub fn parse_md5sums(data: &[u8], shown: &str, warnings: &mut Vec<String>) -> Vec<ListedFile> {
    let mut out = Vec::new();
    let mut bad = 0usize;
    for l in lines(data).filter(|l| !l.is_empty()) {
        let parsed = (l.len() > 34)
            .then(|| {
                let sum = Checksum::from_hex(&l[..32])?;
                let path = l[32..]
                    .strip_prefix(b"  ")
                    .or(l[32..].strip_prefix(b" *"))?;
                Some(ListedFile {
                    path: rel_path(path)?,
                    checksum: Some(sum),
                })
            })
            .flatten();
        match parsed {
            Some(f) => out.push(f),
            None => bad += 1,
        }
    }
    if bad > 0 {
        warnings.push(format!("{shown}: {bad} malformed md5sums lines ignored"));
    }
    out
}

/// The `info/` files of one package, as found.
#[derive(Debug, Default)]
pub struct Info {
    pub list: Vec<Vec<u8>>,
    pub md5sums: Vec<ListedFile>,
}

/// Joins status stanzas with their info files: keyed by (package, arch qualifier) as the file
/// names write them; an unqualified name matches any architecture.
pub fn assemble(
    stanzas: Vec<Stanza>,
    mut info: HashMap<(String, Option<String>), Info>,
) -> Vec<Package> {
    let mut out = Vec::with_capacity(stanzas.len());
    for s in stanzas.into_iter().filter(|s| s.installed) {
        let found = s
            .arch
            .clone()
            .and_then(|a| info.remove(&(s.package.clone(), Some(a))))
            .or_else(|| info.remove(&(s.package.clone(), None)))
            .unwrap_or_default();
        let mut sums: HashMap<Vec<u8>, Checksum> = found
            .md5sums
            .into_iter()
            .chain(s.conffiles)
            .filter_map(|f| Some((f.path, f.checksum?)))
            .collect();
        let mut files: Vec<ListedFile> = found
            .list
            .into_iter()
            .map(|p| ListedFile {
                checksum: sums.remove(&p),
                path: p,
            })
            .collect();
        // Distroless writes md5sums but no lists: those paths are the package's files too.
        files.extend(sums.into_iter().map(|(path, c)| ListedFile {
            path,
            checksum: Some(c),
        }));
        out.push(Package {
            name: s.package,
            version: s.version,
            arch: s.arch,
            files,
            dirs: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_stanzas_and_states() {
        let data = b"Package: a\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\nConffiles:\n /etc/a.conf 0123456789abcdef0123456789abcdef\n /etc/b.conf newconffile\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 2\n\nPackage: broken\nStatus: install ok installed\n\ngarbage line\n";
        let mut w = Vec::new();
        let s = parse_status(data, "status", &mut w);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].package, "a");
        assert_eq!(s[0].conffiles.len(), 2);
        assert!(s[0].conffiles[0].checksum.is_some() && s[0].conffiles[1].checksum.is_none());
        assert!(!s[1].installed);
        assert_eq!(w.len(), 3, "{w:?}");
    }

    #[test]
    fn info_names() {
        assert_eq!(
            info_name(b"libc6:amd64.list"),
            Some(("libc6".into(), Some("amd64".into()), InfoKind::List))
        );
        assert_eq!(info_name(b"bash.md5sums").unwrap().2, InfoKind::Md5sums);
        assert_eq!(info_name(b"bash.postinst"), None);
    }

    #[test]
    fn md5sums_lines() {
        let mut w = Vec::new();
        let f = parse_md5sums(
            b"d41d8cd98f00b204e9800998ecf8427e  usr/bin/x\nshort\n",
            "m",
            &mut w,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, b"usr/bin/x");
        assert_eq!(w.len(), 1);
    }
}

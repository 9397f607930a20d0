//! Python: `<name>-<ver>.dist-info/` (`METADATA` name and version, `RECORD` one CSV line per
//! installed file with `sha256=<urlsafe base64>`) and `<name>.egg-info/` (`PKG-INFO`,
//! `installed-files.txt`). RECORD paths are relative to the folder holding the dist-info.

use base64::Engine;

use super::{join_rel, lines, text, Checksum, ListedFile, Package};

/// Name and version from the header of a `METADATA` or `PKG-INFO` file.
pub fn parse_metadata(data: &[u8]) -> Option<(String, String)> {
    let (mut name, mut version) = (None, None);
    for l in lines(data) {
        if l.is_empty() {
            break; // the description body follows
        }
        if let Some(v) = l.strip_prefix(b"Name:") {
            name.get_or_insert_with(|| text(v));
        } else if let Some(v) = l.strip_prefix(b"Version:") {
            version.get_or_insert_with(|| text(v));
        }
    }
    Some((
        name.filter(|n| !n.is_empty())?,
        version.filter(|v| !v.is_empty())?,
    ))
}

/// A `RECORD` file; `base` is the folder the paths are relative to.
pub fn parse_record(
    data: &[u8],
    base: &[u8],
    shown: &str,
    warnings: &mut Vec<String>,
) -> Vec<ListedFile> {
    let mut out = Vec::new();
    let mut bad = 0usize;
    for l in lines(data).filter(|l| !l.is_empty()) {
        let fields = csv_fields(l);
        let Some(path) = fields.first().and_then(|p| join_rel(base, p)) else {
            bad += 1;
            continue;
        };
        let checksum = fields.get(1).and_then(|h| {
            let b = h.strip_prefix(b"sha256=")?;
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(b.strip_suffix(b"=").unwrap_or(b))
                .ok()?;
            Some(Checksum::Sha256(raw.try_into().ok()?))
        });
        out.push(ListedFile { path, checksum });
    }
    if bad > 0 {
        warnings.push(format!("{shown}: {bad} malformed RECORD lines ignored"));
    }
    out
}

/// `installed-files.txt` of an egg-info folder: paths relative to that folder.
pub fn parse_installed_files(data: &[u8], egg_dir: &[u8]) -> Vec<ListedFile> {
    lines(data)
        .filter(|l| !l.is_empty())
        .filter_map(|l| join_rel(egg_dir, l))
        .map(|path| ListedFile {
            path,
            checksum: None,
        })
        .collect()
}

/// One CSV record (RFC 4180 quoting, as Python's `csv` module writes it).
fn csv_fields(line: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        match (quoted, c) {
            (true, b'"') if line.get(i + 1) == Some(&b'"') => {
                cur.push(b'"');
                i += 1;
            }
            (true, b'"') => quoted = false,
            (false, b'"') if cur.is_empty() => quoted = true,
            (false, b',') => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
        i += 1;
    }
    out.push(cur);
    out
}

/// A dist-info package from its two files.
pub fn dist_info(
    dir: &[u8],
    metadata: &[u8],
    record: Option<&[u8]>,
    shown: &str,
    warnings: &mut Vec<String>,
) -> Option<Package> {
    let Some((name, version)) = parse_metadata(metadata) else {
        warnings.push(format!("{shown}: METADATA has no Name or Version; skipped"));
        return None;
    };
    let base = dir.rsplit_once_slash().0;
    let files = record
        .map(|r| parse_record(r, base, shown, warnings))
        .unwrap_or_default();
    Some(Package {
        name,
        version,
        arch: None,
        files,
        dirs: Vec::new(),
    })
}

pub(crate) trait SplitSlash {
    fn rsplit_once_slash(&self) -> (&[u8], &[u8]);
}
impl SplitSlash for [u8] {
    /// (parent, name); the parent of a top-level name is empty.
    fn rsplit_once_slash(&self) -> (&[u8], &[u8]) {
        match memchr::memrchr(b'/', self) {
            Some(i) => (&self[..i], &self[i + 1..]),
            None => (&[], self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_paths_and_hashes() {
        let rec = b"six.py,sha256=4HpnUGzo-4ZPfJG6uVnzqvnHn4nlfcMg5X3lmb0m_ao,34549\n\"a,b.py\",,\n../../../bin/tool,sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,1\n";
        let mut w = Vec::new();
        let f = parse_record(rec, b"usr/lib/python3/site-packages", "RECORD", &mut w);
        assert_eq!(f.len(), 3);
        assert!(matches!(f[0].checksum, Some(Checksum::Sha256(_))));
        assert_eq!(f[1].path, b"usr/lib/python3/site-packages/a,b.py");
        assert_eq!(f[2].path, b"usr/bin/tool");
        assert!(w.is_empty());
    }

    #[test]
    fn metadata_header_only() {
        let m = b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n\nName: not-this\n";
        assert_eq!(parse_metadata(m), Some(("six".into(), "1.16.0".into())));
        assert_eq!(parse_metadata(b"Name: x\n"), None);
    }
}

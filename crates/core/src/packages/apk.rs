//! apk: `lib/apk/db/installed`. Stanzas of `X:value` lines separated by blank lines: `P:` name,
//! `V:` version, `A:` architecture, `F:` a folder, `R:` a file in the last folder, and after it
//! `Z:Q1<base64>` the SHA-1 of that file.

use base64::Engine;

use super::{join_rel, lines, text, Checksum, ListedFile, Package, Parsed};

pub fn parse(data: &[u8], shown: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut cur = Package::default();
    let mut dir: Vec<u8> = Vec::new();
    let mut start = 1usize;
    let mut bad_sums = 0usize;
    for (n, line) in lines(data).chain(std::iter::once(&b""[..])).enumerate() {
        if line.is_empty() {
            let p = std::mem::take(&mut cur);
            dir.clear();
            if p.name.is_empty() && p.version.is_empty() && p.files.is_empty() {
                start = n + 2;
                continue;
            }
            if p.name.is_empty() || p.version.is_empty() {
                out.warnings.push(format!(
                    "{shown}: stanza at line {start} has no P: or V: line; skipped"
                ));
            } else {
                out.packages.push(p);
            }
            start = n + 2;
            continue;
        }
        if line.len() < 2 || line[1] != b':' {
            out.warnings.push(format!(
                "{shown}: line {} is not a `X:value` line; ignored",
                n + 1
            ));
            continue;
        }
        let v = &line[2..];
        match line[0] {
            b'P' => cur.name = text(v),
            b'V' => cur.version = text(v),
            b'A' => cur.arch = Some(text(v)).filter(|a| !a.is_empty()),
            b'F' => dir = v.to_vec(),
            b'R' => {
                if let Some(path) = join_rel(&dir, v) {
                    cur.files.push(ListedFile {
                        path,
                        checksum: None,
                    });
                }
            }
            b'Z' => match (cur.files.last_mut(), sha1_q1(v)) {
                (Some(f), Some(c)) => f.checksum = Some(c),
                (_, None) => bad_sums += 1,
                _ => {}
            },
            _ => {}
        }
    }
    if bad_sums > 0 {
        out.warnings.push(format!(
            "{shown}: {bad_sums} Z: checksums not in the Q1 SHA-1 form; ignored"
        ));
    }
    out
}

/// `Q1` + base64 of a SHA-1 (apk's own marker for that algorithm).
fn sha1_q1(v: &[u8]) -> Option<Checksum> {
    let b = v.strip_prefix(b"Q1")?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b).ok()?;
    Some(Checksum::Sha1(raw.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanza_with_files_and_sums() {
        let db = b"C:Q1abc=\nP:musl\nV:1.1.22-r3\nA:x86_64\nF:lib\nR:libc.musl-x86_64.so.1\nZ:Q1ld1k6oEVbRO8ebWyYr+ZZ0jkNVE=\nR:ld-musl-x86_64.so.1\na:0:0:755\n\nP:\nV:1\n\n";
        let p = parse(db, "installed");
        assert_eq!(p.packages.len(), 1);
        let m = &p.packages[0];
        assert_eq!((m.name.as_str(), m.version.as_str()), ("musl", "1.1.22-r3"));
        assert_eq!(m.files[0].path, b"lib/libc.musl-x86_64.so.1");
        assert!(matches!(m.files[0].checksum, Some(Checksum::Sha1(_))));
        assert!(m.files[1].checksum.is_none());
        assert_eq!(p.warnings.len(), 1);
    }
}

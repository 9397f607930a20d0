//! rpm: `rpmdb.sqlite` (rpm ≥ 4.16: table `Packages`, one header blob per package) under
//! `var/lib/rpm/` or `usr/lib/sysimage/rpm/`. Berkeley DB (`Packages`) and NDB (`Packages.db`)
//! databases are recognised by name and reported, not read.

use super::{Checksum, ListedFile, Package, Parsed};

/// Rows read from one database at most (a real system has a few thousand packages).
const MAX_PACKAGES: usize = 100_000;

pub fn is_db_file(name: &[u8]) -> bool {
    matches!(name, b"rpmdb.sqlite" | b"Packages" | b"Packages.db")
}

pub fn format_name(name: &[u8]) -> &'static str {
    match name {
        b"Packages" => "Berkeley DB",
        b"Packages.db" => "NDB",
        _ => "SQLite",
    }
}

/// Reads every header of an `rpmdb.sqlite` held in memory.
pub fn parse_sqlite(data: &[u8], shown: &str) -> Parsed {
    let mut out = Parsed::default();
    match read_blobs(data) {
        Ok(blobs) => {
            for (i, b) in blobs.iter().enumerate() {
                match parse_header(b) {
                    Ok(p) => out.packages.push(p),
                    Err(e) => out
                        .warnings
                        .push(format!("{shown}: package row {}: {e}; skipped", i + 1)),
                }
            }
        }
        Err(e) => out
            .warnings
            .push(format!("{shown}: not a readable rpm SQLite database ({e})")),
    }
    out
}

fn read_blobs(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use rusqlite::{Connection, OpenFlags};
    // SQLite reads files: a private temporary copy, opened read-only, removed on drop.
    let mut tmp = tempfile::Builder::new()
        .prefix("layerscope-rpmdb-")
        .tempfile()
        .map_err(|e| e.to_string())?;
    std::io::Write::write_all(&mut tmp, data).map_err(|e| e.to_string())?;
    // Immutable: no locks, no -wal or -shm files looked for or created beside the copy.
    let uri = format!("file:{}?immutable=1", tmp.path().display());
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| e.to_string())?;
    conn.pragma_update(None, "trusted_schema", "OFF")
        .map_err(|e| e.to_string())?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for r in rows.take(MAX_PACKAGES) {
        out.push(r.map_err(|e| e.to_string())?);
    }
    Ok(out)
}

const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const EPOCH: u32 = 1003;
const ARCH: u32 = 1022;
const FILEDIGESTS: u32 = 1035;
const DIRINDEXES: u32 = 1116;
const BASENAMES: u32 = 1117;
const DIRNAMES: u32 = 1118;
const FILEDIGESTALGO: u32 = 5011;

struct Header<'a> {
    index: Vec<(u32, u32, u32, u32)>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl<'a> Header<'a> {
    /// An rpmdb header blob: index count, data length, 16-byte index entries, data.
    fn parse(b: &'a [u8]) -> Result<Header<'a>, String> {
        let il = be32(b, 0).ok_or("blob too short")? as usize;
        let dl = be32(b, 4).ok_or("blob too short")? as usize;
        if il > 0xffff || 8 + il * 16 + dl > b.len() {
            return Err(format!(
                "header claims {il} entries and {dl} data bytes, more than the blob holds"
            ));
        }
        let index = (0..il)
            .map(|i| {
                let at = 8 + i * 16;
                (
                    be32(b, at).unwrap_or(0),
                    be32(b, at + 4).unwrap_or(0),
                    be32(b, at + 8).unwrap_or(0),
                    be32(b, at + 12).unwrap_or(0),
                )
            })
            .collect();
        Ok(Header {
            index,
            data: &b[8 + il * 16..8 + il * 16 + dl],
        })
    }

    fn find(&self, tag: u32) -> Option<(u32, usize, usize)> {
        self.index
            .iter()
            .find(|e| e.0 == tag)
            .map(|e| (e.1, e.2 as usize, e.3 as usize))
    }

    fn strings(&self, tag: u32) -> Vec<&'a [u8]> {
        let Some((ty, off, count)) = self.find(tag) else {
            return Vec::new();
        };
        // STRING, STRING_ARRAY, I18NSTRING
        if !matches!(ty, 6 | 8 | 9) || off > self.data.len() {
            return Vec::new();
        }
        self.data[off..]
            .split(|&b| b == 0)
            .take(if ty == 6 {
                1
            } else {
                count.min(self.data.len())
            })
            .collect()
    }

    fn string(&self, tag: u32) -> Option<String> {
        self.strings(tag)
            .first()
            .map(|s| String::from_utf8_lossy(s).into_owned())
    }

    fn ints(&self, tag: u32) -> Vec<u32> {
        let Some((ty, off, count)) = self.find(tag) else {
            return Vec::new();
        };
        if ty != 4 {
            return Vec::new();
        }
        (0..count.min(self.data.len() / 4))
            .map_while(|i| be32(self.data, off + i * 4))
            .collect()
    }
}

fn parse_header(blob: &[u8]) -> Result<Package, String> {
    let h = Header::parse(blob)?;
    let name = h.string(NAME).filter(|n| !n.is_empty()).ok_or("no name")?;
    let mut version = h.string(VERSION).unwrap_or_default();
    if let Some(r) = h.string(RELEASE).filter(|r| !r.is_empty()) {
        version = format!("{version}-{r}");
    }
    if let Some(e) = h.ints(EPOCH).first() {
        version = format!("{e}:{version}");
    }
    let base = h.strings(BASENAMES);
    let dirs = h.strings(DIRNAMES);
    let idx = h.ints(DIRINDEXES);
    let digests = h.strings(FILEDIGESTS);
    // RPM's PGP hash algorithm numbers: 1 MD5, 2 SHA-1, 8 SHA-256 (MD5 when absent).
    let algo = h.ints(FILEDIGESTALGO).first().copied().unwrap_or(1);
    let mut files = Vec::with_capacity(base.len());
    for (i, b) in base.iter().enumerate() {
        let Some(d) = idx.get(i).and_then(|&j| dirs.get(j as usize)) else {
            continue;
        };
        let mut full = d.to_vec();
        full.extend_from_slice(b);
        let Some(path) = super::rel_path(&full) else {
            continue;
        };
        let checksum = digests
            .get(i)
            .filter(|s| !s.is_empty())
            .and_then(|s| Checksum::from_hex(s))
            .filter(|c| {
                matches!(
                    (algo, c),
                    (1, Checksum::Md5(_)) | (2, Checksum::Sha1(_)) | (8, Checksum::Sha256(_))
                )
            });
        files.push(ListedFile { path, checksum });
    }
    Ok(Package {
        name,
        version,
        arch: h.string(ARCH).filter(|a| !a.is_empty()),
        files,
        dirs: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_headers_are_errors() {
        assert!(parse_header(&[0, 0, 0, 1]).is_err());
        assert!(parse_header(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).is_err());
        let p = parse_sqlite(b"not sqlite at all", "x");
        assert!(p.packages.is_empty() && p.warnings.len() == 1);
    }
}

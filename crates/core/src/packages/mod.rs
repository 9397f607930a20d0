//! Which package owns every file. Package databases (dpkg, apk, rpm, Python, npm) are read from
//! each layer's filesystem as it stands at that layer; every file version is tied to the package
//! that listed it and, where the database records a checksum, can be checked against it.
//! Databases are image input: each file is size-capped, a malformed stanza is a warning.

pub mod apk;
pub mod capture;
mod db_paths;
pub mod dpkg;
pub mod model;
pub mod npm;
pub mod python;
pub mod read;
pub mod rpm;

pub use model::{
    build, FileOwner, LayerBlob, LayerPackages, Listed, Model, PackageChange, PackageId,
};

use serde::Serialize;

/// Bytes read from one package database file at most; a larger one is skipped with a warning.
pub const MAX_DB_FILE: u64 = 64 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Manager {
    Dpkg,
    Apk,
    Rpm,
    Python,
    Npm,
}

impl Manager {
    pub fn name(self) -> &'static str {
        match self {
            Manager::Dpkg => "dpkg",
            Manager::Apk => "apk",
            Manager::Rpm => "rpm",
            Manager::Python => "python",
            Manager::Npm => "npm",
        }
    }
    /// How an explanation names the packager ("Debian package libgnutls30").
    pub fn describe(self) -> &'static str {
        match self {
            Manager::Dpkg => "Debian package",
            Manager::Apk => "Alpine package",
            Manager::Rpm => "RPM package",
            Manager::Python => "Python package",
            Manager::Npm => "npm package",
        }
    }
}

/// A file checksum as a package database records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    Md5([u8; 16]),
    Sha1([u8; 20]),
    Sha256([u8; 32]),
}

impl Checksum {
    pub fn matches(&self, data: &[u8]) -> bool {
        use sha2::Digest;
        match self {
            Checksum::Md5(want) => md5::Md5::digest(data).as_slice() == want,
            Checksum::Sha1(want) => sha1::Sha1::digest(data).as_slice() == want,
            Checksum::Sha256(want) => sha2::Sha256::digest(data).as_slice() == want,
        }
    }

    /// From lower-case or upper-case hex of the right length for `len` bytes.
    pub fn from_hex(s: &[u8]) -> Option<Checksum> {
        let bytes = hex_bytes(s)?;
        match bytes.len() {
            16 => Some(Checksum::Md5(bytes.try_into().ok()?)),
            20 => Some(Checksum::Sha1(bytes.try_into().ok()?)),
            32 => Some(Checksum::Sha256(bytes.try_into().ok()?)),
            _ => None,
        }
    }
}

fn hex_bytes(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.chunks(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

/// Whether a file's bytes are what its package installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileState {
    Unmodified,
    Modified,
    /// The database records no checksum for it (or the bytes could not be read).
    Unchecked,
}

impl FileState {
    pub fn name(self) -> &'static str {
        match self {
            FileState::Unmodified => "unmodified",
            FileState::Modified => "modified",
            FileState::Unchecked => "unchecked",
        }
    }
}

/// The package a finding's file belongs to, as reports show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageRef {
    pub manager: Manager,
    pub name: String,
    pub version: String,
    pub state: FileState,
}

/// One file a package lists: a normalised path (no leading `/`) as the database writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedFile {
    pub path: Vec<u8>,
    pub checksum: Option<Checksum>,
}

/// A package as one database describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    pub files: Vec<ListedFile>,
    /// Folders owned whole (npm: the package folder minus nested `node_modules`).
    pub dirs: Vec<Vec<u8>>,
}

/// The result of parsing one database: packages and one-line problems.
#[derive(Debug, Default)]
pub struct Parsed {
    pub packages: Vec<Package>,
    pub warnings: Vec<String>,
}

/// A listed path made relative to the image root: leading `/` and `./` dropped, `..` refused.
pub(crate) fn rel_path(raw: &[u8]) -> Option<Vec<u8>> {
    let p = crate::paths::normalize(raw)?;
    (!p.is_empty()).then_some(p)
}

/// Joins a database folder and a path relative to it (Python RECORD, egg-info), refusing
/// paths that climb above the image root.
pub(crate) fn join_rel(base: &[u8], rel: &[u8]) -> Option<Vec<u8>> {
    let mut parts: Vec<&[u8]> = base
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    for c in rel.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    (!parts.is_empty()).then(|| parts.join(&b'/'))
}

/// Lines of a text database, tolerating CRLF.
pub(crate) fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

/// The sentence a report gives for a finding in a package-owned file.
pub fn explanation(p: &PackageRef, vendor: bool) -> String {
    // Names come from the image: escaped like every other image text.
    let esc = |s: &str| crate::paths::escape(s.as_bytes());
    let what = format!(
        "{} {} {}",
        p.manager.describe(),
        esc(&p.name),
        esc(&p.version)
    );
    if vendor {
        format!(
            "shipped unchanged by {what}: the same bytes are in every copy of that package; not a secret of this image's builder"
        )
    } else if p.state == FileState::Modified {
        format!("a file of {what} that was modified after installation: its bytes differ from the package's checksum")
    } else {
        format!("a file of {what}; the package database records no checksum for it, so it may have been changed")
    }
}

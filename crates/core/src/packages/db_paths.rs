//! Which paths are package database files, and which database each belongs to: asked by the
//! indexing pass (to keep their bytes) and by the model (to read them).

use super::{dpkg, npm, rpm};

/// Which database a path belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum DbKey {
    Dpkg,
    Apk,
    Rpm(&'static str),
    /// A dist-info or egg-info folder.
    Python(Vec<u8>),
    /// A package folder holding `package.json`.
    Npm(Vec<u8>),
}

pub(super) const DPKG: &[u8] = b"var/lib/dpkg";
pub(super) const APK_DB: &[u8] = b"lib/apk/db/installed";
pub(super) const RPM_DIRS: [&str; 2] = ["var/lib/rpm", "usr/lib/sysimage/rpm"];

/// Is this the path of a package database file (as the indexing pass sees it)?
pub(super) fn is_db_path(path: &[u8]) -> bool {
    let (parent, name) = split(path);
    (may_be_db(name) || split(parent).1 == b"status.d") && db_key(path).is_some()
}

pub(super) fn db_key(path: &[u8]) -> Option<DbKey> {
    let (parent, name) = split(path);
    if parent == DPKG && name == b"status"
        || split(parent) == (DPKG, b"status.d")
        || split(parent) == (DPKG, b"info") && dpkg::info_name(name).is_some()
    {
        return Some(DbKey::Dpkg);
    }
    if path == APK_DB {
        return Some(DbKey::Apk);
    }
    for d in RPM_DIRS {
        if parent == d.as_bytes() && rpm::is_db_file(name) {
            return Some(DbKey::Rpm(d));
        }
    }
    let pname = split(parent).1;
    if (pname.ends_with(b".dist-info") && (name == b"METADATA" || name == b"RECORD"))
        || (pname.ends_with(b".egg-info")
            && (name == b"PKG-INFO" || name == b"installed-files.txt"))
    {
        return Some(DbKey::Python(parent.to_vec()));
    }
    if name == b"package.json" && npm::is_manifest(path) {
        return Some(DbKey::Npm(parent.to_vec()));
    }
    None
}

/// The names that can be database files: checked before building a full path.
pub(super) fn may_be_db(name: &[u8]) -> bool {
    matches!(
        name,
        b"status"
            | b"installed"
            | b"METADATA"
            | b"RECORD"
            | b"PKG-INFO"
            | b"installed-files.txt"
            | b"package.json"
    ) || name.ends_with(b".list")
        || name.ends_with(b".md5sums")
        || rpm::is_db_file(name)
}

pub(super) fn split(p: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memrchr(b'/', p) {
        Some(i) => (&p[..i], &p[i + 1..]),
        None => (&[], p),
    }
}

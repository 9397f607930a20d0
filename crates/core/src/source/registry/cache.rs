//! The content-addressed blob cache: `$XDG_CACHE_HOME/layerscope/blobs/sha256/HEX` (default
//! `~/.cache/layerscope`). It is laid out like an OCI layout's `blobs/` folder, so an image whose
//! blobs are here is opened like a layout directory. Blobs are written to `tmp/` beside it and
//! renamed into place only after their digest and size were verified, so a blob file is never
//! partial or unverified.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::RegistryError;

pub struct Cache {
    pub root: PathBuf,
    /// With `--no-cache`: a private directory deleted when the image is closed.
    pub temp: Option<Arc<tempfile::TempDir>>,
}

/// `$XDG_CACHE_HOME/layerscope`, else `$HOME/.cache/layerscope`.
pub fn default_root() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    var("XDG_CACHE_HOME")
        .or_else(|| var("HOME").map(|h| h.join(".cache")))
        .map(|c| c.join("layerscope"))
}

fn io_err(path: &Path, e: std::io::Error) -> RegistryError {
    RegistryError::Cache {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

impl Cache {
    pub fn open(no_cache: bool) -> Result<Cache, RegistryError> {
        if no_cache {
            let t = tempfile::Builder::new()
                .prefix("layerscope-pull-")
                .tempdir()
                .map_err(|e| io_err(&std::env::temp_dir(), e))?;
            let c = Cache {
                root: t.path().to_path_buf(),
                temp: Some(Arc::new(t)),
            };
            c.prepare()?;
            return Ok(c);
        }
        let root = default_root().ok_or_else(|| RegistryError::Cache {
            path: "$XDG_CACHE_HOME".into(),
            detail: "neither XDG_CACHE_HOME nor HOME is set; set one, or use --no-cache".into(),
        })?;
        let c = Cache { root, temp: None };
        c.prepare()?;
        Ok(c)
    }

    fn prepare(&self) -> Result<(), RegistryError> {
        for d in [self.root.join("blobs/sha256"), self.root.join("tmp")] {
            std::fs::create_dir_all(&d).map_err(|e| io_err(&d, e))?;
        }
        Ok(())
    }

    /// The member name in the layout sense: `blobs/sha256/HEX`.
    pub fn member(digest: &str) -> Option<String> {
        let hex = digest.strip_prefix("sha256:")?;
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| format!("blobs/sha256/{}", hex.to_ascii_lowercase()))
    }

    pub fn path(&self, digest: &str) -> Option<PathBuf> {
        Self::member(digest).map(|m| self.root.join(m))
    }

    /// A temporary file for one download, on the cache's file system so the rename is atomic.
    pub fn temp_file(&self) -> Result<tempfile::NamedTempFile, RegistryError> {
        let dir = self.root.join("tmp");
        tempfile::Builder::new()
            .prefix("blob-")
            .tempfile_in(&dir)
            .map_err(|e| io_err(&dir, e))
    }

    /// Moves a verified download into place (a concurrent writer of the same blob is harmless:
    /// both wrote the same verified bytes).
    pub fn commit(
        &self,
        tmp: tempfile::NamedTempFile,
        digest: &str,
    ) -> Result<PathBuf, RegistryError> {
        let dest = self.path(digest).ok_or_else(|| RegistryError::Protocol {
            registry: "cache".into(),
            detail: format!("invalid digest {digest:?}"),
        })?;
        tmp.persist(&dest).map_err(|e| io_err(&dest, e.error))?;
        Ok(dest)
    }
}

/// What `layerscope cache` shows.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub blobs: u64,
    pub bytes: u64,
}

pub fn stats(root: &Path) -> Stats {
    let mut s = Stats::default();
    if let Ok(rd) = std::fs::read_dir(root.join("blobs/sha256")) {
        for e in rd.flatten() {
            if let Ok(m) = e.metadata() {
                if m.is_file() {
                    s.blobs += 1;
                    s.bytes += m.len();
                }
            }
        }
    }
    s
}

/// Removes every cached blob (and leftovers of interrupted downloads); returns what was there.
/// Only the cache's own `blobs/` and `tmp/` folders are touched.
pub fn clear(root: &Path) -> Result<Stats, RegistryError> {
    let s = stats(root);
    for d in [root.join("blobs"), root.join("tmp")] {
        match std::fs::remove_dir_all(&d) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&d, e)),
        }
    }
    Ok(s)
}

//! Safe export of one file version (also a ghost's) to the local filesystem.
//!
//! Rules: the bytes are written only to the destination the user names (a file path, or an
//! existing directory plus the file's own name); every existing component of that destination
//! is checked with `symlink_metadata` and a symlink anywhere refuses the export, so a hostile
//! name can never redirect the write; the file is written to a temporary file beside the target
//! and renamed into place (a rename replaces a link, it never follows one); an existing target
//! is replaced only with `force` (the TUI asks y/n first). Permission bits are copied without
//! set-uid/set-gid/sticky and without group/world write.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::analysis::Analysis;
use crate::content;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} already exists")]
    Exists(PathBuf),
    #[error("{0} is a symbolic link; refusing to write through it")]
    Symlink(PathBuf),
    #[error("{0} is a directory")]
    IsDirectory(PathBuf),
    #[error("{0}: the directory does not exist")]
    NoDirectory(PathBuf),
    #[error("only regular files can be exported ({0})")]
    NotAFile(String),
    #[error("{0}")]
    Read(#[from] crate::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ExportError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        ExportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

const CHUNK: usize = 64 << 20;

/// Refuses a destination with a symlink in any existing component.
fn check_components(dest: &Path) -> Result<(), ExportError> {
    let mut cur = PathBuf::new();
    for c in dest.components() {
        cur.push(c.as_os_str());
        if matches!(c, Component::Prefix(_) | Component::RootDir) {
            continue;
        }
        match std::fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => return Err(ExportError::Symlink(cur)),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(ExportError::io(&cur, e)),
        }
    }
    Ok(())
}

#[cfg(unix)]
fn file_name(bytes: &[u8]) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes).to_os_string()
}

#[cfg(not(unix))]
fn file_name(bytes: &[u8]) -> std::ffi::OsString {
    crate::paths::escape(bytes).into()
}

/// Works out the file to write: `dest` itself, or `dest/<name>` when `dest` is a directory.
pub fn resolve_target(dest: &Path, name: &[u8], force: bool) -> Result<PathBuf, ExportError> {
    check_components(dest)?;
    let trailing_slash = dest.as_os_str().to_string_lossy().ends_with('/');
    let target = match std::fs::symlink_metadata(dest) {
        Ok(m) if m.is_dir() => {
            let n = file_name(name);
            if n.is_empty() || n == "." || n == ".." || name.contains(&b'/') {
                return Err(ExportError::NotAFile(crate::paths::escape(name)));
            }
            dest.join(n)
        }
        Ok(_) => dest.to_path_buf(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if trailing_slash {
                return Err(ExportError::NoDirectory(dest.to_path_buf()));
            }
            let parent = dest
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            match std::fs::symlink_metadata(parent) {
                Ok(m) if m.is_dir() => dest.to_path_buf(),
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(ExportError::Symlink(parent.to_path_buf()))
                }
                _ => return Err(ExportError::NoDirectory(parent.to_path_buf())),
            }
        }
        Err(e) => return Err(ExportError::io(dest, e)),
    };
    match std::fs::symlink_metadata(&target) {
        Ok(m) if m.file_type().is_symlink() => Err(ExportError::Symlink(target)),
        Ok(m) if m.is_dir() => Err(ExportError::IsDirectory(target)),
        Ok(_) if !force => Err(ExportError::Exists(target)),
        Ok(_) => Ok(target),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(target),
        Err(e) => Err(ExportError::io(&target, e)),
    }
}

/// Writes the bytes of entry `entry` of `layer` to `dest`. Returns the file written.
pub fn export(
    a: &Analysis,
    layer: usize,
    entry: u32,
    dest: &Path,
    force: bool,
) -> Result<PathBuf, ExportError> {
    let e = a
        .layers
        .get(layer)
        .and_then(|l| l.entries.get(entry as usize))
        .ok_or_else(|| ExportError::NotAFile(format!("no entry {entry} in layer {layer}")))?;
    if !e.kind.has_content() {
        return Err(ExportError::NotAFile(format!(
            "/{} is a {}",
            a.path_string(e.path),
            e.kind.name()
        )));
    }
    let target = resolve_target(dest, a.tree.paths.name(e.path), force)?;
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".layerscope-export")
        .tempfile_in(dir)
        .map_err(|err| ExportError::io(dir, err))?;
    let mut done = 0u64;
    while done < e.size || (done == 0 && e.size == 0) {
        let c = content::read_range(a, layer, e, done, CHUNK)?;
        if c.bytes.is_empty() {
            break;
        }
        tmp.write_all(&c.bytes)
            .map_err(|err| ExportError::io(&target, err))?;
        done += c.bytes.len() as u64;
    }
    tmp.flush().map_err(|err| ExportError::io(&target, err))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = (e.mode & 0o755) | 0o600;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
            .map_err(|err| ExportError::io(&target, err))?;
    }
    if force {
        tmp.persist(&target)
            .map_err(|err| ExportError::io(&target, err.error))?;
    } else {
        tmp.persist_noclobber(&target).map_err(|err| {
            if err.error.kind() == std::io::ErrorKind::AlreadyExists {
                ExportError::Exists(target.clone())
            } else {
                ExportError::io(&target, err.error)
            }
        })?;
    }
    Ok(target)
}

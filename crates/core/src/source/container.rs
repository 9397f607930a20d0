//! Uniform access to the files of an image, whether they sit in a directory (OCI layout) or in a
//! tar (docker save, oci-archive). A tar is indexed once (name -> byte range) and its members are
//! then read in place with seeks, never extracted. A compressed whole archive is first inflated
//! into a spool file in the temp dir so that it can be read the same way.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::paths::normalize;
use crate::source::arrivals::Arrivals;
use crate::source::compress::{self, Compression};

pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

#[derive(Clone, Debug)]
pub struct Member {
    pub offset: u64,
    pub size: u64,
    /// Symlink or hardlink target, already resolved to a member name.
    pub link: Option<String>,
}

/// Clone shares the spool file or download directory: the last clone dropped removes it.
#[derive(Clone)]
pub enum Container {
    Dir {
        root: PathBuf,
        display: String,
        /// Keeps a private download directory (`--no-cache`) alive as long as the container.
        _keep: Option<std::sync::Arc<tempfile::TempDir>>,
        /// Blobs still downloading into `root`: opening one waits for it.
        arrivals: Option<std::sync::Arc<Arrivals>>,
    },
    Tar {
        file: PathBuf,
        display: String,
        members: HashMap<String, Member>,
        /// Keeps a spool file alive for as long as the container is.
        _spool: Option<std::sync::Arc<tempfile::TempPath>>,
    },
}

const MAX_LINK_HOPS: usize = 16;

impl Container {
    pub fn open_dir(root: &Path) -> Container {
        Container::Dir {
            root: root.to_path_buf(),
            display: root.display().to_string(),
            _keep: None,
            arrivals: None,
        }
    }

    /// A directory container that owns the temporary directory it lives in, if any.
    pub fn open_dir_keeping(
        root: &Path,
        keep: Option<std::sync::Arc<tempfile::TempDir>>,
    ) -> Container {
        Container::Dir {
            root: root.to_path_buf(),
            display: root.display().to_string(),
            _keep: keep,
            arrivals: None,
        }
    }

    /// A directory container whose blobs `arrivals` is still bringing in.
    pub fn with_arrivals(mut self, a: std::sync::Arc<Arrivals>) -> Container {
        if let Container::Dir { arrivals, .. } = &mut self {
            *arrivals = Some(a);
        }
        self
    }

    /// The transfer still bringing blobs in, if any.
    pub fn arrivals(&self) -> Option<&std::sync::Arc<Arrivals>> {
        match self {
            Container::Dir { arrivals, .. } => arrivals.as_ref(),
            Container::Tar { .. } => None,
        }
    }

    /// Opens a tar archive (optionally compressed as a whole) and indexes its members.
    pub fn open_tar(path: &Path, max_spool: u64) -> Result<(Container, Compression)> {
        Self::open_tar_limited(path, max_spool, u64::MAX)
    }

    /// `open_tar`, also refusing a compressed archive that inflates more than `max_ratio` times
    /// its size (counted once more than 1 MiB has been read, like layers).
    pub fn open_tar_limited(
        path: &Path,
        max_spool: u64,
        max_ratio: u64,
    ) -> Result<(Container, Compression)> {
        let display = path.display().to_string();
        let mut f = File::open(path).map_err(|e| Error::io(&display, e))?;
        let mut head = [0u8; 8];
        let n = read_up_to(&mut f, &mut head).map_err(|e| Error::io(&display, e))?;
        let kind = Compression::sniff(&head[..n]);
        f.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(&display, e))?;
        if kind == Compression::None {
            super::sniff::check_tar(&mut f, &display, kind)?;
            let members = index_tar(&mut f, &display)?;
            return Ok((
                Container::Tar {
                    file: path.to_path_buf(),
                    display,
                    members,
                    _spool: None,
                },
                kind,
            ));
        }
        let packed = std::sync::atomic::AtomicU64::new(0);
        let counted = CountingReader {
            inner: f,
            count: &packed,
        };
        let (_, mut dec) =
            compress::decoder(counted).map_err(|e| Error::invalid(&display, e.to_string()))?;
        let mut spool = tempfile::Builder::new()
            .prefix("layerscope-spool-")
            .tempfile()
            .map_err(|e| Error::io("temporary spool file", e))?;
        let mut copied = 0u64;
        let mut chunk = vec![0u8; 256 * 1024];
        loop {
            let want = chunk
                .len()
                .min((max_spool + 1 - copied).min(usize::MAX as u64) as usize);
            if want == 0 {
                break;
            }
            let n = dec
                .read(&mut chunk[..want])
                .map_err(|e| Error::invalid(&display, compress::describe_stream_error(kind, &e)))?;
            if n == 0 {
                break;
            }
            io::Write::write_all(spool.as_file_mut(), &chunk[..n])
                .map_err(|e| Error::io("temporary spool file", e))?;
            copied += n as u64;
            let read = packed
                .load(std::sync::atomic::Ordering::Relaxed)
                .max(1 << 20);
            if copied > read.saturating_mul(max_ratio) {
                return Err(Error::Limit {
                    path: display,
                    what: "decompression ratio".into(),
                    limit: max_ratio,
                    flag: "--max-ratio",
                });
            }
        }
        if copied > max_spool {
            return Err(Error::Limit {
                path: display,
                what: "uncompressed archive size".into(),
                limit: max_spool,
                flag: "--max-bytes",
            });
        }
        let spool_path = spool.into_temp_path();
        let mut sf = File::open(&spool_path).map_err(|e| Error::io(&display, e))?;
        super::sniff::check_tar(&mut sf, &display, kind)?;
        let members = index_tar(&mut sf, &display)?;
        Ok((
            Container::Tar {
                file: spool_path.to_path_buf(),
                display,
                members,
                _spool: Some(std::sync::Arc::new(spool_path)),
            },
            kind,
        ))
    }

    /// Adopts an already written spool file (e.g. a daemon's `docker save` stream).
    pub fn from_spool(spool: tempfile::TempPath, display: String) -> Result<Container> {
        let mut f = File::open(&spool).map_err(|e| Error::io(&display, e))?;
        let members = index_tar(&mut f, &display)?;
        Ok(Container::Tar {
            file: spool.to_path_buf(),
            display,
            members,
            _spool: Some(std::sync::Arc::new(spool)),
        })
    }

    pub fn display(&self) -> &str {
        match self {
            Container::Dir { display, .. } | Container::Tar { display, .. } => display,
        }
    }

    /// `archive.tar:blobs/sha256/ab…` — how errors name a member.
    pub fn display_member(&self, name: &str) -> String {
        match self {
            Container::Dir { root, .. } => root.join(name).display().to_string(),
            Container::Tar { display, .. } => format!("{display}:{name}"),
        }
    }

    pub fn is_dir(&self) -> bool {
        matches!(self, Container::Dir { .. })
    }

    fn resolve<'a>(&'a self, name: &str) -> Option<(&'a Member, String)> {
        let Container::Tar { members, .. } = self else {
            return None;
        };
        let mut key = normalize_name(name)?;
        for _ in 0..MAX_LINK_HOPS {
            let m = members.get(&key)?;
            match &m.link {
                None => return Some((m, key)),
                Some(target) => key = target.clone(),
            }
        }
        None
    }

    fn dir_path(&self, name: &str) -> Option<PathBuf> {
        let Container::Dir { root, .. } = self else {
            return None;
        };
        // Member names come from manifests: keep them inside the layout directory.
        let norm = normalize_name(name)?;
        let p = root.join(norm);
        // A symlink inside the layout (e.g. `blobs` -> `/`, a blob -> `/etc/shadow`) must not
        // lead outside it, and only regular files are read (a FIFO or a device would block or
        // never end). A path that does not exist is kept, so that it reads as missing.
        match p.canonicalize() {
            Ok(real) => {
                let base = root.canonicalize().ok()?;
                let meta = std::fs::metadata(&real).ok()?;
                (real.starts_with(&base) && meta.is_file()).then_some(real)
            }
            Err(_) if std::fs::symlink_metadata(&p).is_err() => Some(p),
            Err(_) => None,
        }
    }

    pub fn exists(&self, name: &str) -> bool {
        match self {
            Container::Dir { .. } => self.dir_path(name).is_some_and(|p| p.is_file()),
            Container::Tar { .. } => self.resolve(name).is_some(),
        }
    }

    pub fn size(&self, name: &str) -> Option<u64> {
        match self {
            Container::Dir { .. } => std::fs::metadata(self.dir_path(name)?)
                .ok()
                .map(|m| m.len()),
            Container::Tar { .. } => self.resolve(name).map(|(m, _)| m.size),
        }
    }

    /// Opens a member for reading from `offset` (its own byte offset, not the archive's).
    pub fn open_at(&self, name: &str, offset: u64) -> Result<Box<dyn ReadSeek>> {
        let shown = self.display_member(name);
        match self {
            Container::Dir { arrivals, .. } => {
                if let Some(a) = arrivals {
                    a.wait(name)?;
                }
                let p = self.dir_path(name).ok_or_else(|| {
                    Error::invalid(
                        &shown,
                        "not a regular file inside the layout directory; refused",
                    )
                })?;
                let mut f = File::open(&p).map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => Error::MissingBlob {
                        path: self.display().to_string(),
                        digest: name.to_string(),
                    },
                    _ => Error::io(&shown, e),
                })?;
                f.seek(SeekFrom::Start(offset))
                    .map_err(|e| Error::io(&shown, e))?;
                Ok(Box::new(f))
            }
            Container::Tar { file, .. } => {
                let (m, _) = self.resolve(name).ok_or_else(|| Error::MissingBlob {
                    path: self.display().to_string(),
                    digest: name.to_string(),
                })?;
                let f = File::open(file).map_err(|e| Error::io(&shown, e))?;
                let mut region =
                    Region::new(f, m.offset, m.size).map_err(|e| Error::io(&shown, e))?;
                region
                    .seek(SeekFrom::Start(offset.min(m.size)))
                    .map_err(|e| Error::io(&shown, e))?;
                Ok(Box::new(region))
            }
        }
    }

    pub fn open(&self, name: &str) -> Result<Box<dyn ReadSeek>> {
        self.open_at(name, 0)
    }

    /// Reads a small JSON document, refusing anything over `limit` bytes.
    pub fn read_small(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let shown = self.display_member(name);
        if let Some(sz) = self.size(name) {
            if sz > limit {
                return Err(Error::Limit {
                    path: shown,
                    what: format!("JSON document size ({sz} bytes)"),
                    limit,
                    flag: "--max-json-bytes",
                });
            }
        }
        let mut buf = Vec::new();
        self.open(name)?
            .take(limit)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(&shown, e))?;
        Ok(buf)
    }

    /// Member names (tar) — used to give helpful errors about unknown layouts.
    pub fn names(&self) -> Vec<String> {
        match self {
            Container::Tar { members, .. } => {
                let mut v: Vec<String> = members.keys().cloned().collect();
                v.sort();
                v
            }
            Container::Dir { root, .. } => std::fs::read_dir(root)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

fn normalize_name(name: &str) -> Option<String> {
    let n = normalize(name.as_bytes())?;
    String::from_utf8(n).ok()
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Indexes the members of an outer archive: name -> (offset, size, link).
fn index_tar(f: &mut File, display: &str) -> Result<HashMap<String, Member>> {
    let len = f.metadata().map_err(|e| Error::io(display, e))?.len();
    if len == 0 {
        return Err(Error::invalid(
            display,
            "empty file (0 bytes): not an image archive",
        ));
    }
    let mut members = HashMap::new();
    // Long names and PAX records are read into memory by the tar crate: bound them.
    let headers = super::tar_guard::HeaderBudget::new(&super::Limits::default());
    f.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(display, e))?;
    let mut ar = tar::Archive::new(headers.guard_seekable(io::BufReader::new(&mut *f)));
    let entries = ar
        .entries_with_seek()
        .map_err(|e| Error::invalid(display, format!("not a tar archive: {e}")))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| Error::invalid(display, format!("corrupt tar archive: {e}")))?;
        let kind = entry.header().entry_type();
        let stored = if kind.is_gnu_sparse() {
            entry.header().entry_size().unwrap_or(0)
        } else {
            entry.size()
        };
        headers.allow_after(entry.raw_file_position().saturating_add(stored));
        let raw = entry.path_bytes();
        let Some(name) = normalize(&raw).and_then(|n| String::from_utf8(n).ok()) else {
            continue;
        };
        let offset = entry.raw_file_position();
        let size = entry.size();
        if offset.saturating_add(size) > len {
            return Err(Error::invalid(
                display,
                format!("truncated tar: member {name} needs {size} bytes past the end of the file"),
            ));
        }
        let link = match kind {
            tar::EntryType::Symlink => entry.link_name_bytes().and_then(|t| {
                let t = String::from_utf8_lossy(&t).into_owned();
                let base = match name.rfind('/') {
                    Some(i) => &name[..i],
                    None => "",
                };
                let joined = if t.starts_with('/') {
                    t
                } else {
                    format!("{base}/{t}")
                };
                resolve_dots(&joined)
            }),
            tar::EntryType::Link => entry
                .link_name_bytes()
                .and_then(|t| normalize_name(&String::from_utf8_lossy(&t))),
            _ => None,
        };
        if kind.is_dir() {
            continue;
        }
        members.insert(name, Member { offset, size, link });
    }
    if members.is_empty() {
        return Err(Error::invalid(
            display,
            "tar archive holds no files: not an image archive",
        ));
    }
    Ok(members)
}

/// Resolves `a/b/../c` lexically; `None` if it climbs above the root.
fn resolve_dots(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

struct CountingReader<'a, R> {
    inner: R,
    count: &'a std::sync::atomic::AtomicU64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// A byte range of a file, readable and seekable as if it were the whole file.
struct Region {
    f: File,
    start: u64,
    len: u64,
    pos: u64,
}

impl Region {
    fn new(mut f: File, start: u64, len: u64) -> io::Result<Region> {
        f.seek(SeekFrom::Start(start))?;
        Ok(Region {
            f,
            start,
            len,
            pos: 0,
        })
    }
}

impl Read for Region {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len - self.pos;
        if left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(left as usize);
        let n = self.f.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive member ends early (truncated file)",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Region {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => n as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
            SeekFrom::End(d) => self.len as i128 + d as i128,
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        let target = (target as u64).min(self.len);
        self.f.seek(SeekFrom::Start(self.start + target))?;
        self.pos = target;
        Ok(target)
    }
}

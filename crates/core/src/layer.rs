//! The layer index: one streaming pass over a layer blob records every entry (path, kind, size,
//! mode, owner, mtime, link target, where its bytes sit in the uncompressed stream, a content
//! hash) and every whiteout, checks the diff_id, and hands each file's bytes to a visitor (the
//! secret scanner) so that an image is decompressed exactly once.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result, Warning};
use crate::paths::{normalize, normalize_into, PathId, PathTable};
use crate::source::compress::{self, Compression};
use crate::source::tar_guard::{HeaderBudget, Stop};
use crate::source::Limits;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Char,
    Block,
    Fifo,
}

impl EntryKind {
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hardlink",
            EntryKind::Char => "char",
            EntryKind::Block => "block",
            EntryKind::Fifo => "fifo",
        }
    }
    /// Holds content bytes of its own (a hardlink shares its target's).
    pub fn has_content(self) -> bool {
        matches!(self, EntryKind::File | EntryKind::Hardlink)
    }
}

/// One entry of a layer tar. Kept small: an image may hold millions.
#[derive(Clone, Debug)]
pub struct Entry {
    pub path: PathId,
    pub kind: EntryKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    /// Content bytes (for a hardlink: its target's, once resolved).
    pub size: u64,
    /// Offset of the content in the uncompressed layer stream.
    pub offset: u64,
    /// xxh3 of the content (files), used to tell real modifications from re-writes.
    pub hash: u64,
    /// Symlink target as written, or hardlink target (normalised).
    pub link: Option<Box<[u8]>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhiteoutKind {
    /// `.wh.NAME`: removes NAME (and everything under it).
    Path,
    /// `.wh..wh..opq` in DIR: hides everything under DIR from lower layers.
    Opaque,
}

#[derive(Clone, Debug)]
pub struct Whiteout {
    pub path: PathId,
    pub kind: WhiteoutKind,
}

/// The index of one layer. Paths are raw bytes until `intern` maps them into the shared table.
#[derive(Debug, Default)]
pub struct LayerIndex {
    pub entries: Vec<Entry>,
    pub whiteouts: Vec<Whiteout>,
    /// Entry paths back to back (entry `i` ends at `raw_ends[i]`): one buffer for the layer
    /// instead of a heap block per entry.
    raw_names: Vec<u8>,
    raw_ends: Vec<usize>,
    raw_whiteouts: Vec<(Box<[u8]>, WhiteoutKind)>,
    /// Bytes of the uncompressed tar stream.
    pub size: u64,
    /// Bytes of the blob as stored.
    pub compressed_size: u64,
    pub compression: Option<Compression>,
    /// sha256 of the uncompressed stream.
    pub diff_id: String,
    /// sha256 of the blob as stored.
    pub digest: String,
    pub warnings: Vec<Warning>,
    /// Set by the caller when the uncompressed stream was spooled.
    pub spool: Option<tempfile::TempPath>,
}

/// Receives each regular file's bytes during the indexing pass.
pub trait ContentVisitor {
    fn file(&mut self, entry: u32, path: &[u8], data: &[u8]);
    /// Called once when the layer's pass completed.
    fn finish(&mut self) {}
    /// Whether a file bigger than [`WINDOW`] may come in windows (`file_window`) instead of whole
    /// (`file`). Windows keep memory flat: a 500 MB file costs one window, not 500 MB.
    fn windows(&self, _path: &[u8], _size: u64) -> bool {
        false
    }
    /// One window of a large file: `data` is the file's bytes from `offset`. Consecutive windows
    /// overlap by [`WINDOW_OVERLAP`] bytes, so anything shorter than that is seen whole in one of
    /// them; `last` marks the final window (it ends at the end of the file).
    fn file_window(&mut self, _entry: u32, _path: &[u8], _offset: u64, _data: &[u8], _last: bool) {}
}

impl ContentVisitor for () {
    fn file(&mut self, _: u32, _: &[u8], _: &[u8]) {}
    fn windows(&self, _: &[u8], _: u64) -> bool {
        true
    }
}

/// Size of the windows a large file is handed over in (see [`ContentVisitor::windows`]).
pub const WINDOW: usize = 1 << 20;
/// Bytes shared by consecutive windows.
pub const WINDOW_OVERLAP: usize = 8 << 10;

/// Shared across the layers of one image: progress counters, the byte budget, cancellation.
#[derive(Default)]
pub struct PassState {
    pub compressed_read: AtomicU64,
    pub uncompressed_read: AtomicU64,
    pub entries: AtomicU64,
    /// Layers whose pass has finished (for progress displays).
    pub layers_done: AtomicU64,
    pub cancel: AtomicBool,
    /// 1 + the layer to index next if no worker has started it yet (the layer the user is
    /// looking at); 0 for none. Read each time a worker picks its next layer.
    pub first: AtomicUsize,
}

/// Files bigger than this are hashed whole but handed to the visitor in their first part only.
pub const SCAN_CAP: usize = 64 << 20;

/// Counts and hashes the bytes that pass through.
struct Tap<'a, R> {
    inner: R,
    hasher: Option<Sha256>,
    count: u64,
    counter: &'a AtomicU64,
    state: &'a PassState,
    budget: Option<(u64, u64)>, // (max total uncompressed bytes, ratio limit) checked on the inner side
    /// Receives a copy of every byte (the spool of a compressed layer).
    tee: Option<&'a mut (dyn Write + Send)>,
}

impl<R: Read> Read for Tap<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.state.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other(Stop::Cancelled));
        }
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        if let Some(t) = &mut self.tee {
            t.write_all(&buf[..n])?;
        }
        self.count += n as u64;
        let total = self.counter.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if let Some((max, ratio)) = self.budget {
            if total > max {
                return Err(io::Error::other(Stop::Limit(
                    "total uncompressed size",
                    max,
                    "--max-bytes",
                )));
            }
            let packed = self
                .state
                .compressed_read
                .load(Ordering::Relaxed)
                .max(1 << 20);
            if total > packed.saturating_mul(ratio) {
                return Err(io::Error::other(Stop::Limit(
                    "decompression ratio",
                    ratio,
                    "--max-ratio",
                )));
            }
        }
        Ok(n)
    }
}

fn map_io(e: io::Error, shown: &str, kind: Compression) -> Error {
    if let Some(stop) = e.get_ref().and_then(|r| r.downcast_ref::<Stop>()) {
        return match stop {
            Stop::Cancelled => Error::Cancelled,
            Stop::Limit(what, limit, flag) => Error::Limit {
                path: shown.to_string(),
                what: what.to_string(),
                limit: *limit,
                flag,
            },
        };
    }
    Error::invalid(shown, compress::describe_stream_error(kind, &e))
}

/// Indexes one layer blob. `shown` names it in errors.
pub fn index_layer<R: Read + Send>(
    blob: R,
    shown: &str,
    limits: &Limits,
    state: &PassState,
    visitor: &mut dyn ContentVisitor,
) -> Result<LayerIndex> {
    index_layer_spooled(blob, shown, limits, state, visitor, None)
}

/// `index_layer` that also copies the uncompressed stream into `spool`, so that file contents
/// of a compressed layer can later be read with a seek instead of a re-inflation.
pub fn index_layer_spooled<'a, R: Read + Send>(
    blob: R,
    shown: &str,
    limits: &Limits,
    state: &'a PassState,
    visitor: &mut dyn ContentVisitor,
    spool: Option<&'a mut (dyn Write + Send)>,
) -> Result<LayerIndex> {
    let raw_tap = Tap {
        inner: blob,
        hasher: Some(Sha256::new()),
        count: 0,
        counter: &state.compressed_read,
        state,
        budget: None,
        tee: None,
    };
    // The raw tap must stay reachable to read its hash at the end: decode through a &mut.
    let mut raw_tap = raw_tap;
    let (kind, dec) =
        compress::decoder(&mut raw_tap).map_err(|e| map_io(e, shown, Compression::None))?;
    let mut tap = Tap {
        inner: dec,
        hasher: if kind == Compression::None {
            None
        } else {
            Some(Sha256::new())
        },
        count: 0,
        counter: &state.uncompressed_read,
        state,
        budget: Some((limits.max_bytes, limits.max_ratio)),
        tee: spool,
    };
    let mut idx = LayerIndex {
        compression: Some(kind),
        ..Default::default()
    };
    read_entries(&mut tap, shown, kind, limits, state, visitor, &mut idx)?;
    // The diff_id covers the whole stream, end-of-archive padding included.
    io::copy(&mut tap, &mut io::sink()).map_err(|e| map_io(e, shown, kind))?;
    idx.size = tap.count;
    let uncompressed_hash = tap.hasher.take().map(|h| crate::digest::hex(&h.finalize()));
    drop(tap);
    idx.compressed_size = raw_tap.count;
    let raw_hash = crate::digest::hex(&raw_tap.hasher.take().unwrap_or_default().finalize());
    idx.diff_id = format!(
        "sha256:{}",
        uncompressed_hash.as_deref().unwrap_or(&raw_hash)
    );
    idx.digest = format!("sha256:{raw_hash}");
    Ok(idx)
}

fn read_entries<R: Read>(
    stream: &mut R,
    shown: &str,
    kind: Compression,
    limits: &Limits,
    state: &PassState,
    visitor: &mut dyn ContentVisitor,
    idx: &mut LayerIndex,
) -> Result<()> {
    let headers = HeaderBudget::new(limits);
    let mut ar = tar::Archive::new(headers.guard(stream));
    let entries = ar.entries_with_seek().map_err(|e| map_io(e, shown, kind))?;
    let mut buf: Vec<u8> = Vec::new();
    let mut path: Vec<u8> = Vec::new();
    for item in entries {
        let mut ent = item.map_err(|e| map_io(e, shown, kind))?;
        let hdr = ent.header();
        let et = hdr.entry_type();
        // Bytes this entry occupies in the stream (a sparse file's size is its logical size).
        let stored = if et.is_gnu_sparse() {
            hdr.entry_size().unwrap_or(0)
        } else {
            ent.size()
        };
        headers.allow_after(ent.raw_file_position().saturating_add(stored));
        if et.is_gnu_sparse() {
            // The holes of a sparse file are bytes we hash without reading them: count them.
            let holes = ent.size().saturating_sub(stored);
            let total = state.uncompressed_read.fetch_add(holes, Ordering::Relaxed) + holes;
            if total > limits.max_bytes {
                return Err(Error::Limit {
                    path: shown.to_string(),
                    what: "total uncompressed size".into(),
                    limit: limits.max_bytes,
                    flag: "--max-bytes",
                });
            }
        }
        let ekind = match et {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                EntryKind::File
            }
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Link => EntryKind::Hardlink,
            tar::EntryType::Char => EntryKind::Char,
            tar::EntryType::Block => EntryKind::Block,
            tar::EntryType::Fifo => EntryKind::Fifo,
            // PAX global headers and other metadata records are not files.
            _ => continue,
        };
        let raw_path = ent.path_bytes();
        if raw_path.len() > limits.max_path_len {
            return Err(Error::Limit {
                path: shown.to_string(),
                what: format!("path length ({} bytes)", raw_path.len()),
                limit: limits.max_path_len as u64,
                flag: "--max-path-len",
            });
        }
        if !normalize_into(&raw_path, &mut path) {
            idx.warnings.push(Warning::new(
                "path-escape",
                format!(
                    "entry {} climbs out of the root with '..'; ignored",
                    crate::paths::escape(&raw_path)
                ),
            ));
            continue;
        }
        if path.is_empty() {
            continue; // the root directory itself
        }
        let depth = path.iter().filter(|&&b| b == b'/').count() + 1;
        if depth > limits.max_depth {
            return Err(Error::Limit {
                path: shown.to_string(),
                what: format!("path depth ({depth})"),
                limit: limits.max_depth as u64,
                flag: "--max-depth",
            });
        }
        let total = state.entries.fetch_add(1, Ordering::Relaxed) + 1;
        if total > limits.max_entries {
            return Err(Error::Limit {
                path: shown.to_string(),
                what: "entry count".into(),
                limit: limits.max_entries,
                flag: "--max-entries",
            });
        }
        let (dir, base) = match path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (&path[..0], &path[..]),
        };
        if let Some(target) = base.strip_prefix(b".wh.") {
            let (wpath, wkind) = if target == b".wh..opq" {
                (dir.to_vec(), WhiteoutKind::Opaque)
            } else if target.is_empty() || target == b"." || target == b".." {
                idx.warnings.push(Warning::new(
                    "bad-whiteout",
                    format!(
                        "invalid whiteout entry {}; ignored",
                        crate::paths::escape(&path)
                    ),
                ));
                continue;
            } else {
                let mut p = dir.to_vec();
                if !p.is_empty() {
                    p.push(b'/');
                }
                p.extend_from_slice(target);
                (p, WhiteoutKind::Path)
            };
            idx.raw_whiteouts.push((wpath.into_boxed_slice(), wkind));
            continue;
        }
        let mode = hdr.mode().unwrap_or(0);
        let uid = hdr.uid().unwrap_or(0).min(u32::MAX as u64) as u32;
        let gid = hdr.gid().unwrap_or(0).min(u32::MAX as u64) as u32;
        let mtime = hdr.mtime().unwrap_or(0);
        if let Some(l) = ent.link_name_bytes() {
            if l.len() > limits.max_path_len {
                return Err(Error::Limit {
                    path: shown.to_string(),
                    what: format!("link target length ({} bytes)", l.len()),
                    limit: limits.max_path_len as u64,
                    flag: "--max-path-len",
                });
            }
        }
        let link = match ekind {
            EntryKind::Symlink => ent
                .link_name_bytes()
                .map(|l| l.into_owned().into_boxed_slice()),
            EntryKind::Hardlink => ent
                .link_name_bytes()
                .and_then(|l| normalize(&l))
                .map(Vec::into_boxed_slice),
            _ => None,
        };
        let offset = ent.raw_file_position();
        let mut size = 0;
        let mut hash = 0;
        if ekind == EntryKind::File {
            size = ent.size();
            let entry_no = idx.entries.len() as u32;
            let truncated = || Error::invalid(shown, "truncated tar (file content ends early)");
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            let mut one_shot = None;
            if size > WINDOW as u64 && visitor.windows(&path, size) {
                // In windows: memory stays at one window whatever the file's size.
                if buf.len() < WINDOW {
                    buf.resize(WINDOW, 0);
                }
                let mut at = 0u64; // file offset of buf[0]
                let mut carried = 0; // bytes at the front of buf kept from the previous window
                loop {
                    let want = (WINDOW as u64 - carried as u64).min(size - at - carried as u64);
                    let end = carried + want as usize;
                    read_full(&mut ent, &mut buf[carried..end])
                        .map_err(|e| map_io(e, shown, kind))?
                        .then_some(())
                        .ok_or_else(truncated)?;
                    hasher.update(&buf[carried..end]);
                    let last = at + end as u64 >= size;
                    visitor.file_window(entry_no, &path, at, &buf[..end], last);
                    if last {
                        break;
                    }
                    buf.copy_within(end - WINDOW_OVERLAP..end, 0);
                    at += (end - WINDOW_OVERLAP) as u64;
                    carried = WINDOW_OVERLAP;
                }
            } else {
                // Whole (up to SCAN_CAP). The buffer only grows, and is read into with `read`
                // rather than `read_to_end`, which would zero it again for every file.
                let head = size.min(SCAN_CAP as u64) as usize;
                if buf.len() < head {
                    buf.resize(head, 0);
                }
                read_full(&mut ent, &mut buf[..head])
                    .map_err(|e| map_io(e, shown, kind))?
                    .then_some(())
                    .ok_or_else(truncated)?;
                if size > head as u64 {
                    hasher.update(&buf[..head]);
                } else {
                    // Whole in the buffer: the one-shot hash is the streaming one, with no
                    // per-file state to set up (most files of a large tree are small).
                    one_shot = Some(xxhash_rust::xxh3::xxh3_64(&buf[..head]));
                }
                visitor.file(entry_no, &path, &buf[..head]);
                if size > head as u64 {
                    let mut left = size - head as u64;
                    while left > 0 {
                        let n = (left.min(WINDOW as u64)) as usize;
                        read_full(&mut ent, &mut buf[..n])
                            .map_err(|e| map_io(e, shown, kind))?
                            .then_some(())
                            .ok_or_else(truncated)?;
                        hasher.update(&buf[..n]);
                        left -= n as u64;
                    }
                }
            }
            hash = one_shot.unwrap_or_else(|| hasher.digest());
        }
        idx.raw_names.extend_from_slice(&path);
        idx.raw_ends.push(idx.raw_names.len());
        idx.entries.push(Entry {
            path: 0,
            kind: ekind,
            mode,
            uid,
            gid,
            mtime,
            size,
            offset,
            hash,
            link,
        });
    }
    // Growth by doubling leaves up to half the entry list unused, for as long as the analysis
    // lives.
    idx.entries.shrink_to_fit();
    Ok(())
}

/// Fills `buf` from `r`; false when the stream ends first.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<bool> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => return Ok(false),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

impl LayerIndex {
    /// A copy for a progressive view, made before `intern` (so with its raw paths); the spool
    /// file stays with the original.
    pub fn share(&self) -> LayerIndex {
        LayerIndex {
            entries: self.entries.clone(),
            whiteouts: self.whiteouts.clone(),
            raw_names: self.raw_names.clone(),
            raw_ends: self.raw_ends.clone(),
            raw_whiteouts: self.raw_whiteouts.clone(),
            size: self.size,
            compressed_size: self.compressed_size,
            compression: self.compression,
            diff_id: self.diff_id.clone(),
            digest: self.digest.clone(),
            warnings: self.warnings.clone(),
            spool: None,
        }
    }

    /// Moves raw paths into the shared table. Hardlinks take their target's size, hash and
    /// offset (the target is an earlier entry of the same layer).
    pub fn intern(&mut self, table: &mut PathTable) {
        // Tars list a directory's entries together: intern each directory once and only the
        // last name per entry, instead of walking every component of every path.
        let mut last_dir: Option<(std::ops::Range<usize>, PathId)> = None;
        let mut start = 0;
        for (e, &end) in self.entries.iter_mut().zip(&self.raw_ends) {
            let p = &self.raw_names[start..end];
            let (dir, base) = match p.iter().rposition(|&b| b == b'/') {
                Some(i) => (start..start + i, &p[i + 1..]),
                None => (start..start, p),
            };
            let dir_id = match &last_dir {
                Some((r, id)) if self.raw_names[r.clone()] == self.raw_names[dir.clone()] => *id,
                _ => {
                    let id = table.intern(&self.raw_names[dir.clone()]);
                    last_dir = Some((dir, id));
                    id
                }
            };
            e.path = table.child(dir_id, base);
            start = end;
        }
        self.raw_names = Vec::new();
        self.raw_ends = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (p, kind) in self.raw_whiteouts.drain(..) {
            let path = table.intern(&p);
            // A repeated marker changes nothing; applying each copy would cost a subtree walk.
            if seen.insert((path, kind == WhiteoutKind::Opaque)) {
                self.whiteouts.push(Whiteout { path, kind });
            }
        }
        self.raw_whiteouts = Vec::new();
        if self.entries.iter().any(|e| e.kind == EntryKind::Hardlink) {
            let mut by_path: std::collections::HashMap<PathId, usize> =
                std::collections::HashMap::new();
            for i in 0..self.entries.len() {
                let e = &self.entries[i];
                if e.kind == EntryKind::Hardlink {
                    let target = e.link.as_deref().and_then(|t| table.lookup(t));
                    match target.and_then(|t| by_path.get(&t)).map(|&j| self.entries[j].clone()) {
                        Some(t) => {
                            let e = &mut self.entries[i];
                            e.size = t.size;
                            e.hash = t.hash;
                            e.offset = t.offset;
                        }
                        None => self.warnings.push(Warning::new(
                            "dangling-hardlink",
                            format!(
                                "hardlink {} points at {}, which is not an earlier file of this layer",
                                crate::paths::escape(&table.path(e.path)),
                                crate::paths::escape(e.link.as_deref().unwrap_or_default())
                            ),
                        )),
                    }
                }
                let e = &self.entries[i];
                if e.kind == EntryKind::File || (e.kind == EntryKind::Hardlink && e.size > 0) {
                    by_path.insert(e.path, i);
                }
            }
        }
    }
}
/// A layer of the image as analysed: where its blob came from, its indexed entries, the build
/// step that made it and its change counts.
#[derive(Debug)]
pub struct LayerInfo {
    pub index: usize,
    /// diff_id as the config states it.
    pub diff_id: String,
    /// sha256 of the uncompressed stream as read.
    pub computed_diff_id: Option<String>,
    /// sha256 of the blob as read (`digest` may be the manifest's word for it).
    pub computed_digest: Option<String>,
    pub digest: Option<String>,
    pub media_type: Option<String>,
    pub compression: Option<crate::source::Compression>,
    pub compressed_size: u64,
    /// Bytes of the uncompressed tar stream.
    pub size: u64,
    /// Bytes of file content in this layer.
    pub content_size: u64,
    pub history: Option<usize>,
    pub member: Option<String>,
    /// Uncompressed copy of a compressed layer (see `AnalyzeOptions::spool_compressed`).
    pub spool: Option<std::sync::Arc<tempfile::TempPath>>,
    pub entries: Vec<Entry>,
    /// This layer's own whiteouts (kept so another analysis can reuse the layer).
    pub whiteouts: Vec<Whiteout>,
    pub added: usize,
    pub modified: usize,
    pub removed: usize,
}

impl LayerInfo {
    pub fn digest_mismatch(&self) -> bool {
        self.computed_diff_id
            .as_ref()
            .is_some_and(|c| !self.diff_id.is_empty() && *c != self.diff_id)
    }
}

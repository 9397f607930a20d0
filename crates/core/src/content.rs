//! The bytes of one file version, read again after the indexing pass: a seek into an
//! uncompressed layer, or a re-inflation up to the entry for a compressed one. Binary detection
//! and size caps live here so every reader (preview, export, diff) agrees on them.

use std::io::{self, Read};

use crate::analysis::Analysis;
use crate::error::{Error, Result};
use crate::layer::{Entry, EntryKind};
use crate::source::compress;

/// A file version's bytes, possibly cut at a cap.
#[derive(Clone, Debug)]
pub struct Content {
    pub bytes: Vec<u8>,
    /// The whole size of the file; `bytes` may hold less.
    pub size: u64,
    pub truncated: bool,
}

impl Content {
    pub fn is_binary(&self) -> bool {
        is_binary(&self.bytes)
    }
}

/// NUL in the first 8 KiB, or mostly invalid UTF-8: treat as binary. The preview and the secret
/// scanner share one heuristic, so a file shown as hex is the file scanned at lower confidence.
pub fn is_binary(data: &[u8]) -> bool {
    crate::secrets::is_binary(data)
}

/// Reads up to `cap` bytes of `entry` in `layer`, starting `skip` bytes into the file.
pub fn read_range(
    a: &Analysis,
    layer: usize,
    entry: &Entry,
    skip: u64,
    cap: usize,
) -> Result<Content> {
    if !entry.kind.has_content() {
        return Ok(Content {
            bytes: Vec::new(),
            size: 0,
            truncated: false,
        });
    }
    let info = &a.layers[layer];
    let member = info.member.as_deref().ok_or_else(|| {
        Error::Other(format!(
            "layer {layer}'s blob is not in the archive (non-distributable)"
        ))
    })?;
    let shown = a.source.container.display_member(member);
    let want = entry.size.saturating_sub(skip).min(cap as u64);
    let start = entry.offset + skip.min(entry.size);
    let mut bytes = Vec::with_capacity(want as usize);
    let kind = info.compression.unwrap_or(compress::Compression::None);
    if let Some(spool) = &info.spool {
        let mut f = std::fs::File::open(spool.as_ref() as &std::path::Path)
            .map_err(|e| Error::io(&shown, e))?;
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(start))
            .map_err(|e| Error::io(&shown, e))?;
        f.take(want)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(&shown, e))?;
    } else if kind == compress::Compression::None {
        let mut r = a.source.container.open_at(member, start)?;
        r.by_ref()
            .take(want)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(&shown, e))?;
    } else {
        let raw = a.source.container.open(member)?;
        let (_, mut dec) = compress::decoder(raw).map_err(|e| Error::io(&shown, e))?;
        io::copy(&mut dec.by_ref().take(start), &mut io::sink())
            .map_err(|e| Error::invalid(&shown, compress::describe_stream_error(kind, &e)))?;
        dec.take(want)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::invalid(&shown, compress::describe_stream_error(kind, &e)))?;
    }
    if (bytes.len() as u64) < want {
        return Err(Error::invalid(
            shown,
            "layer ends before the file's content (truncated)",
        ));
    }
    Ok(Content {
        truncated: skip + (bytes.len() as u64) < entry.size,
        bytes,
        size: entry.size,
    })
}

pub fn read(a: &Analysis, layer: usize, entry: &Entry, cap: usize) -> Result<Content> {
    read_range(a, layer, entry, 0, cap)
}

/// Short label for an entry kind that has no content to show.
pub fn describe_non_file(e: &Entry) -> Option<String> {
    let link = || crate::paths::escape(e.link.as_deref().unwrap_or_default());
    match e.kind {
        EntryKind::File | EntryKind::Hardlink if e.size > 0 || e.kind == EntryKind::File => None,
        EntryKind::Hardlink => Some(format!("hard link to /{}", link())),
        EntryKind::Symlink => Some(format!("symbolic link to {}", link())),
        EntryKind::Dir => Some("directory".into()),
        EntryKind::Char => Some("character device".into()),
        EntryKind::Block => Some("block device".into()),
        EntryKind::Fifo => Some("named pipe (FIFO)".into()),
        _ => None,
    }
}

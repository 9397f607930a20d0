//! The layer writer: a tar stream of generated entries, hashed as it is written.

use super::content::{Content, Corpus, Kind};
use super::MTIME;
use layerscope_core::digest::hex;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::{self, Read, Write};

/// Hashes (sha256) and counts what goes through to the inner writer.
pub struct HashWriter<W> {
    pub inner: W,
    pub hasher: Sha256,
    pub count: u64,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> HashWriter<W> {
    pub fn new(inner: W) -> Self {
        HashWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    pub fn hex(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }
}

/// Writes one layer tar the way `docker build` does: parent directories listed before their
/// children, whiteouts as empty `.wh.` files.
pub struct LayerWriter<'c, W: Write> {
    pub(super) b: tar::Builder<HashWriter<W>>,
    pub(super) dirs: HashSet<String>,
    pub corpus: &'c Corpus,
    pub files: u64,
    pub content_bytes: u64,
}

impl<'c, W: Write> LayerWriter<'c, W> {
    pub fn new(inner: W, corpus: &'c Corpus) -> Self {
        let mut b = tar::Builder::new(HashWriter::new(inner));
        b.mode(tar::HeaderMode::Deterministic);
        LayerWriter {
            b,
            dirs: HashSet::new(),
            corpus,
            files: 0,
            content_bytes: 0,
        }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    fn parents(&mut self, path: &str) -> io::Result<()> {
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            let dir = &path[..end + i];
            end += i + 1;
            if self.dirs.insert(dir.to_string()) {
                let mut h = Self::header(tar::EntryType::Directory, 0o755, 0);
                self.b.append_data(&mut h, format!("{dir}/"), io::empty())?;
            }
        }
        Ok(())
    }

    pub fn dir(&mut self, path: &str) -> io::Result<()> {
        self.parents(&format!("{path}/"))
    }

    pub fn file(
        &mut self,
        path: &str,
        mode: u32,
        kind: Kind,
        size: u64,
        seed: u64,
    ) -> io::Result<()> {
        let content = Content::new(self.corpus, kind, size, seed);
        self.file_from(path, mode, size, content)
    }

    pub fn file_from(&mut self, path: &str, mode: u32, size: u64, r: impl Read) -> io::Result<()> {
        self.parents(path)?;
        let mut h = Self::header(tar::EntryType::Regular, mode, size);
        self.b.append_data(&mut h, path, r)?;
        self.files += 1;
        self.content_bytes += size;
        Ok(())
    }

    pub fn literal(&mut self, path: &str, mode: u32, data: &[u8]) -> io::Result<()> {
        self.file_from(path, mode, data.len() as u64, data)
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.parents(path)?;
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0);
        self.b.append_link(&mut h, path, target)?;
        self.files += 1;
        Ok(())
    }

    pub fn hardlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.parents(path)?;
        let mut h = Self::header(tar::EntryType::Link, 0o755, 0);
        self.b.append_link(&mut h, path, target)?;
        self.files += 1;
        Ok(())
    }

    /// Deletes `path` (from lower layers).
    pub fn whiteout(&mut self, path: &str) -> io::Result<()> {
        let (dir, base) = match path.rfind('/') {
            Some(i) => (&path[..i + 1], &path[i + 1..]),
            None => ("", path),
        };
        let wh = format!("{dir}.wh.{base}");
        self.parents(&wh)?;
        let mut h = Self::header(tar::EntryType::Regular, 0o000, 0);
        self.b.append_data(&mut h, wh, io::empty())
    }

    /// Hides everything lower layers hold under `dir`.
    pub fn opaque(&mut self, dir: &str) -> io::Result<()> {
        let wh = format!("{dir}/.wh..wh..opq");
        self.parents(&wh)?;
        let mut h = Self::header(tar::EntryType::Regular, 0o755, 0);
        self.b.append_data(&mut h, wh, io::empty())
    }

    /// Ends the archive; returns (inner writer, diff_id hex, tar size).
    pub fn finish(self) -> io::Result<(W, String, u64)> {
        let hw = self.b.into_inner()?;
        let hex = hex(&hw.hasher.finalize());
        Ok((hw.inner, hex, hw.count))
    }
}

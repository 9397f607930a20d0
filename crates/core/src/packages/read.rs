//! Reading many small files of one layer in a single forward pass: package databases are
//! hundreds of files per layer (`info/*.list`), and reading each with its own re-inflation of a
//! compressed layer would be quadratic in the layer's size.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::{Error, Result};
use crate::source::compress::{self, Compression};
use crate::source::container::Container;

/// Where one layer's bytes can be read again.
#[derive(Clone, Copy)]
pub struct LayerBlob<'a> {
    pub container: &'a Container,
    /// `None`: the blob is not in the archive (non-distributable); nothing can be read.
    pub member: Option<&'a str>,
    pub compression: Compression,
    /// The uncompressed copy of a compressed layer, when one was kept.
    pub spool: Option<&'a Path>,
}

/// Reads `(offset, size)` spans of the uncompressed layer stream; results in the order asked.
pub fn read_spans(blob: &LayerBlob, spans: &[(u64, u64)]) -> Result<Vec<Vec<u8>>> {
    let Some(member) = blob.member else {
        return Err(Error::Other(
            "the layer's blob is not in the archive".into(),
        ));
    };
    let shown = blob.container.display_member(member);
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| spans[i].0);
    let mut out = vec![Vec::new(); spans.len()];
    let bad = |e: io::Error| {
        Error::invalid(
            &shown,
            compress::describe_stream_error(blob.compression, &e),
        )
    };
    if let Some(spool) = blob.spool {
        let mut f = std::fs::File::open(spool).map_err(|e| Error::io(&shown, e))?;
        for &i in &order {
            f.seek(SeekFrom::Start(spans[i].0))
                .map_err(|e| Error::io(&shown, e))?;
            out[i] = take(&mut f, spans[i].1).map_err(bad)?;
        }
    } else if blob.compression == Compression::None {
        let mut r = blob.container.open(member)?;
        for &i in &order {
            r.seek(SeekFrom::Start(spans[i].0))
                .map_err(|e| Error::io(&shown, e))?;
            out[i] = take(&mut r, spans[i].1).map_err(bad)?;
        }
    } else {
        let raw = blob.container.open(member)?;
        let (_, mut dec) = compress::decoder(raw).map_err(|e| Error::io(&shown, e))?;
        let mut pos = 0u64;
        let mut first_at: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
        for &i in &order {
            let (at, size) = spans[i];
            if at < pos {
                // Overlapping spans (hard links to one body): already read once.
                out[i] = first_at
                    .get(&at)
                    .map(|&j| out[j].clone())
                    .unwrap_or_default();
                continue;
            }
            first_at.insert(at, i);
            io::copy(&mut dec.by_ref().take(at - pos), &mut io::sink()).map_err(bad)?;
            out[i] = take(&mut dec, size).map_err(bad)?;
            pos = at + size;
        }
    }
    Ok(out)
}

fn take<R: Read>(r: &mut R, size: u64) -> io::Result<Vec<u8>> {
    let mut v = Vec::with_capacity(size.min(1 << 20) as usize);
    r.by_ref().take(size).read_to_end(&mut v)?;
    if (v.len() as u64) < size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "layer ends inside a file",
        ));
    }
    Ok(v)
}

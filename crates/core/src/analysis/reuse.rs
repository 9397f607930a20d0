//! Layers another analysis already indexed: when two images share a layer (the base under two
//! builds of one app), the second analysis takes its entries, whiteouts, secret matches and
//! spool from the first instead of inflating, parsing and scanning the blob again.
//!
//! Reuse is decided on the bytes, not on what a manifest or config claims: a NEW blob is
//! reused when its sha256 as stored equals the digest computed while indexing the OLD one (one
//! read, no inflation), or, stored another way (gzip against zstd, a `docker save` tar against
//! an OCI layout), when its uncompressed stream hashes to the diff_id computed for the OLD
//! layer (one inflation, no tar parse, no scan; stopped as soon as it outgrows the OLD layer).
//! A hostile image cannot borrow another's clean index by naming its diff_id.

use std::io::Read;

use sha2::{Digest, Sha256};

use crate::analysis::Analysis;
use crate::error::{Error, Result};
use crate::findings::FindingSource;
use crate::layer::{LayerIndex, PassState, Whiteout};
use crate::paths::PathTable;
use crate::secrets::Match;
use crate::source::ImageSource;

/// For each layer of the image being analysed, the layer of `from` with the same content.
pub struct Plan<'a> {
    pub from: &'a Analysis,
    pub layers: Vec<Option<usize>>,
    /// The blob as this image stores it, when it is not byte-for-byte `from`'s.
    own: Vec<Option<Stored>>,
}

#[derive(Clone, Debug)]
struct Stored {
    compression: crate::source::Compression,
    compressed_size: u64,
    digest: String,
}

/// Counts and hashes what passes through.
struct Tap<R> {
    inner: R,
    hasher: Sha256,
    n: u64,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.hasher.update(&buf[..k]);
        self.n += k as u64;
        Ok(k)
    }
}

/// Inflates a blob and hashes its stream, giving up once it is longer than `limit`: then it
/// cannot be the layer it claims to be.
fn stream_digest(
    src: &ImageSource,
    member: &str,
    limit: u64,
    state: &PassState,
) -> Result<Option<(String, Stored)>> {
    let mut raw = Tap {
        inner: src.container.open(member)?,
        hasher: Sha256::new(),
        n: 0,
    };
    let mut h = Sha256::new();
    let kind = {
        let Ok((kind, mut dec)) = crate::source::compress::decoder(&mut raw) else {
            return Ok(None);
        };
        let mut n = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            if state.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            let k = match dec.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // A stream that does not decode is not the layer: the normal pass reports it.
                Err(_) => return Ok(None),
            };
            n += k as u64;
            if n > limit {
                return Ok(None);
            }
            h.update(&buf[..k]);
        }
        kind
    };
    // The decoder may stop before the end of the blob (trailing bytes): the digest is of it all.
    if std::io::copy(&mut raw, &mut std::io::sink()).is_err() {
        return Ok(None);
    }
    let stored = Stored {
        compression: kind,
        compressed_size: raw.n,
        digest: format!("sha256:{}", crate::digest::hex(&raw.hasher.finalize())),
    };
    Ok(Some((
        format!("sha256:{}", crate::digest::hex(&h.finalize())),
        stored,
    )))
}

fn blob_digest(src: &ImageSource, member: &str, state: &PassState) -> Result<String> {
    let shown = src.container.display_member(member);
    let mut r = src.container.open(member)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if state.cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(&shown, e)),
        };
        h.update(&buf[..n]);
    }
    Ok(format!("sha256:{}", crate::digest::hex(&h.finalize())))
}

/// Matches `src`'s layers to `from`'s: a blob of the same stored size is hashed (one read, no
/// inflation) and reused when the hashes agree; a blob whose config diff_id is one `from`
/// computed is inflated and hashed, and reused when it really has that diff_id.
pub fn plan<'a>(src: &ImageSource, from: &'a Analysis, state: &PassState) -> Result<Plan<'a>> {
    let n = src.image.layers.len();
    let claimed =
        crate::image::ImageConfig::parse(&src.image.config_raw, &src.image.config_display)
            .map(|c| c.diff_ids)
            .unwrap_or_default();
    let results: Vec<std::sync::Mutex<Option<Result<Decision>>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(2)
        .min(n.max(1));
    // Hashing (and for other storage, inflating) the candidates is the cost: layers in parallel.
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let d = decide(src, from, claimed.get(i), i, state);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(d);
            });
        }
    });
    let mut layers = vec![None; n];
    let mut own = vec![None; n];
    for (i, r) in results.into_iter().enumerate() {
        if let Some(r) = r.into_inner().unwrap_or_else(|e| e.into_inner()) {
            (layers[i], own[i]) = r?;
        }
    }
    Ok(Plan { from, layers, own })
}

/// The layer of `from` that layer `i` is, and how this image stores it when not as `from` does.
type Decision = (Option<usize>, Option<Stored>);

fn decide(
    src: &ImageSource,
    from: &Analysis,
    claimed: Option<&String>,
    i: usize,
    state: &PassState,
) -> Result<Decision> {
    let Some(member) = src.image.layers[i].member.as_deref() else {
        return Ok((None, None));
    };
    let Some(size) = src.container.size(member) else {
        return Ok((None, None));
    };
    let candidates: Vec<usize> = from
        .layers
        .iter()
        .filter(|l| l.computed_digest.is_some() && l.compressed_size == size)
        .map(|l| l.index)
        .collect();
    if !candidates.is_empty() {
        let d = blob_digest(src, member, state)?;
        let same = candidates
            .into_iter()
            .find(|&j| from.layers[j].computed_digest.as_deref() == Some(d.as_str()));
        if same.is_some() {
            return Ok((same, None));
        }
    }
    // Only a diff_id `from` verified on its own bytes is worth an inflation.
    let Some(want) = claimed.filter(|d| !d.is_empty()) else {
        return Ok((None, None));
    };
    let Some(j) = from
        .layers
        .iter()
        .find(|l| l.computed_diff_id.as_deref() == Some(want.as_str()))
        .map(|l| l.index)
    else {
        return Ok((None, None));
    };
    match stream_digest(src, member, from.layers[j].size, state)? {
        Some((d, stored)) if d == *want => Ok((Some(j), Some(stored))),
        _ => Ok((None, None)),
    }
}

impl Plan<'_> {
    pub fn source(&self, layer: usize) -> Option<usize> {
        self.layers.get(layer).copied().flatten()
    }

    pub fn reused(&self) -> usize {
        self.layers.iter().flatten().count()
    }

    /// The index of `from`'s layer `j` as the indexing pass would have made it, its paths still
    /// `from`'s ids (see `intern`).
    pub fn index(&self, i: usize, j: usize) -> LayerIndex {
        let l = &self.from.layers[j];
        let mut ix = LayerIndex::default();
        ix.entries = l.entries.clone();
        ix.whiteouts = l.whiteouts.clone();
        ix.size = l.size;
        ix.compressed_size = l.compressed_size;
        ix.compression = l.compression;
        ix.diff_id = l.computed_diff_id.clone().unwrap_or_default();
        ix.digest = l.computed_digest.clone().unwrap_or_default();
        if let Some(own) = self.own.get(i).cloned().flatten() {
            ix.compression = Some(own.compression);
            ix.compressed_size = own.compressed_size;
            ix.digest = own.digest;
        }
        // The layer's own warnings, as the pass over it gave them (already escaped).
        let prefix = format!("layer {j}: ");
        ix.warnings = self
            .from
            .warnings
            .iter()
            .filter_map(|w| {
                Some(crate::error::Warning {
                    code: w.code,
                    message: w.message.strip_prefix(&prefix)?.to_string(),
                })
            })
            .collect();
        ix
    }

    /// Moves a reused index's paths from `from`'s table into `table` (hardlinks were resolved
    /// when `from` was indexed).
    pub fn intern(&self, ix: &mut LayerIndex, table: &mut PathTable) {
        let paths = &self.from.tree.paths;
        for e in ix.entries.iter_mut() {
            e.path = table.intern(&paths.path(e.path));
        }
        for w in ix.whiteouts.iter_mut() {
            *w = Whiteout {
                path: table.intern(&paths.path(w.path)),
                kind: w.kind,
            };
        }
    }

    /// The secret matches of `from`'s layer `j`, as its scan found them.
    pub fn hits(&self, j: usize) -> Vec<(u32, Match)> {
        self.from
            .findings
            .iter()
            .filter(|f| f.source == FindingSource::File && f.layer == Some(j))
            .filter_map(|f| {
                Some((
                    f.entry?,
                    Match {
                        rule: f.rule.clone(),
                        title: f.title.clone(),
                        severity: f.severity,
                        confidence: f.confidence,
                        span: f.span.clone(),
                        line: f.line,
                        column: f.column,
                        secret: f.secret.clone(),
                    },
                ))
            })
            .collect()
    }

    /// The spool of `from`'s layer `j`: the same uncompressed bytes.
    pub fn spool(&self, j: usize) -> Option<std::sync::Arc<tempfile::TempPath>> {
        self.from.layers[j].spool.clone()
    }
}

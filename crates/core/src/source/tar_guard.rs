//! Bounded tar header reads, for the outer archive and for every layer stream: GNU long names
//! and links and PAX records are read whole into memory by the `tar` crate, so without a bound a
//! compressed layer could make it allocate gigabytes.

use std::cell::Cell;
use std::io::{self, Read};

use super::Limits;

/// Why a bounded read stopped; carried through `io::Error` and turned into the crate's error by
/// the reader's caller.
#[derive(Debug)]
pub(crate) enum Stop {
    Cancelled,
    Limit(&'static str, u64, &'static str),
}
impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
impl std::error::Error for Stop {}

/// Bytes of tar extension records (long names, PAX) allowed before one entry, and the stream
/// offset past which the next header may not reach.
pub(crate) struct HeaderBudget {
    stop_at: Cell<u64>,
    budget: u64,
}

impl HeaderBudget {
    pub(crate) fn new(limits: &Limits) -> HeaderBudget {
        let budget = (limits.max_path_len as u64).saturating_mul(4) + (1 << 20);
        HeaderBudget {
            stop_at: Cell::new(budget),
            budget,
        }
    }

    /// The stream as the tar reader must see it.
    pub(crate) fn guard<R>(&self, inner: R) -> HeaderGuard<'_, R> {
        HeaderGuard {
            inner,
            pos: 0,
            stop_at: &self.stop_at,
            budget: self.budget,
        }
    }

    /// Allows the next headers to end one budget after the data of an entry that ends at
    /// `data_end` (stream offset), rounded up to the tar block.
    pub(crate) fn allow_after(&self, data_end: u64) {
        self.stop_at
            .set((data_end.saturating_add(511) / 512 * 512).saturating_add(self.budget));
    }
}

/// The tar reader's view of a stream: reads fail past the header budget.
pub(crate) struct HeaderGuard<'a, R> {
    inner: R,
    pos: u64,
    stop_at: &'a Cell<u64>,
    budget: u64,
}

impl<R: Read> Read for HeaderGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.stop_at.get() {
            return Err(io::Error::other(Stop::Limit(
                "tar extension header size",
                self.budget,
                "--max-path-len",
            )));
        }
        let room = (self.stop_at.get() - self.pos).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Forward-only seek by reading through: the `tar` crate skips the padding after each entry
/// (and unread data) with a seek when it has one, and otherwise reads into a 32 KiB stack buffer
/// it zeroes on every call, once per entry: 7% of the time on a 350,000-file image. The skipped
/// bytes still flow through the taps below, so the diff_id stays a hash of every byte.
impl<R: Read> io::Seek for HeaderGuard<'_, R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let mut left = match to {
            io::SeekFrom::Current(d) if d >= 0 => d as u64,
            io::SeekFrom::Start(p) if p >= self.pos => p - self.pos,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "layer streams only seek forward",
                ))
            }
        };
        // Padding (under 512 bytes) is the common case: a small buffer, cheap to zero.
        let mut small = [0u8; 512];
        let mut big = Vec::new();
        let scratch: &mut [u8] = if left <= 512 {
            &mut small
        } else {
            big.resize(64 << 10, 0);
            &mut big
        };
        while left > 0 {
            let want = left.min(scratch.len() as u64) as usize;
            match self.read(&mut scratch[..want]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "unexpected EOF during skip",
                    ))
                }
                Ok(n) => left -= n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.pos)
    }
}

/// A guarded stream that really seeks (the outer archive, a file): the tar reader skips each
/// member's data instead of reading it, so indexing a 1 GB `docker save` reads its headers only.
pub(crate) struct SeekGuard<'a, R>(HeaderGuard<'a, R>);

impl HeaderBudget {
    pub(crate) fn guard_seekable<R: Read + io::Seek>(&self, inner: R) -> SeekGuard<'_, R> {
        SeekGuard(self.guard(inner))
    }
}

impl<R: Read> Read for SeekGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read + io::Seek> io::Seek for SeekGuard<'_, R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let p = self.0.inner.seek(to)?;
        self.0.pos = p;
        Ok(p)
    }
}

//! Blobs that are still on their way (a registry pull running beside the analysis): opening one
//! waits until it has arrived, verified, or until the transfer failed or was cancelled.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};

/// A cancellation test (the viewer's Esc), asked while waiting.
pub type Cancelled = Arc<dyn Fn() -> bool + Send + Sync>;

pub struct Arrivals {
    state: Mutex<State>,
    cv: Condvar,
    cancelled: Option<Cancelled>,
    /// Bytes received so far and in all, for progress displays.
    pub done: AtomicU64,
    pub total: u64,
    /// Blobs downloaded, their bytes, blobs found in the cache: counted as each arrives.
    downloaded: AtomicU64,
    downloaded_bytes: AtomicU64,
    cached: AtomicU64,
}

struct State {
    /// Members not here yet.
    waiting: HashSet<String>,
    /// Why the transfer stopped; handed to the first waiter, the others are cancelled.
    failed: Option<Option<Error>>,
}

impl std::fmt::Debug for Arrivals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arrivals")
            .field("done", &self.done.load(Ordering::Relaxed))
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl Arrivals {
    pub fn new(
        members: impl IntoIterator<Item = String>,
        total: u64,
        cancelled: Option<Cancelled>,
    ) -> Arrivals {
        Arrivals {
            state: Mutex::new(State {
                waiting: members.into_iter().collect(),
                failed: None,
            }),
            cv: Condvar::new(),
            cancelled,
            done: AtomicU64::new(0),
            total,
            downloaded: AtomicU64::new(0),
            downloaded_bytes: AtomicU64::new(0),
            cached: AtomicU64::new(0),
        }
    }

    /// `(downloaded, their bytes, from the cache)` of the blobs arrived so far: all of them
    /// once every layer has been opened.
    pub fn counts(&self) -> (u64, u64, u64) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        (
            get(&self.downloaded),
            get(&self.downloaded_bytes),
            get(&self.cached),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `member` is in place (verified and renamed into the directory): downloaded, with its
    /// size, or found in the cache (`None`).
    pub fn arrived(&self, member: &str, downloaded: Option<u64>) {
        match downloaded {
            Some(n) => {
                self.downloaded.fetch_add(1, Ordering::Relaxed);
                self.downloaded_bytes.fetch_add(n, Ordering::Relaxed);
            }
            None => {
                self.cached.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.lock().waiting.remove(member);
        self.cv.notify_all();
    }

    /// The transfer stopped: every member still waited for fails with `e` (the first waiter)
    /// or as cancelled (the others, so that one error is reported once).
    pub fn fail(&self, e: Error) {
        let mut g = self.lock();
        if g.failed.is_none() {
            g.failed = Some(Some(e));
        }
        self.cv.notify_all();
    }

    /// Blocks until `member` has arrived (at once for one not waited for).
    pub fn wait(&self, member: &str) -> Result<()> {
        let mut g = self.lock();
        loop {
            if !g.waiting.contains(member) {
                return Ok(());
            }
            if let Some(failed) = &mut g.failed {
                return Err(failed.take().unwrap_or(Error::Cancelled));
            }
            if self.cancelled.as_ref().is_some_and(|c| c()) {
                return Err(Error::Cancelled);
            }
            // Woken by an arrival or a failure; the timeout only serves the cancel check.
            g = self
                .cv
                .wait_timeout(g, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Whether `member` is still on its way.
    pub fn is_waiting(&self, member: &str) -> bool {
        self.lock().waiting.contains(member)
    }

    /// Whether every member has arrived.
    pub fn complete(&self) -> bool {
        self.lock().waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_wakes_on_arrival_and_one_failure_is_reported_once() {
        let a = Arc::new(Arrivals::new(
            ["x".to_string(), "y".to_string(), "z".to_string()],
            3,
            None,
        ));
        assert!(a.wait("other").is_ok());
        let a2 = a.clone();
        let t = std::thread::spawn(move || a2.wait("x"));
        std::thread::sleep(Duration::from_millis(20));
        a.arrived("x", Some(7));
        assert!(t.join().unwrap().is_ok());
        assert_eq!(a.counts(), (1, 7, 0));
        a.fail(Error::invalid("blob y", "digest mismatch"));
        let first = a.wait("y").unwrap_err().to_string();
        assert!(first.contains("digest mismatch"), "{first}");
        assert!(matches!(a.wait("z"), Err(Error::Cancelled)));
        assert!(!a.complete());
    }

    #[test]
    fn a_cancelled_wait_returns() {
        let a = Arrivals::new(["x".to_string()], 1, Some(Arc::new(|| true)));
        assert!(matches!(a.wait("x"), Err(Error::Cancelled)));
    }
}

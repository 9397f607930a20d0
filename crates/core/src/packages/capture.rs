//! Keeps the bytes of package database files as the indexing pass streams them, so the model
//! needs no second read of a layer (a compressed base layer would be inflated again to reach
//! `var/lib/dpkg/`, which sorts after `usr/`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::MAX_DB_FILE;
use crate::layer::ContentVisitor;

/// Bytes kept for the whole image at most; past it the model reads the rest again.
const BUDGET: u64 = 256 << 20;

/// Database file bytes per layer and entry.
#[derive(Default)]
pub struct Captured {
    layers: Mutex<HashMap<(u16, u32), Vec<u8>>>,
    kept: AtomicU64,
}

impl Captured {
    pub fn get(&self, layer: u16, entry: u32) -> Option<Vec<u8>> {
        self.layers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(layer, entry))
    }

    /// Wraps one layer's visitor.
    pub fn visitor<'a>(
        &'a self,
        layer: usize,
        inner: Box<dyn ContentVisitor + Send + 'a>,
    ) -> Capture<'a> {
        Capture {
            store: self,
            layer: layer as u16,
            inner,
            got: Vec::new(),
        }
    }
}

pub struct Capture<'a> {
    store: &'a Captured,
    layer: u16,
    inner: Box<dyn ContentVisitor + Send + 'a>,
    got: Vec<(u32, Vec<u8>)>,
}

fn wanted(path: &[u8], size: u64) -> bool {
    size <= MAX_DB_FILE && super::db_paths::is_db_path(path)
}

impl ContentVisitor for Capture<'_> {
    fn file(&mut self, entry: u32, path: &[u8], data: &[u8]) {
        if wanted(path, data.len() as u64) {
            let n = data.len() as u64;
            if self.store.kept.fetch_add(n, Ordering::Relaxed) + n <= BUDGET {
                self.got.push((entry, data.to_vec()));
            }
        }
        self.inner.file(entry, path, data);
    }
    fn windows(&self, path: &[u8], size: u64) -> bool {
        // A database file comes whole, so that it can be kept.
        !wanted(path, size) && self.inner.windows(path, size)
    }
    fn file_window(&mut self, entry: u32, path: &[u8], offset: u64, data: &[u8], last: bool) {
        self.inner.file_window(entry, path, offset, data, last);
    }
    fn finish(&mut self) {
        let mut m = self.store.layers.lock().unwrap_or_else(|e| e.into_inner());
        for (e, d) in self.got.drain(..) {
            m.insert((self.layer, e), d);
        }
        drop(m);
        self.inner.finish();
    }
}

//! Work off the UI thread: loading the image (with progress counters and cancel), previews (one
//! latest-wins slot: a new request replaces any queued one), content search and export. All
//! results come back as `WorkerMsg`s over the event channel.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};

use crate::analysis::{analyze_source, Analysis, AnalyzeOptions};
use crate::layer::{ContentVisitor, PassState};
use crate::source;
use crate::tui::action::{ExportFail, ExportReq, WorkerMsg};
use crate::tui::preview::{self, PreviewReq, SecretSpan};

/// Everything the event loop receives.
pub enum Event {
    Input(crossterm::event::Event),
    Worker(WorkerMsg),
}

/// Counts finished layers: the indexer drops a layer's visitor when that layer is done.
struct LayerDone(Arc<AtomicUsize>);

impl ContentVisitor for LayerDone {
    fn file(&mut self, _: u32, _: &[u8], _: &[u8]) {}
}

impl Drop for LayerDone {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Opens and analyses the image, reporting the blob total first so the progress bar has a
/// denominator from the start.
pub fn spawn_load(
    path: PathBuf,
    opts: AnalyzeOptions,
    pass: Arc<PassState>,
    layers_done: Arc<AtomicUsize>,
    tx: Sender<Event>,
) {
    std::thread::Builder::new()
        .name("load".into())
        .spawn(move || {
            let r = (|| -> crate::Result<Analysis> {
                let src = source::open_path(&path, &opts.open)?;
                let total: u64 = src
                    .layers
                    .iter()
                    .map(|l| {
                        l.member
                            .as_deref()
                            .and_then(|m| src.container.size(m))
                            .or(l.compressed_size)
                            .unwrap_or(0)
                    })
                    .sum();
                let _ = tx.send(Event::Worker(WorkerMsg::Opened {
                    compressed_total: total,
                    layers: src.layers.len(),
                }));
                let done = layers_done.clone();
                analyze_source(src, &opts, &pass, &move |_| {
                    Box::new(LayerDone(done.clone()))
                })
            })();
            let _ = tx.send(Event::Worker(WorkerMsg::Loaded(
                r.map(Arc::new).map_err(|e| e.to_string()),
            )));
        })
        .expect("spawn load thread");
}

/// A one-request slot: `put` replaces what is waiting, the worker takes the newest.
#[derive(Default)]
pub struct Slot {
    req: Mutex<(Option<PreviewReq>, bool)>,
    cv: Condvar,
}

impl Slot {
    pub fn put(&self, r: PreviewReq) {
        let mut g = self.req.lock().unwrap_or_else(|e| e.into_inner());
        g.0 = Some(r);
        self.cv.notify_one();
    }
    pub fn close(&self) {
        let mut g = self.req.lock().unwrap_or_else(|e| e.into_inner());
        g.1 = true;
        self.cv.notify_all();
    }
    fn take(&self) -> Option<PreviewReq> {
        let mut g = self.req.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if g.1 {
                return None;
            }
            if let Some(r) = g.0.take() {
                return Some(r);
            }
            g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The secrets of a file version, for masking in the preview.
pub fn secret_spans(_a: &Analysis, _layer: usize, _entry: u32) -> Vec<SecretSpan> {
    Vec::new()
}

pub fn spawn_preview(a: Arc<Analysis>, slot: Arc<Slot>, tx: Sender<Event>) {
    std::thread::Builder::new()
        .name("preview".into())
        .spawn(move || {
            while let Some(req) = slot.take() {
                let spans = |l: usize, e: u32| secret_spans(&a, l, e);
                let doc = preview::build(&a, &req, &spans);
                if tx
                    .send(Event::Worker(WorkerMsg::Preview(Box::new(doc))))
                    .is_err()
                {
                    break;
                }
            }
        })
        .expect("spawn preview thread");
}

pub fn spawn_search(
    a: Arc<Analysis>,
    gen: u64,
    needle: String,
    state: Arc<PassState>,
    tx: Sender<Event>,
) {
    std::thread::Builder::new()
        .name("search".into())
        .spawn(move || {
            let tx2 = tx.clone();
            let r = crate::tui::search::search(&a, &needle, &state, &mut |hits| {
                let _ = tx2.send(Event::Worker(WorkerMsg::SearchHits { gen, hits }));
            });
            let _ = tx.send(Event::Worker(WorkerMsg::SearchDone {
                gen,
                error: r.err(),
            }));
        })
        .expect("spawn search thread");
}

pub fn spawn_export(a: Arc<Analysis>, req: ExportReq, tx: Sender<Event>) {
    std::thread::Builder::new()
        .name("export".into())
        .spawn(move || {
            let result = crate::export::export(&a, req.layer, req.entry, &req.dest, req.force)
                .map_err(|e| ExportFail {
                    exists: matches!(e, crate::export::ExportError::Exists(_)),
                    message: e.to_string(),
                });
            let _ = tx.send(Event::Worker(WorkerMsg::Exported { req, result }));
        })
        .expect("spawn export thread");
}

/// Set to stop the input thread.
pub type StopFlag = Arc<AtomicBool>;

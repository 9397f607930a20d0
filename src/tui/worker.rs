//! Work off the UI thread: loading the image (with progress counters and cancel), previews (one
//! latest-wins slot: a new request replaces any queued one), content search and export. All
//! results come back as `WorkerMsg`s over the event channel.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};

use crate::tui::action::{ExportFail, ExportReq, WorkerMsg};
use crate::tui::preview::{self, PreviewReq};
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze_progressive;
use layerscope_core::layer::LayerIndex;
use layerscope_core::layer::PassState;
use layerscope_core::secrets::{Match, Scanner};
use layerscope_core::source;
use layerscope_core::source::ImageSource;

/// Everything the event loop receives.
pub(crate) enum Event {
    Input(crossterm::event::Event),
    Worker(WorkerMsg),
}

/// Transfer progress: a daemon streaming the image out, or registry blobs downloading beside
/// the analysis.
#[derive(Default)]
pub(crate) struct Fetch {
    pub(crate) done: AtomicU64,
    pub(crate) total: AtomicU64,
}

impl Fetch {
    pub(crate) fn record(&self, done: u64, total: Option<u64>) {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total.unwrap_or(0), Ordering::Relaxed);
    }

    /// `(done, total)` while a transfer of known size is under way.
    pub(crate) fn running(&self) -> Option<(u64, u64)> {
        let (d, t) = (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        );
        (t > 0 && d < t).then_some((d, t))
    }
}

/// Opens (from a file, a layout or a daemon) and analyses the image, secret scan included,
/// reporting the blob total first so the progress bar has a denominator from the start.
pub(crate) fn spawn_load(
    input: String,
    opts: AnalyzeOptions,
    scanner: Option<Arc<Scanner>>,
    pass: Arc<PassState>,
    fetch: Arc<Fetch>,
    tx: Sender<Event>,
) {
    std::thread::Builder::new()
        .name("load".into())
        .spawn(move || {
            let load = || -> layerscope_core::Result<Analysis> {
                let mut open = opts.open.clone();
                let p = pass.clone();
                open.registry.cancel = Some(source::registry::CancelCheck(Arc::new(move || {
                    p.cancel.load(Ordering::Relaxed)
                })));
                // Registry layers download while the history is on screen and are indexed as
                // they arrive.
                let f = fetch.clone();
                open.registry.background =
                    Some(source::registry::Progress(Arc::new(move |done, total| {
                        f.record(done, total)
                    })));
                // A daemon describes the image before its tar streams: shown meanwhile.
                let (ptx, pscan) = (tx.clone(), scanner.clone());
                open.preview = Some(source::PreviewHook(Arc::new(move |src| {
                    early_view(&src, pscan.clone(), &ptx)
                })));
                let src = source::open_input(&input, &open, &mut |done, total| {
                    fetch.record(done, total)
                })?;
                let total: u64 = (0..src.image.layers.len()).map(|i| src.blob_size(i)).sum();
                let _ = tx.send(Event::Worker(WorkerMsg::Opened {
                    compressed_total: total,
                    layers: src.image.layers.len(),
                }));
                progressive(src, &opts, &pass, scanner.clone(), &tx)
            };
            let r = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(load)) {
                Ok(r) => r.map(Arc::new).map_err(|e| e.to_string()),
                Err(p) => Err(format!("internal error while loading: {}", panic_text(&p))),
            };
            let _ = tx.send(Event::Worker(WorkerMsg::Loaded(r)));
        })
        .expect("spawn load thread");
}

/// The pass with the image on screen from the start: the config and layer list at once, then
/// the tree as layers finish (see `snapshots`). A config that does not parse shows no snapshot;
/// the pass reports it.
fn progressive(
    src: ImageSource,
    opts: &AnalyzeOptions,
    pass: &PassState,
    scanner: Option<Arc<Scanner>>,
    tx: &Sender<Event>,
) -> layerscope_core::Result<Analysis> {
    let (ltx, lrx) = std::sync::mpsc::channel::<crate::tui::snapshots::Layer>();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scan = scanner.is_some();
    if let Ok(p) = layerscope_core::analysis::partial::Partial::new(&src, scanner.clone()) {
        crate::tui::snapshots::spawn(p, lrx, scan, done.clone(), tx.clone());
    }
    let delay = test_layer_delay();
    let start = std::time::Instant::now();
    let on_layer = move |i: usize, ix: &LayerIndex, hits: &[(u32, Match)]| {
        if let Some(d) = delay {
            pause_until(start + d * i as u32, pass);
        }
        let _ = ltx.send((i, ix.share(), hits.to_vec()));
    };
    let r = analyze_progressive(src, opts, pass, scanner.as_deref(), &on_layer);
    done.store(true, Ordering::Relaxed);
    r
}

/// The first snapshot (seq 0) of an image whose source is not open yet: its history, layers
/// and config as the daemon described them.
fn early_view(src: &ImageSource, scanner: Option<Arc<Scanner>>, tx: &Sender<Event>) {
    let scan = scanner.is_some();
    let Ok(p) = layerscope_core::analysis::partial::Partial::new(src, scanner) else {
        return;
    };
    let pending = crate::tui::pending::Pending::of(&p, 0, scan);
    let _ = tx.send(Event::Worker(WorkerMsg::Partial(
        Arc::new(p.snapshot()),
        pending,
    )));
}

/// `LAYERSCOPE_TEST_LAYER_DELAY_MS`: for tests of the progressive view only. Layer i counts as
/// indexed no sooner than i times this after the pass starts, whatever the number of threads,
/// so a small image loads slowly enough to watch its lower layers arrive first.
fn test_layer_delay() -> Option<std::time::Duration> {
    let ms: u64 = std::env::var("LAYERSCOPE_TEST_LAYER_DELAY_MS")
        .ok()?
        .parse()
        .ok()?;
    Some(std::time::Duration::from_millis(ms))
}

/// Sleeps until `end`, waking early when the load is cancelled.
fn pause_until(end: std::time::Instant, pass: &PassState) {
    while !pass.cancel.load(Ordering::Relaxed) {
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(50)));
    }
}

/// A one-request slot: `put` replaces what is waiting, the worker takes the newest.
#[derive(Default)]
pub(crate) struct Slot {
    req: Mutex<(Option<PreviewReq>, bool)>,
    cv: Condvar,
}

impl Slot {
    pub(crate) fn put(&self, r: PreviewReq) {
        let mut g = self.req.lock().unwrap_or_else(|e| e.into_inner());
        g.0 = Some(r);
        self.cv.notify_one();
    }
    pub(crate) fn close(&self) {
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

pub(crate) fn spawn_preview(a: Arc<Analysis>, slot: Arc<Slot>, tx: Sender<Event>) {
    std::thread::Builder::new()
        .name("preview".into())
        .spawn(move || {
            while let Some(req) = slot.take() {
                let doc = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    preview::build(&a, &req)
                }))
                .unwrap_or_else(|p| {
                    let mut d = preview::PreviewDoc::loading(req.clone());
                    d.body = preview::Body::Error(format!("internal error: {}", panic_text(&p)));
                    d
                });
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

pub(crate) fn spawn_search(
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

pub(crate) fn spawn_export(a: Arc<Analysis>, req: ExportReq, tx: Sender<Event>) {
    std::thread::Builder::new()
        .name("export".into())
        .spawn(move || {
            let result =
                layerscope_core::export::export(&a, req.layer, req.entry, &req.dest, req.force)
                    .map_err(|e| ExportFail {
                        exists: matches!(e, layerscope_core::export::ExportError::Exists(_)),
                        message: e.to_string(),
                    });
            let _ = tx.send(Event::Worker(WorkerMsg::Exported { req, result }));
        })
        .expect("spawn export thread");
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

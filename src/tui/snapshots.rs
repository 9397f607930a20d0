//! The snapshot thread of a progressive load: takes each layer's index as the pass hands it
//! out, and sends the image as far as it is known (`analysis::partial`). Several layers that
//! finish while a snapshot is built, or within `GAP` of the last one, make one snapshot.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use layerscope_core::analysis::partial::Partial;
use layerscope_core::analysis::Analysis;
use layerscope_core::layer::LayerIndex;
use layerscope_core::secrets::Match;

use crate::tui::action::WorkerMsg;
use crate::tui::pending::Pending;
use crate::tui::worker::Event;

/// The shortest time between two snapshots.
const GAP: Duration = Duration::from_millis(250);

/// A layer as the pass hands it out: its index and its files' secret matches.
pub(crate) type Layer = (usize, LayerIndex, Vec<(u32, Match)>);

pub(crate) fn spawn(
    mut p: Partial,
    layers: Receiver<Layer>,
    scan: bool,
    done: Arc<AtomicBool>,
    tx: Sender<Event>,
) {
    std::thread::Builder::new()
        .name("snapshot".into())
        .spawn(move || {
            let pending = |p: &Partial, seq| Pending::of(p, seq, scan);
            let mut a = Arc::new(p.snapshot());
            let mut built = p.indexed();
            // Seq 0 is the daemon's early view, when there was one.
            let mut seq = 1;
            let send = |a: &Arc<Analysis>, pend: Pending| {
                tx.send(Event::Worker(WorkerMsg::Partial(a.clone(), pend)))
                    .is_ok()
            };
            if !send(&a, pending(&p, seq)) {
                return;
            }
            let mut last = Instant::now();
            while let Ok((i, ix, hits)) = layers.recv() {
                p.add(i, ix, hits);
                // At most one snapshot per GAP: each is a tree build on the cores the pass
                // needs (seven of them on an 8-layer image of 350k files cost ~0.3 s).
                loop {
                    for (i, ix, hits) in layers.try_iter() {
                        p.add(i, ix, hits);
                    }
                    let left = (last + GAP).saturating_duration_since(Instant::now());
                    if left.is_zero() || p.indexed() == p.layers() {
                        break;
                    }
                    match layers.recv_timeout(left) {
                        Ok((i, ix, hits)) => p.add(i, ix, hits),
                        Err(_) => break,
                    }
                }
                // The whole analysis is out: a snapshot now would only cost time.
                if done.load(Ordering::Relaxed) {
                    return;
                }
                // Every layer in: the final analysis is being built from the same indexes and
                // comes next. A snapshot now would race it for the cores and hold another copy
                // of every entry; the copies held here go too. (No counters either: a
                // `Pending` describes the snapshot it comes with.)
                if p.indexed() == p.layers() {
                    return;
                }
                if p.indexed() > built {
                    a = Arc::new(p.snapshot());
                    built = p.indexed();
                    last = Instant::now();
                }
                seq += 1;
                if !send(&a, pending(&p, seq)) {
                    return;
                }
            }
        })
        .expect("spawn snapshot thread");
}

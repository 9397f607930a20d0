//! The snapshot thread of a progressive load: takes each layer's index as the pass hands it
//! out, and sends the image as far as it is known (`analysis::partial`). Several layers that
//! finish while a snapshot is built make one snapshot, not several.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use layerscope_core::analysis::partial::Partial;
use layerscope_core::analysis::Analysis;
use layerscope_core::layer::LayerIndex;

use crate::tui::action::WorkerMsg;
use crate::tui::pending::Pending;
use crate::tui::worker::Event;

pub(crate) fn spawn(
    mut p: Partial,
    layers: Receiver<(usize, LayerIndex)>,
    scan: bool,
    done: Arc<AtomicBool>,
    tx: Sender<Event>,
) {
    std::thread::Builder::new()
        .name("snapshot".into())
        .spawn(move || {
            let pending = |p: &Partial, seq| Pending {
                seq,
                layers: p.layers(),
                indexed: p.indexed(),
                through: p.through(),
                ready: p.indexed_layers(),
                scan,
            };
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
            while let Ok((i, ix)) = layers.recv() {
                p.add(i, ix);
                for (i, ix) in layers.try_iter() {
                    p.add(i, ix);
                }
                // The whole analysis is out: a snapshot now would only cost time.
                if done.load(Ordering::Relaxed) {
                    return;
                }
                // Every layer in: the final analysis is being built from the same indexes and
                // comes next. A snapshot now would race it for the cores and hold another copy
                // of every entry; the copies held here go too.
                if p.indexed() == p.layers() {
                    seq += 1;
                    let last = pending(&p, seq);
                    drop(p);
                    let _ = send(&a, last);
                    return;
                }
                if p.indexed() > built {
                    a = Arc::new(p.snapshot());
                    built = p.indexed();
                }
                seq += 1;
                if !send(&a, pending(&p, seq)) {
                    return;
                }
            }
        })
        .expect("spawn snapshot thread");
}

//! Frame time for a 100,000-file tree. Not a pass/fail timing test: run it and read the figures.
//!
//! `cargo test --release --test tui_bench -- --ignored --nocapture`

use std::time::{Duration, Instant};

use crate::support::tui::*;
use layerscope::tui::pane::Pane;
use layerscope::tui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

#[test]
#[ignore]
fn frame_time_100k_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = ImageBuilder::new().layer("ADD big tree", |mut l| {
        for d in 0..1000 {
            l = l.dir(&format!("srv/d{d:04}"));
            for f in 0..100 {
                l = l.file(&format!("srv/d{d:04}/f{f:03}.txt"), b"x\n");
            }
        }
        l
    });
    b = b.layer("RUN touch some", |mut l| {
        for d in (0..1000).step_by(10) {
            for f in 0..10 {
                l = l.file(&format!("srv/d{d:04}/f{f:03}.txt"), b"changed\n");
            }
        }
        l
    });
    b = b.layer("RUN rm some", |mut l| {
        for d in (0..1000).step_by(7) {
            l = l.whiteout(&format!("srv/d{d:04}/f050.txt"));
        }
        l
    });
    let t0 = Instant::now();
    let img = b.write(dir.path());
    let a = analyze(&img);
    println!(
        "image: {} paths, analysed in {:?}",
        a.tree.paths.len(),
        t0.elapsed()
    );

    let t0 = Instant::now();
    let mut app = ready(&a, 160, 48);
    println!("first tree build (collapsed): {:?}", t0.elapsed());
    focus(&mut app, &a, Pane::Tree);
    let t0 = Instant::now();
    keys(&mut app, &a, &["ctrl+space"]);
    println!(
        "expand all: {:?}, {} visible rows",
        t0.elapsed(),
        app.loaded().unwrap().tree_rows.len()
    );

    let theme = Theme::new(true);
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let mut frames = Vec::new();
    for i in 0..300 {
        // Scroll: lines, then pages, the way a user skims a big tree.
        let k = if i % 3 == 0 { "pgdn" } else { "j" };
        let fx = app.update(layerscope::tui::action::Action::Cmd(match k {
            "pgdn" => layerscope::tui::action::Cmd::PageDown,
            _ => layerscope::tui::action::Cmd::Down,
        }));
        drive(&mut app, &a, fx);
        let t = Instant::now();
        term.draw(|f| layerscope::tui::ui::draw(f, &app, &theme))
            .unwrap();
        frames.push(t.elapsed());
    }
    println!(
        "frame (draw only, 160x48, 100k rows): median {:.3} ms, max {:.3} ms",
        median(frames.clone()),
        frames.iter().max().unwrap().as_secs_f64() * 1000.0
    );

    let mut rebuilds = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        keys(&mut app, &a, &["ctrl+l"]);
        rebuilds.push(t.elapsed());
    }
    println!(
        "view rebuild (Ctrl+L, incl. preview): median {:.1} ms",
        median(rebuilds)
    );
    let mut switches = Vec::new();
    focus(&mut app, &a, Pane::History);
    for i in 0..10 {
        let t = Instant::now();
        keys(&mut app, &a, &[if i % 2 == 0 { "k" } else { "j" }]);
        switches.push(t.elapsed());
    }
    println!("layer switch: median {:.1} ms", median(switches));
    let t = Instant::now();
    keys(&mut app, &a, &["/"]);
    type_text(&mut app, &a, "f05");
    println!("filter, 3 keystrokes: {:?}", t.elapsed());
}

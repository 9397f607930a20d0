//! The progressive load: the image is on screen from its config on (history, layer and image
//! panes; the others say what they wait for), the tree as of each layer whose layers below are
//! indexed, the user's place kept across snapshots, late snapshots dropped; and the real binary
//! in tmux on a pass slowed down by `LAYERSCOPE_TEST_LAYER_DELAY_MS`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::support::tmux::{available, Tmux};
use crate::support::tui::*;
use layerscope::tui::action::{Action, Cmd, Effect, WorkerMsg};
use layerscope::tui::app::App;
use layerscope::tui::pending::Pending;
use layerscope::tui::theme::Theme;
use layerscope_core::analysis::partial::Partial;
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze_progressive;
use layerscope_core::layer::{LayerIndex, PassState};
use layerscope_core::secrets::{Match, Scanner};
use layerscope_core::source;

/// A layer as the pass handed it out: its index and its files' secret matches.
type Handed = (usize, LayerIndex, Vec<(u32, Match)>);

/// The sample image with a fake key in its config, the final analysis and the layers the pass
/// handed out, in the order it did.
fn pass(dir: &Path) -> (std::path::PathBuf, Arc<Analysis>, Vec<Handed>) {
    let image = ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.dir("app")
                .file("app/config.txt", b"mode=dev\n")
                .file("app/.aws-credentials", SECRET_FILE)
        })
        .layer("/bin/sh -c rm app/.aws-credentials", |l| {
            l.whiteout("app/.aws-credentials")
        })
        .layer("/bin/sh -c echo hi > /app/new.txt", |l| {
            l.file("app/new.txt", b"hi\n")
        })
        .env("AWS_ACCESS_KEY_ID=AKIAQYLPMN5HFIQR7XYZ")
        .write(dir);
    let seen = Mutex::new(Vec::new());
    let src = source::open_path(&image, &Default::default()).unwrap();
    let a = analyze_progressive(
        src,
        &AnalyzeOptions::default(),
        &PassState::default(),
        Some(&Scanner::builtin()),
        &|i, ix: &LayerIndex, hits: &[(u32, Match)]| {
            seen.lock().unwrap().push((i, ix.share(), hits.to_vec()))
        },
    )
    .unwrap();
    (image, Arc::new(a), seen.into_inner().unwrap())
}

fn partial(image: &Path) -> Partial {
    let src = source::open_path(image, &Default::default()).unwrap();
    Partial::new(&src, Some(Arc::new(Scanner::builtin()))).unwrap()
}

fn send(app: &mut App, p: &Partial, seq: u64) -> Vec<Effect> {
    let pending = Pending::of(p, seq, true);
    app.update(Action::Worker(WorkerMsg::Partial(
        Arc::new(p.snapshot()),
        pending,
    )))
}

fn shown(app: &App) -> String {
    screen(&render(app, &Theme::new(false)))
}

#[test]
fn the_pass_hands_out_every_layer_once_with_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let (_, a, seen) = pass(dir.path());
    let mut order: Vec<usize> = seen.iter().map(|(i, _, _)| *i).collect();
    order.sort();
    assert_eq!(order, vec![0, 1, 2]);
    assert_eq!(a.layers.len(), 3);
    assert_eq!(
        seen.iter()
            .find(|(i, _, _)| *i == 0)
            .unwrap()
            .1
            .entries
            .len(),
        3
    );
}

#[test]
fn history_layer_and_image_panes_before_any_layer_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _, _) = pass(dir.path());
    let p = partial(&image);
    assert_eq!((p.layers(), p.indexed(), p.through()), (3, 0, 0));
    let mut app = App::new(Arc::default(), "test.tar", 140, 60);
    let fx = send(&mut app, &p, 0);
    // No preview of a partial image; the layer on screen (the last) is asked for first.
    assert_eq!(fx, vec![Effect::LoadFirst(2)]);
    let s = shown(&app);
    for want in [
        "History · 3 steps",
        "ADD rootfs /",
        "Layer L2 · step 2",
        "Files · loading",
        "Waiting for layers 0–2 to be indexed (0 of 3 layers done)",
        "Findings · 1 · so far: 0 of 3 layers scanned",
        "Preview · loading",
        "loading: 0/3 layers indexed · no tree yet · secret scan running",
        "not in the tree yet",
    ] {
        assert!(s.contains(want), "{want:?} missing:\n{s}");
    }
    // The config's key is found and masked before any layer is read.
    assert!(s.contains("AWS_ACCESS_KEY_ID"), "env shown:\n{s}");
    assert!(!s.contains("AKIAQYLPMN5HFIQR7XYZ"), "secret masked:\n{s}");
}

#[test]
fn a_finished_layer_is_browsable_before_the_last_one_and_the_place_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (image, a, seen) = pass(dir.path());
    let mut p = partial(&image);
    let mut app = App::new(Arc::default(), "test.tar", 140, 40);
    send(&mut app, &p, 0);
    // Layer 2 finished first: nothing below it yet, so no tree anywhere.
    let ix = |l: usize| {
        let (_, ix, hits) = seen.iter().find(|(i, _, _)| *i == l).unwrap();
        (ix.share(), hits.clone())
    };
    let (x, h) = ix(2);
    p.add(2, x, h);
    send(&mut app, &p, 1);
    assert!(app.loaded().unwrap().tree_rows.is_empty());
    let (x, h) = ix(0);
    p.add(0, x, h);
    send(&mut app, &p, 2);
    // The image as of the last layer still waits for layer 1; layer 0 is browsable.
    let s = shown(&app);
    assert!(
        s.contains("Layer 2 is indexed: Ctrl+l shows its own changes now")
            && s.contains("layer 1 to be indexed"),
        "{s}"
    );
    app.update(Action::Cmd(Cmd::Top));
    let v = app.loaded().unwrap();
    assert_eq!(v.layer, 0);
    let s = shown(&app);
    assert!(s.contains("Files · layer 0"), "{s}");
    assert!(
        s.contains("config.txt") && s.contains(".aws-credentials"),
        "{s}"
    );
    assert!(
        s.contains("loading: 2/3 layers indexed · tree up to layer 0"),
        "{s}"
    );
    // Into the tree, onto a file: the place survives the next snapshot and the final analysis.
    app.update(Action::Cmd(Cmd::NextPane));
    app.update(Action::Cmd(Cmd::Down));
    let path = |app: &App| {
        let v = app.loaded().unwrap();
        v.analysis().path_string(v.selected_row().unwrap().path)
    };
    let before = path(&app);
    let (x, h) = ix(1);
    p.add(1, x, h);
    send(&mut app, &p, 3);
    assert_eq!(path(&app), before);
    // A snapshot older than the one shown is dropped.
    send(&mut app, &partial(&image), 1);
    assert_eq!(app.loaded().unwrap().pending.as_ref().unwrap().seq, 3);
    let fx = app.update(Action::Worker(WorkerMsg::Loaded(Ok(a.clone()))));
    let v = app.loaded().unwrap();
    assert!(v.pending.is_none());
    assert_eq!(v.layer, 0);
    assert_eq!(path(&app), before);
    assert!(fx.iter().any(|e| matches!(e, Effect::Preview(_))));
    drive(&mut app, &a, fx);
    assert!(
        shown(&app).contains("Findings · 1 in 2 places"),
        "{}",
        shown(&app)
    );
    // After the final analysis, a late snapshot changes nothing.
    send(&mut app, &p, 9);
    assert!(app.loaded().unwrap().pending.is_none());
}

/// Findings come with each scanned layer, not at the end, and are masked like the final ones.
#[test]
fn findings_appear_as_layers_are_scanned_and_stay_masked() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _, seen) = pass(dir.path());
    let mut p = partial(&image);
    let mut app = App::new(Arc::default(), "test.tar", 160, 48);
    send(&mut app, &p, 0);
    let config_only = app.loaded().unwrap().analysis().findings.len();
    assert!(
        config_only >= 1,
        "the config's key is found before any layer"
    );
    let (_, ix, hits) = seen.iter().find(|(i, _, _)| *i == 0).unwrap();
    assert!(!hits.is_empty(), "layer 0's credentials file has matches");
    p.add(0, ix.share(), hits.clone());
    send(&mut app, &p, 1);
    let v = app.loaded().unwrap();
    let found = &v.analysis().findings;
    assert!(found.len() > config_only, "{found:?}");
    assert!(
        found.iter().any(|f| f.path.is_some()),
        "a file finding: {found:?}"
    );
    let s = shown(&app);
    assert!(s.contains("so far: 1 of 3 layers scanned"), "{s}");
    for f in found {
        let chars: Vec<char> = f.secret.chars().collect();
        for w in chars.windows(8) {
            let piece: String = w.iter().collect();
            assert!(!s.contains(&piece), "{piece:?} of a secret on screen:\n{s}");
        }
    }
}

#[test]
fn quitting_or_esc_while_loading_cancels_the_pass_and_search_waits() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _, _) = pass(dir.path());
    let p = partial(&image);
    for c in [Cmd::Quit, Cmd::Cancel] {
        let mut app = App::new(Arc::default(), "test.tar", 140, 40);
        send(&mut app, &p, 0);
        let fx = app.update(Action::Cmd(c));
        assert_eq!(fx, vec![Effect::CancelLoad, Effect::Quit]);
    }
    let mut app = App::new(Arc::default(), "test.tar", 140, 40);
    send(&mut app, &p, 0);
    assert!(app.update(Action::Cmd(Cmd::Search)).is_empty());
    assert!(app.ui.message.as_ref().unwrap().0.contains("still loading"));
}

/// The pass takes the layer a viewer asked for before the others, then the rest largest first
/// (one thread, so the order is the pass's own).
#[test]
fn the_pass_indexes_the_layer_asked_for_first() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _, _) = pass(dir.path());
    let order = |first: usize| {
        let seen = Mutex::new(Vec::new());
        let state = PassState::default();
        state
            .first
            .store(first, std::sync::atomic::Ordering::Relaxed);
        let src = source::open_path(&image, &Default::default()).unwrap();
        let opts = AnalyzeOptions {
            threads: 1,
            ..Default::default()
        };
        analyze_progressive(
            src,
            &opts,
            &state,
            None,
            &|i, _: &LayerIndex, _: &[(u32, Match)]| seen.lock().unwrap().push(i),
        )
        .unwrap();
        seen.into_inner().unwrap()
    };
    let a = analyze(&image);
    let mut by_size: Vec<usize> = (0..3).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(a.layers[i].compressed_size));
    assert_eq!(order(0), by_size, "no wish: largest first");
    assert_eq!(order(99), by_size, "a wish out of range is ignored");
    for want in 0..3 {
        let got = order(want + 1);
        let rest: Vec<usize> = by_size.iter().copied().filter(|&l| l != want).collect();
        assert_eq!(got[0], want);
        assert_eq!(&got[1..], &rest[..], "asked for layer {want}");
    }
}

/// A layer indexed before those below it: its own changes are browsable at once (marked
/// provisional), the image as of it waits; selecting a layer not indexed asks for it first.
#[test]
fn a_layer_indexed_out_of_order_shows_its_own_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (image, _, seen) = pass(dir.path());
    let ix = |l: usize| {
        let (_, ix, hits) = seen.iter().find(|(i, _, _)| *i == l).unwrap();
        (ix.share(), hits.clone())
    };
    let mut p = partial(&image);
    let mut app = App::new(Arc::default(), "test.tar", 160, 40);
    assert_eq!(send(&mut app, &p, 0), vec![Effect::LoadFirst(2)]);
    let (x, h) = ix(2);
    p.add(2, x, h);
    // Indexed now: nothing more to ask for.
    assert_eq!(send(&mut app, &p, 1), vec![]);
    let s = shown(&app);
    assert!(
        s.contains("Layer 2 is indexed: Ctrl+l shows its own changes now"),
        "{s}"
    );
    assert!(s.contains("waits for layers 0–1"), "{s}");
    app.update(Action::Cmd(Cmd::ToggleAggregated));
    let v = app.loaded().unwrap();
    let rows: Vec<String> = v
        .tree_rows
        .iter()
        .map(|r| v.analysis().path_string(r.path))
        .collect();
    assert!(rows.iter().any(|r| r.ends_with("app/new.txt")), "{rows:?}");
    assert!(!rows.iter().any(|r| r.ends_with("config.txt")), "{rows:?}");
    let s = shown(&app);
    assert!(
        s.contains("layer 2 alone: added/modified are provisional until layers 0–1"),
        "{s}"
    );
    assert!(s.contains("provisional: layers 0–1 not indexed"), "{s}");
    // Up to layer 1, not indexed: asked for first, once.
    let fx = app.update(Action::Cmd(Cmd::Up));
    assert_eq!(app.loaded().unwrap().layer, 1);
    assert_eq!(fx, vec![Effect::LoadFirst(1)]);
    assert!(shown(&app).contains("Waiting for layers 0–1 to be indexed"));
    // Everything below in: the provisional mark goes.
    let (x, h) = ix(0);
    p.add(0, x, h);
    let (x, h) = ix(1);
    p.add(1, x, h);
    send(&mut app, &p, 2);
    app.update(Action::Cmd(Cmd::Down));
    let s = shown(&app);
    assert!(!s.contains("provisional"), "{s}");
    assert!(s.contains("new.txt"), "{s}");
}

/// Layers arrive one every 1.5 s: the history is on screen while they load, and layer 0's
/// tree before the last layer is in. Not timed: each step waits for what it expects.
#[test]
fn tmux_history_while_loading_and_a_finished_layer_before_the_last() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (image, _, _) = pass(dir.path());
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let t = Tmux::start(
        "progressive",
        140,
        40,
        env!("CARGO_BIN_EXE_layerscope"),
        &[image.to_str().unwrap()],
        &[
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
            ("LAYERSCOPE_TEST_LAYER_DELAY_MS", "1500"),
        ],
    );
    let screen = t.wait_for_all(&["History · 3 steps", "Waiting for layers", "loading: "]);
    assert!(!screen.contains("AKIAQYLPMN5HFIQR7XYZ"), "{screen}");
    // To the first step: its tree, while the status line says layers are still loading.
    t.keys(&["g"]);
    let screen = t.wait_for_all(&["Files · layer 0", "config.txt", "tree up to layer"]);
    assert!(
        !screen.contains("loading: 3/3"),
        "the last layer was not in yet:\n{screen}"
    );
    // The load ends on its own: findings, no status of loading.
    let screen = t.wait_for_loaded(&["Findings · 1 in 2 places"]);
    assert!(
        screen.contains("deleted"),
        "the final status of the file's key: {screen}"
    );
    t.quit_cleanly();
}

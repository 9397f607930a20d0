//! State updates as pure functions: key -> action -> new state (and the effects asked for),
//! with no terminal and no threads (previews and searches run synchronously in `drive`).

use std::sync::Arc;

use crate::support::tui::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use layerscope::tui::action::{Action, Cmd, Effect, ExportFail, MouseKind, WorkerMsg};
use layerscope::tui::app::{App, Overlay, PromptKind};
use layerscope::tui::pane::Pane;
use layerscope::tui::preview::{Body, PreviewDoc};

fn setup() -> (tempfile::TempDir, Arc<layerscope_core::Analysis>) {
    let dir = tempfile::tempdir().unwrap();
    let a = analyze(&sample(dir.path()));
    (dir, a)
}

fn paths(app: &App) -> Vec<String> {
    let v = app.loaded().unwrap();
    v.tree_rows
        .iter()
        .map(|r| v.analysis().path_string(r.path))
        .collect()
}

#[test]
fn keys_map_to_commands_per_pane() {
    let (_d, a) = setup();
    let app = ready(&a, 120, 40);
    let k = |c: KeyCode, m: KeyModifiers| app.translate(&KeyEvent::new(c, m));
    assert!(matches!(
        k(KeyCode::Char('j'), KeyModifiers::NONE),
        Some(Action::Cmd(Cmd::Down))
    ));
    assert!(matches!(
        k(KeyCode::Char('a'), KeyModifiers::CONTROL),
        Some(Action::Cmd(Cmd::ToggleAdded))
    ));
    assert!(matches!(
        k(KeyCode::Enter, KeyModifiers::NONE),
        Some(Action::Cmd(Cmd::Open))
    ));
    assert!(matches!(
        k(KeyCode::Char('c'), KeyModifiers::CONTROL),
        Some(Action::Cmd(Cmd::Quit))
    ));
    assert!(
        k(KeyCode::Char('d'), KeyModifiers::NONE).is_none(),
        "d is a tree/preview key"
    );
}

#[test]
fn starts_on_the_last_layer_and_history_moves_select_layers() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    assert_eq!(app.ui.focus, Pane::History);
    assert_eq!(app.loaded().unwrap().layer, 2);
    keys(&mut app, &a, &["k"]);
    assert_eq!(app.loaded().unwrap().layer, 1);
    // The ENV step has no layer: it selects the layer made before it.
    keys(&mut app, &a, &["k"]);
    let v = app.loaded().unwrap();
    assert_eq!(v.history.sel, 1);
    assert!(v.model.history_rows[v.visible_hist()[v.history.sel]].empty());
    assert_eq!(v.layer, 0);
    assert!(!paths(&app).contains(&"app/new.txt".to_string()));
}

#[test]
fn moving_asks_for_a_preview_and_stale_results_are_dropped() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    focus(&mut app, &a, Pane::Tree);
    let fx1 = app.update(Cmd::Down.into());
    let Some(Effect::Preview(r1)) = fx1.first().cloned() else {
        panic!("{fx1:?}")
    };
    let fx2 = app.update(Cmd::Down.into());
    let Some(Effect::Preview(r2)) = fx2.first().cloned() else {
        panic!("{fx2:?}")
    };
    assert!(r2.gen > r1.gen);
    // The first result arrives late: dropped.
    let mut stale = PreviewDoc::loading(r1.clone());
    stale.body = Body::Message("stale".into());
    let _ = app.update(Action::Worker(WorkerMsg::Preview(Box::new(stale))));
    let doc = app.loaded().unwrap().preview.doc.as_ref().unwrap();
    assert_eq!(doc.req.gen, r2.gen);
    assert_eq!(doc.body, Body::Loading);
    let mut fresh = PreviewDoc::loading(r2.clone());
    fresh.body = Body::Message("fresh".into());
    let _ = app.update(Action::Worker(WorkerMsg::Preview(Box::new(fresh))));
    assert_eq!(
        app.loaded().unwrap().preview.doc.as_ref().unwrap().body,
        Body::Message("fresh".into())
    );
}

#[test]
fn change_toggles_and_layer_only_mode() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    assert!(paths(&app).contains(&"app/new.txt".to_string()));
    keys(&mut app, &a, &["ctrl+a"]);
    assert!(!paths(&app).contains(&"app/new.txt".to_string()));
    keys(&mut app, &a, &["A", "ctrl+r"]);
    assert!(!paths(&app).contains(&"app/.aws-credentials".to_string()));
    keys(&mut app, &a, &["ctrl+u"]);
    // Only the added file (and its directory, as context) remain.
    assert_eq!(paths(&app), vec!["app", "app/new.txt"]);
    keys(&mut app, &a, &["U", "R", "ctrl+l"]);
    assert!(!app.loaded().unwrap().tree_opts.aggregated);
    assert_eq!(paths(&app), vec!["app", "app/new.txt"]);
    select_layer(&mut app, &a, 1);
    assert_eq!(
        paths(&app),
        vec!["app", "app/.aws-credentials", "app/config.txt"]
    );
}

#[test]
fn collapse_expand_and_collapse_all() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    select_path(&mut app, &a, b"app");
    let n = paths(&app).len();
    keys(&mut app, &a, &["space"]);
    assert_eq!(paths(&app), vec!["app"]);
    keys(&mut app, &a, &["l"]);
    assert_eq!(paths(&app).len(), n);
    keys(&mut app, &a, &["h"]);
    assert_eq!(paths(&app).len(), 1);
    keys(&mut app, &a, &["space", "ctrl+space"]);
    assert_eq!(paths(&app).len(), 1, "collapse all");
    keys(&mut app, &a, &["ctrl+space"]);
    assert_eq!(paths(&app).len(), n);
    // h on a file goes to its parent.
    select_path(&mut app, &a, b"app/link");
    keys(&mut app, &a, &["h"]);
    assert_eq!(
        app.loaded().unwrap().selected_row().unwrap().path,
        a.tree.paths.lookup(b"app").unwrap()
    );
}

#[test]
fn path_filter_is_live_and_esc_clears_it() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    keys(&mut app, &a, &["/"]);
    assert!(matches!(
        app.ui.overlay,
        Overlay::Prompt {
            kind: PromptKind::Filter,
            ..
        }
    ));
    assert_eq!(app.ui.focus, Pane::Tree);
    type_text(&mut app, &a, "CONF");
    assert_eq!(paths(&app), vec!["app", "app/config.txt"]);
    keys(&mut app, &a, &["enter"]);
    assert_eq!(app.ui.overlay, Overlay::None);
    assert_eq!(app.loaded().unwrap().tree_opts.filter, "CONF");
    keys(&mut app, &a, &["esc"]);
    assert!(app.loaded().unwrap().tree_opts.filter.is_empty());
    assert!(paths(&app).len() > 2);
}

#[test]
fn sort_by_size() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    focus(&mut app, &a, Pane::Tree);
    keys(&mut app, &a, &["o"]);
    let p = paths(&app);
    assert_eq!(p[1], "app/.aws-credentials", "largest first: {p:?}");
    assert_eq!(p[2], "app/config.txt");
}

#[test]
fn search_then_jump_opens_the_preview_at_the_hit() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    keys(&mut app, &a, &["s"]);
    type_text(&mut app, &a, "port=");
    keys(&mut app, &a, &["enter"]);
    let v = app.loaded().unwrap();
    assert!(!v.search.running);
    let layers: Vec<usize> = v.search.hits.iter().map(|h| h.layer).collect();
    assert_eq!(layers, vec![0, 1], "every version of config.txt");
    assert!(matches!(app.ui.overlay, Overlay::Results { .. }));
    keys(&mut app, &a, &["enter"]);
    let v = app.loaded().unwrap();
    assert_eq!(app.ui.focus, Pane::Preview);
    assert_eq!(v.layer, 0);
    let doc = v.preview.doc.as_ref().unwrap();
    assert_eq!(doc.target_line, Some(1));
    assert!(matches!(&doc.body, Body::Text { lines, .. } if lines[1].pieces[0].text == "port=80"));
}

#[test]
fn finding_enter_jumps_to_the_ghost_and_e_explains() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    focus(&mut app, &a, Pane::Findings);
    keys(&mut app, &a, &["e"]);
    assert!(matches!(app.ui.overlay, Overlay::Explain { .. }));
    let b = render(&app, &layerscope::tui::theme::Theme::new(true));
    assert!(
        screen(&b).contains("Why it matters") && screen(&b).contains("Status: deleted"),
        "{}",
        screen(&b)
    );
    keys(&mut app, &a, &["esc", "enter"]);
    let v = app.loaded().unwrap();
    assert_eq!(app.ui.focus, Pane::Preview);
    assert_eq!(v.layer, 0);
    assert_eq!(
        a.path_string(v.selected_row().unwrap().path),
        "app/.aws-credentials"
    );
    let doc = v.preview.doc.as_ref().unwrap();
    assert_eq!(doc.target_line, Some(1));
    let Body::Text { lines, .. } = &doc.body else {
        panic!("{:?}", doc.body)
    };
    let secret = lines[1].pieces.iter().find(|s| s.secret.is_some()).unwrap();
    assert_eq!(secret.text, "AKIAQYLPMN5HFIQR7XYZ");
}

#[test]
fn export_prompt_and_overwrite_confirmation() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    select_path(&mut app, &a, b"app/.aws-credentials");
    keys(&mut app, &a, &["x"]);
    assert_eq!(
        app.ui.overlay,
        Overlay::Prompt {
            kind: PromptKind::Export,
            text: "./.aws-credentials".into()
        }
    );
    let fx = app.update(Action::Submit);
    let Some(Effect::Export(req)) = fx.first().cloned() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.layer, 0, "a ghost exports the bytes it removed");
    assert!(!req.force);
    let _ = app.update(Action::Worker(WorkerMsg::Exported {
        req: req.clone(),
        result: Err(ExportFail {
            message: "exists".into(),
            exists: true,
        }),
    }));
    assert!(matches!(app.ui.overlay, Overlay::Confirm { .. }));
    let fx = app.update(Action::Char('y'));
    assert!(matches!(&fx[..], [Effect::Export(r)] if r.force && r.layer == req.layer));
    // A directory cannot be exported.
    select_path(&mut app, &a, b"app");
    keys(&mut app, &a, &["x"]);
    assert_eq!(app.ui.overlay, Overlay::None);
    assert!(app.ui.message.as_ref().unwrap().1);
}

#[test]
fn base_layers_can_be_marked_and_hidden() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    keys(&mut app, &a, &["z"]);
    assert!(app
        .ui
        .message
        .as_ref()
        .unwrap()
        .0
        .contains("no base image detected"));
    select_layer(&mut app, &a, 0);
    keys(&mut app, &a, &["b", "z"]);
    let v = app.loaded().unwrap();
    assert!(v.hide_base);
    assert_eq!(
        v.visible_hist().len(),
        2,
        "layer 0 and the ENV step on it are hidden"
    );
    assert_eq!(v.layer, 1, "moved to the first shown layer");
    // Aggregated view above the base: base-only files are gone, layer-1 changes stay.
    let p = paths(&app);
    assert!(p.contains(&"app/config.txt".to_string()));
    assert!(!p.contains(&"app/bin.dat".to_string()), "{p:?}");
}

#[test]
fn loading_escape_cancels_and_quits() {
    let mut app = App::new(Arc::default(), "x.tar", 80, 24);
    let fx = app.update(Cmd::Cancel.into());
    assert_eq!(fx, vec![Effect::CancelLoad, Effect::Quit]);
    assert!(app.ui.quit);
}

#[test]
fn mouse_click_focuses_and_selects_and_wheel_scrolls() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    let r = app.areas().tree;
    let fx = app.update(Action::Mouse(MouseKind::Click, r.x + 5, r.y + 3));
    assert_eq!(app.ui.focus, Pane::Tree);
    assert_eq!(app.loaded().unwrap().tree.sel, 2);
    drive(&mut app, &a, fx);
    let h = app.areas().history;
    let _ = app.update(Action::Mouse(MouseKind::ScrollUp, h.x + 2, h.y + 2));
    assert_eq!(
        app.loaded().unwrap().history.sel,
        0,
        "wheel over history scrolls it"
    );
    assert_eq!(app.ui.focus, Pane::Tree, "wheel does not steal focus");
}

#[test]
fn resize_keeps_the_selection_visible() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    select_path(&mut app, &a, b"app/new.txt");
    let _ = app.update(Action::Resize(80, 10));
    let v = app.loaded().unwrap();
    let h = app.areas().tree.height as usize - 2;
    assert!(v.tree.sel >= v.tree.off && v.tree.sel < v.tree.off + h.max(1));
}

#[test]
fn tab_cycles_panes_and_help_opens() {
    let (_d, a) = setup();
    let mut app = ready(&a, 120, 40);
    let order: Vec<Pane> = (0..6)
        .map(|_| {
            let p = app.ui.focus;
            keys(&mut app, &a, &["tab"]);
            p
        })
        .collect();
    assert_eq!(order, Pane::ORDER.to_vec());
    keys(&mut app, &a, &["backtab"]);
    assert_eq!(app.ui.focus, Pane::Preview);
    keys(&mut app, &a, &["?"]);
    assert!(matches!(app.ui.overlay, Overlay::Help { .. }));
    keys(&mut app, &a, &["q"]);
    assert_eq!(app.ui.overlay, Overlay::None, "q closes the help first");
    let fx = app.update(Cmd::Quit.into());
    assert_eq!(fx, vec![Effect::Quit]);
}

//! Triage in the view, without a terminal: `App::goto` opens a file version, external findings
//! are listed before ours, marked by tool and agreement, Enter jumps to their file version, and
//! their snippets stay masked until revealed.

use std::path::PathBuf;
use std::sync::Arc;

use crate::support::tui::*;
use layerscope::tui::app::{App, FindingRow, Overlay};
use layerscope::tui::pane::Pane;
use layerscope::tui::preview::Body;
use layerscope::tui::theme::Theme;
use layerscope_core::external;
use layerscope_core::Analysis;

fn demo() -> Arc<Analysis> {
    analyze(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo/demo.tar"))
}

fn with_report(a: &Arc<Analysis>, name: &str) -> App {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/reports")
            .join(name),
    )
    .unwrap();
    let (_, ext) = external::parse_report(&text).unwrap();
    let recs = external::reconcile(a, &a.findings, ext);
    let mut app = ready(a, 200, 50);
    app.set_external(recs);
    app
}

fn selected_path(app: &App) -> String {
    let v = app.loaded().unwrap();
    v.analysis().path_string(v.selected_row().unwrap().path)
}

fn banner(app: &App) -> String {
    app.loaded()
        .unwrap()
        .preview
        .doc
        .as_ref()
        .unwrap()
        .banner
        .join("\n")
}

#[test]
fn goto_opens_the_ghosts_source_with_the_preview() {
    let a = demo();
    let mut app = ready(&a, 160, 48);
    let g = layerscope_core::goto::resolve(&a, "/root/.netrc", None).unwrap();
    let fx = app.goto(g);
    drive(&mut app, &a, fx);
    let v = app.loaded().unwrap();
    assert_eq!(v.layer, 2);
    assert_eq!(selected_path(&app), "root/.netrc");
    assert_eq!(app.ui.focus, Pane::Preview);
    assert!(
        banner(&app).contains("later removed in layer 8 by `RUN rm -f /root/.netrc`"),
        "{}",
        banner(&app)
    );
    let screen = screen(&render(&app, &Theme::new(false)));
    assert!(screen.contains("/root/.netrc · 71 B · layer 2"), "{screen}");
    assert!(!screen.contains("GCy63rNyqistaf"), "masked:\n{screen}");
}

#[test]
fn goto_with_a_layer_shows_the_ghost_there() {
    let a = demo();
    let mut app = ready(&a, 160, 48);
    let g = layerscope_core::goto::resolve(&a, "root/.netrc", Some("8")).unwrap();
    let fx = app.goto(g);
    drive(&mut app, &a, fx);
    assert_eq!(app.loaded().unwrap().layer, 8);
    assert_eq!(selected_path(&app), "root/.netrc");
    assert!(banner(&app).contains("ghost: removed in layer 8"));
    let doc = app.loaded().unwrap().preview.doc.clone().unwrap();
    assert!(matches!(doc.body, Body::Text { .. }), "the ghost's bytes");
}

#[test]
fn goto_into_a_collapsed_tree_expands_the_path() {
    let a = demo();
    let mut app = ready(&a, 160, 48);
    // Collapse everything first: the jump must still land on the file.
    focus(&mut app, &a, Pane::Tree);
    keys(&mut app, &a, &["ctrl+space"]);
    let g = layerscope_core::goto::resolve(&a, "/app/config/production.yml", None).unwrap();
    let fx = app.goto(g);
    drive(&mut app, &a, fx);
    assert_eq!(selected_path(&app), "app/config/production.yml");
}

#[test]
fn external_findings_come_first_and_enter_jumps_to_them() {
    let a = demo();
    let mut app = with_report(&a, "trivy-demo.json");
    assert_eq!(app.ui.focus, Pane::Findings);
    let v = app.loaded().unwrap();
    // One row per secret: the demo's findings share some secrets.
    assert_eq!(v.finding_rows(), 3 + v.model.order.len());
    let rows_title = format!(
        "Findings · {} in {} places · 3 from reports",
        v.model.order.len(),
        a.findings.len()
    );
    assert_eq!(v.finding_row(0), Some(FindingRow::External(0)));
    assert!(matches!(v.finding_row(3), Some(FindingRow::Own(_))));
    let screen1 = screen(&render(&app, &Theme::new(false)));
    assert!(screen1.contains(&rows_title), "{screen1}");
    assert!(
        screen1.contains("[trivy] HIGH deleted, agrees L2 /root/.netrc:1 Netrc password"),
        "{screen1}"
    );
    assert!(screen1.contains("[trivy] HIGH not in image /etc/ssl/private/server.key"));
    // The status line carries the selected finding's note.
    assert!(
        screen1.contains("[trivy] deleted, agrees: the scanner says /root/.netrc is in the image, but the final filesystem no longer shows it: deleted in layer 8 by `rm -f /root/.netrc`; its bytes stay in layer 2"),
        "{screen1}"
    );
    keys(&mut app, &a, &["enter"]);
    assert_eq!(app.loaded().unwrap().layer, 2);
    assert_eq!(selected_path(&app), "root/.netrc");
    assert_eq!(app.ui.focus, Pane::Preview);
    let msg = app.ui.message.clone().unwrap().0;
    assert!(msg.contains("its bytes stay in layer 2"), "{msg}");
    // Back to the list, down to the visible file: opens at layer 11 on our match.
    focus(&mut app, &a, Pane::Findings);
    keys(&mut app, &a, &["j", "enter"]);
    assert_eq!(app.loaded().unwrap().layer, 11);
    assert_eq!(selected_path(&app), "app/config/production.yml");
    // Not in the image: nothing to open, said in the status line.
    focus(&mut app, &a, Pane::Findings);
    keys(&mut app, &a, &["j", "enter"]);
    assert_eq!(app.ui.focus, Pane::Findings);
    let (msg, err) = app.ui.message.clone().unwrap();
    assert!(err && msg.contains("no layer of this image holds"), "{msg}");
    // Our own findings still jump as before.
    keys(&mut app, &a, &["j", "enter"]);
    assert_eq!(app.ui.focus, Pane::Preview);
}

#[test]
fn explain_shows_an_external_finding_masked_until_revealed() {
    let a = demo();
    let mut app = with_report(&a, "kingfisher-demo.json");
    keys(&mut app, &a, &["e"]);
    assert!(matches!(
        app.ui.overlay,
        Overlay::ExplainExternal { index: 0, .. }
    ));
    let s = screen(&render(&app, &Theme::new(false)));
    assert!(s.contains("Finding from a report"), "{s}");
    assert!(s.contains("Match: GCy6…"), "{s}");
    assert!(s.contains("Validation: Not Attempted"), "{s}");
    assert!(
        s.contains("layerscope: .netrc password (netrc-password)"),
        "{s}"
    );
    assert!(!s.contains("GCy63rNyqistaf"), "{s}");
    keys(&mut app, &a, &["esc", "r", "e"]);
    let s = screen(&render(&app, &Theme::new(false)));
    assert!(s.contains("GCy63rNyqistafnxN7YLFCWT"), "revealed:\n{s}");
}

#[test]
fn goto_and_reports_together_end_on_the_file() {
    let a = demo();
    let mut app = with_report(&a, "findings-demo.sarif");
    let g = layerscope_core::goto::resolve(&a, "/app/.env", Some("5")).unwrap();
    let fx = app.goto(g);
    drive(&mut app, &a, fx);
    assert_eq!(app.ui.focus, Pane::Preview);
    assert_eq!(app.loaded().unwrap().layer, 5);
    assert_eq!(app.loaded().unwrap().external.len(), 2);
    assert!(banner(&app).contains("replaced in layer 9"));
}

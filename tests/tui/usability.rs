//! What a new user trips over (issue 14, items 6–14): one numbering of steps and layers, every
//! version of a path, `r` and `e` wherever a secret or a finding is shown, a diff mode that
//! shows content when there is nothing to diff, an 80×24 screen that keeps what matters, the
//! export prompt, Tab order and focus without colour, grouped search hits and findings.

use std::path::PathBuf;
use std::sync::Arc;

use crate::support::tui::*;
use layerscope::tui::action::{Action, Effect, WorkerMsg};
use layerscope::tui::app::{App, FindingRow, Overlay};
use layerscope::tui::pane::Pane;
use layerscope::tui::preview::Body;
use layerscope::tui::theme::Theme;
use layerscope_core::findings::FindingSource;
use layerscope_core::Analysis;
use layerscope_imagegen::fake;

struct Img {
    _dir: tempfile::TempDir,
    a: Arc<Analysis>,
    /// The token in /etc/app/tokens.txt (layer 0), overwritten clean in layer 1.
    file_token: String,
    /// The build arg echoed in two RUN steps (steps 2 and 3).
    arg_token: String,
}

/// Steps: 0 ADD (L0), 1 ENV (no layer), 2 RUN with a build arg (L1), 3 RUN with it (L2).
fn triage() -> Img {
    let dir = tempfile::tempdir().unwrap();
    let file_token = fake::github_pat("usability-file");
    let arg_token = fake::github_pat("usability-arg");
    let env_token = fake::npm_token("usability-env");
    let far_token = fake::github_pat("usability-far");
    let long_line = format!(
        "machine ci.example.com login ci password-of-the-build-user-for-the-registry {far_token}\n"
    );
    let mut sixty = String::new();
    for i in 1..=60 {
        sixty.push_str(&format!("line {i}\n"));
    }
    let path = ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.dir("etc")
                .dir("etc/app")
                .file(
                    "etc/app/tokens.txt",
                    format!("GITHUB_TOKEN={file_token}\n").as_bytes(),
                )
                .dir("root")
                .file("root/.netrc", long_line.as_bytes())
                .dir("usr")
                .dir("usr/bin")
                .file("usr/bin/tool-a", b"same bytes\nneedle-xyz here\n")
                .file("usr/bin/tool-b", b"same bytes\nneedle-xyz here\n")
                .file("usr/bin/tool-c", b"same bytes\nneedle-xyz here\n")
                .file("usr/bin/big", &vec![b'x'; 5000])
                .file("sixty.txt", sixty.as_bytes())
        })
        .step("/bin/sh -c #(nop)  ENV MODE=prod")
        .layer(
            &format!("RUN |1 GITHUB_TOKEN={arg_token} /bin/sh -c echo one"),
            |l| l.file("etc/app/tokens.txt", b"GITHUB_TOKEN=<redacted>\n"),
        )
        .layer(
            &format!("RUN |1 GITHUB_TOKEN={arg_token} /bin/sh -c echo two"),
            |l| l.file("app-new.txt", b"hi\n"),
        )
        .env(&format!("NPM_TOKEN={env_token}"))
        .write(dir.path());
    let a = analyze(&path);
    Img {
        _dir: dir,
        a,
        file_token,
        arg_token,
    }
}

fn sample_image() -> (tempfile::TempDir, Arc<Analysis>) {
    let dir = tempfile::tempdir().unwrap();
    let a = analyze(&sample(dir.path()));
    (dir, a)
}

fn text(app: &App) -> String {
    screen(&render(app, &Theme::new(true)))
}

fn banner(app: &App) -> String {
    app.loaded()
        .unwrap()
        .preview
        .doc
        .as_ref()
        .map(|d| d.banner.join("\n"))
        .unwrap_or_default()
}

fn message(app: &App) -> String {
    app.ui
        .message
        .as_ref()
        .map(|m| m.0.clone())
        .unwrap_or_default()
}

fn goto(app: &mut App, a: &Arc<Analysis>, path: &str, layer: Option<&str>) {
    let g = layerscope_core::goto::resolve(a, path, layer).unwrap();
    let fx = app.goto(g);
    drive(app, a, fx);
}

/// Selects the findings row that stands for finding `fi` (its secret's row).
fn select_own(app: &mut App, a: &Arc<Analysis>, fi: usize) {
    focus(app, a, Pane::Findings);
    keys(app, a, &["g"]);
    for _ in 0..app.loaded().unwrap().finding_rows() {
        let v = app.loaded().unwrap();
        if let Some(FindingRow::Own(f)) = v.finding_row(v.findings.sel) {
            if v.model.same[f].contains(&fi) {
                return;
            }
        }
        keys(app, a, &["j"]);
    }
    panic!("no findings row for finding {fi}");
}

// ---- 6: one numbering ----

#[test]
fn history_pane_has_a_header_and_shows_step_and_layer() {
    let (_d, a) = sample_image();
    for (w, h) in [(80, 24), (160, 48)] {
        let app = ready(&a, w, h);
        let s = text(&app);
        assert!(s.contains("STEP    L"), "{w}x{h}: no header:\n{s}");
        // Step 2 made layer 1; step 1 (ENV) made none.
        assert!(s.contains("   2   L1 "), "{w}x{h}: step 2 / L1 row:\n{s}");
        assert!(s.contains("   1    · "), "{w}x{h}: metadata step row:\n{s}");
    }
}

#[test]
fn findings_and_explain_name_the_step_and_its_layer() {
    let img = triage();
    let a = &img.a;
    let hist = a
        .findings
        .iter()
        .position(|f| f.source == FindingSource::History && f.history == Some(2))
        .expect("a finding in step 2");
    let mut app = ready(a, 160, 48);
    select_own(&mut app, a, hist);
    let s = text(&app);
    assert!(
        s.contains("in steps 2 L1, 3 L2") || s.contains("steps 2, 3"),
        "{s}"
    );
    keys(&mut app, a, &["e"]);
    let s = text(&app);
    assert!(s.contains("Made by: step 2, layer L1"), "{s}");
    // The history row the finding names carries those numbers.
    assert!(s.contains("step 2 L1"), "{s}");
}

// ---- 7: every version of a path ----

#[test]
fn a_clean_version_says_that_another_version_has_findings() {
    let img = triage();
    let a = &img.a;
    let mut app = ready(a, 160, 48);
    goto(&mut app, a, "/etc/app/tokens.txt", None);
    assert_eq!(app.loaded().unwrap().layer, 1);
    assert!(
        banner(&app).contains("findings in other versions: layer 0 (1)"),
        "{}",
        banner(&app)
    );
    let b = render(&app, &Theme::new(true));
    let row = rows(&b)
        .into_iter()
        .find(|r| r.contains("tokens.txt"))
        .unwrap();
    assert!(row.contains("┃◆") || row.contains("│◆"), "{row}");
}

#[test]
fn versions_list_shows_every_version_and_enter_opens_one() {
    let img = triage();
    let a = &img.a;
    let mut app = ready(a, 160, 48);
    goto(&mut app, a, "/etc/app/tokens.txt", None);
    keys(&mut app, a, &["v"]);
    assert!(matches!(app.ui.overlay, Overlay::Versions { .. }));
    let s = text(&app);
    assert!(s.contains("Versions of /etc/app/tokens.txt · 2"), "{s}");
    assert!(s.contains("L0    0 added"), "{s}");
    assert!(s.contains("!1 finding"), "{s}");
    assert!(s.contains("L1    2 modified"), "{s}");
    assert!(!s.contains(&img.file_token), "masked:\n{s}");
    keys(&mut app, a, &["k", "enter"]);
    assert!(matches!(app.ui.overlay, Overlay::None));
    let v = app.loaded().unwrap();
    assert_eq!(v.layer, 0);
    assert_eq!(
        v.analysis().path_string(v.selected_row().unwrap().path),
        "etc/app/tokens.txt"
    );
    assert_eq!(app.ui.focus, Pane::Preview);
}

// ---- 8: r and e wherever a secret or a finding is shown ----

#[test]
fn explain_works_in_the_tree_history_and_image_panes() {
    let img = triage();
    let a = &img.a;
    let mut app = ready(a, 160, 48);
    goto(&mut app, a, "/etc/app/tokens.txt", Some("0"));
    focus(&mut app, a, Pane::Tree);
    keys(&mut app, a, &["e"]);
    let Overlay::Explain { finding, .. } = app.ui.overlay else {
        panic!("tree: no explain overlay: {}", message(&app))
    };
    assert_eq!(a.findings[finding].source, FindingSource::File);
    keys(&mut app, a, &["esc"]);
    // The clean version says where the findings are instead of doing nothing.
    goto(&mut app, a, "/etc/app/tokens.txt", None);
    focus(&mut app, a, Pane::Tree);
    keys(&mut app, a, &["e"]);
    assert!(matches!(app.ui.overlay, Overlay::None));
    assert!(
        message(&app).contains("layer 0 has findings"),
        "{}",
        message(&app)
    );

    select_layer(&mut app, a, 1);
    keys(&mut app, a, &["e"]);
    let Overlay::Explain { finding, .. } = app.ui.overlay else {
        panic!("history: no explain overlay: {}", message(&app))
    };
    assert_eq!(a.findings[finding].history, Some(2));
    keys(&mut app, a, &["esc"]);

    focus(&mut app, a, Pane::Image);
    keys(&mut app, a, &["e"]);
    let Overlay::Explain { finding, .. } = app.ui.overlay else {
        panic!("image: no explain overlay: {}", message(&app))
    };
    assert_eq!(a.findings[finding].source, FindingSource::Env);
}

#[test]
fn explain_says_so_when_there_is_nothing_to_explain() {
    let (_d, a) = sample_image();
    let mut app = ready(&a, 160, 48);
    // The last layer adds only app/new.txt: nothing there.
    focus(&mut app, &a, Pane::Layer);
    keys(&mut app, &a, &["e"]);
    assert!(matches!(app.ui.overlay, Overlay::None));
    assert!(
        message(&app).contains("no finding in this layer"),
        "{}",
        message(&app)
    );
}

#[test]
fn reveal_works_inside_the_explain_overlay_and_in_every_pane() {
    let img = triage();
    let a = &img.a;
    let mut app = ready(a, 160, 48);
    goto(&mut app, a, "/etc/app/tokens.txt", Some("0"));
    keys(&mut app, a, &["e"]);
    assert!(!text(&app).contains(&img.file_token));
    keys(&mut app, a, &["r"]);
    assert!(
        matches!(app.ui.overlay, Overlay::Explain { .. }),
        "r closed the overlay"
    );
    assert!(app.loaded().unwrap().reveal);
    assert!(text(&app).contains(&img.file_token), "{}", text(&app));
    keys(&mut app, a, &["r", "esc"]);
    // In the history pane the build arg shows once revealed.
    focus(&mut app, a, Pane::History);
    assert!(!text(&app).contains(&img.arg_token));
    keys(&mut app, a, &["r"]);
    assert!(
        app.loaded().unwrap().reveal,
        "r did nothing in the history pane"
    );
}

// ---- 9: diff mode with nothing to diff ----

#[test]
fn diff_mode_shows_the_content_of_a_file_with_no_earlier_version() {
    let (_d, a) = sample_image();
    let mut app = ready(&a, 160, 48);
    select_path(&mut app, &a, b"app/new.txt");
    focus(&mut app, &a, Pane::Preview);
    keys(&mut app, &a, &["d"]);
    let doc = app.loaded().unwrap().preview.doc.clone().unwrap();
    assert!(
        matches!(doc.body, Body::Text { .. }),
        "no content: {:?}",
        doc.body
    );
    assert!(
        banner(&app).contains("no earlier version to diff"),
        "{}",
        banner(&app)
    );
    // A file with an earlier version still diffs.
    select_path(&mut app, &a, b"app/config.txt");
    let doc = app.loaded().unwrap().preview.doc.clone().unwrap();
    assert!(matches!(doc.body, Body::Diff { .. }), "{:?}", doc.body);
}

// ---- 10: 80×24 ----

#[test]
fn at_80x24_the_secret_on_a_long_line_is_scrolled_into_view() {
    let img = triage();
    let a = &img.a;
    let fi = a
        .findings
        .iter()
        .position(|f| f.path.is_some_and(|p| a.path_string(p) == "root/.netrc"))
        .expect("a finding in /root/.netrc");
    let mut app = ready(a, 80, 24);
    select_own(&mut app, a, fi);
    keys(&mut app, a, &["enter"]);
    assert!(app.loaded().unwrap().preview.hscroll > 0);
    let masked = &a.findings[fi].masked;
    let head: String = masked.chars().take(6).collect();
    assert!(
        text(&app).contains(&head),
        "{head:?} not on screen:\n{}",
        text(&app)
    );
}

#[test]
fn scrolling_right_stops_at_the_widest_line() {
    let img = triage();
    let a = &img.a;
    let mut app = ready(a, 80, 24);
    goto(&mut app, a, "/root/.netrc", None);
    focus(&mut app, a, Pane::Preview);
    for _ in 0..40 {
        keys(&mut app, a, &["l"]);
    }
    let hs = app.loaded().unwrap().preview.hscroll;
    assert!(hs > 0 && hs < 120, "hscroll {hs}");
    // The end of the line is still on screen, not blank space.
    assert!(text(&app).contains("ghp_…"), "{}", text(&app));
}

#[test]
fn at_80x24_the_ghost_banner_and_layer_sizes_are_whole() {
    let (_d, a) = sample_image();
    let mut app = ready(&a, 80, 24);
    goto(&mut app, &a, "/app/.aws-credentials", Some("1"));
    let s = text(&app);
    // The whole banner, wrapped: its last line is there, above the content.
    assert!(s.contains("readable from layer 0 (128 B)"), "{s}");
    assert!(s.contains("1 │ [default]"), "{s}");
    // Sizes never break between number and unit.
    let l = &a.layers[1];
    let want = human_nbsp(l.size);
    assert!(
        find(&render(&app, &Theme::new(true)), &want).is_some(),
        "{want:?}:\n{s}"
    );
}

/// The size as the Layer pane prints it: the shared formatter, number and unit joined by a
/// non-breaking space.
fn human_nbsp(n: u64) -> String {
    layerscope_core::units::human(n).replace(' ', "\u{a0}")
}

#[test]
fn at_80x24_the_help_overlay_cuts_no_description() {
    let (_d, a) = sample_image();
    let mut app = ready(&a, 80, 24);
    keys(&mut app, &a, &["?"]);
    let mut seen = String::new();
    for _ in 0..40 {
        seen.push_str(&text(&app));
        keys(&mut app, &a, &["j"]);
    }
    // The longest descriptions end in words a cut would lose.
    for (desc, last) in [
        ("explain the finding here", "config)"),
        ("every version of this path", "one)"),
        ("content / diff against", "version"),
        ("reveal/mask secrets", "overlay)"),
    ] {
        assert!(seen.contains(desc), "{desc:?} never shown");
        assert!(
            seen.contains(last),
            "{desc:?}: {last:?} never shown:\n{seen}"
        );
    }
}

// ---- 11: the export prompt ----

#[test]
fn ctrl_u_clears_the_export_prompt_and_the_message_names_the_version() {
    let (_d, a) = sample_image();
    let mut app = ready(&a, 160, 48);
    goto(&mut app, &a, "/app/.aws-credentials", Some("1"));
    focus(&mut app, &a, Pane::Tree);
    keys(&mut app, &a, &["x"]);
    let Overlay::Prompt { text: t, .. } = &app.ui.overlay else {
        panic!("no prompt")
    };
    assert_eq!(t, "./.aws-credentials");
    keys(&mut app, &a, &["ctrl+u"]);
    let Overlay::Prompt { text: t, .. } = &app.ui.overlay else {
        panic!("ctrl+u closed the prompt")
    };
    assert_eq!(t, "", "ctrl+u did not clear the prompt");
    type_text(&mut app, &a, "/tmp/out.txt");
    let fx = app.update(Action::Submit);
    let req = fx
        .into_iter()
        .find_map(|e| match e {
            Effect::Export(r) => Some(r),
            _ => None,
        })
        .expect("an export");
    assert_eq!(req.dest, PathBuf::from("/tmp/out.txt"));
    assert_eq!(req.layer, 0);
    app.update(Action::Worker(WorkerMsg::Exported {
        req,
        result: Ok(PathBuf::from("/tmp/out.txt")),
    }));
    let m = message(&app);
    assert!(
        m.contains("/app/.aws-credentials as written in layer 0 (step 0), deleted in layer 1"),
        "{m}"
    );
}

// ---- 12: Tab order, focus without colour, help G, zoom, Enter on config ----

#[test]
fn tab_follows_the_screen_and_shift_tab_goes_back() {
    let (_d, a) = sample_image();
    let mut app = ready(&a, 160, 48);
    let mut order = vec![app.ui.focus];
    for _ in 0..5 {
        keys(&mut app, &a, &["tab"]);
        order.push(app.ui.focus);
    }
    assert_eq!(
        order,
        [
            Pane::History,
            Pane::Layer,
            Pane::Image,
            Pane::Findings,
            Pane::Tree,
            Pane::Preview
        ]
    );
    keys(&mut app, &a, &["tab", "backtab"]);
    assert_eq!(app.ui.focus, Pane::Preview);
}

#[test]
fn without_colour_the_focused_pane_has_a_thick_frame() {
    let (_d, a) = sample_image();
    let app = ready(&a, 160, 48);
    let b = render(&app, &Theme::new(false));
    let h = app.areas().history;
    let t = app.areas().tree;
    assert_eq!(b[(h.x, h.y)].symbol(), "┏", "focused history");
    assert_eq!(b[(t.x, t.y)].symbol(), "┌", "unfocused tree");
}

#[test]
fn g_and_shift_g_scroll_the_help_instead_of_closing_it() {
    let (_d, a) = sample_image();
    let mut app = ready(&a, 80, 24);
    keys(&mut app, &a, &["?", "G"]);
    let Overlay::Help { scroll } = app.ui.overlay else {
        panic!("G closed the help")
    };
    assert!(scroll > 0);
    keys(&mut app, &a, &["k"]);
    let Overlay::Help { scroll: up } = app.ui.overlay else {
        panic!()
    };
    assert_eq!(up, scroll - 1, "k after G moves one line up from the end");
    keys(&mut app, &a, &["g"]);
    assert_eq!(app.ui.overlay, Overlay::Help { scroll: 0 });
}

#[test]
fn zoom_leaves_no_stale_preview_offset() {
    let img = triage();
    let a = &img.a;
    let mut app = ready(a, 80, 24);
    goto(&mut app, a, "/sixty.txt", None);
    focus(&mut app, a, Pane::Preview);
    keys(&mut app, a, &["G"]);
    let before = app.loaded().unwrap().preview.scroll;
    assert!(before > 40, "{before}");
    keys(&mut app, a, &["f"]);
    let s = text(&app);
    // Zoomed, the last line is at the bottom, not followed by blank rows above the status.
    assert!(s.contains("line 60"), "{s}");
    assert!(
        s.contains("line 45"),
        "rows above the old offset hidden:\n{s}"
    );
}

#[test]
fn enter_on_a_config_finding_scrolls_the_image_pane_to_env() {
    let img = triage();
    let a = &img.a;
    let fi = a
        .findings
        .iter()
        .position(|f| f.source == FindingSource::Env)
        .expect("an env finding");
    let mut app = ready(a, 80, 24);
    select_own(&mut app, a, fi);
    keys(&mut app, a, &["enter"]);
    assert_eq!(app.ui.focus, Pane::Image);
    let r = app.areas().image;
    let b = render(&app, &Theme::new(true));
    let (_, y) = find(&b, "Env:").expect("Env: on screen");
    assert_eq!(y, r.y + 1, "Env: heads the Image pane");
}

// ---- 13: grouped search hits, directory sizes ----

#[test]
fn identical_lines_in_several_files_are_one_search_row() {
    let img = triage();
    let a = &img.a;
    let mut app = ready(a, 160, 48);
    keys(&mut app, a, &["s"]);
    type_text(&mut app, a, "needle-xyz");
    keys(&mut app, a, &["enter"]);
    let v = app.loaded().unwrap();
    assert_eq!(v.search.hits.len(), 3);
    let s = text(&app);
    assert!(s.contains("3 hits in 1 distinct lines"), "{s}");
    assert!(s.contains("/usr/bin/tool-a:2 ×3"), "{s}");
    assert!(
        s.contains("same in L0 /usr/bin/tool-b, L0 /usr/bin/tool-c"),
        "{s}"
    );
    assert!(!s.contains("/usr/bin/tool-b:2"), "{s}");
}

#[test]
fn sort_by_size_shows_directory_sizes() {
    let img = triage();
    let a = &img.a;
    let mut app = ready(a, 160, 48);
    focus(&mut app, a, Pane::Tree);
    keys(&mut app, a, &["o"]);
    let s = text(&app);
    // usr/bin holds 5000 + 3 × 26 bytes.
    assert!(s.contains("5.1 kB ▾ usr/"), "{s}");
}

// ---- 14: one row per secret ----

#[test]
fn one_secret_in_several_steps_is_one_findings_row() {
    let img = triage();
    let a = &img.a;
    let n = a
        .findings
        .iter()
        .filter(|f| f.source == FindingSource::History && f.secret == img.arg_token)
        .count();
    assert_eq!(n, 2, "the build arg is found in both steps");
    let app = ready(a, 160, 48);
    let v = app.loaded().unwrap();
    let secrets: std::collections::HashSet<&str> =
        a.findings.iter().map(|f| f.fingerprint.as_str()).collect();
    assert_eq!(v.finding_rows(), secrets.len());
    assert!(secrets.len() < a.findings.len());
    let s = text(&app);
    assert!(s.contains("in steps 2, 3"), "{s}");
    let title = format!(
        "Findings · {} in {} places",
        secrets.len(),
        a.findings.len()
    );
    assert!(s.contains(&title), "{s}");
}

#[test]
fn explain_lists_every_place_of_the_secret() {
    let img = triage();
    let a = &img.a;
    let fi = a
        .findings
        .iter()
        .position(|f| f.secret == img.arg_token)
        .unwrap();
    let mut app = ready(a, 160, 48);
    select_own(&mut app, a, fi);
    keys(&mut app, a, &["e"]);
    let s = text(&app);
    assert!(s.contains("Same secret: 2 places"), "{s}");
    assert!(s.contains("step 2 L1 · history"), "{s}");
    assert!(s.contains("step 3 L2 · history"), "{s}");
}

#[test]
fn enter_again_on_a_secrets_row_opens_its_next_place() {
    let img = triage();
    let a = &img.a;
    let fi = a
        .findings
        .iter()
        .position(|f| f.secret == img.arg_token)
        .unwrap();
    let mut app = ready(a, 160, 48);
    let mut steps = Vec::new();
    for _ in 0..3 {
        select_own(&mut app, a, fi);
        keys(&mut app, a, &["enter"]);
        assert_eq!(app.ui.focus, Pane::History);
        let v = app.loaded().unwrap();
        let row = &v.model.history_rows[v.visible_hist()[v.history.sel]];
        steps.push(row.history.unwrap());
    }
    assert_eq!(steps, [2, 3, 2]);
    assert!(
        message(&app).contains("place 1 of 2 of this secret"),
        "{}",
        message(&app)
    );
}

//! Every pane rendered into ratatui's TestBackend at 80×24 and 160×48, checking the text and
//! the styles (the change colours, the ghost and finding marks, the diff colours are the feature).

use crate::support::tui::*;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use layerscope::tui::action::{Action, WorkerMsg};
use layerscope::tui::app::{App, Phase};
use layerscope::tui::pane::Pane;
use layerscope::tui::theme::Theme;
use ratatui::style::{Color, Modifier};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn plain(c: Option<Color>) -> bool {
    matches!(c, None | Some(Color::Reset))
}

fn color() -> Theme {
    Theme::new(true)
}

fn sample_analysis() -> (tempfile::TempDir, Arc<layerscope_core::Analysis>) {
    let dir = tempfile::tempdir().unwrap();
    let a = analyze(&sample(dir.path()));
    (dir, a)
}

#[test]
fn history_pane_lists_steps_in_build_order_with_badges() {
    let (_d, a) = sample_analysis();
    for (w, h) in SIZES {
        let app = ready(&a, w, h);
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("History · 4 steps, 3 layers"), "{s}");
        let (_, y0) = find(&b, "ADD rootfs /").unwrap();
        let (_, y1) = find(&b, "ENV MODE=prod").unwrap();
        let (_, y2) = find(&b, "RUN rm app/").unwrap();
        assert!(y0 < y1 && y1 < y2, "Dockerfile order");
        // The metadata step is dimmed; the layer with a finding carries a red badge.
        assert_eq!(style_at(&b, "ENV MODE=prod").fg, Some(Color::DarkGray));
        let badge = style_at(&b, "!1 ADD");
        assert_eq!(badge.fg, Some(Color::Red));
        assert!(badge.add_modifier.contains(Modifier::BOLD));
        // Selected row (last layer, focused pane) is highlighted.
        assert_eq!(style_at(&b, "RUN echo hi").bg, Some(Color::Blue));
    }
}

#[test]
fn tree_marks_ghosts_findings_and_changes() {
    let (_d, a) = sample_analysis();
    for (w, h) in SIZES {
        let app = ready(&a, w, h);
        let b = render(&app, &color());
        // Aggregated view of the last layer: the deleted secret file is still listed as a ghost.
        let ghost = style_at(&b, "† ");
        assert_eq!(ghost.fg, Some(Color::Magenta));
        let (gx, gy) = find(&b, "† ").unwrap();
        assert_eq!(
            b[(gx - 1, gy)].symbol(),
            "!",
            "finding mark before the ghost mark"
        );
        assert_eq!(b[(gx - 1, gy)].style().fg, Some(Color::Red));
        let name = style_at(&b, ".aws-credentials");
        assert_eq!(name.fg, Some(Color::Magenta));
        assert!(screen(&b).contains("[ghost: removed in 1]"));
        // Added in this layer: green with a + mark.
        let (nx, ny) = find(&b, " new.txt").unwrap();
        assert_eq!(b[(nx + 1, ny)].style().fg, Some(Color::Green));
        assert_eq!(style_at(&b, "+ ").fg, Some(Color::Green));
        // Unchanged: default colour.
        assert!(plain(style_at(&b, "config.txt").fg));
        // Non-UTF-8 name escaped, symlink target shown.
        assert!(screen(&b).contains("caf\\xe9.txt"));
        assert!(screen(&b).contains("link → config.txt"));
    }
}

#[test]
fn tree_modified_and_removed_colours() {
    let (_d, a) = sample_analysis();
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        select_layer(&mut app, &a, 1);
        let b = render(&app, &color());
        assert_eq!(style_at(&b, "config.txt").fg, Some(Color::Yellow));
        assert_eq!(style_at(&b, "~ ").fg, Some(Color::Yellow));
        assert!(screen(&b).contains(".aws-credentials [ghost]"));
    }
    // A removed directory (no bytes of its own) is red with a - mark.
    let n = nobin();
    let mut app = ready(&n, 120, 40);
    select_layer(&mut app, &n, 1);
    keys(&mut app, &n, &["ctrl+l"]);
    let b = render(&app, &color());
    assert!(screen(&b).contains("this layer's changes"));
    assert_eq!(style_at(&b, "gone-dir/").fg, Some(Color::Red));
}

#[test]
fn attributes_columns_toggle() {
    let (_d, a) = sample_analysis();
    let mut app = ready(&a, 160, 48);
    let b = render(&app, &color());
    assert!(screen(&b).contains("-rwxr-xr-x"), "bin.dat mode");
    assert!(screen(&b).contains("lrwxrwxrwx"));
    keys(&mut app, &a, &["ctrl+b"]);
    let b = render(&app, &color());
    assert!(!screen(&b).contains("-rwxr-xr-x"));
}

#[test]
fn layer_and_image_details() {
    let (_d, a) = sample_analysis();
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        select_layer(&mut app, &a, 1);
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("Layer L1 · step 2  +0 ~1 -1"), "{s}");
        assert_eq!(style_at(&b, "+0 ").fg, Some(Color::Green));
        assert_eq!(style_at(&b, "~1 ").fg, Some(Color::Yellow));
        assert_eq!(style_at(&b, "-1 ").fg, Some(Color::Red));
        assert!(s.contains("Command: /bin/sh -c rm"));
        // The image pane, zoomed so it fits at 80×24 too.
        focus(&mut app, &a, Pane::Image);
        keys(&mut app, &a, &["f"]);
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("Image: test/image:latest"), "{s}");
        assert!(s.contains("Efficiency:"));
        assert_eq!(style_at(&b, "1 high").fg, Some(Color::Red));
        assert!(s.contains("1 in deleted/overwritten files that still ship"));
        assert!(s.contains("MODE=prod"));
        assert!(s.contains("128 B ×2 /app/.aws-credentials"), "{s}");
    }
}

#[test]
fn findings_pane_sorted_with_status() {
    let (_d, a) = sample_analysis();
    for (w, h) in SIZES {
        let app = ready(&a, w, h);
        let b = render(&app, &color());
        assert!(screen(&b).contains("Findings · 1"));
        let sev = style_at(&b, "HIGH deleted");
        assert_eq!(sev.fg, Some(Color::Red));
        assert_eq!(style_at(&b, "deleted L0").fg, Some(Color::Magenta));
        assert!(screen(&b).contains("L0 /app/.aws"), "{}", screen(&b));
    }
}

#[test]
fn preview_ghost_banner_and_masked_secret() {
    let (_d, a) = sample_analysis();
    let raw = "AKIAQYLPMN5HFIQR7XYZ";
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        select_path(&mut app, &a, b"app/.aws-credentials");
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("ghost: removed in layer 1 by"), "{s}");
        assert_eq!(style_at(&b, "ghost: removed").fg, Some(Color::Magenta));
        assert!(!s.contains(raw), "secret must be masked:\n{s}");
        let masked = &a.findings[0].masked;
        let st = style_at(&b, masked);
        assert_eq!(st.bg, Some(Color::Red));
        // Reveal.
        focus(&mut app, &a, Pane::Preview);
        keys(&mut app, &a, &["r"]);
        let b = render(&app, &color());
        assert!(screen(&b).contains(raw));
        assert!(style_at(&b, raw)
            .add_modifier
            .contains(Modifier::UNDERLINED));
    }
}

#[test]
fn preview_text_with_line_numbers_and_diff_colours() {
    let (_d, a) = sample_analysis();
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        select_layer(&mut app, &a, 1);
        select_path(&mut app, &a, b"app/config.txt");
        let b = render(&app, &color());
        assert!(screen(&b).contains("2 │ port=8080"), "{}", screen(&b));
        assert_eq!(style_at(&b, "1 │").fg, Some(Color::DarkGray));
        keys(&mut app, &a, &["d"]);
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("--- layer 0"), "{s}");
        assert_eq!(style_at(&b, "-port=80").fg, Some(Color::Red));
        assert_eq!(style_at(&b, "+port=8080").fg, Some(Color::Green));
        assert_eq!(style_at(&b, "@@ -1,3 +1,3 @@").fg, Some(Color::Cyan));
        assert!(plain(style_at(&b, " mode=dev").fg));
    }
}

#[test]
fn preview_binary_is_hex_and_symlink_is_described() {
    let (_d, a) = sample_analysis();
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        select_path(&mut app, &a, b"app/bin.dat");
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("00000000"), "{s}");
        assert!(s.contains("00 01 02 03 ff 41 42 00"), "{s}");
        select_path(&mut app, &a, b"app/link");
        let b = render(&app, &color());
        assert!(screen(&b).contains("symbolic link to config.txt"));
    }
}

#[test]
fn non_utf8_content_and_control_characters_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let img = ImageBuilder::new()
        .layer("COPY . /", |l| {
            l.file_raw(b"evil\x1b[2Jname", b"x\n", 0o644)
                .file("text.txt", b"caf\xe9 \x1b]0;pwned\x07 ok\n")
        })
        .write(dir.path());
    let a = analyze(&img);
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        let b = render(&app, &color());
        assert!(screen(&b).contains("evil\\x1b[2Jname"));
        select_path(&mut app, &a, b"text.txt");
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("caf\\xe9 \\x1b]0;pwned\\x07 ok"), "{s}");
        assert!(!s.contains('\x1b'));
    }
}

#[test]
fn loading_screen_shows_progress_from_the_first_frame() {
    for (w, h) in SIZES {
        let mut app = App::new(Arc::default(), "big-image.tar", w, h);
        let b = render(&app, &color());
        assert!(screen(&b).contains("Opening big-image.tar"));
        assert!(screen(&b).contains("layers 0/?"));
        let _ = app.update(Action::Worker(WorkerMsg::Opened {
            compressed_total: 10_000_000,
            layers: 4,
        }));
        // The loading screen reads the counters the load worker writes.
        let Phase::Loading(loading) = &app.phase else {
            panic!("not loading")
        };
        let pass = &loading.pass;
        pass.compressed_read.store(5_000_000, Ordering::Relaxed);
        pass.layers_done.store(2, Ordering::Relaxed);
        pass.entries.store(1234, Ordering::Relaxed);
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("5.0 MB / 10.0 MB read · layers 2/4"), "{s}");
        assert!(s.contains("1234 entries"));
        assert!(s.contains("Esc cancel"));
        assert!(matches!(app.phase, Phase::Loading(_)));
    }
}

#[test]
fn error_screen_escapes_the_message() {
    for (w, h) in SIZES {
        let mut app = App::new(Arc::default(), "bad.tar", w, h);
        let _ = app.update(Action::Worker(WorkerMsg::Loaded(Err(
            "bad.tar: not a docker save \x1b[31m".into(),
        ))));
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("Could not open bad.tar"));
        assert!(s.contains("not a docker save \\x1b[31m"), "{s}");
        assert_eq!(style_at(&b, "bad.tar: not").fg, Some(Color::Red));
    }
}

#[test]
fn empty_image_and_empty_layer() {
    let dir = tempfile::tempdir().unwrap();
    let img = ImageBuilder::new()
        .layer("ADD empty", |l| l)
        .step("/bin/sh -c #(nop)  CMD [\"sh\"]")
        .write(dir.path());
    let a = analyze(&img);
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("nothing to show"), "{s}");
        assert!(s.contains("no secrets found"));
        assert!(s.contains("select a file"));
        keys(&mut app, &a, &["ctrl+l"]);
        let b = render(&app, &color());
        assert!(screen(&b).contains("this layer changes no files"));
    }
}

#[test]
fn help_overlay_comes_from_the_keymap() {
    let (_d, a) = sample_analysis();
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        keys(&mut app, &a, &["?"]);
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("Help · keys"));
        assert!(s.contains("Everywhere"));
        assert!(s.contains("Ctrl+a, A"), "{s}");
        keys(&mut app, &a, &["esc"]);
        assert!(!screen(&render(&app, &color())).contains("Help · keys"));
    }
}

#[test]
fn no_color_keeps_marks_without_colours() {
    let (_d, a) = sample_analysis();
    let app = ready(&a, 160, 48);
    let b = render(&app, &Theme::new(false));
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            let st = b[(x, y)].style();
            assert!(matches!(st.fg, None | Some(Color::Reset)), "fg at {x},{y}");
            assert!(matches!(st.bg, None | Some(Color::Reset)), "bg at {x},{y}");
        }
    }
    let s = screen(&b);
    assert!(s.contains("!† "));
    assert!(s.contains("[ghost: removed in 1]"));
    assert!(style_at(&b, ".aws-credentials")
        .add_modifier
        .contains(Modifier::ITALIC));
}

#[test]
fn search_results_overlay() {
    let (_d, a) = sample_analysis();
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        keys(&mut app, &a, &["s"]);
        type_text(&mut app, &a, "aws_secret");
        keys(&mut app, &a, &["enter"]);
        let b = render(&app, &color());
        let s = screen(&b);
        assert!(s.contains("1 hits"), "{s}");
        assert!(s.contains("L0  /app/.aws-credentials:3"), "{s}");
        assert_eq!(style_at(&b, "[ghost]").fg, Some(Color::Magenta));
        // A hit on the secret's own line shows it masked.
        keys(&mut app, &a, &["esc", "s"]);
        type_text(&mut app, &a, "aws_access_key_id");
        keys(&mut app, &a, &["enter"]);
        let s = screen(&render(&app, &color()));
        assert!(s.contains("L0  /app/.aws-credentials:2"), "{s}");
        assert!(!s.contains("AKIAQYLPMN5HFIQR7XYZ"), "{s}");
    }
}

/// Every hint that names a key (status line, messages, overlays, empty-pane notes) names the key
/// the user's keys.toml bound, not the default.
#[test]
fn key_hints_follow_a_keys_toml_rebinding() {
    let (_d, a) = sample_analysis();
    let mut km = layerscope::tui::keymap::Keymap::default();
    let errors = km.apply_toml(
        "[global]\nsearch = \"F\"\nhide_base = \"H\"\ncancel = \"ctrl+g\"\n\
         [preview]\nreveal = \"v\"\nnext_chunk = \"N\"\n\
         [history]\nset_base = \"B\"\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let mut app = App::new(Arc::new(km), "test.tar", 200, 40);
    let fx = app.update(Action::Worker(WorkerMsg::Loaded(Ok(a.clone()))));
    drive(&mut app, &a, fx);
    let status = |app: &App| rows(&render(app, &color())).pop().unwrap();

    focus(&mut app, &a, Pane::Preview);
    let s = status(&app);
    assert!(s.contains("v reveal") && s.contains("N more"), "{s}");
    assert!(!s.contains("r reveal") && !s.contains("] more"), "{s}");
    keys(&mut app, &a, &["v"]);
    assert!(status(&app).contains("secrets revealed (v to mask)"));

    keys(&mut app, &a, &["S"]);
    assert!(status(&app).contains("no search results (press F to search)"));

    focus(&mut app, &a, Pane::History);
    keys(&mut app, &a, &["g", "B"]);
    assert!(
        status(&app).contains("press H to hide them"),
        "{}",
        status(&app)
    );

    keys(&mut app, &a, &["?"]);
    let s = status(&app);
    assert!(
        s.contains("Ctrl+g close") && s.contains("j/k scroll"),
        "{s}"
    );
    keys(&mut app, &a, &["ctrl+g"]);

    // The tree's empty-filter note names the key that clears the filter.
    focus(&mut app, &a, Pane::Tree);
    keys(&mut app, &a, &["/"]);
    type_text(&mut app, &a, "no-such-path");
    keys(&mut app, &a, &["enter"]);
    let screen = screen(&render(&app, &color()));
    assert!(
        screen.contains("no path matches the filter (Ctrl+g clears it)"),
        "{screen}"
    );
}

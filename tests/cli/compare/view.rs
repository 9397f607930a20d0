//! The compare view: rendering, keys and the tmux end-to-end run.

use super::*;

fn key(v: &mut CompareView, code: KeyCode) {
    v.key(KeyEvent::new(code, KeyModifiers::NONE));
}

#[test]
fn compare_view_renders_histories_files_findings_and_a_diff() {
    let (_d, o, n) = pair(&app_v1(), &app_v2());
    let cmp = compare::compare(&o, &n);
    let mut v = CompareView::new(&o, &n, &cmp, false);
    let s = screen(&v, 160, 40);
    for want in [
        "Compare",
        "shared layers 1",
        "History old | new",
        "= same",
        "~ changed",
        "+ added",
        "Files +2 -0 ~2",
        "+ /app/.env",
        "~ /app/config.py",
        "/var/cache/app.cache",
        "L2 #2",
        "Findings new 1 · fixed 1",
        "NEW",
        "FIXED",
    ] {
        assert!(s.contains(want), "{want}:\n{s}");
    }
    assert!(!s.contains(&token()) && !s.contains(&aws_key()), "{s}");
    // Down to config.py, open its diff: the key's line is removed, masked.
    key(&mut v, KeyCode::Down);
    key(&mut v, KeyCode::Enter);
    let s = screen(&v, 160, 40);
    assert!(s.contains("/app/config.py · modified"), "{s}");
    assert!(s.contains("-AWS_ACCESS_KEY_ID"), "{s}");
    assert!(!s.contains(&aws_key()), "{s}");
    // Revealed on request.
    key(&mut v, KeyCode::Char('r'));
    assert!(screen(&v, 160, 40).contains(&aws_key()));
    key(&mut v, KeyCode::Char('r'));
    // The new file: all added, the token masked.
    key(&mut v, KeyCode::Esc);
    key(&mut v, KeyCode::Up);
    key(&mut v, KeyCode::Enter);
    let s = screen(&v, 160, 40);
    assert!(s.contains("+GITHUB_TOKEN="), "{s}");
    assert!(!s.contains(&token()), "{s}");
    // Small terminals draw without panicking.
    for (w, h) in [(80, 24), (40, 10), (10, 4)] {
        screen(&v, w, h);
    }
    key(&mut v, KeyCode::Char('q'));
    assert!(v.quit);
}

#[test]
fn compare_view_of_identical_images() {
    let (_d, o, n) = pair(&app_v1(), &app_v1());
    let cmp = compare::compare(&o, &n);
    let v = CompareView::new(&o, &n, &cmp, false);
    let s = screen(&v, 120, 30);
    assert!(s.contains("no file differs"), "{s}");
    assert!(s.contains("identical"), "{s}");
}

#[test]
fn tmux_end_to_end() {
    if !crate::support::tmux::available() {
        return;
    }
    let d = Dir::new();
    let (v1, v2) = (d.tar("v1.tar", &app_v1()), d.tar("v2.tar", &app_v2()));
    let t = crate::support::tmux::Tmux::start(
        "compare",
        140,
        40,
        bin().to_str().unwrap(),
        &["diff", v1.to_str().unwrap(), v2.to_str().unwrap()],
        &[],
    );
    t.wait_for_all(&["Compare", "Files +2 -0 ~2", "/app/.env", "FIXED"]);
    t.keys(&["Down", "Enter"]);
    let s = t.wait_for_all(&["/app/config.py · modified", "-AWS_ACCESS_KEY_ID"]);
    assert!(!s.contains(&aws_key()), "{s}");
    t.keys(&["q"]);
    let s = t.wait_for_all(&["EXITED-0"]);
    assert!(
        !s.contains("History old | new"),
        "view still on screen:\n{s}"
    );
}

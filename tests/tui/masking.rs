//! Masking is a security boundary: for every finding of the demo image and of an image built to
//! be awkward (several secrets per line, secrets at line start and end, after multi-byte text and
//! tabs, past the pane's width, in both directions of a version diff, a value one version flags
//! and the other does not), every pane and overlay is rendered at 80×24 and 160×48 and no 8-byte
//! piece of any secret value may be on screen while masked; after `r` the secret is there. Every
//! CLI output is held to the same rule.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use crate::support::tui::*;
use layerscope::tui::app::{App, FindingRow, Overlay};
use layerscope::tui::pane::Pane;
use layerscope::tui::theme::Theme;
use layerscope_core::findings::FindingSource;
use layerscope_core::Analysis;
use layerscope_imagegen::fake;
use ratatui::buffer::Buffer;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

struct Tricky {
    path: PathBuf,
    /// Values the image holds that must never show while masked, detected or not.
    planted: Vec<String>,
}

/// An image whose secrets sit where offsets go wrong.
fn tricky(dir: &Path) -> Tricky {
    let gh = fake::github_pat("mask-gh-1");
    let hf = format!(
        "hf_{}",
        fake::Rng::from_label("mask-hf")
            .string(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 34)
    );
    let npm = fake::npm_token("mask-npm-1");
    let stripe = fake::stripe_live_key("mask-stripe-1");
    let gh_start = fake::github_pat("mask-gh-start");
    let stripe_end = fake::stripe_live_key("mask-stripe-end");
    let npm_utf8 = fake::npm_token("mask-npm-utf8");
    let gh_tab = fake::github_pat("mask-gh-tab");
    let gh_long = fake::github_pat("mask-gh-long");
    let gh_added = fake::github_pat("mask-gh-added");
    let aws_id = fake::aws_access_key_id("mask-aws");
    let aws_secret = fake::aws_secret_access_key("mask-aws");
    let npm_env = fake::npm_token("mask-npm-env");
    let gh_arg = fake::github_pat("mask-gh-arg");
    let gh_bin = fake::github_pat("mask-gh-bin");

    // The case from the report: two tokens, the second on a line after the first, then the file
    // overwritten with a redacted copy.
    let tokens = format!("GITHUB_TOKEN={gh}\nHF_TOKEN={hf}\nNPM_TOKEN={npm} STRIPE_KEY={stripe}\n");
    let edge = format!(
        "{gh_start}\nkey: {stripe_end}\ncafé ☕ ünïcode token={npm_utf8}\n\t\tgithub\t{gh_tab}\n{} token {gh_long} end\n",
        "x".repeat(300)
    );
    let creds =
        format!("[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n");
    // The same value without the context the rule needs: no finding here, masked as a known value.
    let creds_later = format!("# rotated; the old key was {aws_secret}\n");
    let path = ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.dir("etc")
                .dir("etc/app")
                .file("etc/app/tokens.txt", tokens.as_bytes())
                .dir("app")
                .file("app/edge.txt", edge.as_bytes())
                .file("app/new.txt", b"clean=1\n")
                .file("app/.aws-credentials", creds.as_bytes())
                // A binary: the hex view masks too.
                .file(
                    "app/tool.bin",
                    &[
                        &b"\x7fELF\x02\x01\0\0\0\0"[..],
                        format!("GITHUB_TOKEN={gh_bin}\0").as_bytes(),
                        &[0u8; 40],
                    ]
                    .concat(),
                )
        })
        .step(&format!("/bin/sh -c #(nop)  ENV NPM_TOKEN={npm_env}"))
        .layer(
            &format!("RUN |1 GITHUB_TOKEN={gh_arg} /bin/sh -c echo build"),
            |l| {
                l.file(
                    "etc/app/tokens.txt",
                    b"HF_TOKEN=<redacted>\nNPM_TOKEN=<redacted>\n",
                )
                .file(
                    "app/new.txt",
                    format!("clean=1\nGITHUB_TOKEN={gh_added}\n").as_bytes(),
                )
                .file("app/.aws-credentials", creds_later.as_bytes())
            },
        )
        .env(&format!("NPM_TOKEN={npm_env}"))
        .write(dir);
    Tricky {
        path,
        planted: vec![
            // The fake key id ends in EXAMPLE, which the rules rightly let pass: not planted.
            gh, hf, npm, stripe, gh_start, stripe_end, npm_utf8, gh_tab, gh_long, gh_added, gh_bin,
            aws_secret, npm_env, gh_arg,
        ],
    }
}

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo/demo.tar")
}

/// Every secret value of the analysis (whole-file findings carry a content digest, not text
/// from the image, and are left out), plus the values planted on purpose.
fn secret_values(a: &Analysis, planted: &[String]) -> Vec<String> {
    let mut v: Vec<String> = a
        .findings
        .iter()
        .map(|f| f.secret.clone())
        .filter(|s| !(s.starts_with("sha256:") && s.len() == 71))
        .chain(planted.iter().cloned())
        .filter(|s| s.chars().count() >= 8)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The 8-character pieces of a secret.
fn windows(secret: &str) -> Vec<String> {
    let c: Vec<char> = secret.chars().collect();
    c.windows(8).map(|w| w.iter().collect()).collect()
}

/// The screen as rows, plus one string with borders and blanks removed so that a secret
/// wrapped over two rows of a pane is still found.
fn texts(b: &Buffer) -> Vec<String> {
    let mut r = rows(b);
    let joined: String = r
        .iter()
        .flat_map(|row| row.chars())
        .filter(|c| !c.is_whitespace() && !('\u{2500}'..='\u{257f}').contains(c))
        .collect();
    r.push(joined);
    r
}

/// Every 8-character piece of every secret, in one automaton.
struct Pieces {
    ac: aho_corasick::AhoCorasick,
    all: Vec<String>,
}

impl Pieces {
    fn new(secrets: &[String]) -> Pieces {
        let mut all: Vec<String> = secrets.iter().flat_map(|s| windows(s)).collect();
        all.sort();
        all.dedup();
        Pieces {
            ac: aho_corasick::AhoCorasick::new(&all).unwrap(),
            all,
        }
    }
    fn find(&self, text: &str) -> Option<&str> {
        self.ac
            .find(text)
            .map(|m| self.all[m.pattern().as_usize()].as_str())
    }
}

fn leak<'p>(b: &Buffer, secrets: &'p Pieces) -> Option<&'p str> {
    texts(b).iter().find_map(|t| secrets.find(t))
}

/// Renders `app` and fails on any piece of any secret. Returns the buffer.
fn check(app: &App, secrets: &Pieces, what: &str) -> Buffer {
    let b = render(app, &Theme::new(true));
    if let Some(w) = leak(&b, secrets) {
        panic!(
            "{what} at {}x{}: secret piece {w:?} on screen while masked:\n{}",
            app.ui.width,
            app.ui.height,
            screen(&b)
        );
    }
    b
}

/// Selects the findings row of finding `fi`: the row of its secret, which stands for every
/// place of that secret.
fn select_finding(app: &mut App, a: &Arc<Analysis>, fi: usize) -> bool {
    focus(app, a, Pane::Findings);
    keys(app, a, &["g"]);
    let n = app.loaded().unwrap().finding_rows();
    for _ in 0..n {
        let v = app.loaded().unwrap();
        if let Some(FindingRow::Own(f)) = v.finding_row(v.findings.sel) {
            if v.model.same[f].contains(&fi) {
                return true;
            }
        }
        keys(app, a, &["j"]);
    }
    false
}

/// Scrolls the preview right step by step to past its longest line, checking each frame.
fn scroll_sideways(app: &mut App, a: &Arc<Analysis>, secrets: &Pieces, what: &str) {
    focus(app, a, Pane::Preview);
    // Seven columns a step, to past the longest line (the 300-column one included).
    for i in 0..48 {
        check(app, secrets, &format!("{what}, scrolled right {i}×"));
        keys(app, a, &["l", "l", "l", "l", "l", "l", "l"]);
    }
    keys(app, a, &["home"]);
    while app.loaded().unwrap().preview.hscroll > 0 {
        keys(app, a, &["h"]);
    }
}

/// Every surface for one finding, masked; then the same with `r`, where the secret must show.
fn every_surface(a: &Arc<Analysis>, fi: usize, secrets: &Pieces, w: u16, h: u16) {
    let f = &a.findings[fi];
    let what = format!("finding {fi} ({}, {:?})", f.rule, f.status);
    let mut app = ready(a, w, h);
    check(&app, secrets, &format!("{what}: first screen"));
    assert!(select_finding(&mut app, a, fi), "{what}: no findings row");
    check(&app, secrets, &format!("{what}: findings list"));
    keys(&mut app, a, &["e"]);
    assert!(
        matches!(app.ui.overlay, Overlay::Explain { .. }),
        "{what}: no explain overlay"
    );
    check(&app, secrets, &format!("{what}: explain overlay"));
    keys(&mut app, a, &["esc", "enter"]);
    check(&app, secrets, &format!("{what}: preview at the match"));
    // A secret's row opens its first place; this one's own file version is opened directly.
    if let (FindingSource::File, Some(layer), Some(path)) = (f.source, f.layer, f.path) {
        let fx = app.goto(layerscope_core::goto::Goto { layer, path });
        drive(&mut app, a, fx);
        check(&app, secrets, &format!("{what}: preview of its version"));
    }
    scroll_sideways(&mut app, a, secrets, &format!("{what}: preview"));
    keys(&mut app, a, &["f"]);
    check(&app, secrets, &format!("{what}: zoomed preview"));
    keys(&mut app, a, &["f", "d"]);
    check(&app, secrets, &format!("{what}: version diff"));
    scroll_sideways(&mut app, a, secrets, &format!("{what}: version diff"));
    keys(&mut app, a, &["d"]);
    // Every other pane with this file selected: history, layer, image, tree.
    for p in [Pane::History, Pane::Layer, Pane::Image, Pane::Tree] {
        focus(&mut app, a, p);
        keys(&mut app, a, &["f"]);
        check(&app, secrets, &format!("{what}: {p:?} zoomed"));
        keys(&mut app, a, &["f"]);
    }
    focus(&mut app, a, Pane::Tree);
    keys(&mut app, a, &["x"]);
    check(&app, secrets, &format!("{what}: export prompt"));
    keys(&mut app, a, &["esc"]);
    // The versions list (step commands) and `e` from the tree and the history.
    keys(&mut app, a, &["v"]);
    check(&app, secrets, &format!("{what}: versions list"));
    keys(&mut app, a, &["esc", "e"]);
    check(&app, secrets, &format!("{what}: explain from the tree"));
    keys(&mut app, a, &["esc"]);
    focus(&mut app, a, Pane::History);
    keys(&mut app, a, &["e"]);
    check(&app, secrets, &format!("{what}: explain from the history"));
    keys(&mut app, a, &["esc"]);
    // A content search for the secret's own first characters lands inside it.
    let needle: String = f.secret.chars().take(4).collect();
    if needle.chars().count() == 4 && !f.secret.starts_with("sha256:") {
        keys(&mut app, a, &["s"]);
        type_text(&mut app, a, &needle);
        keys(&mut app, a, &["enter"]);
        check(
            &app,
            secrets,
            &format!("{what}: search results for {needle:?}"),
        );
        keys(&mut app, a, &["esc"]);
    }

    // Revealed: the secret of this finding is on the screen of its preview or its explanation.
    if f.secret.starts_with("sha256:") {
        return;
    }
    let mut app = ready(a, w, h);
    select_finding(&mut app, a, fi);
    keys(&mut app, a, &["r"]);
    let mut frames = Vec::new();
    keys(&mut app, a, &["e"]);
    frames.push(render(&app, &Theme::new(true)));
    keys(&mut app, a, &["esc", "enter"]);
    frames.push(render(&app, &Theme::new(true)));
    let mine = windows(&f.secret);
    assert!(
        frames.iter().any(|b| texts(b)
            .iter()
            .any(|t| mine.iter().any(|m| t.contains(m.as_str())))),
        "{what}: revealed secret not shown:\n{}",
        frames.iter().map(screen).collect::<Vec<_>>().join("\n\n")
    );
}

fn all_findings_all_surfaces(a: &Arc<Analysis>, planted: &[String]) {
    let secrets = Pieces::new(&secret_values(a, planted));
    assert!(!a.findings.is_empty());
    for (w, h) in SIZES {
        for fi in 0..a.findings.len() {
            every_surface(a, fi, &secrets, w, h);
        }
    }
}

#[test]
fn tricky_image_every_pane_and_overlay_stays_masked() {
    let dir = tempfile::tempdir().unwrap();
    let t = tricky(dir.path());
    let a = analyze(&t.path);
    // The planted tokens are found where a rule can see them (the AWS pair is one finding).
    for s in &t.planted[..11] {
        assert!(
            a.findings.iter().any(|f| &f.secret == s),
            "no finding for {}",
            layerscope_core::secrets::mask(s)
        );
    }
    all_findings_all_surfaces(&a, &t.planted);
}

#[test]
fn demo_image_every_pane_and_overlay_stays_masked() {
    let a = analyze(&demo());
    all_findings_all_surfaces(&a, &[]);
}

/// The report's case: `--goto /etc/app/tokens.txt`, then `d` on the version that overwrote the
/// tokens. Both tokens of the old side are masked on their `-` lines, the second at its own place.
#[test]
fn version_diff_masks_both_secrets_of_the_old_side() {
    let dir = tempfile::tempdir().unwrap();
    let t = tricky(dir.path());
    let a = analyze(&t.path);
    let secrets = Pieces::new(&secret_values(&a, &t.planted));
    for (w, h) in SIZES {
        let mut app = ready(&a, w, h);
        let g = layerscope_core::goto::resolve(&a, "/etc/app/tokens.txt", None).unwrap();
        let fx = app.goto(g);
        drive(&mut app, &a, fx);
        focus(&mut app, &a, Pane::Preview);
        keys(&mut app, &a, &["d"]);
        let b = check(&app, &secrets, "diff of tokens.txt");
        let s = screen(&b);
        assert!(s.contains("-GITHUB_TOKEN=ghp_…"), "{s}");
        // The report's case: the second line's token masked in its own place (`hf_p…`).
        let hf = format!(
            "-HF_TOKEN={}",
            layerscope_core::secrets::mask(&t.planted[1])
        );
        assert!(s.contains(&hf), "{hf}:\n{s}");
        assert!(s.contains("+HF_TOKEN=<redacted>"), "{s}");
        assert!(s.contains("-NPM_TOKEN=npm_…"), "{s}");
        if w >= 160 {
            assert!(s.contains("+NPM_TOKEN=<redacted>"), "{s}");
            assert!(s.contains("STRIPE_KEY=sk_l…"), "{s}");
        }
        keys(&mut app, &a, &["r"]);
        let s = screen(&render(&app, &Theme::new(true)));
        assert!(s.contains(&t.planted[0][..20]), "revealed:\n{s}");
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_layerscope")
}

fn run(args: &[&std::ffi::OsStr]) -> (String, String) {
    let out = Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn no_piece(out: &str, secrets: &[String], what: &str) {
    for s in secrets {
        for w in windows(s) {
            assert!(
                !out.contains(&w),
                "{what}: secret piece {w:?} in output:\n{out}"
            );
        }
    }
}

/// Every CLI output, masked: JSON, SARIF, CI text, `--findings-from` with a report that carries
/// raw secrets, and errors. With `--show-secrets` the JSON holds them.
#[test]
fn every_cli_output_stays_masked() {
    let dir = tempfile::tempdir().unwrap();
    let t = tricky(dir.path());
    let a = analyze(&t.path);
    let secrets = secret_values(&a, &t.planted);
    let img = t.path.as_os_str();
    let o = |s: &'static str| std::ffi::OsStr::new(s);
    // A Trivy report whose Match holds a raw secret.
    let report = dir.path().join("trivy.json");
    let trivy = serde_json::json!({
        "SchemaVersion": 2,
        "Results": [{"Target": "etc/app/tokens.txt", "Class": "secret", "Secrets": [{
            "RuleID": "github-pat", "Category": "GitHub", "Severity": "CRITICAL",
            "Title": "GitHub Personal Access Token", "StartLine": 1, "EndLine": 1,
            "Match": format!("GITHUB_TOKEN={}", t.planted[0]),
            "Layer": {"DiffID": a.layers[0].diff_id}
        }]}]
    });
    std::fs::write(&report, serde_json::to_vec(&trivy).unwrap()).unwrap();
    let cases: Vec<(&str, Vec<&std::ffi::OsStr>)> = vec![
        ("--json", vec![img, o("--json")]),
        ("--sarif -", vec![img, o("--sarif"), o("-")]),
        ("--ci", vec![img, o("--ci")]),
        (
            "--json --findings-from",
            vec![img, o("--json"), o("--findings-from"), report.as_os_str()],
        ),
        (
            "--goto a path no layer holds",
            vec![img, o("--goto"), o("/nope")],
        ),
    ];
    for (what, args) in &cases {
        let (out, err) = run(args);
        no_piece(&out, &secrets, what);
        no_piece(&err, &secrets, what);
    }
    let (out, _) = run(&[img, o("--json"), o("--show-secrets")]);
    for s in &t.planted[..3] {
        assert!(
            out.contains(s.as_str()),
            "--show-secrets keeps {}",
            layerscope_core::secrets::mask(s)
        );
    }
}

/// The compare view (`layerscope diff` on a terminal): histories, files, findings and the diff of
/// each changed file across the two images, masked; the secrets show after `r`.
#[test]
fn compare_view_stays_masked() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use layerscope::tui::compare::{draw, CompareView};
    let dir = tempfile::tempdir().unwrap();
    let t = tricky(dir.path());
    let old_dir = dir.path().join("old");
    std::fs::create_dir_all(&old_dir).unwrap();
    let gh_new = fake::github_pat("mask-compare-new");
    // The other image still ships the tokens the tricky image redacted, on consecutive lines.
    let tokens = format!("GITHUB_TOKEN={}\nHF_TOKEN={}\n", t.planted[0], t.planted[1]);
    let old_path = ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.dir("etc")
                .dir("etc/app")
                .file("etc/app/tokens.txt", tokens.as_bytes())
                .dir("app")
                .file(
                    "app/new.txt",
                    format!("clean=1\nGITHUB_TOKEN={gh_new}\n").as_bytes(),
                )
        })
        .write(&old_dir);
    let new = analyze(&t.path);
    let old = analyze(&old_path);
    let mut planted = t.planted.clone();
    planted.push(gh_new);
    let mut values = secret_values(&new, &planted);
    values.extend(secret_values(&old, &[]));
    let secrets = Pieces::new(&values);
    // Both directions: the tricky image as NEW and as OLD.
    for (o, n) in [(&old, &new), (&new, &old)] {
        let cmp = layerscope_core::compare::compare(o, n);
        for (w, h) in SIZES {
            let mut v = CompareView::new(o, n, &cmp, false);
            let shot = |v: &CompareView, what: &str| {
                let mut term =
                    ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
                term.draw(|f| draw::draw(f, v, &Theme::new(true))).unwrap();
                let b = term.backend().buffer().clone();
                if let Some(p) = leak(&b, &secrets) {
                    panic!(
                        "compare view, {what} at {w}x{h}: secret piece {p:?}:\n{}",
                        screen(&b)
                    );
                }
                b
            };
            let key = |v: &mut CompareView, c: KeyCode| v.key(KeyEvent::new(c, KeyModifiers::NONE));
            shot(&v, "first screen");
            for i in 0..cmp.changes.len() {
                v.files_sel = i;
                v.focus = layerscope::tui::compare::view::Focus::Files;
                key(&mut v, KeyCode::Enter);
                shot(&v, &format!("diff of change {i}"));
                key(&mut v, KeyCode::Esc);
            }
            for _ in 0..4 {
                key(&mut v, KeyCode::Tab);
                shot(&v, "after Tab");
            }
            // Revealed: the tokens of tokens.txt show in its diff.
            let tokens = cmp
                .changes
                .iter()
                .position(|c| c.path == b"etc/app/tokens.txt")
                .unwrap_or_else(|| {
                    let paths: Vec<String> = cmp
                        .changes
                        .iter()
                        .map(|c| String::from_utf8_lossy(&c.path).into_owned())
                        .collect();
                    panic!("tokens.txt not among the changes {paths:?}")
                });
            v.files_sel = tokens;
            v.focus = layerscope::tui::compare::view::Focus::Files;
            key(&mut v, KeyCode::Enter);
            key(&mut v, KeyCode::Char('r'));
            let mut term =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
            term.draw(|f| draw::draw(f, &v, &Theme::new(true))).unwrap();
            let s = screen(term.backend().buffer());
            assert!(s.contains(&t.planted[1][..12]), "revealed:\n{s}");
        }
    }
}

/// A short secret (4–7 bytes) found in ENV is masked wherever a build step echoes it, as long
/// values are; short file values are not searched for elsewhere (they would mask ordinary words).
#[test]
fn a_short_env_secret_is_masked_where_a_build_step_echoes_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = ImageBuilder::new()
        .step("/bin/sh -c #(nop)  ENV DB_PASSWORD=Qx7pZ2k")
        .layer("/bin/sh -c echo Qx7pZ2k > /etc/app.conf", |l| {
            l.dir("etc").file("etc/app.conf", b"x\n")
        })
        .env("DB_PASSWORD=Qx7pZ2k")
        .write(dir.path());
    let a = analyze(&p);
    assert!(
        a.findings.iter().any(|f| f.secret == "Qx7pZ2k"),
        "the ENV value is a finding"
    );
    for h in &a.history {
        let c = h.created_by.as_deref().unwrap();
        assert!(!a.display_text(c, false).contains("Qx7pZ2k"), "{c}");
    }
    assert!(a.history.iter().any(|h| a
        .display_text(h.created_by.as_deref().unwrap(), true)
        .contains("Qx7pZ2k")));
}

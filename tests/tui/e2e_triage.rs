//! End to end, the triage entry points in a real terminal (tmux) on the demo image:
//! `--goto` lands on the flagged file version with its preview and ghost banner; each report
//! format given to `--findings-from` shows in the findings pane with its agreement note, and
//! Enter opens the file; wrong input is one line and exit 2 before any screen is drawn.
//! Skipped with a message when tmux is missing, unless `CI` is set (then it fails).

use std::path::PathBuf;

use crate::support::tmux::{available, Tmux};

/// Raw demo secrets that must never reach the screen masked views show.
const NETRC_SECRET: &str = "GCy63rNyqistafnxN7YLFCWT";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    t: Tmux,
    _config: tempfile::TempDir,
}

fn start(name: &str, w: u16, h: u16, args: &[&str]) -> Run {
    let config = tempfile::tempdir().unwrap();
    let demo = root().join("assets/demo/demo.tar").display().to_string();
    let mut all = vec![demo.as_str()];
    all.extend_from_slice(args);
    let t = Tmux::start(
        name,
        w,
        h,
        env!("CARGO_BIN_EXE_layerscope"),
        &all,
        &[("XDG_CONFIG_HOME", &config.path().display().to_string())],
    );
    Run { t, _config: config }
}

fn report(name: &str) -> String {
    root()
        .join("tests/fixtures/reports")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn goto_a_deleted_file_opens_its_bytes_with_the_ghost_banner() {
    if !available() {
        return;
    }
    let r = start("goto", 160, 48, &["--goto", "/root/.netrc"]);
    let screen = r.t.wait_for_all(&[
        "Files · layer 2",
        "/root/.netrc · 71 B · layer 2",
        "later removed in layer 8 by `RUN rm -f /root/.netrc`: these bytes still ship in layer 2",
        "machine api.example.com login deploy password GCy6…",
    ]);
    assert!(!screen.contains(NETRC_SECRET), "masked:\n{screen}");
    r.t.quit_cleanly();
}

#[test]
fn goto_with_a_layer_opens_that_layer() {
    if !available() {
        return;
    }
    // Layer 8 (the `rm`) by a prefix of its diff_id: the ghost itself.
    let r = start(
        "goto-layer",
        160,
        48,
        &["--goto", "root/.netrc", "--layer", "53c9b21b"],
    );
    let screen = r.t.wait_for_all(&[
        "Files · layer 8",
        "ghost: removed in layer 8 by `RUN rm -f /root/.netrc`, still readable from layer 2",
        "password GCy6…",
    ]);
    assert!(!screen.contains(NETRC_SECRET), "masked:\n{screen}");
    r.t.quit_cleanly();
}

/// Starts with one report, checks the first external finding and its note, presses Enter and
/// checks the view landed on the file.
fn report_roundtrip(name: &str, file: &str, row: &str, note: &str, title: &str) {
    let r = start(name, 240, 50, &["--findings-from", &report(file)]);
    let screen = r.t.wait_for_all(&[" from reports ", row]);
    r.t.wait_for_wrapped(&[note]);
    assert!(!screen.contains(NETRC_SECRET), "masked:\n{screen}");
    r.t.keys(&["Enter"]);
    let screen = r.t.wait_for_wrapped(&[title, note]);
    assert!(!screen.contains(NETRC_SECRET), "masked:\n{screen}");
    r.t.quit_cleanly();
}

#[test]
fn trivy_report_in_the_findings_pane() {
    if !available() {
        return;
    }
    report_roundtrip(
        "trivy",
        "trivy-demo.json",
        "[trivy] HIGH deleted, agrees L2 /root/.netrc:1 Netrc password",
        "the scanner says /root/.netrc is in the image, but the final filesystem no longer shows it: deleted in layer 8 by `rm -f /root/.netrc`; its bytes stay in layer 2",
        "/root/.netrc · 71 B · layer 2",
    );
}

#[test]
fn sarif_report_in_the_findings_pane() {
    if !available() {
        return;
    }
    report_roundtrip(
        "sarif",
        "findings-demo.sarif",
        "[gitleaks] HIGH deleted, agrees L4 /root/.ssh/id_ed25519:1",
        "deleted in layer 6 by `sh ./scripts/fetch-private-deps.sh && rm -rf /root/.ssh /root/.aws`; its bytes stay in layer 4",
        "/root/.ssh/id_ed25519 · ",
    );
}

#[test]
fn kingfisher_report_in_the_findings_pane() {
    if !available() {
        return;
    }
    let r = start(
        "kingfisher",
        240,
        50,
        &["--findings-from", &report("kingfisher-demo.json")],
    );
    let note = "deleted in layer 8 by `rm -f /root/.netrc`; its bytes stay in layer 2";
    r.t.wait_for_all(&[
        "[kingfisher] MED  deleted, agrees L2 /root/.netrc:1 Netrc Credentials",
        "[kingfisher] HIGH deleted, agrees L4 /root/.aws/credentials:3",
    ]);
    r.t.wait_for_wrapped(&[note]);
    // The details show the report's snippet, masked.
    r.t.keys(&["e"]);
    let screen = r.t.wait_for_all(&["Finding from a report", "Match: GCy6…"]);
    assert!(!screen.contains(NETRC_SECRET), "masked:\n{screen}");
    r.t.keys(&["Escape"]);
    r.t.wait_for_wrapped(&[note]);
    r.t.keys(&["Enter"]);
    let screen =
        r.t.wait_for_wrapped(&["/root/.netrc · 71 B · layer 2", note]);
    assert!(!screen.contains(NETRC_SECRET), "masked:\n{screen}");
    r.t.quit_cleanly();
}

/// An error exits 2 with one line, and no view was ever drawn.
fn one_line_error(name: &str, args: &[&str], needle: &str) {
    let r = start(name, 160, 20, args);
    let screen = r.t.wait_for_all(&["EXITED-2"]);
    assert!(screen.contains(needle), "{needle:?} not in:\n{screen}");
    assert!(!screen.contains("History ·"), "no view drawn:\n{screen}");
    let lines: Vec<&str> = screen
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("EXITED-"))
        .collect();
    assert_eq!(lines.len(), 1, "one line:\n{screen}");
    assert!(lines[0].starts_with("layerscope: "), "{screen}");
    let alt = r.t.cmd(&[
        "display-message",
        "-p",
        "-t",
        &r.t.session,
        "#{alternate_on}",
    ]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0");
}

#[test]
fn goto_a_missing_path_exits_2_with_one_line() {
    if !available() {
        return;
    }
    one_line_error(
        "goto-missing",
        &["--goto", "/no/such/file"],
        "--goto /no/such/file: no layer of this image has that path",
    );
}

#[test]
fn findings_from_a_non_report_exits_2_with_one_line() {
    if !available() {
        return;
    }
    let cargo = root().join("Cargo.toml").display().to_string();
    one_line_error(
        "not-a-report",
        &["--findings-from", &cargo],
        "Cargo.toml: not JSON",
    );
}

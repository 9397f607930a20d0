//! End to end: the real binary in a real terminal (tmux). Opens a test image, moves to the
//! layer that deleted a secret file, sees the ghost mark, opens its preview and the banner, quits
//! with q and checks the terminal was given back (alternate screen left, shell output visible).
//! Skipped with a message when tmux is missing, unless `CI` is set (then it fails).

use crate::support::tmux::{available, Tmux};

#[test]
fn open_find_the_ghost_preview_it_and_quit_cleanly() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = crate::support::tui::sample(dir.path());
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let t = Tmux::start(
        "e2e",
        120,
        40,
        env!("CARGO_BIN_EXE_layerscope"),
        &[image.to_str().unwrap()],
        &[("XDG_CONFIG_HOME", config.to_str().unwrap())],
    );
    t.wait_for_all(&["History · 4 steps", "Findings · 1"]);
    // The last layer is selected; go up to the layer that ran `rm`: the deleted secret file
    // shows with the ghost mark (†) and the finding mark (!).
    t.keys(&["k"]);
    t.wait_for_all(&["Layer L1 · step", "!† ", ".aws-credentials [ghost]"]);
    // Into the tree (Enter on a history row), down to the ghost, open its preview.
    t.keys(&["Enter", "j", "Enter"]);
    let screen = t.wait_for_all(&["ghost: removed in layer 1", "still readable from layer 0"]);
    assert!(
        !screen.contains("AKIAQYLPMN5HFIQR7XYZ"),
        "secret masked:\n{screen}"
    );
    t.quit_cleanly();
}

/// The README's run command with no image: the demo opens and says so; the findings pane jumps
/// to a deleted secret, the preview shows the ghost banner with the secret masked, `r` reveals it.
#[test]
fn demo_findings_jump_banner_reveal() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(
        "demo",
        120,
        40,
        env!("CARGO_BIN_EXE_layerscope"),
        &[],
        &[("XDG_CONFIG_HOME", dir.path().to_str().unwrap())],
    );
    t.wait_for_all(&["Demo image", "layerscope/demo:latest", "in 13 places"]);
    // Tab follows the left column: History -> Layer -> Image -> Findings; the first finding is
    // the deleted AWS credentials.
    t.keys(&["Tab", "Tab", "Tab", "Enter"]);
    let screen = t.wait_for_all(&[
        "/root/.aws/credentials · ",
        "later removed in layer 6",
        "still ship in layer 4",
    ]);
    let secret = "r+atqFCtC2wDTcZhwBEKSADIGvlW";
    assert!(!screen.contains(secret), "masked before reveal:\n{screen}");
    t.keys(&["r"]);
    t.wait_for_all(&[secret]);
    t.quit_cleanly();
}

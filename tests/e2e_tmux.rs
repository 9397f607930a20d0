//! End to end: the real binary in a real terminal (tmux). Opens a test image, moves to the
//! layer that deleted a secret file, sees the ghost mark, opens its preview and the banner, quits
//! with q and checks the terminal was given back (alternate screen left, shell output visible).
//! Skipped with a message when tmux is missing, unless `CI` is set (then it fails).

mod tui_support;

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }
    fn capture(&self) -> String {
        let out = self.cmd(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }
    /// Waits until every text is on screen at once (a capture can catch a frame half drawn).
    fn wait_for_all(&self, texts: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!("timed out waiting for {texts:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Only the private server this test started.
        let _ = self.cmd(&["kill-server"]);
    }
}

#[test]
fn open_find_the_ghost_preview_it_and_quit_cleanly() {
    if Command::new("tmux").arg("-V").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("tmux is required for the end-to-end test when CI is set");
        }
        println!("SKIPPED: tmux not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = tui_support::sample(dir.path());
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let bin = env!("CARGO_BIN_EXE_layerscope");
    let t = Tmux {
        socket: format!("layerscope-e2e-{}", std::process::id()),
        session: "e2e".into(),
    };
    let script = format!(
        "env -u NO_COLOR XDG_CONFIG_HOME='{}' '{}' '{}'; echo EXITED-$?; sleep 60",
        config.display(),
        bin,
        image.display()
    );
    let out = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        &t.session,
        "-x",
        "120",
        "-y",
        "40",
        &script,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    t.wait_for_all(&["History · 4 steps", "Findings · 1"]);
    // The last layer is selected; go up to the layer that ran `rm`: the deleted secret file
    // shows with the ghost mark (†) and the finding mark (!).
    t.keys(&["k"]);
    t.wait_for_all(&["Layer 1 of 3", "!† ", ".aws-credentials [ghost]"]);
    // Into the tree, down to the ghost, open its preview.
    t.keys(&["Tab", "j", "Enter"]);
    let screen = t.wait_for_all(&["ghost: removed in layer 1", "still readable from layer 0"]);
    assert!(
        !screen.contains("AKIAQYLPMN5HFIQR7XYZ"),
        "secret masked:\n{screen}"
    );
    // Quit: the shell gets its screen back.
    t.keys(&["q"]);
    let screen = t.wait_for_all(&["EXITED-0"]);
    assert!(
        !screen.contains("History ·"),
        "TUI still on screen:\n{screen}"
    );
    let alt = t.cmd(&["display-message", "-p", "-t", &t.session, "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0");
}

/// The README's run command with no image: the demo opens and says so; the findings pane jumps
/// to a deleted secret, the preview shows the ghost banner with the secret masked, `r` reveals it.
#[test]
fn demo_findings_jump_banner_reveal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("tmux is required for the end-to-end test when CI is set");
        }
        println!("SKIPPED: tmux not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux {
        socket: format!("layerscope-demo-{}", std::process::id()),
        session: "demo".into(),
    };
    let script = format!(
        "cd '{}' && env -u NO_COLOR XDG_CONFIG_HOME='{}' '{}'; echo EXITED-$?; sleep 60",
        env!("CARGO_MANIFEST_DIR"),
        dir.path().display(),
        env!("CARGO_BIN_EXE_layerscope"),
    );
    let out = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        &t.session,
        "-x",
        "120",
        "-y",
        "40",
        &script,
    ]);
    assert!(out.status.success());
    t.wait_for_all(&["Demo image", "layerscope/demo:latest", "Findings · 13"]);
    // History -> Tree -> Preview -> Findings; the first finding is the deleted AWS credentials.
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
    t.keys(&["q"]);
    let screen = t.wait_for_all(&["EXITED-0"]);
    assert!(
        !screen.contains("Demo image"),
        "TUI still on screen:\n{screen}"
    );
    let alt = t.cmd(&["display-message", "-p", "-t", &t.session, "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0");
}

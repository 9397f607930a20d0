//! A private tmux server for end-to-end tests of the real binary: start a command in a
//! detached session of a given size, send keys, capture the screen. Killed on drop (only the
//! server the test started).

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
    pub session: String,
}

/// Is tmux there? When it is not: `false` after printing why the test is skipped, or a panic
/// when `CI` is set.
pub fn available() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("tmux is required for the end-to-end tests when CI is set");
    }
    println!("SKIPPED: tmux not installed");
    false
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Tmux {
    /// Runs `bin args…` in a new `w`×`h` session, then prints `EXITED-<code>` and waits, so the
    /// exit code and anything printed stay on screen.
    pub fn start(
        name: &str,
        w: u16,
        h: u16,
        bin: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Tmux {
        let t = Tmux {
            socket: format!("layerscope-{name}-{}", std::process::id()),
            session: "e2e".into(),
        };
        let envs: Vec<String> = env
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(v)))
            .collect();
        let argv: Vec<String> = args.iter().map(|a| quote(a)).collect();
        let script = format!(
            "env -u NO_COLOR {} {} {}; echo EXITED-$?; sleep 60",
            envs.join(" "),
            quote(bin),
            argv.join(" ")
        );
        let out = t.cmd(&[
            "new-session",
            "-d",
            "-s",
            &t.session,
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            &script,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    pub fn capture(&self) -> String {
        let out = self.cmd(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
        // A lone Escape followed at once by another key reads as Alt+key: let the terminal
        // reader see it alone first (the next wait may return before the app has read it).
        if keys.last() == Some(&"Escape") {
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Waits until every text is on screen at once (a capture can catch a frame half drawn).
    pub fn wait_for_all(&self, texts: &[&str]) -> String {
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

    /// Waits until the load has ended: `texts` on screen and nothing that says it is still
    /// loading (the status line, a pane that waits, findings "so far").
    pub fn wait_for_loaded(&self, texts: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            let loading = ["loading: ", "· loading ", "so far: ", "downloading "]
                .iter()
                .any(|t| screen.contains(t));
            if !loading && texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(60) {
                panic!("timed out waiting for the load to end with {texts:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// As `wait_for_all`, with runs of whitespace and line breaks counted as one space: for text
    /// the screen wraps (the status area's notes).
    pub fn wait_for_wrapped(&self, texts: &[&str]) -> String {
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let start = Instant::now();
        loop {
            let screen = self.capture();
            let flat = norm(&screen);
            if texts.iter().all(|t| flat.contains(&norm(t))) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!("timed out waiting for {texts:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Quits with q and checks the shell got its screen back.
    pub fn quit_cleanly(&self) {
        self.keys(&["q"]);
        let screen = self.wait_for_all(&["EXITED-0"]);
        assert!(
            !screen.contains("History ·"),
            "TUI still on screen:\n{screen}"
        );
        let alt = self.cmd(&[
            "display-message",
            "-p",
            "-t",
            &self.session,
            "#{alternate_on}",
        ]);
        assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Only the private server this test started.
        let _ = self.cmd(&["kill-server"]);
    }
}

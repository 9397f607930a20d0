//! A private `dockerd` for integration tests (Debian package `docker.io`).
//!
//! Usage from a test file:
//! ```ignore
//! mod common;
//! use common::dockerd;
//! #[test]
//! fn t() {
//!     let _serial = dockerd::serial();
//!     let Some(d) = dockerd::shared() else { return }; // prints SKIPPED
//!     d.docker(&["load", "-i", "tests/fixtures/built/nobin.docker20-save.tar"]).unwrap();
//!     // talk to d.host ("unix:///tmp/lsd-XXXX/docker.sock")
//! }
//! ```
//! The daemon runs in its own process group with its own `--data-root`, `--exec-root`,
//! `--pidfile`, socket and containerd namespaces under a fresh `/tmp/lsd-*` directory, so it
//! coexists with a system daemon and with other test runs. It is stopped (SIGTERM to its
//! process group, SIGKILL after 20 s, then its managed containerd) and its directory removed:
//! - by [`Dockerd::stop`] / `Drop` for an owned instance;
//! - at process exit (`atexit`) for the [`shared`] one, which also covers failing tests;
//! - by a watchdog shell if the test process dies without running exit handlers (SIGKILL, ^C).
//!
//! Without a usable dockerd (not installed, not root) [`shared`] prints `SKIPPED: dockerd not
//! available (…)` and returns `None`, unless `LAYERSCOPE_REQUIRE_DOCKERD=1`, where it panics.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long to wait for the socket to answer `/_ping`.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Dockerd {
    /// The private directory (data root, exec root, socket, log); removed on stop.
    pub dir: PathBuf,
    pub socket: PathBuf,
    /// `unix://<socket>`, for `DOCKER_HOST`.
    pub host: String,
    /// dockerd's PID, also its process group.
    pub pid: u32,
    /// From spawn to the first successful `/_ping`.
    pub startup: Duration,
    /// `dockerd --version`.
    pub version: String,
    docker_cli: PathBuf,
    state: Mutex<State>,
}

struct State {
    child: Option<Child>,
    watchdog: Option<Child>,
}

static SHARED: OnceLock<Result<Dockerd, String>> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());

/// Serialises the tests of a binary that use the daemon (or the process environment).
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether `LAYERSCOPE_REQUIRE_DOCKERD=1` is set.
pub fn required() -> bool {
    std::env::var("LAYERSCOPE_REQUIRE_DOCKERD").is_ok_and(|v| v == "1")
}

/// The daemon shared by all tests of this binary, started on first use. `None` (after printing
/// `SKIPPED: …`) when no dockerd can be started, unless `LAYERSCOPE_REQUIRE_DOCKERD=1`.
pub fn shared() -> Option<&'static Dockerd> {
    let res = SHARED.get_or_init(|| {
        let r = Dockerd::start();
        if r.is_ok() {
            extern "C" fn stop_shared() {
                if let Some(Ok(d)) = SHARED.get() {
                    d.stop();
                }
            }
            // SAFETY: registering a plain `extern "C" fn` with no captured state.
            unsafe {
                libc::atexit(stop_shared);
            }
        }
        r
    });
    match res {
        Ok(d) => Some(d),
        Err(why) => {
            if required() {
                panic!("dockerd not available ({why}) and LAYERSCOPE_REQUIRE_DOCKERD=1");
            }
            println!("SKIPPED: dockerd not available ({why})");
            // Straight to the process's stderr, past libtest's capture, once per binary.
            static TOLD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
            if !TOLD.swap(true, std::sync::atomic::Ordering::Relaxed) {
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: dockerd not available ({why}); set LAYERSCOPE_REQUIRE_DOCKERD=1 to fail instead"
                );
            }
            None
        }
    }
}

/// Finds an executable in `PATH`, then in the sbin directories (not in a non-root `PATH`).
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

impl Dockerd {
    /// Starts a private daemon and waits (at most [`START_TIMEOUT`]) until it answers `/_ping`.
    pub fn start() -> Result<Dockerd, String> {
        let dockerd = match std::env::var_os("DOCKERD") {
            Some(p) => PathBuf::from(p),
            None => which("dockerd").ok_or("no `dockerd` in PATH; apt-get install docker.io")?,
        };
        let docker_cli = match std::env::var_os("DOCKER_CLI") {
            Some(p) => PathBuf::from(p),
            None => which("docker").ok_or("no `docker` CLI in PATH; apt-get install docker.io")?,
        };
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not root; a private dockerd needs root".into());
        }
        let version = Command::new(&dockerd)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .map_err(|e| format!("cannot run {}: {e}", dockerd.display()))?;

        // Short path: unix socket paths (ours and containerd's under the exec root) have a
        // 108-byte limit.
        let dir = tempfile::Builder::new()
            .prefix("lsd-")
            .tempdir_in("/tmp")
            .map_err(|e| format!("temp dir: {e}"))?
            .keep();
        let socket = dir.join("docker.sock");
        let host = format!("unix://{}", socket.display());
        let config = dir.join("daemon.json");
        std::fs::write(&config, "{}\n").map_err(|e| e.to_string())?;
        std::fs::create_dir_all(dir.join("cli")).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join("dockerd.log")).map_err(|e| e.to_string())?;
        let ns = format!(
            "layerscope-test-{}-{}",
            std::process::id(),
            dir.file_name().unwrap().to_string_lossy()
        );

        let started = Instant::now();
        let child = Command::new(&dockerd)
            .arg("--config-file")
            .arg(&config)
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("dockerd.pid"))
            .arg("-H")
            .arg(&host)
            .args(["--storage-driver", "vfs"])
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .arg("--containerd-namespace")
            .arg(&ns)
            .arg("--containerd-plugins-namespace")
            .arg(format!("{ns}-plugins"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", dockerd.display()))?;
        let pid = child.id();

        // Stops the daemon if this process dies without running its exit handlers.
        let watchdog = Command::new("/bin/sh")
            .arg("-c")
            .arg(
                r#"while kill -0 "$0" 2>/dev/null; do sleep 1; done
kill -0 "-$1" 2>/dev/null || exit 0
kill -TERM "-$1" 2>/dev/null
i=0; while kill -0 "-$1" 2>/dev/null && [ $i -lt 20 ]; do sleep 1; i=$((i+1)); done
kill -KILL "-$1" 2>/dev/null
c=$(cat "$2/exec/containerd/containerd.pid" 2>/dev/null) && grep -qF "$2" "/proc/$c/cmdline" 2>/dev/null && kill -KILL "$c"
rm -rf "$2""#,
            )
            .arg(std::process::id().to_string())
            .arg(pid.to_string())
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok();

        let mut d = Dockerd {
            dir,
            socket,
            host,
            pid,
            startup: Duration::ZERO,
            version,
            docker_cli,
            state: Mutex::new(State {
                child: Some(child),
                watchdog,
            }),
        };
        // On error `d` is dropped, which stops the daemon and removes the directory.
        d.startup = d.wait_ready(started)?;
        Ok(d)
    }

    fn wait_ready(&self, started: Instant) -> Result<Duration, String> {
        loop {
            if ping(&self.socket) {
                return Ok(started.elapsed());
            }
            let exited = {
                let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                st.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
            };
            if let Some(status) = exited {
                return Err(format!(
                    "dockerd exited with {status} during startup: {}",
                    self.log_tail(5)
                ));
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "dockerd did not answer /_ping within {} s: {}",
                    START_TIMEOUT.as_secs(),
                    self.log_tail(5)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last `n` lines of the daemon's log, joined with " | ".
    pub fn log_tail(&self, n: usize) -> String {
        let log = std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join(" | ")
    }

    /// Runs the docker CLI against this daemon; stdout on success.
    pub fn docker(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(&self.docker_cli)
            .args(args)
            .env("DOCKER_HOST", &self.host)
            .env("DOCKER_CONFIG", self.dir.join("cli"))
            .env_remove("DOCKER_CONTEXT")
            .env_remove("DOCKER_TLS_VERIFY")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.docker_cli.display()))?;
        if !out.status.success() {
            return Err(format!(
                "docker {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `docker load -i tar`; returns the loaded names/IDs from the CLI's output.
    pub fn load(&self, tar: &Path) -> Result<Vec<String>, String> {
        let out = self.docker(&["load", "-i", &tar.to_string_lossy()])?;
        Ok(out
            .lines()
            .filter_map(|l| {
                l.strip_prefix("Loaded image: ")
                    .or_else(|| l.strip_prefix("Loaded image ID: "))
            })
            .map(|s| s.trim().to_string())
            .collect())
    }

    /// Stops the daemon (idempotent): SIGTERM to its process group, SIGKILL after 20 s, then
    /// its managed containerd if still there; removes the directory.
    pub fn stop(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut w) = st.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let Some(mut child) = st.child.take() else {
            return;
        };
        let containerd_pid =
            std::fs::read_to_string(self.dir.join("exec/containerd/containerd.pid"))
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok());
        let pgid = self.pid as i32;
        // SAFETY: kill(2) on our own child's process group.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    // SAFETY: as above.
                    unsafe {
                        libc::kill(-pgid, libc::SIGKILL);
                    }
                    let _ = child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        // dockerd stops the containerd it started; make sure (it runs in its own session).
        if let Some(cpid) = containerd_pid {
            let deadline = Instant::now() + Duration::from_secs(5);
            // SAFETY: signal 0 only probes; the pid came from the daemon's own pid file.
            while unsafe { libc::kill(cpid, 0) } == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if unsafe { libc::kill(cpid, 0) } == 0 && is_our_containerd(cpid, &self.dir) {
                unsafe {
                    libc::kill(cpid, libc::SIGKILL);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether `pid` is a containerd whose command line mentions our directory.
fn is_our_containerd(pid: i32, dir: &Path) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            String::from_utf8_lossy(&c)
                .replace('\0', " ")
                .contains(&*dir.to_string_lossy())
        })
        .unwrap_or(false)
}

/// `GET /_ping` answered `200`.
pub fn ping(socket: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /_ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 16];
    let mut got = 0;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    buf[..got].starts_with(b"HTTP/1.1 200") || buf[..got].starts_with(b"HTTP/1.0 200")
}

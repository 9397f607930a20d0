//! The podman source against a real podman service.

use super::*;

/// A real Podman service (rootful, vfs storage, private root and runroot) for `podman://`.
struct PodmanService {
    child: Child,
    dir: tempfile::TempDir,
}

impl PodmanService {
    fn base_args(dir: &Path) -> Vec<String> {
        let p = |n: &str| dir.join(n).display().to_string();
        vec![
            "--storage-driver".into(),
            "vfs".into(),
            "--root".into(),
            p("root"),
            "--runroot".into(),
            p("run"),
            "--cgroup-manager".into(),
            "cgroupfs".into(),
            "--events-backend".into(),
            "file".into(),
        ]
    }

    fn start() -> Result<PodmanService, String> {
        let dir = tempfile::Builder::new()
            .prefix("lsp-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let sock = dir.path().join("podman.sock");
        let log = std::fs::File::create(dir.path().join("service.log")).unwrap();
        let child = Command::new("podman")
            .args(Self::base_args(dir.path()))
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", sock.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut svc = PodmanService { child, dir };
        let started = Instant::now();
        loop {
            if let Ok(mut s) = std::os::unix::net::UnixStream::connect(&sock) {
                let _ = s.write_all(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n");
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                if out.ends_with("OK") {
                    return Ok(svc);
                }
            }
            if let Ok(Some(st)) = svc.child.try_wait() {
                return Err(format!(
                    "podman system service exited ({st}): {}",
                    std::fs::read_to_string(svc.dir.path().join("service.log")).unwrap_or_default()
                ));
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err("podman system service did not answer /_ping in 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("podman.sock").display())
    }

    /// `podman load`; returns the name it loaded the image as.
    fn load(&self, tar: &Path) -> String {
        let out = sh(Command::new("podman")
            .args(Self::base_args(self.dir.path()))
            .args(["load", "-q", "-i"])
            .arg(tar));
        out.lines()
            .find_map(|l| l.strip_prefix("Loaded image: "))
            .unwrap_or_else(|| panic!("podman load said: {out}"))
            .trim()
            .to_string()
    }
}

impl Drop for PodmanService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn podman_source_against_a_real_podman_service() {
    let why = if which("podman").is_none() {
        Some("podman not installed".to_string())
    } else if unsafe { libc::geteuid() } != 0 {
        Some("the Podman test runs rootful (not root)".to_string())
    } else {
        None
    };
    let svc = match why.map_or_else(PodmanService::start, Err) {
        Ok(s) => s,
        Err(why) if std::env::var_os("CI").is_some() => panic!("CI is set but {why}"),
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    let work = tempfile::tempdir().unwrap();
    let tar = work.path().join("demo.tar");
    imagegen::write_image(
        &demo(),
        Layout::DockerLegacy,
        imagegen::Compression::None,
        &tar,
    )
    .unwrap();
    let name = svc.load(&tar);
    let mut env = Env::new();
    env.vars.retain(|(k, _)| k != "CONTAINER_HOST");
    env.set("CONTAINER_HOST", svc.host());
    let v = env.json(&[&format!("podman://{name}"), "--json"]);
    assert_eq!(v["image"]["format"], "podman-daemon");
    let from_tar = env.json(&[tar.to_str().unwrap(), "--json"]);
    assert_eq!(analysis_only(v), analysis_only(from_tar.clone()));
    // A bare name with no Docker daemon: Podman answers, and --pull never keeps it local.
    let v = env.json(&[&name, "--json", "--pull", "never"]);
    assert_eq!(v["image"]["format"], "podman-daemon");
    assert_eq!(analysis_only(v), analysis_only(from_tar));
}

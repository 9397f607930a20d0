//! The registry source against the real Debian `docker-registry` (CNCF distribution 2.8),
//! started per test on 127.0.0.1 with a private storage directory, a CA and certificate made
//! here with `openssl`, htpasswd Basic auth or Bearer challenges (`auth: silly` pointing at a
//! token endpoint in this file), and images pushed with `skopeo copy` from layouts written by
//! `imagegen`. Faults the real server does not make on demand (429, a connection cut mid-blob)
//! come from a small scripted server here.
//!
//! Without `docker-registry`, `skopeo` or `openssl` the tests print SKIPPED, unless `CI` is set,
//! where they fail.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use layerscope_imagegen as imagegen;
use layerscope_imagegen::{fake, ImageSpec, Layout, Node, Step};
use serde_json::Value;

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|c| c.is_file())
    })
}

/// `true` when the tools are here; otherwise SKIPPED locally, a failure under CI.
fn tools() -> bool {
    let missing: Vec<&str> = ["docker-registry", "skopeo", "openssl"]
        .into_iter()
        .filter(|t| which(t).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI is set but {} is not installed", missing.join(", "));
    }
    println!("SKIPPED: {} not installed", missing.join(", "));
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A CA and a server certificate for 127.0.0.1 / localhost signed by it.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(dir: &Path) -> Pki {
    let p = |n: &str| dir.join(n);
    sh(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=layerscope test CA", "-keyout"])
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem")));
    sh(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(p("key.pem"))
        .arg("-out")
        .arg(p("req.csr")));
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    sh(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-in"])
        .arg(p("req.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-CAcreateserial")
        .arg("-extfile")
        .arg(p("ext.cnf"))
        .arg("-out")
        .arg(p("cert.pem")));
    Pki {
        ca: p("ca.pem"),
        cert: p("cert.pem"),
        key: p("key.pem"),
    }
}

enum Auth {
    None,
    /// htpasswd with one user.
    Basic(String, String),
    /// Bearer challenges pointing at this realm.
    Silly(String),
}

struct Registry {
    /// `127.0.0.1:PORT`.
    host: String,
    data: PathBuf,
    log: PathBuf,
    child: Child,
}

impl Registry {
    fn start(dir: &Path, auth: Auth, tls: Option<&Pki>, redirect_to: Option<u16>) -> Registry {
        let port = free_port();
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        let mut cfg = format!(
            "version: 0.1\nlog: {{level: info, accesslog: {{disabled: false}}}}\n\
             storage: {{filesystem: {{rootdirectory: {}}}, delete: {{enabled: true}}}}\n",
            data.display()
        );
        match tls {
            Some(p) => cfg.push_str(&format!(
                "http: {{addr: \"127.0.0.1:{port}\", tls: {{certificate: {}, key: {}}}}}\n",
                p.cert.display(),
                p.key.display()
            )),
            None => cfg.push_str(&format!("http: {{addr: \"127.0.0.1:{port}\"}}\n")),
        }
        match auth {
            Auth::None => {}
            Auth::Basic(u, pw) => {
                let hash = bcrypt::hash_with_result(&pw, 4)
                    .unwrap()
                    .format_for_version(bcrypt::Version::TwoY);
                let f = dir.join("htpasswd");
                std::fs::write(&f, format!("{u}:{hash}\n")).unwrap();
                cfg.push_str(&format!(
                    "auth: {{htpasswd: {{realm: test, path: {}}}}}\n",
                    f.display()
                ));
            }
            Auth::Silly(realm) => cfg.push_str(&format!(
                "auth: {{silly: {{realm: \"{realm}\", service: test}}}}\n"
            )),
        }
        if let Some(p) = redirect_to {
            cfg.push_str(&format!(
                "middleware: {{storage: [{{name: redirect, options: {{baseurl: \"http://127.0.0.1:{p}/\"}}}}]}}\n"
            ));
        }
        let conf = dir.join("config.yml");
        std::fs::write(&conf, cfg).unwrap();
        let log = dir.join("registry.log");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::options().append(true).open(&log).unwrap())
            .spawn()
            .expect("start docker-registry");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "docker-registry did not listen: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry {
            host: format!("127.0.0.1:{port}"),
            data,
            log,
            child,
        }
    }

    /// Blob GETs layerscope made, from the registry's access log.
    fn blob_gets(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"GET /v2/") && l.contains("/blobs/sha256:"))
            .filter(|l| l.contains("layerscope/"))
            .count()
    }

    /// `skopeo copy` of a layout into the registry (`--all` keeps every platform of an index).
    fn push(&self, src: &str, name: &str, creds: Option<(&str, &str)>) {
        let mut c = Command::new("skopeo");
        c.args(["copy", "--all", "--quiet", "--dest-tls-verify=false"]);
        if let Some((u, p)) = creds {
            c.arg(format!("--dest-creds={u}:{p}"));
        }
        c.arg(src).arg(format!("docker://{}/{name}", self.host));
        sh(&mut c);
    }

    /// Writes `spec` as an OCI layout under `work` and pushes it as `name`.
    fn push_image(
        &self,
        work: &Path,
        spec: &ImageSpec,
        c: imagegen::Compression,
        name: &str,
        creds: Option<(&str, &str)>,
    ) -> imagegen::WrittenImage {
        let oci = work.join("oci");
        let w = write_oci(spec, c, &oci);
        self.push(&format!("oci:{}", oci.display()), name, creds);
        w
    }

    /// The blob file of `digest` in the registry's storage.
    fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.data
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP request as a scripted server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: BTreeMap<String, String>,
    body: String,
}

type Script = dyn Fn(&Seen, &mut TcpStream) + Send + Sync;

/// A tiny loopback HTTP server: one thread per connection, one request per connection.
struct Mini {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mini {
    fn start(script: impl Fn(&Seen, &mut TcpStream) + Send + Sync + 'static) -> Mini {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let s2 = seen.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut conn) = conn else { return };
                let (script, seen) = (script.clone(), s2.clone());
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut b = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
                        match conn.read(&mut b) {
                            Ok(1) => head.push(b[0]),
                            _ => return,
                        }
                        if head == [0x16] {
                            // A TLS ClientHello: answer as Go's plain HTTP server does.
                            let _ = conn.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
                            return;
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let mut lines = text.lines();
                    let path = lines
                        .next()
                        .and_then(|l| l.split(' ').nth(1))
                        .unwrap_or("")
                        .to_string();
                    let headers = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let headers: BTreeMap<String, String> = headers;
                    let len = headers
                        .get("content-length")
                        .and_then(|l| l.parse::<usize>().ok())
                        .unwrap_or(0)
                        .min(1 << 20);
                    let mut body = vec![0u8; len];
                    if conn.read_exact(&mut body).is_err() {
                        return;
                    }
                    let body = String::from_utf8_lossy(&body).into_owned();
                    let req = Seen {
                        path,
                        headers,
                        body,
                    };
                    seen.lock().unwrap().push(req.clone());
                    script(&req, &mut conn);
                    let _ = conn.flush();
                });
            }
        });
        Mini { port, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn respond(w: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = w.write_all(out.as_bytes());
    let _ = w.write_all(body);
}

/// A private environment for one run of the binary: its own HOME, cache and docker config.
struct Env {
    dir: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for d in ["home", "cache", "docker", "bin"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let p = |n: &str| dir.path().join(n).display().to_string();
        let path = format!("{}:{}", p("bin"), std::env::var("PATH").unwrap_or_default());
        let vars = vec![
            ("PATH".into(), path),
            ("HOME".into(), p("home")),
            ("XDG_CACHE_HOME".into(), p("cache")),
            ("DOCKER_CONFIG".into(), p("docker")),
            // No daemon: a bare name must not find one by accident.
            (
                "DOCKER_HOST".into(),
                format!("unix://{}", p("no-docker.sock")),
            ),
            (
                "CONTAINER_HOST".into(),
                format!("unix://{}", p("no-podman.sock")),
            ),
        ];
        Env { dir, vars }
    }

    fn set(&mut self, k: &str, v: impl Into<String>) {
        self.vars.push((k.into(), v.into()));
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn login(&self, host: &str, user: &str, pw: &str) {
        use base64::Engine;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"));
        std::fs::write(
            self.path("docker/config.json"),
            serde_json::json!({"auths": {host: {"auth": auth}}}).to_string(),
        )
        .unwrap();
    }

    /// Runs layerscope; returns (exit code, stdout, stderr).
    fn run(&self, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
        let mut c = Command::new(crate::support::common::bin());
        c.env_clear().args(args);
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("run layerscope");
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args, None);
        assert_eq!(code, 0, "layerscope {args:?} failed: {err}");
        serde_json::from_str(&out).unwrap()
    }

    fn cached_blobs(&self) -> usize {
        std::fs::read_dir(self.path("cache/layerscope/blobs/sha256"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

fn one_line_error(code: i32, err: &str) -> String {
    assert_eq!(code, 2, "expected an error, got: {err}");
    let line = err.trim_end();
    assert!(!line.contains('\n'), "not one line: {line}");
    println!("{line}");
    line.to_string()
}

/// The demo image: history, ghost files and (fake) secrets, so findings are compared too.
fn demo() -> ImageSpec {
    imagegen::demo::demo_spec()
}

/// `base` plus one more layer: shares every base layer with it.
fn derived() -> ImageSpec {
    let mut s = demo();
    s.steps.push(Step::layer(
        "RUN echo more > /srv/more.txt",
        vec![Node::dir("srv"), Node::file("srv/more.txt", "more\n")],
    ));
    s
}

fn write_oci(spec: &ImageSpec, c: imagegen::Compression, dir: &Path) -> imagegen::WrittenImage {
    imagegen::write_image(spec, Layout::OciDir, c, dir).unwrap()
}

/// The report without the fields that name where the image came from.
fn analysis_only(mut v: Value) -> Value {
    let img = v["image"].as_object_mut().unwrap();
    for k in [
        "reference",
        "format",
        "registry",
        "manifest_digest",
        "index_digest",
    ] {
        img.remove(k);
    }
    v
}

/// Also without the per-layer blob facts a tar with uncompressed layers has differently.
fn content_only(v: Value) -> Value {
    let mut v = analysis_only(v);
    for l in v["layers"].as_array_mut().unwrap() {
        let l = l.as_object_mut().unwrap();
        for k in ["digest", "media_type", "compression", "compressed_size"] {
            l.remove(k);
        }
    }
    v
}

mod podman;
mod protocol;
mod real_registry;

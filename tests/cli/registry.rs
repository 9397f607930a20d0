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

#[test]
fn tls_basic_auth_same_analysis_as_the_tar_and_a_second_open_downloads_nothing() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let pk = pki(work.path());
    let pw = fake::password("registry-basic", 24);
    let reg = Registry::start(
        work.path(),
        Auth::Basic("alice".into(), pw.clone()),
        Some(&pk),
        None,
    );
    let oci = work.path().join("demo-oci");
    let written = write_oci(&demo(), imagegen::Compression::Gzip, &oci);
    reg.push(
        &format!("oci:{}", oci.display()),
        "team/demo:v1",
        Some(("alice", &pw)),
    );
    let tar = work.path().join("demo.tar");
    imagegen::write_image(
        &demo(),
        Layout::DockerLegacy,
        imagegen::Compression::None,
        &tar,
    )
    .unwrap();

    let mut env = Env::new();
    env.set("SSL_CERT_FILE", pk.ca.display().to_string());
    env.login(&reg.host, "alice", &pw);
    let reference = format!("registry://{}/team/demo:v1", reg.host);
    let (code, out, err) = env.run(&[&reference, "--json"], None);
    assert_eq!(code, 0, "{err}");
    let pulled: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(pulled["image"]["format"], "registry");
    assert_eq!(
        pulled["image"]["reference"],
        format!("{}/team/demo:v1", reg.host)
    );
    assert_eq!(pulled["image"]["registry"], reg.host.as_str());
    assert_eq!(
        pulled["image"]["manifest_digest"].as_str(),
        written.manifest_digest.as_deref()
    );
    assert!(
        err.contains(&format!("from registry https://{}", reg.host)),
        "{err}"
    );
    assert!(!out.contains(&pw) && !err.contains(&pw));
    let layers = pulled["layers"].as_array().unwrap().len();
    assert_eq!(reg.blob_gets(), layers + 1, "config and each layer once");
    assert!(!pulled["findings"].as_array().unwrap().is_empty());

    let from_dir = env.json(&[oci.to_str().unwrap(), "--json"]);
    assert_eq!(analysis_only(pulled.clone()), analysis_only(from_dir));
    let from_tar = env.json(&[tar.to_str().unwrap(), "--json"]);
    assert_eq!(content_only(pulled.clone()), content_only(from_tar));

    // Second open: every blob comes from the cache.
    let before = reg.blob_gets();
    let again = env.json(&[&reference, "--json"]);
    assert_eq!(reg.blob_gets(), before, "no blob downloaded twice");
    assert_eq!(analysis_only(again), analysis_only(pulled));

    // Another image on the same base: only its new layer and config are downloaded.
    let oci2 = work.path().join("derived-oci");
    write_oci(&derived(), imagegen::Compression::Gzip, &oci2);
    reg.push(
        &format!("oci:{}", oci2.display()),
        "team/derived:v1",
        Some(("alice", &pw)),
    );
    let before = reg.blob_gets();
    env.json(&[
        &format!("registry://{}/team/derived:v1", reg.host),
        "--json",
    ]);
    assert_eq!(reg.blob_gets() - before, 2, "new layer + config only");

    // --no-cache: downloads again and leaves the cache as it was.
    let cached = env.cached_blobs();
    let before = reg.blob_gets();
    env.json(&[&reference, "--json", "--no-cache"]);
    assert_eq!(reg.blob_gets() - before, layers + 1);
    assert_eq!(env.cached_blobs(), cached);

    // The cache subcommand sees and clears it.
    let (code, out, _) = env.run(&["cache"], None);
    assert_eq!(code, 0);
    assert!(out.contains(&format!("{cached} blobs")), "{out}");
    let (code, out, _) = env.run(&["cache", "--clear"], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(env.cached_blobs(), 0);

    // Pinned by digest, and with --username/--password-stdin instead of config.json.
    std::fs::remove_file(env.path("docker/config.json")).unwrap();
    let pinned = format!(
        "registry://{}/team/demo@{}",
        reg.host,
        written.manifest_digest.as_deref().unwrap()
    );
    let (code, out, err) = env.run(
        &[&pinned, "--json", "--username", "alice", "--password-stdin"],
        Some(&format!("{pw}\n")),
    );
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&pw) && !err.contains(&pw));
}

#[test]
fn unauthorized_not_found_and_untrusted_certificates_are_one_line_errors() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let pk = pki(work.path());
    let pw = fake::password("registry-wrong", 24);
    let reg = Registry::start(
        work.path(),
        Auth::Basic("alice".into(), pw.clone()),
        Some(&pk),
        None,
    );
    let oci = work.path().join("oci");
    write_oci(&derived(), imagegen::Compression::Gzip, &oci);
    reg.push(
        &format!("oci:{}", oci.display()),
        "app:v1",
        Some(("alice", &pw)),
    );
    let reference = format!("registry://{}/app:v1", reg.host);

    let mut env = Env::new();
    env.set("SSL_CERT_FILE", pk.ca.display().to_string());
    // No credentials anywhere.
    let (code, _, err) = env.run(&[&reference, "--json"], None);
    let e = one_line_error(code, &err);
    assert!(
        e.contains("UNAUTHORIZED") && e.contains("docker login"),
        "{e}"
    );

    // A wrong password in config.json: named as tried, never shown.
    let wrong = fake::password("registry-wrong-guess", 24);
    env.login(&reg.host, "alice", &wrong);
    let (code, out, err) = env.run(&[&reference, "--json"], None);
    let e = one_line_error(code, &err);
    assert!(e.contains("config.json"), "{e}");
    assert!(!e.contains(&wrong) && !out.contains(&wrong));

    // A credential helper (credsStore) that knows the right one.
    let helper = env.path("bin/docker-credential-lstest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"{pw}\"}}' \"$server\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        env.path("docker/config.json"),
        r#"{"credsStore": "lstest"}"#,
    )
    .unwrap();
    let (code, out, err) = env.run(&[&reference, "--json"], None);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&pw) && !err.contains(&pw));

    // containers' auth.json comes before Docker's config.json (here: a wrong password).
    env.login(&reg.host, "alice", &wrong);
    let auth_json = env.path("home/auth.json");
    {
        use base64::Engine;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("alice:{pw}"));
        std::fs::write(
            &auth_json,
            serde_json::json!({"auths": {&reg.host: {"auth": auth}}}).to_string(),
        )
        .unwrap();
    }
    env.set("REGISTRY_AUTH_FILE", auth_json.display().to_string());
    let (code, _, err) = env.run(&[&reference, "--json", "--no-cache"], None);
    assert_eq!(code, 0, "{err}");

    // Unknown tag and unknown repository.
    let (code, _, err) = env.run(
        &[&format!("registry://{}/app:nope", reg.host), "--json"],
        None,
    );
    let e = one_line_error(code, &err);
    assert!(
        e.contains("not found") && e.contains("MANIFEST_UNKNOWN"),
        "{e}"
    );
    let (code, _, err) = env.run(
        &[&format!("registry://{}/nothere:v1", reg.host), "--json"],
        None,
    );
    let e = one_line_error(code, &err);
    assert!(e.contains("not found"), "{e}");

    // A CA nobody trusts: says which CAs were tried and where to put one.
    let mut untrusted = Env::new();
    untrusted.login(&reg.host, "alice", &pw);
    untrusted.set(
        "SSL_CERT_FILE",
        env.path("home/none.pem").display().to_string(),
    );
    let (code, _, err) = untrusted.run(&[&reference, "--json"], None);
    let e = one_line_error(code, &err);
    assert!(
        e.contains("TLS verification") && e.contains("certs.d") && e.contains("SSL_CERT_FILE"),
        "{e}"
    );
    // A per-registry CA folder, as Docker and Podman read it.
    let certs_d = untrusted.path(&format!("home/.config/containers/certs.d/{}", reg.host));
    std::fs::create_dir_all(&certs_d).unwrap();
    std::fs::copy(&pk.ca, certs_d.join("ca.crt")).unwrap();
    let (code, _, err) = untrusted.run(&[&reference, "--json"], None);
    assert_eq!(code, 0, "{err}");
    std::fs::remove_file(certs_d.join("ca.crt")).unwrap();
    // --insecure-registry accepts the unverified certificate.
    let (code, _, err) = untrusted.run(
        &[
            &reference,
            "--json",
            "--insecure-registry",
            &reg.host,
            "--no-cache",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn corrupted_blob_is_a_digest_mismatch_and_never_cached() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let reg = Registry::start(work.path(), Auth::None, None, None);
    let oci = work.path().join("oci");
    let w = write_oci(&demo(), imagegen::Compression::Gzip, &oci);
    reg.push(&format!("oci:{}", oci.display()), "demo:v1", None);
    let env = Env::new();
    let reference = format!("registry://{}/demo:v1", reg.host);
    // Plain HTTP is allowed on loopback, and said so.
    let v = env.json(&[&reference, "--json", "--no-cache"]);
    assert!(v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["code"] == "plain-http"));

    let victim = w.layer_digests.last().unwrap().clone();
    let f = reg.blob_file(&victim);
    let mut bytes = std::fs::read(&f).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&f, bytes).unwrap();
    let (code, out, err) = env.run(&[&reference, "--json"], None);
    let e = one_line_error(code, &err);
    assert!(out.is_empty());
    assert!(
        e.contains(&victim) && e.contains("does not match its digest"),
        "{e}"
    );
    let cached = env.path("cache/layerscope/blobs/sha256");
    assert!(!cached.join(victim.trim_start_matches("sha256:")).exists());
    // Nothing half-written is left behind either.
    let tmp = env.path("cache/layerscope/tmp");
    assert_eq!(std::fs::read_dir(tmp).unwrap().count(), 0);
}

#[test]
fn bearer_token_flow_against_the_real_registry() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let pw = fake::password("registry-bearer", 24);
    let token = format!("tok-{}", fake::password("registry-token", 16));
    let refresh = format!("rt-{}", fake::password("registry-refresh", 20));
    let (pw2, token2, refresh2) = (pw.clone(), token.clone(), refresh.clone());
    let auth = Mini::start(move |req, w| {
        use base64::Engine;
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("alice:{pw2}"))
        );
        let scope_ok = req.path.contains("scope=repository%3Ademo%3Apull")
            || req.path.contains("scope=repository:demo:pull");
        // skopeo pushes with its own scope; layerscope must ask for pull on its repository.
        let push = req.path.contains("push");
        // An identity token (docker login with OAuth) is exchanged with a refresh-token POST.
        let refresh = req.body.contains("grant_type=refresh_token")
            && req.body.contains(&format!("refresh_token={refresh2}"))
            && req.body.contains("scope=repository%3Ademo%3Apull");
        if refresh || req.headers.get("authorization") == Some(&want) && (scope_ok || push) {
            let body = serde_json::json!({"access_token": token2, "expires_in": 300});
            respond(
                w,
                "200 OK",
                &[("Content-Type", "application/json")],
                body.to_string().as_bytes(),
            );
        } else {
            respond(
                w,
                "401 Unauthorized",
                &[],
                br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
            );
        }
    });
    let realm = format!("http://127.0.0.1:{}/token", auth.port);
    let reg = Registry::start(work.path(), Auth::Silly(realm), None, None);
    let oci = work.path().join("oci");
    write_oci(&demo(), imagegen::Compression::Gzip, &oci);
    reg.push(
        &format!("oci:{}", oci.display()),
        "demo:v1",
        Some(("alice", &pw)),
    );

    let mut env = Env::new();
    env.login(&reg.host, "alice", &pw);
    let reference = format!("registry://{}/demo:v1", reg.host);
    let (code, out, err) = env.run(&[&reference, "--json"], None);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&token) && !err.contains(&token) && !out.contains(&pw));
    let ours: Vec<Seen> = auth
        .seen()
        .into_iter()
        .filter(|s| {
            s.headers
                .get("user-agent")
                .is_some_and(|u| u.starts_with("layerscope/"))
        })
        .collect();
    assert!(!ours.is_empty());
    assert!(
        ours.iter().all(|s| s.path.contains("service=test")),
        "{ours:?}"
    );

    // An identity token in config.json: exchanged for an access token, never shown.
    std::fs::write(
        env.path("docker/config.json"),
        serde_json::json!({"auths": {&reg.host: {"identitytoken": refresh}}}).to_string(),
    )
    .unwrap();
    let (code, out, err) = env.run(&[&reference, "--json", "--no-cache"], None);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&refresh) && !err.contains(&refresh));
    assert!(auth
        .seen()
        .iter()
        .any(|s| s.body.contains("grant_type=refresh_token")));

    // Wrong password: the token endpoint refuses, and the error says what was tried.
    env.login(
        &reg.host,
        "alice",
        &fake::password("registry-bearer-wrong", 24),
    );
    let (code, _, err) = env.run(&[&reference, "--json", "--no-cache"], None);
    let e = one_line_error(code, &err);
    assert!(
        e.contains("UNAUTHORIZED") && e.contains("config.json"),
        "{e}"
    );
    // Anonymous: the token endpoint is asked without credentials and refuses too.
    env.vars.retain(|(k, _)| k != "DOCKER_CONFIG");
    env.set("DOCKER_CONFIG", env.path("nowhere").display().to_string());
    let (code, _, err) = env.run(&[&reference, "--json", "--no-cache"], None);
    one_line_error(code, &err);
}

#[test]
fn blob_redirect_to_another_port_carries_no_authorization() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let pk = pki(work.path());
    let pw = fake::password("registry-redirect", 24);
    let data = work.path().join("data");
    let root = data.clone();
    // The "object store": serves the registry's storage files and records the headers.
    let cdn = Mini::start(move |req, w| {
        let rel = req.path.trim_start_matches('/');
        let p = root.join(rel);
        match std::fs::read(&p) {
            Ok(b) if !rel.contains("..") => respond(w, "200 OK", &[], &b),
            _ => respond(w, "404 Not Found", &[], b""),
        }
    });
    let reg = Registry::start(
        work.path(),
        Auth::Basic("alice".into(), pw.clone()),
        Some(&pk),
        Some(cdn.port),
    );
    let oci = work.path().join("oci");
    write_oci(&demo(), imagegen::Compression::Gzip, &oci);
    reg.push(
        &format!("oci:{}", oci.display()),
        "demo:v1",
        Some(("alice", &pw)),
    );

    let mut env = Env::new();
    env.set("SSL_CERT_FILE", pk.ca.display().to_string());
    env.login(&reg.host, "alice", &pw);
    let before = cdn.seen().len();
    let v = env.json(&[&format!("registry://{}/demo:v1", reg.host), "--json"]);
    let ours: Vec<Seen> = cdn.seen()[before..].to_vec();
    let layers = v["layers"].as_array().unwrap().len();
    assert_eq!(
        ours.len(),
        layers + 1,
        "every blob came from the redirect target"
    );
    for s in &ours {
        assert!(
            !s.headers.contains_key("authorization"),
            "Authorization crossed a redirect: {s:?}"
        );
    }
}

/// A scripted registry serving an OCI layout, with faults on the first requests.
fn scripted_registry(oci: &Path, manifest_429: Option<&'static str>, cut_blob: bool) -> Mini {
    let index: Value =
        serde_json::from_slice(&std::fs::read(oci.join("index.json")).unwrap()).unwrap();
    let top = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let oci = oci.to_path_buf();
    let manifest_hits = Arc::new(Mutex::new(0u32));
    let cut = Arc::new(Mutex::new(cut_blob));
    Mini::start(move |req, w| {
        let blob = |d: &str| {
            std::fs::read(
                oci.join("blobs/sha256")
                    .join(d.trim_start_matches("sha256:")),
            )
        };
        if req.path == "/v2/" {
            respond(w, "200 OK", &[], b"{}");
        } else if let Some(r) = req.path.strip_prefix("/v2/demo/manifests/") {
            let mut n = manifest_hits.lock().unwrap();
            *n += 1;
            if let (Some(after), 1) = (manifest_429, *n) {
                respond(
                    w,
                    "429 Too Many Requests",
                    &[("Retry-After", after)],
                    br#"{"errors":[{"code":"TOOMANYREQUESTS"}]}"#,
                );
                return;
            }
            let d = if r == "v1" {
                top.clone()
            } else {
                r.to_string()
            };
            let b = blob(&d).unwrap();
            let mt = serde_json::from_slice::<Value>(&b).unwrap()["mediaType"]
                .as_str()
                .unwrap_or("")
                .to_string();
            respond(w, "200 OK", &[("Content-Type", &mt)], &b);
        } else if let Some(d) = req.path.strip_prefix("/v2/demo/blobs/") {
            let b = blob(d).unwrap();
            let from = req
                .headers
                .get("range")
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
                .unwrap_or(0);
            let mut c = cut.lock().unwrap();
            if *c && b.len() > 64 && from == 0 {
                // Announce the whole blob, send half, hang up.
                *c = false;
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", b.len());
                let _ = w.write_all(head.as_bytes());
                let _ = w.write_all(&b[..b.len() / 2]);
                return;
            }
            if from > 0 {
                let range = format!("bytes {from}-{}/{}", b.len() - 1, b.len());
                respond(
                    w,
                    "206 Partial Content",
                    &[("Content-Range", &range)],
                    &b[from..],
                );
            } else {
                respond(w, "200 OK", &[], &b);
            }
        } else {
            respond(
                w,
                "404 Not Found",
                &[],
                br#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#,
            );
        }
    })
}

#[test]
fn rate_limits_are_waited_out_and_cut_blobs_resume_with_range() {
    let work = tempfile::tempdir().unwrap();
    let oci = work.path().join("oci");
    let w = write_oci(&demo(), imagegen::Compression::Gzip, &oci);
    let srv = scripted_registry(&oci, Some("1"), true);
    let env = Env::new();
    let reference = format!("registry://127.0.0.1:{}/demo:v1", srv.port);
    let v = env.json(&[&reference, "--json"]);
    assert_eq!(
        v["image"]["manifest_digest"].as_str(),
        w.manifest_digest.as_deref()
    );
    let seen = srv.seen();
    let manifests = seen
        .iter()
        .filter(|s| s.path.contains("/manifests/"))
        .count();
    assert!(manifests >= 2, "the 429 was retried: {seen:?}");
    assert!(
        seen.iter()
            .any(|s| s.headers.get("range").is_some_and(|r| r != "bytes=0-")),
        "the cut blob resumed with Range: {seen:?}"
    );
    let from_dir = env.json(&[oci.to_str().unwrap(), "--json"]);
    let mut pulled = analysis_only(v);
    pulled["warnings"] = Value::Null;
    let mut local = analysis_only(from_dir);
    local["warnings"] = Value::Null;
    assert_eq!(pulled, local);

    // A wait longer than layerscope waits: reported with the wait, not slept through.
    let srv = scripted_registry(&oci, Some("3600"), false);
    let (code, _, err) = env.run(
        &[
            &format!("registry://127.0.0.1:{}/demo:v1", srv.port),
            "--no-cache",
            "--json",
        ],
        None,
    );
    let e = one_line_error(code, &err);
    assert!(e.contains("rate limited") && e.contains("3600 s"), "{e}");
}

#[test]
fn multi_platform_index_and_zstd_layers() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let reg = Registry::start(work.path(), Auth::None, None, None);
    let mut spec = derived();
    let mut arm = derived();
    arm.architecture = "arm64".into();
    arm.steps.push(Step::layer(
        "RUN echo arm > /arm.txt",
        vec![Node::file("arm.txt", "arm\n")],
    ));
    spec.platforms = vec![arm];
    let oci = work.path().join("oci");
    let w = write_oci(&spec, imagegen::Compression::Zstd, &oci);
    reg.push(&format!("oci:{}", oci.display()), "multi:v1", None);
    let env = Env::new();
    let reference = format!("registry://{}/multi:v1", reg.host);
    let v = env.json(&[&reference, "--json", "--platform", "linux/arm64"]);
    assert_eq!(v["image"]["architecture"], "arm64");
    assert_eq!(
        v["image"]["index_digest"].as_str(),
        w.index_digest.as_deref()
    );
    assert_eq!(
        v["image"]["manifest_digest"].as_str(),
        w.platforms[0].manifest_digest.as_deref()
    );
    assert!(v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["compression"] == "zstd"));
    let amd = env.json(&[&reference, "--json", "--platform", "linux/amd64"]);
    assert_eq!(amd["image"]["architecture"], "amd64");
    let (code, _, err) = env.run(&[&reference, "--json", "--platform", "linux/s390x"], None);
    let e = one_line_error(code, &err);
    assert!(
        e.contains("no image for platform") && e.contains("linux/arm64"),
        "{e}"
    );
}

#[test]
fn bare_names_follow_the_pull_policy_and_transport_prefixes_are_paths() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let reg = Registry::start(work.path(), Auth::None, None, None);
    let oci = work.path().join("oci");
    write_oci(&demo(), imagegen::Compression::Gzip, &oci);
    reg.push(&format!("oci:{}", oci.display()), "demo:v1", None);
    let env = Env::new();
    let bare = format!("{}/demo:v1", reg.host);
    // No daemon answers: pulled (the default policy is `missing`).
    let v = env.json(&[&bare, "--json"]);
    assert_eq!(v["image"]["format"], "registry");
    let v = env.json(&[&bare, "--json", "--pull", "always"]);
    assert_eq!(v["image"]["format"], "registry");
    let (code, _, err) = env.run(&[&bare, "--json", "--pull", "never"], None);
    let e = one_line_error(code, &err);
    assert!(e.contains("Docker"), "{e}");
    // skopeo's and podman's prefixes for files.
    let v = env.json(&[&format!("oci:{}", oci.display()), "--json"]);
    assert_eq!(v["image"]["format"], "oci-layout");
    let tar = work.path().join("demo.tar");
    imagegen::write_image(
        &demo(),
        Layout::DockerLegacy,
        imagegen::Compression::None,
        &tar,
    )
    .unwrap();
    let v = env.json(&[&format!("docker-archive:{}", tar.display()), "--json"]);
    assert_eq!(v["image"]["format"], "docker-archive");
}

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

#[test]
fn schema1_manifests_are_refused_with_what_to_do() {
    let srv = Mini::start(|req, w| {
        if req.path == "/v2/" {
            respond(w, "200 OK", &[], b"{}");
        } else {
            let body = br#"{"schemaVersion":1,"name":"old","tag":"v1","fsLayers":[],"history":[]}"#;
            respond(
                w,
                "200 OK",
                &[(
                    "Content-Type",
                    "application/vnd.docker.distribution.manifest.v1+prettyjws",
                )],
                body,
            );
        }
    });
    let env = Env::new();
    let (code, out, err) = env.run(
        &[
            &format!("registry://127.0.0.1:{}/old:v1", srv.port),
            "--json",
        ],
        None,
    );
    let e = one_line_error(code, &err);
    assert!(out.is_empty());
    assert!(
        e.contains("schema 1") && e.contains("push the image again"),
        "{e}"
    );
}

#[test]
fn download_limits_apply_before_anything_is_fetched() {
    let work = tempfile::tempdir().unwrap();
    let oci = work.path().join("oci");
    write_oci(&demo(), imagegen::Compression::Gzip, &oci);
    let srv = scripted_registry(&oci, None, false);
    let env = Env::new();
    let reference = format!("registry://127.0.0.1:{}/demo:v1", srv.port);
    let (code, _, err) = env.run(&[&reference, "--json", "--max-bytes", "1000"], None);
    let e = one_line_error(code, &err);
    assert!(e.contains("--max-bytes"), "{e}");
    let (code, _, err) = env.run(&[&reference, "--json", "--max-json-bytes", "100"], None);
    let e = one_line_error(code, &err);
    assert!(e.contains("--max-json-bytes"), "{e}");
    assert!(
        !srv.seen().iter().any(|s| s.path.contains("/blobs/")),
        "no blob was requested"
    );
}

#[test]
fn every_layout_pushed_reads_the_same_as_the_tar() {
    if !tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let reg = Registry::start(work.path(), Auth::None, None, None);
    let tar = work.path().join("reference.tar");
    imagegen::write_image(
        &demo(),
        Layout::DockerLegacy,
        imagegen::Compression::None,
        &tar,
    )
    .unwrap();
    let env = Env::new();
    let want = content_only(env.json(&[tar.to_str().unwrap(), "--json"]));
    for (i, layout) in Layout::ALL.into_iter().enumerate() {
        let c = if matches!(layout, Layout::ContainerdStore) {
            imagegen::Compression::Gzip
        } else {
            imagegen::Compression::None
        };
        let out = work.path().join(format!("layout-{i}"));
        imagegen::write_image(&demo(), layout, c, &out).unwrap();
        let transport = match layout {
            Layout::OciDir => "oci",
            Layout::OciArchive => "oci-archive",
            _ => "docker-archive",
        };
        let name = format!("layouts/l{i}:v1");
        reg.push(&format!("{transport}:{}", out.display()), &name, None);
        let got = env.json(&[&format!("registry://{}/{name}", reg.host), "--json"]);
        let mut got = content_only(got);
        let mut want = want.clone();
        // The registry copy of an uncompressed layout is gzipped by skopeo; warnings about the
        // source layout (e.g. plain HTTP) differ by nature.
        got["warnings"] = Value::Null;
        want["warnings"] = Value::Null;
        assert_eq!(got, want, "{layout:?}");
    }
}

//! Protocol edges: cross-port redirects, rate limits and resumed blobs, multi-platform indexes,
//! name resolution, schema 1 manifests, download limits and every pushed layout.

use super::*;

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
    reg.push_image(
        work.path(),
        &demo(),
        imagegen::Compression::Gzip,
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

/// A scripted registry serving an OCI layout, with faults on the first requests; with `hold`,
/// layer blobs (not the config) are answered only once it is set.
fn scripted_registry(
    oci: &Path,
    manifest_429: Option<&'static str>,
    cut_blob: bool,
    hold: Option<Arc<std::sync::atomic::AtomicBool>>,
) -> Mini {
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
            let is_config =
                serde_json::from_slice::<Value>(&b).is_ok_and(|v| v.get("rootfs").is_some());
            if let (Some(h), false) = (&hold, is_config) {
                let until = Instant::now() + Duration::from_secs(60);
                while !h.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
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
    let srv = scripted_registry(&oci, Some("1"), true, None);
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
    let srv = scripted_registry(&oci, Some("3600"), false, None);
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

/// The TUI shows the history, the layer list and the image pane while the layers are still
/// downloading (the registry holds every layer blob until the screen has been read), then
/// indexes them as they arrive. Not timed: each step waits for what it expects.
#[test]
fn tui_shows_the_history_before_the_registry_layers_have_downloaded() {
    if !crate::support::tmux::available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let oci = work.path().join("oci");
    write_oci(&demo(), imagegen::Compression::Gzip, &oci);
    let gate = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let srv = scripted_registry(&oci, None, false, Some(gate.clone()));
    let env = Env::new();
    let mut vars: Vec<(&str, &str)> = env
        .vars
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let config = env.path("home");
    vars.push(("XDG_CONFIG_HOME", config.to_str().unwrap()));
    let reference = format!("registry://127.0.0.1:{}/demo:v1", srv.port);
    let t = crate::support::tmux::Tmux::start(
        "registry-progressive",
        160,
        45,
        env!("CARGO_BIN_EXE_layerscope"),
        &[&reference, "--no-cache"],
        &vars,
    );
    let screen = t.wait_for_all(&[
        "History · ",
        "Layer L",
        "downloading ",
        "loading: 0/",
        "Blob: not here yet",
    ]);
    let blobs = |srv: &Mini| {
        srv.seen()
            .iter()
            .filter(|s| s.path.contains("/blobs/"))
            .count()
    };
    assert!(
        blobs(&srv) >= 2,
        "the config and the held layers were asked for"
    );
    assert!(
        screen.contains("so far: 0 of "),
        "no layer is in yet: {screen}"
    );
    gate.store(true, std::sync::atomic::Ordering::Relaxed);
    t.wait_for_loaded(&["Findings · "]);
    t.quit_cleanly();
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
    let w = reg.push_image(
        work.path(),
        &spec,
        imagegen::Compression::Zstd,
        "multi:v1",
        None,
    );
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
    reg.push_image(
        work.path(),
        &demo(),
        imagegen::Compression::Gzip,
        "demo:v1",
        None,
    );
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
    // skopeo's and podman's prefixes for files (push_image wrote the layout to work/oci).
    let oci = work.path().join("oci");
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
    let srv = scripted_registry(&oci, None, false, None);
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

//! Against the real registry: TLS and Basic auth, one-line errors, corrupted blobs, bearer tokens.

use super::*;

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

    // Second open: every blob comes from the cache, and stderr says so (the layers are counted
    // by the pull that ran beside the analysis).
    let before = reg.blob_gets();
    let (code, out, err) = env.run(&[&reference, "--json"], None);
    assert_eq!(code, 0, "{err}");
    let again: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(reg.blob_gets(), before, "no blob downloaded twice");
    assert_eq!(analysis_only(again), analysis_only(pulled.clone()));
    assert!(
        err.contains(&format!(
            "0 blobs downloaded, 0 bytes; {} from the cache",
            layers + 1
        )),
        "{err}"
    );

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
    reg.push_image(
        work.path(),
        &derived(),
        imagegen::Compression::Gzip,
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
    let w = reg.push_image(
        work.path(),
        &demo(),
        imagegen::Compression::Gzip,
        "demo:v1",
        None,
    );
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
    reg.push_image(
        work.path(),
        &demo(),
        imagegen::Compression::Gzip,
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

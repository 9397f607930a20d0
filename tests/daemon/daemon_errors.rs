//! Daemon source against fake sockets: every error case renders one clear line, and the
//! protocol details (version prefix, paths, chunked and Content-Length bodies) work.
//! These need no dockerd.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::support::fake_daemon::{self as fake, FakeDaemon};
use layerscope_core::source::daemon::{
    fetch_with, DaemonError, DaemonKind, DaemonRef, FetchOptions,
};

use crate::docker;

fn opts(pairs: &[(&str, &str)]) -> FetchOptions {
    crate::fetch_opts(pairs, Duration::from_secs(5))
}

fn run(
    r: &DaemonRef,
    o: &FetchOptions,
) -> Result<layerscope_core::source::daemon::FetchedImage, DaemonError> {
    fetch_with(r, o, &mut |_, _| {})
}

fn one_line(e: &DaemonError) -> String {
    let s = e.to_string();
    assert!(
        !s.contains('\n') && !s.contains('\r'),
        "multi-line error: {s:?}"
    );
    println!("{s}");
    s
}

/// A fake that behaves like Docker for `/_ping` and `/json`, and lets `get` decide `/get`.
fn docker_like(get: impl Fn(&mut dyn Write) + Send + Sync + 'static) -> FakeDaemon {
    FakeDaemon::unix(true, move |path, w| {
        if path == "/_ping" {
            fake::ping_ok(w, "1.41", &[]);
        } else if path.ends_with("/json") {
            fake::json(w, "200 OK", r#"{"Id":"sha256:abc","Size":100000}"#);
        } else if path.ends_with("/get") {
            get(w);
        } else {
            fake::json(w, "404 Not Found", r#"{"message":"page not found"}"#);
        }
    })
}

#[test]
fn no_socket_lists_what_was_tried() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.sock");
    let host = format!("unix://{}", missing.display());
    let e = run(&docker("nginx"), &opts(&[("DOCKER_HOST", &host)])).unwrap_err();
    let s = one_line(&e);
    assert!(matches!(e, DaemonError::Unreachable { .. }), "{e:?}");
    assert!(s.contains(&host) && s.contains("no such socket"), "{s}");
    assert!(s.contains("docker save -o image.tar nginx"), "{s}");
}

#[test]
fn stale_socket_is_connection_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let e = run(
        &docker("nginx"),
        &opts(&[("DOCKER_HOST", &format!("unix://{}", path.display()))]),
    )
    .unwrap_err();
    let s = one_line(&e);
    assert!(s.contains("connection refused"), "{s}");
}

#[test]
fn bare_reference_tries_docker_then_podman() {
    let dir = tempfile::tempdir().unwrap();
    let d = format!("unix://{}", dir.path().join("d.sock").display());
    let p = format!("unix://{}", dir.path().join("p.sock").display());
    let r = DaemonRef {
        kind: None,
        name: "nginx".into(),
    };
    let e = run(&r, &opts(&[("DOCKER_HOST", &d), ("CONTAINER_HOST", &p)])).unwrap_err();
    let s = one_line(&e);
    assert!(
        s.contains("Docker or Podman") && s.contains(&d) && s.contains(&p),
        "{s}"
    );
}

#[test]
fn garbage_answer_is_not_a_daemon() {
    // Answers before reading the request, as e.g. an SSH server would.
    let f = FakeDaemon::unix(false, |_, w| {
        let _ = w.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n");
    });
    let e = run(&docker("nginx"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap_err();
    let s = one_line(&e);
    assert!(matches!(e, DaemonError::NotADaemon { .. }), "{e:?}");
    assert!(s.contains("SSH-2.0") && s.contains(&f.host), "{s}");

    // Reads the request, then answers binary garbage.
    let f = FakeDaemon::unix(true, |_, w| {
        let _ = w.write_all(&[0x16, 0x03, 0x01, 0x00, 0xff, 0x00]);
    });
    let e = run(&docker("nginx"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap_err();
    assert!(matches!(e, DaemonError::NotADaemon { .. }), "{e:?}");
    one_line(&e);
}

#[test]
fn silent_close_is_not_a_daemon() {
    let f = FakeDaemon::unix(true, |_, _| {});
    let e = run(&docker("nginx"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap_err();
    let s = one_line(&e);
    assert!(matches!(e, DaemonError::NotADaemon { .. }), "{e:?}");
    assert!(s.contains("without answering"), "{s}");
}

#[test]
fn other_http_server_is_not_a_daemon() {
    let f = FakeDaemon::unix(true, |_, w| {
        fake::respond(
            w,
            "404 Not Found",
            &[("Content-Type", "text/html")],
            b"<h1>nginx</h1>",
        );
    });
    let e = run(&docker("nginx"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap_err();
    let s = one_line(&e);
    assert!(matches!(e, DaemonError::NotADaemon { .. }), "{e:?}");
    assert!(s.contains("HTTP 404"), "{s}");
}

#[test]
fn content_length_cut_off_is_truncated() {
    let f = docker_like(|w| {
        let _ = w.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: 100000\r\n\r\n",
        );
        let _ = w.write_all(&[7u8; 5000]);
    });
    let mut seen = Vec::new();
    let e = fetch_with(
        &docker("localhost/nobin:latest"),
        &opts(&[("DOCKER_HOST", &f.host)]),
        &mut |n, exp| seen.push((n, exp)),
    )
    .unwrap_err();
    let s = one_line(&e);
    match e {
        DaemonError::Truncated {
            received, expected, ..
        } => {
            assert_eq!(received, 5000);
            assert_eq!(expected, Some(100000));
        }
        other => panic!("{other:?}"),
    }
    assert!(s.contains("after 5000 bytes of 100000"), "{s}");
    assert_eq!(seen.last(), Some(&(5000, Some(100000))));
}

#[test]
fn chunked_cut_off_is_truncated() {
    let f =
        docker_like(|w| fake::chunked(w, "application/x-tar", &[&[1u8; 3000], &[2u8; 100]], false));
    let e = run(&docker("x"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap_err();
    let s = one_line(&e);
    match e {
        DaemonError::Truncated {
            received, expected, ..
        } => {
            assert_eq!(received, 3100);
            assert_eq!(expected, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(s.contains("cut off after 3100 bytes:"), "{s}");
}

#[test]
fn chunked_success_with_podman_headers() {
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let served = body.clone();
    let f = FakeDaemon::unix(true, move |path, w| {
        if path == "/_ping" {
            fake::ping_ok(w, "1.41", &[("Libpod-Api-Version", "4.3.1")]);
        } else if path.ends_with("/json") {
            fake::json(w, "200 OK", r#"{"Id":"abc123","Size":150000}"#);
        } else {
            let parts: Vec<&[u8]> = served.chunks(32768).collect();
            fake::chunked(w, "application/octet", &parts, true);
        }
    });
    let mut seen = Vec::new();
    let r = DaemonRef {
        kind: Some(DaemonKind::Podman),
        name: "localhost/nobin:latest".into(),
    };
    let mut img = fetch_with(&r, &opts(&[("CONTAINER_HOST", &f.host)]), &mut |n, e| {
        seen.push((n, e))
    })
    .unwrap();
    assert_eq!(img.kind, DaemonKind::Podman);
    assert_eq!(img.size, body.len() as u64);
    assert_eq!(img.image_id.as_deref(), Some("abc123"));
    assert_eq!(img.socket, f.host);
    let mut got = Vec::new();
    img.spool.read_to_end(&mut got).unwrap();
    assert_eq!(
        got, body,
        "spool is positioned at the start and holds the body"
    );
    // Progress: starts at 0, never decreases, ends at the size; `expected` is the Size hint.
    assert_eq!(seen.first(), Some(&(0, Some(150000))));
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(seen.last().unwrap().0, body.len() as u64);
    assert_eq!(
        f.requests(),
        vec![
            "/_ping",
            "/v1.41/images/localhost/nobin:latest/json",
            "/v1.41/images/localhost/nobin:latest/get"
        ]
    );
    // The spool is removed on drop.
    let path = img.spool.path().to_path_buf();
    assert!(path.exists());
    drop(img);
    assert!(!path.exists());
}

#[test]
fn content_length_success_reports_exact_expected_and_no_version_prefix() {
    let f = FakeDaemon::unix(true, |path, w| {
        if path == "/_ping" {
            // No Api-Version header: unversioned paths.
            fake::respond(w, "200 OK", &[], b"OK");
        } else if path.ends_with("/json") {
            fake::json(w, "200 OK", r#"{"Id":"sha256:1","Size":1}"#);
        } else {
            fake::respond(
                w,
                "200 OK",
                &[("Content-Type", "application/x-tar")],
                &[0u8; 4096],
            );
        }
    });
    let mut last = None;
    let img = fetch_with(
        &docker("a b"),
        &opts(&[("DOCKER_HOST", &f.host)]),
        &mut |n, e| last = Some((n, e)),
    )
    .unwrap();
    assert_eq!(img.size, 4096);
    assert_eq!(last, Some((4096, Some(4096))));
    assert_eq!(f.requests()[1], "/images/a%20b/json");
}

#[test]
fn api_version_refused_quotes_the_daemon() {
    let f = FakeDaemon::unix(true, |path, w| {
        if path == "/_ping" {
            fake::ping_ok(w, "1.41", &[]);
        } else {
            fake::json(
                w,
                "400 Bad Request",
                r#"{"message":"client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version"}"#,
            );
        }
    });
    let e = run(&docker("nginx"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap_err();
    let s = one_line(&e);
    assert!(matches!(e, DaemonError::ApiVersion { .. }), "{e:?}");
    assert!(
        s.contains("client version 1.41 is too old. Minimum supported API version is 1.44"),
        "{s}"
    );
}

#[test]
fn podman_style_not_found() {
    let f = FakeDaemon::unix(true, |path, w| {
        if path == "/_ping" {
            fake::ping_ok(w, "1.41", &[("Libpod-Api-Version", "4.3.1")]);
        } else {
            fake::json(
                w,
                "404 Not Found",
                r#"{"cause":"failed to find image nope","message":"failed to find image nope: nope: image not known","response":404}"#,
            );
        }
    });
    let r = DaemonRef {
        kind: Some(DaemonKind::Podman),
        name: "nope".into(),
    };
    let e = run(&r, &opts(&[("CONTAINER_HOST", &f.host)])).unwrap_err();
    let s = one_line(&e);
    assert!(matches!(e, DaemonError::NotFound { .. }), "{e:?}");
    assert!(
        s.contains("`podman pull nope`") && s.contains("Podman ("),
        "{s}"
    );
}

#[test]
fn server_error_message_is_shown() {
    let f = docker_like(|w| {
        fake::json(
            w,
            "500 Internal Server Error",
            "{\"message\":\"open /var/lib/docker/x: no such file\\nor directory\"}",
        )
    });
    let e = run(&docker("nginx"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap_err();
    let s = one_line(&e);
    assert!(
        s.contains("HTTP 500") && s.contains("no such file or directory"),
        "{s}"
    );
}

#[test]
fn error_appended_to_the_stream_is_detected() {
    let f = docker_like(|w| {
        fake::chunked(
            w,
            "application/x-tar",
            &[&[0u8; 1536], b"{\"errorDetail\":{\"message\":\"layer does not exist\"},\"error\":\"layer does not exist\"}\r\n"],
            true,
        )
    });
    let e = run(&docker("nginx"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap_err();
    let s = one_line(&e);
    assert!(
        s.contains("failed while exporting: layer does not exist"),
        "{s}"
    );
}

#[test]
fn stalled_daemon_times_out() {
    let f = docker_like(|w| {
        let _ = w.write_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n",
        );
        let _ = w.flush();
        fake::stall(Duration::from_secs(4));
    });
    let mut o = opts(&[("DOCKER_HOST", &f.host)]);
    o.timeout = Duration::from_secs(1);
    let t = Instant::now();
    let e = run(&docker("nginx"), &o).unwrap_err();
    let s = one_line(&e);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(matches!(e, DaemonError::Timeout { .. }), "{e:?}");
    assert!(
        s.contains("no data from") && s.contains("after 16 bytes"),
        "{s}"
    );
}

#[test]
fn plain_tcp_endpoint() {
    let f = FakeDaemon::tcp(|path, w| {
        if path == "/_ping" {
            fake::ping_ok(w, "1.43", &[]);
        } else if path.ends_with("/json") {
            fake::json(w, "200 OK", r#"{"Id":"sha256:2","Size":10}"#);
        } else {
            fake::respond(w, "200 OK", &[], &[1u8; 10]);
        }
    });
    let img = run(&docker("busybox"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap();
    assert_eq!(img.size, 10);
    assert_eq!(img.socket, f.host);
    assert_eq!(f.requests()[2], "/v1.43/images/busybox/get");
}

#[test]
fn tls_verify_refuses_to_connect() {
    let f = FakeDaemon::tcp(|_, w| fake::ping_ok(w, "1.41", &[]));
    let e = run(
        &docker("busybox"),
        &opts(&[("DOCKER_HOST", &f.host), ("DOCKER_TLS_VERIFY", "1")]),
    )
    .unwrap_err();
    let s = one_line(&e);
    assert!(matches!(e, DaemonError::TlsUnsupported { .. }), "{e:?}");
    assert!(s.contains("TLS") && s.contains("not support"), "{s}");
    assert!(f.requests().is_empty(), "no plain-text connection was made");
}

#[test]
fn permission_denied_on_socket() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        println!("SKIPPED: permission test needs a non-root user (root ignores socket modes)");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let f = FakeDaemon::unix(true, |_, w| fake::ping_ok(w, "1.41", &[]));
    std::fs::set_permissions(&f.socket, std::fs::Permissions::from_mode(0o000)).unwrap();
    let e = run(&docker("nginx"), &opts(&[("DOCKER_HOST", &f.host)])).unwrap_err();
    let s = one_line(&e);
    assert!(matches!(e, DaemonError::PermissionDenied { .. }), "{e:?}");
    assert!(s.contains("`docker` group"), "{s}");
}

#[test]
fn context_endpoint_is_used() {
    let f = docker_like(|w| fake::respond(w, "200 OK", &[], &[3u8; 1024]));
    let cfg = tempfile::tempdir().unwrap();
    let meta = cfg.path().join("contexts/meta").join(
        layerscope_core::source::daemon::endpoint::context_dir_name("fakectx"),
    );
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        format!(r#"{{"Name":"fakectx","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{}","SkipTLSVerify":false}}}}}}"#, f.host),
    )
    .unwrap();
    std::fs::write(
        cfg.path().join("config.json"),
        r#"{"currentContext":"fakectx"}"#,
    )
    .unwrap();
    let img = run(
        &docker("nginx"),
        &opts(&[("DOCKER_CONFIG", cfg.path().to_str().unwrap())]),
    )
    .unwrap();
    assert_eq!(img.socket, f.host);
}

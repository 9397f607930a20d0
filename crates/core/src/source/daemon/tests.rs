use super::api::one_line;
use super::*;

fn r(kind: Option<DaemonKind>, name: &str) -> Option<DaemonRef> {
    Some(DaemonRef {
        kind,
        name: name.into(),
    })
}

#[test]
fn explicit_prefixes() {
    assert_eq!(
        parse_reference("docker://nginx:latest"),
        r(Some(DaemonKind::Docker), "nginx:latest")
    );
    assert_eq!(
        parse_reference("podman://localhost/x"),
        r(Some(DaemonKind::Podman), "localhost/x")
    );
    assert_eq!(
        parse_reference("docker-daemon:alpine"),
        r(Some(DaemonKind::Docker), "alpine")
    );
    assert_eq!(parse_reference("docker://"), None);
    // Explicit prefixes win even over an existing path.
    assert_eq!(
        parse_reference("docker://Cargo.toml"),
        r(Some(DaemonKind::Docker), "Cargo.toml")
    );
}

#[test]
fn bare_names() {
    for ok in [
        "nginx",
        "nginx:latest",
        "library/nginx:1.27-alpine",
        "ghcr.io/owner/repo:v1.2.3",
        "localhost:5000/a/b__c/d-e.f:tag",
        "registry.example.com/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "x:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "0123456789ab",
        "[::1]:5000/img",
        "My.Registry:5000/img",
    ] {
        assert_eq!(parse_reference(ok), r(None, ok), "{ok}");
    }
    for not in [
        "",
        "Nginx",
        "has space",
        "image.tar",
        "image.TAR",
        "x.tar.gz",
        "x.tgz",
        "x.oci.tar.zst",
        "./nginx",
        "../x",
        "/abs/path",
        "~/img",
        "oci:dir:tag",
        "oci-archive:x",
        "docker-archive:x.tar",
        "https://example.com/x",
        "a//b",
        "a:",
        "a@sha256:short",
        "-x",
    ] {
        assert_eq!(parse_reference(not), None, "{not}");
    }
}

#[test]
fn existing_paths_are_not_references() {
    let dir = tempfile::tempdir().unwrap();
    let cwd_rel = dir.path().join("nginx");
    std::fs::write(&cwd_rel, b"").unwrap();
    let p = cwd_rel.to_str().unwrap();
    assert_eq!(parse_reference(p), None);
    // Relative existing paths: "src" exists in the crate directory tests run in.
    assert!(Path::new("src").exists());
    assert_eq!(parse_reference("src"), None);
    assert_eq!(parse_reference("srcx"), r(None, "srcx"));
}

#[test]
fn name_encoding() {
    assert_eq!(
        encode_name("localhost/nobin:latest"),
        "localhost/nobin:latest"
    );
    assert_eq!(encode_name("a@sha256:ab"), "a@sha256:ab");
    assert_eq!(encode_name("a b?c#d%e"), "a%20b%3Fc%23d%25e");
}

#[test]
fn api_version_syntax() {
    assert!(is_api_version("1.41"));
    assert!(is_api_version("1.52"));
    assert!(!is_api_version("1"));
    assert!(!is_api_version("1.41.0"));
    assert!(!is_api_version("v1.41"));
    assert!(!is_api_version("1.4x"));
}

#[test]
fn errors_are_one_line() {
    let errs = [
        DaemonError::Unreachable {
            what: "the Docker daemon".into(),
            name: "nginx".into(),
            tried: vec![
                "unix:///var/run/docker.sock: no such socket".into(),
                "b".into(),
            ],
            bare: true,
        },
        DaemonError::PermissionDenied {
            socket: "unix:///var/run/docker.sock".into(),
            name: "nginx".into(),
            group: "docker".into(),
            cli: "docker".into(),
        },
        DaemonError::NotFound {
            name: "nginx".into(),
            searched: vec!["Docker (a)".into(), "Podman (b)".into()],
            pull: "docker pull nginx".into(),
            bare: true,
        },
        DaemonError::Truncated {
            socket: "s".into(),
            received: 10,
            expected: Some(20),
            detail: "x".into(),
        },
    ];
    for e in errs {
        let s = e.to_string();
        assert!(!s.contains('\n'), "{s}");
        println!("{s}");
    }
    assert!(one_line("a\n  b\r\nc").eq("a b c"));
}

#[test]
fn not_found_combines() {
    let nf = |s: &str, pull: &str| DaemonError::NotFound {
        name: "x".into(),
        searched: vec![s.into()],
        pull: pull.into(),
        bare: true,
    };
    let e = combine(
        nf("Docker (a)", "docker pull x"),
        nf("Podman (b)", "podman pull x"),
    );
    let s = e.to_string();
    assert!(
        s.contains("Docker (a) nor in Podman (b)") && s.contains("`docker pull x`"),
        "{s}"
    );
    let un = |t: &str| DaemonError::Unreachable {
        what: "w".into(),
        name: "x".into(),
        tried: vec![t.into()],
        bare: false,
    };
    let s = combine(un("a"), un("b")).to_string();
    assert!(
        s.contains("tried a, b") && s.contains("Docker or Podman"),
        "{s}"
    );
    assert!(matches!(
        combine(nf("Docker (a)", "p"), un("b")),
        DaemonError::NotFound { .. }
    ));
    assert!(matches!(
        combine(un("a"), nf("Podman (b)", "p")),
        DaemonError::NotFound { .. }
    ));
}

#[test]
fn trailing_error_detection() {
    let mut f = tempfile::tempfile().unwrap();
    let mut data = vec![0u8; 2048];
    data.extend_from_slice(b"{\"errorDetail\":{\"message\":\"layer does not exist\"},\"error\":\"layer does not exist\"}\r\n");
    f.write_all(&data).unwrap();
    assert_eq!(
        trailing_stream_error(&mut f, data.len() as u64)
            .unwrap()
            .as_deref(),
        Some("layer does not exist")
    );
    let mut g = tempfile::tempfile().unwrap();
    g.write_all(&[0u8; 1024]).unwrap();
    assert_eq!(trailing_stream_error(&mut g, 1024).unwrap(), None);
}

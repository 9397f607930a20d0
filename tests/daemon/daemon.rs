//! The daemon source against a real, private dockerd (see `tests/common/dockerd.rs`).
//!
//! One daemon is shared by the tests of this file, which run one at a time (`dockerd::serial`).
//! Without dockerd (not installed, not root) each test prints `SKIPPED: …` and passes, unless
//! `LAYERSCOPE_REQUIRE_DOCKERD=1`.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::dockerd::{self, Dockerd};
use layerscope_core::source::daemon::{
    fetch, fetch_with, parse_reference, DaemonError, DaemonKind, DaemonRef, FetchOptions,
};
use sha2::{Digest, Sha256};

const NAME: &str = "localhost/nobin:latest";
const IMAGE_ID: &str = "sha256:216500c242cdeb7b30074fcb829f2e53efa4b171d0c2af002cbb8d68d032a296";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/built/nobin.docker20-save.tar")
}

/// The shared daemon, with the fixture loaded once.
fn daemon() -> Option<&'static Dockerd> {
    static LOADED: OnceLock<Result<Vec<String>, String>> = OnceLock::new();
    let d = dockerd::shared()?;
    let loaded = LOADED.get_or_init(|| {
        println!("dockerd: {} started in {:?}", d.version, d.startup);
        let t = Instant::now();
        let r = d.load(&fixture());
        println!("docker load took {:?}", t.elapsed());
        r
    });
    match loaded {
        Ok(names) => assert!(names.iter().any(|n| n == NAME), "loaded {names:?}"),
        Err(e) => panic!("{e}; dockerd log: {}", d.log_tail(10)),
    }
    Some(d)
}

use crate::docker;

fn opts(pairs: &[(&str, &str)]) -> FetchOptions {
    crate::fetch_opts(pairs, Duration::from_secs(30))
}

/// What a docker-save tar holds: the first manifest's diff_ids from its config, and the sha256
/// of each of its layers (uncompressed), in order.
#[derive(Debug, PartialEq)]
struct Analysis {
    repo_tags: Vec<String>,
    config_diff_ids: Vec<String>,
    layer_digests: Vec<String>,
}

fn analyse(mut r: impl Read) -> Analysis {
    let mut raw = Vec::new();
    r.read_to_end(&mut raw).unwrap();
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    let mut links: HashMap<String, String> = HashMap::new();
    let mut ar = tar::Archive::new(&raw[..]);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = normalise(&String::from_utf8_lossy(&e.path_bytes()));
        match e.header().entry_type() {
            tar::EntryType::Regular => {
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                files.insert(path, data);
            }
            tar::EntryType::Symlink => {
                let target = String::from_utf8_lossy(&e.link_name_bytes().unwrap()).into_owned();
                let parent = Path::new(&path).parent().unwrap_or(Path::new(""));
                let resolved = normalise(&parent.join(target).to_string_lossy());
                links.insert(path, resolved);
            }
            _ => {}
        }
    }
    let get = |p: &str| -> &Vec<u8> {
        let p = normalise(p);
        let p = links.get(&p).cloned().unwrap_or(p);
        files
            .get(&p)
            .unwrap_or_else(|| panic!("{p} missing from the tar"))
    };
    let manifest: serde_json::Value = serde_json::from_slice(get("manifest.json")).unwrap();
    let m = &manifest[0];
    let config: serde_json::Value =
        serde_json::from_slice(get(m["Config"].as_str().unwrap())).unwrap();
    let config_diff_ids = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    let layer_digests = m["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let data = get(l.as_str().unwrap());
            let mut plain = Vec::new();
            if data.starts_with(&[0x1f, 0x8b]) {
                flate2::read::MultiGzDecoder::new(&data[..])
                    .read_to_end(&mut plain)
                    .unwrap();
            } else {
                plain.extend_from_slice(data);
            }
            format!("sha256:{:x}", Sha256::digest(&plain))
        })
        .collect();
    let repo_tags = m["RepoTags"]
        .as_array()
        .map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    Analysis {
        repo_tags,
        config_diff_ids,
        layer_digests,
    }
}

fn normalise(p: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for c in Path::new(p).components() {
        match c {
            Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out.join("/")
}

fn fixture_analysis() -> Analysis {
    analyse(std::fs::File::open(fixture()).unwrap())
}

#[test]
fn fetch_by_tag_gives_a_docker_save_tar_with_the_same_layers() {
    let _serial = dockerd::serial();
    let Some(d) = daemon() else { return };
    let mut seen = Vec::new();
    let t = Instant::now();
    let img = fetch_with(
        &docker(NAME),
        &opts(&[("DOCKER_HOST", &d.host)]),
        &mut |n, e| seen.push((n, e)),
    )
    .unwrap();
    println!("fetched {} bytes in {:?}", img.size, t.elapsed());
    assert_eq!(img.kind, DaemonKind::Docker);
    assert_eq!(img.name, NAME);
    assert_eq!(img.socket, d.host);
    assert_eq!(img.image_id.as_deref(), Some(IMAGE_ID));
    assert_eq!(img.spool.as_file().metadata().unwrap().len(), img.size);
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(seen.last().unwrap().0, img.size);

    let a = analyse(img.spool.reopen().unwrap());
    assert_eq!(
        a.config_diff_ids, a.layer_digests,
        "layers hash to their diff_ids"
    );
    assert_eq!(a.config_diff_ids.len(), 5);
    assert_eq!(a.repo_tags, vec![NAME.to_string()]);
    let f = fixture_analysis();
    assert_eq!(
        a.config_diff_ids, f.config_diff_ids,
        "same image as the fixture"
    );

    let path = img.spool.path().to_path_buf();
    drop(img);
    assert!(!path.exists(), "spool removed on drop");
}

#[test]
fn fetch_by_id_and_short_id() {
    let _serial = dockerd::serial();
    let Some(d) = daemon() else { return };
    let want = fixture_analysis().config_diff_ids;
    for name in [IMAGE_ID, &IMAGE_ID[7..19]] {
        let img = fetch_with(
            &docker(name),
            &opts(&[("DOCKER_HOST", &d.host)]),
            &mut |_, _| {},
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let a = analyse(img.spool.reopen().unwrap());
        assert_eq!(a.layer_digests, want, "{name}");
    }
}

#[test]
fn bare_name_and_process_environment() {
    let _serial = dockerd::serial();
    let Some(d) = daemon() else { return };
    let r = parse_reference(NAME).expect("a bare name is a daemon reference");
    assert_eq!(r.kind, None);
    let saved: Vec<_> = ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY"]
        .iter()
        .map(|k| (*k, std::env::var_os(k)))
        .collect();
    // Only tests holding the `serial` lock touch the environment in this binary.
    std::env::set_var("DOCKER_HOST", &d.host);
    std::env::remove_var("DOCKER_CONTEXT");
    std::env::remove_var("DOCKER_TLS_VERIFY");
    let res = fetch(&r, &mut |_, _| {});
    for (k, v) in saved {
        match v {
            Some(v) => std::env::set_var(k, v),
            None => std::env::remove_var(k),
        }
    }
    let img = res.unwrap();
    assert_eq!(img.kind, DaemonKind::Docker);
    assert_eq!(img.socket, d.host);

    let r = parse_reference(&format!("docker://{NAME}")).unwrap();
    assert_eq!(r.kind, Some(DaemonKind::Docker));
}

#[test]
fn unknown_image_is_not_found() {
    let _serial = dockerd::serial();
    let Some(d) = daemon() else { return };
    let e = fetch_with(
        &docker("localhost/does-not-exist:nope"),
        &opts(&[("DOCKER_HOST", &d.host)]),
        &mut |_, _| {},
    )
    .unwrap_err();
    let s = e.to_string();
    println!("{s}");
    assert!(matches!(e, DaemonError::NotFound { .. }), "{e:?}");
    assert!(
        s.contains("`docker pull localhost/does-not-exist:nope`") && s.contains(&d.host),
        "{s}"
    );
    assert!(!s.contains('\n'));

    // An invalid name reaches the daemon only with an explicit docker:// prefix; its refusal is
    // shown as the daemon words it.
    let e = fetch_with(
        &docker("Not/Valid"),
        &opts(&[("DOCKER_HOST", &d.host)]),
        &mut |_, _| {},
    )
    .unwrap_err();
    let s = e.to_string();
    println!("{s}");
    assert!(!s.contains('\n'));
    assert!(
        matches!(e, DaemonError::Api { .. } | DaemonError::NotFound { .. }),
        "{e:?}"
    );
}

#[test]
fn falls_back_to_podman_sockets_when_docker_is_unreachable() {
    let _serial = dockerd::serial();
    let Some(d) = daemon() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let missing = format!("unix://{}", tmp.path().join("none.sock").display());
    let r = DaemonRef {
        kind: None,
        name: NAME.into(),
    };
    // The real dockerd stands in for Podman: it does not announce Libpod-Api-Version, so the
    // answer is reported as Docker, but it was found through CONTAINER_HOST.
    let img = fetch_with(
        &r,
        &opts(&[("DOCKER_HOST", &missing), ("CONTAINER_HOST", &d.host)]),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(img.socket, d.host);

    // Docker reachable but without the image, Podman unreachable: Docker's not-found answer.
    let r = DaemonRef {
        kind: None,
        name: "localhost/absent".into(),
    };
    let e = fetch_with(
        &r,
        &opts(&[("DOCKER_HOST", &d.host), ("CONTAINER_HOST", &missing)]),
        &mut |_, _| {},
    )
    .unwrap_err();
    let s = e.to_string();
    assert!(matches!(e, DaemonError::NotFound { .. }), "{s}");
    assert!(
        s.contains("no file or directory of that name") && s.contains("Docker ("),
        "{s}"
    );
}

#[test]
fn docker_context_points_at_the_daemon() {
    let _serial = dockerd::serial();
    let Some(d) = daemon() else { return };
    let cfg = tempfile::tempdir().unwrap();
    // Let the docker CLI write the context, so the layout is the real one.
    let out = std::process::Command::new(dockerd::which("docker").unwrap())
        .args(["context", "create", "lstest", "--docker"])
        .arg(format!("host={}", d.host))
        .env("DOCKER_CONFIG", cfg.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = fetch_with(
        &docker(NAME),
        &opts(&[
            ("DOCKER_CONFIG", cfg.path().to_str().unwrap()),
            ("DOCKER_CONTEXT", "lstest"),
        ]),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(img.socket, d.host);
}

/// Throughput on a synthetic image with one large layer: `cargo test --release --test daemon
/// -- --ignored --nocapture throughput` (LAYERSCOPE_BENCH_MB sets the size, default 512).
#[test]
#[ignore]
fn throughput() {
    let _serial = dockerd::serial();
    let Some(d) = daemon() else { return };
    let mb: usize = std::env::var("LAYERSCOPE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let dir = tempfile::tempdir().unwrap();
    // A layer tar holding one file of pseudo-random bytes.
    let mut layer = tar::Builder::new(Vec::new());
    let mut data = vec![0u8; mb << 20];
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for c in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c.copy_from_slice(&x.to_le_bytes()[..c.len()]);
    }
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    layer.append_data(&mut h, "big.bin", &data[..]).unwrap();
    drop(data);
    let layer = layer.into_inner().unwrap();
    let diff_id = format!("sha256:{:x}", Sha256::digest(&layer));
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "bench"}]
    })
    .to_string();
    let config_name = format!("{:x}.json", Sha256::digest(config.as_bytes()));
    let manifest = serde_json::json!([{
        "Config": config_name, "RepoTags": ["localhost/bench:latest"], "Layers": ["l/layer.tar"]
    }])
    .to_string();
    let tar_path = dir.path().join("bench.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
    for (name, bytes) in [
        (config_name.as_str(), config.as_bytes()),
        ("manifest.json", manifest.as_bytes()),
        ("l/layer.tar", &layer[..]),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, bytes).unwrap();
    }
    b.into_inner().unwrap();
    drop(layer);
    let t = Instant::now();
    d.load(&tar_path).unwrap();
    println!("docker load of {mb} MiB: {:?}", t.elapsed());

    let t = Instant::now();
    let img = fetch_with(
        &docker("localhost/bench:latest"),
        &opts(&[("DOCKER_HOST", &d.host)]),
        &mut |_, _| {},
    )
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "fetch: {} bytes in {secs:.2} s = {:.0} MiB/s",
        img.size,
        img.size as f64 / secs / 1048576.0
    );
    let t = Instant::now();
    let out = std::process::Command::new(dockerd::which("docker").unwrap())
        .args(["save", "-o"])
        .arg(dir.path().join("cli.tar"))
        .arg("localhost/bench:latest")
        .env("DOCKER_HOST", &d.host)
        .status()
        .unwrap();
    assert!(out.success());
    println!("docker save (CLI) for comparison: {:?}", t.elapsed());
    d.docker(&["rmi", "localhost/bench:latest"]).unwrap();
}

/// The acceptance check: the CLI's analysis of `docker://IMAGE` equals that of the same image
/// read from its tar, but for where it came from.
#[test]
fn cli_daemon_analysis_equals_tar_analysis() {
    let _serial = dockerd::serial();
    let Some(d) = daemon() else { return };
    let run = |arg: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_layerscope"))
            .args([arg, "--json"])
            .env("DOCKER_HOST", &d.host)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{arg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let mut from_daemon = run(&format!("docker://{NAME}"));
    let mut from_tar = run(fixture().to_str().unwrap());
    assert_eq!(from_daemon["image"]["format"], "docker-daemon");
    assert_eq!(from_tar["image"]["format"], "docker-archive");
    for v in [&mut from_daemon, &mut from_tar] {
        v["image"]["format"] = serde_json::Value::Null;
    }
    assert_eq!(from_daemon, from_tar);
    // A bare name that is not a path goes to the daemon too.
    let bare = run(NAME);
    assert_eq!(bare["layers"], from_tar["layers"]);
}

#[test]
fn cli_daemon_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no.sock");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(["docker://nobin:latest", "--json"])
        .env("DOCKER_HOST", format!("unix://{}", missing.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("no.sock") && err.contains("docker save"),
        "{err}"
    );
}

//! Real tools read what the writer writes. Runs only where the tools are installed
//! (`apt-get install skopeo umoci`); otherwise each test prints why and passes.
//!
//! - skopeo (containers/image) copies every layout × compression to an OCI layout, which
//!   checks every blob digest and size on the way;
//! - umoci unpacks the demo image, applying whiteouts as a runtime does: the deleted and
//!   overwritten secrets are gone from the final filesystem, the visible one is there.

use layerscope_imagegen::*;
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    crate::support::common::tool(tool, "--version")
}

fn run(cmd: &mut Command) {
    let o = cmd.output().expect("spawn");
    assert!(
        o.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn skopeo_reads_every_layout_and_compression() {
    if !have("skopeo") {
        return;
    }
    let spec = demo::demo_spec();
    let tmp = tempfile::tempdir().unwrap();
    for layout in Layout::ALL {
        for c in Compression::ALL {
            let name = format!("{layout:?}-{c:?}");
            let src = tmp.path().join(&name);
            write_image(&spec, layout, c, &src).unwrap();
            let transport = match layout {
                Layout::OciDir => "oci",
                Layout::OciArchive => "oci-archive",
                _ => "docker-archive",
            };
            let dst = tmp.path().join(format!("{name}.out"));
            run(Command::new("skopeo").args([
                "--insecure-policy",
                "copy",
                "-q",
                &format!("{transport}:{}", src.display()),
                &format!("oci:{}:x", dst.display()),
            ]));
        }
    }
}

#[test]
fn umoci_unpacks_the_demo_with_whiteouts_applied() {
    if !have("umoci") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("img");
    write_image(&demo::demo_spec(), Layout::OciDir, Compression::Gzip, &img).unwrap();
    let rootfs = tmp.path().join("rootfs");
    run(Command::new("umoci").args([
        "raw",
        "unpack",
        "--rootless",
        "--image",
        &format!("{}:latest", img.display()),
        rootfs.to_str().unwrap(),
    ]));
    let p = |s: &str| rootfs.join(s);
    let k = demo::demo_secrets();
    for gone in [
        "root/.netrc",
        "root/.ssh",
        "root/.aws",
        "tmp/secrets/github_token",
    ] {
        assert!(!Path::exists(&p(gone)), "{gone} should be deleted");
    }
    let env = std::fs::read_to_string(p("app/.env")).unwrap();
    assert!(!env.contains(&k.stripe_key));
    let prod = std::fs::read_to_string(p("app/config/production.yml")).unwrap();
    assert!(prod.contains(&k.postgres_password));
    assert!(p("app/bin/demo-app").exists());
    assert!(!p("root/.npmrc").exists());
}

#[test]
fn skopeo_copies_a_multi_platform_index() {
    if !have("skopeo") {
        return;
    }
    let arm = ImageSpec {
        architecture: "arm64".into(),
        variant: Some("v8".into()),
        steps: vec![Step::layer(
            "ADD arm",
            vec![Node::file("etc/arch", b"arm64\n")],
        )],
        ..ImageSpec::default()
    };
    let mut spec = ImageSpec {
        name: "example/multi:1".into(),
        steps: vec![Step::layer(
            "ADD amd",
            vec![Node::file("etc/arch", b"amd64\n")],
        )],
        ..ImageSpec::default()
    };
    spec.platforms = vec![arm];
    let tmp = tempfile::tempdir().unwrap();
    for (layout, transport, reference) in [
        (Layout::OciDir, "oci", "1"),
        (Layout::OciArchive, "oci-archive", "example/multi:1"),
    ] {
        let src = tmp.path().join(format!("{layout:?}"));
        write_image(&spec, layout, Compression::Zstd, &src).unwrap();
        let dst = tmp.path().join(format!("{layout:?}.out"));
        run(Command::new("skopeo").args([
            "--insecure-policy",
            "copy",
            "-q",
            "--all",
            &format!("{transport}:{}:{reference}", src.display()),
            &format!("oci:{}:x", dst.display()),
        ]));
        for arch in ["amd64", "arm64"] {
            run(Command::new("skopeo").args([
                "--override-arch",
                arch,
                "inspect",
                "--config",
                &format!("oci:{}:x", dst.display()),
            ]));
        }
    }
}

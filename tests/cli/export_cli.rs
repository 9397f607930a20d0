//! `layerscope export`: a file version (ghosts included) written only inside OUT, never through a
//! symlink, never over an existing file without `--force`.

use crate::support::common::run;

fn demo() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/demo.tar").to_string()
}

#[test]
fn exports_a_deleted_file_from_the_layer_that_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    // No --layer: the last layer with bytes, i.e. the ghost's source layer.
    let (code, _, err) = run(&["export", &demo(), "/root/.netrc", "-o", out]);
    assert_eq!(code, 0, "{err}");
    let body = std::fs::read_to_string(dir.path().join(".netrc")).unwrap();
    assert!(body.contains("machine"), "{body}");
    assert!(err.contains("from layer 2"), "{err}");
    // The layer that deleted it writes the ghost (what the TUI's `x` writes) and says which
    // layer's bytes those are.
    std::fs::remove_file(dir.path().join(".netrc")).unwrap();
    let (code, _, err) = run(&["export", &demo(), "root/.netrc", "--layer", "8", "-o", out]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("from layer 2 (deleted in layer 8; these bytes are still in layer 2)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".netrc")).unwrap(),
        body
    );
}

#[test]
fn refuses_overwrite_and_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.env");
    std::fs::write(&target, "mine").unwrap();
    let t = target.to_str().unwrap();
    let (code, _, err) = run(&["export", &demo(), "/app/.env", "--layer", "5", "-o", t]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine");
    let (code, _, err) = run(&[
        "export",
        &demo(),
        "/app/.env",
        "--layer",
        "5",
        "-o",
        t,
        "--force",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("STRIPE_KEY=sk_live_"));
    // A symlink as the destination, even with --force, is refused and its target untouched.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let (code, _, err) = run(&[
        "export",
        &demo(),
        "/app/.env",
        "-o",
        link.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
}

#[test]
fn layers_by_digest_and_bad_references() {
    let dir = tempfile::tempdir().unwrap();
    let (_, json, _) = run(&[&demo(), "--json", "--no-secrets"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let diff = v["layers"][5]["diff_id"].as_str().unwrap().to_string();
    let prefix = &diff["sha256:".len().."sha256:".len() + 12];
    let out = dir.path().join("env");
    let (code, _, err) = run(&[
        "export",
        &demo(),
        "/app/.env",
        "--layer",
        prefix,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    for (layer, path, needle) in [
        ("99", "/app/.env", "no such layer"),
        ("zz", "/app/.env", "give a layer index"),
        ("5", "/nope", "in no layer"),
    ] {
        let (code, _, err) = run(&[
            "export",
            &demo(),
            path,
            "--layer",
            layer,
            "-o",
            dir.path().to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{layer} {path}");
        assert!(err.contains(needle), "{err}");
    }
}

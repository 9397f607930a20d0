//! Every fixture made by real tools reads correctly: layer counts, history mapping, diff_ids,
//! whiteouts and change kinds.

mod common;

use common::{fixture, open, run};
use layerscope_core::analysis::Analysis;
use layerscope_core::source::Format;
use layerscope_core::tree::Change;

fn changes(a: &Analysis, layer: usize) -> Vec<(String, Change)> {
    let mut v: Vec<(String, Change)> = a
        .tree
        .layer_versions(layer)
        .filter(|v| v.change != Change::Unchanged)
        .map(|v| (a.path_string(v.path), v.change))
        .collect();
    v.sort();
    v
}

fn has(a: &Analysis, layer: usize, path: &str, change: Change) -> bool {
    changes(a, layer)
        .iter()
        .any(|(p, c)| p == path && *c == change)
}

fn assert_digests_verified(a: &Analysis) {
    for l in &a.layers {
        assert!(!l.digest_mismatch(), "layer {} diff_id mismatch", l.index);
        assert_eq!(l.computed_diff_id.as_deref(), Some(l.diff_id.as_str()));
    }
}

const POSITIVE: &[&str] = &[
    "public/containers-image/almostempty.tar",
    "public/dive/test-docker-image.tar",
    "public/dive/test-kaniko-image.tar",
    "public/dive/test-oci-estargz-image.tar",
    "public/dive/test-oci-gzip-image.tar",
    "public/dive/test-oci-uncompressed-image.tar",
    "public/dive/test-oci-zstd-image.tar",
    "public/ggcr/hello-world-v25.tar",
    "public/ggcr/overwritten_file.tar",
    "public/ggcr/source_image_with_empty_layer_history.tar",
    "public/ggcr/test_bundle.tar",
    "public/ggcr/test_link.tar",
    "public/ggcr/whiteout_dir.tar",
    "public/ggcr/whiteout_image.tar",
    "public/stereoscope/valid-oci.tar",
    "public/trivy/alpine-310.tar.gz",
    "public/trivy/test_image_tag.oci",
    "built/nobin.docker-archive.tar",
    "built/nobin.docker20-save.tar",
    "built/nobin.docker26-containerd-store.by-id.tar",
    "built/nobin.docker26-containerd-store.tar",
    "built/nobin.docker26-save.by-id.tar",
    "built/nobin.docker26-save.tar",
    "built/nobin.oci-archive.tar",
    "built/nobin.zstd.oci-dir",
];

#[test]
fn every_positive_fixture_gives_json() {
    for f in POSITIVE {
        let (code, out, err) = run(&[fixture(f).to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{f}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert!(!v["layers"].as_array().unwrap().is_empty(), "{f}");
        assert!(v["image"]["config_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"));
    }
}

#[test]
fn negative_fixtures_give_one_line_and_exit_2() {
    for (f, needle) in [
        ("public/ggcr/no_manifest.tar", "no manifest.json"),
        ("public/ggcr/null_manifest.tar", "manifest is null"),
        ("public/moby/emptyLayer.tar", "pre-1.10"),
    ] {
        let (code, out, err) = run(&[fixture(f).to_str().unwrap(), "--json"]);
        assert_eq!(code, 2, "{f}");
        assert!(out.is_empty(), "{f}: wrote to stdout");
        assert_eq!(err.trim_end().lines().count(), 1, "{f}: {err}");
        assert!(err.contains(needle), "{f}: {err}");
        assert!(
            err.contains(f.rsplit('/').next().unwrap()),
            "{f}: error must name the file: {err}"
        );
    }
}

#[test]
fn nobin_is_identical_in_all_eight_formats() {
    let formats = [
        ("built/nobin.docker-archive.tar", Format::DockerArchive),
        ("built/nobin.docker20-save.tar", Format::DockerArchive),
        ("built/nobin.docker26-save.tar", Format::DockerArchiveV25),
        (
            "built/nobin.docker26-save.by-id.tar",
            Format::DockerArchiveV25,
        ),
        (
            "built/nobin.docker26-containerd-store.tar",
            Format::DockerArchiveV25,
        ),
        (
            "built/nobin.docker26-containerd-store.by-id.tar",
            Format::DockerArchiveV25,
        ),
        ("built/nobin.oci-archive.tar", Format::OciArchive),
        ("built/nobin.zstd.oci-dir", Format::OciLayout),
    ];
    let mut first: Option<serde_json::Value> = None;
    for (f, fmt) in formats {
        let a = open(f);
        assert_eq!(a.format(), fmt, "{f}");
        assert_digests_verified(&a);
        let r = layerscope_core::report::json::build(&a, false);
        let v = serde_json::to_value(&r).unwrap();
        let key = serde_json::json!({
            "changes": v["layers"].as_array().unwrap().iter().map(|l| l["changes"].clone()).collect::<Vec<_>>(),
            "diff_ids": v["layers"].as_array().unwrap().iter().map(|l| l["diff_id"].clone()).collect::<Vec<_>>(),
            "efficiency": v["efficiency"],
        });
        match &first {
            None => first = Some(key),
            Some(k) => assert_eq!(k, &key, "{f} differs from nobin.docker-archive.tar"),
        }
    }
}

#[test]
fn nobin_whiteouts_and_kinds() {
    let a = open("built/nobin.oci-archive.tar");
    assert_eq!(a.layers.len(), 5);
    assert_eq!(a.history.len(), 5);
    // Opaque directory: lower children removed, the new child added.
    assert!(has(&a, 1, "app/opq/a", Change::Removed));
    assert!(has(&a, 1, "app/opq/sub/b", Change::Removed));
    assert!(has(&a, 1, "app/opq/new", Change::Added));
    // File, directory and dot-directory whiteouts.
    assert!(has(&a, 1, "app/gone-file", Change::Removed));
    assert!(has(&a, 1, "app/gone-dir/x/z", Change::Removed));
    assert!(has(&a, 1, "home/user/.ssh/id_ed25519", Change::Removed));
    // Ghosts: removed paths keep the lower version that holds their bytes.
    let key = a.tree.paths.lookup(b"home/user/.ssh/id_ed25519").unwrap();
    let prev = a.tree.previous(key, 1).unwrap();
    assert_eq!(prev.layer, 0);
    assert_eq!(a.entry(prev).unwrap().size, 90);
    // `.wh-lookalike` is an ordinary file, non-UTF-8 names survive.
    assert!(has(&a, 3, "long/.wh-lookalike", Change::Added));
    assert!(a
        .tree
        .paths
        .lookup(b"long/bad-\xff\xfe-latin1-caf\xe9")
        .is_some());
    // Hardlinks share their target's content.
    let h2 = a.tree.paths.lookup(b"links/h2").unwrap();
    assert_eq!(a.entry(a.tree.version_in(h2, 2).unwrap()).unwrap().size, 3);
    assert_eq!(a.efficiency.wasted_bytes, 118);
    assert_eq!(
        a.config.env,
        vec!["API_TOKEN=tok_live_FAKE0000".to_string()]
    );
}

#[test]
fn dive_legacy_image() {
    for f in [
        "public/dive/test-docker-image.tar",
        "public/dive/test-kaniko-image.tar",
    ] {
        let a = open(f);
        assert_eq!(a.layers.len(), 14, "{f}");
        assert_eq!(a.history.len(), 15, "{f}");
        assert_eq!(a.history.iter().filter(|h| h.empty_layer).count(), 1, "{f}");
        assert_digests_verified(&a);
        // A directory whiteout removes every file under it.
        let removed: Vec<String> = (0..a.layers.len())
            .flat_map(|l| changes(&a, l))
            .filter(|(p, c)| *c == Change::Removed && p.starts_with("root/example"))
            .map(|(p, _)| p)
            .collect();
        assert!(
            removed.iter().any(|p| p == "root/example/somefile3.txt"),
            "{f}: {removed:?}"
        );
        assert!(
            removed.iter().any(|p| p == "root/example"),
            "{f}: {removed:?}"
        );
        assert!(
            removed.len() > 2,
            "{f}: children of root/example removed too: {removed:?}"
        );
        assert!(a.efficiency.wasted_bytes > 0);
    }
}

#[test]
fn ggcr_whiteouts_and_overwrites() {
    let a = open("public/ggcr/whiteout_dir.tar");
    assert_eq!(a.layers.len(), 4);
    assert!(has(&a, 2, "a", Change::Removed));
    assert!(has(&a, 2, "a/foo", Change::Removed));
    assert!(has(&a, 3, "a/baz", Change::Added));
    let a = open("public/ggcr/whiteout_image.tar");
    assert!(has(&a, 1, "foo.txt", Change::Removed));
    assert_eq!(
        a.layers[2].entries.len(),
        0,
        "10240 zero bytes is an empty layer"
    );
    let a = open("public/ggcr/overwritten_file.tar");
    assert!(has(&a, 1, "foo.txt", Change::Modified));
    let foo = a.tree.paths.lookup(b"foo.txt").unwrap();
    let v = a.tree.version_in(foo, 1).unwrap();
    assert_eq!(a.kind_of(v), layerscope_core::layer::EntryKind::Symlink);
}

#[test]
fn history_mapping_with_empty_layers() {
    let a = open("public/ggcr/source_image_with_empty_layer_history.tar");
    assert!(a.history[0].empty_layer);
    assert_eq!(a.history[0].layer, None);
    assert_eq!(a.history[1].layer, Some(0));
    assert_eq!(a.layers[0].history, Some(1));
    let a = open("public/ggcr/hello-world-v25.tar");
    assert_eq!(a.format(), Format::DockerArchiveV25);
    assert!(a.warnings.iter().any(|w| w.code == "empty-index"));
    assert_digests_verified(&a);
}

#[test]
fn compressed_layers_and_archives() {
    for f in [
        "public/dive/test-oci-gzip-image.tar",
        "public/dive/test-oci-zstd-image.tar",
        "public/dive/test-oci-uncompressed-image.tar",
        "public/dive/test-oci-estargz-image.tar",
    ] {
        let a = open(f);
        assert_eq!(a.layers.len(), 1);
        assert!(a.tree.paths.lookup(b"README.md").is_some(), "{f}");
        assert_digests_verified(&a);
        let v = a
            .tree
            .version_in(a.tree.paths.lookup(b"README.md").unwrap(), 0)
            .unwrap();
        let c = layerscope_core::content::read(&a, 0, a.entry(v).unwrap(), 1 << 20).unwrap();
        assert!(!c.bytes.is_empty() && !c.is_binary(), "{f}");
        // The spooled copy of a compressed layer reads the same bytes.
        let opts = layerscope_core::AnalyzeOptions {
            spool_compressed: true,
            ..Default::default()
        };
        let s = common::open_with(f, &opts);
        let compressed = s.layers[0].compression != Some(layerscope_core::source::Compression::None);
        assert_eq!(s.layers[0].spool.is_some(), compressed, "{f}");
        let v = s
            .tree
            .version_in(s.tree.paths.lookup(b"README.md").unwrap(), 0)
            .unwrap();
        let d = layerscope_core::content::read(&s, 0, s.entry(v).unwrap(), 1 << 20).unwrap();
        assert_eq!(d.bytes, c.bytes, "{f}");
        let spool = s.layers[0].spool.clone();
        drop(s);
        if let Some(p) = spool {
            // Only this test's Arc is left; dropping it removes the file.
            let path = p.to_path_buf();
            drop(p);
            assert!(!path.exists());
        }
    }
    let a = open("public/trivy/alpine-310.tar.gz");
    assert_eq!(a.source.reference, "alpine:3.10");
}

#[test]
fn several_images_choose_by_reference() {
    let a = open("public/ggcr/test_link.tar");
    assert!(a.warnings.iter().any(|w| w.code == "several-images"));
    let opts = layerscope_core::AnalyzeOptions {
        open: layerscope_core::source::OpenOptions {
            image: Some("test_image_3".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let b = common::open_with("public/ggcr/test_link.tar", &opts);
    assert_ne!(a.source.config_digest, b.source.config_digest);
    assert!(!b.warnings.iter().any(|w| w.code == "several-images"));
    let (code, _, err) = run(&[
        fixture("public/ggcr/test_link.tar").to_str().unwrap(),
        "--image",
        "nope",
        "--json",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("test_image_1") && err.contains("test_image_3"),
        "{err}"
    );
}

#[test]
fn errors_name_the_file() {
    let (code, _, err) = run(&["/nonexistent/image.tar", "--json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/image.tar") && err.contains("no such file"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&[dir.path().to_str().unwrap(), "--json"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an OCI image layout"), "{err}");
}

#[test]
fn help_documents_every_flag() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    for flag in [
        "--json",
        "--output",
        "--platform",
        "--image",
        "--strict",
        "--max-bytes",
        "--max-ratio",
    ] {
        assert!(out.contains(flag), "--help lacks {flag}");
    }
}

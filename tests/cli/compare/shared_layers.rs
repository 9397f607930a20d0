//! Shared layers indexed once: reused on verified bytes, read again when the bytes differ.

use super::*;

fn analyse_reusing(p: &Path, from: &Analysis) -> (Analysis, usize) {
    let opts = AnalyzeOptions::default();
    let state = PassState::default();
    let src = || layerscope_core::source::open_path(p, &opts.open).unwrap();
    let reused = layerscope_core::analysis::reuse::plan(&src(), from, &state)
        .unwrap()
        .reused();
    let a = layerscope_core::analyze::analyze_source_reusing(
        src(),
        &opts,
        &state,
        Some(&scanner()),
        from,
    )
    .unwrap();
    (a, reused)
}

/// Everything a reader of an analysis sees: per layer, per path version, per finding.
fn digest_of(a: &Analysis) -> String {
    let mut s = String::new();
    for l in &a.layers {
        s += &format!(
            "L{} {} {:?} {:?} {} {} {:?} {}\n",
            l.index,
            l.diff_id,
            l.computed_diff_id,
            l.digest,
            l.size,
            l.compressed_size,
            l.compression,
            l.entries.len()
        );
    }
    for v in a.tree.all_versions() {
        let e = a
            .entry(v)
            .map(|e| (e.kind, e.mode, e.size, e.hash, e.offset));
        s += &format!(
            "{} {} {:?} {:?}\n",
            a.path_string(v.path),
            v.layer,
            v.change,
            e
        );
    }
    for f in &a.findings {
        s += &format!(
            "{} {:?} {:?} {:?} {:?} {} {}\n",
            f.rule,
            f.path.map(|p| a.path_string(p)),
            f.layer,
            f.status,
            f.removed_in_layer,
            f.fingerprint,
            f.line
        );
    }
    s
}

#[test]
fn a_shared_layer_is_indexed_once_and_reads_the_same() {
    let d = Dir::new();
    // A secret in the shared base that NEW deletes: its status comes from NEW's own tree.
    let secret_base = Step::layer(
        "/bin/sh -c #(nop) ADD file:base in / ",
        vec![
            Node::dir("etc"),
            Node::file("etc/os-release", "NAME=Base\n"),
            Node::file("etc/deploy.env", format!("GITHUB_TOKEN={}\n", token())),
            Node::hardlink("etc/os-release.link", "etc/os-release"),
        ],
    );
    let old = spec(vec![
        secret_base.clone(),
        Step::layer("COPY app /app", app_v1_nodes()),
    ]);
    let new = spec(vec![
        secret_base,
        Step::layer("COPY app /app", app_v1_nodes()),
        Step::layer(
            "RUN rm /etc/deploy.env",
            vec![Node::whiteout("etc/deploy.env")],
        ),
    ]);
    let (op, np) = (d.tar("old.tar", &old), d.tar("new.tar", &new));
    let o = analyse(&op);
    let (n, reused) = analyse_reusing(&np, &o);
    assert_eq!(reused, 2, "base and app layer are the same blobs");
    assert_eq!(digest_of(&n), digest_of(&analyse(&np)));
    let f = n
        .findings
        .iter()
        .find(|f| f.rule.contains("github"))
        .unwrap();
    assert_eq!(f.status, Status::Deleted);
    // Reused layers preview from NEW's own blob.
    let cmp = compare::compare(&o, &n);
    assert_eq!(
        paths(&cmp),
        vec![("etc/deploy.env".to_string(), FsChange::Removed)]
    );
}

#[test]
fn a_blob_of_the_same_size_with_other_bytes_is_read_again() {
    let d = Dir::new();
    // Same stored size, different bytes: the hash, not the size or a claimed id, decides.
    let (op, np) = (
        d.tar("old.tar", &spec(vec![base("3.18")])),
        d.tar("new.tar", &spec(vec![base("3.19")])),
    );
    let o = analyse(&op);
    assert_eq!(
        std::fs::metadata(&op).unwrap().len(),
        std::fs::metadata(&np).unwrap().len()
    );
    let (n, reused) = analyse_reusing(&np, &o);
    assert_eq!(reused, 0);
    assert_eq!(digest_of(&n), digest_of(&analyse(&np)));
    let cmp = compare::compare(&o, &n);
    assert_eq!(
        paths(&cmp),
        vec![("etc/os-release".to_string(), FsChange::Modified)]
    );
}

#[test]
fn the_same_layer_stored_another_way_is_reused_with_its_own_blob() {
    let d = Dir::new();
    let s = app_v2();
    let tar = analyse(&d.tar("a.tar", &s));
    for (name, layout, c) in [
        ("oci", Layout::OciDir, Compression::Gzip),
        ("zstd.tar", Layout::OciArchive, Compression::Zstd),
    ] {
        let p = d.write(name, &s, layout, c);
        let (n, reused) = analyse_reusing(&p, &tar);
        assert_eq!(reused, 3, "{name}: every layer, inflated and hashed once");
        // Digest, compression and stored size are this image's own; previews read its blob.
        assert_eq!(digest_of(&n), digest_of(&analyse(&p)), "{name}");
        assert!(compare::compare(&tar, &n).is_empty());
        let cmp = compare::compare(&analyse(&d.tar("v1.tar", &app_v1())), &n);
        let env = cmp.changes.iter().find(|c| c.path == b"app/.env").unwrap();
        let lines = layerscope::tui::compare::view::preview_lines(&tar, &n, env);
        let shown = |reveal| {
            lines
                .iter()
                .any(|l| layerscope_core::secrets::shown(&l.pieces, reveal).contains(&token()))
        };
        assert!(
            shown(true) && !shown(false),
            "{name}: revealed, and masked otherwise"
        );
    }
}

/// Rewrites the config of a `docker save` tar in place (same member name; the loader hashes
/// the content, not the name).
fn with_config(src: &Path, dst: &Path, edit: impl Fn(&mut Value)) {
    use std::io::Read;
    let mut ar = tar::Archive::new(std::fs::File::open(src).unwrap());
    let mut out = tar::Builder::new(std::fs::File::create(dst).unwrap());
    let mut members: Vec<(tar::Header, Vec<u8>)> = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        members.push((e.header().clone(), data));
    }
    let manifest: Value = serde_json::from_slice(
        &members
            .iter()
            .find(|(h, _)| h.path().unwrap().to_str() == Some("manifest.json"))
            .unwrap()
            .1,
    )
    .unwrap();
    let config = manifest[0]["Config"].as_str().unwrap().to_string();
    for (mut h, mut data) in members {
        if h.path().unwrap().to_str() == Some(config.as_str()) {
            let mut v: Value = serde_json::from_slice(&data).unwrap();
            edit(&mut v);
            data = serde_json::to_vec(&v).unwrap();
            h.set_size(data.len() as u64);
            h.set_cksum();
        }
        out.append(&h, data.as_slice()).unwrap();
    }
    out.finish().unwrap();
}

#[test]
fn a_layer_that_claims_another_diff_id_is_not_reused() {
    let d = Dir::new();
    let op = d.tar("old.tar", &spec(vec![base("3.18")]));
    let o = analyse(&op);
    let claimed = o.layers[0].computed_diff_id.clone().unwrap();
    // Other bytes of the same size, claiming OLD's diff_id.
    let real = d.tar("real.tar", &spec(vec![base("3.19")]));
    let np = d.0.path().join("liar.tar");
    with_config(&real, &np, |v| {
        v["rootfs"]["diff_ids"][0] = Value::String(claimed.clone())
    });
    let (n, reused) = analyse_reusing(&np, &o);
    assert_eq!(reused, 0);
    assert!(n.warnings.iter().any(|w| w.code == "diff-id-mismatch"));
    let cmp = compare::compare(&o, &n);
    assert_eq!(
        paths(&cmp),
        vec![("etc/os-release".to_string(), FsChange::Modified)]
    );
}

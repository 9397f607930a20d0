//! 1. Limits: bombs, byte, entry, path, document and layer limits.

use super::*;

/// Runs the binary with `-o out.json` and extra flags and checks the limit error contract.
fn expect_limit(name: &str, bytes: &[u8], extra: &[&str], flag: &str) {
    let (d, p) = temp_image(name, bytes);
    let out = d.path().join("out.json");
    let mut args = vec!["-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let r = run_file(&p, &args);
    assert_contract(&r, name, name);
    assert_eq!(
        r.code,
        Some(2),
        "{name}: expected a limit error: {}",
        r.err()
    );
    let err = r.err();
    assert!(
        err.contains("exceeds the limit") && err.contains(&format!("(raise it with {flag})")),
        "{name}: {err}"
    );
    assert!(!out.exists(), "{name}: -o file created despite the error");
    // Nothing half-written beside it either (the temp file is removed).
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != name)
        .collect();
    assert!(left.is_empty(), "{name}: left behind {left:?}");
}

fn zeros_layer(mib: usize) -> Vec<Ent> {
    vec![file("zeros", vec![0u8; mib << 20])]
}

#[test]
fn gzip_bomb_hits_the_ratio_limit() {
    let bytes = outer(&Image::new(vec![gz_zero_layer(4)]).oci());
    assert!(bytes.len() < 20_000, "the bomb is small: {}", bytes.len());
    let blob = &Image::new(vec![gz_zero_layer(4)]).layers[0].blob;
    assert!(
        4 * MIB / blob.len() > 500,
        "inflates {}x",
        4 * MIB / blob.len()
    );
    expect_limit("gzbomb.tar", &bytes, &["--max-ratio", "2"], "--max-ratio");
    // Under the default ratio the same image is fine (the ratio is measured past the first MiB).
    let (_d, p) = temp_image("gzbomb.tar", &bytes);
    let r = run_file(&p, &[]);
    assert_eq!(r.code, Some(0), "{}", r.err());
}

#[test]
fn zstd_bomb_hits_the_ratio_limit() {
    let bytes = single_layer(&zeros_layer(4), Comp::Zstd);
    assert!(bytes.len() < 20_000, "{}", bytes.len());
    expect_limit("zstdbomb.tar", &bytes, &["--max-ratio", "2"], "--max-ratio");
}

#[test]
fn total_bytes_limit() {
    let bytes = single_layer(&zeros_layer(3), Comp::Gzip);
    expect_limit(
        "big.tar",
        &bytes,
        &["--max-bytes", "1000000"],
        "--max-bytes",
    );
    // Counted over all layers together: two layers of 600 KB each pass 1 MB only together.
    let l = Layer::of(&[file("f", vec![1u8; 600_000])], Comp::None);
    let two = outer(&Image::new(vec![l.clone(), l]).docker_legacy());
    expect_limit("two.tar", &two, &["--max-bytes", "1000000"], "--max-bytes");
}

#[test]
fn gzipped_outer_archive_bomb() {
    // The whole archive gzipped (as `docker save | gzip`): spooled, so it too has both limits.
    let bytes = gzipped_save_bomb(4);
    expect_limit("outer.tar.gz", &bytes, &["--max-ratio", "2"], "--max-ratio");
    expect_limit(
        "outer.tar.gz",
        &bytes,
        &["--max-bytes", "3000000"],
        "--max-bytes",
    );
    let (_d, p) = temp_image("outer.tar.gz", &bytes);
    assert_eq!(run_file(&p, &[]).code, Some(0));
}

#[test]
fn entry_count_limit() {
    let ents: Vec<Ent> = (0..50).map(|i| file(format!("f{i}"), b"x")).collect();
    expect_limit(
        "many.tar",
        &single_layer(&ents, Comp::None),
        &["--max-entries", "20"],
        "--max-entries",
    );
}

#[test]
fn path_length_and_depth_limits() {
    let long = "a".repeat(300);
    let bytes = single_layer(&[file(&long, b"x")], Comp::Gzip);
    expect_limit(
        "long.tar",
        &bytes,
        &["--max-path-len", "200"],
        "--max-path-len",
    );
    let deep = (0..20)
        .map(|i| format!("d{i}"))
        .collect::<Vec<_>>()
        .join("/");
    let bytes = single_layer(&[file(&deep, b"x")], Comp::None);
    expect_limit("deep.tar", &bytes, &["--max-depth", "10"], "--max-depth");
    // A symlink target longer than PATH_MAX is as hostile as a long name.
    let bytes = single_layer(&[symlink("l", "t".repeat(300))], Comp::None);
    expect_limit(
        "longlink.tar",
        &bytes,
        &["--max-path-len", "200"],
        "--max-path-len",
    );
}

#[test]
fn huge_gnu_long_name_is_refused_without_reading_it_into_memory() {
    // A 3 MiB GNU long-name record (or a 3 GiB one: it is cut at ~1 MiB) compresses to ~3 KB; the tar crate would read it whole.
    let name = vec![b'a'; MIB];
    let ll = header_block(
        b"././@LongLink",
        tar::EntryType::new(b'L'),
        (3 * MIB) as u64,
    );
    let (blob, diff_id) = gz_parts(&[
        (&ll, 1),
        (&name, 3),
        (&header_block(b"x", tar::EntryType::Regular, 0), 1),
        (&[0u8; 1024], 1),
    ]);
    let layer = Layer {
        blob,
        diff_id,
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
    };
    let bytes = outer(&Image::new(vec![layer]).oci());
    expect_limit("longname.tar", &bytes, &[], "--max-path-len");
    // Same in the outer archive itself (gzipped whole).
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let rest = tar(&img
        .docker_legacy()
        .iter()
        .map(|(n, d)| file(n, d))
        .collect::<Vec<_>>());
    let (bytes, _) = gz_parts(&[
        (&ll, 1),
        (&name, 3),
        (&header_block(b"x", tar::EntryType::Regular, 0), 1),
        (&rest, 1),
    ]);
    let (_d, p) = temp_image("outer-longname.tar.gz", &bytes);
    let r = run_file(&p, &[]);
    assert_contract(&r, "outer-longname.tar.gz", "outer long name");
    assert_eq!(r.code, Some(2));
    assert!(r.err().contains("tar extension header"), "{}", r.err());
}

fn sparse_entry(name: &str, real_size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_mode(0o644);
    h.set_size(512);
    {
        let g = h.as_gnu_mut().unwrap();
        g.name[..name.len()].copy_from_slice(name.as_bytes());
        g.sparse[0].set_offset(0);
        g.sparse[0].set_length(512);
        g.sparse[1].set_offset(real_size);
        g.sparse[1].set_length(0);
        g.set_real_size(real_size);
    }
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(&[7u8; 512]);
    out
}

#[test]
fn sparse_file_holes_count_against_max_bytes() {
    // 1 PiB of holes in 1.5 KB: hashing them would never end.
    let mut t = sparse_entry("holes", 1 << 50);
    t.extend_from_slice(&[0u8; 1024]);
    let bytes = outer(&Image::new(vec![Layer::new(t, Comp::None)]).oci());
    expect_limit("sparse.tar", &bytes, &[], "--max-bytes");
    // A small sparse file is read normally.
    let mut t = sparse_entry("small", 4096);
    t.extend_from_slice(&[0u8; 1024]);
    let a = ok(
        "sparse-ok.tar",
        &outer(&Image::new(vec![Layer::new(t, Comp::None)]).oci()),
    );
    assert!(exists_after(&a, "small", 0));
}

#[test]
fn json_document_limits() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    // manifest.json, the config (docker save)...
    let mut m = img.docker_legacy();
    let pad = " ".repeat(5000);
    let mf = m.iter().position(|(n, _)| n == "manifest.json").unwrap();
    m[mf].1.extend_from_slice(pad.as_bytes());
    expect_limit(
        "manifest.tar",
        &outer(&m),
        &["--max-json-bytes", "4096"],
        "--max-json-bytes",
    );
    let mut cfg = img.config.clone();
    cfg.extend_from_slice(pad.as_bytes());
    let big = img.clone().with_config(cfg);
    expect_limit(
        "config.tar",
        &outer(&big.docker_legacy()),
        &["--max-json-bytes", "4096"],
        "--max-json-bytes",
    );
    // ... index.json and a manifest blob (OCI).
    let mut m = img.oci();
    let ix = m.iter().position(|(n, _)| n == "index.json").unwrap();
    m[ix].1.extend_from_slice(pad.as_bytes());
    expect_limit(
        "index.tar",
        &outer(&m),
        &["--max-json-bytes", "4096"],
        "--max-json-bytes",
    );
    expect_limit(
        "oci-config.tar",
        &outer(&big.oci()),
        &["--max-json-bytes", "4096"],
        "--max-json-bytes",
    );
}

#[test]
fn too_many_layers_is_an_error_not_a_panic() {
    // 70,000 layers all naming one small blob: more than a u16 can count.
    let blob = tar(&[file("f", b"x")]);
    let layers: Vec<String> = vec!["l.tar".to_string(); 70_000];
    let diff = sha(&blob);
    let cfg = format!(
        r#"{{"os":"linux","architecture":"amd64","rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#,
        vec![format!("\"{diff}\""); 70_000].join(",")
    );
    let manifest =
        serde_json::to_vec(&serde_json::json!([{"Config": "c.json", "Layers": layers}])).unwrap();
    let bytes = outer(&[
        ("l.tar".into(), blob),
        ("c.json".into(), cfg.into_bytes()),
        ("manifest.json".into(), manifest),
    ]);
    let (_d, p) = temp_image("layers.tar", &bytes);
    let r = run_file(&p, &[]);
    assert_contract(&r, "layers.tar", "70000 layers");
    assert_eq!(r.code, Some(2), "{}", r.err());
    assert!(r.err().contains("at most 65535"), "{}", r.err());
}

#[test]
fn repeated_nested_index_is_read_once() {
    // index.json lists one nested index 3000 times, which lists the manifest 3000 times:
    // nine million reads if each listing were followed.
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let mut m = img.oci();
    let manifest = img.oci_manifest();
    let desc = serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest), "size": manifest.len()});
    let nested = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": vec![desc; 3000]})).unwrap();
    let ndesc = serde_json::json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(&nested), "size": nested.len()});
    let top = serde_json::to_vec(
        &serde_json::json!({"schemaVersion": 2, "manifests": vec![ndesc; 3000]}),
    )
    .unwrap();
    set(&mut m, "index.json", top);
    m.push((format!("blobs/sha256/{}", hex(&sha(&nested))), nested));
    let (_d, p) = temp_image("fanout.tar", &outer(&m));
    let r = run_file(&p, &[]);
    assert_contract(&r, "fanout.tar", "fan-out");
    assert_eq!(r.code, Some(0), "{}", r.err());
    assert!(r.elapsed.as_secs() < 5, "took {:?}", r.elapsed);
}

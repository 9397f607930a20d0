//! Hostile images: every safety limit stops the image with one line naming the limit and its
//! flag (and writes no half output); hostile paths and whiteouts are handled per the OCI spec or
//! reported; nothing reads outside the archive or layout; names from the image cannot drive the
//! terminal; inputs are only read and nothing opens a socket.

use std::path::Path;

use crate::support::hostile::*;
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze;
use layerscope_core::layer::PassState;

fn analyze_bytes(name: &str, bytes: &[u8]) -> layerscope_core::Result<Analysis> {
    let (_d, p) = temp_image(name, bytes);
    analyze(&p, &AnalyzeOptions::default(), &PassState::default())
}

fn ok(name: &str, bytes: &[u8]) -> Analysis {
    analyze_bytes(name, bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn exists_after(a: &Analysis, path: &str, layer: usize) -> bool {
    a.tree
        .paths
        .lookup(path.as_bytes())
        .is_some_and(|id| a.tree.exists_at(id, layer))
}

fn warned(a: &Analysis, code: &str) -> bool {
    a.warnings.iter().any(|w| w.code == code)
}

fn single_layer(ents: &[Ent], comp: Comp) -> Vec<u8> {
    outer(&Image::new(vec![Layer::of(ents, comp)]).oci())
}

// ---------------------------------------------------------------------------------------------
// 1. Limits
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// 2. Paths and whiteouts
// ---------------------------------------------------------------------------------------------

#[test]
fn dot_dot_entries_are_ignored_with_a_warning() {
    let a = ok(
        "dotdot.tar",
        &single_layer(
            &[
                file("../../etc/passwd", b"root::0:0::/:/bin/sh\n"),
                file("a/../../escape", b"x"),
                file("ok/file", b"x"),
            ],
            Comp::Gzip,
        ),
    );
    let n = a
        .warnings
        .iter()
        .filter(|w| w.code == "path-escape")
        .count();
    assert_eq!(n, 2, "{:?}", a.warnings);
    assert!(!exists_after(&a, "etc/passwd", 0));
    assert!(!exists_after(&a, "escape", 0));
    assert!(exists_after(&a, "ok/file", 0));
}

#[test]
fn absolute_paths_are_rooted_in_the_image() {
    let a = ok(
        "abs.tar",
        &single_layer(
            &[file("/etc/shadow", b"x"), file("//usr///bin/./sh", b"y")],
            Comp::None,
        ),
    );
    assert!(exists_after(&a, "etc/shadow", 0));
    assert!(exists_after(&a, "usr/bin/sh", 0));
}

#[test]
fn duplicate_entries_last_wins() {
    let a = ok(
        "dup.tar",
        &single_layer(&[file("f", b"first"), file("f", b"second!")], Comp::None),
    );
    let id = a.tree.paths.lookup(b"f").unwrap();
    let v = a.tree.state_at(id, 0).unwrap();
    assert_eq!(a.entry(v).unwrap().size, 7);
}

#[test]
fn directory_replaced_by_file_and_back() {
    let l0 = Layer::of(&[dir("a"), file("a/x", b"1")], Comp::None);
    let l1 = Layer::of(&[file("a", b"now a file")], Comp::Gzip);
    let l2 = Layer::of(&[dir("a"), file("a/y", b"2")], Comp::Zstd);
    let a = ok("flip.tar", &outer(&Image::new(vec![l0, l1, l2]).oci()));
    assert!(exists_after(&a, "a/x", 0));
    assert!(
        !exists_after(&a, "a/x", 1),
        "a file replaced the directory: its children go"
    );
    assert!(exists_after(&a, "a", 1));
    assert!(!exists_after(&a, "a/x", 2));
    assert!(exists_after(&a, "a/y", 2));
    // The same within one layer: the last entry for a path wins.
    let a = ok(
        "flip1.tar",
        &single_layer(
            &[dir("d"), file("d", b"f"), dir("d"), file("d/z", b"z")],
            Comp::None,
        ),
    );
    assert!(exists_after(&a, "d/z", 0));
}

#[test]
fn hardlinks_to_missing_or_later_targets_warn() {
    let a = ok(
        "links.tar",
        &single_layer(
            &[
                hardlink("early", "later"),
                file("later", b"content"),
                hardlink("missing", "no/such/file"),
                hardlink("self", "self"),
                hardlink("up", "../../etc/passwd"),
                hardlink("good", "later"),
            ],
            Comp::None,
        ),
    );
    let n = a
        .warnings
        .iter()
        .filter(|w| w.code == "dangling-hardlink")
        .count();
    assert_eq!(n, 4, "{:?}", a.warnings);
    let id = a.tree.paths.lookup(b"good").unwrap();
    assert_eq!(a.entry(a.tree.state_at(id, 0).unwrap()).unwrap().size, 7);
}

#[test]
fn symlinks_in_layers_are_just_data() {
    let a = ok(
        "symlinks.tar",
        &single_layer(
            &[
                symlink("loop1", "loop2"),
                symlink("loop2", "loop1"),
                symlink("self", "self"),
                symlink("out", "../../../../etc/shadow"),
                symlink("abs", "/etc/shadow"),
            ],
            Comp::None,
        ),
    );
    assert!(exists_after(&a, "loop1", 0) && exists_after(&a, "out", 0));
}

#[test]
fn whiteout_edge_cases() {
    let l0 = Layer::of(&[file("keep", b"k"), file("d/x", b"x")], Comp::None);
    let l1 = Layer::of(
        &[
            file("never/.wh.existed", b""),
            file(".wh.", b""),
            file("d/.wh.", b""),
            file(".wh..", b""),
            file(".wh.ghost", b""),
        ],
        Comp::None,
    );
    let a = ok("wh.tar", &outer(&Image::new(vec![l0.clone(), l1]).oci()));
    assert!(warned(&a, "whiteout-nothing"), "{:?}", a.warnings);
    assert_eq!(
        a.warnings
            .iter()
            .filter(|w| w.code == "bad-whiteout")
            .count(),
        3,
        "{:?}",
        a.warnings
    );
    assert!(exists_after(&a, "keep", 1) && exists_after(&a, "d/x", 1));
    // An opaque marker at the root hides every lower path.
    let l1 = Layer::of(&[file(".wh..wh..opq", b""), file("new", b"n")], Comp::None);
    let a = ok("opq.tar", &outer(&Image::new(vec![l0.clone(), l1]).oci()));
    assert!(!exists_after(&a, "keep", 1) && !exists_after(&a, "d/x", 1));
    assert!(exists_after(&a, "new", 1));
    // Repeated markers (a quadratic walk if each were applied) act once.
    let mut ents: Vec<Ent> = (0..5_000).map(|_| file("d/.wh..wh..opq", b"")).collect();
    ents.push(file("d/y", b"y"));
    let a = ok(
        "opq-many.tar",
        &outer(&Image::new(vec![l0, Layer::of(&ents, Comp::None)]).oci()),
    );
    assert!(
        !exists_after(&a, "d/x", 1) && exists_after(&a, "d/y", 1) && exists_after(&a, "keep", 1)
    );
}

#[test]
fn outer_symlink_loops_end() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let mut m = img.docker_legacy();
    let layer_name = m
        .iter()
        .find(|(n, _)| n.ends_with("layer.tar"))
        .unwrap()
        .0
        .clone();
    m.retain(|(n, _)| *n != layer_name);
    let mut ents: Vec<Ent> = m.iter().map(|(n, d)| file(n, d)).collect();
    // layer.tar -> a -> b -> layer.tar, and a self-loop.
    ents.push(symlink(&layer_name, "../a"));
    ents.push(symlink("a", "b"));
    ents.push(symlink("b", &layer_name));
    ents.push(symlink("self", "self"));
    let (_d, p) = temp_image("loop.tar", &tar(&ents));
    let r = run_file(&p, &[]);
    assert_contract(&r, "loop.tar", "outer symlink loop");
    assert_eq!(r.code, Some(2));
    assert!(r.err().contains("missing blob"), "{}", r.err());
}

#[test]
fn outer_member_names_cannot_leave_the_archive() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    // Only a `../manifest.json`: ignored, so the archive has no manifest.
    let mut m = img.docker_legacy();
    for (n, _) in m.iter_mut() {
        if n == "manifest.json" {
            *n = "../../manifest.json".into();
        }
    }
    let (_d, p) = temp_image("up.tar", &outer(&m));
    let r = run_file(&p, &[]);
    assert_contract(&r, "up.tar", "..");
    assert_eq!(r.code, Some(2));
    // Absolute member names are names inside the archive.
    let mut m = img.docker_legacy();
    for (n, _) in m.iter_mut() {
        *n = format!("/{n}");
    }
    ok("abs-members.tar", &outer(&m));
    // A config symlinked to an absolute host path resolves inside the archive, never the host.
    let mut m = img.docker_legacy();
    let cfg = m
        .iter()
        .position(|(n, _)| n.ends_with(".json") && n != "manifest.json")
        .unwrap();
    let cfg_name = m.remove(cfg).0;
    let mut ents: Vec<Ent> = m.iter().map(|(n, d)| file(n, d)).collect();
    ents.push(symlink(&cfg_name, "/etc/hostname"));
    let (_d, p) = temp_image("hostlink.tar", &tar(&ents));
    let r = run_file(&p, &[]);
    assert_contract(&r, "hostlink.tar", "absolute symlink");
    assert_eq!(r.code, Some(2), "{}", r.err());
}

#[test]
fn manifest_paths_cannot_leave_the_archive() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    for (field, value) in [
        ("Config", "../../etc/passwd"),
        ("Config", "/etc/passwd"),
        ("Config", "blobs/sha256/../../../etc/passwd"),
        ("Layers", "../../etc/passwd"),
        ("Layers", "/proc/self/environ"),
    ] {
        let mut m = img.docker_legacy();
        let mf = m.iter().position(|(n, _)| n == "manifest.json").unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&m[mf].1).unwrap();
        v[0][field] = if field == "Layers" {
            serde_json::json!([value])
        } else {
            serde_json::json!(value)
        };
        m[mf].1 = serde_json::to_vec(&v).unwrap();
        let (_d, p) = temp_image("paths.tar", &outer(&m));
        let r = run_file(&p, &[]);
        assert_contract(&r, "paths.tar", value);
        assert_eq!(r.code, Some(2), "{field}={value}: {}", r.err());
    }
    // OCI digests that try to be paths.
    for digest in [
        "sha256:../../../etc/passwd",
        "sha256:..",
        "../sha256:x",
        "sha256:/etc/passwd",
        "sha256:a/../../b",
    ] {
        let mut m = img.oci();
        let manifest = img.oci_manifest();
        let mut v: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
        v["layers"][0]["digest"] = serde_json::json!(digest);
        let manifest = serde_json::to_vec(&v).unwrap();
        set(&mut m, "index.json", img.oci_index(&manifest));
        m.push((format!("blobs/sha256/{}", hex(&sha(&manifest))), manifest));
        let (_d, p) = temp_image("digest.tar", &outer(&m));
        let r = run_file(&p, &[]);
        assert_contract(&r, "digest.tar", digest);
        assert_eq!(r.code, Some(2), "{digest}: {}", r.err());
    }
}

#[cfg(unix)]
#[test]
fn oci_layout_directory_cannot_lead_outside() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let tmp = tempfile::tempdir().unwrap();
    // A perfectly valid config and layer outside the layout directory.
    std::fs::write(tmp.path().join("outside-config.json"), &img.config).unwrap();
    std::fs::write(tmp.path().join("outside-layer.tar"), &img.layers[0].blob).unwrap();
    let run_dir = |layout: &Path| {
        let r = run_bounded(
            &[layout.as_os_str(), "--json".as_ref()],
            std::time::Duration::from_secs(10),
        );
        assert_contract(&r, "layout", &layout.display().to_string());
        r
    };
    // Sanity: the layout as written is fine.
    let good = tmp.path().join("layout-good");
    write_dir(&good, &img.oci());
    assert_eq!(run_dir(&good).code, Some(0));
    // Blob files that are symlinks out of the directory.
    for (i, what) in ["config", "layer"].iter().enumerate() {
        let d = tmp.path().join(format!("layout-{what}"));
        write_dir(&d, &img.oci());
        let (blob, target) = if i == 0 {
            (sha(&img.config), "outside-config.json")
        } else {
            (img.layers[0].digest(), "outside-layer.tar")
        };
        let p = d.join("blobs/sha256").join(hex(&blob));
        std::fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink(tmp.path().join(target), &p).unwrap();
        let r = run_dir(&d);
        assert_eq!(
            r.code,
            Some(2),
            "{what} symlinked outside was followed: {}",
            r.out()
        );
    }
    // The blobs folder itself a symlink to the outside (holding copies of the blobs).
    let outside_blobs = tmp.path().join("outside-blobs");
    write_dir(&outside_blobs, &img.oci());
    let d = tmp.path().join("layout-blobs");
    write_dir(&d, &img.oci());
    std::fs::remove_dir_all(d.join("blobs")).unwrap();
    std::os::unix::fs::symlink(outside_blobs.join("blobs"), d.join("blobs")).unwrap();
    assert_eq!(run_dir(&d).code, Some(2));
    // A docker manifest.json in a directory naming files outside it.
    let d = tmp.path().join("layout-docker");
    write_dir(&d, &img.docker_legacy());
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("manifest.json")).unwrap()).unwrap();
    v[0]["Config"] = serde_json::json!("../outside-config.json");
    std::fs::write(d.join("manifest.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    assert_eq!(run_dir(&d).code, Some(2));
    v[0]["Config"] = serde_json::json!(tmp.path().join("outside-config.json").to_str().unwrap());
    std::fs::write(d.join("manifest.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    assert_eq!(run_dir(&d).code, Some(2));
    // A FIFO where the config should be: refused, not waited on forever.
    let d = tmp.path().join("layout-fifo");
    write_dir(&d, &img.docker_legacy());
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("manifest.json")).unwrap()).unwrap();
    v[0]["Config"] = serde_json::json!("fifo");
    std::fs::write(d.join("manifest.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let st = std::process::Command::new("mkfifo")
        .arg(d.join("fifo"))
        .status()
        .unwrap();
    assert!(st.success());
    let r = run_dir(&d);
    assert_eq!(r.code, Some(2), "{}", r.err());
}

// ---------------------------------------------------------------------------------------------
// 3. Terminal safety
// ---------------------------------------------------------------------------------------------

const ESC_NAME: &str = "evil\x1b]0;pwned\x07\x1b[2J\u{202e}gnp.exe";

#[test]
fn escape_sequences_in_names_never_reach_the_terminal() {
    let l0 = Layer::of(&[file("keep", b"k")], Comp::None);
    let l1 = Layer::of(
        &[
            file(format!("../{ESC_NAME}"), b"x"),
            file(ESC_NAME, b"secret"),
            file(format!(".wh.{ESC_NAME}"), b""),
            hardlink(format!("{ESC_NAME}2"), format!("{ESC_NAME}-missing")),
        ],
        Comp::Gzip,
    );
    let cfg = config_for(
        &[l0.clone(), l1.clone()],
        &[&format!("RUN echo {ESC_NAME}"), "\x1b[31mRUN\x1b[0m"],
        &[("maintainer\x1b[5m", "\x1b]8;;http://x\x07click\x1b]8;;\x07")],
    );
    let img = Image::new(vec![l0, l1]).with_config(cfg);
    let (_d, p) = temp_image("esc.tar", &outer(&img.oci()));
    let r = run_file(&p, &[]);
    assert_contract(&r, "esc.tar", "escape sequences");
    assert_eq!(r.code, Some(0), "{}", r.err());
    assert!(!r.stdout.contains(&0x1b), "raw ESC in the JSON output");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let warnings = v["warnings"].as_array().unwrap();
    assert!(warnings.len() >= 3, "{warnings:?}");
    for w in warnings {
        let m = w["message"].as_str().unwrap();
        assert!(
            !m.contains('\x1b') && !m.contains('\u{202e}'),
            "warning not escaped: {m:?}"
        );
    }
    assert!(warnings
        .iter()
        .any(|w| w["message"].as_str().unwrap().contains("\\x1b]0;pwned")));
    // JSON keeps the text itself (escaped as JSON escapes it), for the tools that read it.
    assert_eq!(v["history"][1]["created_by"], "\x1b[31mRUN\x1b[0m");
    let paths: Vec<&str> = v["layers"][1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&ESC_NAME), "{paths:?}");
}

#[test]
fn escape_sequences_in_errors_never_reach_the_terminal() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    // A missing layer whose name is a terminal escape.
    let mut m = img.docker_legacy();
    let mf = m.iter().position(|(n, _)| n == "manifest.json").unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&m[mf].1).unwrap();
    v[0]["Layers"] = serde_json::json!([format!("{ESC_NAME}.tar")]);
    m[mf].1 = serde_json::to_vec(&v).unwrap();
    let (_d, p) = temp_image("esc-err.tar", &outer(&m));
    let r = run_file(&p, &[]);
    assert_contract(&r, "esc-err.tar", "missing layer");
    assert_eq!(r.code, Some(2));
    assert!(r.err().contains("\\x1b]0;pwned"), "{}", r.err());
    // Several images, untagged, with escapes in their config names, and an --image that matches
    // none: the message lists them all.
    let mut m = img.docker_legacy();
    let mf = m.iter().position(|(n, _)| n == "manifest.json").unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&m[mf].1).unwrap();
    let mut second = v[0].clone();
    second["RepoTags"] = serde_json::json!([format!("{ESC_NAME}:tag")]);
    v.as_array_mut().unwrap().push(second);
    m[mf].1 = serde_json::to_vec(&v).unwrap();
    let (_d, p) = temp_image("esc-amb.tar", &outer(&m));
    let r = run_file(&p, &["--image", "nothing-like-it"]);
    assert_contract(&r, "esc-amb.tar", "ambiguous");
    assert_eq!(r.code, Some(2));
    // The file name on the command line is escaped as well.
    let (_d, p) = temp_image("x\x1b[31my.tar", b"not a tar at all, just some text");
    let r = run_file(&p, &[]);
    assert_contract(&r, "x\\x1b[31my.tar", "escaped file name");
    assert_eq!(r.code, Some(2));
}

#[test]
fn untagged_images_with_multibyte_config_names() {
    // docker.rs cut the config name at byte 12 to describe untagged images: a panic when that
    // fell inside a character.
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let mut m = img.docker_legacy();
    let cfg = m
        .iter()
        .position(|(n, _)| n.ends_with(".json") && n != "manifest.json")
        .unwrap();
    m[cfg].0 = "a€€€€€.json".into();
    let entry = serde_json::json!({"Config": "a€€€€€.json", "Layers": [m.iter().find(|(n, _)| n.ends_with("layer.tar")).unwrap().0]});
    set(
        &mut m,
        "manifest.json",
        serde_json::to_vec(&serde_json::json!([entry.clone(), entry])).unwrap(),
    );
    let (_d, p) = temp_image("multibyte.tar", &outer(&m));
    let r = run_file(&p, &[]);
    assert_contract(&r, "multibyte.tar", "multibyte");
    assert_eq!(r.code, Some(0), "{}", r.err());
    let r = run_file(&p, &["--image", "zzzzzz"]);
    assert_contract(&r, "multibyte.tar", "multibyte --image");
}

// ---------------------------------------------------------------------------------------------
// 4. Read-only inputs, no network
// ---------------------------------------------------------------------------------------------

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_core_neither_writes_inputs_nor_opens_sockets() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/core/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("layer.rs")),
        "the core's sources are in {}",
        src.display()
    );
    let net = [
        "TcpStream",
        "TcpListener",
        "UdpSocket",
        "UnixStream",
        "UnixListener",
        "UnixDatagram",
        "std::net",
        "ToSocketAddrs",
    ];
    let write = [
        ".write(true)",
        ".append(true)",
        ".create(true)",
        ".truncate(true)",
        "File::create",
        "fs::write(",
        "remove_file",
        "set_permissions",
        "OpenOptions::new()",
    ];
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap();
        // Talking to a local container daemon (docker://, podman://) or a registry
        // (registry://) is those modules' job and happens only when the user names such an
        // image; the registry module also writes its blob cache, never an input.
        let remote = rel.contains("daemon") || rel.starts_with("source/registry/");
        if !remote {
            for n in net {
                assert!(
                    !text.contains(n),
                    "src/{rel} uses {n}: the core must not open sockets"
                );
            }
        }
        // Reading images never writes: these modules only read (the binary's output writer,
        // the TUI's export and the image writer live elsewhere).
        let core = (rel.starts_with("source/") && !remote)
            || [
                "layer.rs",
                "analysis.rs",
                "content.rs",
                "tree.rs",
                "image.rs",
                "paths.rs",
                "digest.rs",
                "error.rs",
                "lib.rs",
                "report/json.rs",
            ]
            .contains(&rel.as_str());
        if core {
            for w in write {
                assert!(
                    !text.contains(w),
                    "src/{rel} contains {w:?}: inputs are opened read-only"
                );
            }
        }
    }
}

#[test]
fn inputs_are_left_untouched() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::Gzip)]);
    let bytes = outer(&img.docker25());
    let (d, p) = temp_image("ro.tar", &bytes);
    let mut perm = std::fs::metadata(&p).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&p, perm).unwrap();
    let before = std::fs::metadata(&p).unwrap().modified().unwrap();
    let r = run_file(&p, &[]);
    assert_eq!(r.code, Some(0), "{}", r.err());
    assert_eq!(std::fs::read(&p).unwrap(), bytes);
    assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

//! 2. Paths and whiteouts: nothing leaves the image or the archive.

use super::*;

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

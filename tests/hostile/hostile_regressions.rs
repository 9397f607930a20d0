//! Every crash, hang or runaway allocation found by the fuzzers or by review, kept as a test.
//! Each case names the fix it guards.

use crate::support::hostile::*;
use layerscope_core::analysis::AnalyzeOptions;
use layerscope_core::analyze::analyze;
use layerscope_core::layer::{index_layer, PassState};
use layerscope_core::source::Limits;

fn run_bytes(name: &str, bytes: &[u8], extra: &[&str]) -> Run {
    let (_d, p) = temp_image(name, bytes);
    let r = run_file(&p, extra);
    assert_contract(&r, name, name);
    r
}

/// docker.rs `short()` cut an archive-supplied config name at byte 12: a panic (exit 101) when
/// that byte fell inside a UTF-8 character, as soon as an archive held two untagged images.
#[test]
fn config_name_cut_inside_a_character() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let layer = "l.tar".to_string();
    for name in ["a€€€€€.json", "ab€€€€€€", "sha256:x€€€€"] {
        let entry = serde_json::json!({"Config": name, "Layers": [layer]});
        let m = vec![
            (name.to_string(), img.config.clone()),
            (layer.clone(), img.layers[0].blob.clone()),
            (
                "manifest.json".to_string(),
                serde_json::to_vec(&serde_json::json!([entry.clone(), entry])).unwrap(),
            ),
        ];
        let r = run_bytes("utf8cut.tar", &outer(&m), &[]);
        assert_eq!(r.code, Some(0), "{name}: {}", r.err());
        let r = run_bytes("utf8cut.tar", &outer(&m), &["--image", "nope"]);
        assert_eq!(r.code, Some(2), "{name}: {}", r.err());
    }
}

/// Tree versions store their layer as u16: with more than 65535 layers the index wrapped and
/// versions of a high layer were read against the entries of a low one (wrong tree, or an
/// out-of-bounds panic when that layer had fewer entries).
#[test]
fn more_layers_than_a_u16_counts() {
    let small = tar(&[file("f", b"x")]);
    let big = tar(&(0..5)
        .map(|i| file(format!("g{i}"), b"y"))
        .collect::<Vec<_>>());
    let mut names = vec!["small.tar".to_string(); 65_536];
    names.push("big.tar".to_string());
    let cfg = br#"{"os":"linux","architecture":"amd64"}"#.to_vec();
    let manifest =
        serde_json::to_vec(&serde_json::json!([{"Config": "c.json", "Layers": names}])).unwrap();
    let m = vec![
        ("small.tar".to_string(), small),
        ("big.tar".to_string(), big),
        ("c.json".to_string(), cfg),
        ("manifest.json".to_string(), manifest),
    ];
    let r = run_bytes("layers65537.tar", &outer(&m), &[]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.err().contains("65537 layers; at most 65535"),
        "{}",
        r.err()
    );
}

/// The tar crate reads a GNU long name / long link or a PAX record whole into memory; a small
/// compressed layer could make it allocate up to --max-bytes (64 GiB by default).
#[test]
fn long_name_record_is_cut_off_early() {
    for kind in [b'L', b'K', b'x'] {
        let ll = header_block(b"././@LongLink", tar::EntryType::new(kind), 1 << 40);
        let (blob, _) = gz_parts(&[(&ll, 1), (&vec![b'a'; 1 << 20], 2)]);
        let state = PassState::default();
        let e = index_layer(&blob[..], "layer", &Limits::default(), &state, &mut ()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("tar extension header size") && msg.contains("--max-path-len"),
            "{msg}"
        );
        // Stopped right after the budget, not at the end of the 2 MiB record.
        let read = state
            .uncompressed_read
            .load(std::sync::atomic::Ordering::Relaxed);
        assert!(read < (1 << 20) + 300_000, "read {read} bytes");
    }
    // Long names within the limit still work, through every record kind.
    let long = format!("{}/file", "d".repeat(300));
    let t = tar(&[file(&long, b"x"), symlink("l", "t".repeat(300))]);
    let ix = index_layer(
        &t[..],
        "layer",
        &Limits::default(),
        &PassState::default(),
        &mut (),
    )
    .unwrap();
    assert_eq!(ix.entries.len(), 2);
}

/// GNU sparse files: the holes are produced without being read, so neither --max-bytes nor the
/// ratio saw them, and hashing 2^60 bytes of holes never ended.
#[test]
fn sparse_holes_are_counted() {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_size(0);
    {
        let g = h.as_gnu_mut().unwrap();
        g.name[..5].copy_from_slice(b"holes");
        g.sparse[0].set_offset(1 << 60);
        g.sparse[0].set_length(0);
        g.set_real_size(1 << 60);
    }
    h.set_cksum();
    let mut t = h.as_bytes().to_vec();
    t.extend_from_slice(&[0u8; 1024]);
    let start = std::time::Instant::now();
    let e = index_layer(
        &t[..],
        "layer",
        &Limits::default(),
        &PassState::default(),
        &mut (),
    )
    .unwrap_err();
    assert!(e.to_string().contains("--max-bytes"), "{e}");
    assert!(start.elapsed().as_secs() < 2);
}

/// An index listing one nested index many times, which lists one manifest many times, was
/// walked in full: reads multiplied at every level (minutes to hours for a few MB of JSON).
#[test]
fn index_fan_out_is_walked_once() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let manifest = img.oci_manifest();
    let mut m = img.oci();
    let mut prev = serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest), "size": manifest.len()});
    // Five levels of 500-fold fan-out: 3e13 paths if followed.
    for _ in 0..5 {
        let ix = serde_json::to_vec(&serde_json::json!({"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": vec![prev.clone(); 500]})).unwrap();
        prev = serde_json::json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(&ix), "size": ix.len()});
        m.push((format!("blobs/sha256/{}", hex(&sha(&ix))), ix));
    }
    set(
        &mut m,
        "index.json",
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [prev]})).unwrap(),
    );
    let r = run_bytes("fanout.tar", &outer(&m), &[]);
    assert_eq!(r.code, Some(0), "{}", r.err());
    // The same manifest under two names stays selectable by either.
    let mut m = img.oci();
    let d = |n: &str| serde_json::json!({"digest": sha(&manifest), "annotations": {"org.opencontainers.image.ref.name": n}});
    set(
        &mut m,
        "index.json",
        serde_json::to_vec(
            &serde_json::json!({"schemaVersion": 2, "manifests": [d("one"), d("two")]}),
        )
        .unwrap(),
    );
    m.push((
        format!("blobs/sha256/{}", hex(&sha(&manifest))),
        manifest.clone(),
    ));
    let r = run_bytes("twonames.tar", &outer(&m), &["--image", "two"]);
    assert_eq!(r.code, Some(0), "{}", r.err());
}

/// Many copies of one opaque whiteout walked the directory's subtree once per copy.
#[test]
fn repeated_whiteouts_are_applied_once() {
    let l0 = Layer::of(
        &(0..2000)
            .map(|i| file(format!("d/f{i}"), b"x"))
            .collect::<Vec<_>>(),
        Comp::None,
    );
    let l1 = Layer::of(&vec![file("d/.wh..wh..opq", b""); 20_000], Comp::None);
    let (_d, p) = temp_image("opq.tar", &outer(&Image::new(vec![l0, l1]).oci()));
    let start = std::time::Instant::now();
    let a = analyze(&p, &AnalyzeOptions::default(), &PassState::default()).unwrap();
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
    let d = a.tree.paths.lookup(b"d/f0").unwrap();
    assert!(!a.tree.exists_at(d, 1));
}

/// A whole-archive gzip was spooled to disk with only --max-bytes (64 GiB) as a bound: a
/// 64 MB download could fill the disk. It now has the layers' ratio limit too.
#[test]
fn whole_archive_spool_has_a_ratio_limit() {
    let bytes = gzipped_save_bomb(3);
    let r = run_bytes("spool.tar.gz", &bytes, &["--max-ratio", "2"]);
    assert_eq!(r.code, Some(2));
    assert!(r.err().contains("--max-ratio"), "{}", r.err());
}

/// OCI layout directories: a blob that is a symlink out of the directory was read (a host
/// file shown as a config or indexed as a layer), and a FIFO named by manifest.json blocked
/// forever.
#[cfg(unix)]
#[test]
fn layout_directory_symlinks_and_fifos() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("host-config.json"), &img.config).unwrap();
    let d = tmp.path().join("layout");
    write_dir(&d, &img.oci());
    let cfg = d.join("blobs/sha256").join(hex(&sha(&img.config)));
    std::fs::remove_file(&cfg).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("host-config.json"), &cfg).unwrap();
    let r = run_bounded(
        &[d.as_os_str(), "--json".as_ref()],
        std::time::Duration::from_secs(10),
    );
    assert_contract(&r, "layout", "symlinked config");
    assert_eq!(r.code, Some(2));
    // A symlink that stays inside the layout is fine (some tools dedupe blobs that way).
    let d2 = tmp.path().join("layout2");
    write_dir(&d2, &img.oci());
    let cfg2 = d2.join("blobs/sha256").join(hex(&sha(&img.config)));
    std::fs::rename(&cfg2, d2.join("config-copy")).unwrap();
    std::os::unix::fs::symlink("../../config-copy", &cfg2).unwrap();
    let r = run_bounded(
        &[d2.as_os_str(), "--json".as_ref()],
        std::time::Duration::from_secs(10),
    );
    assert_contract(&r, "layout2", "inner symlink");
    assert_eq!(r.code, Some(0), "{}", r.err());
}

/// Warnings quote names from the image; they reached the TUI and text outputs raw.
#[test]
fn warnings_escape_controls_at_creation() {
    let w = layerscope_core::Warning::new("x", "name \x1b[2J\u{9b}31m\u{202e}");
    assert!(
        !w.message.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{:?}",
        w.message
    );
}

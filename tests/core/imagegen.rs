//! Tests of the image writer: every layout × compression is a valid archive whose JSON
//! parses, whose blobs match their digests, whose `rootfs.diff_ids` match the uncompressed
//! layers, and which is byte-for-byte reproducible. Also: the committed demo image equals
//! the freshly generated one.

use layerscope_imagegen::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------------------------------
// a tiny independent reader (tar crate + sniffing), used only to check what was written

#[derive(Debug, Clone)]
enum Ent {
    File(Vec<u8>),
    Dir,
    Link(String),
}

fn read_tar(bytes: &[u8]) -> BTreeMap<String, Ent> {
    let mut out = BTreeMap::new();
    let mut ar = tar::Archive::new(bytes);
    for e in ar.entries().expect("entries") {
        let mut e = e.expect("entry");
        let path = String::from_utf8(e.path_bytes().to_vec()).unwrap();
        let path = path.trim_end_matches('/').to_string();
        let ent = match e.header().entry_type() {
            tar::EntryType::Directory => Ent::Dir,
            tar::EntryType::Symlink => {
                Ent::Link(String::from_utf8(e.link_name_bytes().unwrap().to_vec()).unwrap())
            }
            _ => {
                let mut d = Vec::new();
                e.read_to_end(&mut d).unwrap();
                Ent::File(d)
            }
        };
        assert!(out.insert(path.clone(), ent).is_none(), "duplicate {path}");
    }
    out
}

fn read_dir(root: &Path) -> BTreeMap<String, Ent> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Ent>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
            if e.file_type().unwrap().is_dir() {
                out.insert(rel, Ent::Dir);
                walk(root, &p, out);
            } else {
                out.insert(rel, Ent::File(std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn get<'a>(files: &'a BTreeMap<String, Ent>, path: &str) -> &'a [u8] {
    match files.get(path) {
        Some(Ent::File(d)) => d,
        Some(Ent::Link(t)) => {
            let base = Path::new(path).parent().unwrap().join(t);
            let mut parts: Vec<&str> = Vec::new();
            for c in base.to_str().unwrap().split('/') {
                match c {
                    ".." => {
                        parts.pop();
                    }
                    "" | "." => {}
                    c => parts.push(c),
                }
            }
            get(files, &parts.join("/"))
        }
        other => panic!("{path}: {other:?}"),
    }
}

fn decompress(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if b.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(b)
            .read_to_end(&mut out)
            .unwrap();
    } else if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        out = zstd::decode_all(b).unwrap();
    } else {
        out = b.to_vec();
    }
    out
}

fn json(b: &[u8]) -> Value {
    serde_json::from_slice(b).expect("valid JSON")
}

fn blob<'a>(files: &'a BTreeMap<String, Ent>, digest: &str) -> &'a [u8] {
    let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
    let b = get(files, &format!("blobs/sha256/{hex}"));
    assert_eq!(sha256_digest(b), digest, "blob content matches its name");
    b
}

/// Reads an image back; returns (config, layer tars uncompressed) of the image that
/// `manifest.json` (or, without it, the first index.json descriptor, first platform) names.
fn load(files: &BTreeMap<String, Ent>, layout: Layout) -> (Value, Vec<Vec<u8>>) {
    // Every blob in an OCI layout must match its name.
    for (p, e) in files {
        if let (Some(hex), Ent::File(d)) = (p.strip_prefix("blobs/sha256/"), e) {
            assert_eq!(sha256_hex(d), hex, "{p}");
        }
    }
    match layout {
        Layout::DockerLegacy | Layout::DockerArchiveContainers => {
            let m = json(get(files, "manifest.json"));
            let item = &m[0];
            let config = json(get(files, item["Config"].as_str().unwrap()));
            let layers = item["Layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| decompress(get(files, l.as_str().unwrap())))
                .collect();
            (config, layers)
        }
        _ => {
            let index = json(get(files, "index.json"));
            assert_eq!(index["schemaVersion"], 2);
            let mut desc = index["manifests"][0].clone();
            let mut m = json(blob(files, desc["digest"].as_str().unwrap()));
            assert_eq!(
                desc["size"].as_u64().unwrap() as usize,
                get(
                    files,
                    &format!("blobs/sha256/{}", &desc["digest"].as_str().unwrap()[7..])
                )
                .len()
            );
            if m.get("manifests").is_some() {
                desc = m["manifests"][0].clone();
                assert!(desc.get("platform").is_some());
                m = json(blob(files, desc["digest"].as_str().unwrap()));
            }
            let config = json(blob(files, m["config"]["digest"].as_str().unwrap()));
            let mut layers = Vec::new();
            for l in m["layers"].as_array().unwrap() {
                let b = blob(files, l["digest"].as_str().unwrap());
                assert_eq!(l["size"].as_u64().unwrap() as usize, b.len());
                let mt = l["mediaType"].as_str().unwrap();
                let d = decompress(b);
                if mt.ends_with("gzip") {
                    assert!(b.starts_with(&[0x1f, 0x8b]));
                } else if mt.ends_with("zstd") {
                    assert!(b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]));
                } else {
                    assert_eq!(&d, b);
                }
                layers.push(d);
            }
            if matches!(layout, Layout::DockerV25 | Layout::ContainerdStore) {
                // manifest.json names the same config and layer blobs.
                let dm = json(get(files, "manifest.json"));
                assert_eq!(
                    dm[0]["Config"].as_str().unwrap(),
                    format!(
                        "blobs/sha256/{}",
                        &m["config"]["digest"].as_str().unwrap()[7..]
                    )
                );
                let dl: Vec<&str> = dm[0]["Layers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                let ml: Vec<String> = m["layers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| format!("blobs/sha256/{}", &l["digest"].as_str().unwrap()[7..]))
                    .collect();
                assert_eq!(dl, ml);
                assert_eq!(
                    dm[0].get("LayerSources").is_some(),
                    layout == Layout::DockerV25
                );
            }
            (config, layers)
        }
    }
}

fn system_tar_accepts(bytes: &[u8], tag: &str) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(format!("{tag}.tar"));
    std::fs::write(&p, bytes).unwrap();
    match std::process::Command::new("tar")
        .arg("-tvf")
        .arg(&p)
        .output()
    {
        Ok(o) => assert!(
            o.status.success(),
            "tar -tf {tag}: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => eprintln!("system tar not available ({e}); skipped"),
    }
}

// ------------------------------------------------------------------------------------------

fn sample_spec() -> ImageSpec {
    let long_dir = format!("long/{}/{}", "a".repeat(90), "b".repeat(90));
    let long_file = format!("{long_dir}/{}.txt", "c".repeat(120));
    ImageSpec {
        name: "example/sample:1.0".into(),
        env: vec!["PATH=/usr/bin:/bin".into(), "API_TOKEN=tok_live_FAKE0000".into()],
        cmd: Some(vec!["/bin/sh".into()]),
        working_dir: "/app".into(),
        user: "1000:1000".into(),
        created: "2024-03-01T12:00:00.123456789Z".into(),
        labels: [("org.example.k".to_string(), "v".to_string())].into(),
        steps: vec![
            Step::layer(
                "/bin/sh -c #(nop) ADD file:0123 in / ",
                vec![
                    Node::dir("etc"),
                    Node::file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
                    Node::dir("app"),
                    Node::dir("app/opq"),
                    Node::file("app/opq/a", b"a\n"),
                    Node::file("app/gone", b"secret-in-lower-layer\n"),
                    Node::dir("home/user/.ssh").owner(1000, 1000),
                    Node::file("home/user/.ssh/id_ed25519", b"-----BEGIN OPENSSH PRIVATE KEY-----\nFAKE\n-----END OPENSSH PRIVATE KEY-----\n")
                        .mode(0o600)
                        .owner(1000, 1000),
                ],
            )
            .at("2024-03-01T11:00:00Z"),
            Step::empty("/bin/sh -c #(nop)  ENV API_TOKEN=tok_live_FAKE0000"),
            Step::layer(
                "/bin/sh -c rm -rf /app/opq /app/gone /home/user/.ssh && mkdir /app/opq",
                vec![
                    Node::dir("app"),
                    Node::whiteout("app/gone"),
                    Node::dir("app/opq"),
                    Node::opaque("app/opq").mtime(0),
                    Node::file("app/opq/new", b"new\n"),
                    Node::whiteout("home/user/.ssh"),
                ],
            ),
            Step::layer(
                "links, devices, long and odd names",
                vec![
                    Node::dir("links"),
                    Node::file("links/h1", b"hl\n"),
                    Node::hardlink("links/h2", "links/h1"),
                    Node::symlink("links/root", "/"),
                    Node::symlink("links/long", format!("/{long_file}")),
                    Node::char_dev("dev/null", 1, 3),
                    Node::block_dev("dev/loop0", 7, 0),
                    Node::fifo("dev/fifo"),
                    Node::dir(&long_dir),
                    Node::file(&long_file, b"deep\n"),
                    Node::file(b"long/bad-\xff\xfe-latin1-caf\xe9".as_slice(), b""),
                    Node::file("long/ünïcödé-名前.txt", b""),
                    Node::file("long/bigids", b"big\n").owner(3_000_000, 4_000_000),
                    Node::file("long/suid", b"suid\n").mode(0o4755),
                    Node::dir("long/sticky").mode(0o1777),
                    Node::file("long/cap", b"").xattr("security.capability", [1u8, 0, 0, 2]),
                ],
            ),
            Step::layer("buildah commit with no change", vec![]),
            Step::empty("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]"),
        ],
        ..ImageSpec::default()
    }
}

#[test]
fn every_layout_and_compression_is_valid_and_reproducible() {
    let spec = sample_spec();
    for layout in Layout::ALL {
        for c in Compression::ALL {
            let tag = format!("{layout:?}-{c:?}");
            let (bytes, w) = image_archive(&spec, layout, c);
            let (again, w2) = image_archive(&spec, layout, c);
            assert_eq!(bytes, again, "{tag}: deterministic");
            assert_eq!(w, w2);
            system_tar_accepts(&bytes, &tag);
            let files = read_tar(&bytes);
            let (config, layers) = load(&files, layout);

            // config: diff_ids = sha256 of each uncompressed layer
            let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            let computed: Vec<String> = layers.iter().map(|l| sha256_digest(l)).collect();
            assert_eq!(diff_ids, computed, "{tag}");
            assert_eq!(w.diff_ids, diff_ids, "{tag}");
            assert_eq!(w.layer_digests.len(), diff_ids.len());
            if c == Compression::None {
                assert_eq!(w.layer_digests, w.diff_ids);
            } else {
                assert_ne!(w.layer_digests, w.diff_ids);
            }
            assert_eq!(config["rootfs"]["type"], "layers");
            assert_eq!(layers.len(), 4);
            assert_eq!(sha256_digest(&layers[3]), EMPTY_TAR_DIGEST);

            // history: 6 entries, empty_layer exactly on the metadata steps
            let h = config["history"].as_array().unwrap();
            assert_eq!(h.len(), 6);
            let empty: Vec<bool> = h
                .iter()
                .map(|e| {
                    e.get("empty_layer")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false)
                })
                .collect();
            assert_eq!(empty, [false, true, false, false, false, true]);
            assert_eq!(h[0]["created"], "2024-03-01T11:00:00Z");
            assert_eq!(h[1]["created"], "2024-03-01T12:00:00.123456789Z");
            assert_eq!(config["config"]["Env"][1], "API_TOKEN=tok_live_FAKE0000");
            assert_eq!(config["config"]["WorkingDir"], "/app");
            assert_eq!(config["config"]["User"], "1000:1000");
            assert_eq!(config["config"]["Labels"]["org.example.k"], "v");
            assert_eq!(config["os"], "linux");
            assert_eq!(config["architecture"], "amd64");

            // the config digest is what the writer reported
            let config_bytes = match layout {
                Layout::DockerLegacy | Layout::DockerArchiveContainers => {
                    let m = json(get(&files, "manifest.json"));
                    get(&files, m[0]["Config"].as_str().unwrap()).to_vec()
                }
                _ => get(&files, &format!("blobs/sha256/{}", &w.config_digest[7..])).to_vec(),
            };
            assert_eq!(sha256_digest(&config_bytes), w.config_digest);
        }
    }
}

#[test]
fn oci_dir_on_disk_matches_the_archive_tree() {
    let spec = sample_spec();
    for c in Compression::ALL {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("img");
        let w = write_image(&spec, Layout::OciDir, c, &out).unwrap();
        let on_disk = read_dir(&out);
        let (config, layers) = load(&on_disk, Layout::OciDir);
        assert_eq!(w.diff_ids.len(), layers.len());
        assert_eq!(
            config["rootfs"]["diff_ids"][0].as_str().unwrap(),
            sha256_digest(&layers[0])
        );
        assert_eq!(
            get(&on_disk, "oci-layout"),
            br#"{"imageLayoutVersion": "1.0.0"}"#
        );
        let tree = read_tar(&write_image_to_vec(&spec, Layout::OciDir, c));
        let files = |m: &BTreeMap<String, Ent>| -> Vec<String> {
            m.iter()
                .filter(|(_, e)| matches!(e, Ent::File(_)))
                .map(|(k, _)| k.clone())
                .collect()
        };
        assert_eq!(files(&on_disk), files(&tree));
    }
}

#[test]
fn write_image_writes_the_same_bytes_as_write_image_to_vec() {
    let spec = sample_spec();
    let dir = tempfile::tempdir().unwrap();
    for layout in [
        Layout::DockerLegacy,
        Layout::OciArchive,
        Layout::ContainerdStore,
    ] {
        let p = dir.path().join(format!("{layout:?}.tar"));
        let w = write_image(&spec, layout, Compression::Gzip, &p).unwrap();
        let (bytes, w2) = image_archive(&spec, layout, Compression::Gzip);
        assert_eq!(std::fs::read(&p).unwrap(), bytes);
        assert_eq!(w, w2);
    }
    let p = dir.path().join("x.tar");
    std::fs::write(&p, b"hello").unwrap();
    let gz = gzip_whole(&p).unwrap();
    assert_eq!(gz, dir.path().join("x.tar.gz"));
    assert_eq!(decompress(&std::fs::read(&gz).unwrap()), b"hello");
}

#[test]
fn layer_tar_round_trips_through_the_tar_crate() {
    let spec = sample_spec();
    let nodes = spec.steps[3].layer.clone().unwrap();
    let t = layer_tar(&nodes);
    assert_eq!(t.len() % 512, 0);
    assert_eq!(&t[t.len() - 1024..], &[0u8; 1024][..]);
    let mut ar = tar::Archive::new(t.as_slice());
    let mut seen = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path_bytes().to_vec();
        let h = e.header().clone();
        let link = e.link_name_bytes().map(|l| l.to_vec());
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        if let Some(exts) = e.pax_extensions().unwrap() {
            for x in exts {
                let x = x.unwrap();
                pax.push((x.key().unwrap().to_string(), x.value_bytes().to_vec()));
            }
        }
        let mut d = Vec::new();
        e.read_to_end(&mut d).unwrap();
        seen.push((p, h, link, d, pax));
    }
    let names: Vec<Vec<u8>> = seen.iter().map(|s| s.0.clone()).collect();
    let expect: Vec<Vec<u8>> = nodes
        .iter()
        .map(|n| {
            let mut p = n.path.clone();
            if matches!(n.kind, NodeKind::Dir) {
                p.push(b'/');
            }
            p
        })
        .collect();
    assert_eq!(
        names, expect,
        "every name survives, long and non-UTF-8 ones included"
    );
    let by = |name: &[u8]| seen.iter().find(|s| s.0 == name).unwrap();
    assert_eq!(by(b"links/h2").1.entry_type(), tar::EntryType::Link);
    assert_eq!(by(b"links/h2").2.as_deref(), Some(&b"links/h1"[..]));
    assert!(by(b"links/long").2.as_ref().unwrap().len() > 100);
    assert_eq!(by(b"dev/null").1.device_major().unwrap(), Some(1));
    assert_eq!(by(b"dev/null").1.device_minor().unwrap(), Some(3));
    assert_eq!(by(b"dev/loop0").1.entry_type(), tar::EntryType::Block);
    assert_eq!(by(b"dev/fifo").1.entry_type(), tar::EntryType::Fifo);
    assert_eq!(by(b"long/suid").1.mode().unwrap(), 0o104755);
    assert_eq!(by(b"long/sticky/").1.mode().unwrap(), 0o41777);
    let big = by(b"long/bigids");
    assert!(big.4.contains(&("uid".to_string(), b"3000000".to_vec())));
    assert!(big.4.contains(&("gid".to_string(), b"4000000".to_vec())));
    let cap = by(b"long/cap");
    assert!(cap.4.contains(&(
        "SCHILY.xattr.security.capability".to_string(),
        vec![1, 0, 0, 2]
    )));
    // all mtimes default to DEFAULT_MTIME, owners to 0 and empty names
    for s in &seen {
        assert_eq!(s.1.mtime().unwrap(), DEFAULT_MTIME);
        assert_eq!(s.1.username_bytes(), Some(&b""[..]));
    }
}

#[test]
fn raw_nodes_allow_hostile_entries() {
    let t = layer_tar(&[
        Node::raw(
            b"../../etc/evil".as_slice(),
            RawEntry {
                typeflag: b'0',
                mode: 0o644,
                data: b"x".to_vec(),
                ..RawEntry::default()
            },
        ),
        Node::raw(
            b"abs".as_slice(),
            RawEntry {
                typeflag: b'0',
                mode: 0o644,
                pax: vec![("path".into(), b"/abs/\xff".to_vec())],
                ..RawEntry::default()
            },
        ),
        Node::raw(
            b"ignored".as_slice(),
            RawEntry {
                typeflag: b'0',
                mode: 0o644,
                gnu_longname: Some(format!("gnu/{}", "x".repeat(200)).into_bytes()),
                ..RawEntry::default()
            },
        ),
        Node::raw(
            b"././@PaxHeader".as_slice(),
            RawEntry {
                typeflag: b'g',
                data: b"22 comment=global hdr\n".to_vec(),
                ..RawEntry::default()
            },
        ),
        Node::whiteout(".wh.").exact_mode(0),
        Node::file("./.wh.foo.txt", b""),
    ]);
    let mut ar = tar::Archive::new(t.as_slice());
    let names: Vec<Vec<u8>> = ar
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path_bytes().to_vec())
        .collect();
    assert_eq!(names[0], b"../../etc/evil");
    assert_eq!(names[1], b"/abs/\xff");
    assert_eq!(names[2], format!("gnu/{}", "x".repeat(200)).into_bytes());
    assert_eq!(names[4], b".wh..wh.");
    assert_eq!(names[5], b"./.wh.foo.txt");

    // a truncated layer via Bytes and raw_layer
    let spec = ImageSpec {
        steps: vec![Step {
            created_by: "truncated".into(),
            raw_layer: Some(vec![0u8; 10240]),
            ..Step::default()
        }],
        ..ImageSpec::default()
    };
    let (bytes, w) = image_archive(&spec, Layout::DockerLegacy, Compression::None);
    assert_eq!(w.diff_ids[0], sha256_digest(&[0u8; 10240]));
    let files = read_tar(&bytes);
    let (_, layers) = load(&files, Layout::DockerLegacy);
    assert_eq!(layers[0].len(), 10240);
}

#[test]
fn multi_image_archives_and_multi_platform_indexes() {
    let base = sample_spec();
    let arm = ImageSpec {
        architecture: "arm64".into(),
        variant: Some("v8".into()),
        steps: vec![Step::layer(
            "ADD arm rootfs",
            vec![Node::file("etc/arch", b"arm64\n")],
        )],
        ..ImageSpec::default()
    };
    let other = ImageSpec {
        name: "example/other:2".into(),
        steps: vec![Step::layer("other", vec![Node::file("o", b"o")])],
        ..ImageSpec::default()
    };
    let mut spec = base.clone();
    spec.platforms = vec![arm.clone()];
    spec.extra_images = vec![other.clone()];

    for layout in Layout::ALL {
        for style in [IndexStyle::Nested, IndexStyle::Flat] {
            spec.index_style = style;
            let (bytes, w) = image_archive(&spec, layout, Compression::Gzip);
            assert_eq!(bytes, write_image_to_vec(&spec, layout, Compression::Gzip));
            let files = read_tar(&bytes);
            let tag = format!("{layout:?}/{style:?}");
            assert_eq!(w.extra_images.len(), 1, "{tag}");
            assert_eq!(w.platforms.len(), 1, "{tag}");
            match layout {
                Layout::DockerLegacy | Layout::DockerArchiveContainers => {
                    let m = json(get(&files, "manifest.json"));
                    assert_eq!(m.as_array().unwrap().len(), 2, "{tag}");
                    assert_eq!(m[0]["RepoTags"][0], "example/sample:1.0");
                    assert_eq!(m[1]["RepoTags"][0], "example/other:2");
                    let repos = json(get(&files, "repositories"));
                    assert!(repos["example/sample"]["1.0"].is_string());
                    assert!(repos["example/other"]["2"].is_string());
                }
                _ => {
                    let index = json(get(&files, "index.json"));
                    let ms = index["manifests"].as_array().unwrap();
                    let mut platforms = Vec::new();
                    for d in ms {
                        let b = json(blob(&files, d["digest"].as_str().unwrap()));
                        if let Some(inner) = b.get("manifests") {
                            assert_eq!(style, IndexStyle::Nested);
                            assert_eq!(
                                Some(d["digest"].as_str().unwrap()),
                                w.index_digest.as_deref()
                            );
                            for p in inner.as_array().unwrap() {
                                blob(&files, p["digest"].as_str().unwrap());
                                platforms.push(p["platform"].clone());
                            }
                        } else if let Some(p) = d.get("platform") {
                            platforms.push(p.clone());
                        }
                    }
                    assert_eq!(platforms.len(), 2, "{tag}");
                    assert_eq!(platforms[0]["architecture"], "amd64");
                    assert_eq!(platforms[1]["architecture"], "arm64");
                    assert_eq!(platforms[1]["variant"], "v8");
                    // the arm64 config and layer are there
                    blob(&files, &w.platforms[0].config_digest);
                    blob(&files, &w.platforms[0].layer_digests[0]);
                    blob(&files, &w.extra_images[0].config_digest);
                    if matches!(layout, Layout::DockerV25 | Layout::ContainerdStore) {
                        let m = json(get(&files, "manifest.json"));
                        assert_eq!(m.as_array().unwrap().len(), 2, "{tag}");
                        assert_eq!(
                            m[0]["Config"].as_str().unwrap(),
                            format!("blobs/sha256/{}", &w.config_digest[7..])
                        );
                    }
                }
            }
        }
    }

    // containerd store of a partially pulled multi-platform image: other blobs absent
    spec.index_style = IndexStyle::Nested;
    spec.skip_other_platform_blobs = true;
    let (bytes, w) = image_archive(&spec, Layout::ContainerdStore, Compression::Gzip);
    let files = read_tar(&bytes);
    assert!(!files.contains_key(&format!(
        "blobs/sha256/{}",
        &w.platforms[0].config_digest[7..]
    )));
    assert!(files.contains_key(&format!("blobs/sha256/{}", &w.config_digest[7..])));
}

#[test]
fn saved_by_id_has_no_names() {
    let mut spec = sample_spec();
    spec.name = String::new();
    for layout in [
        Layout::DockerLegacy,
        Layout::DockerV25,
        Layout::ContainerdStore,
    ] {
        let files = read_tar(&write_image_to_vec(&spec, layout, Compression::None));
        let m = json(get(&files, "manifest.json"));
        assert!(m[0]["RepoTags"].is_null(), "{layout:?}");
        assert!(!files.contains_key("repositories"), "{layout:?}");
        if layout != Layout::DockerLegacy {
            let index = json(get(&files, "index.json"));
            assert!(index["manifests"][0].get("annotations").is_none());
        }
    }
}

// ------------------------------------------------------------------------------------------
// the demo image

fn repo_file(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

#[test]
fn committed_demo_equals_freshly_generated() {
    let fresh = write_image_to_vec(&demo::demo_spec(), Layout::DockerLegacy, Compression::None);
    let committed = std::fs::read(repo_file("assets/demo/demo.tar"))
        .expect("assets/demo/demo.tar (run `cargo run --example make_demo`)");
    assert!(
        committed == fresh,
        "assets/demo/demo.tar is stale: run `cargo run --example make_demo`"
    );
    assert!(fresh.len() < 200 * 1024, "demo is {} bytes", fresh.len());
    let md = std::fs::read_to_string(repo_file("assets/demo/EXPECTED.md")).unwrap();
    assert_eq!(md, demo::expected_markdown(), "EXPECTED.md is stale");
}

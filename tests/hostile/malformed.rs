//! A corpus of malformed images, derived from valid ones built here: truncations, bit flips,
//! wrong digests, bogus tar sizes, missing blobs, wrong media types, empty files and documents
//! of the wrong shape. Every case runs the real binary: exit 0 with JSON (a harmless mutation)
//! or exit 2 with one `layerscope: ` line naming the file; never a panic, never a hang.

use std::sync::Mutex;
use std::time::Instant;

use crate::support::hostile::*;

type Members = Vec<(String, Vec<u8>)>;
type Edit<'a> = (&'a str, Box<dyn Fn(&mut serde_json::Value) + 'a>);

struct Case {
    name: String,
    bytes: Vec<u8>,
}

struct Corpus {
    cases: Vec<Case>,
}

impl Corpus {
    fn add(&mut self, base: &str, what: &str, bytes: Vec<u8>) {
        let name = format!("m{:03}-{base}-{what}.tar", self.cases.len());
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.cases.push(Case { name, bytes });
    }
    fn add_members(&mut self, base: &str, what: &str, m: &Members) {
        self.add(base, what, outer(m));
    }
}

fn layer_tar() -> Vec<Ent> {
    vec![
        dir("etc"),
        file("etc/os-release", b"ID=hostile\nVERSION_ID=1\n"),
        file("etc/app.conf", "password=hunter2\n".repeat(40)),
        symlink("etc/link", "os-release"),
        hardlink("etc/hard", "etc/os-release"),
        dir("usr/bin"),
        file("usr/bin/tool", vec![0x7fu8; 3000]),
    ]
}

fn second_layer() -> Vec<Ent> {
    vec![
        file("etc/.wh.app.conf", b""),
        file("tmp/new", b"new content\n"),
        dir("var/.wh..wh..opq"),
    ]
}

/// The valid starting points: (name, members, index of the first layer blob among members).
fn bases() -> Vec<(&'static str, Image, Members)> {
    let two_layers = |c: Comp| {
        Image::new(vec![
            Layer::of(&layer_tar(), c),
            Layer::of(&second_layer(), c),
        ])
    };
    let (legacy, gzip, zstd) = (
        two_layers(Comp::None),
        two_layers(Comp::Gzip),
        two_layers(Comp::Zstd),
    );
    let d25 = legacy.clone();
    vec![
        ("legacy", legacy.clone(), legacy.docker_legacy()),
        ("ocigz", gzip.clone(), gzip.oci()),
        ("ocizst", zstd.clone(), zstd.oci()),
        ("d25", d25.clone(), d25.docker25()),
    ]
}

fn first_layer_member(img: &Image, m: &Members) -> usize {
    m.iter()
        .position(|(_, d)| *d == img.layers[0].blob)
        .unwrap()
}

/// Byte offsets of each member's header in `outer(m)`.
fn header_offsets(m: &Members) -> Vec<usize> {
    let mut off = 0;
    m.iter()
        .map(|(_, d)| {
            let here = off;
            off += 512 + d.len().div_ceil(512) * 512;
            here
        })
        .collect()
}

fn with_cksum(mut bytes: Vec<u8>, at: usize) -> Vec<u8> {
    let mut h = tar::Header::new_old();
    h.as_mut_bytes().copy_from_slice(&bytes[at..at + 512]);
    h.set_cksum();
    bytes[at..at + 512].copy_from_slice(h.as_bytes());
    bytes
}

fn offsets(len: usize) -> Vec<usize> {
    let mut v = vec![
        0,
        1,
        100,
        511,
        512,
        513,
        1024,
        1500,
        len / 5,
        len / 3,
        len / 2,
        2 * len / 3,
        len.saturating_sub(1024),
        len.saturating_sub(513),
        len.saturating_sub(1),
    ];
    v.retain(|&o| o < len);
    v.sort_unstable();
    v.dedup();
    v
}

const BAD_JSON: &[(&str, &[u8])] = &[
    ("null", b"null"),
    ("array", b"[]"),
    ("object", b"{}"),
    ("string", b"\"x\""),
    ("number", b"1e999"),
    ("empty", b""),
    ("garbage", b"\x00\xff not json"),
    ("truncated", b"{\"a\": [1, 2"),
    ("arraynull", b"[null]"),
    ("arrayobj", b"[{}]"),
];

fn deep_json() -> Vec<u8> {
    let mut v = "[".repeat(100_000).into_bytes();
    v.extend("]".repeat(100_000).bytes());
    v
}

fn build_corpus() -> Corpus {
    let mut c = Corpus { cases: Vec::new() };
    for (base, img, members) in bases() {
        let whole = outer(&members);
        // Sanity: the base itself (must be exit 0; checked again below).
        c.add(base, "valid", whole.clone());
        // Truncated outer archive.
        for o in offsets(whole.len()) {
            c.add(base, &format!("trunc-outer-{o}"), whole[..o].to_vec());
        }
        // Truncated layer blob (the archive itself intact).
        let li = first_layer_member(&img, &members);
        let blob = &members[li].1;
        for o in offsets(blob.len()).into_iter().take(10) {
            let mut m = members.clone();
            m[li].1.truncate(o);
            c.add_members(base, &format!("trunc-layer-{o}"), &m);
        }
        // Bit flips in the layer blob (gzip/zstd stream, or the tar headers of a plain layer).
        let n = blob.len();
        for (k, pos) in [
            0,
            1,
            2,
            3,
            4,
            9,
            10,
            20,
            100,
            148,
            156,
            157,
            257,
            n / 2,
            n - 9,
            n - 5,
            n - 1,
        ]
        .into_iter()
        .enumerate()
        {
            if pos >= n {
                continue;
            }
            let mut m = members.clone();
            m[li].1[pos] ^= 1 << (k % 8);
            c.add_members(base, &format!("flip-layer-{pos}"), &m);
        }
        // Bogus sizes in the outer tar headers (checksum fixed, and not).
        let offs = header_offsets(&members);
        for (mi, (mname, _)) in members.iter().enumerate().take(4) {
            let tag = mname
                .rsplit('/')
                .next()
                .unwrap()
                .chars()
                .take(8)
                .collect::<String>();
            for (sname, size) in [
                ("huge", &b"77777777777\0"[..]),
                ("zero", b"00000000000\0"),
                ("junk", b"zz9z\0zzzzzzz"),
                ("b256", b"\x80\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
            ] {
                let mut b = whole.clone();
                b[offs[mi] + 124..offs[mi] + 136].copy_from_slice(size);
                c.add(
                    base,
                    &format!("size-{sname}-{tag}"),
                    with_cksum(b.clone(), offs[mi]),
                );
                if sname == "huge" {
                    c.add(base, &format!("size-nocksum-{tag}"), b);
                }
            }
        }
        // Bogus sizes in the layer's own first tar header (plain layers only).
        if img.layers[0].media_type.ends_with(".tar") {
            for (sname, size) in [
                ("huge", &b"77777777777\0"[..]),
                ("junk", b"zz9z\0zzzzzzz"),
                ("b256", b"\x80\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
            ] {
                let mut m = members.clone();
                m[li].1[124..136].copy_from_slice(size);
                m[li].1 = with_cksum(m[li].1.clone(), 0);
                c.add_members(base, &format!("layer-size-{sname}"), &m);
            }
        }
        // Missing members, one at a time.
        for (mi, (mname, _)) in members.iter().enumerate() {
            let mut m = members.clone();
            m.remove(mi);
            let tag = mname
                .rsplit('/')
                .next()
                .unwrap()
                .chars()
                .take(10)
                .collect::<String>();
            c.add_members(base, &format!("missing-{mi}-{tag}"), &m);
        }
        // Zero-length members and documents of the wrong shape.
        let docs: Vec<usize> = members
            .iter()
            .enumerate()
            .filter(|(_, (n, d))| {
                n.ends_with(".json") || (d.first() == Some(&b'{') && n != "oci-layout")
            })
            .map(|(i, _)| i)
            .collect();
        for &di in &docs {
            let tag = members[di]
                .0
                .rsplit('/')
                .next()
                .unwrap()
                .chars()
                .take(10)
                .collect::<String>();
            for (jname, j) in BAD_JSON {
                let mut m = members.clone();
                m[di].1 = j.to_vec();
                c.add_members(base, &format!("doc-{tag}-{jname}"), &m);
            }
            let mut m = members.clone();
            m[di].1 = deep_json();
            c.add_members(base, &format!("doc-{tag}-deep"), &m);
        }
        let mut m = members.clone();
        m[li].1.clear();
        c.add_members(base, "layer-empty", &m);
    }
    // Wrong digests, media types and shapes inside OCI documents.
    let img = Image::new(vec![Layer::of(&layer_tar(), Comp::Gzip)]);
    let manifest: serde_json::Value = serde_json::from_slice(&img.oci_manifest()).unwrap();
    let fake = format!("sha256:{}", "ab".repeat(32));
    let edits: Vec<Edit> = vec![
        (
            "layer-digest-missing",
            Box::new(|v| v["layers"][0]["digest"] = fake.clone().into()),
        ),
        (
            "layer-digest-bad",
            Box::new(|v| v["layers"][0]["digest"] = "sha256:../../x".into()),
        ),
        (
            "layer-digest-num",
            Box::new(|v| v["layers"][0]["digest"] = 5.into()),
        ),
        (
            "layer-digest-nocolon",
            Box::new(|v| v["layers"][0]["digest"] = "abc".into()),
        ),
        (
            "config-digest-missing",
            Box::new(|v| v["config"]["digest"] = fake.clone().into()),
        ),
        (
            "config-digest-bad",
            Box::new(|v| v["config"]["digest"] = "md5:/etc/passwd".into()),
        ),
        (
            "config-absent",
            Box::new(|v| v["config"] = serde_json::Value::Null),
        ),
        (
            "layers-null",
            Box::new(|v| v["layers"] = serde_json::Value::Null),
        ),
        (
            "layers-object",
            Box::new(|v| v["layers"] = serde_json::json!({"a": 1})),
        ),
        (
            "layers-strings",
            Box::new(|v| v["layers"] = serde_json::json!(["x", "y"])),
        ),
        (
            "media-nondistributable",
            Box::new(|v| {
                v["layers"][0]["mediaType"] =
                    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip".into()
            }),
        ),
        (
            "media-foreign-missing",
            Box::new(|v| {
                v["layers"][0]["mediaType"] =
                    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip".into();
                v["layers"][0]["digest"] = format!("sha256:{}", "cd".repeat(32)).into();
            }),
        ),
        (
            "media-text",
            Box::new(|v| v["layers"][0]["mediaType"] = "text/plain".into()),
        ),
        (
            "media-index",
            Box::new(|v| v["mediaType"] = "application/vnd.oci.image.index.v1+json".into()),
        ),
        (
            "media-list",
            Box::new(|v| {
                v["mediaType"] = "application/vnd.docker.distribution.manifest.list.v2+json".into()
            }),
        ),
        (
            "size-negative",
            Box::new(|v| v["layers"][0]["size"] = (-5).into()),
        ),
        (
            "size-huge",
            Box::new(|v| v["layers"][0]["size"] = u64::MAX.into()),
        ),
        (
            "layer-repeated",
            Box::new(|v| {
                let l = v["layers"][0].clone();
                v["layers"] = serde_json::json!([l.clone(), l.clone(), l]);
            }),
        ),
    ];
    for (what, edit) in &edits {
        let mut v = manifest.clone();
        edit(&mut v);
        let mb = serde_json::to_vec(&v).unwrap();
        let mut m = img.oci();
        set(&mut m, "index.json", img.oci_index(&mb));
        m.push((format!("blobs/sha256/{}", hex(&sha(&mb))), mb));
        c.add_members("oci", what, &m);
    }
    // The index pointing at the wrong things.
    let mb = img.oci_manifest();
    let index_edits: Vec<(&str, serde_json::Value)> = vec![
        (
            "index-digest-missing",
            serde_json::json!({"schemaVersion": 2, "manifests": [{"digest": fake, "size": 1}]}),
        ),
        (
            "index-self",
            serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(b"{}"), "size": 2}]}),
        ),
        (
            "index-manifests-null",
            serde_json::json!({"schemaVersion": 2, "manifests": null}),
        ),
        (
            "index-manifests-obj",
            serde_json::json!({"schemaVersion": 2, "manifests": {"a": 1}}),
        ),
        (
            "index-manifests-nums",
            serde_json::json!({"schemaVersion": 2, "manifests": [1, 2, null]}),
        ),
        (
            "index-to-config",
            serde_json::json!({"schemaVersion": 2, "manifests": [{"digest": sha(&img.config), "size": 1}]}),
        ),
        (
            "index-to-layer",
            serde_json::json!({"schemaVersion": 2, "manifests": [{"digest": img.layers[0].digest(), "size": 1}]}),
        ),
        (
            "index-unknown-platform",
            serde_json::json!({"schemaVersion": 2, "manifests": [{"digest": sha(&mb), "platform": {"os": "unknown", "architecture": "unknown"}}]}),
        ),
        (
            "index-two-platforms",
            serde_json::json!({"schemaVersion": 2, "manifests": [
            {"digest": sha(&mb), "platform": {"os": "linux", "architecture": "s390x"}},
            {"digest": sha(&mb), "platform": {"os": "linux", "architecture": "riscv64"}}]}),
        ),
    ];
    for (what, ix) in index_edits {
        let mut m = img.oci();
        set(&mut m, "index.json", serde_json::to_vec(&ix).unwrap());
        if what == "index-self" {
            m.push((format!("blobs/sha256/{}", hex(&sha(b"{}"))), b"{}".to_vec()));
        }
        c.add_members("oci", what, &m);
    }
    // Configs that parse but lie: diff_ids wrong (a warning), wrong count, wrong types.
    for (what, cfg) in [
        (
            "cfg-diffid-wrong",
            serde_json::json!({"os": "linux", "rootfs": {"diff_ids": [fake]}}),
        ),
        (
            "cfg-diffid-extra",
            serde_json::json!({"os": "linux", "rootfs": {"diff_ids": [img.layers[0].diff_id, fake, fake]}}),
        ),
        (
            "cfg-rootfs-num",
            serde_json::json!({"os": "linux", "rootfs": 5}),
        ),
        (
            "cfg-history-obj",
            serde_json::json!({"os": "linux", "history": {"a": 1}}),
        ),
        (
            "cfg-history-long",
            serde_json::json!({"os": "linux", "history": vec![serde_json::json!({"created_by": "x"}); 500]}),
        ),
        (
            "cfg-labels-nums",
            serde_json::json!({"config": {"Labels": {"a": 1}}}),
        ),
        (
            "cfg-env-obj",
            serde_json::json!({"config": {"Env": {"a": 1}}}),
        ),
        (
            "cfg-cmd-num",
            serde_json::json!({"config": {"Cmd": 5, "Entrypoint": {"x": 1}}}),
        ),
    ] {
        let img2 = img.clone().with_config(serde_json::to_vec(&cfg).unwrap());
        c.add_members("oci", what, &img2.oci());
        c.add_members("legacy", what, &img2.docker_legacy());
    }
    // Whole files that are not archives at all.
    c.add("raw", "zero-length", Vec::new());
    c.add("raw", "one-block-zeros", vec![0u8; 512]);
    c.add("raw", "end-blocks-only", vec![0u8; 1024]);
    c.add("raw", "text", b"hello, not a tar\n".to_vec());
    c.add("raw", "gzip-empty", gz(b""));
    c.add("raw", "gzip-garbage", gz(b"not a tar inside"));
    c.add("raw", "gzip-header-only", gz(b"")[..10].to_vec());
    c.add("raw", "zstd-magic-only", vec![0x28, 0xb5, 0x2f, 0xfd]);
    c.add("raw", "bzip2-magic", b"BZh91AY&SY".to_vec());
    c.add(
        "raw",
        "xz-magic",
        vec![0xfd, b'7', b'z', b'X', b'Z', 0, 0, 0],
    );
    c.add("raw", "empty-tar-members", tar(&[dir("a"), dir("b")]));
    c.add(
        "raw",
        "repositories-only",
        tar(&[file("repositories", b"{}")]),
    );
    // A gzipped whole archive with a flipped byte.
    let whole_gz = gz(&outer(&img.docker_legacy()));
    for pos in [3, 12, whole_gz.len() / 2, whole_gz.len() - 6] {
        let mut b = whole_gz.clone();
        b[pos] ^= 0x20;
        c.add("gzwhole", &format!("flip-{pos}"), b);
    }
    c
}

#[test]
fn malformed_images_give_json_or_one_line() {
    let corpus = build_corpus();
    let total = corpus.cases.len();
    assert!(total >= 200, "only {total} cases");
    let dir = tempfile::tempdir().unwrap();
    let queue = Mutex::new(corpus.cases.into_iter().collect::<Vec<_>>());
    let failures = Mutex::new(Vec::new());
    let outcomes = Mutex::new((0usize, 0usize));
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let Some(case) = queue.lock().unwrap().pop() else {
                    break;
                };
                let p = dir.path().join(&case.name);
                std::fs::write(&p, &case.bytes).unwrap();
                let r = run_file(&p, &[]);
                let res = std::panic::catch_unwind(|| assert_contract(&r, &case.name, &case.name));
                if res.is_err() {
                    failures.lock().unwrap().push(format!(
                        "{}: exit {:?} timed_out={} stderr={:?}",
                        case.name,
                        r.code,
                        r.timed_out,
                        r.err().chars().take(600).collect::<String>()
                    ));
                } else if case.name.contains("-valid") && r.code != Some(0) {
                    failures.lock().unwrap().push(format!(
                        "{}: the valid base failed: {}",
                        case.name,
                        r.err()
                    ));
                }
                if let Some(log) = std::env::var_os("MALFORMED_LOG") {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(log)
                        .unwrap();
                    writeln!(
                        f,
                        "{}\t{:?}\t{:?}\t{}",
                        case.name,
                        r.code,
                        r.elapsed,
                        r.err().trim_end()
                    )
                    .unwrap();
                }
                let mut o = outcomes.lock().unwrap();
                if r.code == Some(0) {
                    o.0 += 1
                } else {
                    o.1 += 1
                }
                std::fs::remove_file(&p).ok();
            });
        }
    });
    let (zero, two) = *outcomes.lock().unwrap();
    eprintln!(
        "{total} malformed cases: {zero} exit 0, {two} exit 2, in {:?}",
        start.elapsed()
    );
    let f = failures.into_inner().unwrap();
    assert!(
        f.is_empty(),
        "{} of {total} cases broke the contract:\n{}",
        f.len(),
        f.join("\n")
    );
}

//! Builds images in memory for the hostile-input tests: tar entries with any name bytes (no
//! validation, unlike `tar::Builder`), layers in every compression, and the four container
//! layouts. Runs the binary with a time bound.

use layerscope_imagegen::{archive, layer_tar, tar_entry, Node, RawEntry};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn sha(data: &[u8]) -> String {
    format!("sha256:{}", layerscope_core::digest::sha256_hex(data))
}

pub fn hex(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

/// One tar entry, names and link targets as raw bytes.
#[derive(Clone, Debug)]
pub struct Ent {
    pub name: Vec<u8>,
    pub kind: tar::EntryType,
    pub data: Vec<u8>,
    pub link: Vec<u8>,
    pub mode: u32,
}

pub fn file(name: impl AsRef<[u8]>, data: impl AsRef<[u8]>) -> Ent {
    Ent {
        name: name.as_ref().to_vec(),
        kind: tar::EntryType::Regular,
        data: data.as_ref().to_vec(),
        link: Vec::new(),
        mode: 0o644,
    }
}

pub fn dir(name: impl AsRef<[u8]>) -> Ent {
    Ent {
        kind: tar::EntryType::Directory,
        mode: 0o755,
        ..file(name, b"")
    }
}

pub fn symlink(name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Ent {
    Ent {
        kind: tar::EntryType::Symlink,
        link: target.as_ref().to_vec(),
        mode: 0o777,
        ..file(name, b"")
    }
}

pub fn hardlink(name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Ent {
    Ent {
        kind: tar::EntryType::Link,
        link: target.as_ref().to_vec(),
        ..file(name, b"")
    }
}

impl Ent {
    /// The entry as the image writer writes it: every field verbatim (hostile names included),
    /// GNU long name / long link records when the bytes exceed 100.
    pub fn node(&self) -> Node {
        Node::raw(
            &self.name,
            RawEntry {
                typeflag: self.kind.as_byte(),
                mode: self.mode,
                linkname: self.link.clone(),
                data: self.data.clone(),
                gnu_longname: (self.name.len() > 100).then(|| self.name.clone()),
                gnu_longlink: (self.link.len() > 100).then(|| self.link.clone()),
                gnu_magic: true,
                ..RawEntry::default()
            },
        )
        .mtime(1_700_000_000)
    }
}

/// Appends one raw entry.
pub fn push_entry(out: &mut Vec<u8>, e: &Ent) {
    out.extend(tar_entry(&e.node()));
}

/// A tar of raw entries, with the end-of-archive blocks.
pub fn tar(ents: &[Ent]) -> Vec<u8> {
    layer_tar(&ents.iter().map(Ent::node).collect::<Vec<_>>())
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 19).unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comp {
    None,
    Gzip,
    Zstd,
}

#[derive(Clone, Debug)]
pub struct Layer {
    /// The blob as stored.
    pub blob: Vec<u8>,
    pub diff_id: String,
    pub media_type: String,
}

impl Layer {
    pub fn new(tar_bytes: Vec<u8>, comp: Comp) -> Layer {
        let diff_id = sha(&tar_bytes);
        let (blob, media_type) = match comp {
            Comp::None => (tar_bytes, "application/vnd.oci.image.layer.v1.tar"),
            Comp::Gzip => (
                gz(&tar_bytes),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            ),
            Comp::Zstd => (
                zst(&tar_bytes),
                "application/vnd.oci.image.layer.v1.tar+zstd",
            ),
        };
        Layer {
            blob,
            diff_id,
            media_type: media_type.into(),
        }
    }
    pub fn of(ents: &[Ent], comp: Comp) -> Layer {
        Layer::new(tar(ents), comp)
    }
    pub fn digest(&self) -> String {
        sha(&self.blob)
    }
}

/// An image: layers, config and tags; laid out in any of the container formats.
#[derive(Clone, Debug)]
pub struct Image {
    pub layers: Vec<Layer>,
    pub config: Vec<u8>,
    pub tag: String,
}

pub fn config_for(layers: &[Layer], history: &[&str], labels: &[(&str, &str)]) -> Vec<u8> {
    let hist: Vec<serde_json::Value> = (0..layers.len())
        .map(|i| {
            serde_json::json!({
                "created": "2024-01-01T00:00:00Z",
                "created_by": history.get(i).copied().unwrap_or("RUN step"),
            })
        })
        .collect();
    let labels: serde_json::Map<String, serde_json::Value> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"], "Labels": labels, "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
        "history": hist,
    }))
    .unwrap()
}

impl Image {
    pub fn new(layers: Vec<Layer>) -> Image {
        let config = config_for(&layers, &[], &[]);
        Image {
            layers,
            config,
            tag: "hostile:latest".into(),
        }
    }

    pub fn with_config(mut self, config: Vec<u8>) -> Image {
        self.config = config;
        self
    }

    pub fn oci_manifest(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&self.config), "size": self.config.len()},
            "layers": self.layers.iter().map(|l| serde_json::json!({"mediaType": l.media_type, "digest": l.digest(), "size": l.blob.len()})).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    pub fn oci_index(&self, manifest: &[u8]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sha(manifest),
                "size": manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": self.tag},
            }],
        }))
        .unwrap()
    }

    /// `docker save` before 25: `<n>/layer.tar`, `<hex>.json` config, manifest.json.
    pub fn docker_legacy(&self) -> Vec<(String, Vec<u8>)> {
        let cfg = format!("{}.json", hex(&sha(&self.config)));
        let mut m = vec![(cfg.clone(), self.config.clone())];
        let mut names = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let n = format!("{:064x}/layer.tar", i + 1);
            m.push((n.clone(), l.blob.clone()));
            names.push(n);
        }
        m.push((
            "manifest.json".into(),
            serde_json::to_vec(
                &serde_json::json!([{"Config": cfg, "RepoTags": [self.tag], "Layers": names}]),
            )
            .unwrap(),
        ));
        m
    }

    /// OCI image layout (as an oci-archive tar or a directory).
    pub fn oci(&self) -> Vec<(String, Vec<u8>)> {
        let manifest = self.oci_manifest();
        let mut m = vec![
            (
                "oci-layout".to_string(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ),
            ("index.json".to_string(), self.oci_index(&manifest)),
        ];
        m.push((format!("blobs/sha256/{}", hex(&sha(&manifest))), manifest));
        m.push((
            format!("blobs/sha256/{}", hex(&sha(&self.config))),
            self.config.clone(),
        ));
        for l in &self.layers {
            m.push((format!("blobs/sha256/{}", hex(&l.digest())), l.blob.clone()));
        }
        m
    }

    /// Docker 25+: an OCI layout plus manifest.json naming the blobs.
    pub fn docker25(&self) -> Vec<(String, Vec<u8>)> {
        let mut m = self.oci();
        let names: Vec<String> = self
            .layers
            .iter()
            .map(|l| format!("blobs/sha256/{}", hex(&l.digest())))
            .collect();
        m.push((
            "manifest.json".into(),
            serde_json::to_vec(&serde_json::json!([{
                "Config": format!("blobs/sha256/{}", hex(&sha(&self.config))),
                "RepoTags": [self.tag],
                "Layers": names,
            }]))
            .unwrap(),
        ));
        m
    }
}

/// Members as an outer tar (names as given, in order).
pub fn outer(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    archive(members)
}

/// Members as a directory tree under `root`.
pub fn write_dir(root: &Path, members: &[(String, Vec<u8>)]) {
    for (n, d) in members {
        let p = root.join(n);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, d).unwrap();
    }
}

pub fn set(members: &mut Vec<(String, Vec<u8>)>, name: &str, data: Vec<u8>) {
    match members.iter_mut().find(|(n, _)| n == name) {
        Some(m) => m.1 = data,
        None => members.push((name.to_string(), data)),
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_layerscope"))
}

#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Run {
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs the binary with output to files (no pipe to fill) and kills it after `limit`.
pub fn run_bounded(args: &[&std::ffi::OsStr], limit: Duration) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out_p = dir.path().join("stdout");
    let err_p = dir.path().join("stderr");
    let start = Instant::now();
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_p).unwrap())
        .stderr(std::fs::File::create(&err_p).unwrap())
        .spawn()
        .expect("spawn layerscope");
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            timed_out = true;
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let read = |p: &Path| {
        let mut v = Vec::new();
        std::fs::File::open(p).unwrap().read_to_end(&mut v).unwrap();
        v
    };
    Run {
        code: status.and_then(|s| s.code()),
        stdout: read(&out_p),
        stderr: read(&err_p),
        timed_out,
        elapsed: start.elapsed(),
    }
}

pub fn run_file(path: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&std::ffi::OsStr> = vec![path.as_os_str(), "--json".as_ref()];
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    run_bounded(&args, Duration::from_secs(10))
}

/// Writes `bytes` to `name` in a fresh temp dir (kept alive by the returned guard).
pub fn temp_image(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (d, p)
}

/// The contract for any input: exit 0 with JSON, or exit 2 with exactly one `layerscope: ` line
/// naming `name`; never a panic, never a hang, never a raw ESC.
pub fn assert_contract(r: &Run, name: &str, case: &str) {
    let err = r.err();
    assert!(!r.timed_out, "{case}: no answer within 10 s");
    assert!(!err.contains("panicked at"), "{case}: panic: {err}");
    assert!(
        !r.stderr.contains(&0x1b),
        "{case}: raw ESC on stderr: {err}"
    );
    match r.code {
        Some(0) => {
            let v: serde_json::Value = serde_json::from_slice(&r.stdout)
                .unwrap_or_else(|e| panic!("{case}: exit 0 but stdout is not JSON: {e}"));
            assert_eq!(v["schema_version"], 1, "{case}");
        }
        Some(2) => {
            assert!(r.stdout.is_empty(), "{case}: error but wrote to stdout");
            let lines: Vec<&str> = err.trim_end_matches('\n').split('\n').collect();
            assert_eq!(lines.len(), 1, "{case}: error must be one line: {err:?}");
            assert!(lines[0].starts_with("layerscope: "), "{case}: {err:?}");
            assert!(
                lines[0].contains(name),
                "{case}: error must name {name}: {err:?}"
            );
        }
        other => panic!("{case}: exit code {other:?}: {err}"),
    }
}

/// A gzip stream of `parts`, each `(bytes, times)`: every part is compressed once and its gzip
/// member repeated (a multi-member stream, as eStargz writes). Cheap big bombs in debug builds.
/// Returns the blob and the sha256 of what it inflates to.
pub fn gz_parts(parts: &[(&[u8], usize)]) -> (Vec<u8>, String) {
    use sha2::Digest;
    let mut out = Vec::new();
    let mut h = sha2::Sha256::new();
    for (bytes, times) in parts {
        let member = gz(bytes);
        for _ in 0..*times {
            out.extend_from_slice(&member);
            h.update(bytes);
        }
    }
    (
        out,
        format!("sha256:{}", layerscope_core::digest::hex(&h.finalize())),
    )
}

/// A raw tar header block for one entry that declares `size` bytes it does not carry.
pub fn header_block(name: &[u8], kind: tar::EntryType, size: u64) -> Vec<u8> {
    tar_entry(
        &Node::raw(
            name,
            RawEntry {
                typeflag: kind.as_byte(),
                mode: 0o644,
                declared_size: Some(size),
                gnu_magic: true,
                ..RawEntry::default()
            },
        )
        .mtime(1_700_000_000),
    )
}

pub const MIB: usize = 1 << 20;

/// A gzip layer holding one file of `mib` MiB of zeros.
pub fn gz_zero_layer(mib: usize) -> Layer {
    let zeros = vec![0u8; MIB];
    let head = header_block(b"zeros", tar::EntryType::Regular, (mib * MIB) as u64);
    let (blob, diff_id) = gz_parts(&[(&head, 1), (&zeros, mib), (&[0u8; 1024], 1)]);
    Layer {
        blob,
        diff_id,
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
    }
}

/// A `docker save` gzipped whole whose last member declares `mib` MiB of zeros: it inflates far
/// beyond its compressed size (a bomb for the outer-archive spool).
pub fn gzipped_save_bomb(mib: usize) -> Vec<u8> {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let mut head = tar(&img
        .docker_legacy()
        .iter()
        .map(|(n, d)| file(n, d))
        .collect::<Vec<_>>());
    head.truncate(head.len() - 1024);
    head.extend(header_block(
        b"padding.bin",
        tar::EntryType::Regular,
        (mib * MIB) as u64,
    ));
    gz_parts(&[(&head, 1), (&vec![0u8; MIB], mib), (&[0u8; 1024], 1)]).0
}

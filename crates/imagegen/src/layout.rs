//! Builds images and lays them out as each real tool does.
//!
//! Mirrors the real fixtures in `/work/shared/fixtures/built/` (entry names, order, modes,
//! owner names, mtimes, JSON keys). Intended differences are marked `DIFF:`.

use super::json::{self, *};
use super::tar::{layer_tar_with, write_entry, Hdr, TarOptions};
use super::{
    parse_rfc3339, sha256_digest, sha256_hex, Compression, ImageSpec, IndexStyle, Layout,
    DEFAULT_MTIME,
};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What was written, for the primary image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WrittenImage {
    /// `sha256:<hex>` of the config blob (= Docker's image ID).
    pub config_digest: String,
    /// `rootfs.diff_ids`: sha256 of each uncompressed layer tar, in order.
    pub diff_ids: Vec<String>,
    /// Digest of each layer blob as stored (equal to `diff_ids` when uncompressed).
    pub layer_digests: Vec<String>,
    /// Digest of the image manifest blob, for layouts that have one.
    pub manifest_digest: Option<String>,
    /// Digest of the multi-platform image index blob, when `platforms` is non-empty.
    pub index_digest: Option<String>,
    /// The `platforms` images, in order.
    pub platforms: Vec<WrittenImage>,
    /// The `extra_images`, in order.
    pub extra_images: Vec<WrittenImage>,
}

// ---------------------------------------------------------------------------------------
// compression

/// gzip as containerd/Go write it: header mtime 0, OS 255, default level (6).
pub fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).expect("gzip to memory");
    enc.finish().expect("gzip to memory")
}

/// zstd level 3, one frame with the content size.
pub fn zstd_bytes(data: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(data, 3).expect("zstd to memory")
}

pub fn compress(data: &[u8], c: Compression) -> Vec<u8> {
    match c {
        Compression::None => data.to_vec(),
        Compression::Gzip => gzip_bytes(data),
        Compression::Zstd => zstd_bytes(data),
    }
}

/// Gzips a whole file (a `docker save | gzip` archive) to `<path>.gz`; returns the new path.
pub fn gzip_whole(path: &Path) -> io::Result<PathBuf> {
    let data = std::fs::read(path)?;
    let mut out = path.as_os_str().to_owned();
    out.push(".gz");
    let out = PathBuf::from(out);
    std::fs::write(&out, gzip_bytes(&data))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// building one image

struct BuiltLayer {
    diff_id: String,
    blob: Vec<u8>,
    digest: String,
    epoch: u64,
}

struct Built {
    name: String,
    os: String,
    architecture: String,
    variant: Option<String>,
    config: Vec<u8>,
    config_digest: String,
    container_config: ContainerConfig,
    created: String,
    epoch: u64,
    layers: Vec<BuiltLayer>,
}

fn epoch_of(s: &str) -> u64 {
    parse_rfc3339(s).unwrap_or(DEFAULT_MTIME)
}

fn container_config(spec: &ImageSpec) -> ContainerConfig {
    ContainerConfig {
        user: spec.user.clone(),
        env: if spec.env.is_empty() {
            None
        } else {
            Some(spec.env.clone())
        },
        cmd: spec.cmd.clone(),
        working_dir: spec.working_dir.clone(),
        entrypoint: spec.entrypoint.clone(),
        labels: if spec.labels.is_empty() {
            None
        } else {
            Some(spec.labels.clone())
        },
        ..ContainerConfig::default()
    }
}

fn build(spec: &ImageSpec, name: &str, c: Compression) -> Built {
    let mut layers = Vec::new();
    let mut history = Vec::new();
    for step in &spec.steps {
        let created = if step.created.is_empty() {
            spec.created.clone()
        } else {
            step.created.clone()
        };
        let epoch = epoch_of(&created);
        if step.has_layer() {
            let tar = match (&step.raw_layer, &step.layer) {
                (Some(raw), _) => raw.clone(),
                (None, Some(nodes)) => layer_tar_with(
                    nodes,
                    &TarOptions {
                        default_mtime: epoch,
                        ..TarOptions::default()
                    },
                ),
                (None, None) => unreachable!(),
            };
            let blob = compress(&tar, c);
            layers.push(BuiltLayer {
                diff_id: sha256_digest(&tar),
                digest: sha256_digest(&blob),
                blob,
                epoch,
            });
        }
        if !step.no_history {
            history.push(History {
                created,
                created_by: step.created_by.clone(),
                comment: step.comment.clone(),
                empty_layer: step.empty_layer_override.unwrap_or(!step.has_layer()),
            });
        }
    }
    let cc = container_config(spec);
    let config = json::to_vec(&ImageConfig {
        architecture: spec.architecture.clone(),
        config: cc.clone(),
        created: spec.created.clone(),
        history,
        os: spec.os.clone(),
        rootfs: RootFs {
            typ: "layers",
            diff_ids: layers.iter().map(|l| l.diff_id.clone()).collect(),
        },
        variant: spec.variant.clone(),
    });
    Built {
        name: name.to_string(),
        os: spec.os.clone(),
        architecture: spec.architecture.clone(),
        variant: spec.variant.clone(),
        config_digest: sha256_digest(&config),
        config,
        container_config: cc,
        created: spec.created.clone(),
        epoch: epoch_of(&spec.created),
        layers,
    }
}

/// One named image and its platform variants (first = the primary).
struct Group {
    images: Vec<Built>,
}

fn groups(spec: &ImageSpec, c: Compression) -> Vec<Group> {
    let mut out = Vec::new();
    let tops = std::iter::once(spec).chain(spec.extra_images.iter());
    for top in tops {
        let mut images = vec![build(top, &top.name, c)];
        for p in &top.platforms {
            images.push(build(p, &top.name, c));
        }
        out.push(Group { images });
    }
    out
}

// ---------------------------------------------------------------------------------------
// names

/// (repository, tag) of `repo[:tag][@digest]`; tag defaults to `latest`.
fn split_name(name: &str) -> (String, String) {
    let name = name.split('@').next().unwrap_or(name);
    let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    match name[last_slash..].rfind(':') {
        Some(i) => (
            name[..last_slash + i].to_string(),
            name[last_slash + i + 1..].to_string(),
        ),
        None => (name.to_string(), "latest".to_string()),
    }
}

/// Docker's familiar name (`RepoTags`, `repositories`): no `docker.io/[library/]`.
fn familiar_repo(repo: &str) -> String {
    let r = repo.strip_prefix("docker.io/").unwrap_or(repo);
    r.strip_prefix("library/").unwrap_or(r).to_string()
}

/// Fully qualified name (`io.containerd.image.name`).
fn full_repo(repo: &str) -> String {
    let first = repo.split('/').next().unwrap_or("");
    let has_domain =
        repo.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_domain {
        repo.to_string()
    } else if repo.contains('/') {
        format!("docker.io/{repo}")
    } else {
        format!("docker.io/library/{repo}")
    }
}

fn repo_tags(name: &str) -> Option<Vec<String>> {
    if name.is_empty() {
        return None;
    }
    let (repo, tag) = split_name(name);
    Some(vec![format!("{}:{}", familiar_repo(&repo), tag)])
}

// ---------------------------------------------------------------------------------------
// outer entries

#[derive(Clone)]
enum EKind {
    Dir,
    File(Vec<u8>),
    Symlink(String),
}

#[derive(Clone)]
struct Entry {
    path: String,
    kind: EKind,
    /// Full mode, written verbatim.
    mode: u32,
    mtime: u64,
    owner_names: bool,
}

impl Entry {
    fn file(path: impl Into<String>, data: Vec<u8>, mode: u32, mtime: u64) -> Entry {
        Entry {
            path: path.into(),
            kind: EKind::File(data),
            mode,
            mtime,
            owner_names: false,
        }
    }
    fn dir(path: impl Into<String>, mode: u32, mtime: u64) -> Entry {
        Entry {
            path: path.into(),
            kind: EKind::Dir,
            mode,
            mtime,
            owner_names: false,
        }
    }
    fn root(mut self) -> Entry {
        self.owner_names = true;
        self
    }
}

/// Order of a recursive directory walk (Go `filepath.Walk`): component-wise by name.
fn walk_order(entries: &mut [Entry]) {
    entries.sort_by(|a, b| {
        let ka: Vec<&str> = a.path.trim_end_matches('/').split('/').collect();
        let kb: Vec<&str> = b.path.trim_end_matches('/').split('/').collect();
        ka.cmp(&kb)
    });
}

fn entries_to_tar(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let (name, typeflag, link, data): (String, u8, &str, &[u8]) = match &e.kind {
            EKind::Dir => (format!("{}/", e.path.trim_end_matches('/')), b'5', "", &[]),
            EKind::File(d) => (e.path.clone(), b'0', "", d),
            EKind::Symlink(t) => (e.path.clone(), b'2', t, &[]),
        };
        let names: &[u8] = if e.owner_names { b"root" } else { b"" };
        write_entry(
            &mut out,
            &Hdr {
                name: name.as_bytes(),
                linkname: link.as_bytes(),
                typeflag,
                mode: e.mode,
                uid: 0,
                gid: 0,
                size: data.len() as u64,
                mtime: e.mtime,
                uname: names,
                gname: names,
                devmajor: 0,
                devminor: 0,
                xattrs: &[],
            },
            data,
        );
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn entries_to_dir(entries: &[Entry], out: &Path) -> io::Result<()> {
    std::fs::create_dir_all(out)?;
    for e in entries {
        let p = out.join(&e.path);
        match &e.kind {
            EKind::Dir => std::fs::create_dir_all(&p)?,
            EKind::File(d) => {
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&p, d)?;
            }
            EKind::Symlink(t) => {
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let _ = std::fs::remove_file(&p);
                std::os::unix::fs::symlink(t, &p)?;
            }
        }
    }
    Ok(())
}

/// Collects blobs once each (first wins), as a content-addressed store does.
#[derive(Default)]
struct Blobs {
    list: BTreeMap<String, (Vec<u8>, u64)>,
}

impl Blobs {
    fn add(&mut self, data: &[u8], mtime: u64) -> (String, u64) {
        let hex = sha256_hex(data);
        self.list
            .entry(hex.clone())
            .or_insert_with(|| (data.to_vec(), mtime));
        (format!("sha256:{hex}"), data.len() as u64)
    }
    fn entries(&self, mode: u32) -> Vec<Entry> {
        self.list
            .iter()
            .map(|(hex, (d, t))| Entry::file(format!("blobs/sha256/{hex}"), d.clone(), mode, *t))
            .collect()
    }
}

fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

fn written(b: &Built) -> WrittenImage {
    WrittenImage {
        config_digest: b.config_digest.clone(),
        diff_ids: b.layers.iter().map(|l| l.diff_id.clone()).collect(),
        layer_digests: b.layers.iter().map(|l| l.digest.clone()).collect(),
        ..WrittenImage::default()
    }
}

/// Chain IDs (OCI `ChainID`), as `sha256:<hex>`.
fn chain_ids(b: &Built) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in &b.layers {
        let next = match out.last() {
            None => l.diff_id.clone(),
            Some(prev) => sha256_digest(format!("{} {}", prev, l.diff_id).as_bytes()),
        };
        out.push(next);
    }
    out
}

/// Legacy v1 layer IDs. DIFF: Docker derives them from a JSON of the v1 image config
/// (`v1.CreateID`); here they are sha256("<chainid> <parent v1id>[ <config digest>]"),
/// equally deterministic and unique per chain (and per config for the top layer). Readers
/// must not interpret them.
fn v1_ids(b: &Built) -> Vec<String> {
    let chains = chain_ids(b);
    let mut ids: Vec<String> = Vec::new();
    for (i, c) in chains.iter().enumerate() {
        let parent = ids.last().cloned().unwrap_or_default();
        let mut s = format!("{c} {parent}");
        if i + 1 == chains.len() {
            s.push(' ');
            s.push_str(&b.config_digest);
        }
        ids.push(sha256_hex(s.as_bytes()));
    }
    ids
}

/// Docker's legacy `<v1id>/json` (also kept as unreferenced blobs by Docker 25+).
fn docker_v1_json(b: &Built, ids: &[String], i: usize) -> Vec<u8> {
    let top = i + 1 == ids.len();
    json::to_vec(&DockerV1Json {
        id: ids[i].clone(),
        parent: if i == 0 {
            None
        } else {
            Some(ids[i - 1].clone())
        },
        created: if top {
            b.created.clone()
        } else {
            "1970-01-01T00:00:00Z".into()
        },
        container_config: ContainerConfig::default(),
        config: top.then(|| b.container_config.clone()),
        architecture: top.then(|| b.architecture.clone()),
        variant: if top { b.variant.clone() } else { None },
        os: b.os.clone(),
    })
}

fn oci_layer_type(c: Compression) -> &'static str {
    match c {
        Compression::None => "application/vnd.oci.image.layer.v1.tar",
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

fn docker_layer_type(c: Compression) -> &'static str {
    match c {
        Compression::None => "application/vnd.docker.image.rootfs.diff.tar",
        Compression::Gzip => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        Compression::Zstd => "application/vnd.docker.image.rootfs.diff.tar.zstd",
    }
}

fn platform_of(b: &Built) -> Platform {
    Platform {
        architecture: b.architecture.clone(),
        os: b.os.clone(),
        variant: b.variant.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Docker save ≤ 24

fn docker_legacy(groups: &[Group]) -> (Vec<Entry>, WrittenImage) {
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut manifest = Vec::new();
    let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut put = |e: Entry| {
        entries.entry(e.path.clone()).or_insert(e);
    };
    for g in groups {
        // DIFF: platforms cannot be represented; only the primary image is written.
        let b = &g.images[0];
        let ids = v1_ids(b);
        let mut layer_paths = Vec::new();
        for (i, l) in b.layers.iter().enumerate() {
            let id = &ids[i];
            put(Entry::dir(id.clone(), 0o40755, l.epoch).root());
            put(Entry::file(format!("{id}/VERSION"), b"1.0".to_vec(), 0o100644, l.epoch).root());
            put(Entry::file(
                format!("{id}/json"),
                docker_v1_json(b, &ids, i),
                0o100644,
                l.epoch,
            )
            .root());
            // DIFF: with compression, layer.tar holds the compressed blob under the same name
            // (as some writers do); Docker itself never compresses here.
            put(Entry::file(format!("{id}/layer.tar"), l.blob.clone(), 0o100644, l.epoch).root());
            layer_paths.push(format!("{id}/layer.tar"));
        }
        let cfg = format!("{}.json", hex_of(&b.config_digest));
        put(Entry::file(cfg.clone(), b.config.clone(), 0o100644, b.epoch).root());
        manifest.push(DockerManifestItem {
            config: cfg,
            repo_tags: repo_tags(&b.name),
            layers: layer_paths,
            layer_sources: None,
        });
        record_repo(&mut repos, &b.name, ids.last());
    }
    let mut list: Vec<Entry> = entries.into_values().collect();
    list.push(Entry::file("manifest.json", json::to_vec(&manifest), 0o100644, 0).root());
    if !repos.is_empty() {
        list.push(Entry::file("repositories", json::to_vec(&repos), 0o100644, 0).root());
    }
    walk_order(&mut list);
    (list, primary_written(groups, |_| None))
}

fn primary_written(
    groups: &[Group],
    manifest_of: impl Fn(&Built) -> Option<String>,
) -> WrittenImage {
    let mk = |b: &Built| {
        let mut w = written(b);
        w.manifest_digest = manifest_of(b);
        w
    };
    let mut out = mk(&groups[0].images[0]);
    out.platforms = groups[0].images[1..].iter().map(mk).collect();
    out.extra_images = groups[1..]
        .iter()
        .map(|g| {
            let mut w = mk(&g.images[0]);
            w.platforms = g.images[1..].iter().map(mk).collect();
            w
        })
        .collect();
    out
}

// ---------------------------------------------------------------------------------------
// containers/image docker-archive

fn docker_archive_containers(groups: &[Group]) -> (Vec<Entry>, WrittenImage) {
    let mut list = Vec::new();
    let mut seen = BTreeSet::new();
    let mut manifest = Vec::new();
    let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut push = |list: &mut Vec<Entry>, e: Entry| {
        if seen.insert(e.path.clone()) {
            list.push(e);
        }
    };
    for g in groups {
        let b = &g.images[0];
        let ids = v1_ids(b);
        let mut layer_paths = Vec::new();
        for l in &b.layers {
            // DIFF: a compressed layer is named by its blob digest (containers/image always
            // decompresses into this layout, so the name there is the diff_id).
            let p = format!("{}.tar", hex_of(&l.digest));
            push(&mut list, Entry::file(p.clone(), l.blob.clone(), 0o444, 0));
            layer_paths.push(p);
        }
        let cfg = format!("{}.json", hex_of(&b.config_digest));
        push(
            &mut list,
            Entry::file(cfg.clone(), b.config.clone(), 0o444, 0),
        );
        for (i, l) in b.layers.iter().enumerate() {
            let id = &ids[i];
            let parent = (i > 0).then(|| ids[i - 1].clone());
            let js = if i + 1 == ids.len() {
                json::to_vec(&CiV1JsonTop {
                    architecture: b.architecture.clone(),
                    config: b.container_config.clone(),
                    container: None,
                    container_config: None,
                    created: b.created.clone(),
                    docker_version: None,
                    id: id.clone(),
                    os: b.os.clone(),
                    parent,
                    variant: b.variant.clone(),
                })
            } else {
                json::to_vec(&CiV1Json {
                    id: id.clone(),
                    parent,
                })
            };
            push(
                &mut list,
                Entry {
                    path: format!("{id}/layer.tar"),
                    kind: EKind::Symlink(format!("../{}.tar", hex_of(&l.digest))),
                    mode: 0,
                    mtime: 0,
                    owner_names: false,
                },
            );
            push(
                &mut list,
                Entry::file(format!("{id}/VERSION"), b"1.0".to_vec(), 0o444, 0),
            );
            push(&mut list, Entry::file(format!("{id}/json"), js, 0o444, 0));
        }
        manifest.push(DockerManifestItem {
            config: cfg,
            repo_tags: repo_tags(&b.name),
            layers: layer_paths,
            layer_sources: None,
        });
        record_repo(&mut repos, &b.name, ids.last());
    }
    list.push(Entry::file(
        "manifest.json",
        json::to_vec(&manifest),
        0o444,
        0,
    ));
    if !repos.is_empty() {
        list.push(Entry::file("repositories", json::to_vec(&repos), 0o444, 0));
    }
    (list, primary_written(groups, |_| None))
}

// ---------------------------------------------------------------------------------------
// OCI-based layouts

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    DockerV25,
    Containerd,
    OciDir,
    OciArchive,
}

struct ManifestOut {
    digest: String,
    size: u64,
}

fn put_image(
    blobs: &mut Blobs,
    b: &Built,
    c: Compression,
    flavor: Flavor,
    write_blobs: bool,
) -> ManifestOut {
    let docker = flavor == Flavor::Containerd;
    let mut scratch = Blobs::default();
    let store = if write_blobs {
        &mut *blobs
    } else {
        &mut scratch
    };
    let (cd, cs) = store.add(&b.config, b.epoch);
    let mut layers = Vec::new();
    for l in &b.layers {
        let (d, s) = store.add(&l.blob, l.epoch);
        layers.push(Descriptor {
            media_type: if docker {
                docker_layer_type(c)
            } else {
                oci_layer_type(c)
            }
            .into(),
            digest: d,
            size: s,
            annotations: BTreeMap::new(),
            platform: None,
        });
    }
    if flavor == Flavor::DockerV25 {
        // Docker 25+ (graphdriver) keeps the legacy per-layer v1 JSONs as unreferenced blobs.
        let ids = v1_ids(b);
        for (i, l) in b.layers.iter().enumerate() {
            store.add(&docker_v1_json(b, &ids, i), l.epoch);
        }
    }
    let m = json::to_vec(&Manifest {
        schema_version: 2,
        media_type: if docker {
            DOCKER_MANIFEST
        } else {
            OCI_MANIFEST
        }
        .into(),
        config: Descriptor {
            media_type: if docker { DOCKER_CONFIG } else { OCI_CONFIG }.into(),
            digest: cd,
            size: cs,
            annotations: BTreeMap::new(),
            platform: None,
        },
        layers,
    });
    let (digest, size) = store.add(&m, 0);
    ManifestOut { digest, size }
}

fn ref_annotations(flavor: Flavor, name: &str) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    if name.is_empty() {
        return a;
    }
    let (repo, tag) = split_name(name);
    match flavor {
        Flavor::DockerV25 | Flavor::Containerd => {
            a.insert(
                "io.containerd.image.name".into(),
                format!("{}:{}", full_repo(&repo), tag),
            );
            a.insert("org.opencontainers.image.ref.name".into(), tag);
        }
        // skopeo `oci:dir:tag` writes the tag only.
        Flavor::OciDir => {
            a.insert("org.opencontainers.image.ref.name".into(), tag);
        }
        // buildah/podman `oci-archive:f.tar:name:tag` writes the name as given.
        Flavor::OciArchive => {
            a.insert("org.opencontainers.image.ref.name".into(), name.to_string());
        }
    }
    a
}

fn oci_like(
    groups: &[Group],
    c: Compression,
    flavor: Flavor,
    style_of: impl Fn(usize) -> (IndexStyle, bool),
) -> (Vec<Entry>, WrittenImage) {
    let docker = flavor == Flavor::Containerd;
    let mut blobs = Blobs::default();
    let mut index_entries = Vec::new();
    let mut docker_manifest = Vec::new();
    let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut manifests: BTreeMap<String, String> = BTreeMap::new(); // config digest -> manifest digest
    let mut index_digests = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let (style, skip_others) = style_of(gi);
        let primary = &g.images[0];
        let name = &primary.name;
        let mut outs = Vec::new();
        for (i, b) in g.images.iter().enumerate() {
            let write = i == 0 || !(docker && skip_others);
            let m = put_image(&mut blobs, b, c, flavor, write);
            manifests.insert(b.config_digest.clone(), m.digest.clone());
            outs.push(m);
        }
        let manifest_type = if docker {
            DOCKER_MANIFEST
        } else {
            OCI_MANIFEST
        };
        let annotations = ref_annotations(flavor, name);
        if g.images.len() == 1 {
            index_entries.push(Descriptor {
                media_type: manifest_type.into(),
                digest: outs[0].digest.clone(),
                size: outs[0].size,
                annotations,
                platform: None,
            });
            index_digests.push(None);
        } else {
            let per_platform: Vec<Descriptor> = g
                .images
                .iter()
                .zip(&outs)
                .map(|(b, m)| Descriptor {
                    media_type: manifest_type.into(),
                    digest: m.digest.clone(),
                    size: m.size,
                    annotations: BTreeMap::new(),
                    platform: Some(platform_of(b)),
                })
                .collect();
            match style {
                IndexStyle::Flat => {
                    for mut d in per_platform {
                        d.annotations = annotations.clone();
                        index_entries.push(d);
                    }
                    index_digests.push(None);
                }
                IndexStyle::Nested => {
                    let list_type = if docker {
                        DOCKER_MANIFEST_LIST
                    } else {
                        OCI_INDEX
                    };
                    let idx = json::to_vec(&Index {
                        schema_version: 2,
                        media_type: Some(list_type.into()),
                        manifests: per_platform,
                    });
                    let (d, s) = blobs.add(&idx, 0);
                    index_entries.push(Descriptor {
                        media_type: list_type.into(),
                        digest: d.clone(),
                        size: s,
                        annotations,
                        platform: None,
                    });
                    index_digests.push(Some(d));
                }
            }
        }
        // Docker's manifest.json names the primary platform only.
        if matches!(flavor, Flavor::DockerV25 | Flavor::Containerd) {
            let sources = (flavor == Flavor::DockerV25).then(|| {
                primary
                    .layers
                    .iter()
                    .map(|l| {
                        (
                            l.diff_id.clone(),
                            LayerSource {
                                media_type: oci_layer_type(c).into(),
                                size: l.blob.len() as u64,
                                digest: l.digest.clone(),
                            },
                        )
                    })
                    .collect()
            });
            docker_manifest.push(DockerManifestItem {
                config: format!("blobs/sha256/{}", hex_of(&primary.config_digest)),
                repo_tags: repo_tags(name),
                layers: primary
                    .layers
                    .iter()
                    .map(|l| format!("blobs/sha256/{}", hex_of(&l.digest)))
                    .collect(),
                layer_sources: sources,
            });
            if flavor == Flavor::DockerV25 && !name.is_empty() {
                if let Some(last) = primary.layers.last() {
                    let (repo, tag) = split_name(name);
                    repos
                        .entry(familiar_repo(&repo))
                        .or_default()
                        .insert(tag, hex_of(&last.diff_id).to_string());
                }
            }
        }
    }
    let index = json::to_vec(&Index {
        schema_version: 2,
        // skopeo/buildah leave mediaType out of index.json; Docker/containerd write it.
        media_type: matches!(flavor, Flavor::DockerV25 | Flavor::Containerd)
            .then(|| OCI_INDEX.to_string()),
        manifests: index_entries,
    });
    let created = groups[0].images[0].epoch;
    let mut list = Vec::new();
    match flavor {
        Flavor::DockerV25 => {
            list.push(Entry::dir("blobs", 0o755, created));
            list.push(Entry::dir("blobs/sha256", 0o755, created));
            list.extend(blobs.entries(0o644));
            list.push(Entry::file("index.json", index, 0o644, created));
            list.push(Entry::file(
                "manifest.json",
                json::to_vec(&docker_manifest),
                0o644,
                0,
            ));
            list.push(Entry::file(
                "oci-layout",
                b"{\"imageLayoutVersion\": \"1.0.0\"}".to_vec(),
                0o644,
                0,
            ));
            if !repos.is_empty() {
                list.push(Entry::file("repositories", json::to_vec(&repos), 0o644, 0));
            }
        }
        Flavor::Containerd => {
            list.push(Entry::dir("blobs", 0o755, 0));
            list.push(Entry::dir("blobs/sha256", 0o755, 0));
            // containerd's exporter writes every entry with mtime 0.
            list.extend(blobs.entries(0o444).into_iter().map(|mut e| {
                e.mtime = 0;
                e
            }));
            list.push(Entry::file("index.json", index, 0o644, 0));
            list.push(Entry::file(
                "manifest.json",
                json::to_vec(&docker_manifest),
                0o644,
                0,
            ));
            list.push(Entry::file(
                "oci-layout",
                b"{\"imageLayoutVersion\":\"1.0.0\"}".to_vec(),
                0o444,
                0,
            ));
        }
        Flavor::OciDir | Flavor::OciArchive => {
            list.push(Entry::dir("blobs", 0o40755, created).root());
            list.push(Entry::dir("blobs/sha256", 0o40755, created).root());
            for mut e in blobs.entries(0o100644) {
                e.mtime = created;
                list.push(e.root());
            }
            list.push(Entry::file("index.json", index, 0o100644, created).root());
            list.push(
                Entry::file(
                    "oci-layout",
                    b"{\"imageLayoutVersion\": \"1.0.0\"}".to_vec(),
                    0o100644,
                    created,
                )
                .root(),
            );
        }
    }
    let mut w = primary_written(groups, |b| manifests.get(&b.config_digest).cloned());
    w.index_digest = index_digests[0].clone();
    for (ew, d) in w.extra_images.iter_mut().zip(index_digests.iter().skip(1)) {
        ew.index_digest = d.clone();
    }
    (list, w)
}

// ---------------------------------------------------------------------------------------
// entry points

fn lay_out(spec: &ImageSpec, layout: Layout, c: Compression) -> (Vec<Entry>, WrittenImage) {
    let gs = groups(spec, c);
    let tops: Vec<&ImageSpec> = std::iter::once(spec)
        .chain(spec.extra_images.iter())
        .collect();
    let style = |i: usize| (tops[i].index_style, tops[i].skip_other_platform_blobs);
    match layout {
        Layout::DockerLegacy => docker_legacy(&gs),
        Layout::DockerArchiveContainers => docker_archive_containers(&gs),
        Layout::DockerV25 => oci_like(&gs, c, Flavor::DockerV25, style),
        Layout::ContainerdStore => oci_like(&gs, c, Flavor::Containerd, style),
        Layout::OciDir => oci_like(&gs, c, Flavor::OciDir, style),
        Layout::OciArchive => oci_like(&gs, c, Flavor::OciArchive, style),
    }
}

/// Builds the image and returns the archive bytes and what was written. For
/// [`Layout::OciDir`] the bytes are the directory tree as a tar.
pub fn image_archive(spec: &ImageSpec, layout: Layout, c: Compression) -> (Vec<u8>, WrittenImage) {
    let (entries, w) = lay_out(spec, layout, c);
    (entries_to_tar(&entries), w)
}

/// The archive bytes (see [`image_archive`]).
pub fn write_image_to_vec(spec: &ImageSpec, layout: Layout, c: Compression) -> Vec<u8> {
    image_archive(spec, layout, c).0
}

/// Writes the image to `out`: a tar file, or a directory for [`Layout::OciDir`].
pub fn write_image(
    spec: &ImageSpec,
    layout: Layout,
    c: Compression,
    out: &Path,
) -> io::Result<WrittenImage> {
    let (entries, w) = lay_out(spec, layout, c);
    if layout == Layout::OciDir {
        entries_to_dir(&entries, out)?;
    } else {
        if let Some(parent) = out.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        std::fs::write(out, entries_to_tar(&entries))?;
    }
    Ok(w)
}

/// Adds an image's `name:tag` -> top layer id to the legacy `repositories` file (untagged
/// images, saved by id, have none).
fn record_repo(
    repos: &mut BTreeMap<String, BTreeMap<String, String>>,
    name: &str,
    top: Option<&String>,
) {
    if name.is_empty() {
        return;
    }
    if let Some(last) = top {
        let (repo, tag) = split_name(name);
        repos
            .entry(familiar_repo(&repo))
            .or_default()
            .insert(tag, last.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            split_name("layerscope/demo:latest"),
            ("layerscope/demo".into(), "latest".into())
        );
        assert_eq!(
            split_name("localhost:5000/a/b"),
            ("localhost:5000/a/b".into(), "latest".into())
        );
        assert_eq!(
            split_name("localhost:5000/a:v1"),
            ("localhost:5000/a".into(), "v1".into())
        );
        assert_eq!(full_repo("layerscope/demo"), "docker.io/layerscope/demo");
        assert_eq!(full_repo("alpine"), "docker.io/library/alpine");
        assert_eq!(full_repo("localhost/nobin"), "localhost/nobin");
        assert_eq!(familiar_repo("docker.io/library/alpine"), "alpine");
    }
}

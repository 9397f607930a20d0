//! Outer archive entries and the blobs, ids and media types every layout shares.

use super::build::Built;
use super::WrittenImage;
use crate::json::{self, *};
use crate::tar::{write_entry, Hdr};
use crate::{sha256_digest, sha256_hex, Compression};
use std::collections::BTreeMap;
use std::io::{self};
use std::path::Path;

#[derive(Clone)]
pub(super) enum EKind {
    Dir,
    File(Vec<u8>),
    Symlink(String),
}

#[derive(Clone)]
pub(super) struct Entry {
    pub(super) path: String,
    pub(super) kind: EKind,
    /// Full mode, written verbatim.
    pub(super) mode: u32,
    pub(super) mtime: u64,
    pub(super) owner_names: bool,
}

impl Entry {
    pub(super) fn file(path: impl Into<String>, data: Vec<u8>, mode: u32, mtime: u64) -> Entry {
        Entry {
            path: path.into(),
            kind: EKind::File(data),
            mode,
            mtime,
            owner_names: false,
        }
    }
    pub(super) fn dir(path: impl Into<String>, mode: u32, mtime: u64) -> Entry {
        Entry {
            path: path.into(),
            kind: EKind::Dir,
            mode,
            mtime,
            owner_names: false,
        }
    }
    pub(super) fn root(mut self) -> Entry {
        self.owner_names = true;
        self
    }
}

/// Order of a recursive directory walk (Go `filepath.Walk`): component-wise by name.
pub(super) fn walk_order(entries: &mut [Entry]) {
    entries.sort_by(|a, b| {
        let ka: Vec<&str> = a.path.trim_end_matches('/').split('/').collect();
        let kb: Vec<&str> = b.path.trim_end_matches('/').split('/').collect();
        ka.cmp(&kb)
    });
}

pub(super) fn entries_to_tar(entries: &[Entry]) -> Vec<u8> {
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

pub(super) fn entries_to_dir(entries: &[Entry], out: &Path) -> io::Result<()> {
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
pub(super) struct Blobs {
    pub(super) list: BTreeMap<String, (Vec<u8>, u64)>,
}

impl Blobs {
    pub(super) fn add(&mut self, data: &[u8], mtime: u64) -> (String, u64) {
        let hex = sha256_hex(data);
        self.list
            .entry(hex.clone())
            .or_insert_with(|| (data.to_vec(), mtime));
        (format!("sha256:{hex}"), data.len() as u64)
    }
    pub(super) fn entries(&self, mode: u32) -> Vec<Entry> {
        self.list
            .iter()
            .map(|(hex, (d, t))| Entry::file(format!("blobs/sha256/{hex}"), d.clone(), mode, *t))
            .collect()
    }
}

pub(super) fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

pub(super) fn written(b: &Built) -> WrittenImage {
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
pub(super) fn v1_ids(b: &Built) -> Vec<String> {
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
pub(super) fn docker_v1_json(b: &Built, ids: &[String], i: usize) -> Vec<u8> {
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

pub(super) fn oci_layer_type(c: Compression) -> &'static str {
    match c {
        Compression::None => "application/vnd.oci.image.layer.v1.tar",
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

pub(super) fn docker_layer_type(c: Compression) -> &'static str {
    match c {
        Compression::None => "application/vnd.docker.image.rootfs.diff.tar",
        Compression::Gzip => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        Compression::Zstd => "application/vnd.docker.image.rootfs.diff.tar.zstd",
    }
}

pub(super) fn platform_of(b: &Built) -> Platform {
    Platform {
        architecture: b.architecture.clone(),
        os: b.os.clone(),
        variant: b.variant.clone(),
    }
}

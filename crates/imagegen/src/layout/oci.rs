//! OCI-based layouts: Docker ≥ 25, containerd, OCI directory and archive.

use super::build::{Built, Group};
use super::docker::primary_written;
use super::entries::{
    docker_layer_type, docker_v1_json, hex_of, oci_layer_type, platform_of, v1_ids, Blobs, Entry,
};
use super::names::{familiar_repo, full_repo, repo_tags, split_name};
use super::WrittenImage;
use crate::json::{self, *};
use crate::{Compression, IndexStyle};
use std::collections::BTreeMap;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
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

pub(super) fn oci_like(
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

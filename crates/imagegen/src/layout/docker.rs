//! Docker save ≤ 24 and the containers/image docker-archive.

use super::build::{Built, Group};
use super::entries::{docker_v1_json, hex_of, v1_ids, walk_order, written, EKind, Entry};
use super::names::repo_tags;
use super::{record_repo, WrittenImage};
use crate::json::{self, *};
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn docker_legacy(groups: &[Group]) -> (Vec<Entry>, WrittenImage) {
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

pub(super) fn primary_written(
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

pub(super) fn docker_archive_containers(groups: &[Group]) -> (Vec<Entry>, WrittenImage) {
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

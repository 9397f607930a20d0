//! Building one image: its layers, config and the groups of images a layout writes.

use super::compress;
use crate::json::{self, *};
use crate::tar::{layer_tar_with, TarOptions};
use crate::{parse_rfc3339, sha256_digest, Compression, ImageSpec, DEFAULT_MTIME};

pub(super) struct BuiltLayer {
    pub(super) diff_id: String,
    pub(super) blob: Vec<u8>,
    pub(super) digest: String,
    pub(super) epoch: u64,
}

pub(super) struct Built {
    pub(super) name: String,
    pub(super) os: String,
    pub(super) architecture: String,
    pub(super) variant: Option<String>,
    pub(super) config: Vec<u8>,
    pub(super) config_digest: String,
    pub(super) container_config: ContainerConfig,
    pub(super) created: String,
    pub(super) epoch: u64,
    pub(super) layers: Vec<BuiltLayer>,
}

fn epoch_of(s: &str) -> u64 {
    parse_rfc3339(s).unwrap_or(DEFAULT_MTIME)
}

pub(super) fn container_config(spec: &ImageSpec) -> ContainerConfig {
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

pub(super) fn build(spec: &ImageSpec, name: &str, c: Compression) -> Built {
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
pub(super) struct Group {
    pub(super) images: Vec<Built>,
}

pub(super) fn groups(spec: &ImageSpec, c: Compression) -> Vec<Group> {
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

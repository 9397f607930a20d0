//! JSON documents, with field order as the real writers emit them (serde writes struct
//! fields in declaration order; maps are `BTreeMap`, i.e. sorted like Go's map encoding).

use serde::Serialize;
use std::collections::BTreeMap;

pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub(crate) const DOCKER_MANIFEST_LIST: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
pub(crate) const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// Docker's `container.Config` (Go struct order), as in the `config` of an image config.
#[derive(Serialize, Clone, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ContainerConfig {
    pub hostname: String,
    pub domainname: String,
    pub user: String,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub tty: bool,
    pub open_stdin: bool,
    pub stdin_once: bool,
    pub env: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub image: String,
    pub volumes: Option<()>,
    pub working_dir: String,
    pub entrypoint: Option<Vec<String>>,
    pub on_build: Option<()>,
    pub labels: Option<BTreeMap<String, String>>,
}

/// An image config as Docker stores it: top-level keys sorted (Docker marshals through a
/// map). Docker's `container`, `container_config` and `docker_version` are left out.
#[derive(Serialize)]
pub(crate) struct ImageConfig {
    pub architecture: String,
    pub config: ContainerConfig,
    pub created: String,
    pub history: Vec<History>,
    pub os: String,
    pub rootfs: RootFs,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct History {
    pub created: String,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

#[derive(Serialize)]
pub(crate) struct RootFs {
    #[serde(rename = "type")]
    pub typ: &'static str,
    pub diff_ids: Vec<String>,
}

#[derive(Serialize, Clone)]
pub(crate) struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// OCI descriptor (Go struct order: mediaType, digest, size, annotations, platform).
#[derive(Serialize, Clone)]
pub(crate) struct Descriptor {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

#[derive(Serialize)]
pub(crate) struct Manifest {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

#[derive(Serialize)]
pub(crate) struct Index {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(rename = "mediaType", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub manifests: Vec<Descriptor>,
}

/// `LayerSources` value in Docker's `manifest.json` (distribution.Descriptor order).
#[derive(Serialize)]
pub(crate) struct LayerSource {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub size: u64,
    pub digest: String,
}

/// One element of Docker's `manifest.json`.
#[derive(Serialize)]
pub(crate) struct DockerManifestItem {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags")]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    pub layers: Vec<String>,
    #[serde(rename = "LayerSources", skip_serializing_if = "Option::is_none")]
    pub layer_sources: Option<BTreeMap<String, LayerSource>>,
}

/// Legacy per-layer `<v1id>/json` as Docker (moby `image.V1Image`) writes it.
#[derive(Serialize)]
pub(crate) struct DockerV1Json {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub created: String,
    pub container_config: ContainerConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    pub os: String,
}

/// containers/image: `<v1id>/json` of a non-top layer.
#[derive(Serialize)]
pub(crate) struct CiV1Json {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// containers/image: `<v1id>/json` of the top layer: the image config minus `history`
/// and `rootfs`, plus `id`/`parent`, keys sorted.
#[derive(Serialize)]
pub(crate) struct CiV1JsonTop {
    pub architecture: String,
    pub config: ContainerConfig,
    pub container: Option<()>,
    pub container_config: Option<()>,
    pub created: String,
    pub docker_version: Option<()>,
    pub id: String,
    pub os: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

pub(crate) fn to_vec<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serialising imagegen JSON")
}

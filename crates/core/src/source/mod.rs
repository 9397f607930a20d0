//! Finding the manifest, config and layer blobs of an image in every supported format, behind one
//! entry point (`open`) that needs no hint from the user.

pub mod arrivals;
pub mod compress;
pub mod container;
pub mod daemon;
mod docker;
mod oci;
mod preview;
pub mod registry;
mod select;
mod sniff;
pub(crate) mod tar_guard;

use std::path::Path;

pub use compress::Compression;
pub use container::Container;
pub use select::Platform;

use crate::error::{Error, Result, Warning};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    DockerArchive,
    DockerArchiveV25,
    OciLayout,
    OciArchive,
    DockerDaemon,
    PodmanDaemon,
    Registry,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::DockerArchive => "docker-archive",
            Format::DockerArchiveV25 => "docker-archive-v25",
            Format::OciLayout => "oci-layout",
            Format::OciArchive => "oci-archive",
            Format::DockerDaemon => "docker-daemon",
            Format::PodmanDaemon => "podman-daemon",
            Format::Registry => "registry",
        }
    }
}

/// Where one layer's blob is and what the manifest says of it.
#[derive(Clone, Debug)]
pub struct LayerRef {
    /// Member name inside the container; `None` when the blob is absent (non-distributable).
    pub member: Option<String>,
    pub digest: Option<String>,
    pub media_type: Option<String>,
    pub compressed_size: Option<u64>,
}

/// Safety limits; each has a flag to raise it.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_json_bytes: u64,
    pub max_bytes: u64,
    pub max_ratio: u64,
    pub max_entries: u64,
    pub max_path_len: usize,
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_json_bytes: 16 << 20,
            max_bytes: 64 << 30,
            max_ratio: 1000,
            max_entries: 10_000_000,
            max_path_len: 4096,
            max_depth: 256,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    pub platform: Option<Platform>,
    pub image: Option<String>,
    pub limits: Limits,
    pub registry: registry::RegistryOptions,
    /// Handed the image as a daemon describes it before its tar streams (history, layers,
    /// config; no blobs), for a viewer to show meanwhile.
    pub preview: Option<PreviewHook>,
}

/// See [`OpenOptions::preview`].
#[derive(Clone)]
pub struct PreviewHook(pub std::sync::Arc<dyn Fn(ImageSource) + Send + Sync>);

impl std::fmt::Debug for PreviewHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PreviewHook")
    }
}

/// An image located inside its container: what the loader needs to read it.
#[derive(Clone)]
pub struct ImageSource {
    pub container: Container,
    pub format: Format,
    /// The image the layout's manifests lead to.
    pub image: Resolved,
    /// Set for images pulled from a registry.
    pub registry: Option<registry::Origin>,
}

impl ImageSource {
    /// Bytes of layer `i`'s blob as stored: the member's size when it is here, else what the
    /// manifest says, else 0.
    pub fn blob_size(&self, i: usize) -> u64 {
        let Some(l) = self.image.layers.get(i) else {
            return 0;
        };
        l.member
            .as_deref()
            .and_then(|m| self.container.size(m))
            .or(l.compressed_size)
            .unwrap_or(0)
    }
}

/// What a layout resolver found in a container: the image's name, its config and its layers.
#[derive(Clone)]
pub struct Resolved {
    pub reference: String,
    pub config_digest: String,
    pub config_raw: Vec<u8>,
    pub config_display: String,
    pub layers: Vec<LayerRef>,
    pub warnings: Vec<Warning>,
}

impl Resolved {
    fn into_source(self, container: Container, format: Format) -> ImageSource {
        ImageSource {
            container,
            format,
            image: self,
            registry: None,
        }
    }
}

/// Opens an image from a path: a tar (docker save in any layout, oci-archive, possibly gzipped
/// whole) or an OCI layout directory.
pub fn open_path(path: &Path, opts: &OpenOptions) -> Result<ImageSource> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::invalid(&shown, "no such file or directory"),
        _ => Error::io(&shown, e),
    })?;
    if meta.is_dir() {
        let c = Container::open_dir(path);
        if !c.exists("index.json") && !c.exists("manifest.json") {
            return Err(Error::invalid(
                shown,
                "not an OCI image layout (a directory with no index.json or manifest.json)",
            ));
        }
        return resolve(c, opts, false);
    }
    let (c, _outer) =
        Container::open_tar_limited(path, opts.limits.max_bytes, opts.limits.max_ratio)?;
    resolve(c, opts, true)
}

/// Opens what the user named: `registry://…`, an existing path (also as `oci:`, `oci-archive:`,
/// `docker-archive:`), else an image in the local Docker or Podman daemon (`docker://NAME`,
/// `podman://NAME`), or for a bare `NAME[:TAG]` the daemons and/or its registry per `--pull`. `progress` sees the bytes
/// received from a daemon.
pub fn open_input(
    arg: &str,
    opts: &OpenOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<ImageSource> {
    if arg.starts_with(registry::reference::SCHEME) {
        return registry::open(arg, opts, progress);
    }
    if let Some((p, image)) = registry::transport_path(arg) {
        let o = OpenOptions {
            image: image.or_else(|| opts.image.clone()),
            ..opts.clone()
        };
        return open_path(Path::new(&p), &o);
    }
    let path = Path::new(arg);
    if path.exists() || arg.is_empty() {
        return open_path(path, opts);
    }
    match daemon::parse_reference(arg) {
        Some(r) if r.kind.is_none() => registry::open_bare(&r, opts, progress),
        Some(r) => open_daemon(&r, opts, progress),
        None => open_path(path, opts).map_err(|e| registry::with_prefix_hint(arg, e)),
    }
}

/// Streams an image out of a daemon into a spool file and reads it as a `docker save` tar.
pub fn open_daemon(
    r: &daemon::DaemonRef,
    opts: &OpenOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<ImageSource> {
    let on_info = opts.preview.clone().map(|hook| {
        daemon::InfoHook(std::sync::Arc::new(move |info: &daemon::DaemonInfo| {
            if let Some(src) = preview::from_daemon(info) {
                (hook.0)(src);
            }
        }))
    });
    let fetch_opts = daemon::FetchOptions {
        on_info,
        ..Default::default()
    };
    let fetched = daemon::fetch_with(r, &fetch_opts, progress)?;
    let display = format!("{}://{}", fetched.kind.cli(), fetched.name);
    let format = match fetched.kind {
        daemon::DaemonKind::Docker => Format::DockerDaemon,
        daemon::DaemonKind::Podman => Format::PodmanDaemon,
    };
    let c = Container::from_spool(fetched.spool.into_temp_path(), display)?;
    let mut src = resolve(c, opts, true)?;
    src.format = format;
    if src.image.reference.is_empty() {
        src.image.reference = fetched.name;
    }
    Ok(src)
}

/// Works out the layout of an opened container and locates the selected image in it.
pub fn resolve(c: Container, opts: &OpenOptions, is_archive: bool) -> Result<ImageSource> {
    let has_index = c.exists("index.json");
    let has_manifest = c.exists("manifest.json");
    if has_index {
        let fmt = match (has_manifest, is_archive) {
            (true, _) => Format::DockerArchiveV25,
            (false, true) => Format::OciArchive,
            (false, false) => Format::OciLayout,
        };
        match oci::resolve(&c, opts)? {
            Some(found) => return Ok(found.into_source(c, fmt)),
            None if has_manifest => {
                // Docker 25.0.0/25.0.1 wrote `"manifests": null`; manifest.json still names the image.
                let mut found = docker::resolve(&c, opts)?;
                found.warnings.push(Warning::new(
                    "empty-index",
                    "index.json lists no manifests (Docker 25.0.0/25.0.1 bug); used manifest.json",
                ));
                return Ok(found.into_source(c, fmt));
            }
            None => {
                return Err(Error::invalid(
                    c.display_member("index.json"),
                    "index lists no image manifests",
                ))
            }
        }
    }
    if has_manifest {
        let found = docker::resolve(&c, opts)?;
        return Ok(found.into_source(c, Format::DockerArchive));
    }
    if c.exists("repositories") {
        return Err(Error::invalid(
            c.display(),
            "pre-1.10 docker save format (repositories file but no manifest.json) is not supported; \
             load and save it again with a current docker",
        ));
    }
    Err(Error::invalid(
        c.display(),
        "no manifest.json or index.json: not a docker save or OCI image archive",
    ))
}

pub(crate) fn parse_json(bytes: &[u8], shown: &str) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::invalid(shown, format!("not valid JSON: {e}")))
}

/// `sha256:abc` -> `blobs/sha256/abc`, refusing anything that could leave the blobs folder.
pub(crate) fn blob_path(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes().all(|b| {
                b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'+' || b == b'.'
            })
            && s != "."
            && s != ".."
    };
    (ok(alg) && ok(hex)).then(|| format!("blobs/{alg}/{hex}"))
}

pub(crate) fn is_nondistributable(media_type: Option<&str>) -> bool {
    media_type.is_some_and(|m| m.contains("nondistributable") || m.contains("foreign"))
}

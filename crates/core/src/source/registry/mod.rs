//! Images straight from a registry (OCI distribution API), without a daemon.
//!
//! [`open`] resolves the reference to one image manifest ([`manifest`]), downloads the config
//! and layer blobs into the content-addressed [`cache`] ([`pull`], verified while they stream),
//! then presents the cache directory as an OCI layout whose `blobs/sha256/…` members are those
//! blobs, so the loader, previews and exports read them like any layout. The HTTP side
//! ([`client`]) is blocking `ureq` over rustls: a handful of requests, a few in parallel, do
//! not justify an async runtime.

pub mod auth;
pub mod cache;
mod client;
mod manifest;
mod pull;
pub mod reference;
mod tls;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;

pub use auth::Secret;
pub use reference::Reference;

use super::arrivals::Arrivals;
use super::{Container, Format, ImageSource, LayerRef, OpenOptions, Resolved};
use crate::error::{Error, Result, Warning};

/// `--pull`: podman's and docker's flag and meaning, for a bare `NAME[:TAG]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PullPolicy {
    /// Only the local daemons.
    Never,
    /// A local daemon's copy when one has it, else the registry.
    #[default]
    Missing,
    /// Always the registry.
    Always,
}

impl FromStr for PullPolicy {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "never" => Ok(PullPolicy::Never),
            "missing" => Ok(PullPolicy::Missing),
            "always" => Ok(PullPolicy::Always),
            _ => Err(format!("--pull {s:?}: expected never, missing or always")),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RegistryOptions {
    pub pull: PullPolicy,
    /// Hosts (`HOST` or `HOST:PORT`) allowed over plain HTTP or with unverified certificates.
    pub insecure_registries: Vec<String>,
    /// Download into a private temporary directory instead of the shared cache.
    pub no_cache: bool,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub connect_timeout: Duration,
    /// Longest wait for any byte of an answer.
    pub stall_timeout: Duration,
    /// Asked while blobs download; `true` stops the pull (the TUI's Esc).
    pub cancel: Option<CancelCheck>,
    /// With it, `open` returns once the manifest and config are in: the layers download on a
    /// thread of their own reporting here, and opening a layer waits for its blob, so a viewer
    /// shows the history at once and each layer is indexed as it arrives. [`Origin`]'s counts
    /// are then the config's; the layers' are in the container's arrivals once they are in.
    pub background: Option<Progress>,
}

/// Transfer progress `(done, total)` reported from the download thread.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(u64, Option<u64>) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// A cancellation test handed down by the caller (sources sit below the layer state that
/// holds the flag).
#[derive(Clone)]
pub struct CancelCheck(pub std::sync::Arc<dyn Fn() -> bool + Send + Sync>);

impl std::fmt::Debug for CancelCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CancelCheck")
    }
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            pull: PullPolicy::Missing,
            insecure_registries: Vec::new(),
            no_cache: false,
            username: None,
            password: None,
            connect_timeout: Duration::from_secs(15),
            stall_timeout: Duration::from_secs(60),
            cancel: None,
            background: None,
        }
    }
}

/// Where a registry image came from: the image-source fields of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// As references name it: `docker.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// `https://registry-1.docker.io`, `http://127.0.0.1:5000`.
    pub endpoint: String,
    /// The image manifest analysed.
    pub manifest_digest: String,
    /// The index the reference named, when the image was chosen from one.
    pub index_digest: Option<String>,
    pub downloaded_blobs: usize,
    pub downloaded_bytes: u64,
    pub cached_blobs: usize,
}

pub use crate::error::RegistryError;

/// The containers-transport prefixes people copy from skopeo and podman that name files:
/// `oci:PATH[:REF]`, `oci-archive:PATH[:REF]`, `docker-archive:PATH[:REF]`. Returns the path and
/// the image inside it, if one was named.
pub fn transport_path(arg: &str) -> Option<(String, Option<String>)> {
    let rest = ["oci:", "oci-archive:", "docker-archive:"]
        .iter()
        .find_map(|p| arg.strip_prefix(p))?;
    if Path::new(rest).exists() {
        return Some((rest.to_string(), None));
    }
    match rest.rsplit_once(':') {
        Some((p, r)) if !r.is_empty() && !r.contains('/') && Path::new(p).exists() => {
            Some((p.to_string(), Some(r.to_string())))
        }
        _ => Some((rest.to_string(), None)),
    }
}

/// A missing path that may have been meant as an image name: say which prefix means what
/// (skopeo's `docker://` is a registry; here it is the daemon).
pub fn with_prefix_hint(arg: &str, e: Error) -> Error {
    match e {
        Error::Invalid { path, msg }
            if msg == "no such file or directory" && arg.contains("://") =>
        {
            Error::Invalid {
                path,
                msg: format!(
                    "{msg}; for an image write registry://HOST[:PORT]/REPO[:TAG] (a registry, what \
                     skopeo calls docker://), docker://NAME or podman://NAME (a local daemon)"
                ),
            }
        }
        e => e,
    }
}

/// Opens `registry://…` (or a bare reference the pull policy sends to the registry).
pub fn open(
    input: &str,
    opts: &OpenOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<ImageSource> {
    let r = Reference::parse(input)?;
    let ro = &opts.registry;
    let client = client::Client::connect(&r, ro)?;
    let cache = cache::Cache::open(ro.no_cache)?;
    let m = manifest::resolve(
        &client,
        &r,
        opts.platform.as_ref(),
        opts.limits.max_json_bytes,
    )?;
    let mut warnings = Vec::new();
    if client.is_plain_http() {
        warnings.push(Warning::new(
            "plain-http",
            format!("{} was read over plain HTTP", r.registry),
        ));
    }
    let desc = |d: &Value, what: &str| -> Result<(String, u64, Option<String>)> {
        let digest = d.get("digest").and_then(Value::as_str);
        let size = d.get("size").and_then(Value::as_u64);
        match (digest, size) {
            (Some(dg), Some(s)) if cache::Cache::member(dg).is_some() => Ok((
                dg.to_string(),
                s,
                d.get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )),
            _ => Err(RegistryError::Manifest {
                reference: r.to_string(),
                detail: format!(
                    "manifest {}: {what} has no valid sha256 digest and size",
                    m.digest
                ),
            }
            .into()),
        }
    };
    let (config_digest, config_size, _) =
        desc(m.doc.get("config").unwrap_or(&Value::Null), "config")?;
    if config_size > opts.limits.max_json_bytes {
        return Err(RegistryError::Limit {
            what: format!("config {config_digest}"),
            limit: opts.limits.max_json_bytes,
            flag: "--max-json-bytes",
        }
        .into());
    }
    let mut wants = vec![pull::Want {
        digest: config_digest.clone(),
        size: config_size,
        what: "config".into(),
    }];
    let mut layers = Vec::new();
    let list = match m.doc.get("layers") {
        Some(Value::Array(a)) => a.as_slice(),
        _ => &[],
    };
    let mut total = 0u64;
    for (i, d) in list.iter().enumerate() {
        let (digest, size, media_type) = desc(d, &format!("layer {i}"))?;
        if super::is_nondistributable(media_type.as_deref()) {
            warnings.push(Warning::new(
                "missing-foreign-layer",
                format!("layer {i} ({digest}) is non-distributable; not downloaded"),
            ));
            layers.push(LayerRef {
                member: None,
                digest: Some(digest),
                media_type,
                compressed_size: Some(size),
            });
            continue;
        }
        total = total.saturating_add(size);
        if !wants.iter().any(|w| w.digest == digest) {
            wants.push(pull::Want {
                digest: digest.clone(),
                size,
                what: format!("layer {i}"),
            });
        }
        layers.push(LayerRef {
            member: cache::Cache::member(&digest),
            digest: Some(digest),
            media_type,
            compressed_size: Some(size),
        });
    }
    if total > opts.limits.max_bytes {
        return Err(RegistryError::Limit {
            what: format!("the layers of {r} ({total} bytes compressed)"),
            limit: opts.limits.max_bytes,
            flag: "--max-bytes",
        }
        .into());
    }
    let endpoint = client.base.clone();
    let fetched = |r: std::result::Result<pull::Counts, RegistryError>| match r {
        Ok(c) => Ok(c),
        Err(RegistryError::Cancelled) => Err(Error::Cancelled),
        Err(e) => Err(Error::from(e)),
    };
    let (counts, arrivals) = match &ro.background {
        None => {
            let all = pull::fetch_all(
                &client,
                &cache,
                &wants,
                ro.cancel.as_ref(),
                progress,
                &|_, _| {},
            );
            (fetched(all)?, None)
        }
        Some(bg) => {
            let config = pull::fetch_all(
                &client,
                &cache,
                &wants[..1],
                ro.cancel.as_ref(),
                &mut |_, _| {},
                &|_, _| {},
            );
            let counts = fetched(config)?;
            (
                counts,
                Some(pull_in_background(
                    client,
                    &cache,
                    wants.split_off(1),
                    ro,
                    bg.clone(),
                )),
            )
        }
    };
    let config_path = cache.path(&config_digest).unwrap_or_default();
    let config_raw =
        std::fs::read(&config_path).map_err(|e| Error::io(config_path.display().to_string(), e))?;
    let origin = Origin {
        registry: r.registry.clone(),
        endpoint,
        manifest_digest: m.digest.clone(),
        index_digest: m.index_digest.clone(),
        downloaded_blobs: counts.downloaded,
        downloaded_bytes: counts.downloaded_bytes,
        cached_blobs: counts.cached,
    };
    let located = Resolved {
        reference: r.to_string(),
        config_digest: config_digest.clone(),
        config_raw,
        config_display: format!("{r}: config {config_digest}"),
        layers,
        warnings,
    };
    let mut container = Container::open_dir_keeping(&cache.root, cache.temp.clone());
    if let Some(a) = arrivals {
        container = container.with_arrivals(a);
    }
    let mut src = located.into_source(container, Format::Registry);
    src.registry = Some(origin);
    Ok(src)
}

/// Starts the download of `wants` on a thread of its own; the returned arrivals say when each
/// blob is in place and carry the first error to the layer that waits for it.
fn pull_in_background(
    client: client::Client,
    cache: &cache::Cache,
    wants: Vec<pull::Want>,
    ro: &RegistryOptions,
    progress: Progress,
) -> std::sync::Arc<Arrivals> {
    let total = wants.iter().map(|w| w.size).sum();
    let members = wants.iter().filter_map(|w| cache::Cache::member(&w.digest));
    let cancel = ro.cancel.clone();
    let arrivals = std::sync::Arc::new(Arrivals::new(
        members,
        total,
        cancel.as_ref().map(|c| c.0.clone()),
    ));
    let a = arrivals.clone();
    let cache = cache::Cache {
        root: cache.root.clone(),
        temp: cache.temp.clone(),
    };
    let spawned = std::thread::Builder::new()
        .name("registry-pull".into())
        .spawn(move || {
            let mut report = |done, total| {
                a.done.store(done, std::sync::atomic::Ordering::Relaxed);
                (progress.0)(done, total);
            };
            let arrived = |w: &pull::Want, downloaded: bool| {
                if let Some(m) = cache::Cache::member(&w.digest) {
                    a.arrived(&m, downloaded.then_some(w.size));
                }
            };
            // Whatever happens here, the layers waiting for a blob must hear of it.
            let pulled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pull::fetch_all(
                    &client,
                    &cache,
                    &wants,
                    cancel.as_ref(),
                    &mut report,
                    &arrived,
                )
            }));
            match pulled {
                Ok(Ok(_)) => {}
                Ok(Err(RegistryError::Cancelled)) => a.fail(Error::Cancelled),
                Ok(Err(e)) => a.fail(e.into()),
                Err(_) => a.fail(Error::invalid(
                    "registry download",
                    "the download thread stopped unexpectedly",
                )),
            }
        });
    if let Err(e) = spawned {
        arrivals.fail(Error::io("registry download thread", e));
    }
    arrivals
}

/// Image IDs (`sha256:…`, or 12 to 64 hex digits) name what a daemon holds; they are never
/// pulled as a Docker Hub repository of that name.
fn pullable(name: &str) -> bool {
    let hex = name.strip_prefix("sha256:").unwrap_or(name);
    let is_id = name.starts_with("sha256:")
        || (hex.len() >= 12 && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    !is_id && Reference::parse(name).is_ok()
}

/// A bare `NAME[:TAG]` that is not a path: the local daemons and/or the registry, as `--pull`
/// says.
pub fn open_bare(
    r: &super::daemon::DaemonRef,
    opts: &OpenOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<ImageSource> {
    use super::daemon::DaemonError as D;
    match opts.registry.pull {
        PullPolicy::Never => super::open_daemon(r, opts, progress),
        PullPolicy::Always if pullable(&r.name) => open(&r.name, opts, progress),
        PullPolicy::Always => super::open_daemon(r, opts, progress),
        PullPolicy::Missing => match super::open_daemon(r, opts, progress) {
            Ok(src) => Ok(src),
            Err(Error::Daemon(
                D::NotFound { .. } | D::Unreachable { .. } | D::PermissionDenied { .. },
            )) if pullable(&r.name) => open(&r.name, opts, progress),
            Err(e) => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_ids_are_not_pulled() {
        assert!(pullable("alpine:3.20"));
        assert!(pullable("ghcr.io/acme/api:1.4.2"));
        assert!(!pullable("3f57d9401f8d"));
        assert!(!pullable(&format!("sha256:{}", "a".repeat(64))));
        assert!(!pullable("Upper/Case"));
    }

    #[test]
    fn transport_prefixes_name_paths() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("layout");
        std::fs::create_dir(&p).unwrap();
        let shown = p.display().to_string();
        assert_eq!(
            transport_path(&format!("oci:{shown}")),
            Some((shown.clone(), None))
        );
        assert_eq!(
            transport_path(&format!("oci:{shown}:v1")),
            Some((shown.clone(), Some("v1".into())))
        );
        assert_eq!(
            transport_path("docker-archive:x.tar"),
            Some(("x.tar".into(), None))
        );
        assert_eq!(transport_path("registry://x/y"), None);
    }
}

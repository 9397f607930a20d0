//! Images from a local Docker or Podman daemon, fetched over the Engine API.
//!
//! [`fetch`] finds the daemon's socket ([`endpoint`]), asks `GET /_ping` for the API version,
//! `GET /images/{name}/json` whether the image exists (and its size for the progress bar), then
//! streams `GET /images/{name}/get` — the same tar `docker save` writes — into a spool file in the
//! temp directory. The loader opens [`FetchedImage::spool`] exactly like a `docker save` tar; the
//! file is deleted when the [`FetchedImage`] is dropped.
//!
//! The HTTP client is the small blocking one in [`http`]: three `GET`s over a unix socket do not
//! justify an async runtime.

mod api;
pub mod endpoint;
mod http;

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

pub use endpoint::{Candidate, Endpoint, Env};
pub use http::ChunkedReader;

use api::{api_error, connect, is_api_version, request, send, stream_error, trailing_stream_error};
use http::Stream;

/// Which daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DaemonKind {
    Docker,
    Podman,
}

impl DaemonKind {
    /// `docker` / `podman`: the CLI name, used in hints.
    pub fn cli(self) -> &'static str {
        match self {
            DaemonKind::Docker => "docker",
            DaemonKind::Podman => "podman",
        }
    }
}

impl fmt::Display for DaemonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DaemonKind::Docker => "Docker",
            DaemonKind::Podman => "Podman",
        })
    }
}

/// An image in a daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonRef {
    /// `None`: try Docker, then Podman when Docker is unreachable or lacks the image.
    pub kind: Option<DaemonKind>,
    /// As the daemon understands it: `nginx`, `nginx:1.27`, `ghcr.io/o/r@sha256:…`, an image ID.
    pub name: String,
}

/// A fetched image: the `docker save` tar in a temporary file.
#[derive(Debug)]
pub struct FetchedImage {
    /// The daemon that answered (Podman when its socket announces `Libpod-Api-Version`, even when
    /// reached as Docker, e.g. through podman-docker's `/var/run/docker.sock`).
    pub kind: DaemonKind,
    /// The name as asked for.
    pub name: String,
    /// The endpoint, e.g. `unix:///var/run/docker.sock`.
    pub socket: String,
    /// The `docker save` tar, positioned at its start; deleted on drop.
    pub spool: tempfile::NamedTempFile,
    /// Bytes in `spool`.
    pub size: u64,
    /// The image ID from `GET /images/{name}/json` (`sha256:…`), when the daemon gave one.
    pub image_id: Option<String>,
}

pub use crate::error::DaemonError;

impl DaemonError {
    /// Errors after which, for a reference without an explicit daemon, Podman is tried.
    fn allows_fallback(&self) -> bool {
        matches!(
            self,
            DaemonError::Unreachable { .. }
                | DaemonError::PermissionDenied { .. }
                | DaemonError::NotFound { .. }
        )
    }
}

/// What the daemon says of the image before its tar streams: `GET /images/{name}/json` and,
/// when it answers, `GET /images/{name}/history` (newest step first).
#[derive(Debug)]
pub struct DaemonInfo {
    pub kind: DaemonKind,
    pub name: String,
    pub socket: String,
    pub inspect: serde_json::Value,
    pub history: Option<serde_json::Value>,
}

/// Called with the [`DaemonInfo`] before the tar is streamed (a viewer shows it meanwhile).
#[derive(Clone)]
pub struct InfoHook(pub std::sync::Arc<dyn Fn(&DaemonInfo) + Send + Sync>);

impl fmt::Debug for InfoHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InfoHook")
    }
}

/// Options of [`fetch_with`].
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The environment used for endpoint discovery.
    pub env: Env,
    /// Longest wait for any byte (connect, each read, each write).
    pub timeout: Duration,
    /// Directory of the spool file; `None`: the system temp dir (`TMPDIR`).
    pub spool_dir: Option<std::path::PathBuf>,
    /// Also asks for the history and hands both answers here before streaming the tar.
    pub on_info: Option<InfoHook>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            env: Env::from_process(),
            timeout: Duration::from_secs(30),
            spool_dir: None,
            on_info: None,
        }
    }
}

/// Reads an image reference from the command line, or `None` when `arg` is not one.
///
/// The split (checked in this order):
/// - `docker://NAME`, `podman://NAME` (and skopeo's `docker-daemon:NAME`): always the daemon,
///   even if a file of that name exists; `None` only when NAME is empty.
/// - an existing path (file, directory, even a dangling symlink): `None`, it is a file.
/// - anything that looks like a path or another transport: `None` — it starts with `/`, `.` or
///   `~`, contains `\` or `://`, starts with `oci:`, `oci-archive:`, `docker-archive:`, `dir:`,
///   or ends in `.tar`, `.tgz`, `.gz`, `.zst`, `.tar.*`, `.json`.
/// - a valid Docker reference `[REGISTRY[:PORT]/]REPO[:TAG][@DIGEST]` (lower-case repository,
///   as `docker pull` wants), a full or short image ID, or `sha256:ID`: the daemon, with
///   `kind: None` (Docker first, then Podman).
/// - anything else (upper case repository, spaces, …): `None`, so the caller reports a missing
///   file rather than a strange daemon error.
pub fn parse_reference(arg: &str) -> Option<DaemonRef> {
    for (prefix, kind) in [
        ("docker://", DaemonKind::Docker),
        ("podman://", DaemonKind::Podman),
        ("docker-daemon:", DaemonKind::Docker),
    ] {
        if let Some(rest) = arg.strip_prefix(prefix) {
            let name = rest.trim();
            return (!name.is_empty()).then(|| DaemonRef {
                kind: Some(kind),
                name: name.to_string(),
            });
        }
    }
    if arg.is_empty() || Path::new(arg).symlink_metadata().is_ok() || looks_like_path(arg) {
        return None;
    }
    is_reference(arg).then(|| DaemonRef {
        kind: None,
        name: arg.to_string(),
    })
}

fn looks_like_path(arg: &str) -> bool {
    const TRANSPORTS: &[&str] = &["oci:", "oci-archive:", "docker-archive:", "dir:"];
    const SUFFIXES: &[&str] = &[".tar", ".tgz", ".gz", ".zst", ".zstd", ".json", ".tar.xz"];
    let lower = arg.to_ascii_lowercase();
    arg.starts_with(['/', '.', '~'])
        || arg.contains('\\')
        || arg.contains("://")
        || TRANSPORTS.iter().any(|t| lower.starts_with(t))
        || SUFFIXES.iter().any(|s| lower.ends_with(s))
        || lower.contains(".tar.")
}

/// The distribution reference grammar (`distribution/reference/regexp.go`).
fn is_reference(s: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        let comp = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
        let dom = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
        let domain = format!(r"(?:{dom}(?:\.{dom})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?");
        let tag = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
        let digest = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
        regex::Regex::new(&format!(
            r"^(?:{domain}/)?{comp}(?:/{comp})*(?::{tag})?(?:@{digest})?$"
        ))
        .expect("reference regex")
    });
    // Repository names are at most 255 characters; tag and digest add at most ~200 more.
    s.len() <= 512 && re.is_match(s)
}

/// Percent-encodes an image name for the URL path, keeping `/`, `:` and `@` (as the docker CLI
/// sends them; the daemon's route is `/images/{name:.*}/get`).
pub fn encode_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b':'
            | b'@'
            | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Fetches an image from the daemon with the process environment and a 30 s stall timeout.
/// `progress(bytes_so_far, expected)`: `expected` is exact when the daemon sent a
/// `Content-Length`, otherwise the image's `Size` from `/images/{name}/json` (an estimate: the
/// tar may be a little larger, or smaller with compressed layers — clamp the bar).
pub fn fetch(
    r: &DaemonRef,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<FetchedImage, DaemonError> {
    fetch_with(r, &FetchOptions::default(), progress)
}

/// [`fetch`] with an explicit environment, timeout and spool directory.
pub fn fetch_with(
    r: &DaemonRef,
    opts: &FetchOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<FetchedImage, DaemonError> {
    match r.kind {
        Some(kind) => fetch_from(kind, &r.name, false, opts, progress),
        None => {
            let docker = match fetch_from(DaemonKind::Docker, &r.name, true, opts, progress) {
                Ok(img) => return Ok(img),
                Err(e) if e.allows_fallback() => e,
                Err(e) => return Err(e),
            };
            match fetch_from(DaemonKind::Podman, &r.name, true, opts, progress) {
                Ok(img) => Ok(img),
                Err(podman) => Err(combine(docker, podman)),
            }
        }
    }
}

/// The error to show when neither Docker nor Podman delivered.
fn combine(docker: DaemonError, podman: DaemonError) -> DaemonError {
    use DaemonError::*;
    match (docker, podman) {
        (
            NotFound {
                name,
                mut searched,
                pull,
                bare,
            },
            NotFound { searched: more, .. },
        ) => {
            searched.extend(more);
            NotFound {
                name,
                searched,
                pull,
                bare,
            }
        }
        (
            Unreachable {
                name,
                mut tried,
                bare,
                ..
            },
            Unreachable { tried: more, .. },
        ) => {
            tried.extend(more);
            Unreachable {
                what: "a Docker or Podman daemon".into(),
                name,
                tried,
                bare,
            }
        }
        // Docker has no such image / is not ours to use, and Podman is not there: Docker's answer.
        (d @ (NotFound { .. } | PermissionDenied { .. }), Unreachable { .. }) => d,
        (_, p) => p,
    }
}

/// What `/_ping` told.
struct Daemon {
    endpoint: Endpoint,
    /// `/v1.41` or empty.
    prefix: String,
    kind: DaemonKind,
}

fn fetch_from(
    kind: DaemonKind,
    name: &str,
    bare: bool,
    opts: &FetchOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<FetchedImage, DaemonError> {
    let candidates = match kind {
        DaemonKind::Docker => endpoint::docker_endpoints(&opts.env)?,
        DaemonKind::Podman => endpoint::podman_endpoints(&opts.env)?,
    };
    let daemon = find_daemon(kind, name, bare, &candidates, opts.timeout)?;
    let socket = daemon.endpoint.to_string();
    let enc = encode_name(name);
    let not_found = || DaemonError::NotFound {
        name: name.to_string(),
        searched: vec![format!("{} ({socket})", daemon.kind)],
        pull: format!("{} pull {name}", daemon.kind.cli()),
        bare,
    };

    // Does it exist, and how big is it?
    let req = format!("{}/images/{enc}/json", daemon.prefix);
    let mut resp = request(&daemon.endpoint, &req, opts.timeout)?;
    if resp.status == 404 {
        return Err(not_found());
    }
    if resp.status != 200 {
        return Err(api_error(&socket, &req, &mut resp));
    }
    let info = resp.read_body_limited(16 * 1024 * 1024).map_err(|e| {
        stream_error(
            &socket,
            e,
            0,
            None,
            opts.timeout,
            "while reading image info",
        )
    })?;
    let info: serde_json::Value =
        serde_json::from_slice(&info).map_err(|e| DaemonError::Protocol {
            socket: socket.clone(),
            detail: format!("invalid JSON from GET {req}: {e}"),
        })?;
    let size_hint = info.get("Size").and_then(serde_json::Value::as_u64);
    let image_id = info.get("Id").and_then(|v| v.as_str()).map(str::to_string);
    if let Some(hook) = &opts.on_info {
        // Only for the early view: a daemon without the endpoint still gets its tar streamed.
        let req = format!("{}/images/{enc}/history", daemon.prefix);
        let history = request(&daemon.endpoint, &req, opts.timeout)
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|mut r| r.read_body_limited(16 * 1024 * 1024).ok())
            .and_then(|b| serde_json::from_slice(&b).ok());
        (hook.0)(&DaemonInfo {
            kind: daemon.kind,
            name: name.to_string(),
            socket: socket.clone(),
            inspect: info,
            history,
        });
    }

    // The tar.
    let req = format!("{}/images/{enc}/get", daemon.prefix);
    let mut resp = request(&daemon.endpoint, &req, opts.timeout)?;
    if resp.status == 404 {
        return Err(not_found());
    }
    if resp.status != 200 {
        return Err(api_error(&socket, &req, &mut resp));
    }
    let exact = resp.content_length();
    let expected = exact.or(size_hint);

    let spool_dir = opts.spool_dir.clone().unwrap_or_else(std::env::temp_dir);
    let spool_err = |source: io::Error| DaemonError::Spool {
        dir: spool_dir.display().to_string(),
        source,
    };
    let mut spool = tempfile::Builder::new()
        .prefix("layerscope-")
        .suffix(".docker-save.tar")
        .tempfile_in(&spool_dir)
        .map_err(spool_err)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut got: u64 = 0;
    progress(0, expected);
    loop {
        match resp.body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                spool.write_all(&buf[..n]).map_err(spool_err)?;
                got += n as u64;
                progress(got, expected);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(stream_error(
                    &socket,
                    e,
                    got,
                    exact,
                    opts.timeout,
                    "of the image",
                ))
            }
        }
    }
    spool.flush().map_err(spool_err)?;
    if got == 0 {
        return Err(DaemonError::Protocol {
            socket,
            detail: format!("GET {req} answered 200 with an empty body"),
        });
    }
    // A daemon that fails after it has started sending appends a JSON error to the stream.
    if let Some(message) = trailing_stream_error(spool.as_file_mut(), got).map_err(spool_err)? {
        return Err(DaemonError::Api {
            socket,
            status: 200,
            request: format!("GET {req}"),
            message: format!("failed while exporting: {message}"),
        });
    }
    spool.seek(SeekFrom::Start(0)).map_err(spool_err)?;
    Ok(FetchedImage {
        kind: daemon.kind,
        name: name.to_string(),
        socket,
        spool,
        size: got,
        image_id,
    })
}

/// Tries the candidates in order; the first that accepts a connection is the daemon.
fn find_daemon(
    kind: DaemonKind,
    name: &str,
    bare: bool,
    candidates: &[Candidate],
    timeout: Duration,
) -> Result<Daemon, DaemonError> {
    let mut tried = Vec::new();
    let mut denied: Option<String> = None;
    for c in candidates {
        let stream = match connect(&c.endpoint, timeout) {
            Ok(s) => s,
            Err(e) => {
                let why = match e.kind() {
                    io::ErrorKind::NotFound => "no such socket".to_string(),
                    io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
                    io::ErrorKind::PermissionDenied => {
                        denied.get_or_insert_with(|| c.endpoint.to_string());
                        "permission denied".to_string()
                    }
                    _ => e.to_string(),
                };
                let from = if c.origin == "default" {
                    String::new()
                } else {
                    format!(" from {}", c.origin)
                };
                tried.push(format!("{}{from}: {why}", c.endpoint));
                continue;
            }
        };
        return ping(c.endpoint.clone(), stream, kind, timeout);
    }
    if let Some(socket) = denied {
        return Err(DaemonError::PermissionDenied {
            socket,
            name: name.to_string(),
            group: kind.cli().to_string(),
            cli: kind.cli().to_string(),
        });
    }
    Err(DaemonError::Unreachable {
        what: format!("the {kind} daemon"),
        name: name.to_string(),
        tried,
        bare,
    })
}

fn ping(
    endpoint: Endpoint,
    stream: Stream,
    kind: DaemonKind,
    timeout: Duration,
) -> Result<Daemon, DaemonError> {
    let socket = endpoint.to_string();
    let mut resp = send(&socket, stream, &endpoint, "/_ping", timeout)?;
    if resp.status != 200 {
        let body = resp.read_body_limited(200).unwrap_or_default();
        return Err(DaemonError::NotADaemon {
            socket,
            detail: format!(
                "answered HTTP {} {} to GET /_ping ({})",
                resp.status,
                resp.reason,
                http::preview(&body)
            ),
        });
    }
    let version = resp
        .header("Api-Version")
        .filter(|v| is_api_version(v))
        .map(str::to_string);
    let kind = if resp.header("Libpod-Api-Version").is_some() {
        DaemonKind::Podman
    } else {
        kind
    };
    Ok(Daemon {
        endpoint,
        prefix: version.map(|v| format!("/v{v}")).unwrap_or_default(),
        kind,
    })
}

#[cfg(test)]
mod tests;

//! Library errors. Every variant renders as one line that names the file and what is wrong,
//! because the binary prints exactly that line and exits 2.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// The input exists but is not what it should be (bad JSON, truncated tar, corrupt stream...).
    #[error("{path}: {msg}")]
    Invalid { path: String, msg: String },
    /// A blob the manifest references is absent from the archive or layout.
    #[error("{path}: missing blob {digest}")]
    MissingBlob { path: String, digest: String },
    /// Several images or platforms match and the user must choose.
    #[error("{0}")]
    Ambiguous(String),
    /// A safety limit was hit; `flag` is the option that raises it.
    #[error("{path}: {what} exceeds the limit of {limit} (raise it with {flag})")]
    Limit {
        path: String,
        what: String,
        limit: u64,
        flag: &'static str,
    },
    #[error("{path}: layer {layer} diff_id mismatch: config says {expected}, content hashes to {actual}")]
    DigestMismatch {
        path: String,
        layer: usize,
        expected: String,
        actual: String,
    },
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(path: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    pub fn invalid(path: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Invalid {
            path: path.into(),
            msg: msg.into(),
        }
    }
}

/// A problem that does not stop the analysis but must be reported (forensic signals included).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

impl Warning {
    /// The message may quote names from the image: control characters are escaped here, once,
    /// so that no consumer (terminal, TUI, text report) can be driven by them.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Warning {
            code,
            message: crate::paths::escape(message.as_bytes()),
        }
    }
}

/// Why an image could not be fetched. Each renders as one line that says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    #[error("{}cannot reach {what} (tried {}); start it, or export the image where it is with `docker save -o image.tar {name}` and open image.tar", if *.bare { format!("`{name}` is not a file or directory, and ") } else { String::new() }, .tried.join(", "))]
    Unreachable {
        /// "the Docker daemon", "Docker or Podman", …
        what: String,
        name: String,
        /// Each endpoint with why it failed.
        tried: Vec<String>,
        /// The reference came without `docker://`/`podman://` (so it was not a path either).
        bare: bool,
    },

    #[error("permission denied on {socket}: add your user to the `{group}` group (`sudo usermod -aG {group} $USER`, then log in again), or export the image with `sudo {cli} save -o image.tar {name}` and open image.tar")]
    PermissionDenied {
        socket: String,
        name: String,
        group: String,
        cli: String,
    },

    #[error("{}image `{name}` not found in {}; pull it first with `{pull}`", if *.bare { "no file or directory of that name, and " } else { "" }, .searched.join(" nor in "))]
    NotFound {
        name: String,
        /// Where it was looked up, e.g. `Docker (unix:///var/run/docker.sock)`.
        searched: Vec<String>,
        /// The suggested pull command.
        pull: String,
        /// The reference came without `docker://`/`podman://` (so it was not a path either).
        bare: bool,
    },

    #[error("the daemon at {socket} refused the API version: {message}")]
    ApiVersion { socket: String, message: String },

    #[error("the image stream from {socket} was cut off after {received} bytes{}: {detail}", .expected.map(|e| format!(" of {e}")).unwrap_or_default())]
    Truncated {
        socket: String,
        received: u64,
        expected: Option<u64>,
        detail: String,
    },

    #[error("no data from {socket} for {secs} s ({during}); giving up")]
    Timeout {
        socket: String,
        secs: u64,
        /// What was going on, e.g. "after 1234 bytes of the image".
        during: String,
    },

    #[error("{socket} does not look like a Docker or Podman API socket: it {detail}")]
    NotADaemon { socket: String, detail: String },

    #[error("broken answer from {socket}: {detail}")]
    Protocol { socket: String, detail: String },

    #[error("the daemon at {socket} answered HTTP {status} to {request}: {message}")]
    Api {
        socket: String,
        status: u16,
        request: String,
        message: String,
    },

    #[error("{origin} asks for TLS ({endpoint}), which layerscope does not support yet; refusing to connect in plain text (use a unix socket, e.g. forwarded with ssh -L, or `docker save -o image.tar NAME` and open image.tar)")]
    TlsUnsupported { endpoint: String, origin: String },

    #[error("unsupported daemon address {endpoint} (from {origin}): {reason}")]
    UnsupportedEndpoint {
        endpoint: String,
        origin: String,
        reason: String,
    },

    #[error("docker configuration {path}: {detail}")]
    Config { path: String, detail: String },

    #[error("cannot write the image to a temporary file in {dir}: {source} (set TMPDIR to a directory with more room)")]
    Spool {
        dir: String,
        #[source]
        source: std::io::Error,
    },

    #[error("I/O error talking to {socket}: {source}")]
    Io {
        socket: String,
        #[source]
        source: std::io::Error,
    },
}

/// Why an image could not be pulled. Each renders as one line that says what to do, and none
/// quotes a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("{input}: not a registry reference ({why}); expected registry://HOST[:PORT]/REPO[:TAG|@sha256:HEX]")]
    InvalidReference { input: String, why: String },

    #[error("{registry}: {code} (HTTP {status}) for {repository}; credentials tried: {tried}. Log in with `docker login {registry}` (or `podman login`), or pass --username NAME --password-stdin")]
    Unauthorized {
        registry: String,
        repository: String,
        status: u16,
        code: String,
        tried: String,
    },

    #[error("{reference}: {what} not found ({code}); check the name and tag (`skopeo list-tags docker://{repository}` lists the tags)")]
    NotFound {
        reference: String,
        /// `HOST/REPO`, without tag or digest.
        repository: String,
        what: String,
        code: String,
    },

    #[error("TLS verification of {registry} failed ({detail}); trusted CAs: {tried}. Put the registry's CA certificate in /etc/docker/certs.d/{registry}/ca.crt or ~/.config/containers/certs.d/{registry}/ca.crt, or point SSL_CERT_FILE at it")]
    Tls {
        registry: String,
        detail: String,
        tried: String,
    },

    #[error("{registry} does not answer TLS ({detail}); if it serves plain HTTP, allow that with --insecure-registry {registry}")]
    PlainHttp { registry: String, detail: String },

    #[error("{registry}: rate limited (HTTP 429){}; try again later, or log in (`docker login {registry}`) for a higher limit", .wait.map(|w| format!(", the registry asks to wait {w} s")).unwrap_or_default())]
    RateLimited { registry: String, wait: Option<u64> },

    #[error("cannot reach registry {registry}: {detail}; check the host and port, and HTTPS_PROXY/NO_PROXY")]
    Unreachable { registry: String, detail: String },

    #[error("registry {registry} stopped answering: {detail}")]
    Timeout { registry: String, detail: String },

    #[error("{reference}: schema 1 manifest (deprecated by Docker in 2019, unverifiable layers); push the image again with a current docker, podman or `skopeo copy`")]
    Schema1 { reference: String },

    #[error("{registry}: {what} {expected} does not match its digest (the bytes hash to {actual}); nothing of it was used. The registry's copy or a proxy is corrupt: push the image again")]
    DigestMismatch {
        registry: String,
        what: String,
        expected: String,
        actual: String,
    },

    #[error(
        "{what}: the manifest declares {expected} bytes, but {detail}; nothing of it was used"
    )]
    SizeMismatch {
        what: String,
        expected: u64,
        detail: String,
    },

    #[error(
        "{registry}: download of {what} cut off after {received} of {expected} bytes: {detail}"
    )]
    Truncated {
        registry: String,
        what: String,
        received: u64,
        expected: u64,
        detail: String,
    },

    #[error("{reference}: no image for platform {wanted}; the index holds: {available}")]
    Platform {
        reference: String,
        wanted: String,
        available: String,
    },

    #[error("{reference}: {detail}")]
    Manifest { reference: String, detail: String },

    #[error("{what} exceeds the limit of {limit} bytes (raise it with {flag})")]
    Limit {
        what: String,
        limit: u64,
        flag: &'static str,
    },

    #[error("registry {registry} answered HTTP {status} to {request}{}", if .message.is_empty() { String::new() } else { format!(": {}", .message) })]
    Http {
        registry: String,
        status: u16,
        request: String,
        message: String,
    },

    #[error("broken answer from registry {registry}: {detail}")]
    Protocol { registry: String, detail: String },

    #[error("blob cache {path}: {detail}")]
    Cache { path: String, detail: String },

    #[error("cancelled")]
    Cancelled,
}

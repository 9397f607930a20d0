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
    Daemon(#[from] crate::source::daemon::DaemonError),
    #[error(transparent)]
    Registry(#[from] crate::source::registry::RegistryError),
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

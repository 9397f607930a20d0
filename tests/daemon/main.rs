//! Daemon sources: a real dockerd started as a child process, and fake daemon sockets. Separate because it sets environment variables.

#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod daemon;
mod daemon_errors;
mod early_view;

use std::time::Duration;

use layerscope_core::source::daemon::{DaemonKind, DaemonRef, Env, FetchOptions};

/// Fetch options over an environment of just `pairs`, with this stall timeout.
fn fetch_opts(pairs: &[(&str, &str)], timeout: Duration) -> FetchOptions {
    FetchOptions {
        env: Env::from_pairs(pairs.iter().copied()),
        timeout,
        spool_dir: None,
        on_info: None,
    }
}

/// `docker://NAME`.
fn docker(name: &str) -> DaemonRef {
    DaemonRef {
        kind: Some(DaemonKind::Docker),
        name: name.into(),
    }
}

//! Daemon sources: a real dockerd started as a child process, and fake daemon sockets. Separate because it sets environment variables.

#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod daemon;
mod daemon_errors;
mod early_view;

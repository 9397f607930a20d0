//! The one helper module of the integration tests, shared by every test binary: fixtures and the
//! binary (`common`), images built layer by layer and a synchronous app driver for the TUI
//! (`tui`), tmux (`tmux`), hostile images (`hostile`), a real dockerd (`dockerd`) and fake daemon
//! sockets (`fake_daemon`). Each binary uses part of it, hence `allow(dead_code)` where it is
//! declared.

pub mod common;
pub mod dockerd;
pub mod fake_daemon;
pub mod hostile;
pub mod packages;
pub mod tmux;
pub mod tui;

#![warn(unreachable_pub)]
//! The layerscope application: the terminal UI over `layerscope_core` (the binary's CLI is in
//! `main.rs` and `cli.rs`).

pub mod tui;

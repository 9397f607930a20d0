//! The TUI: panes rendered into TestBackend, state transitions, masking on every surface, and the real binary in tmux.

#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod e2e_tmux;
mod e2e_triage;
mod masking;
mod packages_view;
mod progressive;
mod tui_bench;
mod tui_export;
mod tui_render;
mod tui_state;
mod tui_triage;
mod usability;

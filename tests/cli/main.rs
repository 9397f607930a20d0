//! The binary end to end: JSON, SARIF, CI text, export, triage flags, closed pipes, one-line errors.

#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod cli_outputs;
mod compare;
mod export_cli;
mod numbering_cli;
mod registry;
mod report_outputs;
mod triage_cli;

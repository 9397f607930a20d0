//! Library-level tests: every fixture in every format, the tree merge against a model, the image writer, secret rules, leak vectors, external reports.

#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod external_reports;
mod formats;
mod imagegen;
mod imagegen_demo;
mod imagegen_real;
mod imagegen_tools;
mod leak_vectors;
mod packages;
mod secrets_props;
mod secrets_rules;
mod tree_model;

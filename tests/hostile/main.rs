//! Hostile input: malformed and adversarial images, each with exit 0 or a one-line exit 2 within a time bound.

#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod hostile;
mod hostile_regressions;
mod malformed;

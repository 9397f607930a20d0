//! Paths as the JSON outputs write them. Paths in layers are bytes: UTF-8 is written as is (serde
//! escapes control characters); anything else is written `\\xNN`-escaped in `path`, flagged
//! `path_non_utf8`, and kept losslessly as base64 in `path_bytes` (ripgrep's convention).

use base64::Engine;

use crate::analysis::Analysis;
use crate::paths::PathId;

/// A path for JSON.
pub struct JsonPath {
    pub text: String,
    pub non_utf8: bool,
    /// Base64 of the path's bytes, when they are not UTF-8.
    pub bytes: Option<String>,
}

/// The parts of an optional path (a config finding has none).
pub fn optional(p: Option<JsonPath>) -> (Option<String>, bool, Option<String>) {
    match p {
        Some(p) => (Some(p.text), p.non_utf8, p.bytes),
        None => (None, false, None),
    }
}

pub fn json_path(a: &Analysis, p: PathId) -> JsonPath {
    let raw = a.tree.paths.path(p);
    match String::from_utf8(raw) {
        Ok(text) => JsonPath {
            text,
            non_utf8: false,
            bytes: None,
        },
        Err(e) => JsonPath {
            text: crate::paths::escape(e.as_bytes()),
            non_utf8: true,
            bytes: Some(base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
        },
    }
}

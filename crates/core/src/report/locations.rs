//! One secret in several places (a build arg echoed in four `RUN` steps, a key copied into two
//! layers) is several findings with one fingerprint. Each report lists, on every one of them,
//! all the places of that fingerprint, so a reader sees at once where else to rotate or remove it.

use std::collections::HashMap;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::findings::{Finding, FindingSource, Status};

/// For each finding, the indices of every finding with its fingerprint (itself included), in
/// the findings' order.
pub fn same_secret(findings: &[Finding]) -> Vec<std::sync::Arc<[usize]>> {
    let mut by_fp: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        by_fp.entry(f.fingerprint.as_str()).or_default().push(i);
    }
    let shared: HashMap<&str, std::sync::Arc<[usize]>> =
        by_fp.into_iter().map(|(k, v)| (k, v.into())).collect();
    findings
        .iter()
        .map(|f| shared[f.fingerprint.as_str()].clone())
        .collect()
}

/// One place of a secret, as `--json` writes it in `findings[].locations`.
#[derive(Serialize)]
pub struct LocationOut<'a> {
    /// Index of the finding at this place in `findings`.
    pub finding: usize,
    pub source: FindingSource,
    pub path: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub path_non_utf8: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
    pub key: Option<&'a str>,
    pub layer: Option<usize>,
    pub history: Option<usize>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_in_layer: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_in_layer: Option<usize>,
    pub line: u32,
    pub column: u32,
}

pub fn location_out<'a>(a: &Analysis, findings: &'a [Finding], i: usize) -> LocationOut<'a> {
    let f = &findings[i];
    let (path, path_non_utf8, path_bytes) =
        super::path::optional(f.path.map(|p| super::path::json_path(a, p)));
    LocationOut {
        finding: i,
        source: f.source,
        path,
        path_non_utf8,
        path_bytes,
        key: f.key.as_deref(),
        layer: f.layer,
        history: f.history,
        status: f.status,
        removed_in_layer: f.removed_in_layer,
        replaced_in_layer: f.replaced_in_layer,
        line: f.line,
        column: f.column,
    }
}

/// A group's places, built once and shared by every finding of the group (a secret in k places
/// is k findings; k copies of k locations would be k² in memory before any is written).
#[derive(Clone)]
pub struct Shared<'a>(std::sync::Arc<Vec<LocationOut<'a>>>);

impl Serialize for Shared<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// The `locations` of every finding.
pub fn all<'a>(a: &Analysis, findings: &'a [Finding]) -> Vec<Shared<'a>> {
    let groups = same_secret(findings);
    let mut built: HashMap<usize, Shared<'a>> = HashMap::new();
    groups
        .iter()
        .map(|g| {
            built
                .entry(g[0])
                .or_insert_with(|| {
                    Shared(std::sync::Arc::new(
                        g.iter().map(|&i| location_out(a, findings, i)).collect(),
                    ))
                })
                .clone()
        })
        .collect()
}

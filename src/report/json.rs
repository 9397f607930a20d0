//! The `--json` analysis (schema_version 1).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::paths::PathId;
use crate::tree::Change;

#[derive(Serialize)]
pub struct Report<'a> {
    pub schema_version: u32,
    pub image: ImageOut<'a>,
    pub history: Vec<HistoryOut<'a>>,
    pub layers: Vec<LayerOut<'a>>,
    pub efficiency: EfficiencyOut,
    pub findings: Vec<FindingOut<'a>>,
    pub warnings: &'a [crate::error::Warning],
    /// Packages of the final filesystem, largest first.
    pub packages: Vec<crate::report::packages::PackageOut<'a>>,
}

#[derive(Serialize)]
pub struct ImageOut<'a> {
    pub reference: &'a str,
    pub format: &'static str,
    pub config_digest: &'a str,
    pub os: &'a str,
    pub architecture: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<&'a str>,
    pub created: Option<&'a str>,
    pub total_size: u64,
    pub layer_count: usize,
    pub env: Vec<String>,
    pub labels: BTreeMap<&'a str, String>,
    pub cmd: Option<&'a [String]>,
    pub entrypoint: Option<&'a [String]>,
    pub working_dir: Option<&'a str>,
    pub user: Option<&'a str>,
}

#[derive(Serialize)]
pub struct HistoryOut<'a> {
    pub index: usize,
    pub created: Option<&'a str>,
    pub created_by: Option<String>,
    pub comment: Option<&'a str>,
    pub empty_layer: bool,
    pub layer: Option<usize>,
}

#[derive(Serialize)]
pub struct LayerOut<'a> {
    pub index: usize,
    pub diff_id: &'a str,
    pub computed_diff_id: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub media_type: Option<&'a str>,
    pub compression: Option<&'static str>,
    pub compressed_size: u64,
    pub size: u64,
    pub content_size: u64,
    pub history: Option<usize>,
    pub created_by: Option<String>,
    pub files: usize,
    pub added: usize,
    pub modified: usize,
    pub removed: usize,
    pub changes: Vec<ChangeOut>,
    pub packages: crate::report::packages::LayerPackagesOut<'a>,
}

#[derive(Serialize)]
pub struct ChangeOut {
    pub path: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub path_non_utf8: bool,
    pub change: &'static str,
    pub kind: &'static str,
    pub size: u64,
}

#[derive(Serialize)]
pub struct EfficiencyOut {
    pub score: f64,
    pub wasted_bytes: u64,
    pub user_wasted_bytes: u64,
    pub total_file_bytes: u64,
    pub wasted: Vec<WasteOut>,
}

#[derive(Serialize)]
pub struct WasteOut {
    pub path: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub path_non_utf8: bool,
    pub versions: usize,
    pub bytes: u64,
}

/// A path for JSON: UTF-8 as is (serde escapes control characters), otherwise escaped and flagged.
pub fn json_path(a: &Analysis, p: PathId) -> (String, bool) {
    let raw = a.tree.paths.path(p);
    match String::from_utf8(raw) {
        Ok(s) => (s, false),
        Err(e) => (crate::paths::escape(e.as_bytes()), true),
    }
}

#[derive(Serialize)]
pub struct FindingOut<'a> {
    pub rule: &'a str,
    pub title: &'a str,
    pub severity: crate::secrets::Severity,
    pub confidence: crate::secrets::Confidence,
    pub source: crate::findings::FindingSource,
    pub path: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub path_non_utf8: bool,
    pub key: Option<&'a str>,
    pub layer: Option<usize>,
    pub history: Option<usize>,
    pub created_by: Option<String>,
    pub line: u32,
    pub column: u32,
    pub status: crate::findings::Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_in_layer: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_in_layer: Option<usize>,
    #[serde(rename = "match")]
    pub masked: &'a str,
    pub fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<&'a str>,
    pub explanation: crate::explain::Explanation,
    pub package: Option<&'a crate::packages::PackageRef>,
    pub vendor: bool,
}

pub fn build(a: &Analysis, show_secrets: bool) -> Report<'_> {
    let mask = |t: &str| a.display_text(t, show_secrets).to_string();
    let cfg = &a.config;
    let image = ImageOut {
        reference: &a.source.reference,
        format: a.format().name(),
        config_digest: &a.source.config_digest,
        os: &cfg.os,
        architecture: &cfg.architecture,
        variant: cfg.variant.as_deref(),
        created: cfg.created.as_deref(),
        total_size: a.total_size(),
        layer_count: a.layers.len(),
        env: cfg.env.iter().map(|e| mask(e)).collect(),
        labels: cfg
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), mask(v)))
            .collect(),
        cmd: cfg.cmd.as_deref(),
        entrypoint: cfg.entrypoint.as_deref(),
        working_dir: cfg.working_dir.as_deref(),
        user: cfg.user.as_deref(),
    };
    let history = a
        .history
        .iter()
        .enumerate()
        .map(|(i, h)| HistoryOut {
            index: i,
            created: h.created.as_deref(),
            created_by: h.created_by.as_deref().map(mask),
            comment: h.comment.as_deref(),
            empty_layer: h.empty_layer,
            layer: h.layer,
        })
        .collect();
    let layers = a
        .layers
        .iter()
        .map(|l| {
            let changes = a
                .tree
                .layer_versions(l.index)
                .filter(|v| v.change != Change::Unchanged)
                .map(|v| {
                    let (path, non_utf8) = json_path(a, v.path);
                    let size = match a.entry(v) {
                        Some(e) => e.size,
                        None if v.change == Change::Removed => a
                            .tree
                            .previous(v.path, v.layer as usize)
                            .and_then(|p| a.entry(p))
                            .map_or(0, |e| e.size),
                        None => 0,
                    };
                    ChangeOut {
                        path,
                        path_non_utf8: non_utf8,
                        change: v.change.name(),
                        kind: a.kind_of(v).name(),
                        size,
                    }
                })
                .collect::<Vec<ChangeOut>>();
            let mut changes = changes;
            changes.sort_by(|x, y| x.path.cmp(&y.path));
            LayerOut {
                index: l.index,
                diff_id: &l.diff_id,
                computed_diff_id: l.computed_diff_id.as_deref(),
                digest: l.digest.as_deref(),
                media_type: l.media_type.as_deref(),
                compression: l.compression.map(|c| c.name()),
                compressed_size: l.compressed_size,
                size: l.size,
                content_size: l.content_size,
                history: l.history,
                created_by: l
                    .history
                    .and_then(|h| a.history[h].created_by.as_deref())
                    .map(mask),
                files: l.entries.len(),
                added: l.added,
                modified: l.modified,
                removed: l.removed,
                changes,
                packages: crate::report::packages::layer(a, l.index),
            }
        })
        .collect();
    let e = &a.efficiency;
    let efficiency = EfficiencyOut {
        score: (e.score * 10000.0).round() / 10000.0,
        wasted_bytes: e.wasted_bytes,
        user_wasted_bytes: e.user_wasted_bytes,
        total_file_bytes: e.total_file_bytes,
        wasted: e
            .wasted
            .iter()
            .map(|w| {
                let (path, non_utf8) = json_path(a, w.path);
                WasteOut {
                    path,
                    path_non_utf8: non_utf8,
                    versions: w.versions,
                    bytes: w.bytes,
                }
            })
            .collect(),
    };
    let findings = a
        .findings
        .iter()
        .map(|f| {
            let (path, non_utf8) = match f.path {
                Some(p) => {
                    let (s, n) = json_path(a, p);
                    (Some(s), n)
                }
                None => (None, false),
            };
            FindingOut {
                rule: &f.rule,
                title: &f.title,
                severity: f.severity,
                confidence: f.confidence,
                source: f.source,
                path,
                path_non_utf8: non_utf8,
                key: f.key.as_deref(),
                layer: f.layer,
                history: f.history,
                created_by: f
                    .history
                    .and_then(|h| a.history[h].created_by.as_deref())
                    .map(mask),
                line: f.line,
                column: f.column,
                status: f.status,
                removed_in_layer: f.removed_in_layer,
                replaced_in_layer: f.replaced_in_layer,
                masked: &f.masked,
                fingerprint: &f.fingerprint,
                secret: show_secrets.then_some(f.secret.as_str()),
                explanation: crate::explain::explain(a, f),
                package: f.package.as_ref(),
                vendor: f.vendor,
            }
        })
        .collect();
    Report {
        schema_version: 1,
        image,
        history,
        layers,
        efficiency,
        findings,
        warnings: &a.warnings,
        packages: crate::report::packages::image(a),
    }
}

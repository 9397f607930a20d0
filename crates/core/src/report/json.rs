//! The `--json` analysis (schema_version 1).

use std::collections::BTreeMap;

use serde::Serialize;

use super::path::json_path;

use crate::analysis::Analysis;
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
    /// Registry images: the registry, as references name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<&'a str>,
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
    /// The path's bytes in base64 when they are not UTF-8 (`path` is then escaped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
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
    /// The path's bytes in base64 when they are not UTF-8 (`path` is then escaped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
    pub versions: usize,
    pub bytes: u64,
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
    /// The path's bytes in base64 when they are not UTF-8 (`path` is then escaped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
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
    /// Every place of this finding's fingerprint (this one included).
    pub locations: crate::report::locations::Shared<'a>,
    pub package: Option<&'a crate::packages::PackageRef>,
    pub vendor: bool,
}

/// The `image` object of the report (also `old` / `new` of the compare report).
pub fn image_out(a: &Analysis, show_secrets: bool) -> ImageOut<'_> {
    let mask = |t: &str| a.display_text(t, show_secrets).to_string();
    let cfg = &a.config;
    ImageOut {
        reference: &a.source.image.reference,
        format: a.format().name(),
        registry: a.source.registry.as_ref().map(|o| o.registry.as_str()),
        manifest_digest: a
            .source
            .registry
            .as_ref()
            .map(|o| o.manifest_digest.as_str()),
        index_digest: a
            .source
            .registry
            .as_ref()
            .and_then(|o| o.index_digest.as_deref()),
        config_digest: &a.source.image.config_digest,
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
    }
}

/// One finding object of the report (also the compare report's).
/// Finding `i` of `a` as the JSON writes it; `locations` is `locations::all` of `a`'s findings.
pub fn finding_out<'a>(
    a: &'a Analysis,
    i: usize,
    show_secrets: bool,
    locations: &[crate::report::locations::Shared<'a>],
) -> FindingOut<'a> {
    let f = &a.findings[i];
    let mask = |t: &str| a.display_text(t, show_secrets).to_string();
    let (path, path_non_utf8, path_bytes) = super::path::optional(f.path.map(|p| json_path(a, p)));
    FindingOut {
        rule: &f.rule,
        title: &f.title,
        severity: f.severity,
        confidence: f.confidence,
        source: f.source,
        path,
        path_non_utf8,
        path_bytes,
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
        locations: locations[i].clone(),
        package: f.package.as_ref(),
        vendor: f.vendor,
    }
}

pub fn build(a: &Analysis, show_secrets: bool) -> Report<'_> {
    let mask = |t: &str| a.display_text(t, show_secrets).to_string();
    let image = image_out(a, show_secrets);
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
                    let p = json_path(a, v.path);
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
                        path: p.text,
                        path_non_utf8: p.non_utf8,
                        path_bytes: p.bytes,
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
                let p = json_path(a, w.path);
                WasteOut {
                    path: p.text,
                    path_non_utf8: p.non_utf8,
                    path_bytes: p.bytes,
                    versions: w.versions,
                    bytes: w.bytes,
                }
            })
            .collect(),
    };
    let locations = crate::report::locations::all(a, &a.findings);
    let findings = a
        .findings
        .iter()
        .enumerate()
        .map(|(i, _)| finding_out(a, i, show_secrets, &locations))
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

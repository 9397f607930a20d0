//! Findings from other scanners (`--findings-from REPORT`): Trivy JSON, SARIF (any tool, ours
//! included) and Kingfisher JSON. Each is placed in the image: which layer holds the path, whether
//! the final filesystem still shows it, and whether layerscope's own scan agrees.

use std::fmt;

use serde_json::Value;

use crate::analysis::Analysis;
use crate::findings::{Finding, FindingSource};
use crate::paths::PathId;
use crate::secrets::Severity;
use crate::tree::Change;

#[derive(Clone, Debug)]
pub struct ExternalFinding {
    pub tool: String,
    pub rule: String,
    pub title: String,
    pub severity: Option<Severity>,
    /// Path as the report gives it (leading `/` and archive prefixes removed).
    pub path: Option<String>,
    pub line: Option<u32>,
    pub layer_diff_id: Option<String>,
    pub layer_digest: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agreement {
    /// layerscope reports a finding for the same file version.
    Confirmed,
    /// The file is in the image, but layerscope found nothing in it.
    NoOwnFinding,
    /// The scanner names a file the final filesystem no longer shows.
    Deleted,
    /// The path is not in the image at all.
    NotInImage,
    /// Not a file finding (config, package metadata): nothing to place.
    Unplaced,
}

#[derive(Clone, Debug)]
pub struct Reconciled {
    pub ext: ExternalFinding,
    pub path: Option<PathId>,
    pub layer: Option<usize>,
    pub agreement: Agreement,
    pub note: String,
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Agreement::Confirmed => "agrees",
            Agreement::NoOwnFinding => "no own finding",
            Agreement::Deleted => "deleted",
            Agreement::NotInImage => "not in image",
            Agreement::Unplaced => "unplaced",
        })
    }
}

fn severity(s: Option<&str>) -> Option<Severity> {
    match s?.to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" | "error" => Some(Severity::High),
        "medium" | "warning" | "moderate" => Some(Severity::Medium),
        "low" | "note" | "info" | "none" => Some(Severity::Low),
        _ => None,
    }
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn clean_path(p: &str) -> String {
    // Kingfisher names files in archives `archive.tar | path`.
    let p = p.rsplit(" | ").next().unwrap_or(p);
    let p = p.strip_prefix("file://").unwrap_or(p);
    let p = percent_decode(p);
    p.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

fn percent_decode(p: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a report, telling its format by its shape. Returns the format name and the findings.
pub fn parse_report(text: &str) -> Result<(&'static str, Vec<ExternalFinding>), String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("runs").is_some() && v.get("version").is_some() {
        return Ok(("sarif", parse_sarif(&v)));
    }
    if v.get("Results").is_some() || v.get("SchemaVersion").is_some() {
        return Ok(("trivy", parse_trivy(&v)));
    }
    let list = v.get("findings").or_else(|| v.as_array().map(|_| &v));
    if let Some(Value::Array(items)) = list {
        if items
            .iter()
            .all(|i| i.get("finding").is_some() && i.get("rule").is_some())
        {
            return Ok(("kingfisher", parse_kingfisher(items)));
        }
    }
    Err("not a Trivy JSON, SARIF or Kingfisher JSON report".into())
}

fn parse_trivy(v: &Value) -> Vec<ExternalFinding> {
    let mut out = Vec::new();
    for r in v
        .get("Results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let target = s(r, "Target");
        for sec in r
            .get("Secrets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(ExternalFinding {
                tool: "trivy".into(),
                rule: s(sec, "RuleID").unwrap_or_default(),
                title: s(sec, "Title").unwrap_or_default(),
                severity: severity(sec.get("Severity").and_then(Value::as_str)),
                path: target.as_deref().map(clean_path),
                line: sec
                    .get("StartLine")
                    .and_then(Value::as_u64)
                    .map(|l| l as u32),
                layer_diff_id: sec
                    .pointer("/Layer/DiffID")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                layer_digest: sec
                    .pointer("/Layer/Digest")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
        for vuln in r
            .get("Vulnerabilities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = s(vuln, "PkgPath").or_else(|| {
                (r.get("Class").and_then(Value::as_str) == Some("lang-pkgs"))
                    .then(|| target.clone())
                    .flatten()
            });
            out.push(ExternalFinding {
                tool: "trivy".into(),
                rule: s(vuln, "VulnerabilityID").unwrap_or_default(),
                title: format!(
                    "{} {} {}",
                    s(vuln, "PkgName").unwrap_or_default(),
                    s(vuln, "InstalledVersion").unwrap_or_default(),
                    s(vuln, "Title").unwrap_or_default()
                )
                .trim()
                .to_string(),
                severity: severity(vuln.get("Severity").and_then(Value::as_str)),
                path: path.as_deref().map(clean_path),
                line: None,
                layer_diff_id: vuln
                    .pointer("/Layer/DiffID")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                layer_digest: vuln
                    .pointer("/Layer/Digest")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
    }
    out
}

fn parse_sarif(v: &Value) -> Vec<ExternalFinding> {
    let mut out = Vec::new();
    for run in v
        .get("runs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let tool = run
            .pointer("/tool/driver/name")
            .and_then(Value::as_str)
            .unwrap_or("sarif")
            .to_string();
        let rules = run.pointer("/tool/driver/rules").and_then(Value::as_array);
        for r in run
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let rule = s(r, "ruleId").unwrap_or_default();
            let rule_def =
                rules.and_then(|rs| rs.iter().find(|d| s(d, "id").as_deref() == Some(&rule)));
            let loc = r.pointer("/locations/0");
            let props = loc.and_then(|l| l.get("properties"));
            out.push(ExternalFinding {
                tool: tool.clone(),
                title: rule_def
                    .and_then(|d| d.pointer("/shortDescription/text"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        r.pointer("/message/text")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .unwrap_or_default(),
                rule,
                severity: severity(r.get("level").and_then(Value::as_str)),
                path: loc
                    .and_then(|l| l.pointer("/physicalLocation/artifactLocation/uri"))
                    .and_then(Value::as_str)
                    .map(clean_path),
                line: loc
                    .and_then(|l| l.pointer("/physicalLocation/region/startLine"))
                    .and_then(Value::as_u64)
                    .map(|l| l as u32),
                layer_diff_id: props.and_then(|p| s(p, "layer_diff_id")),
                layer_digest: props.and_then(|p| s(p, "layer_digest")),
            });
        }
    }
    out
}

fn parse_kingfisher(items: &[Value]) -> Vec<ExternalFinding> {
    items
        .iter()
        .map(|i| {
            let f = &i["finding"];
            ExternalFinding {
                tool: "kingfisher".into(),
                rule: i
                    .pointer("/rule/id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                title: i
                    .pointer("/rule/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                severity: match f.get("confidence").and_then(Value::as_str) {
                    Some("high") => Some(Severity::High),
                    Some("medium") => Some(Severity::Medium),
                    Some("low") => Some(Severity::Low),
                    _ => None,
                },
                path: s(f, "path").map(|p| clean_path(&p)),
                line: f.get("line").and_then(Value::as_u64).map(|l| l as u32),
                layer_diff_id: None,
                layer_digest: None,
            }
        })
        .collect()
}

/// Finds the image path a report means: exact, or the longest suffix that exists (reports made
/// from an extracted copy carry the extraction folder in front).
fn locate(a: &Analysis, p: &str) -> Option<PathId> {
    if let Some(id) = a.tree.paths.lookup(p.as_bytes()) {
        return Some(id);
    }
    let mut rest = p;
    while let Some((_, tail)) = rest.split_once('/') {
        if let Some(id) = a.tree.paths.lookup(tail.as_bytes()) {
            if !a.tree.versions(id).is_empty() {
                return Some(id);
            }
        }
        rest = tail;
    }
    None
}

pub fn reconcile(a: &Analysis, own: &[Finding], ext: Vec<ExternalFinding>) -> Vec<Reconciled> {
    let last = a.layers.len().saturating_sub(1);
    ext.into_iter()
        .map(|e| {
            let stated_layer = a.layers.iter().position(|l| {
                e.layer_diff_id.as_deref() == Some(l.diff_id.as_str())
                    || (e.layer_digest.is_some() && e.layer_digest == l.digest)
            });
            let Some(path) = e.path.as_deref().and_then(|p| locate(a, p)) else {
                let (agreement, note) = match &e.path {
                    Some(p) => (Agreement::NotInImage, format!("the scanner names /{p}, which no layer of this image holds")),
                    None => (Agreement::Unplaced, "the report names no file".to_string()),
                };
                return Reconciled { ext: e, path: None, layer: stated_layer, agreement, note };
            };
            let versions = a.tree.versions(path);
            // The layer that holds the bytes: the stated one, else the last version with content.
            let layer = stated_layer.or_else(|| {
                versions.iter().rev().find(|v| v.present() && v.entry != crate::tree::NO_ENTRY).map(|v| v.layer as usize)
            });
            let shown = a.path_string(path);
            let visible = a.tree.exists_at(path, last);
            let ours = own.iter().any(|f| f.source == FindingSource::File && f.path == Some(path) && (layer.is_none() || f.layer == layer));
            let (agreement, note) = if !visible {
                let gone = versions.iter().rev().find(|v| v.change == Change::Removed).map(|v| v.layer as usize);
                let by = gone
                    .and_then(|l| a.layers[l].history)
                    .and_then(|h| a.history[h].created_by.clone())
                    .map(|c| format!(" by `{}`", crate::paths::escape(c.trim().as_bytes())))
                    .unwrap_or_default();
                (
                    Agreement::Deleted,
                    format!(
                        "the scanner says /{shown} is in the image, but the final filesystem no longer shows it: deleted in layer {}{by}; its bytes stay in layer {}",
                        gone.map_or("?".to_string(), |l| l.to_string()),
                        layer.map_or("?".to_string(), |l| l.to_string())
                    ),
                )
            } else if ours {
                (Agreement::Confirmed, format!("layerscope agrees: /{shown} holds a finding"))
            } else {
                (Agreement::NoOwnFinding, format!("/{shown} is in the image; layerscope's rules found nothing there"))
            };
            let agreement = if agreement == Agreement::Deleted && ours { Agreement::Deleted } else { agreement };
            Reconciled { ext: e, path: Some(path), layer, agreement, note }
        })
        .collect()
}

//! Reading other scanners' reports: Trivy JSON, SARIF and Kingfisher JSON (or JSON Lines)
//! into [`ExternalFinding`]s.

use super::ExternalFinding;
use crate::secrets::Severity;
use serde_json::Value;

pub(super) fn severity(s: Option<&str>) -> Option<Severity> {
    match s?.to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" | "error" => Some(Severity::High),
        "medium" | "warning" | "moderate" => Some(Severity::Medium),
        "low" | "note" | "info" | "none" => Some(Severity::Low),
        _ => None,
    }
}

pub(super) fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn str_at(v: &Value, ptr: &str) -> Option<String> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn line_of(v: Option<&Value>) -> Option<u32> {
    v.and_then(Value::as_u64)
        .and_then(|l| u32::try_from(l).ok())
        .filter(|&l| l > 0)
}

pub(crate) fn clean_path(p: &str) -> String {
    // Kingfisher names files in archives `archive.tar | path`.
    let p = p.rsplit(" | ").next().unwrap_or(p).trim();
    let p = p.strip_prefix("file://").unwrap_or(p);
    let p = percent_decode(p);
    let mut p = p.as_str();
    loop {
        let before = p.len();
        p = p.trim_start_matches('/');
        p = p.strip_prefix("./").unwrap_or(p);
        if p.len() == before {
            break;
        }
    }
    p.trim_end_matches('/').to_string()
}

/// A 64-hex component in a path (`…/blobs/sha256/<hex>/…`, `…/sha256:<hex>/…`,
/// `…/<hex>/layer.tar | …`): the layer an extraction folder or archive member names.
pub(super) fn layer_hint(raw: &str) -> Option<String> {
    raw.split(['/', ' ', '|', ':', '_', '.', '\\'])
        .find(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|h| h.to_ascii_lowercase())
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

fn is_kingfisher_item(i: &Value) -> bool {
    i.get("finding").is_some_and(Value::is_object) && i.get("rule").is_some_and(Value::is_object)
}

/// Reads a report, telling its format by its shape. Returns the format name and the findings.
pub fn parse_report(text: &str) -> Result<(&'static str, Vec<ExternalFinding>), String> {
    let text = text.trim_start_matches('\u{feff}');
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            // Kingfisher's JSON Lines output: one finding object per line.
            let items: Option<Vec<Value>> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    serde_json::from_str::<Value>(l)
                        .ok()
                        .filter(is_kingfisher_item)
                })
                .collect();
            return match items {
                Some(items) if !items.is_empty() => Ok(("kingfisher", parse_kingfisher(&items))),
                _ => Err(format!("not JSON ({e})")),
            };
        }
    };
    if v.get("runs").is_some_and(Value::is_array) && v.get("version").is_some() {
        return Ok(("sarif", parse_sarif(&v)));
    }
    if v.get("SchemaVersion").is_some()
        || v.get("Results")
            .is_some_and(|r| r.is_array() || r.is_null())
    {
        return Ok(("trivy", parse_trivy(&v)));
    }
    let list = v.get("findings").or_else(|| v.as_array().map(|_| &v));
    if let Some(Value::Array(items)) = list {
        // An empty list only counts when nothing else says what the document is (layerscope's
        // own --json also has a `findings` list, of another shape).
        let ok = if items.is_empty() {
            v.is_array()
                || v.as_object()
                    .is_some_and(|o| !o.contains_key("schema_version"))
        } else {
            items.iter().all(is_kingfisher_item)
        };
        if ok {
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
            let mut e = ExternalFinding::new("trivy");
            e.rule = s(sec, "RuleID").unwrap_or_default();
            e.title = s(sec, "Title").unwrap_or_default();
            e.severity = severity(sec.get("Severity").and_then(Value::as_str));
            e.path = target.as_deref().map(clean_path).filter(|p| !p.is_empty());
            e.line = line_of(sec.get("StartLine"));
            e.layer_diff_id = str_at(sec, "/Layer/DiffID");
            e.layer_digest = str_at(sec, "/Layer/Digest");
            e.snippet = s(sec, "Match");
            out.push(e);
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
            let mut e = ExternalFinding::new("trivy");
            e.rule = s(vuln, "VulnerabilityID").unwrap_or_default();
            e.title = format!(
                "{} {} {}",
                s(vuln, "PkgName").unwrap_or_default(),
                s(vuln, "InstalledVersion").unwrap_or_default(),
                s(vuln, "Title").unwrap_or_default()
            )
            .trim()
            .to_string();
            e.severity = severity(vuln.get("Severity").and_then(Value::as_str));
            e.package = s(vuln, "PkgName").zip(s(vuln, "InstalledVersion"));
            e.path = path.as_deref().map(clean_path).filter(|p| !p.is_empty());
            e.layer_diff_id = str_at(vuln, "/Layer/DiffID");
            e.layer_digest = str_at(vuln, "/Layer/Digest");
            if e.path.is_none() {
                e.location = target.clone();
            }
            out.push(e);
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
            .filter(|t| !t.is_empty())
            .unwrap_or("sarif")
            .to_ascii_lowercase();
        let rules = run.pointer("/tool/driver/rules").and_then(Value::as_array);
        for r in run
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let rule = s(r, "ruleId")
                .or_else(|| str_at(r, "/rule/id"))
                .unwrap_or_default();
            let rule_def = r
                .get("ruleIndex")
                .and_then(Value::as_u64)
                .and_then(|i| rules?.get(i as usize))
                .filter(|d| s(d, "id").as_deref() == Some(&rule))
                .or_else(|| rules?.iter().find(|d| s(d, "id").as_deref() == Some(&rule)));
            let loc = r.pointer("/locations/0");
            let props = loc.and_then(|l| l.get("properties"));
            let mut e = ExternalFinding::new(&tool);
            e.title = rule_def
                .and_then(|d| str_at(d, "/shortDescription/text").or_else(|| str_at(d, "/name")))
                .or_else(|| str_at(r, "/message/text"))
                .unwrap_or_default();
            e.rule = rule;
            e.severity = severity(
                r.get("level")
                    .or_else(|| rule_def.and_then(|d| d.pointer("/defaultConfiguration/level")))
                    .and_then(Value::as_str),
            );
            let uri = loc.and_then(|l| str_at(l, "/physicalLocation/artifactLocation/uri"));
            e.path = uri.as_deref().map(clean_path).filter(|p| !p.is_empty());
            e.layer_hint = uri.as_deref().and_then(layer_hint);
            e.line = line_of(loc.and_then(|l| l.pointer("/physicalLocation/region/startLine")));
            e.snippet = loc.and_then(|l| str_at(l, "/physicalLocation/region/snippet/text"));
            e.layer_diff_id = props.and_then(|p| s(p, "layer_diff_id"));
            e.layer_digest = props.and_then(|p| s(p, "layer_digest"));
            e.location = loc.and_then(|l| str_at(l, "/logicalLocations/0/name"));
            out.push(e);
        }
    }
    out
}

fn parse_kingfisher(items: &[Value]) -> Vec<ExternalFinding> {
    items
        .iter()
        .map(|i| {
            let f = &i["finding"];
            let mut e = ExternalFinding::new("kingfisher");
            e.rule = str_at(i, "/rule/id").unwrap_or_default();
            e.title = str_at(i, "/rule/name").unwrap_or_default();
            e.severity = match f
                .get("confidence")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("high") => Some(Severity::High),
                Some("medium") => Some(Severity::Medium),
                Some("low") => Some(Severity::Low),
                _ => None,
            };
            let raw = s(f, "path");
            e.path = raw.as_deref().map(clean_path).filter(|p| !p.is_empty());
            e.layer_hint = raw.as_deref().and_then(layer_hint);
            e.line = line_of(f.get("line"));
            e.snippet = s(f, "snippet");
            e.validation = str_at(f, "/validation/status");
            e
        })
        .collect()
}

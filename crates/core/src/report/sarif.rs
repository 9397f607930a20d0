//! `--sarif FILE`: SARIF 2.1.0, one result per finding, with the layer and the build step in the
//! location's properties so code-scanning dashboards can show where a secret lives in the image.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::analysis::Analysis;
use crate::findings::{Finding, FindingSource};
use crate::secrets::Severity;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// Percent-encodes a layer path into a relative URI reference.
fn uri(path: &[u8]) -> String {
    let mut s = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Related locations listed per result. A secret in k places is k results, each naming the
/// others: without a bound a common value (a sample password in 5,000 files) would make the
/// document grow as k², and code-scanning services cap a result's locations anyway (GitHub at
/// 1,000). `--json` lists every place.
const MAX_RELATED: usize = 100;

pub fn build(
    a: &Analysis,
    findings: &[Finding],
    show_secrets: bool,
    masked: &HashMap<String, String>,
) -> Value {
    let mask = |t: &str| masked.get(t).cloned().unwrap_or_else(|| t.to_string());
    let mut rules: BTreeMap<&str, (usize, &Finding)> = BTreeMap::new();
    for f in findings {
        let n = rules.len();
        rules.entry(&f.rule).or_insert((n, f));
    }
    let ordered: Vec<(&str, &Finding)> = {
        let mut v: Vec<_> = rules.iter().map(|(k, (i, f))| (*i, *k, *f)).collect();
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|(_, k, f)| (k, f)).collect()
    };
    let index_of: HashMap<&str, usize> = ordered
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (*k, i))
        .collect();
    let rules_json: Vec<Value> = ordered
        .iter()
        .map(|(id, f)| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": f.title.to_string()},
                "defaultConfiguration": {"level": level(f.severity)},
                "properties": {
                    "security-severity": security_severity(f.severity),
                    "tags": ["security", "secret"],
                }
            })
        })
        .collect();
    let groups = crate::report::locations::same_secret(findings);
    let results: Vec<Value> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let where_ = where_said(a, f);
            let loc = location(a, f, show_secrets, &mask);
            // The other places of the same secret (same fingerprint), each with its own layer,
            // step and status.
            let others = groups[i].len() - 1;
            let related: Vec<Value> = groups[i]
                .iter()
                .filter(|&&j| j != i)
                .take(MAX_RELATED)
                .map(|&j| {
                    let g = &findings[j];
                    let mut r = location(a, g, show_secrets, &mask);
                    r["id"] = json!(j);
                    r["message"] = json!({
                        "text": format!("same secret in {}{}", where_said(a, g), status_note(g))
                    });
                    r
                })
                .collect();
            let also = match others {
                0 => String::new(),
                1 => "; the same secret is in 1 more place".to_string(),
                n if n > MAX_RELATED => format!(
                    "; the same secret is in {n} more places (the first {MAX_RELATED} are related locations)"
                ),
                n => format!("; the same secret is in {n} more places"),
            };
            let mut result = json!({
                "ruleId": f.rule.to_string(),
                "ruleIndex": index_of[&*f.rule],
                // Vendor material is listed for the record, never as a problem to fix.
                "level": if f.vendor { "note" } else { level(f.severity) },
                "message": {"text": format!("{}: {} in {}{}{also}", f.title, f.masked, where_, status_note(f))},
                "locations": [loc],
                "partialFingerprints": {"layerscope/secret/v1": f.fingerprint},
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            if let Some(p) = &f.package {
                result["properties"] = json!({"package": p, "vendor": f.vendor});
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "layerscope",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/layerscope",
                "rules": rules_json,
            }},
            "automationDetails": {"id": format!("layerscope/{}", a.source.image.config_digest)},
            "properties": {
                "image": a.source.image.reference,
                "config_digest": a.source.image.config_digest,
                "format": a.format().name(),
            },
            "results": results,
        }]
    })
}

/// How a message names the place: the path, or the config or history item.
fn where_of(a: &Analysis, f: &Finding) -> String {
    match (f.source, f.path) {
        (FindingSource::File, Some(p)) => format!("/{}", a.path_string(p)),
        (FindingSource::History, _) => format!("history step {}", f.history.unwrap_or(0)),
        (FindingSource::Env, _) => format!("ENV {}", f.key.as_deref().unwrap_or("")),
        (FindingSource::Label, _) => format!("LABEL {}", f.key.as_deref().unwrap_or("")),
        _ => format!("config {}", f.key.as_deref().unwrap_or("")),
    }
}

/// The place as a message says it: a history step also names its layer, in the numbers the
/// TUI's History pane shows (STEP, L). Logical location names keep `where_of`.
fn where_said(a: &Analysis, f: &Finding) -> String {
    match (f.source, f.layer) {
        (FindingSource::History, Some(l)) => format!("{} (layer {l})", where_of(a, f)),
        _ => where_of(a, f),
    }
}

fn status_note(f: &Finding) -> String {
    match f.status {
        crate::findings::Status::Deleted => format!(
            " (deleted in layer {}, still readable from layer {})",
            f.removed_in_layer.unwrap_or(0),
            f.layer.unwrap_or(0)
        ),
        crate::findings::Status::Overwritten => format!(
            " (overwritten in layer {}, still readable from layer {})",
            f.replaced_in_layer.unwrap_or(0),
            f.layer.unwrap_or(0)
        ),
        _ => String::new(),
    }
}

/// A SARIF location for one finding: the file and region, or a logical location, with the
/// layer, step and status in its properties.
fn location(a: &Analysis, f: &Finding, show_secrets: bool, mask: &dyn Fn(&str) -> String) -> Value {
    let created_by = f
        .history
        .and_then(|h| a.history[h].created_by.as_deref())
        .map(mask);
    let mut props = json!({
        "source": f.source,
        "status": f.status,
        "layer": f.layer,
        "history": f.history,
        "created_by": created_by,
        "layer_digest": f.layer.and_then(|l| a.layers[l].digest.clone()),
        "layer_diff_id": f.layer.map(|l| a.layers[l].diff_id.clone()),
        "removed_in_layer": f.removed_in_layer,
        "replaced_in_layer": f.replaced_in_layer,
        "confidence": f.confidence,
        "match": f.masked,
    });
    if show_secrets {
        props["secret"] = Value::String(f.secret.clone());
    }
    let mut loc = json!({ "properties": props });
    match (f.source, f.path) {
        (FindingSource::File, Some(p)) => {
            loc["physicalLocation"] = json!({
                "artifactLocation": {"uri": uri(&a.tree.paths.path(p))},
                "region": {"startLine": f.line.max(1), "startColumn": f.column.max(1)},
            });
        }
        _ => {
            loc["logicalLocations"] = json!([{ "name": where_of(a, f), "kind": "resource" }]);
        }
    }
    loc
}

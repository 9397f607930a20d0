//! The image config and the mapping of history entries (build steps) to layers.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result, Warning};

#[derive(Clone, Debug, Default)]
pub struct ImageConfig {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub created: Option<String>,
    pub author: Option<String>,
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub exposed_ports: Vec<String>,
    pub diff_ids: Vec<String>,
    pub history: Vec<HistoryEntry>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryEntry {
    pub created: Option<String>,
    pub created_by: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
    pub empty_layer: bool,
    /// The layer this step made, if any.
    pub layer: Option<usize>,
}

/// Lenient views of the JSON: configs in the wild have nulls where lists belong and extra keys.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawConfig {
    architecture: Option<String>,
    os: Option<String>,
    variant: Option<String>,
    created: Option<String>,
    author: Option<String>,
    config: Option<RawRunConfig>,
    rootfs: Option<RawRootfs>,
    history: Option<Vec<Option<RawHistory>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRunConfig {
    #[serde(rename = "Env")]
    env: Option<Vec<Option<String>>>,
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, Option<String>>>,
    #[serde(rename = "Cmd")]
    cmd: Option<Value>,
    #[serde(rename = "Entrypoint")]
    entrypoint: Option<Value>,
    #[serde(rename = "WorkingDir")]
    working_dir: Option<String>,
    #[serde(rename = "User")]
    user: Option<String>,
    #[serde(rename = "ExposedPorts")]
    exposed_ports: Option<BTreeMap<String, Value>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRootfs {
    diff_ids: Option<Vec<Option<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawHistory {
    created: Option<String>,
    created_by: Option<String>,
    comment: Option<String>,
    author: Option<String>,
    empty_layer: Option<bool>,
}

fn string_list(v: Option<Value>) -> Option<Vec<String>> {
    match v? {
        Value::Array(a) => Some(
            a.into_iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
        ),
        Value::String(s) => Some(vec![s]),
        _ => None,
    }
}

impl ImageConfig {
    pub fn parse(raw: &[u8], shown: &str) -> Result<ImageConfig> {
        let v: Value = serde_json::from_slice(raw)
            .map_err(|e| Error::invalid(shown, format!("config is not valid JSON: {e}")))?;
        if !v.is_object() {
            return Err(Error::invalid(shown, "config is not a JSON object"));
        }
        let rc: RawConfig = serde_json::from_value(v)
            .map_err(|e| Error::invalid(shown, format!("config has an unexpected shape: {e}")))?;
        let run = rc.config.unwrap_or_default();
        Ok(ImageConfig {
            os: rc.os.unwrap_or_default(),
            architecture: rc.architecture.unwrap_or_default(),
            variant: rc.variant,
            created: rc.created,
            author: rc.author,
            env: run.env.unwrap_or_default().into_iter().flatten().collect(),
            labels: run
                .labels
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect(),
            cmd: string_list(run.cmd),
            entrypoint: string_list(run.entrypoint),
            working_dir: run.working_dir.filter(|s| !s.is_empty()),
            user: run.user.filter(|s| !s.is_empty()),
            exposed_ports: run.exposed_ports.unwrap_or_default().into_keys().collect(),
            diff_ids: rc
                .rootfs
                .and_then(|r| r.diff_ids)
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect(),
            history: rc
                .history
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .map(|h| HistoryEntry {
                    created: h.created,
                    created_by: h.created_by,
                    comment: h.comment,
                    author: h.author,
                    empty_layer: h.empty_layer.unwrap_or(false),
                    layer: None,
                })
                .collect(),
        })
    }
}

/// Walks history in order; each entry that is not `empty_layer` takes the next layer. Returns,
/// for each layer, the history entry that made it. A count mismatch is a warning, never a crash.
pub fn map_history(
    history: &mut [HistoryEntry],
    layer_count: usize,
) -> (Vec<Option<usize>>, Vec<Warning>) {
    let mut warnings = Vec::new();
    let mut layer_hist = vec![None; layer_count];
    let mut next = 0usize;
    let mut unmatched = 0usize;
    for (hi, h) in history.iter_mut().enumerate() {
        h.layer = None;
        if h.empty_layer {
            continue;
        }
        if next < layer_count {
            h.layer = Some(next);
            layer_hist[next] = Some(hi);
            next += 1;
        } else {
            unmatched += 1;
        }
    }
    if unmatched > 0 {
        warnings.push(Warning::new(
            "history-mismatch",
            format!(
                "history names {} non-empty steps but the image has {layer_count} layers; {unmatched} steps have no layer",
                next + unmatched
            ),
        ));
    } else if next < layer_count && !history.is_empty() {
        warnings.push(Warning::new(
            "history-mismatch",
            format!(
                "history names {next} non-empty steps but the image has {layer_count} layers; the last {} layers have no history",
                layer_count - next
            ),
        ));
    }
    (layer_hist, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(empty: bool) -> HistoryEntry {
        HistoryEntry {
            empty_layer: empty,
            ..Default::default()
        }
    }

    #[test]
    fn maps_in_order() {
        let mut hist = vec![h(true), h(false), h(true), h(false)];
        let (lh, w) = map_history(&mut hist, 2);
        assert_eq!(lh, vec![Some(1), Some(3)]);
        assert!(w.is_empty());
        assert_eq!(hist[3].layer, Some(1));
    }

    #[test]
    fn mismatch_is_a_warning() {
        let mut hist = vec![h(false), h(false), h(false)];
        let (lh, w) = map_history(&mut hist, 2);
        assert_eq!(lh, vec![Some(0), Some(1)]);
        assert_eq!(w.len(), 1);
        let mut hist = vec![h(false)];
        let (lh, w) = map_history(&mut hist, 3);
        assert_eq!(lh, vec![Some(0), None, None]);
        assert_eq!(w[0].code, "history-mismatch");
    }

    #[test]
    fn null_fields_parse() {
        let c = ImageConfig::parse(
            br#"{"os":"linux","config":{"Env":null,"Labels":null,"Cmd":null},"rootfs":{"diff_ids":["sha256:a"]},"history":null}"#,
            "c",
        )
        .unwrap();
        assert_eq!(c.diff_ids, vec!["sha256:a"]);
        assert!(ImageConfig::parse(b"nope", "c").is_err());
    }
}

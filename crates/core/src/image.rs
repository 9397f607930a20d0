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

/// A build step as a Dockerfile line: drops the shell wrapper docker and buildkit put around it.
/// `/bin/sh -c #(nop)  ENV A=b` -> `ENV A=b`; `/bin/sh -c apt-get x` -> `RUN apt-get x`;
/// `RUN |2 A=1 B=2 /bin/sh -c make` -> `RUN make`; a trailing `# buildkit` is dropped.
pub fn short_created_by(s: &str) -> String {
    let mut t = s.trim();
    if let Some(rest) = t.strip_suffix("# buildkit") {
        t = rest.trim_end();
    }
    let shells = [
        "/bin/sh -c ",
        "/bin/bash -c ",
        "/bin/sh -o pipefail -c ",
        "/bin/bash -o pipefail -c ",
    ];
    let out = if let Some(rest) = t.strip_prefix("RUN ") {
        let rest = strip_build_args(rest);
        let rest = shells
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
        format!("RUN {}", rest.trim())
    } else if let Some(rest) = shells.iter().find_map(|p| t.strip_prefix(p)) {
        let rest = rest.trim_start();
        match rest.strip_prefix("#(nop)") {
            Some(nop) => nop.trim().to_string(),
            None => format!("RUN {}", rest.trim()),
        }
    } else {
        t.to_string()
    };
    crate::paths::escape(out.replace('\n', " ↵ ").as_bytes())
}

/// `|2 A=1 B=2 cmd` -> `cmd` (buildkit's record of the build args in effect).
fn strip_build_args(s: &str) -> &str {
    let Some(rest) = s.strip_prefix('|') else {
        return s;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(n) = rest[..digits].parse::<usize>() else {
        return s;
    };
    let mut rest = rest[digits..].trim_start();
    for _ in 0..n {
        match rest.find(' ') {
            Some(i) => rest = rest[i..].trim_start(),
            None => return "",
        }
    }
    rest
}


/// Seconds since the Unix epoch of an RFC 3339 timestamp (`2024-01-02T03:04:05.123Z`,
/// `...+02:00`). Fractions are ignored. `None` when it does not parse.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse::<i64>().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z') | Some(b'z') | None => 0,
        Some(&c @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + mi * 60 + se - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_by_shortening() {
        assert_eq!(short_created_by("/bin/sh -c #(nop)  ENV A=b"), "ENV A=b");
        assert_eq!(
            short_created_by("/bin/sh -c apt-get update"),
            "RUN apt-get update"
        );
        assert_eq!(
            short_created_by("RUN |2 A=1 B=2 /bin/sh -c make all # buildkit"),
            "RUN make all"
        );
        assert_eq!(short_created_by("COPY . /app # buildkit"), "COPY . /app");
        assert_eq!(short_created_by("RUN a\x1b[31m"), "RUN a\\x1b[31m");
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-03-01T00:00:01.5Z"), Some(951868801));
        assert_eq!(parse_rfc3339("1970-01-01T02:00:00+02:00"), Some(0));
        assert_eq!(parse_rfc3339("nope"), None);
    }

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

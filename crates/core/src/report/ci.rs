//! `--ci`: a verdict for pipelines. Fails on findings at or above a severity that a baseline does
//! not accept, and on dive's `.dive-ci` efficiency rules, so dive users can switch unchanged.

use std::collections::HashSet;

use crate::analysis::Analysis;
use crate::findings::Finding;
use crate::secrets::Severity;

#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub fail_on: Option<Severity>,
    pub baseline: HashSet<String>,
    pub lowest_efficiency: Option<f64>,
    pub highest_wasted_bytes: Option<u64>,
    pub highest_user_wasted_percent: Option<f64>,
}

/// One line of the verdict: the findings check, or a `.dive-ci` rule with its measured value.
#[derive(Debug)]
pub struct Check {
    /// `findings`, or the `.dive-ci` rule name.
    pub name: &'static str,
    pub passed: bool,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Verdict {
    pub checks: Vec<Check>,
    /// Indices (into the evaluated findings) of those that fail: at or above `fail_on` and not
    /// accepted by the baseline.
    pub open: Vec<usize>,
    pub accepted: usize,
    pub below: usize,
    pub fail_on: Option<Severity>,
}

impl Verdict {
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| !c.passed)
    }
}

/// Share of wasted bytes among the bytes that the layers above the base added (dive's rule).
pub fn user_wasted_percent(a: &Analysis) -> f64 {
    let user: u64 = a.layers.iter().skip(1).map(|l| l.content_size).sum();
    if user == 0 {
        0.0
    } else {
        a.efficiency.user_wasted_bytes as f64 / user as f64
    }
}

/// `1234567 bytes (1.2 MB)`: exact for a threshold, readable for a person (SI, as dive's units).
fn bytes(n: u64) -> String {
    if n < 1000 {
        format!("{n} bytes")
    } else {
        format!("{n} bytes ({})", crate::units::human(n))
    }
}

pub fn evaluate(a: &Analysis, findings: &[Finding], p: &Policy) -> Verdict {
    let mut v = Verdict {
        fail_on: p.fail_on,
        ..Default::default()
    };
    if let Some(min) = p.fail_on {
        for (i, f) in findings.iter().enumerate() {
            if f.severity < min {
                v.below += 1;
            } else if p.baseline.contains(&f.fingerprint) {
                v.accepted += 1;
            } else {
                v.open.push(i);
            }
        }
        let mut notes = Vec::new();
        if v.accepted > 0 {
            notes.push(format!("{} accepted by the baseline", v.accepted));
        }
        if v.below > 0 {
            notes.push(format!("{} below {}", v.below, min.as_str()));
        }
        let note = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        let text = match v.open.len() {
            0 => format!("no finding at or above {}{note}", min.as_str()),
            1 => format!("1 finding at or above {}{note}", min.as_str()),
            n => format!("{n} findings at or above {}{note}", min.as_str()),
        };
        v.checks.push(Check {
            name: "findings",
            passed: v.open.is_empty(),
            text,
        });
    }
    let e = &a.efficiency;
    if let Some(min) = p.lowest_efficiency {
        v.checks.push(Check {
            name: "lowestEfficiency",
            passed: e.score >= min,
            text: format!("efficiency {:.4}, lowest allowed {min}", e.score),
        });
    }
    if let Some(max) = p.highest_wasted_bytes {
        v.checks.push(Check {
            name: "highestWastedBytes",
            passed: e.wasted_bytes <= max,
            text: format!(
                "wasted {}, highest allowed {}",
                bytes(e.wasted_bytes),
                bytes(max)
            ),
        });
    }
    if let Some(max) = p.highest_user_wasted_percent {
        let pct = user_wasted_percent(a);
        v.checks.push(Check {
            name: "highestUserWastedPercent",
            passed: pct <= max,
            text: format!("user wasted share {pct:.4}, highest allowed {max}"),
        });
    }
    v
}

/// Reads dive's `.dive-ci` (YAML with a `rules:` map). Values may be `disabled`.
pub fn parse_dive_ci(text: &str, p: &mut Policy) -> Result<(), String> {
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        let Some((k, val)) = line.split_once(':') else {
            continue;
        };
        let val = val.trim().trim_matches(|c| c == '"' || c == '\'');
        if val.is_empty() || val.eq_ignore_ascii_case("disabled") {
            continue;
        }
        let bad = |what: &str| format!("line {}: {k}: {what} {val:?}", n + 1);
        match k.trim() {
            // dive HEAD also accepts the kebab-case spellings.
            "lowestEfficiency" | "lowest-efficiency" => {
                p.lowest_efficiency = Some(val.parse().map_err(|_| bad("not a number"))?)
            }
            "highestWastedBytes" | "highest-wasted-bytes" => {
                p.highest_wasted_bytes = Some(parse_bytes(val).ok_or_else(|| bad("not a size"))?)
            }
            "highestUserWastedPercent" | "highest-user-wasted-percent" => {
                p.highest_user_wasted_percent = Some(val.parse().map_err(|_| bad("not a number"))?)
            }
            _ => {}
        }
    }
    Ok(())
}

/// `20MB`, `20 MiB`, `1.5GB`, `1024` (dive uses SI units for MB, binary for MiB).
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024f64.powi(4),
        _ => return None,
    };
    Some((n * mult) as u64)
}

/// A baseline: one fingerprint per line, a JSON list of them, or a layerscope `--json` report.
pub fn parse_baseline(text: &str) -> HashSet<String> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        let mut out = HashSet::new();
        let list = v.get("findings").cloned().unwrap_or(v);
        if let Some(a) = list.as_array() {
            for item in a {
                if let Some(s) = item.as_str() {
                    out.insert(s.to_string());
                } else if let Some(s) = item
                    .get("fingerprint")
                    .or_else(|| item.get("Fingerprint"))
                    .and_then(|x| x.as_str())
                {
                    out.insert(s.to_string());
                }
            }
        }
        return out;
    }
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("20MB"), Some(20_000_000));
        assert_eq!(parse_bytes("1 MiB"), Some(1 << 20));
        assert_eq!(parse_bytes("512"), Some(512));
        assert_eq!(parse_bytes("x"), None);
    }

    #[test]
    fn dive_ci() {
        let mut p = Policy::default();
        parse_dive_ci(
            "rules:\n  # comment\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: disabled\n",
            &mut p,
        )
        .unwrap();
        assert_eq!(p.lowest_efficiency, Some(0.95));
        assert_eq!(p.highest_wasted_bytes, Some(20_000_000));
        assert_eq!(p.highest_user_wasted_percent, None);
        assert!(parse_dive_ci("rules:\n  lowestEfficiency: high\n", &mut p).is_err());
        let mut q = Policy::default();
        parse_dive_ci(
            "rules:\n  lowest-efficiency: 0.5\n  highest-wasted-bytes: \"1 MiB\"\n",
            &mut q,
        )
        .unwrap();
        assert_eq!(
            (q.lowest_efficiency, q.highest_wasted_bytes),
            (Some(0.5), Some(1 << 20))
        );
    }

    #[test]
    fn byte_counts_are_exact_and_readable() {
        assert_eq!(bytes(118), "118 bytes");
        assert_eq!(bytes(20_000_000), "20000000 bytes (20.0 MB)");
        assert_eq!(bytes(1197), "1197 bytes (1.2 kB)");
    }

    #[test]
    fn baselines() {
        assert!(parse_baseline("abc # x\n\ndef\n").contains("def"));
        assert!(parse_baseline(r#"["abc"]"#).contains("abc"));
        assert!(parse_baseline(r#"{"findings":[{"fingerprint":"f1"}]}"#).contains("f1"));
    }
}

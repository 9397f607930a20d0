//! The `--ci` verdict as text for a pipeline log: every failing finding on one row (what a CI
//! user needs to fix it or to add its fingerprint to the baseline, as gitleaks and Trivy list
//! theirs), each `.dive-ci` rule with its measured value and threshold, and a summary line.
//! Rows follow the findings' order and columns are padded to the widest value, so the same
//! image gives the same text.

use crate::analysis::Analysis;
use crate::findings::{Finding, FindingSource, Status};
use crate::report::ci::Verdict;

const HEADER: [&str; 8] = [
    "SEVERITY",
    "RULE",
    "WHERE",
    "LAYER",
    "STEP",
    "STATUS",
    "MATCH",
    "FINGERPRINT",
];

/// Where the finding is: `/path:line` for a file, else the config or history item.
pub fn location(a: &Analysis, f: &Finding) -> String {
    let key = || crate::paths::escape(f.key.as_deref().unwrap_or("").as_bytes());
    match (f.source, f.path) {
        (FindingSource::File, Some(p)) => format!("/{}:{}", a.path_string(p), f.line.max(1)),
        (FindingSource::History, _) => "history".to_string(),
        (FindingSource::Env, _) => format!("ENV {}", key()),
        (FindingSource::Label, _) => format!("LABEL {}", key()),
        _ => format!("config {}", key()),
    }
}

/// `visible`, `deleted in layer 6`, …: whether the final filesystem still shows it.
pub fn status(f: &Finding) -> String {
    match f.status {
        Status::Deleted => format!("deleted in layer {}", opt(f.removed_in_layer)),
        Status::Overwritten => format!("overwritten in layer {}", opt(f.replaced_in_layer)),
        s => s.name().to_string(),
    }
}

fn opt(n: Option<usize>) -> String {
    n.map_or_else(|| "-".to_string(), |n| n.to_string())
}

fn row(a: &Analysis, f: &Finding) -> [String; 8] {
    [
        f.severity.as_str().to_string(),
        crate::paths::escape(f.rule.as_bytes()),
        location(a, f),
        opt(f.layer),
        opt(f.history),
        status(f),
        // Already masked; escaped so that a control byte in its prefix cannot reach the log.
        crate::paths::escape(f.masked.as_bytes()),
        f.fingerprint.clone(),
    ]
}

fn table(rows: &[[String; 8]]) -> String {
    let mut width = [0usize; 8];
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::from("  ");
        for (i, c) in r.iter().enumerate() {
            line.push_str(c);
            if i + 1 < r.len() {
                let pad = width[i] - c.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The whole verdict, one check per line, the failing findings under the findings check.
pub fn render(a: &Analysis, findings: &[Finding], v: &Verdict) -> String {
    let mut out = String::new();
    for c in &v.checks {
        let mark = if c.passed { "PASS" } else { "FAIL" };
        if c.name == "findings" {
            out.push_str(&format!("{mark}: {}\n", c.text));
            if !v.open.is_empty() {
                let mut rows = vec![HEADER.map(str::to_string)];
                rows.extend(v.open.iter().map(|&i| row(a, &findings[i])));
                out.push_str(&table(&rows));
            }
        } else {
            out.push_str(&format!("{mark}: {}: {}\n", c.name, c.text));
        }
    }
    out.push_str(&summary(v));
    out
}

/// `Result: FAIL: 3 findings at or above high; 1 of 2 .dive-ci rules failed`.
fn summary(v: &Verdict) -> String {
    let mut parts = Vec::new();
    if let Some(min) = v.fail_on {
        parts.push(match v.open.len() {
            0 => format!("no finding at or above {}", min.as_str()),
            1 => format!("1 finding at or above {}", min.as_str()),
            n => format!("{n} findings at or above {}", min.as_str()),
        });
    }
    let rules: Vec<_> = v.checks.iter().filter(|c| c.name != "findings").collect();
    if !rules.is_empty() {
        let failed = rules.iter().filter(|c| !c.passed).count();
        let n = rules.len();
        let s = if n == 1 { "" } else { "s" };
        parts.push(if failed == 0 {
            format!("{n} .dive-ci rule{s} passed")
        } else {
            format!("{failed} of {n} .dive-ci rule{s} failed")
        });
    }
    let result = if v.failed() { "FAIL" } else { "PASS" };
    if parts.is_empty() {
        format!("Result: {result}\n")
    } else {
        format!("Result: {result}: {}\n", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_trailing_space_is_cut() {
        let rows = [
            ["a", "bb", "c", "d", "e", "f", "g", "h"].map(String::from),
            ["aaa", "b", "cc", "d", "e", "f", "g", "h"].map(String::from),
        ];
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0].find("bb"), lines[1].find("b  "));
        assert_eq!(lines[0].find('h'), lines[1].find('h'));
        assert!(!t.lines().any(|l| l.ends_with(' ')));
    }
}

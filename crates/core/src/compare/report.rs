//! The outputs of `layerscope diff`: the `--json` document (schema_version 1), a plain-text
//! summary and the `--ci` verdict. The image and finding objects are the analysis report's own
//! (`report::json`), so a consumer parses one shape for both commands. Secrets are masked
//! unless `show_secrets`.

use serde::Serialize;

use super::{Comparison, FileChange, StepChange};
use crate::analysis::Analysis;
use crate::findings::{Finding, Status};
use crate::report::json::{finding_out, image_out, FindingOut, ImageOut};
use crate::secrets::Severity;

#[derive(Serialize)]
pub struct Report<'a> {
    pub schema_version: u32,
    pub old: ImageOut<'a>,
    pub new: ImageOut<'a>,
    pub shared_layers: usize,
    /// Index into `history` of the first row that is not `same`.
    pub first_difference: Option<usize>,
    pub history: Vec<HistoryOut>,
    pub changes: Vec<ChangeOut>,
    pub findings: FindingsOut<'a>,
    pub packages: PackagesOut<'a>,
    pub size: OldNew,
    pub wasted_bytes: OldNew,
}

/// `packages`: what the package databases of the two final images say changed.
#[derive(Serialize)]
pub struct PackagesOut<'a> {
    pub added: Vec<PackageChangeOut<'a>>,
    pub removed: Vec<PackageChangeOut<'a>>,
    pub upgraded: Vec<PackageChangeOut<'a>>,
}

#[derive(Serialize)]
pub struct PackageChangeOut<'a> {
    pub manager: crate::packages::Manager,
    pub name: &'a str,
    pub arch: Option<&'a str>,
    pub old_version: Option<&'a str>,
    pub new_version: Option<&'a str>,
    pub old_size: Option<u64>,
    pub new_size: Option<u64>,
    /// The NEW layer and history step that installed the new version.
    pub layer: Option<usize>,
    pub history: Option<usize>,
}

fn package_changes<'a>(
    new: &'a Analysis,
    v: &'a [super::packages::PackageChange],
) -> Vec<PackageChangeOut<'a>> {
    v.iter()
        .map(|c| PackageChangeOut {
            manager: c.manager,
            name: &c.name,
            arch: c.arch.as_deref(),
            old_version: c.old.as_ref().map(|s| s.version.as_str()),
            new_version: c.new.as_ref().map(|s| s.version.as_str()),
            old_size: c.old.as_ref().map(|s| s.size),
            new_size: c.new.as_ref().map(|s| s.size),
            layer: c.new.as_ref().map(|s| s.layer),
            history: c
                .new
                .as_ref()
                .and_then(|s| new.layers.get(s.layer))
                .and_then(|l| l.history),
        })
        .collect()
}

#[derive(Serialize)]
pub struct OldNew {
    pub old: u64,
    pub new: u64,
}

#[derive(Serialize)]
pub struct HistoryOut {
    pub change: StepChange,
    pub old: Option<StepOut>,
    pub new: Option<StepOut>,
}

/// One side of a history row, with its layer's size and the wasted bytes that layer holds.
#[derive(Serialize)]
pub struct StepOut {
    pub index: usize,
    pub created_by: Option<String>,
    pub layer: Option<usize>,
    pub diff_id: Option<String>,
    pub size: u64,
    pub wasted_bytes: u64,
}

#[derive(Serialize)]
pub struct ChangeOut {
    pub path: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub path_non_utf8: bool,
    pub change: &'static str,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_kind: Option<&'static str>,
    /// For a modification: what differs (kind, content, mode, owner, link).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub what: Vec<&'static str>,
    pub old_size: Option<u64>,
    pub new_size: Option<u64>,
    pub layer: Option<usize>,
    pub history: Option<usize>,
}

#[derive(Serialize)]
pub struct FindingsOut<'a> {
    pub new: Vec<FindingOut<'a>>,
    pub fixed: Vec<FindingOut<'a>>,
    pub unchanged: Vec<UnchangedOut<'a>>,
}

/// NEW's finding, with the status it had in OLD.
#[derive(Serialize)]
pub struct UnchangedOut<'a> {
    #[serde(flatten)]
    pub finding: FindingOut<'a>,
    pub old_status: Status,
    /// Visible in OLD, deleted or overwritten in NEW: hidden, but the bytes still ship.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hidden_not_fixed: bool,
}

fn path_out(raw: &[u8]) -> (String, bool) {
    match std::str::from_utf8(raw) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (crate::paths::escape(raw), true),
    }
}

fn step_out(a: &Analysis, waste: &[u64], i: usize, show: bool) -> StepOut {
    let h = &a.history[i];
    StepOut {
        index: i,
        created_by: h
            .created_by
            .as_deref()
            .map(|c| a.display_text(c, show).to_string()),
        layer: h.layer,
        diff_id: h.layer.map(|l| super::layer_id(a, l).to_string()),
        size: h.layer.map_or(0, |l| a.layers[l].size),
        wasted_bytes: h.layer.map_or(0, |l| waste[l]),
    }
}

pub fn change_out(c: &FileChange) -> ChangeOut {
    let (path, path_non_utf8) = path_out(&c.path);
    ChangeOut {
        path,
        path_non_utf8,
        change: c.change.name(),
        kind: c.kind.name(),
        old_kind: c.old_kind.map(|k| k.name()),
        what: c.what.names(),
        old_size: c.old_size,
        new_size: c.new_size,
        layer: c.layer,
        history: c.history,
    }
}

pub fn build<'a>(
    old: &'a Analysis,
    new: &'a Analysis,
    cmp: &'a Comparison,
    show: bool,
) -> Report<'a> {
    let history = cmp
        .history
        .iter()
        .map(|r| HistoryOut {
            change: r.change,
            old: r.old.map(|i| step_out(old, &cmp.layer_waste.0, i, show)),
            new: r.new.map(|i| step_out(new, &cmp.layer_waste.1, i, show)),
        })
        .collect();
    let f = &cmp.findings;
    let old_locs = crate::report::locations::all(old, &old.findings);
    let new_locs = crate::report::locations::all(new, &new.findings);
    Report {
        schema_version: 1,
        old: image_out(old, show),
        new: image_out(new, show),
        shared_layers: cmp.shared_layers,
        first_difference: cmp.first_difference,
        history,
        changes: cmp.changes.iter().map(change_out).collect(),
        findings: FindingsOut {
            new: f
                .new
                .iter()
                .map(|&i| finding_out(new, i, show, &new_locs))
                .collect(),
            fixed: f
                .fixed
                .iter()
                .map(|&i| finding_out(old, i, show, &old_locs))
                .collect(),
            unchanged: f
                .unchanged
                .iter()
                .map(|u| UnchangedOut {
                    finding: finding_out(new, u.new, show, &new_locs),
                    old_status: old.findings[u.old].status,
                    hidden_not_fixed: u.hidden_not_fixed(old, new),
                })
                .collect(),
        },
        packages: PackagesOut {
            added: package_changes(new, &cmp.packages.added),
            removed: package_changes(new, &cmp.packages.removed),
            upgraded: package_changes(new, &cmp.packages.upgraded),
        },
        size: OldNew {
            old: cmp.size.0,
            new: cmp.size.1,
        },
        wasted_bytes: OldNew {
            old: cmp.wasted_bytes.0,
            new: cmp.wasted_bytes.1,
        },
    }
}

/// NEW's findings that OLD did not have, at or above `min`: what a release gate fails on.
pub fn gate<'a>(new: &'a Analysis, cmp: &Comparison, min: Severity) -> Vec<&'a Finding> {
    cmp.findings
        .new
        .iter()
        .map(|&i| &new.findings[i])
        .filter(|f| f.severity >= min)
        .collect()
}

pub use crate::units::human;

fn signed(old: u64, new: u64) -> String {
    if new >= old {
        format!("+{}", human(new - old))
    } else {
        format!("-{}", human(old - new))
    }
}

fn source_name(f: &Finding) -> &'static str {
    use crate::findings::FindingSource as S;
    match f.source {
        S::File => "file",
        S::History => "history",
        S::Env => "ENV",
        S::Label => "LABEL",
        S::Config => "config",
    }
}

/// A one-line, terminal-safe description of a finding: rule, where, masked match (the raw
/// value only with `show`).
pub fn finding_line(a: &Analysis, f: &Finding, show: bool) -> String {
    let place = match (f.path, &f.key) {
        (Some(p), _) => format!("/{}", a.path_string(p)),
        (None, Some(k)) => format!("{} {k}", source_name(f)),
        (None, None) => match f.history {
            Some(h) => format!("history step {h}"),
            None => source_name(f).to_string(),
        },
    };
    let layer = f.layer.map(|l| format!(" layer {l}")).unwrap_or_default();
    let value = if show { &f.secret } else { &f.masked };
    crate::paths::escape(
        format!(
            "{} {} {place}{layer} [{}] {value}",
            f.severity.as_str(),
            f.rule,
            f.status.name()
        )
        .as_bytes(),
    )
}

fn step_line(a: &Analysis, i: Option<usize>, show: bool) -> String {
    let Some(i) = i else { return "-".into() };
    let by = a.history[i]
        .created_by
        .as_deref()
        .map(|c| a.display_text(c, show))
        .unwrap_or("");
    let by: String = by.chars().take(60).collect();
    format!("#{i} {}", crate::paths::escape(by.as_bytes()))
}

/// The plain-text summary (stdout that is not a terminal).
pub fn text(old: &Analysis, new: &Analysis, cmp: &Comparison, show: bool) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let refs = |a: &Analysis| crate::paths::escape(a.source.image.reference.as_bytes());
    let _ = writeln!(s, "old: {} ({} layers)", refs(old), old.layers.len());
    let _ = writeln!(s, "new: {} ({} layers)", refs(new), new.layers.len());
    if cmp.is_empty() {
        let _ = writeln!(s, "no difference: same layers, files and findings");
    }
    let _ = writeln!(s, "shared layers: {}", cmp.shared_layers);
    if let Some(r) = cmp.first_difference.map(|i| cmp.history[i]) {
        let _ = writeln!(
            s,
            "first differing step: {} (old {})",
            step_line(new, r.new, show),
            step_line(old, r.old, show)
        );
    }
    let _ = writeln!(s, "history:");
    for r in &cmp.history {
        let mark = match r.change {
            StepChange::Same => '=',
            StepChange::Changed => '~',
            StepChange::Added => '+',
            StepChange::Removed => '-',
        };
        let _ = writeln!(
            s,
            "  {mark} {:<8} {:<64} | {}",
            r.change.name(),
            step_line(old, r.old, show),
            step_line(new, r.new, show)
        );
    }
    let count = |c: super::FsChange| cmp.changes.iter().filter(|x| x.change == c).count();
    let _ = writeln!(
        s,
        "files: {} added, {} removed, {} modified",
        count(super::FsChange::Added),
        count(super::FsChange::Removed),
        count(super::FsChange::Modified)
    );
    for c in &cmp.changes {
        let mark = match c.change {
            super::FsChange::Added => '+',
            super::FsChange::Removed => '-',
            super::FsChange::Modified => '~',
        };
        let sizes = match (c.old_size, c.new_size) {
            (Some(o), Some(n)) => format!("{} -> {}", human(o), human(n)),
            (None, Some(n)) => human(n),
            (Some(o), None) => human(o),
            (None, None) => String::new(),
        };
        let what = c.what.names().join(",");
        let by = c
            .layer
            .map(|l| format!("  layer {l} {}", step_line(new, c.history, show)))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {mark} /{} ({}{}{sizes}){by}",
            crate::paths::escape(&c.path),
            c.kind.name(),
            if what.is_empty() {
                ", ".to_string()
            } else {
                format!(" {what}, ")
            }
        );
    }
    let p = &cmp.packages;
    if !p.is_empty() {
        let _ = writeln!(
            s,
            "packages: {} added, {} removed, {} upgraded",
            p.added.len(),
            p.removed.len(),
            p.upgraded.len()
        );
        let esc = |t: &str| crate::paths::escape(t.as_bytes());
        let version = |v: &Option<super::PackageSide>| {
            v.as_ref().map(|s| esc(&s.version)).unwrap_or_default()
        };
        for (mark, list) in [('+', &p.added), ('-', &p.removed), ('~', &p.upgraded)] {
            for c in list {
                let by = c
                    .new
                    .as_ref()
                    .map(|n| {
                        let h = new.layers.get(n.layer).and_then(|l| l.history);
                        format!("  layer {} {}", n.layer, step_line(new, h, show))
                    })
                    .unwrap_or_default();
                let v = match (&c.old, &c.new) {
                    (Some(_), Some(_)) => format!("{} -> {}", version(&c.old), version(&c.new)),
                    (Some(_), None) => version(&c.old),
                    _ => version(&c.new),
                };
                let _ = writeln!(s, "  {mark} {} {} {v}{by}", c.manager.name(), esc(&c.name));
            }
        }
    }
    let f = &cmp.findings;
    let _ = writeln!(
        s,
        "findings: {} new, {} fixed, {} unchanged",
        f.new.len(),
        f.fixed.len(),
        f.unchanged.len()
    );
    for &i in &f.new {
        let _ = writeln!(
            s,
            "  new       {}",
            finding_line(new, &new.findings[i], show)
        );
    }
    for &i in &f.fixed {
        let _ = writeln!(
            s,
            "  fixed     {}",
            finding_line(old, &old.findings[i], show)
        );
    }
    for u in &f.unchanged {
        let note = if u.hidden_not_fixed(old, new) {
            " (was visible: now hidden by a later layer, still shipping)"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  unchanged {}{note}",
            finding_line(new, &new.findings[u.new], show)
        );
    }
    let _ = writeln!(
        s,
        "size: {} -> {} ({})",
        human(cmp.size.0),
        human(cmp.size.1),
        signed(cmp.size.0, cmp.size.1)
    );
    let _ = writeln!(
        s,
        "wasted: {} -> {} ({})",
        human(cmp.wasted_bytes.0),
        human(cmp.wasted_bytes.1),
        signed(cmp.wasted_bytes.0, cmp.wasted_bytes.1)
    );
    s
}

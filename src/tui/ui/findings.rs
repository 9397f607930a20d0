//! The findings pane (other scanners' findings first, then ours) and the small pieces the
//! overlays share with it: severity labels, where a finding is.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use layerscope_core::analysis::Analysis;
use layerscope_core::external::{Agreement, Reconciled};
use layerscope_core::findings::{Finding, FindingSource, Status};
use layerscope_core::secrets::Severity;

use crate::tui::app::FindingRow;
use crate::tui::pane::Pane;
use crate::tui::text::{clean, truncate};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, pad, DrawContext};

pub(super) fn sev_label(s: Severity, t: &Theme) -> Span<'static> {
    let (txt, st) = match s {
        Severity::Critical => ("CRIT", t.sev_critical),
        Severity::High => ("HIGH", t.sev_high),
        Severity::Medium => ("MED ", t.sev_medium),
        Severity::Low => ("LOW ", t.sev_low),
    };
    Span::styled(txt, st)
}

fn status_style(s: Status, t: &Theme) -> Style {
    match s {
        Status::Deleted | Status::Overwritten => t.ghost,
        Status::Visible => t.finding,
        Status::History | Status::Config => t.warning,
    }
}

pub(super) fn summary(a: &Analysis, t: &Theme) -> Vec<Line<'static>> {
    let mut spans = vec![Span::styled("Findings: ", t.title)];
    if a.findings.is_empty() {
        spans.push(Span::raw("none"));
        return vec![Line::from(spans)];
    }
    let mut first = true;
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let n = a.findings.iter().filter(|f| f.severity == s).count();
        if n == 0 {
            continue;
        }
        if !first {
            spans.push(Span::raw(", "));
        }
        first = false;
        let st = sev_label(s, t).style;
        spans.push(Span::styled(format!("{n} {}", s.as_str()), st));
    }
    let hidden = a
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Deleted | Status::Overwritten))
        .count();
    let mut out = vec![Line::from(spans)];
    if hidden > 0 {
        out.push(Line::styled(
            format!("  {hidden} in deleted/overwritten files that still ship"),
            t.ghost,
        ));
    }
    out
}

/// Where a finding is, in a few words.
pub(super) fn finding_place(a: &Analysis, f: &Finding) -> String {
    match f.source {
        FindingSource::File => format!(
            "L{} /{}:{}",
            f.layer.unwrap_or(0),
            f.path.map(|p| a.path_string(p)).unwrap_or_default(),
            f.line
        ),
        // The numbers of the History pane's STEP and L columns.
        FindingSource::History => match f.layer {
            Some(l) => format!("step {} L{l}", f.history.unwrap_or(0)),
            None => format!("step {}", f.history.unwrap_or(0)),
        },
        FindingSource::Env => format!("ENV {}", clean(f.key.as_deref().unwrap_or(""))),
        FindingSource::Label => format!("LABEL {}", clean(f.key.as_deref().unwrap_or(""))),
        FindingSource::Config => format!("config {}", clean(f.key.as_deref().unwrap_or(""))),
    }
}

/// Where one secret is, over all its places: `in steps 8, 19, 21, 24`, `in L2 /app/key +1 more`.
pub(super) fn group_place(a: &Analysis, members: &[usize]) -> String {
    let fs: Vec<&Finding> = members.iter().filter_map(|&i| a.findings.get(i)).collect();
    if fs.len() < 2 {
        return fs.first().map(|f| finding_place(a, f)).unwrap_or_default();
    }
    let mut parts = Vec::new();
    let steps: Vec<String> = fs
        .iter()
        .filter(|f| f.source == FindingSource::History)
        .filter_map(|f| f.history.map(|h| h.to_string()))
        .collect();
    match steps.len() {
        0 => {}
        1 => parts.push(format!("step {}", steps[0])),
        _ => parts.push(format!("steps {}", steps.join(", "))),
    }
    let files: Vec<&&Finding> = fs
        .iter()
        .filter(|f| f.source == FindingSource::File)
        .collect();
    if let Some(first) = files.first() {
        let more = files.len() - 1;
        let place = finding_place(a, first);
        parts.push(if more == 0 {
            place
        } else {
            format!("{place} +{more} more")
        });
    }
    for f in fs
        .iter()
        .filter(|f| !matches!(f.source, FindingSource::History | FindingSource::File))
    {
        parts.push(finding_place(a, f));
    }
    format!("in {}", parts.join(" · "))
}

pub(super) fn draw(f: &mut Frame, r: Rect, c: &DrawContext) {
    let v = c.loaded;
    let a = v.analysis();
    let t = c.theme;
    // Rows are secrets: say how many places they stand for when that differs.
    let count = if v.model.order.len() == a.findings.len() {
        a.findings.len().to_string()
    } else {
        format!("{} in {} places", v.model.order.len(), a.findings.len())
    };
    let so_far = v
        .pending
        .as_ref()
        .map(|p| format!("· {} ", p.findings_so_far()))
        .unwrap_or_default();
    let title = if v.external.is_empty() {
        format!(" Findings · {count} {so_far}")
    } else {
        format!(
            " Findings · {count} · {} from reports {so_far}",
            v.external.len()
        )
    };
    let b = block(title, c.focused(Pane::Findings), t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    if v.finding_rows() == 0 {
        let none = if v.pending.is_some() {
            "no secrets found so far"
        } else {
            "no secrets found"
        };
        f.render_widget(Paragraph::new(none).style(t.dim), inner);
        return;
    }
    let w = inner.width as usize;
    let mut lines = Vec::new();
    for i in (v.findings.off..v.finding_rows()).take(inner.height as usize) {
        let spans = match v.finding_row(i) {
            Some(FindingRow::Own(fi)) => {
                let members = v.model.same.get(fi).map_or(&[][..], |m| &m[..]);
                own_row(a, &a.findings[fi], members, w, t)
            }
            Some(FindingRow::External(x)) => external_row(a, &v.external[x], w, t),
            None => continue,
        };
        let style = if i == v.findings.sel {
            c.sel_style(Pane::Findings)
        } else {
            Style::default()
        };
        lines.push(pad(spans, w, style));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn own_row(
    a: &Analysis,
    fd: &Finding,
    members: &[usize],
    w: usize,
    t: &Theme,
) -> Vec<Span<'static>> {
    let st = fd.status.name();
    let place = if members.len() > 1 {
        group_place(a, members)
    } else {
        finding_place(a, fd)
    };
    let used = 5 + st.len() + 1 + place.chars().count() + 1;
    vec![
        sev_label(fd.severity, t),
        Span::raw(" "),
        Span::styled(st.to_string(), status_style(fd.status, t)),
        Span::raw(" "),
        Span::raw(truncate(&place, w.saturating_sub(6 + st.len()))),
        Span::raw(" "),
        Span::styled(truncate(&clean(&fd.title), w.saturating_sub(used)), t.dim),
    ]
}

pub(super) fn agreement_style(r: &Reconciled, t: &Theme) -> Style {
    match r.agreement {
        Agreement::Confirmed => t.finding,
        Agreement::Deleted => t.ghost,
        Agreement::NoOwnFinding | Agreement::NotInImage => t.warning,
        Agreement::Unplaced => t.dim,
    }
}

/// Where an external finding is, in a few words.
pub(super) fn external_place(a: &Analysis, r: &Reconciled) -> String {
    let line = r.ext.line.map(|l| format!(":{l}")).unwrap_or_default();
    match (r.path, r.layer) {
        (Some(p), Some(l)) => format!("L{l} /{}{line}", a.path_string(p)),
        (Some(p), None) => format!("/{}{line}", a.path_string(p)),
        // A vulnerable package: the layer that installed that version.
        (None, Some(l)) if r.ext.package.is_some() => {
            let (n, v) = r.ext.package.as_ref().map_or(("", ""), |(n, v)| (n, v));
            format!("L{l} package {} {}", clean(n), clean(v))
        }
        (None, _) => match (&r.ext.path, &r.ext.location) {
            (Some(p), _) => format!("/{}{line}", clean(p)),
            (None, Some(l)) => clean(l),
            (None, None) => "-".into(),
        },
    }
}

fn external_row(a: &Analysis, r: &Reconciled, w: usize, t: &Theme) -> Vec<Span<'static>> {
    let tool = format!("[{}]", clean(&r.ext.tool));
    let tag = r.tag();
    let place = external_place(a, r);
    let sev = match r.ext.severity {
        Some(s) => sev_label(s, t),
        None => Span::styled("?   ", t.dim),
    };
    let used = tool.chars().count() + 1 + 5 + tag.len() + 1 + place.chars().count() + 1;
    let title = if r.ext.title.is_empty() {
        &r.ext.rule
    } else {
        &r.ext.title
    };
    vec![
        Span::styled(tool.clone(), t.title),
        Span::raw(" "),
        sev,
        Span::raw(" "),
        Span::styled(tag.to_string(), agreement_style(r, t)),
        Span::raw(" "),
        Span::raw(truncate(
            &place,
            w.saturating_sub(tool.chars().count() + 7 + tag.len()),
        )),
        Span::raw(" "),
        Span::styled(truncate(&clean(title), w.saturating_sub(used)), t.dim),
    ]
}

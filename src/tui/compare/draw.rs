//! Drawing the compare view: both histories side by side, the file changes with sizes and the
//! NEW step that made each, the findings new / fixed / unchanged, and the preview diff. Pure:
//! a frame from the view, no I/O. Every mark is a character too (`= ~ + -`), not colour alone.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::view::{CompareView, FindingRow, Focus};
use crate::tui::preview::DiffKind;
use crate::tui::text::{clean, clean_bytes, human, truncate};
use crate::tui::theme::Theme;
use layerscope_core::analysis::Analysis;
use layerscope_core::compare::{FsChange, StepChange};
use layerscope_core::findings::Finding;
use layerscope_core::image::short_created_by;
use layerscope_core::secrets::Severity;

fn block<'a>(title: String, focused: bool, t: &Theme) -> Block<'a> {
    let s = if focused { t.border_focus } else { t.border };
    Block::default()
        .borders(Borders::ALL)
        .border_style(s)
        .title(Span::styled(
            title,
            if focused { t.border_focus } else { t.title },
        ))
}

/// Rows `first..first+height` of a list of `n` with `sel` kept in view.
fn window(sel: usize, n: usize, height: usize) -> std::ops::Range<usize> {
    if height == 0 {
        return 0..0;
    }
    let first = sel.saturating_sub(height - 1).min(n.saturating_sub(height));
    first..(first + height).min(n)
}

fn step_text(a: &Analysis, waste: &[u64], i: Option<usize>, reveal: bool, width: usize) -> String {
    let Some(i) = i else {
        return String::new();
    };
    let by = a.history[i]
        .created_by
        .as_deref()
        .map(|c| short_created_by(a.display_text(c, reveal)))
        .unwrap_or_default();
    let size = a.history[i]
        .layer
        .map(|l| {
            let w = waste.get(l).copied().unwrap_or(0);
            let w = if w > 0 {
                format!(", {} wasted", human(w))
            } else {
                String::new()
            };
            format!(" {}{w}", human(a.layers[l].size))
        })
        .unwrap_or_default();
    truncate(&clean(&format!("#{i} {by}{size}")), width)
}

fn signed(o: u64, n: u64) -> String {
    if n >= o {
        format!("+{}", human(n - o))
    } else {
        format!("-{}", human(o - n))
    }
}

pub fn draw(f: &mut Frame, v: &CompareView, t: &Theme) {
    let area = f.area();
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Percentage(35),
            Constraint::Min(5),
            Constraint::Length(1),
        ])
        .split(area);
    header(f, rows[0], v, t);
    history(f, rows[1], v, t);
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(rows[2]);
    files(f, cols[0], v, t);
    let right = Layout::default()
        .direction(Direction::Vertical)
        .constraints(if v.preview.is_some() {
            [Constraint::Percentage(35), Constraint::Percentage(65)]
        } else {
            [Constraint::Percentage(100), Constraint::Percentage(0)]
        })
        .split(cols[1]);
    findings(f, right[0], v, t);
    if v.preview.is_some() {
        preview(f, right[1], v, t);
    }
    let keys = "Tab pane · ↑↓ move · Enter diff file · r reveal secrets · Esc close · q quit";
    f.render_widget(Paragraph::new(Line::styled(keys, t.dim)), rows[3]);
}

fn header(f: &mut Frame, r: Rect, v: &CompareView, t: &Theme) {
    let c = v.cmp;
    let name = |a: &Analysis| clean(&a.source.image.reference);
    let text = format!(
        "Compare {} -> {} · shared layers {} · size {} -> {} ({}) · wasted {} -> {}",
        name(v.old),
        name(v.new),
        c.shared_layers,
        human(c.size.0),
        human(c.size.1),
        signed(c.size.0, c.size.1),
        human(c.wasted_bytes.0),
        human(c.wasted_bytes.1),
    );
    f.render_widget(
        Paragraph::new(Line::styled(truncate(&text, r.width as usize), t.title)),
        r,
    );
}

fn history(f: &mut Frame, r: Rect, v: &CompareView, t: &Theme) {
    let focused = v.focus == Focus::History;
    let first = v
        .cmp
        .first_difference
        .map(|i| format!(" · first difference: row {}", i + 1))
        .unwrap_or_else(|| " · identical".into());
    let b = block(format!(" History old | new{first} "), focused, t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let half = (inner.width.saturating_sub(14) / 2) as usize;
    let rows = &v.cmp.history;
    let lines: Vec<Line> = window(v.history_sel, rows.len(), inner.height as usize)
        .map(|i| {
            let h = rows[i];
            let (mark, style) = match h.change {
                StepChange::Same => ('=', t.unchanged),
                StepChange::Changed => ('~', t.modified),
                StepChange::Added => ('+', t.added),
                StepChange::Removed => ('-', t.removed),
            };
            let o = step_text(v.old, &v.cmp.layer_waste.0, h.old, v.reveal, half);
            let n = step_text(v.new, &v.cmp.layer_waste.1, h.new, v.reveal, half);
            let text = format!("{mark} {:<7} {o:<half$} │ {n}", h.change.name());
            let style = if i == v.history_sel {
                sel_style(focused, t)
            } else {
                style
            };
            Line::styled(text, style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn sel_style(focused: bool, t: &Theme) -> Style {
    if focused {
        t.selected
    } else {
        t.selected_unfocused
    }
}

fn files(f: &mut Frame, r: Rect, v: &CompareView, t: &Theme) {
    let focused = v.focus == Focus::Files;
    let ch = &v.cmp.changes;
    let count = |c: FsChange| ch.iter().filter(|x| x.change == c).count();
    let b = block(
        format!(
            " Files +{} -{} ~{} ",
            count(FsChange::Added),
            count(FsChange::Removed),
            count(FsChange::Modified)
        ),
        focused,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b, r);
    if ch.is_empty() {
        f.render_widget(Paragraph::new("no file differs").style(t.dim), inner);
        return;
    }
    let w = inner.width as usize;
    let lines: Vec<Line> = window(v.files_sel, ch.len(), inner.height as usize)
        .map(|i| {
            let c = &ch[i];
            let (mark, style) = match c.change {
                FsChange::Added => ('+', t.added),
                FsChange::Removed => ('-', t.removed),
                FsChange::Modified => ('~', t.modified),
            };
            let size = match (c.old_size, c.new_size) {
                (Some(o), Some(n)) if o != n => format!("{}->{}", human(o), human(n)),
                (_, Some(n)) => human(n),
                (Some(o), None) => human(o),
                _ => String::new(),
            };
            let what = c.what.names().join(",");
            let step = c
                .layer
                .map(|l| {
                    format!(
                        " L{l}{}",
                        c.history.map(|h| format!(" #{h}")).unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let tail = format!(" {what} {size}{step}");
            let path_w = w.saturating_sub(tail.chars().count() + 2);
            let path = truncate(&format!("/{}", clean_bytes(&c.path)), path_w);
            let text = format!("{mark} {path:<path_w$}{tail}");
            let style = if i == v.files_sel {
                sel_style(focused, t)
            } else {
                style
            };
            Line::styled(truncate(&text, w), style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn sev_style(s: Severity, t: &Theme) -> Style {
    match s {
        Severity::Critical => t.sev_critical,
        Severity::High => t.sev_high,
        Severity::Medium => t.sev_medium,
        Severity::Low => t.sev_low,
    }
}

fn finding_text(a: &Analysis, fi: &Finding, reveal: bool) -> String {
    let place = match fi.path {
        Some(p) => format!("/{}", a.path_string(p)),
        None => fi.key.clone().unwrap_or_else(|| "config".into()),
    };
    let value = if reveal { &fi.secret } else { &fi.masked };
    clean(&format!(
        "{} {place} [{}] {value}",
        fi.rule,
        fi.status.name()
    ))
}

fn findings(f: &mut Frame, r: Rect, v: &CompareView, t: &Theme) {
    let focused = v.focus == Focus::Findings;
    let fd = &v.cmp.findings;
    let b = block(
        format!(
            " Findings new {} · fixed {} · unchanged {} ",
            fd.new.len(),
            fd.fixed.len(),
            fd.unchanged.len()
        ),
        focused,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b, r);
    let rows = v.finding_rows();
    if rows.is_empty() {
        f.render_widget(
            Paragraph::new("no findings in either image").style(t.dim),
            inner,
        );
        return;
    }
    let w = inner.width as usize;
    let lines: Vec<Line> = window(v.findings_sel, rows.len(), inner.height as usize)
        .map(|i| {
            let (label, a, fi, note) = match rows[i] {
                FindingRow::New(k) => ("NEW  ", v.new, &v.new.findings[k], ""),
                FindingRow::Fixed(k) => ("FIXED", v.old, &v.old.findings[k], ""),
                FindingRow::Unchanged(k) => {
                    let u = fd.unchanged[k];
                    let note = if u.hidden_not_fixed(v.old, v.new) {
                        " still shipping (was visible, now hidden):"
                    } else {
                        ""
                    };
                    ("SAME ", v.new, &v.new.findings[u.new], note)
                }
            };
            let text = truncate(
                &format!(
                    "{label} {}{note} {}",
                    fi.severity.as_str(),
                    finding_text(a, fi, v.reveal)
                ),
                w,
            );
            let style = if i == v.findings_sel {
                sel_style(focused, t)
            } else if matches!(rows[i], FindingRow::Fixed(_)) {
                t.dim
            } else {
                sev_style(fi.severity, t)
            };
            Line::styled(text, style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn preview(f: &mut Frame, r: Rect, v: &CompareView, t: &Theme) {
    let Some(p) = &v.preview else { return };
    let focused = v.focus == Focus::Preview;
    let b = block(
        format!(
            " {} ",
            truncate(&p.title, r.width.saturating_sub(4) as usize)
        ),
        focused,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b, r);
    let w = inner.width as usize;
    let lines: Vec<Line> = p
        .lines
        .iter()
        .skip(p.scroll)
        .take(inner.height as usize)
        .map(|l| {
            let (prefix, style) = match l.kind {
                DiffKind::Header => ("", t.diff_header),
                DiffKind::Hunk => ("", t.diff_hunk),
                DiffKind::Context => (" ", t.text),
                DiffKind::Added => ("+", t.diff_add),
                DiffKind::Removed => ("-", t.diff_del),
            };
            let text = layerscope_core::secrets::shown(&l.pieces, v.reveal);
            Line::styled(truncate(&format!("{prefix}{text}"), w), style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

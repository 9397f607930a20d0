//! The history pane: a header, then one row per build step with its step and layer numbers,
//! layer size, finding badges, the base image dimmed.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use layerscope_core::analysis::Analysis;
use layerscope_core::image::short_created_by;

use crate::tui::pane::Pane;
use crate::tui::text::{clean, human, truncate};
use crate::tui::ui::widgets::{block, pad, DrawContext};

fn step_text(a: &Analysis, h: Option<usize>, reveal: bool) -> String {
    match h.and_then(|i| a.history.get(i)) {
        Some(h) => match h.created_by.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(c) => short_created_by(a.display_text(c, reveal)),
            None => clean(h.comment.as_deref().unwrap_or("(no command recorded)")),
        },
        None => "(no history entry for this layer)".to_string(),
    }
}

pub(super) fn draw(f: &mut Frame, r: Rect, c: &DrawContext) {
    let v = c.loaded;
    let a = v.analysis();
    let vis = v.visible_hist();
    let title = format!(
        " History · {} steps, {} layers{} ",
        a.history.len(),
        a.layers.len(),
        if v.hide_base { " · base hidden" } else { "" }
    );
    let b = block(title, c.focused(Pane::History), c.theme);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let w = inner.width as usize;
    let h = inner.height as usize;
    if vis.is_empty() {
        f.render_widget(
            Paragraph::new("no history and no layers").style(c.theme.dim),
            inner,
        );
        return;
    }
    // One numbering everywhere: STEP is the history index (`step 8` in findings, `history`
    // in JSON), L the layer index (`L3`, `layer` in JSON); a metadata step has no layer.
    let sized = w >= 36;
    let lead = if sized { 19 } else { 10 };
    let mut lines = vec![Line::styled(
        if sized {
            format!("{:>4} {:>4} {:>8} COMMAND", "STEP", "L", "SIZE")
        } else {
            format!("{:>4} {:>4} COMMAND", "STEP", "L")
        },
        c.theme.title,
    )];
    for (i, &ri) in vis
        .iter()
        .enumerate()
        .skip(v.history.off)
        .take(h.saturating_sub(1))
    {
        let row = &v.model.history_rows[ri];
        let cmd = step_text(a, row.history, v.reveal);
        let n = v.model.row_findings(row);
        let badge = if n > 0 {
            format!("!{n} ")
        } else {
            String::new()
        };
        let step = row
            .history
            .map_or_else(|| "-".to_string(), |s| s.to_string());
        let mut spans = Vec::new();
        let in_base = v.base.is_some_and(|b| row.target <= b && !v.hide_base);
        match row.layer {
            Some(l) => {
                let idx_style = if in_base { c.theme.dim } else { c.theme.title };
                spans.push(Span::styled(format!("{step:>4} "), idx_style));
                spans.push(Span::styled(format!("{:>4} ", format!("L{l}")), idx_style));
                if sized {
                    spans.push(Span::styled(
                        format!("{:>8} ", human(a.layers[l].size)),
                        c.theme.text,
                    ));
                }
                let room = w.saturating_sub(lead + badge.chars().count());
                if n > 0 {
                    spans.push(Span::styled(badge, c.theme.finding));
                }
                spans.push(Span::raw(truncate(&cmd, room)));
            }
            None => {
                spans.push(Span::styled(format!("{step:>4} "), c.theme.dim));
                spans.push(Span::styled(format!("{:>4} ", "·"), c.theme.dim));
                if sized {
                    spans.push(Span::styled(format!("{:>8} ", ""), c.theme.dim));
                }
                let room = w.saturating_sub(lead + badge.chars().count());
                if n > 0 {
                    spans.push(Span::styled(badge, c.theme.finding));
                }
                spans.push(Span::styled(truncate(&cmd, room), c.theme.dim));
            }
        }
        let style = if i == v.history.sel {
            c.sel_style(Pane::History)
        } else {
            Style::default()
        };
        lines.push(pad(spans, w, style));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

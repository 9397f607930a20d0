//! The versions overlay: every version of the selected path across layers, with the layer and
//! step numbers of the History pane, what changed, the size and the findings of each version.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use layerscope_core::image::short_created_by;
use layerscope_core::paths::PathId;
use layerscope_core::tree::Change;

use crate::tui::app::{version_rows, App, ListState};
use crate::tui::text::{clean, human, truncate};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, centered, pad};

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, path: PathId, list: ListState, t: &Theme) {
    let Some(v) = app.loaded() else { return };
    let a = v.analysis();
    let rows = version_rows(&v.model, path);
    let r = centered(area, 90, (rows.len() as u16 + 3).max(5));
    f.render_widget(Clear, r);
    let title = format!(
        " Versions of /{} · {} ",
        clean(&a.path_string(path)),
        rows.len()
    );
    let b = block(title, true, t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let w = inner.width as usize;
    let h = (inner.height as usize).saturating_sub(1);
    let shown = a.tree.state_at(path, v.layer).map(|s| s.layer as usize);
    let mut lines = vec![Line::styled(
        truncate(
            &format!(
                "  {:>4} {:>4} {:<9} {:>8} {:<10} COMMAND",
                "L", "STEP", "CHANGE", "SIZE", "FINDINGS"
            ),
            w,
        ),
        t.title,
    )];
    let off = if list.sel >= h { list.sel + 1 - h } else { 0 };
    for (i, row) in rows.iter().enumerate().skip(off).take(h) {
        let mark = if Some(row.layer) == shown {
            "▸ "
        } else {
            "  "
        };
        let change_style = match row.change {
            Change::Added => t.added,
            Change::Modified => t.modified,
            Change::Removed => t.removed,
            Change::Unchanged => t.unchanged,
        };
        let size = row.size.map(human).unwrap_or_else(|| "-".into());
        let findings = match row.findings.len() {
            0 => String::new(),
            1 => "!1 finding".to_string(),
            n => format!("!{n} findings"),
        };
        let step = row.step.map_or_else(|| "-".into(), |s| s.to_string());
        let cmd = row
            .step
            .and_then(|h| a.history.get(h))
            .and_then(|h| h.created_by.as_deref())
            .map(|c| short_created_by(a.display_text(c, v.reveal)))
            .unwrap_or_default();
        let head = format!("{mark}{:>4} {step:>4} ", format!("L{}", row.layer));
        let used = head.chars().count() + 10 + 9 + 11;
        let spans = vec![
            Span::styled(head, t.title),
            Span::styled(format!("{:<9} ", row.change.name()), change_style),
            Span::raw(format!("{size:>8} ")),
            Span::styled(format!("{findings:<10} "), t.finding),
            Span::styled(truncate(&clean(&cmd), w.saturating_sub(used)), t.dim),
        ];
        let style = if i == list.sel {
            t.selected
        } else {
            Style::default()
        };
        lines.push(pad(spans, w, style));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

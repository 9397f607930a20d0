//! The search results overlay: every hit with its layer, path and line, ghosts and overwritten
//! versions tagged.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::tui::app::{App, ListState};
use crate::tui::text::{clean, truncate};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, centered, pad};

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, list: ListState, t: &Theme) {
    let Some(v) = app.loaded() else { return };
    let a = v.analysis();
    let r = centered(area, 90, area.height.saturating_sub(2).max(3));
    f.render_widget(Clear, r);
    let s = &v.search;
    let title = format!(
        " Search {:?} · {} hits{} ",
        clean(&s.query),
        s.hits.len(),
        if s.running { " · searching…" } else { "" }
    );
    let b = block(title, true, t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let w = inner.width as usize;
    let h = inner.height as usize;
    let mut lines = Vec::new();
    let last = a.layers.len().saturating_sub(1);
    let off = if list.sel >= h { list.sel + 1 - h } else { 0 };
    for (i, hit) in s.hits.iter().enumerate().skip(off).take(h) {
        let cur = a.tree.state_at(hit.path, last);
        let live = cur.is_some_and(|c| c.layer as usize == hit.layer && c.entry == hit.entry);
        let tag = if live {
            Span::raw("")
        } else if cur.is_some_and(|c| c.present()) {
            Span::styled(" [overwritten]", t.modified)
        } else {
            Span::styled(" [ghost]", t.ghost)
        };
        let loc = format!(
            "L{:<2} /{}:{}",
            hit.layer,
            a.path_string(hit.path),
            hit.line
        );
        let text = layerscope_core::secrets::shown(&hit.pieces, v.reveal);
        let room = w.saturating_sub(loc.chars().count() + tag.width() + 2);
        let spans = vec![
            Span::styled(loc, t.title),
            tag,
            Span::raw("  "),
            Span::raw(truncate(&text, room)),
        ];
        let style = if i == list.sel {
            t.selected
        } else {
            Style::default()
        };
        lines.push(pad(spans, w, style));
    }
    if s.hits.is_empty() {
        lines.push(Line::styled(
            if s.running {
                "searching…"
            } else {
                "no matches"
            },
            t.dim,
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

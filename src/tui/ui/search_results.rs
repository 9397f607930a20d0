//! The search results overlay: every hit with its layer, path and line, ghosts and overwritten
//! versions tagged.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::tui::app::{hit_groups, App, ListState};
use crate::tui::text::{clean, truncate};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, centered, pad};

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, list: ListState, t: &Theme) {
    let Some(v) = app.loaded() else { return };
    let a = v.analysis();
    let r = centered(area, 90, area.height.saturating_sub(2).max(3));
    f.render_widget(Clear, r);
    let s = &v.search;
    let groups = hit_groups(&s.hits);
    let title = format!(
        " Search {:?} · {} hits{}{} ",
        clean(&s.query),
        s.hits.len(),
        if groups.len() < s.hits.len() {
            format!(" in {} distinct lines", groups.len())
        } else {
            String::new()
        },
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
    for (i, group) in groups.iter().enumerate().skip(off).take(h) {
        let hit = &s.hits[group[0]];
        let cur = a.tree.state_at(hit.path, last);
        let live = cur.is_some_and(|c| c.layer as usize == hit.layer && c.entry == hit.entry);
        let tag = if live {
            Span::raw("")
        } else if cur.is_some_and(|c| c.present()) {
            Span::styled(" [overwritten]", t.modified)
        } else {
            Span::styled(" [ghost]", t.ghost)
        };
        // The other places with these bytes: their count and the first few.
        let more = if group.len() > 1 {
            let names: Vec<String> = group[1..]
                .iter()
                .take(3)
                .map(|&j| {
                    let o = &s.hits[j];
                    format!("L{} /{}", o.layer, clean(&a.path_string(o.path)))
                })
                .collect();
            let rest = group.len() - 1 - names.len();
            let tail = if rest > 0 {
                format!(", +{rest}")
            } else {
                String::new()
            };
            format!("  · same in {}{tail}", names.join(", "))
        } else {
            String::new()
        };
        let count = if group.len() > 1 {
            format!(" ×{}", group.len())
        } else {
            String::new()
        };
        let loc = format!(
            "L{:<2} /{}:{}{count}",
            hit.layer,
            clean(&a.path_string(hit.path)),
            hit.line
        );
        let text = layerscope_core::secrets::shown(&hit.pieces, v.reveal);
        let room = w.saturating_sub(loc.chars().count() + tag.width() + 2);
        // The snippet first; the other places take what is left, at most half.
        let more_w = more.chars().count().min(room / 2);
        let snippet = truncate(&text, room.saturating_sub(more_w));
        let left = room.saturating_sub(snippet.chars().count());
        let spans = vec![
            Span::styled(loc, t.title),
            tag,
            Span::raw("  "),
            Span::raw(snippet),
            Span::styled(truncate(&more, left), t.dim),
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

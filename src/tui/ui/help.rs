//! The help overlay: every binding of the keymap, by context, and what the tree marks mean.
//! Descriptions wrap under their key column, so nothing is cut on a narrow terminal.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::tui::app::Ui;
use crate::tui::text::{clean, wrap};
use crate::tui::theme::Theme;
use crate::tui::ui::layout;
use crate::tui::ui::widgets::{block, centered};

/// Where the overlay goes on the screen (inside the area above the status line).
fn rect(main: Rect) -> Rect {
    centered(main, 80, main.height.saturating_sub(2).max(3))
}

/// The overlay's lines for an inner width of `w` columns.
fn lines(ui: &Ui, w: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    // Keys take a third of a narrow overlay, 22 columns of a wide one.
    let kw = (w / 3).clamp(8, 22);
    let dw = w.saturating_sub(kw + 2);
    for (section, keys, desc) in ui.keymap.help_lines() {
        match section {
            Some(s) => {
                if !lines.is_empty() {
                    lines.push(Line::raw(""));
                }
                lines.push(Line::styled(s.to_string(), theme.title));
            }
            None => {
                let mut key_parts = wrap(&keys, kw).into_iter();
                let mut desc_parts = wrap(desc, dw).into_iter();
                loop {
                    let (k, d) = (key_parts.next(), desc_parts.next());
                    if k.is_none() && d.is_none() {
                        break;
                    }
                    let k = k.unwrap_or_default();
                    let pad = kw.saturating_sub(k.chars().count());
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {k}{}", " ".repeat(pad)), theme.key),
                        Span::raw(d.unwrap_or_default()),
                    ]));
                }
            }
        }
    }
    lines.push(Line::raw(""));
    let marks = "Tree marks: + added  ~ modified  - removed  † ghost (removed, bytes still in a lower layer)  ! finding  ◆ another version of this path has findings";
    for part in wrap(marks, w) {
        lines.push(Line::styled(part, theme.dim));
    }
    if let Some(p) = &ui.keys_file {
        let text = format!("Keys can be changed in {}", clean(&p.display().to_string()));
        for part in wrap(&text, w) {
            lines.push(Line::styled(part, theme.dim));
        }
    }
    lines
}

/// The furthest the help can scroll at this screen size: its last line at the bottom.
pub(crate) fn max_scroll(ui: &Ui, status_h: u16) -> usize {
    let areas = layout::compute(Rect::new(0, 0, ui.width, ui.height), None, status_h);
    let r = rect(areas.main);
    let inner_w = r.width.saturating_sub(2) as usize;
    let inner_h = r.height.saturating_sub(2) as usize;
    lines(ui, inner_w, &Theme::new(false))
        .len()
        .saturating_sub(inner_h)
}

pub(super) fn draw(f: &mut Frame, area: Rect, ui: &Ui, scroll: usize, theme: &Theme) {
    let r = rect(area);
    f.render_widget(Clear, r);
    let inner_w = r.width.saturating_sub(2) as usize;
    let inner_h = r.height.saturating_sub(2) as usize;
    let lines = lines(ui, inner_w, theme);
    let scroll = scroll.min(lines.len().saturating_sub(inner_h));
    f.render_widget(
        Paragraph::new(lines)
            .block(block(" Help · keys ", true, theme))
            .scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        r,
    );
}

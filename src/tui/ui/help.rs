//! The help overlay: every binding of the keymap, by context, and what the tree marks mean.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::tui::app::App;
use crate::tui::text::clean;
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, centered};

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, scroll: usize, theme: &Theme) {
    let r = centered(area, 80, area.height.saturating_sub(2).max(3));
    f.render_widget(Clear, r);
    let mut lines = Vec::new();
    for (section, keys, desc) in app.ui.keymap.help_lines() {
        match section {
            Some(s) => {
                if !lines.is_empty() {
                    lines.push(Line::raw(""));
                }
                lines.push(Line::styled(s.to_string(), theme.title));
            }
            None => lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<22}"), theme.key),
                Span::raw(desc.to_string()),
            ])),
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Tree marks: + added  ~ modified  - removed  † ghost (removed, bytes still in a lower layer)  ! finding",
        theme.dim,
    ));
    if let Some(p) = &app.ui.keys_file {
        lines.push(Line::styled(
            format!("Keys can be changed in {}", clean(&p.display().to_string())),
            theme.dim,
        ));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(block(" Help · keys ", true, theme))
            .scroll((scroll as u16, 0)),
        r,
    );
}

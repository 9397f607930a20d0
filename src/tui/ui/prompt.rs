//! The one-line text prompts (filter, search, export destination) and the overwrite question.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::action::ExportReq;
use crate::tui::app::PromptKind;
use crate::tui::keymap::{CONFIRM_NO, CONFIRM_YES, PROMPT_ACCEPT, PROMPT_CANCEL};
use crate::tui::text::{clean, width};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, centered};

pub(super) fn draw(f: &mut Frame, area: Rect, kind: PromptKind, text: &str, theme: &Theme) {
    let title = match kind {
        PromptKind::Filter => format!(
            " Filter paths (live; {} keeps, {} clears) ",
            PROMPT_ACCEPT.display(),
            PROMPT_CANCEL.display()
        ),
        PromptKind::Search => " Search file contents in every layer (ghosts too) ".into(),
        PromptKind::Export => " Export this file version to (a file or a directory) ".into(),
    };
    let r = centered(area, 70, 3);
    f.render_widget(Clear, r);
    let shown = clean(text);
    let w = r.width.saturating_sub(3) as usize;
    let tail: String = if width(&shown) > w {
        let skip = shown.chars().count().saturating_sub(w);
        shown.chars().skip(skip).collect()
    } else {
        shown
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(tail),
            Span::styled("▏", theme.key),
        ]))
        .block(block(title, true, theme)),
        r,
    );
}

pub(super) fn confirm(f: &mut Frame, area: Rect, req: &ExportReq, message: &str, theme: &Theme) {
    let r = centered(area, 70, 6);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(vec![
            Line::styled(clean(message), theme.warning),
            Line::raw(format!(
                "Overwrite {}?",
                clean(&req.dest.display().to_string())
            )),
            Line::from(vec![
                Span::styled(CONFIRM_YES[0].to_string(), theme.key),
                Span::raw(" overwrite   "),
                Span::styled(CONFIRM_NO[0].to_string(), theme.key),
                Span::raw(" keep it"),
            ]),
        ])
        .wrap(Wrap { trim: false })
        .block(block(" Export ", true, theme)),
        r,
    );
}

//! What every pane and overlay draws with: the context of a loaded image, the bordered block,
//! centring, and full-width selection rows.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::tui::app::{App, Loaded};
use crate::tui::pane::Pane;
use crate::tui::theme::Theme;

/// What a pane of a loaded image is drawn from.
pub(crate) struct DrawContext<'a> {
    pub(crate) app: &'a App,
    pub(crate) loaded: &'a Loaded,
    pub(crate) theme: &'a Theme,
}

impl DrawContext<'_> {
    pub(super) fn focused(&self, p: Pane) -> bool {
        self.app.ui.focus == p
    }
    pub(super) fn sel_style(&self, p: Pane) -> Style {
        if self.focused(p) {
            self.theme.selected
        } else {
            self.theme.selected_unfocused
        }
    }
}

/// A bordered pane with its title; the focused one stands out.
pub(super) fn block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let (bs, ts) = if focused {
        (theme.border_focus, theme.border_focus)
    } else {
        (theme.border, theme.title)
    };
    let mut title: Line = title.into();
    title = title.style(ts);
    // A thick frame marks the focus without colour (NO_COLOR keeps only modifiers).
    let kind = if focused {
        BorderType::Thick
    } else {
        BorderType::Plain
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(kind)
        .border_style(bs)
        .title(title)
}

pub(super) fn centered(area: Rect, pct_w: u16, h: u16) -> Rect {
    let w = (area.width as u32 * pct_w as u32 / 100).max(40.min(area.width as u32)) as u16;
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    )
}

/// Pads a line to `w` columns so a selection highlight covers the whole row.
pub(super) fn pad(mut spans: Vec<Span<'static>>, w: usize, style: Style) -> Line<'static> {
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if used < w {
        spans.push(Span::raw(" ".repeat(w - used)));
    }
    Line::from(spans).style(style)
}

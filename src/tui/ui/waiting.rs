//! The placeholder of a pane whose data is still loading (files beyond the partial tree, the
//! findings before the scan ends, previews): the pane's frame with what it waits for.

use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::action::Cmd;
use crate::tui::keymap::KeyContext;
use crate::tui::pane::Pane;
use crate::tui::ui::widgets::{block, DrawContext};

/// What `pane` waits for, when it does.
pub(super) fn text(c: &DrawContext, pane: Pane) -> Option<String> {
    let p = c.loaded.pending.as_ref()?;
    match pane {
        Pane::Tree if !p.tree_ready(c.loaded.layer, c.loaded.tree_opts.aggregated) => {
            let key = c
                .app
                .ui
                .keymap
                .hint(KeyContext::Tree, Cmd::ToggleAggregated);
            Some(p.tree_wait(c.loaded.layer, &key))
        }
        // With a scan, the findings so far are listed (the title says how far the scan is).
        Pane::Findings if !p.scan => Some(p.findings_wait()),
        Pane::Preview => Some(p.preview_wait()),
        _ => None,
    }
}

pub(super) fn draw(f: &mut Frame, r: Rect, c: &DrawContext, pane: Pane, text: String) {
    let title = match pane {
        Pane::Tree => " Files · loading ",
        Pane::Findings => " Findings · loading ",
        Pane::Preview => " Preview · loading ",
        _ => " loading ",
    };
    let b = block(title, c.focused(pane), c.theme);
    f.render_widget(
        Paragraph::new(text)
            .style(c.theme.dim)
            .wrap(Wrap { trim: true })
            .block(b),
        r,
    );
}

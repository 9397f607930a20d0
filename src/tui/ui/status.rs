//! The status line: the last message, the selected external finding's note, or the key hints
//! of where the user is (all from the keymap, so a rebinding shows).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::action::Cmd;
use crate::tui::app::{App, Overlay, Phase};
use crate::tui::keymap::{KeyContext, CONFIRM_NO, CONFIRM_YES, PROMPT_ACCEPT, PROMPT_CANCEL};
use crate::tui::pane::Pane;
use crate::tui::text::{clean, truncate, width};
use crate::tui::theme::Theme;

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some((m, err)) = &app.ui.message {
        let style = if *err { theme.error } else { theme.text };
        f.render_widget(
            Paragraph::new(wrap_status(&clean(m), area)).style(style),
            area,
        );
        return;
    }
    // Another scanner's finding selected: its note says where it is and whether we agree.
    if app.ui.focus == Pane::Findings && matches!(app.ui.overlay, Overlay::None) {
        if let Some(r) = app.loaded().and_then(|v| v.selected_external()) {
            let lines = wrap_status(&clean(&App::external_status(r)), area);
            f.render_widget(Paragraph::new(lines).style(theme.text), area);
            return;
        }
    }
    let km = &app.ui.keymap;
    let g = |c: Cmd| km.hint(KeyContext::Global, c);
    let hints: Vec<(String, &str)> = match (&app.phase, &app.ui.overlay) {
        (_, Overlay::Prompt { .. }) => vec![
            (PROMPT_ACCEPT.display(), "accept"),
            (PROMPT_CANCEL.display(), "cancel"),
        ],
        (_, Overlay::Confirm { .. }) => vec![
            (CONFIRM_YES[0].to_string(), "overwrite"),
            (CONFIRM_NO[0].to_string(), "keep"),
        ],
        // The results list takes the findings list's keys.
        (_, Overlay::Versions { .. }) => vec![
            (
                km.hint(KeyContext::Findings, Cmd::Open),
                "open this version",
            ),
            (km.hint(KeyContext::Findings, Cmd::Cancel), "close"),
        ],
        (_, Overlay::Results { .. }) => vec![
            (km.hint(KeyContext::Findings, Cmd::Open), "jump there"),
            (km.hint(KeyContext::Findings, Cmd::Cancel), "close"),
            (km.hint(KeyContext::Findings, Cmd::Search), "new search"),
        ],
        (_, Overlay::Packages(_)) => km.hints(KeyContext::Packages),
        (_, Overlay::Help { .. } | Overlay::Explain { .. } | Overlay::ExplainExternal { .. }) => {
            vec![
                (g(Cmd::Cancel), "close"),
                (
                    km.hint_group(KeyContext::Global, &[Cmd::Down, Cmd::Up]),
                    "scroll",
                ),
            ]
        }
        (Phase::Loading(_), _) => vec![(g(Cmd::Cancel), "cancel"), (g(Cmd::Quit), "quit")],
        (Phase::Failed(_), _) => vec![(g(Cmd::Quit), "quit")],
        (Phase::Ready(_), _) => km.hints(app.ui.focus.key_context()),
    };
    let mut spans = Vec::new();
    let mut used = 0usize;
    // A partial image: what is still loading comes before the key hints.
    if let Some(status) = app.pending_status() {
        let s = format!("{status}  ");
        used += width(&s);
        spans.push(Span::styled(s, theme.dim));
    }
    for (k, d) in hints {
        let w = width(&k) + width(d) + 3;
        if used + w > area.width as usize {
            break;
        }
        spans.push(Span::styled(k, theme.key));
        spans.push(Span::raw(format!(" {d}  ")));
        used += w;
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Text over the status area's lines, broken at spaces, the last line cut with an ellipsis.
fn wrap_status(text: &str, area: Rect) -> Vec<Line<'static>> {
    let w = (area.width as usize).max(1);
    let mut lines = Vec::new();
    let mut rest: &str = text;
    for i in 0..area.height as usize {
        if rest.is_empty() {
            break;
        }
        if i + 1 == area.height as usize {
            lines.push(Line::raw(truncate(rest, w)));
            break;
        }
        let cut = rest.char_indices().nth(w).map_or(rest.len(), |(b, _)| b);
        let brk = if cut < rest.len() {
            rest[..cut].rfind(' ').map_or(cut, |b| b + 1)
        } else {
            cut
        };
        lines.push(Line::raw(rest[..brk].trim_end().to_string()));
        rest = &rest[brk..];
    }
    lines
}

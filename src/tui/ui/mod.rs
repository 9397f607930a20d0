//! Drawing. Every function here reads the state and writes to the frame; none changes state or
//! does I/O. Text from the image has already been cleaned (see `text::clean`) or is cleaned here.

pub mod layout;
pub mod packages;
mod panes;
mod preview;
mod tree;

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::action::Progress;
use crate::tui::app::{App, Overlay, Pane, Phase, PromptKind};
use crate::tui::text::{clean, human, truncate, width};
use crate::tui::theme::Theme;

/// Draws one frame.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    let areas =
        layout::compute_with_status(area, app.zoom.then_some(app.focus), app.status_height());
    match &app.phase {
        Phase::Loading(p) => loading(f, areas.main, app, p, theme),
        Phase::Failed(e) => failed(f, areas.main, app, e, theme),
        Phase::Ready(v) => {
            let ctx = panes::Ctx { app, v, theme };
            for pane in Pane::ORDER {
                let r = areas.get(pane);
                if r.width < 3 || r.height < 2 {
                    continue;
                }
                match pane {
                    Pane::History => panes::history(f, r, &ctx),
                    Pane::Layer => panes::layer_details(f, r, &ctx),
                    Pane::Image => panes::image_details(f, r, &ctx),
                    Pane::Findings => panes::findings(f, r, &ctx),
                    Pane::Tree => tree::draw(f, r, &ctx),
                    Pane::Preview => preview::draw(f, r, &ctx),
                }
            }
        }
    }
    status(f, areas.status, app, theme);
    overlay(f, areas.main, app, theme);
}

/// A bordered pane with its title; the focused one stands out.
pub(crate) fn block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let (bs, ts) = if focused {
        (theme.border_focus, theme.border_focus)
    } else {
        (theme.border, theme.title)
    };
    let mut title: Line = title.into();
    title = title.style(ts);
    Block::default()
        .borders(Borders::ALL)
        .border_style(bs)
        .title(title)
}

fn loading(f: &mut Frame, area: Rect, app: &App, p: &Progress, theme: &Theme) {
    let r = centered(area, 70, 7);
    f.render_widget(Clear, r);
    let b = block(" layerscope · loading ", true, theme);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let [l1, l2, l3, l4] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1); 4])
        .areas(inner);
    let name = truncate(&clean(&app.source_name), inner.width as usize);
    f.render_widget(Paragraph::new(format!("Opening {name}")), l1);
    let ratio = if p.compressed_total > 0 {
        (p.compressed_read as f64 / p.compressed_total as f64).clamp(0.0, 1.0)
    } else {
        0.0
    };
    if p.compressed_total == 0 && p.fetched > 0 {
        let label = format!(
            "fetching from the daemon: {} / {}",
            human(p.fetched),
            if p.fetch_total > 0 {
                human(p.fetch_total)
            } else {
                "?".into()
            }
        );
        let ratio = if p.fetch_total > 0 {
            (p.fetched as f64 / p.fetch_total as f64).clamp(0.0, 1.0)
        } else {
            0.0
        };
        f.render_widget(
            Gauge::default()
                .gauge_style(theme.gauge)
                .ratio(ratio)
                .label(label),
            l2,
        );
        return;
    }
    let total = if p.compressed_total > 0 {
        human(p.compressed_total)
    } else {
        "?".into()
    };
    let label = format!(
        "{} / {} read · layers {}/{}",
        human(p.compressed_read),
        total,
        p.layers_done,
        if p.layers_total > 0 {
            p.layers_total.to_string()
        } else {
            "?".into()
        }
    );
    f.render_widget(
        Gauge::default()
            .gauge_style(theme.gauge)
            .ratio(ratio)
            .label(label),
        l2,
    );
    f.render_widget(
        Paragraph::new(format!(
            "{} entries indexed · {} uncompressed",
            p.entries,
            human(p.uncompressed_read)
        ))
        .style(theme.dim),
        l3,
    );
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("Esc", theme.key),
            Span::raw(" cancel"),
        ])),
        l4,
    );
}

fn failed(f: &mut Frame, area: Rect, app: &App, e: &str, theme: &Theme) {
    let r = centered(area, 76, 9);
    f.render_widget(Clear, r);
    let b = block(" layerscope · error ", true, theme);
    let text = vec![
        Line::styled(
            format!("Could not open {}", clean(&app.source_name)),
            theme.title,
        ),
        Line::raw(""),
        Line::styled(clean(e), theme.error),
        Line::raw(""),
        Line::from(vec![Span::styled("q", theme.key), Span::raw(" quit")]),
    ];
    f.render_widget(Paragraph::new(text).block(b).wrap(Wrap { trim: false }), r);
}

fn status(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some((m, err)) = &app.message {
        let style = if *err { theme.error } else { theme.text };
        f.render_widget(
            Paragraph::new(wrap_status(&clean(m), area)).style(style),
            area,
        );
        return;
    }
    // Another scanner's finding selected: its note says where it is and whether we agree.
    if app.focus == Pane::Findings && matches!(app.overlay, Overlay::None) {
        if let Some(r) = app.view().and_then(|v| v.selected_external()) {
            let lines = wrap_status(&clean(&App::external_status(r)), area);
            f.render_widget(Paragraph::new(lines).style(theme.text), area);
            return;
        }
    }
    let hints: Vec<(String, &str)> = match (&app.phase, &app.overlay) {
        (_, Overlay::Prompt { .. }) => vec![("Enter".into(), "accept"), ("Esc".into(), "cancel")],
        (_, Overlay::Confirm { .. }) => vec![("y".into(), "overwrite"), ("n".into(), "keep")],
        (_, Overlay::Results { .. }) => vec![
            ("Enter".into(), "jump there"),
            ("Esc".into(), "close"),
            ("s".into(), "new search"),
        ],
        (_, Overlay::Help { .. } | Overlay::Explain { .. } | Overlay::ExplainExternal { .. }) => {
            vec![("Esc".into(), "close"), ("j/k".into(), "scroll")]
        }
        (Phase::Loading(_), _) => vec![("Esc".into(), "cancel"), ("q".into(), "quit")],
        (Phase::Failed(_), _) => vec![("q".into(), "quit")],
        (Phase::Ready(_), _) => app.keymap.hints(app.focus.ctx()),
    };
    let mut spans = Vec::new();
    let mut used = 0usize;
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

pub(crate) fn centered(area: Rect, pct_w: u16, h: u16) -> Rect {
    let w = (area.width as u32 * pct_w as u32 / 100).max(40.min(area.width as u32)) as u16;
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    )
}

fn overlay(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => {
            let r = centered(area, 80, area.height.saturating_sub(2).max(3));
            f.render_widget(Clear, r);
            let mut lines = Vec::new();
            for (section, keys, desc) in app.keymap.help_lines() {
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
            if let Some(p) = crate::tui::keymap::Keymap::config_path() {
                lines.push(Line::styled(
                    format!("Keys can be changed in {}", clean(&p.display().to_string())),
                    theme.dim,
                ));
            }
            f.render_widget(
                Paragraph::new(lines)
                    .block(block(" Help · keys ", true, theme))
                    .scroll((*scroll as u16, 0)),
                r,
            );
        }
        Overlay::Prompt { kind, text } => {
            let title = match kind {
                PromptKind::Filter => " Filter paths (live; Enter keeps, Esc clears) ",
                PromptKind::Search => " Search file contents in every layer (ghosts too) ",
                PromptKind::Export => " Export this file version to (a file or a directory) ",
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
        Overlay::Confirm { req, message } => {
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
                        Span::styled("y", theme.key),
                        Span::raw(" overwrite   "),
                        Span::styled("n", theme.key),
                        Span::raw(" keep it"),
                    ]),
                ])
                .wrap(Wrap { trim: false })
                .block(block(" Export ", true, theme)),
                r,
            );
        }
        Overlay::Results { list } => panes::results(f, area, app, *list, theme),
        Overlay::Explain { finding, scroll } => {
            panes::explain(f, area, app, *finding, *scroll, theme)
        }
        Overlay::ExplainExternal { index, scroll } => {
            panes::explain_external(f, area, app, *index, *scroll, theme)
        }
    }
}

/// Pads a line to `w` columns so a selection highlight covers the whole row.
pub(crate) fn pad(mut spans: Vec<Span<'static>>, w: usize, style: Style) -> Line<'static> {
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if used < w {
        spans.push(Span::raw(" ".repeat(w - used)));
    }
    Line::from(spans).style(style)
}

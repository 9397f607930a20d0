//! The loading screen (progress of the pass, or of the daemon transfer) and the error screen.

use std::sync::atomic::{AtomicU64, Ordering};

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Gauge, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::action::Cmd;
use crate::tui::app::{App, Loading};
use crate::tui::keymap::KeyContext;
use crate::tui::text::{clean, human, truncate};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, centered};

pub(super) fn loading(f: &mut Frame, area: Rect, app: &App, p: &Loading, theme: &Theme) {
    // Live counters: a relaxed read of what the load worker has counted so far.
    let get = |n: &AtomicU64| n.load(Ordering::Relaxed);
    let read = get(&p.pass.compressed_read);
    let uncompressed = get(&p.pass.uncompressed_read);
    let entries = get(&p.pass.entries);
    let layers_done = get(&p.pass.layers_done);
    let fetched = get(&p.fetch.done);
    let fetch_total = get(&p.fetch.total);
    let r = centered(area, 70, 7);
    f.render_widget(Clear, r);
    let b = block(" layerscope · loading ", true, theme);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let [l1, l2, l3, l4] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1); 4])
        .areas(inner);
    let name = truncate(&clean(&app.ui.source_name), inner.width as usize);
    f.render_widget(Paragraph::new(format!("Opening {name}")), l1);
    let ratio = if p.compressed_total > 0 {
        (read as f64 / p.compressed_total as f64).clamp(0.0, 1.0)
    } else {
        0.0
    };
    if p.compressed_total == 0 && fetched > 0 {
        let label = format!(
            "fetching from the daemon: {} / {}",
            human(fetched),
            if fetch_total > 0 {
                human(fetch_total)
            } else {
                "?".into()
            }
        );
        let ratio = if fetch_total > 0 {
            (fetched as f64 / fetch_total as f64).clamp(0.0, 1.0)
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
        human(read),
        total,
        layers_done,
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
            entries,
            human(uncompressed)
        ))
        .style(theme.dim),
        l3,
    );
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                app.ui.keymap.hint(KeyContext::Global, Cmd::Cancel),
                theme.key,
            ),
            Span::raw(" cancel"),
        ])),
        l4,
    );
}

pub(super) fn failed(f: &mut Frame, area: Rect, app: &App, e: &str, theme: &Theme) {
    let r = centered(area, 76, 9);
    f.render_widget(Clear, r);
    let b = block(" layerscope · error ", true, theme);
    let text = vec![
        Line::styled(
            format!("Could not open {}", clean(&app.ui.source_name)),
            theme.title,
        ),
        Line::raw(""),
        Line::styled(clean(e), theme.error),
        Line::raw(""),
        Line::from(vec![
            Span::styled(app.ui.keymap.hint(KeyContext::Global, Cmd::Quit), theme.key),
            Span::raw(" quit"),
        ]),
    ];
    f.render_widget(Paragraph::new(text).block(b).wrap(Wrap { trim: false }), r);
}

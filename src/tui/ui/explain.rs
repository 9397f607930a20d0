//! The explain overlays: one of our findings (why it matters, how to fix it), or another
//! scanner's (what it says, where it is here, whether layerscope agrees).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use layerscope_core::image::short_created_by;

use crate::tui::action::Cmd;
use crate::tui::app::App;
use crate::tui::keymap::KeyContext;
use crate::tui::text::clean;
use crate::tui::theme::Theme;
use crate::tui::ui::findings::{agreement_style, external_place, finding_place, sev_label};
use crate::tui::ui::widgets::{block, centered};

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, finding: usize, scroll: usize, t: &Theme) {
    let Some(v) = app.loaded() else { return };
    let a = v.analysis();
    let Some(fd) = a.findings.get(finding) else {
        return;
    };
    let r = centered(area, 84, area.height.saturating_sub(2).max(3));
    f.render_widget(Clear, r);
    let kv = |k: &str, val: String| -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{k}: "), t.title),
            Span::raw(val),
        ])
    };
    let step = |layer: usize| -> String {
        a.layers
            .get(layer)
            .and_then(|l| l.history)
            .and_then(|h| a.history.get(h))
            .and_then(|h| h.created_by.as_deref())
            .map(|c| short_created_by(a.display_text(c, v.reveal)))
            .unwrap_or_else(|| format!("layer {layer}"))
    };
    let mut lines = vec![
        Line::from(vec![
            sev_label(fd.severity, t),
            Span::raw(" "),
            Span::styled(clean(&fd.title), t.title),
            Span::styled(format!("  ({})", clean(&fd.rule)), t.dim),
        ]),
        kv(
            "Status",
            format!(
                "{} · confidence {}",
                fd.status.name(),
                fd.confidence.as_str()
            ),
        ),
        kv("Where", finding_place(a, fd)),
    ];
    if let Some(l) = fd.layer {
        let n = a.layers.get(l).and_then(|x| x.history);
        let made = match n {
            Some(h) => format!("step {h}, layer L{l}: `{}`", step(l)),
            None => format!("layer L{l}: `{}`", step(l)),
        };
        lines.push(kv("Made by", made));
    }
    let secret = if v.reveal {
        Span::styled(clean(&fd.secret), t.secret_revealed)
    } else {
        Span::styled(clean(&fd.masked), t.secret)
    };
    lines.push(Line::from(vec![Span::styled("Secret: ", t.title), secret]));
    // Every place of this secret: the findings pane shows them as one row.
    let members = v.model.same.get(finding).map_or(&[][..], |m| &m[..]);
    if members.len() > 1 {
        lines.push(kv("Same secret", format!("{} places", members.len())));
        for &i in members {
            if let Some(g) = a.findings.get(i) {
                lines.push(Line::raw(format!(
                    "  {} · {}",
                    finding_place(a, g),
                    g.status.name()
                )));
            }
        }
    }
    lines.push(kv("Fingerprint", clean(&fd.fingerprint)));
    lines.push(Line::raw(""));
    if let Some(d) = app.ui.rules.get(&*fd.rule).filter(|d| !d.is_empty()) {
        lines.push(Line::styled("What this rule finds", t.title));
        lines.push(Line::raw(clean(d)));
        lines.push(Line::raw(""));
    }
    let ex = layerscope_core::explain::explain(a, fd);
    let why = clean(&ex.why);
    let fix = format!("{} {}", clean(&ex.rotate), clean(&ex.fix));
    lines.push(Line::styled("Why it matters", t.title));
    lines.push(Line::raw(why));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Fix", t.title));
    lines.push(Line::raw(fix));
    f.render_widget(
        Paragraph::new(lines)
            .block(block(" Finding ", true, t))
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        r,
    );
}

/// Details of another scanner's finding: what it says, where it is in this image, whether
/// layerscope agrees.
pub(super) fn draw_external(
    f: &mut Frame,
    area: Rect,
    app: &App,
    index: usize,
    scroll: usize,
    t: &Theme,
) {
    let Some(v) = app.loaded() else { return };
    let a = v.analysis();
    let Some(r) = v.external.get(index) else {
        return;
    };
    let rect = centered(area, 84, area.height.saturating_sub(2).max(3));
    f.render_widget(Clear, rect);
    let kv = |k: &str, val: String| -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{k}: "), t.title),
            Span::raw(val),
        ])
    };
    let e = &r.ext;
    let mut head = vec![Span::styled(format!("[{}] ", clean(&e.tool)), t.title)];
    if let Some(s) = e.severity {
        head.push(sev_label(s, t));
        head.push(Span::raw(" "));
    }
    head.push(Span::styled(clean(&e.title), t.title));
    head.push(Span::styled(format!("  ({})", clean(&e.rule)), t.dim));
    let mut lines = vec![
        Line::from(head),
        kv("Where", external_place(a, r)),
        Line::from(vec![
            Span::styled("Agreement: ", t.title),
            Span::styled(r.tag().to_string(), agreement_style(r, t)),
        ]),
    ];
    if let Some(l) = r.stated_layer {
        lines.push(kv("Report's layer", format!("layer {l}")));
    } else if let Some(d) = e.layer_diff_id.as_ref().or(e.layer_digest.as_ref()) {
        lines.push(kv(
            "Report's layer",
            format!("{} (not in this image)", clean(d)),
        ));
    }
    if let Some(s) = e.shown_snippet(v.reveal) {
        let st = if v.reveal {
            t.secret_revealed
        } else {
            t.secret
        };
        lines.push(Line::from(vec![
            Span::styled("Match: ", t.title),
            Span::styled(clean(&s), st),
        ]));
    }
    if let Some(val) = &e.validation {
        lines.push(kv("Validation", clean(val)));
    }
    for &i in &r.own {
        if let Some(fd) = a.findings.get(i) {
            lines.push(kv(
                "layerscope",
                format!(
                    "{} ({}) {}",
                    clean(&fd.title),
                    clean(&fd.rule),
                    finding_place(a, fd)
                ),
            ));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(clean(&r.note)));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "{} in the findings list opens the file version.",
            app.ui.keymap.hint(KeyContext::Findings, Cmd::Open)
        ),
        t.dim,
    ));
    f.render_widget(
        Paragraph::new(lines)
            .block(block(" Finding from a report ", true, t))
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        rect,
    );
}

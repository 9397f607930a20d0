//! The preview pane: text with line numbers and secrets (masked until revealed), hex for binary
//! files, a coloured unified diff, and the ghost banner.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::pane::Pane;
use crate::tui::preview::{Body, DiffKind};
use crate::tui::text::{clean, human, truncate, wrap};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, DrawContext};
use layerscope_core::secrets::Piece;

pub(crate) fn draw(f: &mut Frame, r: Rect, c: &DrawContext) {
    let v = c.loaded;
    let t = c.theme;
    let focused = c.app.ui.focus == Pane::Preview;
    let Some(doc) = &v.preview.doc else {
        f.render_widget(
            Paragraph::new("select a file to see it here")
                .style(t.dim)
                .block(block(" Preview ", focused, t)),
            r,
        );
        return;
    };
    let mode = if v.preview.diff { " · diff" } else { "" };
    let title = format!(
        " {}{mode} ",
        truncate(&doc.title, r.width.saturating_sub(12) as usize)
    );
    let b = block(title, focused, t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let mut area = inner;
    if !doc.banner.is_empty() {
        // Wrapped here, so the rows reserved are the rows the banner takes.
        let lines: Vec<Line> = doc
            .banner
            .iter()
            .flat_map(|s| wrap(&clean(s), area.width as usize))
            .map(|s| Line::styled(s, t.banner))
            .collect();
        let need = (lines.len() as u16).min(area.height / 2 + 1);
        let br = Rect::new(area.x, area.y, area.width, need);
        f.render_widget(Paragraph::new(lines), br);
        area.y += need;
        area.height = area.height.saturating_sub(need);
    }
    let area = super::packages::preview_header(f, area, c, doc);
    let h = area.height as usize;
    let hs = v.preview.hscroll;
    let scroll = v.preview.scroll;
    let lines: Vec<Line> = match &doc.body {
        Body::Loading => vec![Line::styled("loading…", t.dim)],
        Body::Message(m) => vec![Line::raw(clean(m))],
        Body::Error(e) => vec![Line::styled(format!("error: {}", clean(e)), t.error)],
        Body::Text {
            lines,
            start,
            end,
            size,
        } => {
            let nw = lines.last().map_or(1, |l| l.no.to_string().len());
            let mut out: Vec<Line> = Vec::with_capacity(h);
            for (i, l) in lines.iter().enumerate().skip(scroll).take(h) {
                let hl = doc.target_line == Some(i);
                let mut spans = vec![Span::styled(
                    format!("{:>nw$} │ ", l.no),
                    if hl { t.match_hl } else { t.line_no },
                )];
                spans.extend(pieces(&l.pieces, hs, v.reveal, t.text, t));
                out.push(Line::from(spans));
            }
            if end < size && out.len() < h {
                out.push(Line::styled(
                    format!(
                        "── bytes {}–{} of {}; ] for the next part ──",
                        start,
                        end,
                        human(*size)
                    ),
                    t.dim,
                ));
            }
            out
        }
        Body::Hex {
            bytes,
            start,
            size,
            hidden,
        } => {
            let mut out: Vec<Line> = Vec::with_capacity(h);
            for (i, chunk) in bytes.chunks(16).enumerate().skip(scroll).take(h) {
                let off = start + (i * 16) as u64;
                let secret = |j: usize| {
                    let at = off + j as u64;
                    !v.reveal && hidden.iter().any(|r| r.contains(&at))
                };
                let mut hex = String::with_capacity(50);
                for (j, b) in chunk.iter().enumerate() {
                    if j == 8 {
                        hex.push(' ');
                    }
                    if secret(j) {
                        hex.push_str("•• ");
                    } else {
                        hex.push_str(&format!("{b:02x} "));
                    }
                }
                let ascii: String = chunk
                    .iter()
                    .enumerate()
                    .map(|(j, &b)| {
                        if secret(j) {
                            '•'
                        } else if (0x20..0x7f).contains(&b) {
                            b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                out.push(Line::from(vec![
                    Span::styled(format!("{off:08x}  "), t.line_no),
                    Span::raw(format!("{hex:<49}")),
                    Span::styled(format!("|{ascii}|"), t.dim),
                ]));
            }
            let end = start + bytes.len() as u64;
            if end < *size && out.len() < h {
                out.push(Line::styled(
                    format!(
                        "── binary: bytes {start}–{end} of {}; ] for more ──",
                        human(*size)
                    ),
                    t.dim,
                ));
            }
            out
        }
        Body::Diff { lines } => lines
            .iter()
            .skip(scroll)
            .take(h)
            .map(|l| {
                let (prefix, style) = match l.kind {
                    DiffKind::Header => ("", t.diff_header),
                    DiffKind::Hunk => ("", t.diff_hunk),
                    DiffKind::Context => (" ", Style::default()),
                    DiffKind::Added => ("+", t.diff_add),
                    DiffKind::Removed => ("-", t.diff_del),
                };
                let mut spans = vec![Span::styled(prefix, style)];
                spans.extend(pieces(&l.pieces, hs, v.reveal, style, t));
                Line::from(spans)
            })
            .collect(),
    };
    f.render_widget(Paragraph::new(lines), area);
}

/// A line's pieces as spans, scrolled `skip` characters to the right. The scroll counts what is
/// shown (a secret's mask, not its text), so no scroll position reveals a piece of a secret.
fn pieces(
    ps: &[Piece],
    mut skip: usize,
    reveal: bool,
    plain: Style,
    t: &Theme,
) -> Vec<Span<'static>> {
    let mut out = Vec::with_capacity(ps.len());
    for p in ps {
        let style = match (&p.secret, reveal) {
            (None, _) => plain,
            (Some(_), false) => t.secret,
            (Some(_), true) => t.secret_revealed,
        };
        let text = p.shown(reveal);
        let n = text.chars().count();
        if skip >= n {
            skip -= n;
            continue;
        }
        out.push(Span::styled(
            text.chars().skip(skip).collect::<String>(),
            style,
        ));
        skip = 0;
    }
    out
}

//! The image details pane: format, size, efficiency, findings summary, config, warnings.
//! Lines are wrapped here (not by the paragraph) so that a row number means the same to the
//! drawing and to `row_of`, which finds where a config finding's item is to scroll to it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use layerscope_core::findings::FindingSource;

use crate::tui::app::Loaded;
use crate::tui::pane::Pane;
use crate::tui::text::{clean, human, width};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, DrawContext};

/// The row (after wrapping to `width` columns) where the config item a finding names is: its
/// `Env:`/`Labels:` heading, or the `Cmd`/`Entrypoint` line.
pub(crate) fn row_of(v: &Loaded, width: u16, source: FindingSource) -> Option<usize> {
    let t = Theme::new(false);
    let (lines, anchors) = lines(v, &t);
    let want = match source {
        FindingSource::Env => anchors.env?,
        FindingSource::Label => anchors.labels?,
        FindingSource::Config => anchors.config?,
        _ => return None,
    };
    let w = width.max(1) as usize;
    Some(lines[..want].iter().map(|l| hard_wrap(l, w).len()).sum())
}

/// Where the config sections start, as indices into the unwrapped lines.
#[derive(Default)]
struct Anchors {
    env: Option<usize>,
    labels: Option<usize>,
    config: Option<usize>,
}

/// Cuts a line into rows of at most `w` columns, at a space where there is one (a word longer
/// than a row is split), keeping each piece's style.
fn hard_wrap(line: &Line<'static>, w: usize) -> Vec<Line<'static>> {
    let cells: Vec<(char, ratatui::style::Style)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    let cw = |c: char| width(c.encode_utf8(&mut [0; 4]));
    let mut rows: Vec<&[(char, ratatui::style::Style)]> = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let mut used = 0;
        let mut end = start;
        let mut last_space = None;
        while end < cells.len() && (used + cw(cells[end].0) <= w || end == start) {
            if cells[end].0 == ' ' {
                last_space = Some(end);
            }
            used += cw(cells[end].0);
            end += 1;
        }
        if end < cells.len() {
            if let Some(sp) = last_space.filter(|&sp| sp > start) {
                end = sp + 1;
            }
        }
        rows.push(&cells[start..end]);
        start = end;
    }
    if rows.is_empty() {
        return vec![Line::from(Vec::<Span>::new()).style(line.style)];
    }
    rows.into_iter()
        .map(|row| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for &(c, st) in row {
                match spans.last_mut() {
                    Some(last) if last.style == st => last.content.to_mut().push(c),
                    _ => spans.push(Span::styled(c.to_string(), st)),
                }
            }
            Line::from(spans).style(line.style)
        })
        .collect()
}

pub(super) fn draw(f: &mut Frame, r: Rect, c: &DrawContext) {
    let v = c.loaded;
    let t = c.theme;
    let b = block(" Image ", c.focused(Pane::Image), t);
    let w = b.inner(r).width.max(1) as usize;
    let rows: Vec<Line> = lines(v, t).0.iter().flat_map(|l| hard_wrap(l, w)).collect();
    f.render_widget(
        Paragraph::new(rows)
            .block(b)
            .scroll((v.image_scroll.min(u16::MAX as usize) as u16, 0)),
        r,
    );
}

fn lines(v: &Loaded, t: &Theme) -> (Vec<Line<'static>>, Anchors) {
    let a = v.analysis();
    let mut anchors = Anchors::default();
    let e = &a.efficiency;
    let kv = |k: &str, val: String| -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{k}: "), t.title),
            Span::raw(val),
        ])
    };
    // Opened without an argument: say so, and how to open one's own image.
    let demo = a
        .source
        .container
        .display()
        .ends_with("assets/demo/demo.tar");
    let mut lines: Vec<Line> = vec![
        if demo {
            Line::from(vec![
                Span::styled("Demo image ", t.title),
                Span::raw(format!(
                    "{} (every classic leak; open yours: layerscope IMAGE)",
                    clean(&a.source.image.reference)
                )),
            ])
        } else {
            kv("Image", clean(&a.source.image.reference))
        },
        kv(
            "Format",
            format!(
                "{} · {}/{}",
                a.format().name(),
                clean(&a.config.os),
                clean(&a.config.architecture)
            ),
        ),
        kv("Total size", human(a.total_size())),
        kv(
            "Efficiency",
            format!(
                "{:.1} % · wasted {}",
                e.score * 100.0,
                human(e.wasted_bytes)
            ),
        ),
    ];
    // A partial image: sizes, waste and findings are not known yet.
    if let Some(p) = &v.pending {
        let stored: u64 = a.layers.iter().map(|l| l.compressed_size).sum();
        lines.truncate(2);
        lines.push(kv("Stored size", human(stored)));
        lines.push(kv("Loading", p.status()));
    } else {
        lines.extend(super::findings::summary(a, t));
    }
    if !e.wasted.is_empty() {
        lines.push(Line::styled("Largest wasted paths:", t.title));
        for w in e.wasted.iter().take(8) {
            lines.push(Line::raw(format!(
                "  {:>8} ×{} /{}",
                human(w.bytes),
                w.versions,
                a.path_string(w.path)
            )));
        }
    }
    if !a.config.env.is_empty() {
        anchors.env = Some(lines.len());
        lines.push(Line::styled("Env:", t.title));
        for env in &a.config.env {
            lines.push(Line::raw(format!(
                "  {}",
                clean(a.display_text(env, v.reveal))
            )));
        }
    }
    if !a.config.labels.is_empty() {
        anchors.labels = Some(lines.len());
        lines.push(Line::styled("Labels:", t.title));
        for (k, val) in &a.config.labels {
            lines.push(Line::raw(format!(
                "  {}={}",
                clean(k),
                clean(a.display_text(val, v.reveal))
            )));
        }
    }
    for (k, val) in [
        (
            "Entrypoint",
            a.config.entrypoint.as_ref().map(|x| x.join(" ")),
        ),
        ("Cmd", a.config.cmd.as_ref().map(|x| x.join(" "))),
        ("User", a.config.user.clone()),
        ("Workdir", a.config.working_dir.clone()),
    ] {
        if let Some(val) = val {
            if anchors.config.is_none() {
                anchors.config = Some(lines.len());
            }
            lines.push(kv(k, clean(a.display_text(&val, v.reveal))));
        }
    }
    if !a.warnings.is_empty() {
        lines.push(Line::styled(
            format!("Warnings ({}):", a.warnings.len()),
            t.warning,
        ));
        for w in &a.warnings {
            lines.push(Line::raw(format!("  {}: {}", w.code, clean(&w.message))));
        }
    }
    (lines, anchors)
}

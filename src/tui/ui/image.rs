//! The image details pane: format, size, efficiency, findings summary, config, warnings.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::pane::Pane;
use crate::tui::text::{clean, human};
use crate::tui::ui::widgets::{block, DrawContext};

pub(super) fn draw(f: &mut Frame, r: Rect, c: &DrawContext) {
    let v = c.loaded;
    let a = v.analysis();
    let t = c.theme;
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
        lines.extend(super::findings::summary(c));
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
        lines.push(Line::styled("Env:", t.title));
        for env in &a.config.env {
            lines.push(Line::raw(format!("  {}", env_shown(c, env))));
        }
    }
    if !a.config.labels.is_empty() {
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
    f.render_widget(
        Paragraph::new(lines)
            .block(block(" Image ", c.focused(Pane::Image), t))
            .wrap(Wrap { trim: false })
            .scroll((v.image_scroll.min(u16::MAX as usize) as u16, 0)),
        r,
    );
}

fn env_shown(c: &DrawContext, env: &str) -> String {
    clean(c.loaded.analysis().display_text(env, c.loaded.reveal))
}

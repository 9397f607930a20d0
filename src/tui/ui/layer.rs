//! The layer details pane: the selected layer (or metadata step), its changes, sizes, digests.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::pane::Pane;
use crate::tui::text::{clean, human};
use crate::tui::ui::widgets::{block, DrawContext};

/// A size that wrapping cannot split between number and unit (`2.0 MB`, not `2.0 / MB`).
fn size(n: u64) -> String {
    human(n).replace(' ', "\u{a0}")
}

pub(super) fn draw(f: &mut Frame, r: Rect, c: &DrawContext) {
    let v = c.loaded;
    let a = v.analysis();
    let t = c.theme;
    let vis = v.visible_hist();
    let row = vis.get(v.history.sel).map(|&i| &v.model.history_rows[i]);
    let mut lines: Vec<Line> = Vec::new();
    let kv = |k: &str, val: String| -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{k}: "), t.title),
            Span::raw(val),
        ])
    };
    if let Some(row) = row {
        if row.layer.is_none() {
            if let Some(h) = row.history.and_then(|i| a.history.get(i)) {
                lines.push(Line::styled(
                    "Metadata step (no layer); the files shown are those of the layer below",
                    t.dim,
                ));
                lines.push(kv(
                    "Command",
                    clean(a.display_text(h.created_by.as_deref().unwrap_or("(none)"), v.reveal)),
                ));
                if let Some(cr) = &h.created {
                    lines.push(kv("Created", clean(cr)));
                }
                lines.push(Line::raw(""));
            }
        }
    }
    if let Some(l) = a.layers.get(v.layer) {
        let h = l.history.and_then(|i| a.history.get(i));
        // The History pane's numbers (L column, STEP column).
        let step = l
            .history
            .map(|s| format!(" · step {s}"))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("Layer L{}{step}  ", l.index), t.title),
            Span::styled(format!("+{} ", l.added), t.added),
            Span::styled(format!("~{} ", l.modified), t.modified),
            Span::styled(format!("-{} ", l.removed), t.removed),
            Span::raw(format!(" {}", size(l.size))),
        ]));
        match &v.pending {
            Some(p) if p.provisional(l.index) => {
                lines.push(Line::styled(p.provisional_note(l.index), t.dim))
            }
            Some(p) if !p.tree_ready(l.index, true) => lines.push(Line::styled(
                "not in the tree yet: its changes and size come once it and the layers below it are indexed",
                t.dim,
            )),
            _ => {}
        }
        if l.digest_mismatch() {
            lines.push(Line::styled(
                format!(
                    "⚠ digest mismatch: content hashes to {}, config says {}",
                    clean(l.computed_diff_id.as_deref().unwrap_or("")),
                    clean(&l.diff_id)
                ),
                t.warning,
            ));
        }
        let arriving = l.member.as_deref().is_some_and(|m| {
            a.source
                .container
                .arrivals()
                .is_some_and(|x| x.is_waiting(m))
        });
        if arriving {
            lines.push(Line::styled(
                "Blob: not here yet (still downloading, or streaming from the daemon)",
                t.dim,
            ));
        } else if l.member.is_none() {
            lines.push(Line::styled(
                "⚠ blob not in the archive (non-distributable); contents unknown",
                t.warning,
            ));
        }
        if let Some(h) = h {
            lines.push(kv(
                "Command",
                clean(a.display_text(h.created_by.as_deref().unwrap_or("(none)"), v.reveal)),
            ));
            if let Some(cr) = &h.created {
                lines.push(kv("Created", clean(cr)));
            }
            if let Some(cm) = h.comment.as_deref().filter(|s| !s.is_empty()) {
                lines.push(kv("Comment", clean(cm)));
            }
        }
        lines.push(Line::from(vec![
            Span::styled("Changes: ", t.title),
            Span::raw(format!(
                "{} added, {} modified, {} removed",
                l.added, l.modified, l.removed
            )),
        ]));
        lines.push(kv(
            "Size",
            format!(
                "{} uncompressed, {} compressed{}",
                size(l.size),
                size(l.compressed_size),
                match l.compression {
                    Some(layerscope_core::source::Compression::None) | None => String::new(),
                    Some(c) => format!(" ({c:?})").to_lowercase(),
                }
            ),
        ));
        lines.push(kv("Digest", clean(l.digest.as_deref().unwrap_or("(none)"))));
        lines.push(kv("DiffID", clean(&l.diff_id)));
        if let Some(mt) = &l.media_type {
            lines.push(kv("Media type", clean(mt)));
        }
    } else {
        lines.push(Line::styled("the image has no layers", t.dim));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(block(" Layer ", c.focused(Pane::Layer), t))
            .wrap(Wrap { trim: false })
            .scroll((v.layer_scroll.min(u16::MAX as usize) as u16, 0)),
        r,
    );
}

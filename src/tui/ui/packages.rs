//! The packages view of one layer (an overlay: installed / upgraded / removed, or every package
//! present, with sizes), and the owner of the selected file under the tree and atop the preview
//! (`libssl3 3.0.15 · unmodified`). Names and versions come from the image: they are cut by
//! `secrets::redact` like every other byte of it. Nothing here reads the image: owners come from
//! the package model, checksum states from the preview worker (`tui::owner`).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::tui::action::Cmd;
use crate::tui::app::{App, PackagesView, RowKind};
use crate::tui::keymap::KeyContext;
use crate::tui::preview::PreviewDoc;
use crate::tui::text::{human, line_escape, truncate, width};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, pad, DrawContext};
use layerscope_core::analysis::Analysis;
use layerscope_core::image::short_created_by;
use layerscope_core::packages::FileState;
use layerscope_core::secrets::{redact, shown};

/// Text from a package database as it may be shown: escaped, known secrets masked unless
/// `reveal`.
pub(crate) fn shown_text(a: &Analysis, s: &str, reveal: bool) -> String {
    shown(
        &redact(s.as_bytes(), 0, &[], &a.known, &line_escape),
        reveal,
    )
}

fn step_of(a: &Analysis, layer: usize, reveal: bool) -> Option<String> {
    let h = a.layers.get(layer)?.history?;
    let cb = a.history.get(h)?.created_by.as_deref()?;
    Some(short_created_by(a.display_text(cb, reveal)))
}

pub(super) fn draw(f: &mut Frame, area: Rect, app: &App, v: &PackagesView, t: &Theme) {
    let Some(loaded) = app.loaded() else { return };
    let a = loaded.analysis();
    let reveal = loaded.reveal;
    f.render_widget(Clear, area);
    let mut title = format!(" Packages · layer {}", v.layer);
    if let Some(step) = step_of(a, v.layer, reveal) {
        title.push_str(&format!(" · {}", crate::tui::text::clean(&step)));
    }
    title = truncate(&title, (area.width as usize).saturating_sub(40));
    title.push_str(&format!(
        " · {} ({}){} ",
        if v.all {
            "every package present"
        } else {
            "changed by this step"
        },
        v.rows.len(),
        if v.by_size { " · by size" } else { "" }
    ));
    let b = block(title, true, t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let w = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(l) = a.packages.layers.get(v.layer) {
        lines.push(Line::styled(
            truncate(
                &format!(
                    "this layer wrote {} in {} package files, {} in {} files no package lists; wasted {}",
                    human(l.owned_bytes),
                    l.owned_files,
                    human(l.unowned_bytes),
                    l.unowned_files,
                    human(l.wasted_bytes)
                ),
                w,
            ),
            t.dim,
        ));
    }
    let h = (inner.height as usize).saturating_sub(lines.len());
    if v.rows.is_empty() {
        let all = app
            .ui
            .keymap
            .hint(KeyContext::Packages, Cmd::ToggleAggregated);
        lines.push(Line::styled(
            format!("this step changed no package ({all}: every package present)"),
            t.dim,
        ));
    }
    for (i, r) in v.rows.iter().enumerate().skip(v.list.off).take(h) {
        let (mark, style) = match r.kind {
            RowKind::Installed => ("+", t.added),
            RowKind::Upgraded => ("↑", t.modified),
            RowKind::Removed => ("-", t.removed),
            RowKind::Present => (" ", t.unchanged),
        };
        let version = match &r.old_version {
            Some(o) => format!(
                "{} → {}",
                shown_text(a, o, reveal),
                shown_text(a, &r.version, reveal)
            ),
            None => shown_text(a, &r.version, reveal),
        };
        let right = format!(" {:>6} files {:>9}", r.files, human(r.size));
        let room = w.saturating_sub(width(&right) + 2);
        let text = format!(
            "{:<6} {} {version}",
            r.manager.name(),
            shown_text(a, &r.name, reveal)
        );
        let spans = vec![
            Span::styled(format!("{mark} "), style),
            Span::raw(truncate(&text, room)),
        ];
        let mut line = pad(spans, room + 2, t.text);
        line.spans.push(Span::styled(right, t.dim));
        if i == v.list.sel {
            line = line.style(t.selected);
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The owner of the file version the tree selects and its state: `name version · state`
/// (`checking…` until the preview worker has compared its bytes).
fn selected_owner(c: &DrawContext) -> Option<String> {
    let v = c.loaded;
    let a = v.analysis();
    let (l, e) = v.selected_content()?;
    let owner = a.packages.owner(l, e)?;
    let (package, state) = match &v.preview.doc {
        Some(d) if d.source == Some((l, e)) && d.req.layer == v.layer => {
            let (p, s) = d.owner?;
            (p, Some(s))
        }
        _ if owner.checksum.is_none() => (owner.package, Some(FileState::Unchecked)),
        _ => (owner.package, None),
    };
    let p = a.packages.package(package);
    Some(format!(
        "{} {} · {}",
        shown_text(a, &p.name, v.reveal),
        shown_text(a, &p.version, v.reveal),
        state.map_or("checking…", FileState::name)
    ))
}

/// The tree title's part for a narrowing to one package's files (Enter in the packages view).
pub(super) fn tree_only_title(c: &DrawContext) -> Option<Span<'static>> {
    let v = c.loaded;
    let a = v.analysis();
    let p = a.packages.package(v.tree_opts.only.as_ref()?.package);
    Some(Span::raw(format!(
        "· files of {} {} ",
        shown_text(a, &p.name, v.reveal),
        shown_text(a, &p.version, v.reveal)
    )))
}

/// The tree's block with the selected file's owner on its bottom border.
pub(super) fn tree_block<'a>(b: Block<'a>, c: &DrawContext) -> Block<'a> {
    match selected_owner(c) {
        Some(o) => b.title_bottom(Line::styled(format!(" {o} "), c.theme.title).right_aligned()),
        None => b,
    }
}

/// One line atop the preview naming the package that owns the file shown (or that none does,
/// in an image with package databases); returns the area left for the body.
pub(super) fn preview_header(f: &mut Frame, area: Rect, c: &DrawContext, doc: &PreviewDoc) -> Rect {
    let v = c.loaded;
    let a = v.analysis();
    let Some((l, e)) = doc.source else {
        return area;
    };
    if a.packages.is_empty() || area.height < 2 {
        return area;
    }
    let is_file = a
        .layers
        .get(l)
        .and_then(|x| x.entries.get(e as usize))
        .is_some_and(|x| x.kind.has_content());
    let text = match doc.owner {
        Some((id, state)) => {
            let p = a.packages.package(id);
            format!(
                "{} {} · {} · {} package from layer {}",
                shown_text(a, &p.name, v.reveal),
                shown_text(a, &p.version, v.reveal),
                state.name(),
                p.manager.name(),
                p.layer
            )
        }
        None if is_file => "no package owns this file".to_string(),
        None => return area,
    };
    let r = Rect::new(area.x, area.y, area.width, 1);
    f.render_widget(
        Paragraph::new(Line::styled(
            truncate(&text, area.width as usize),
            c.theme.title,
        )),
        r,
    );
    Rect::new(area.x, area.y + 1, area.width, area.height - 1)
}

//! The file tree pane: renders only the rows in the window.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::action::Cmd;
use crate::tui::filetree::{
    content_version, Row, F_COLLAPSED, F_CONTEXT, F_DIR, F_ELSEWHERE, F_FINDING, F_GHOST, F_KIDS,
};
use crate::tui::keymap::KeyContext;
use crate::tui::pane::Pane;
use crate::tui::text::{clean_bytes, human, mode_string, truncate};
use crate::tui::ui::widgets::{block, pad, DrawContext};
use layerscope_core::layer::EntryKind;
use layerscope_core::tree::Change;

pub(crate) fn draw(f: &mut Frame, r: Rect, c: &DrawContext) {
    let v = c.loaded;
    let t = c.theme;
    let o = &v.tree_opts;
    let mut title = vec![Span::raw(format!(
        " Files · layer {} · {} ",
        v.layer,
        if o.aggregated {
            "everything up to here"
        } else {
            "this layer's changes"
        }
    ))];
    let s = o.shown;
    if !(s.added && s.modified && s.removed && s.unchanged) {
        let mut hidden = Vec::new();
        for (on, n) in [
            (s.added, "added"),
            (s.modified, "modified"),
            (s.removed, "removed"),
            (s.unchanged, "unchanged"),
        ] {
            if !on {
                hidden.push(n);
            }
        }
        title.push(Span::raw(format!("· hiding {} ", hidden.join(","))));
    }
    if !o.filter.is_empty() {
        title.push(Span::raw(format!(
            "· filter {:?} ",
            crate::tui::text::clean(&o.filter)
        )));
    }
    if o.sort_by_size {
        title.push(Span::raw("· by size "));
    }
    title.extend(super::packages::tree_only_title(c));
    if let Some(p) = v.pending.as_ref().filter(|p| p.provisional(v.layer)) {
        title.push(Span::styled(
            format!("· {} ", p.provisional_title(v.layer)),
            t.warning,
        ));
    }
    let focused = c.app.ui.focus == Pane::Tree;
    let b = super::packages::tree_block(block(Line::from(title), focused, t), c);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let w = inner.width as usize;
    let h = inner.height as usize;
    if v.tree_rows.is_empty() {
        let km = &c.app.ui.keymap;
        let msg = if v.model.layer_count() == 0 {
            "the image has no layers".to_string()
        } else if !o.filter.is_empty() {
            let esc = km.hint(KeyContext::Tree, Cmd::Cancel);
            format!("no path matches the filter ({esc} clears it)")
        } else if !o.aggregated {
            "this layer changes no files".to_string()
        } else {
            let toggles = [
                Cmd::ToggleAdded,
                Cmd::ToggleRemoved,
                Cmd::ToggleModified,
                Cmd::ToggleUnchanged,
            ];
            let keys = km.hint_group(KeyContext::Tree, &toggles);
            format!("nothing to show (check the {keys} toggles)")
        };
        f.render_widget(Paragraph::new(msg).style(t.dim), inner);
        return;
    }
    let mut lines = Vec::with_capacity(h);
    for (i, row) in v.tree_rows.iter().enumerate().skip(v.tree.off).take(h) {
        let spans = row_spans(c, row, w);
        let style = if i == v.tree.sel {
            if focused {
                t.selected
            } else {
                t.selected_unfocused
            }
        } else {
            Style::default()
        };
        lines.push(pad(spans, w, style));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn row_spans(c: &DrawContext, row: &Row, w: usize) -> Vec<Span<'static>> {
    let t = c.theme;
    let a = c.loaded.analysis();
    let mut spans = Vec::with_capacity(8);
    spans.push(if row.is(F_FINDING) {
        Span::styled("!", t.finding)
    } else if row.is(F_ELSEWHERE) {
        Span::styled("◆", t.warning)
    } else {
        Span::raw(" ")
    });
    let ghost = row.is(F_GHOST);
    let (mark, style) = match row.change {
        _ if ghost => ("†", t.ghost),
        Change::Added => ("+", t.added),
        Change::Modified => ("~", t.modified),
        Change::Removed => ("-", t.removed),
        Change::Unchanged => (" ", t.unchanged),
    };
    let style = if row.is(F_CONTEXT) && !ghost {
        t.dim
    } else {
        style
    };
    spans.push(Span::styled(format!("{mark} "), style));
    let state = a.tree.state_at(row.path, c.loaded.layer);
    let entry = state
        .and_then(|s| content_version(a, s))
        .and_then(|s| a.entry(s));
    if c.loaded.tree_opts.attributes && w >= 60 {
        let attrs = match entry {
            Some(e) => {
                let letter = match e.kind {
                    EntryKind::Dir => 'd',
                    EntryKind::Symlink => 'l',
                    EntryKind::Hardlink => 'h',
                    EntryKind::Char => 'c',
                    EntryKind::Block => 'b',
                    EntryKind::Fifo => 'p',
                    EntryKind::File => '-',
                };
                // A directory's size is that of the files shown below it.
                let size = if row.is(F_DIR) {
                    human(row.size)
                } else {
                    human(e.size)
                };
                format!(
                    "{} {:>9} {:>8} ",
                    mode_string(letter, e.mode),
                    truncate(&format!("{}:{}", e.uid, e.gid), 9),
                    size
                )
            }
            None => format!("{:<10} {:>9} {:>8} ", "d---------", "", ""),
        };
        spans.push(Span::styled(attrs, t.dim));
    } else if c.loaded.tree_opts.sort_by_size {
        // Sorted by size: the sizes it is sorted by, directories included.
        spans.push(Span::styled(format!("{:>8} ", human(row.size)), t.dim));
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let indent = "  ".repeat(row.depth as usize);
    let fold = if row.is(F_KIDS) {
        if row.is(F_COLLAPSED) {
            "▸ "
        } else {
            "▾ "
        }
    } else {
        "  "
    };
    let mut name = clean_bytes(a.tree.paths.name(row.path));
    if row.is(F_DIR) {
        name.push('/');
    }
    if let Some(e) = entry {
        if e.kind == EntryKind::Symlink {
            name.push_str(" → ");
            name.push_str(&clean_bytes(e.link.as_deref().unwrap_or_default()));
        } else if e.kind == EntryKind::Hardlink {
            name.push_str(" ⇒ /");
            name.push_str(&clean_bytes(e.link.as_deref().unwrap_or_default()));
        }
    }
    let suffix = if ghost {
        if row.layer as usize == c.loaded.layer {
            " [ghost]".to_string()
        } else {
            format!(" [ghost: removed in {}]", row.layer)
        }
    } else {
        String::new()
    };
    let room = w.saturating_sub(used + indent.len() + 2);
    let name = truncate(
        &name,
        room.saturating_sub(suffix.chars().count().min(room / 2)),
    );
    spans.push(Span::raw(indent));
    spans.push(Span::styled(fold.to_string(), t.dim));
    spans.push(Span::styled(name, style));
    if !suffix.is_empty() {
        let left = w.saturating_sub(spans.iter().map(|s| s.width()).sum());
        spans.push(Span::styled(truncate(&suffix, left), t.ghost));
    }
    spans
}

//! The packages view of one layer: what its step installed, upgraded and removed, with each
//! package's size as of that layer; Enter (wired by the app) lists the selected package's files.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::text::{clean, human, truncate};
use crate::tui::theme::Theme;
use crate::tui::ui::widgets::{block, pad};
use layerscope_core::analysis::Analysis;
use layerscope_core::packages::{Manager, PackageId};
use layerscope_core::paths::PathId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    Installed,
    Upgraded,
    Removed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageRow {
    pub kind: RowKind,
    pub package: PackageId,
    pub manager: Manager,
    pub name: String,
    pub version: String,
    pub old_version: Option<String>,
    /// Bytes of its files as of this layer (for a removed package: before it).
    pub size: u64,
    pub files: u32,
}

fn size_at(a: &Analysis, layer: usize, id: PackageId) -> (u64, u32) {
    a.packages
        .layers
        .get(layer)
        .and_then(|l| l.present.iter().find(|p| p.0 == id))
        .map_or((0, 0), |p| (p.1, p.2))
}

/// The rows for `layer`: by kind then name, or largest first when `by_size`.
pub fn rows(a: &Analysis, layer: usize, by_size: bool) -> Vec<PackageRow> {
    let Some(l) = a.packages.layers.get(layer) else {
        return Vec::new();
    };
    let row = |kind, id: PackageId, old: Option<PackageId>, at: usize| {
        let p = a.packages.package(id);
        let (size, files) = size_at(a, at, id);
        PackageRow {
            kind,
            package: id,
            manager: p.manager,
            name: p.name.clone(),
            version: p.version.clone(),
            old_version: old.map(|o| a.packages.package(o).version.clone()),
            size,
            files,
        }
    };
    let mut out: Vec<PackageRow> = l
        .installed
        .iter()
        .map(|&id| row(RowKind::Installed, id, None, layer))
        .chain(
            l.upgraded
                .iter()
                .map(|c| row(RowKind::Upgraded, c.new, Some(c.old), layer)),
        )
        .chain(
            l.removed
                .iter()
                .map(|&id| row(RowKind::Removed, id, None, layer.saturating_sub(1))),
        )
        .collect();
    if by_size {
        out.sort_by(|x, y| y.size.cmp(&x.size).then_with(|| x.name.cmp(&y.name)));
    } else {
        out.sort_by(|x, y| {
            (x.kind as u8, &x.name, x.manager).cmp(&(y.kind as u8, &y.name, y.manager))
        });
    }
    out
}

/// The paths of a package's files present after `layer`, in path order (for Enter).
pub fn files_of(a: &Analysis, layer: usize, id: PackageId) -> Vec<PathId> {
    let mut out = Vec::new();
    for l in 0..=layer.min(a.layers.len().saturating_sub(1)) {
        for (e, o) in a.packages.owned(l) {
            if o.package != id {
                continue;
            }
            let Some(entry) = a.layers[l].entries.get(e as usize) else {
                continue;
            };
            let current = a.tree.state_at(entry.path, layer);
            if current.is_some_and(|v| v.present() && v.layer as usize == l && v.entry == e) {
                out.push(entry.path);
            }
        }
    }
    out.sort_by_key(|&p| a.tree.paths.path(p));
    out
}

/// The owner of a file version and its state, for the tree and the preview header
/// (`libssl3 3.0.15 · unmodified`). Checking the state reads the file's bytes: call it for the
/// selected file, not for every row.
pub fn owner_label(a: &Analysis, layer: usize, entry: u32) -> Option<String> {
    let r = layerscope_core::vendor::file_package(a, layer, entry)?;
    Some(format!(
        "{} {} · {}",
        clean(&r.name),
        clean(&r.version),
        r.state.name()
    ))
}

/// What the app keeps for the view: the layer shown, its rows, the selection.
pub struct PackagesView<'a> {
    pub layer: usize,
    pub rows: &'a [PackageRow],
    pub selected: usize,
    pub focused: bool,
}

pub fn render(f: &mut Frame, area: Rect, a: &Analysis, v: &PackagesView, theme: &Theme) {
    let PackagesView {
        layer,
        rows,
        selected,
        focused,
    } = *v;
    let title = format!(" Packages · layer {layer} ({}) ", rows.len());
    let b = block(title, focused, theme);
    let inner = b.inner(area);
    let w = inner.width as usize;
    let h = inner.height as usize;
    let mut lines: Vec<Line> = Vec::new();
    if rows.is_empty() {
        let why = if a.packages.is_empty() {
            "no package database in this image"
        } else {
            "this step changed no package"
        };
        lines.push(Line::styled(why, theme.dim));
    }
    // Keep the selection on screen.
    let start = selected.saturating_sub(h.saturating_sub(1));
    for (i, r) in rows.iter().enumerate().skip(start).take(h) {
        let (mark, style) = match r.kind {
            RowKind::Installed => ("+", theme.added),
            RowKind::Upgraded => ("↑", theme.modified),
            RowKind::Removed => ("-", theme.removed),
        };
        let version = match &r.old_version {
            Some(o) => format!("{} → {}", clean(o), clean(&r.version)),
            None => clean(&r.version),
        };
        let size = format!("{:>9}", human(r.size));
        let text = format!("{} {} {}", r.manager.name(), clean(&r.name), version);
        let room = w.saturating_sub(size.chars().count() + 3);
        let spans = vec![
            Span::styled(format!("{mark} "), style),
            Span::raw(truncate(&text, room)),
        ];
        let mut line = pad(spans, room + 2, theme.text);
        line.spans.push(Span::styled(format!(" {size}"), theme.dim));
        if i == selected {
            line = line.style(if focused {
                theme.selected
            } else {
                theme.selected_unfocused
            });
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines).block(b), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerscope_imagegen::{write_image, Compression, ImageSpec, Layout, Node, Step};

    fn status(pkgs: &[(&str, &str)]) -> Node {
        let s: String = pkgs
            .iter()
            .map(|(n, v)| format!("Package: {n}\nStatus: install ok installed\nVersion: {v}\n\n"))
            .collect();
        Node::file("var/lib/dpkg/status", s)
    }

    #[test]
    fn rows_files_and_render() {
        let dir = tempfile::tempdir().unwrap();
        let spec = ImageSpec {
            steps: vec![
                Step::layer(
                    "RUN apt-get install a b",
                    vec![
                        status(&[("a", "1"), ("b", "1")]),
                        Node::file("var/lib/dpkg/info/a.list", "/usr/bin/a\n"),
                        Node::file("usr/bin/a", vec![b'x'; 3000]),
                        Node::file("var/lib/dpkg/info/b.list", "/usr/bin/b\n"),
                        Node::file("usr/bin/b", "b"),
                    ],
                ),
                Step::layer(
                    "RUN apt-get upgrade a && apt-get remove b",
                    vec![
                        status(&[("a", "2")]),
                        Node::file("usr/bin/a", vec![b'y'; 5000]),
                        Node::whiteout("var/lib/dpkg/info/b.list"),
                        Node::whiteout("usr/bin/b"),
                    ],
                ),
            ],
            ..ImageSpec::default()
        };
        let out = dir.path().join("img.tar");
        write_image(&spec, Layout::OciArchive, Compression::None, &out).unwrap();
        let a = layerscope_core::analyze::analyze(&out, &Default::default(), &Default::default())
            .unwrap();
        let r = rows(&a, 1, false);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].kind, r[0].name.as_str()), (RowKind::Upgraded, "a"));
        assert_eq!((r[0].old_version.as_deref(), r[0].size), (Some("1"), 5000));
        assert_eq!(
            (r[1].kind, r[1].name.as_str(), r[1].size),
            (RowKind::Removed, "b", 1)
        );
        assert_eq!(rows(&a, 1, true)[0].name, "a", "largest first");
        let files = files_of(&a, 1, r[0].package);
        assert_eq!(files.len(), 1);
        assert_eq!(a.path_string(files[0]), "usr/bin/a");
        assert!(
            files_of(&a, 1, r[1].package).is_empty(),
            "b's files are gone"
        );
        let v = a.tree.state_at(files[0], 1).unwrap();
        assert_eq!(
            owner_label(&a, v.layer as usize, v.entry).as_deref(),
            Some("a 2 · unchecked")
        );

        let backend = ratatui::backend::TestBackend::new(50, 6);
        let mut term = ratatui::Terminal::new(backend).unwrap();
        let view = PackagesView {
            layer: 1,
            rows: &r,
            selected: 0,
            focused: true,
        };
        term.draw(|f| render(f, f.area(), &a, &view, &Theme::new(false)))
            .unwrap();
        let text: String = term
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(text.contains("Packages · layer 1 (2)"), "{text}");
        assert!(text.contains("↑ dpkg a 1 → 2"), "{text}");
        assert!(text.contains("- dpkg b 1"), "{text}");
    }
}

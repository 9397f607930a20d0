//! The compare view's state: which pane has the focus, the selection in each list, and the
//! preview diff of the selected file. Keys go through `key`, which touches nothing outside the
//! view; the preview is read (a seek into a spooled layer) when a file is opened.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::preview::{unified, DiffKind, DiffLine, Side};
use crate::tui::text::human;
use layerscope_core::analysis::Analysis;
use layerscope_core::compare::{Comparison, FileChange, FsChange};
use layerscope_core::secrets::SecretSpan;
use layerscope_core::tree::Location;

/// Bytes of each side a preview reads at most.
const PREVIEW_CAP: usize = 256 << 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    History,
    Files,
    Findings,
    Preview,
}

/// One row of the findings pane, in display order: new, fixed, unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingRow {
    New(usize),
    Fixed(usize),
    Unchanged(usize),
}

pub struct Preview {
    pub title: String,
    pub lines: Vec<DiffLine>,
    pub scroll: usize,
}

pub struct CompareView<'a> {
    pub old: &'a Analysis,
    pub new: &'a Analysis,
    pub cmp: &'a Comparison,
    pub focus: Focus,
    pub history_sel: usize,
    pub files_sel: usize,
    pub findings_sel: usize,
    pub preview: Option<Preview>,
    /// Secrets shown raw (`--show-secrets`, or `r`).
    pub reveal: bool,
    pub quit: bool,
}

impl<'a> CompareView<'a> {
    pub fn new(
        old: &'a Analysis,
        new: &'a Analysis,
        cmp: &'a Comparison,
        reveal: bool,
    ) -> CompareView<'a> {
        let mut v = CompareView {
            old,
            new,
            cmp,
            focus: Focus::Files,
            history_sel: cmp.first_difference.unwrap_or(0),
            files_sel: 0,
            findings_sel: 0,
            preview: None,
            reveal,
            quit: false,
        };
        if cmp.changes.is_empty() {
            v.focus = Focus::History;
        }
        v
    }

    pub fn finding_rows(&self) -> Vec<FindingRow> {
        let f = &self.cmp.findings;
        f.new
            .iter()
            .map(|&i| FindingRow::New(i))
            .chain(f.fixed.iter().map(|&i| FindingRow::Fixed(i)))
            .chain((0..f.unchanged.len()).map(FindingRow::Unchanged))
            .collect()
    }

    fn list_len(&self, focus: Focus) -> usize {
        match focus {
            Focus::History => self.cmp.history.len(),
            Focus::Files => self.cmp.changes.len(),
            Focus::Findings => self.finding_rows().len(),
            Focus::Preview => self.preview.as_ref().map_or(0, |p| p.lines.len()),
        }
    }

    fn sel_mut(&mut self) -> &mut usize {
        match self.focus {
            Focus::History => &mut self.history_sel,
            Focus::Files => &mut self.files_sel,
            Focus::Findings => &mut self.findings_sel,
            Focus::Preview => match &mut self.preview {
                Some(p) => &mut p.scroll,
                None => &mut self.files_sel,
            },
        }
    }

    fn step(&mut self, delta: isize) {
        let n = self.list_len(self.focus);
        let sel = self.sel_mut();
        let max = n.saturating_sub(1) as isize;
        *sel = (*sel as isize + delta).clamp(0, max.max(0)) as usize;
    }

    pub fn key(&mut self, k: KeyEvent) {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Esc => {
                if self.preview.is_some() {
                    self.preview = None;
                    if self.focus == Focus::Preview {
                        self.focus = Focus::Files;
                    }
                } else {
                    self.quit = true;
                }
            }
            KeyCode::Tab => self.focus = self.next_focus(true),
            KeyCode::BackTab => self.focus = self.next_focus(false),
            KeyCode::Char('1') => self.focus = Focus::History,
            KeyCode::Char('2') => self.focus = Focus::Files,
            KeyCode::Char('3') => self.focus = Focus::Findings,
            KeyCode::Down | KeyCode::Char('j') => self.step(1),
            KeyCode::Up | KeyCode::Char('k') => self.step(-1),
            KeyCode::PageDown => self.step(10),
            KeyCode::PageUp => self.step(-10),
            KeyCode::Home | KeyCode::Char('g') => self.step(isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.step(isize::MAX / 2),
            KeyCode::Enter | KeyCode::Char('d') if self.focus == Focus::Files => {
                self.open_preview();
                if self.preview.is_some() {
                    self.focus = Focus::Preview;
                }
            }
            KeyCode::Char('r') => {
                self.reveal = !self.reveal;
                if self.preview.is_some() {
                    self.open_preview();
                }
            }
            _ => {}
        }
    }

    fn next_focus(&self, forward: bool) -> Focus {
        let mut order = vec![Focus::History, Focus::Files, Focus::Findings];
        if self.preview.is_some() {
            order.push(Focus::Preview);
        }
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        order[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }

    /// Reads both versions of the selected file and diffs them.
    pub fn open_preview(&mut self) {
        let Some(c) = self.cmp.changes.get(self.files_sel) else {
            return;
        };
        let lines = preview_lines(self.old, self.new, c);
        self.preview = Some(Preview {
            title: format!(
                "/{} · {}",
                crate::tui::text::clean_bytes(&c.path),
                c.change.name()
            ),
            lines,
            scroll: 0,
        });
    }
}

fn line(kind: DiffKind, text: String) -> DiffLine {
    DiffLine::note(kind, text)
}

/// A side's bytes and the secret spans of that file version (masked when drawn).
/// A file version's bytes and its secret spans.
type SideBytes = (Vec<u8>, Vec<SecretSpan>);

fn side(a: &Analysis, at: Option<Location>) -> Result<Option<SideBytes>, String> {
    let Some(e) = FileChange::entry(a, at) else {
        return Ok(None);
    };
    if !e.kind.has_content() {
        return Ok(None);
    }
    let at = at.expect("entry implies a location");
    let content =
        layerscope_core::content::read(a, at.layer, e, PREVIEW_CAP).map_err(|e| e.to_string())?;
    if content.is_binary() {
        return Err(format!("binary, {}", human(content.size)));
    }
    Ok(Some((content.bytes, a.secret_spans(at.layer, at.entry))))
}

fn meta_line(label: &str, o: String, n: String) -> Option<DiffLine> {
    (o != n).then(|| line(DiffKind::Header, format!("{label}: {o} -> {n}")))
}

pub fn preview_lines(old: &Analysis, new: &Analysis, c: &FileChange) -> Vec<DiffLine> {
    let mut out = Vec::new();
    let (oe, ne) = (
        FileChange::entry(old, c.old_at),
        FileChange::entry(new, c.new_at),
    );
    let side_name = |at: Option<Location>| match at {
        Some(l) => format!("layer {}", l.layer),
        None => "absent".to_string(),
    };
    out.push(line(
        DiffKind::Header,
        format!("--- old {}", side_name(c.old_at)),
    ));
    out.push(line(
        DiffKind::Header,
        format!("+++ new {}", side_name(c.new_at)),
    ));
    if let (Some(o), Some(n)) = (oe, ne) {
        let kinds = meta_line("kind", o.kind.name().into(), n.kind.name().into());
        let mode = meta_line(
            "mode",
            format!("{:o}", o.mode & 0o7777),
            format!("{:o}", n.mode & 0o7777),
        );
        let owner = meta_line(
            "owner",
            format!("{}:{}", o.uid, o.gid),
            format!("{}:{}", n.uid, n.gid),
        );
        let link = |e: &layerscope_core::layer::Entry| {
            e.link
                .as_deref()
                .map(crate::tui::text::clean_bytes)
                .unwrap_or_default()
        };
        let target = meta_line("link", link(o), link(n));
        out.extend([kinds, mode, owner, target].into_iter().flatten());
    }
    let o = side(old, c.old_at);
    let n = side(new, c.new_at);
    match (o, n) {
        (Err(e), _) | (_, Err(e)) => out.push(line(DiffKind::Context, format!("({e})"))),
        (Ok(None), Ok(None)) => {}
        (o, n) => {
            let (o, n) = (
                o.ok().flatten().unwrap_or_default(),
                n.ok().flatten().unwrap_or_default(),
            );
            // A value found in either image is masked on both sides.
            let known =
                layerscope_core::findings::known_secrets(old.findings.iter().chain(&new.findings));
            let body = unified(
                Side {
                    bytes: &o.0,
                    secrets: &o.1,
                },
                Side {
                    bytes: &n.0,
                    secrets: &n.1,
                },
                &known,
            );
            if body.is_empty() && c.change == FsChange::Modified {
                out.push(line(DiffKind::Context, "(same text)".into()));
            }
            out.extend(body);
        }
    }
    out
}

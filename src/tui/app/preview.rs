//! The preview pane: asking the worker for the selected file version, diff mode, revealing
//! secrets, and paging through a large file chunk by chunk.

use super::state::Session;
use crate::tui::action::{Cmd, Effect};
use crate::tui::pane::Pane;
use crate::tui::preview::{Body, PreviewDoc, PreviewReq};

impl Session<'_> {
    pub(super) fn preview_scroll(&mut self, d: isize) {
        let p = &mut self.loaded.preview;
        let len = p.doc.as_ref().map_or(0, |d| d.body_len());
        p.scroll = (p.scroll as isize + d).clamp(0, len.saturating_sub(1) as isize) as usize;
    }

    /// A preview came back: shown unless the user has moved on since asking.
    pub(super) fn on_preview(&mut self, doc: PreviewDoc) {
        let h = self.inner_height(Pane::Preview);
        let p = &mut self.loaded.preview;
        if doc.req.gen != p.gen {
            return; // stale
        }
        p.scroll = doc
            .target_line
            .map(|t| t.saturating_sub(h.saturating_sub(2) / 3))
            .unwrap_or(0);
        let at_target = doc.target_line.is_some();
        p.doc = Some(doc);
        if at_target {
            self.show_target_column();
        }
    }

    /// Asks for the preview of the selected file as it is in the selected layer.
    pub(super) fn request_preview(&mut self, fx: &mut Vec<Effect>) {
        let v = &mut *self.loaded;
        let Some(row) = v.tree_rows.get(v.tree.sel).copied() else {
            v.preview.doc = None;
            v.preview.gen += 1;
            return;
        };
        v.preview.gen += 1;
        v.preview.scroll = 0;
        v.preview.hscroll = 0;
        v.preview.chunks.clear();
        let req = PreviewReq {
            gen: v.preview.gen,
            path: row.path,
            layer: v.layer,
            diff: v.preview.diff,
            reveal: v.reveal,
            start: 0,
            first_line: 1,
            target: v.preview.target.take(),
        };
        let mut doc = PreviewDoc::loading(req.clone());
        doc.title = format!("/{}", v.model.analysis.path_string(row.path));
        v.preview.doc = Some(doc);
        fx.push(Effect::Preview(req));
    }

    /// Re-asks for the current preview with a change (diff mode, chunk) keeping the selection.
    fn rerequest(&mut self, fx: &mut Vec<Effect>, f: impl FnOnce(&mut PreviewReq)) {
        let v = &mut *self.loaded;
        let Some(doc) = &v.preview.doc else { return };
        let mut req = doc.req.clone();
        v.preview.gen += 1;
        req.gen = v.preview.gen;
        req.diff = v.preview.diff;
        req.reveal = v.reveal;
        req.target = None;
        f(&mut req);
        let mut d = PreviewDoc::loading(req.clone());
        d.title = doc.title.clone();
        v.preview.doc = Some(d);
        v.preview.scroll = 0;
        fx.push(Effect::Preview(req));
    }

    pub(super) fn toggle_diff(&mut self, fx: &mut Vec<Effect>) {
        self.loaded.preview.diff ^= true;
        self.rerequest(fx, |_| {});
    }

    pub(super) fn toggle_reveal(&mut self, fx: &mut Vec<Effect>) {
        let v = &mut *self.loaded;
        v.reveal = !v.reveal;
        let msg = if v.reveal {
            format!("secrets revealed ({} to mask)", self.ui.key(Cmd::Reveal))
        } else {
            "secrets masked".to_string()
        };
        self.ui.say(msg, false);
        // Diff banners name build steps, masked on the worker: ask again.
        if v.preview.diff {
            self.rerequest(fx, |_| {});
        }
    }

    /// The next or previous chunk of a large file (text or hex).
    pub(super) fn chunk(&mut self, next: bool, fx: &mut Vec<Effect>) {
        let p = &mut self.loaded.preview;
        let Some(doc) = &p.doc else { return };
        let (start, end, size, lines) = match &doc.body {
            Body::Text {
                lines,
                start,
                end,
                size,
            } => (*start, *end, *size, lines.len()),
            Body::Hex {
                bytes, start, size, ..
            } => (*start, *start + bytes.len() as u64, *size, 0),
            _ => return,
        };
        let first = doc.req.first_line;
        if next {
            if end >= size {
                self.ui.say("end of file", false);
                return;
            }
            p.chunks.push((start, first));
            self.rerequest(fx, |r| {
                r.start = end;
                r.first_line = first + lines;
            });
        } else {
            let Some((s, f)) = p.chunks.pop() else {
                self.ui.say("start of file", false);
                return;
            };
            self.rerequest(fx, |r| {
                r.start = s;
                r.first_line = f;
            });
        }
    }
}

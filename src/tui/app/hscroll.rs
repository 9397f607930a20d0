//! Sideways scrolling of the preview: never past the widest line (no blank screen), and a
//! match that opens the preview is brought into view when its line is wider than the pane.

use layerscope_core::secrets::Piece;

use super::state::Session;
use crate::tui::pane::Pane;
use crate::tui::preview::Body;

/// Columns a piece list takes on screen as shown.
fn shown_width(ps: &[Piece], reveal: bool) -> usize {
    ps.iter().map(|p| p.shown(reveal).chars().count()).sum()
}

impl Session<'_> {
    /// (columns of text beside the gutter, widest line) of the preview's body.
    fn preview_geometry(&self) -> Option<(usize, usize)> {
        let v = &*self.loaded;
        let doc = v.preview.doc.as_ref()?;
        let inner = self.areas().get(Pane::Preview).width.saturating_sub(2) as usize;
        let (gutter, widest) = match &doc.body {
            Body::Text { lines, .. } => {
                let nw = lines.last().map_or(1, |l| l.no.to_string().len());
                let widest = lines.iter().map(|l| shown_width(&l.pieces, v.reveal)).max();
                (nw + 3, widest.unwrap_or(0))
            }
            Body::Diff { lines } => {
                let widest = lines.iter().map(|l| shown_width(&l.pieces, v.reveal)).max();
                (1, widest.unwrap_or(0))
            }
            _ => return None,
        };
        Some((inner.saturating_sub(gutter).max(1), widest))
    }

    /// `l` in the preview: eight columns right, up to the widest line's end.
    pub(super) fn preview_right(&mut self) {
        let max = self
            .preview_geometry()
            .map_or(0, |(vis, widest)| widest.saturating_sub(vis));
        let p = &mut self.loaded.preview;
        p.hscroll = (p.hscroll + 8).min(max);
    }

    /// A preview opened at a match: scrolled sideways when the first secret on the target line
    /// would start past the pane's right edge.
    pub(super) fn show_target_column(&mut self) {
        let Some((vis, _)) = self.preview_geometry() else {
            return;
        };
        let v = &mut *self.loaded;
        let Some(doc) = &v.preview.doc else { return };
        let (Some(i), Body::Text { lines, .. }) = (doc.target_line, &doc.body) else {
            return;
        };
        let Some(line) = lines.get(i) else { return };
        let mut col = 0;
        for p in &line.pieces {
            let w = p.shown(v.reveal).chars().count();
            if p.secret.is_some() {
                // Room for the start of the mask, and some context before it.
                if col + w.min(12) > vis {
                    v.preview.hscroll = (col.saturating_sub(vis / 3) / 8) * 8;
                }
                return;
            }
            col += w;
        }
    }
}

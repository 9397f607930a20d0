//! Content search over every file version of the image: all layers, ghosts and overwritten
//! versions included. Each layer is streamed once through the same indexing pass (so a gzip
//! layer is inflated once, not once per file); a visitor looks for the needle.

use std::sync::atomic::Ordering;

use aho_corasick::AhoCorasick;

use crate::tui::text::line_escape;
use layerscope_core::analysis::Analysis;
use layerscope_core::layer::{index_layer, ContentVisitor, PassState};
use layerscope_core::paths::PathId;
use layerscope_core::secrets::{redact, Piece};
use layerscope_core::source::Limits;

pub(crate) const MAX_HITS: usize = 2000;
const MAX_HITS_PER_FILE: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub layer: usize,
    pub entry: u32,
    pub path: PathId,
    /// 1-based line number and the byte offset of the match in the file.
    pub line: usize,
    pub offset: u64,
    /// Up to 60 bytes before the match and 120 after, cut by `secrets::redact`.
    pub pieces: Vec<Piece>,
}

struct Finder<'a> {
    layer: usize,
    a: &'a Analysis,
    ac: &'a AhoCorasick,
    hits: Vec<Hit>,
    total: &'a mut usize,
}

impl ContentVisitor for Finder<'_> {
    fn file(&mut self, entry: u32, _path: &[u8], data: &[u8]) {
        if *self.total >= MAX_HITS {
            return;
        }
        let Some(e) = self.a.layers[self.layer].entries.get(entry as usize) else {
            return;
        };
        let mut per_file = 0;
        let mut line = 1usize;
        let mut counted = 0usize;
        // The file version's own secret spans, looked up once at its first hit.
        let mut file_spans: Option<Vec<layerscope_core::secrets::SecretSpan>> = None;
        for m in self.ac.find_iter(data) {
            line += data[counted..m.start()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = m.start();
            let ls = data[..m.start()]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let le = data[m.start()..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(data.len(), |i| m.start() + i);
            let from = ls.max(m.start().saturating_sub(60));
            let to = le.min(m.end() + 120);
            // Known values are looked for over the whole line: the window may cut one.
            let own = file_spans.get_or_insert_with(|| self.a.secret_spans(self.layer, entry));
            let mut spans = own.clone();
            spans.extend(self.a.known.find(&data[ls..le], ls as u64));
            let mut pieces = redact(
                &data[from..to],
                from as u64,
                &spans,
                &self.a.known,
                &line_escape,
            );
            trim(&mut pieces);
            self.hits.push(Hit {
                layer: self.layer,
                entry,
                path: e.path,
                line,
                offset: m.start() as u64,
                pieces,
            });
            *self.total += 1;
            per_file += 1;
            if per_file >= MAX_HITS_PER_FILE || *self.total >= MAX_HITS {
                break;
            }
        }
    }
}

/// Searches every layer for `needle` (ASCII case-insensitive). Hits are handed to `sink` one
/// layer at a time. Stops early when `state.cancel` is set.
pub fn search(
    a: &Analysis,
    needle: &str,
    state: &PassState,
    sink: &mut dyn FnMut(Vec<Hit>),
) -> Result<(), String> {
    if needle.is_empty() {
        return Ok(());
    }
    let ac = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([needle.as_bytes()])
        .map_err(|e| e.to_string())?;
    let mut total = 0usize;
    let limits = Limits {
        max_entries: u64::MAX,
        ..Limits::default()
    };
    for (i, l) in a.layers.iter().enumerate() {
        if state.cancel.load(Ordering::Relaxed) || total >= MAX_HITS {
            break;
        }
        let Some(member) = &l.member else { continue };
        let shown = a.source.container.display_member(member);
        let blob = a.source.container.open(member).map_err(|e| e.to_string())?;
        let mut f = Finder {
            layer: i,
            a,
            ac: &ac,
            hits: Vec::new(),
            total: &mut total,
        };
        match index_layer(blob, &shown, &limits, state, &mut f) {
            Ok(_) => {}
            Err(layerscope_core::Error::Cancelled) => break,
            Err(e) => return Err(e.to_string()),
        }
        let hits = std::mem::take(&mut f.hits);
        if !hits.is_empty() {
            sink(hits);
        }
    }
    Ok(())
}

/// Drops leading and trailing whitespace of the plain pieces at either end.
fn trim(pieces: &mut [Piece]) {
    if let Some(p) = pieces.first_mut().filter(|p| p.secret.is_none()) {
        p.text = p.text.trim_start().to_string();
    }
    if let Some(p) = pieces.last_mut().filter(|p| p.secret.is_none()) {
        p.text = p.text.trim_end().to_string();
    }
}

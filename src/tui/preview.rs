//! The preview of one file version, built on a worker thread into plain data (no styles): text
//! lines with secret segments, a hex dump, or a unified diff against the previous version. Large
//! files are read one chunk at a time with `content::read_range`, never whole.

use std::ops::Range;

use crate::analysis::Analysis;
use crate::content;
use crate::layer::Entry;
use crate::paths::PathId;
use crate::tree::{Change, Version, NO_ENTRY};
use crate::tui::text::{clean, clean_line, human, short_created_by};

/// Bytes of text read per chunk.
pub const TEXT_CHUNK: usize = 256 << 10;
/// Bytes shown per hex chunk.
pub const HEX_CHUNK: usize = 64 << 10;
/// Each side of a diff is read up to this much.
pub const DIFF_CAP: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewReq {
    pub gen: u64,
    pub path: PathId,
    /// The selected layer: the file is shown as it is there.
    pub layer: usize,
    pub diff: bool,
    /// Diff text unmasked (the text view masks at render time instead).
    pub reveal: bool,
    pub start: u64,
    pub first_line: usize,
    /// A byte offset to bring into view (search hit, finding).
    pub target: Option<u64>,
}

/// A secret inside a file version, by byte range in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretSpan {
    pub span: Range<u64>,
    pub masked: String,
    pub finding: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seg {
    pub text: String,
    /// For a secret: the masked form shown until the user reveals it.
    pub masked: Option<String>,
    pub finding: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextLine {
    pub no: usize,
    pub segs: Vec<Seg>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffKind {
    Header,
    Hunk,
    Context,
    Added,
    Removed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: DiffKind,
    pub old: Option<usize>,
    pub new: Option<usize>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Loading,
    Message(String),
    Error(String),
    Text {
        lines: Vec<TextLine>,
        start: u64,
        end: u64,
        size: u64,
    },
    Hex {
        bytes: Vec<u8>,
        start: u64,
        size: u64,
    },
    Diff {
        lines: Vec<DiffLine>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewDoc {
    pub req: PreviewReq,
    pub title: String,
    pub banner: Vec<String>,
    pub body: Body,
    /// The version whose bytes are shown (a ghost shows what it removed).
    pub source: Option<(usize, u32)>,
    /// Row of `lines` to scroll to.
    pub target_line: Option<usize>,
}

impl PreviewDoc {
    pub fn loading(req: PreviewReq) -> PreviewDoc {
        PreviewDoc {
            req,
            title: String::new(),
            banner: Vec::new(),
            body: Body::Loading,
            source: None,
            target_line: None,
        }
    }
    /// Lines the body takes on screen (for scrolling).
    pub fn body_len(&self) -> usize {
        match &self.body {
            Body::Text { lines, .. } => lines.len(),
            Body::Hex { bytes, .. } => bytes.len().div_ceil(16),
            Body::Diff { lines } => lines.len(),
            _ => 1,
        }
    }
}

/// The build step that made `layer`, short; secrets in it masked unless `reveal`.
fn step_of(a: &Analysis, layer: usize, reveal: bool) -> String {
    a.layers
        .get(layer)
        .and_then(|l| l.history)
        .and_then(|h| a.history.get(h))
        .and_then(|h| h.created_by.as_deref())
        .map(|c| short_created_by(a.display_text(c, reveal)))
        .unwrap_or_else(|| format!("layer {layer}"))
}

/// Builds the preview. `spans` gives the secrets of a file version (layer, entry).
pub fn build(
    a: &Analysis,
    req: &PreviewReq,
    spans: &dyn Fn(usize, u32) -> Vec<SecretSpan>,
) -> PreviewDoc {
    let mut doc = PreviewDoc::loading(req.clone());
    let path_s = format!("/{}", a.path_string(req.path));
    doc.title = path_s.clone();
    let Some(v) = a.tree.state_at(req.path, req.layer) else {
        doc.body = Body::Message(format!("{path_s} does not exist in layer {}", req.layer));
        return doc;
    };
    let v = *v;
    let source: Option<Version> = if v.change == Change::Removed {
        let prev = a.tree.previous(v.path, v.layer as usize).copied();
        let step = step_of(a, v.layer as usize, req.reveal);
        match prev.and_then(|p| a.entry(&p).map(|e| (p, e))) {
            Some((p, e)) if e.kind.has_content() => doc.banner.push(format!(
                "ghost: removed in layer {} by `{}`, still readable from layer {} ({})",
                v.layer,
                step,
                p.layer,
                human(e.size)
            )),
            _ => doc
                .banner
                .push(format!("removed in layer {} by `{}`", v.layer, step)),
        }
        prev
    } else {
        Some(v)
    };
    let Some(src) = source else {
        doc.body = Body::Message("removed; no earlier version to show".into());
        return doc;
    };
    if src.layer as usize != req.layer && v.change != Change::Removed {
        doc.banner.push(format!(
            "unchanged here; last written in layer {}",
            src.layer
        ));
    }
    if v.change != Change::Removed {
        if let Some(s) = a.tree.superseded_by(src.path, src.layer as usize) {
            let step = step_of(a, s.layer as usize, req.reveal);
            if s.change == Change::Removed && is_file(a, &src) {
                doc.banner.push(format!(
                    "later removed in layer {} by `{}`: these bytes still ship in layer {}",
                    s.layer, step, src.layer
                ));
            } else if s.change == Change::Modified {
                doc.banner.push(format!(
                    "replaced in layer {} by `{}`; this version still ships in layer {}",
                    s.layer, step, src.layer
                ));
            }
        }
    }
    if src.entry == NO_ENTRY {
        doc.body = Body::Message("directory (implied by its contents)".into());
        return doc;
    }
    let Some(entry) = a.entry(&src).cloned() else {
        doc.body = Body::Error("entry not found in its layer".into());
        return doc;
    };
    doc.source = Some((src.layer as usize, src.entry));
    let kind_label = if entry.kind.has_content() {
        format!(" · {} · layer {}", human(entry.size), src.layer)
    } else {
        format!(" · layer {}", src.layer)
    };
    doc.title.push_str(&kind_label);
    if let Some(desc) = content::describe_non_file(&entry) {
        doc.body = Body::Message(desc);
        return doc;
    }
    if req.diff {
        doc.body = diff_body(a, &src, &entry, req.reveal, spans);
        return doc;
    }
    let secret = spans(src.layer as usize, src.entry);
    match read_text(a, src.layer as usize, &entry, req, &secret) {
        Ok((body, target)) => {
            doc.body = body;
            doc.target_line = target;
        }
        Err(e) => doc.body = Body::Error(e),
    }
    doc
}

fn is_file(a: &Analysis, v: &Version) -> bool {
    a.entry(v).is_some_and(|e| e.kind.has_content())
}

fn read_text(
    a: &Analysis,
    layer: usize,
    entry: &Entry,
    req: &PreviewReq,
    secrets: &[SecretSpan],
) -> Result<(Body, Option<usize>), String> {
    let mut start = req.start.min(entry.size);
    let mut first_line = req.first_line.max(1);
    if let Some(t) = req.target {
        if t >= TEXT_CHUNK as u64 / 2 && t < entry.size {
            // Count the lines before the target so line numbers stay true.
            let pre =
                content::read_range(a, layer, entry, 0, t as usize).map_err(|e| e.to_string())?;
            let line_start = pre
                .bytes
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            // Start a few lines before the match.
            let mut s = line_start;
            for _ in 0..5 {
                if s == 0 {
                    break;
                }
                s = pre.bytes[..s - 1]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
            }
            start = s as u64;
            first_line = pre.bytes[..s].iter().filter(|&&b| b == b'\n').count() + 1;
        } else if t < TEXT_CHUNK as u64 / 2 {
            start = 0;
            first_line = 1;
        }
    }
    let c = content::read_range(a, layer, entry, start, TEXT_CHUNK).map_err(|e| e.to_string())?;
    if c.bytes.is_empty() && entry.size == 0 {
        return Ok((Body::Message("empty file".into()), None));
    }
    if content::is_binary(&c.bytes) {
        let hstart = start - start % 16;
        let h =
            content::read_range(a, layer, entry, hstart, HEX_CHUNK).map_err(|e| e.to_string())?;
        return Ok((
            Body::Hex {
                bytes: h.bytes,
                start: hstart,
                size: entry.size,
            },
            None,
        ));
    }
    let mut bytes = c.bytes;
    if c.truncated {
        if let Some(i) = bytes.iter().rposition(|&b| b == b'\n') {
            bytes.truncate(i + 1);
        }
    }
    let end = start + bytes.len() as u64;
    let lines = split_lines(&bytes, start, first_line, secrets);
    let target = req.target.and_then(|t| {
        if t < start || t >= end.max(start + 1) {
            return None;
        }
        let before = bytes[..(t - start) as usize]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Some(before)
    });
    Ok((
        Body::Text {
            lines,
            start,
            end,
            size: entry.size,
        },
        target,
    ))
}

/// Splits text into numbered lines, cutting out the secret spans as their own segments.
pub fn split_lines(
    bytes: &[u8],
    start: u64,
    first_line: usize,
    secrets: &[SecretSpan],
) -> Vec<TextLine> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut no = first_line;
    while pos < bytes.len() {
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| pos + i);
        let (ls, le) = (start + pos as u64, start + end as u64);
        let mut segs = Vec::new();
        let mut cur = ls;
        let mut cuts: Vec<&SecretSpan> = secrets
            .iter()
            .filter(|s| s.span.start < le && s.span.end > ls)
            .collect();
        cuts.sort_by_key(|s| s.span.start);
        for s in cuts {
            let a = s.span.start.max(cur);
            let b = s.span.end.min(le);
            if a >= b {
                continue;
            }
            if a > cur {
                segs.push(plain(&bytes[(cur - start) as usize..(a - start) as usize]));
            }
            let raw = &bytes[(a - start) as usize..(b - start) as usize];
            let whole = s.span.start >= ls && s.span.end <= le;
            let masked = if whole {
                clean(&s.masked)
            } else {
                "•".repeat(raw.len().min(40))
            };
            segs.push(Seg {
                text: clean_line(raw),
                masked: Some(masked),
                finding: Some(s.finding),
            });
            cur = b;
        }
        if cur < le || segs.is_empty() {
            segs.push(plain(&bytes[(cur - start) as usize..end]));
        }
        out.push(TextLine { no, segs });
        no += 1;
        pos = end + 1;
    }
    out
}

fn plain(b: &[u8]) -> Seg {
    Seg {
        text: clean_line(b),
        masked: None,
        finding: None,
    }
}

fn diff_body(
    a: &Analysis,
    src: &Version,
    entry: &Entry,
    reveal: bool,
    spans: &dyn Fn(usize, u32) -> Vec<SecretSpan>,
) -> Body {
    let Some(old) = a.tree.previous(src.path, src.layer as usize).copied() else {
        return Body::Message(format!(
            "no earlier version: layer {} added this file",
            src.layer
        ));
    };
    let Some(old_entry) = a.entry(&old).cloned() else {
        return Body::Message("the earlier version is an implied directory".into());
    };
    if !old_entry.kind.has_content() {
        let d = content::describe_non_file(&old_entry).unwrap_or_default();
        return Body::Message(format!("layer {} had a {} here", old.layer, d));
    }
    let read = |layer: usize, e: &Entry, eno: u32| -> Result<Vec<u8>, String> {
        let c = content::read(a, layer, e, DIFF_CAP).map_err(|e| e.to_string())?;
        let mut b = c.bytes;
        if !reveal {
            for s in spans(layer, eno) {
                let (x, y) = (s.span.start as usize, (s.span.end as usize).min(b.len()));
                if x < y {
                    b.splice(x..y, s.masked.bytes());
                }
            }
        }
        Ok(b)
    };
    let (ob, nb) = match (
        read(old.layer as usize, &old_entry, old.entry),
        read(src.layer as usize, entry, src.entry),
    ) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => return Body::Error(e),
    };
    if content::is_binary(&ob) || content::is_binary(&nb) {
        return Body::Message(format!(
            "binary files differ: layer {} has {}, layer {} has {}",
            old.layer,
            human(old_entry.size),
            src.layer,
            human(entry.size)
        ));
    }
    let mut lines = vec![
        DiffLine {
            kind: DiffKind::Header,
            old: None,
            new: None,
            text: format!("--- layer {} ({})", old.layer, human(old_entry.size)),
        },
        DiffLine {
            kind: DiffKind::Header,
            old: None,
            new: None,
            text: format!("+++ layer {} ({})", src.layer, human(entry.size)),
        },
    ];
    lines.extend(unified(&ob, &nb));
    if lines.len() == 2 {
        lines.push(DiffLine {
            kind: DiffKind::Context,
            old: None,
            new: None,
            text: "(same text; only metadata changed)".into(),
        });
    }
    Body::Diff { lines }
}

/// A unified diff (3 lines of context) of two texts, each line cleaned for the terminal.
pub fn unified(old: &[u8], new: &[u8]) -> Vec<DiffLine> {
    let split = |b: &[u8]| -> Vec<String> {
        let mut v: Vec<String> = b.split(|&c| c == b'\n').map(clean_line).collect();
        if b.ends_with(b"\n") {
            v.pop();
        }
        v
    };
    let (o, n) = (split(old), split(new));
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &o, &n);
    let mut out = Vec::new();
    for group in similar::group_diff_ops(ops, 3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (or, nr) = (first.old_range().start, first.new_range().start);
        let (oe, ne) = (last.old_range().end, last.new_range().end);
        out.push(DiffLine {
            kind: DiffKind::Hunk,
            old: None,
            new: None,
            text: format!("@@ -{},{} +{},{} @@", or + 1, oe - or, nr + 1, ne - nr),
        });
        for op in &group {
            for change in op.iter_changes(&o, &n) {
                let (kind, old_no, new_no) = match change.tag() {
                    similar::ChangeTag::Equal => (
                        DiffKind::Context,
                        change.old_index().map(|i| i + 1),
                        change.new_index().map(|i| i + 1),
                    ),
                    similar::ChangeTag::Delete => {
                        (DiffKind::Removed, change.old_index().map(|i| i + 1), None)
                    }
                    similar::ChangeTag::Insert => {
                        (DiffKind::Added, None, change.new_index().map(|i| i + 1))
                    }
                };
                out.push(DiffLine {
                    kind,
                    old: old_no,
                    new: new_no,
                    text: change.value().clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_lines() {
        let d = unified(b"a\nb\nc\n", b"a\nB\nc\nd\n");
        let kinds: Vec<DiffKind> = d.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            vec![
                DiffKind::Hunk,
                DiffKind::Context,
                DiffKind::Removed,
                DiffKind::Added,
                DiffKind::Context,
                DiffKind::Added
            ]
        );
        assert_eq!(d[0].text, "@@ -1,3 +1,4 @@");
    }

    #[test]
    fn secret_segments() {
        let s = SecretSpan {
            span: 7..11,
            masked: "a***".into(),
            finding: 0,
        };
        let lines = split_lines(b"x\ntok: abcd!\n", 0, 1, &[s]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].no, 2);
        let segs = &lines[1].segs;
        assert_eq!(segs[0].text, "tok: ");
        assert_eq!(segs[1].text, "abcd");
        assert_eq!(segs[1].masked.as_deref(), Some("a***"));
        assert_eq!(segs[2].text, "!");
        // A span across lines is masked part by part.
        let multi = SecretSpan {
            span: 0..4,
            masked: "m".into(),
            finding: 1,
        };
        let lines = split_lines(b"x\ntok\n", 0, 1, &[multi]);
        assert_eq!(lines[0].segs[0].masked.as_deref(), Some("•"));
        assert_eq!(lines[1].segs[0].text, "to");
        assert_eq!(lines[1].segs[1].text, "k");
    }
}

//! The preview of one file version, built on a worker thread into plain data (no styles): text
//! lines with secret segments, a hex dump, or a unified diff against the previous version. Large
//! files are read one chunk at a time with `content::read_range`, never whole.

use std::ops::Range;

use crate::tui::text::{human, line_escape};
use layerscope_core::analysis::Analysis;
use layerscope_core::content;
use layerscope_core::image::short_created_by;
use layerscope_core::layer::Entry;
use layerscope_core::paths::PathId;
use layerscope_core::secrets::{redact, KnownSecrets, Piece, SecretSpan};
use layerscope_core::tree::{Change, Version, NO_ENTRY};

/// Bytes of text read per chunk.
pub(crate) const TEXT_CHUNK: usize = 256 << 10;
/// Bytes shown per hex chunk.
pub(crate) const HEX_CHUNK: usize = 64 << 10;
/// Each side of a diff is read up to this much.
pub(crate) const DIFF_CAP: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewReq {
    pub gen: u64,
    pub path: PathId,
    /// The selected layer: the file is shown as it is there.
    pub layer: usize,
    pub diff: bool,
    /// Banners name build steps, masked unless revealed (file text is masked at render time).
    pub reveal: bool,
    pub start: u64,
    pub first_line: usize,
    /// A byte offset to bring into view (search hit, finding).
    pub target: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextLine {
    pub no: usize,
    /// The line cut by `secrets::redact`: the renderer picks each piece's shown form.
    pub pieces: Vec<Piece>,
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
    /// `-` lines are masked with the old version's secrets, `+` lines with the new one's.
    pub pieces: Vec<Piece>,
}

impl DiffLine {
    pub(crate) fn note(kind: DiffKind, text: String) -> DiffLine {
        DiffLine {
            kind,
            old: None,
            new: None,
            pieces: vec![Piece::plain(text)],
        }
    }
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
        /// Secret byte ranges (absolute in the file): shown as `••` until revealed.
        hidden: Vec<Range<u64>>,
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
    /// The package owning `source` as of the layer shown and whether the file has its bytes
    /// (None: no package owns it). See `tui::owner`.
    pub owner: Option<(
        layerscope_core::packages::PackageId,
        layerscope_core::packages::FileState,
    )>,
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
            owner: None,
        }
    }
    /// Lines the body takes on screen (for scrolling).
    pub(crate) fn body_len(&self) -> usize {
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

/// Builds the preview; every byte of file content is cut by `secrets::redact` with the secrets of
/// its own version and every known secret value.
pub fn build(a: &Analysis, req: &PreviewReq) -> PreviewDoc {
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
    doc.owner = crate::tui::owner::owner_at(a, req.layer, src.layer as usize, src.entry);
    let kind_label = if entry.kind.has_content() {
        format!(" · {} · layer {}", human(entry.size), src.layer)
    } else {
        format!(" · layer {}", src.layer)
    };
    doc.title.push_str(&kind_label);
    if let Some(note) = elsewhere(a, &src) {
        doc.banner.push(note);
    }
    if let Some(desc) = content::describe_non_file(&entry) {
        doc.body = Body::Message(desc);
        return doc;
    }
    if req.diff {
        // With nothing to compare against, the diff mode shows the content under a note
        // instead of an empty pane.
        if a.tree.previous(src.path, src.layer as usize).is_some() {
            doc.body = diff_body(a, &src, &entry);
            return doc;
        }
        doc.banner.push(format!(
            "no earlier version to diff: layer {} added this file; its content follows",
            src.layer
        ));
    }
    let secret = a.secret_spans(src.layer as usize, src.entry);
    match read_text(a, src.layer as usize, &entry, req, &secret) {
        Ok((body, target)) => {
            doc.body = body;
            doc.target_line = target;
        }
        Err(e) => doc.body = Body::Error(e),
    }
    doc
}

/// `findings in other versions: layer 2 (2)`: a clean latest version must not
/// hide an older one that held secrets.
fn elsewhere(a: &Analysis, src: &Version) -> Option<String> {
    let mut per_layer: Vec<(usize, usize)> = Vec::new();
    for f in &a.findings {
        let (Some(p), Some(l)) = (f.path, f.layer) else {
            continue;
        };
        if p != src.path || (l == src.layer as usize && f.entry == Some(src.entry)) {
            continue;
        }
        match per_layer.iter_mut().find(|(x, _)| *x == l) {
            Some((_, n)) => *n += 1,
            None => per_layer.push((l, 1)),
        }
    }
    if per_layer.is_empty() {
        return None;
    }
    per_layer.sort_unstable();
    let list: Vec<String> = per_layer
        .iter()
        .map(|(l, n)| format!("layer {l} ({n})"))
        .collect();
    // Short: at 80×24 it shares the pane with the content.
    Some(format!("findings in other versions: {}", list.join(", ")))
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
        let end = hstart + h.bytes.len() as u64;
        let hidden = secrets
            .iter()
            .chain(&a.known.find(&h.bytes, hstart))
            .filter(|s| s.range.start < end && s.range.end > hstart)
            .map(|s| s.range.clone())
            .collect();
        return Ok((
            Body::Hex {
                bytes: h.bytes,
                start: hstart,
                size: entry.size,
                hidden,
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
    let lines = split_lines(&bytes, start, first_line, secrets, &a.known);
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

/// Splits text into numbered lines, each cut by `secrets::redact`.
pub(crate) fn split_lines(
    bytes: &[u8],
    start: u64,
    first_line: usize,
    secrets: &[SecretSpan],
    known: &KnownSecrets,
) -> Vec<TextLine> {
    lines_of(bytes)
        .enumerate()
        .map(|(i, (off, line))| TextLine {
            no: first_line + i,
            pieces: redact(line, start + off as u64, secrets, known, &line_escape),
        })
        .collect()
}

/// The lines of a text with their byte offsets, without `\n` or a CRLF's `\r`.
fn lines_of(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let line = &bytes[pos..end];
        let item = (pos, line.strip_suffix(b"\r").unwrap_or(line));
        pos = end + 1;
        Some(item)
    })
}

fn diff_body(a: &Analysis, src: &Version, entry: &Entry) -> Body {
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
    let read = |layer: usize, e: &Entry| -> Result<Vec<u8>, String> {
        content::read(a, layer, e, DIFF_CAP)
            .map(|c| c.bytes)
            .map_err(|e| e.to_string())
    };
    let (ob, nb) = match (
        read(old.layer as usize, &old_entry),
        read(src.layer as usize, entry),
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
        DiffLine::note(
            DiffKind::Header,
            format!("--- layer {} ({})", old.layer, human(old_entry.size)),
        ),
        DiffLine::note(
            DiffKind::Header,
            format!("+++ layer {} ({})", src.layer, human(entry.size)),
        ),
    ];
    let old_side = Side {
        bytes: &ob,
        secrets: &a.secret_spans(old.layer as usize, old.entry),
    };
    let new_side = Side {
        bytes: &nb,
        secrets: &a.secret_spans(src.layer as usize, src.entry),
    };
    lines.extend(unified(old_side, new_side, &a.known));
    if lines.len() == 2 {
        lines.push(DiffLine::note(
            DiffKind::Context,
            "(same text; only metadata changed)".into(),
        ));
    }
    Body::Diff { lines }
}

/// One side of a diff: its bytes and the secret spans of that file version.
#[derive(Clone, Copy)]
pub(crate) struct Side<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) secrets: &'a [SecretSpan],
}

/// A unified diff (3 lines of context) of two texts. Each line is cut by `secrets::redact` with
/// the secrets of its own side (a context line, the same bytes on both sides, with both).
pub(crate) fn unified(old: Side, new: Side, known: &KnownSecrets) -> Vec<DiffLine> {
    let o: Vec<(usize, &[u8])> = lines_of(old.bytes).collect();
    let n: Vec<(usize, &[u8])> = lines_of(new.bytes).collect();
    let ot: Vec<&[u8]> = o.iter().map(|l| l.1).collect();
    let nt: Vec<&[u8]> = n.iter().map(|l| l.1).collect();
    let cut = |side: Side, (off, line): (usize, &[u8]), extra: &[SecretSpan]| -> Vec<Piece> {
        let mut spans = side.secrets.to_vec();
        spans.extend_from_slice(extra);
        redact(line, off as u64, &spans, known, &line_escape)
    };
    // The old side's spans of a context line, moved to where the line sits in the new version.
    let moved = |oi: usize, ni: usize| -> Vec<SecretSpan> {
        let (oo, ol) = o[oi];
        let no = n[ni].0 as u64;
        let (ls, le) = (oo as u64, (oo + ol.len()) as u64);
        old.secrets
            .iter()
            .filter(|s| s.range.start < le && s.range.end > ls)
            .map(|s| SecretSpan {
                range: (s.range.start + no).saturating_sub(ls)..s.range.end - ls + no,
                finding: s.finding,
            })
            .collect()
    };
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &ot, &nt);
    let mut out = Vec::new();
    for group in similar::group_diff_ops(ops, 3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (or, nr) = (first.old_range().start, first.new_range().start);
        let (oe, ne) = (last.old_range().end, last.new_range().end);
        out.push(DiffLine::note(
            DiffKind::Hunk,
            format!("@@ -{},{} +{},{} @@", or + 1, oe - or, nr + 1, ne - nr),
        ));
        for op in &group {
            for change in op.iter_changes(&ot, &nt) {
                let (oi, ni) = (change.old_index(), change.new_index());
                let (kind, pieces) = match (change.tag(), oi, ni) {
                    (similar::ChangeTag::Equal, Some(oi), Some(ni)) => {
                        (DiffKind::Context, cut(new, n[ni], &moved(oi, ni)))
                    }
                    (similar::ChangeTag::Delete, Some(oi), _) => {
                        (DiffKind::Removed, cut(old, o[oi], &[]))
                    }
                    (similar::ChangeTag::Insert, _, Some(ni)) => {
                        (DiffKind::Added, cut(new, n[ni], &[]))
                    }
                    _ => continue,
                };
                out.push(DiffLine {
                    kind,
                    old: oi.map(|i| i + 1),
                    new: ni.map(|i| i + 1),
                    pieces,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerscope_core::secrets::shown;

    fn span(r: Range<u64>, finding: usize) -> SecretSpan {
        SecretSpan {
            range: r,
            finding: Some(finding),
        }
    }

    fn plain_side(b: &[u8]) -> Side<'_> {
        Side {
            bytes: b,
            secrets: &[],
        }
    }

    #[test]
    fn diff_marks_lines() {
        let d = unified(
            plain_side(b"a\nb\nc\n"),
            plain_side(b"a\nB\nc\nd\n"),
            &KnownSecrets::default(),
        );
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
        assert_eq!(shown(&d[0].pieces, true), "@@ -1,3 +1,4 @@");
    }

    #[test]
    fn diff_masks_each_side_with_its_own_spans() {
        // Two secrets on the second line of the old side: the second one sits after the first
        // on the same line, where an offset shifted by the first mask would leak it.
        let old = b"GITHUB_TOKEN=ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nA=hf_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb B=hf_cccccccccccccccccccccccccccccccccc\n";
        let new = b"A=<redacted>\nZ=ghp_dddddddddddddddddddddddddddddddddddd\n";
        let os = [span(13..53, 0), span(56..93, 1), span(96..133, 2)];
        let ns = [span(15..55, 3)];
        let d = unified(
            Side {
                bytes: old,
                secrets: &os,
            },
            Side {
                bytes: new,
                secrets: &ns,
            },
            &KnownSecrets::default(),
        );
        let text: Vec<String> = d.iter().map(|l| shown(&l.pieces, false)).collect();
        assert!(text.contains(&"GITHUB_TOKEN=ghp_…".to_string()), "{text:?}");
        assert!(text.contains(&"A=hf_b… B=hf_c…".to_string()), "{text:?}");
        assert!(text.contains(&"Z=ghp_…".to_string()), "{text:?}");
        let revealed: Vec<String> = d.iter().map(|l| shown(&l.pieces, true)).collect();
        assert!(revealed.iter().any(|l| l.contains("hf_cccc")));
    }

    #[test]
    fn diff_masks_a_secret_the_other_side_no_longer_flags() {
        // The new side holds the old side's value where no rule fired: the known value masks it.
        let old = b"token: s3cr3t-v4lue-0123456789\n";
        let new = b"# was s3cr3t-v4lue-0123456789\n";
        let d = unified(
            Side {
                bytes: old,
                secrets: &[span(7..30, 0)],
            },
            plain_side(new),
            &KnownSecrets::new(["s3cr3t-v4lue-0123456789"]),
        );
        for l in &d {
            assert!(!shown(&l.pieces, false).contains("v4lue"), "{:?}", l);
        }
    }

    #[test]
    fn secret_segments() {
        let k = KnownSecrets::default();
        let lines = split_lines(b"x\ntok: abcdefgh!\n", 0, 1, &[span(7..15, 0)], &k);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].no, 2);
        let p = &lines[1].pieces;
        assert_eq!(p[0].text, "tok: ");
        assert_eq!(p[1].text, "abcdefgh");
        assert_eq!(p[1].secret.as_ref().unwrap().masked, "ab…");
        assert_eq!(p[2].text, "!");
        // A span across lines: the continuation shows no characters.
        let lines = split_lines(b"xy\ntok\n", 0, 1, &[span(0..5, 1)], &k);
        assert_eq!(shown(&lines[0].pieces, false), "…");
        assert_eq!(shown(&lines[1].pieces, false), "••k");
    }
}

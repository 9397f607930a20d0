//! The history, layer details, image details and findings panes, and the list overlays.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::app::{App, FindingRow, ListState, Pane, View};
use crate::tui::text::{clean, human, truncate};
use crate::tui::theme::Theme;
use crate::tui::ui::{block, centered, pad};
use layerscope_core::analysis::Analysis;
use layerscope_core::external::{Agreement, Reconciled};
use layerscope_core::findings::{Finding, FindingSource, Status};
use layerscope_core::image::short_created_by;
use layerscope_core::secrets::Severity;

pub(crate) struct Ctx<'a> {
    pub app: &'a App,
    pub v: &'a View,
    pub theme: &'a Theme,
}

impl Ctx<'_> {
    fn focused(&self, p: Pane) -> bool {
        self.app.focus == p
    }
    fn sel_style(&self, p: Pane) -> Style {
        if self.focused(p) {
            self.theme.selected
        } else {
            self.theme.selected_unfocused
        }
    }
}

fn step_text(a: &Analysis, h: Option<usize>, layer: Option<usize>, reveal: bool) -> String {
    match h.and_then(|i| a.history.get(i)) {
        Some(h) => match h.created_by.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(c) => short_created_by(a.display_text(c, reveal)),
            None => clean(h.comment.as_deref().unwrap_or("(no command recorded)")),
        },
        None => format!("(no history) layer {}", layer.unwrap_or(0)),
    }
}

pub(crate) fn history(f: &mut Frame, r: Rect, c: &Ctx) {
    let v = c.v;
    let a = v.a();
    let vis = v.visible_hist();
    let title = format!(
        " History · {} steps, {} layers{} ",
        a.history.len(),
        a.layers.len(),
        if v.hide_base { " · base hidden" } else { "" }
    );
    let b = block(title, c.focused(Pane::History), c.theme);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let w = inner.width as usize;
    let h = inner.height as usize;
    if vis.is_empty() {
        f.render_widget(
            Paragraph::new("no history and no layers").style(c.theme.dim),
            inner,
        );
        return;
    }
    let mut lines = Vec::new();
    for (i, &ri) in vis.iter().enumerate().skip(v.hist.off).take(h) {
        let row = &v.m.hist[ri];
        let cmd = step_text(a, row.history, row.layer, v.reveal);
        let n = v.m.row_findings(row);
        let badge = if n > 0 {
            format!("!{n} ")
        } else {
            String::new()
        };
        let mut spans = Vec::new();
        let in_base = v.base.is_some_and(|b| row.target <= b && !v.hide_base);
        match row.layer {
            Some(l) => {
                let idx_style = if in_base { c.theme.dim } else { c.theme.title };
                spans.push(Span::styled(format!("{l:>2} "), idx_style));
                spans.push(Span::styled(
                    format!("{:>8} ", human(a.layers[l].size)),
                    c.theme.text,
                ));
                let room = w.saturating_sub(12 + badge.chars().count());
                if n > 0 {
                    spans.push(Span::styled(badge, c.theme.finding));
                }
                spans.push(Span::raw(truncate(&cmd, room)));
            }
            None => {
                spans.push(Span::styled("   ", c.theme.dim));
                spans.push(Span::styled(format!("{:>8} ", "·"), c.theme.dim));
                spans.push(Span::styled(
                    truncate(&cmd, w.saturating_sub(12)),
                    c.theme.dim,
                ));
            }
        }
        let style = if i == v.hist.sel {
            c.sel_style(Pane::History)
        } else {
            Style::default()
        };
        lines.push(pad(spans, w, style));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

pub(crate) fn layer_details(f: &mut Frame, r: Rect, c: &Ctx) {
    let v = c.v;
    let a = v.a();
    let t = c.theme;
    let vis = v.visible_hist();
    let row = vis.get(v.hist.sel).map(|&i| &v.m.hist[i]);
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
        lines.push(Line::from(vec![
            Span::styled(
                format!("Layer {} of {}  ", l.index, a.layers.len()),
                t.title,
            ),
            Span::styled(format!("+{} ", l.added), t.added),
            Span::styled(format!("~{} ", l.modified), t.modified),
            Span::styled(format!("-{} ", l.removed), t.removed),
            Span::raw(format!(" {}", human(l.size))),
        ]));
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
        if l.member.is_none() {
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
                human(l.size),
                human(l.compressed_size),
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

pub(crate) fn image_details(f: &mut Frame, r: Rect, c: &Ctx) {
    let v = c.v;
    let a = v.a();
    let t = c.theme;
    let e = &a.efficiency;
    let kv = |k: &str, val: String| -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{k}: "), t.title),
            Span::raw(val),
        ])
    };
    // Opened without an argument: say so, and how to open one's own image.
    let demo = a
        .source
        .container
        .display()
        .ends_with("assets/demo/demo.tar");
    let mut lines: Vec<Line> = vec![
        if demo {
            Line::from(vec![
                Span::styled("Demo image ", t.title),
                Span::raw(format!(
                    "{} (every classic leak; open yours: layerscope IMAGE)",
                    clean(&a.source.image.reference)
                )),
            ])
        } else {
            kv("Image", clean(&a.source.image.reference))
        },
        kv(
            "Format",
            format!(
                "{} · {}/{}",
                a.format().name(),
                clean(&a.config.os),
                clean(&a.config.architecture)
            ),
        ),
        kv("Total size", human(a.total_size())),
        kv(
            "Efficiency",
            format!(
                "{:.1} % · wasted {}",
                e.score * 100.0,
                human(e.wasted_bytes)
            ),
        ),
    ];
    lines.extend(crate::tui::ui::panes::findings_summary(c));
    if !e.wasted.is_empty() {
        lines.push(Line::styled("Largest wasted paths:", t.title));
        for w in e.wasted.iter().take(8) {
            lines.push(Line::raw(format!(
                "  {:>8} ×{} /{}",
                human(w.bytes),
                w.versions,
                a.path_string(w.path)
            )));
        }
    }
    if !a.config.env.is_empty() {
        lines.push(Line::styled("Env:", t.title));
        for env in &a.config.env {
            lines.push(Line::raw(format!("  {}", env_shown(c, env))));
        }
    }
    if !a.config.labels.is_empty() {
        lines.push(Line::styled("Labels:", t.title));
        for (k, val) in &a.config.labels {
            lines.push(Line::raw(format!(
                "  {}={}",
                clean(k),
                clean(a.display_text(val, v.reveal))
            )));
        }
    }
    for (k, val) in [
        (
            "Entrypoint",
            a.config.entrypoint.as_ref().map(|x| x.join(" ")),
        ),
        ("Cmd", a.config.cmd.as_ref().map(|x| x.join(" "))),
        ("User", a.config.user.clone()),
        ("Workdir", a.config.working_dir.clone()),
    ] {
        if let Some(val) = val {
            lines.push(kv(k, clean(a.display_text(&val, v.reveal))));
        }
    }
    if !a.warnings.is_empty() {
        lines.push(Line::styled(
            format!("Warnings ({}):", a.warnings.len()),
            t.warning,
        ));
        for w in &a.warnings {
            lines.push(Line::raw(format!("  {}: {}", w.code, clean(&w.message))));
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(block(" Image ", c.focused(Pane::Image), t))
            .wrap(Wrap { trim: false })
            .scroll((v.image_scroll.min(u16::MAX as usize) as u16, 0)),
        r,
    );
}

fn env_shown(c: &Ctx, env: &str) -> String {
    clean(c.v.a().display_text(env, c.v.reveal))
}

pub(crate) fn sev_label(s: Severity, t: &Theme) -> Span<'static> {
    let (txt, st) = match s {
        Severity::Critical => ("CRIT", t.sev_critical),
        Severity::High => ("HIGH", t.sev_high),
        Severity::Medium => ("MED ", t.sev_medium),
        Severity::Low => ("LOW ", t.sev_low),
    };
    Span::styled(txt, st)
}

fn status_style(s: Status, t: &Theme) -> Style {
    match s {
        Status::Deleted | Status::Overwritten => t.ghost,
        Status::Visible => t.finding,
        Status::History | Status::Config => t.warning,
    }
}

pub(crate) fn findings_summary(c: &Ctx) -> Vec<Line<'static>> {
    let a = c.v.a();
    let t = c.theme;
    let mut spans = vec![Span::styled("Findings: ", t.title)];
    if a.findings.is_empty() {
        spans.push(Span::raw("none"));
        return vec![Line::from(spans)];
    }
    let mut first = true;
    for s in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let n = a.findings.iter().filter(|f| f.severity == s).count();
        if n == 0 {
            continue;
        }
        if !first {
            spans.push(Span::raw(", "));
        }
        first = false;
        let st = sev_label(s, t).style;
        spans.push(Span::styled(format!("{n} {}", s.as_str()), st));
    }
    let hidden = a
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Deleted | Status::Overwritten))
        .count();
    let mut out = vec![Line::from(spans)];
    if hidden > 0 {
        out.push(Line::styled(
            format!("  {hidden} in deleted/overwritten files that still ship"),
            t.ghost,
        ));
    }
    out
}

/// Where a finding is, in a few words.
pub(crate) fn finding_place(a: &Analysis, f: &Finding) -> String {
    match f.source {
        FindingSource::File => format!(
            "L{} /{}:{}",
            f.layer.unwrap_or(0),
            f.path.map(|p| a.path_string(p)).unwrap_or_default(),
            f.line
        ),
        FindingSource::History => format!("step {}", f.history.unwrap_or(0)),
        FindingSource::Env => format!("ENV {}", clean(f.key.as_deref().unwrap_or(""))),
        FindingSource::Label => format!("LABEL {}", clean(f.key.as_deref().unwrap_or(""))),
        FindingSource::Config => format!("config {}", clean(f.key.as_deref().unwrap_or(""))),
    }
}

pub(crate) fn findings(f: &mut Frame, r: Rect, c: &Ctx) {
    let v = c.v;
    let a = v.a();
    let t = c.theme;
    let title = if v.external.is_empty() {
        format!(" Findings · {} ", a.findings.len())
    } else {
        format!(
            " Findings · {} · {} from reports ",
            a.findings.len(),
            v.external.len()
        )
    };
    let b = block(title, c.focused(Pane::Findings), t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    if v.finding_rows() == 0 {
        f.render_widget(Paragraph::new("no secrets found").style(t.dim), inner);
        return;
    }
    let w = inner.width as usize;
    let mut lines = Vec::new();
    for i in (v.findings.off..v.finding_rows()).take(inner.height as usize) {
        let spans = match v.finding_row(i) {
            Some(FindingRow::Own(fi)) => own_row(a, &a.findings[fi], w, t),
            Some(FindingRow::External(x)) => external_row(a, &v.external[x], w, t),
            None => continue,
        };
        let style = if i == v.findings.sel {
            c.sel_style(Pane::Findings)
        } else {
            Style::default()
        };
        lines.push(pad(spans, w, style));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn own_row(a: &Analysis, fd: &Finding, w: usize, t: &Theme) -> Vec<Span<'static>> {
    let st = fd.status.name();
    let place = finding_place(a, fd);
    let used = 5 + st.len() + 1 + place.chars().count() + 1;
    vec![
        sev_label(fd.severity, t),
        Span::raw(" "),
        Span::styled(st.to_string(), status_style(fd.status, t)),
        Span::raw(" "),
        Span::raw(truncate(&place, w.saturating_sub(6 + st.len()))),
        Span::raw(" "),
        Span::styled(truncate(&clean(&fd.title), w.saturating_sub(used)), t.dim),
    ]
}

fn agreement_style(r: &Reconciled, t: &Theme) -> Style {
    match r.agreement {
        Agreement::Confirmed => t.finding,
        Agreement::Deleted => t.ghost,
        Agreement::NoOwnFinding | Agreement::NotInImage => t.warning,
        Agreement::Unplaced => t.dim,
    }
}

/// Where an external finding is, in a few words.
pub(crate) fn external_place(a: &Analysis, r: &Reconciled) -> String {
    let line = r.ext.line.map(|l| format!(":{l}")).unwrap_or_default();
    match (r.path, r.layer) {
        (Some(p), Some(l)) => format!("L{l} /{}{line}", a.path_string(p)),
        (Some(p), None) => format!("/{}{line}", a.path_string(p)),
        (None, _) => match (&r.ext.path, &r.ext.location) {
            (Some(p), _) => format!("/{}{line}", clean(p)),
            (None, Some(l)) => clean(l),
            (None, None) => "-".into(),
        },
    }
}

fn external_row(a: &Analysis, r: &Reconciled, w: usize, t: &Theme) -> Vec<Span<'static>> {
    let tool = format!("[{}]", clean(&r.ext.tool));
    let tag = r.tag();
    let place = external_place(a, r);
    let sev = match r.ext.severity {
        Some(s) => sev_label(s, t),
        None => Span::styled("?   ", t.dim),
    };
    let used = tool.chars().count() + 1 + 5 + tag.len() + 1 + place.chars().count() + 1;
    let title = if r.ext.title.is_empty() {
        &r.ext.rule
    } else {
        &r.ext.title
    };
    vec![
        Span::styled(tool.clone(), t.title),
        Span::raw(" "),
        sev,
        Span::raw(" "),
        Span::styled(tag.to_string(), agreement_style(r, t)),
        Span::raw(" "),
        Span::raw(truncate(
            &place,
            w.saturating_sub(tool.chars().count() + 7 + tag.len()),
        )),
        Span::raw(" "),
        Span::styled(truncate(&clean(title), w.saturating_sub(used)), t.dim),
    ]
}

/// Details of another scanner's finding: what it says, where it is in this image, whether
/// layerscope agrees.
pub(crate) fn explain_external(
    f: &mut Frame,
    area: Rect,
    app: &App,
    index: usize,
    scroll: usize,
    t: &Theme,
) {
    let Some(v) = app.view() else { return };
    let a = v.a();
    let Some(r) = v.external.get(index) else {
        return;
    };
    let rect = centered(area, 84, area.height.saturating_sub(2).max(3));
    f.render_widget(Clear, rect);
    let kv = |k: &str, val: String| -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{k}: "), t.title),
            Span::raw(val),
        ])
    };
    let e = &r.ext;
    let mut head = vec![Span::styled(format!("[{}] ", clean(&e.tool)), t.title)];
    if let Some(s) = e.severity {
        head.push(sev_label(s, t));
        head.push(Span::raw(" "));
    }
    head.push(Span::styled(clean(&e.title), t.title));
    head.push(Span::styled(format!("  ({})", clean(&e.rule)), t.dim));
    let mut lines = vec![
        Line::from(head),
        kv("Where", external_place(a, r)),
        Line::from(vec![
            Span::styled("Agreement: ", t.title),
            Span::styled(r.tag().to_string(), agreement_style(r, t)),
        ]),
    ];
    if let Some(l) = r.stated_layer {
        lines.push(kv("Report's layer", format!("layer {l}")));
    } else if let Some(d) = e.layer_diff_id.as_ref().or(e.layer_digest.as_ref()) {
        lines.push(kv(
            "Report's layer",
            format!("{} (not in this image)", clean(d)),
        ));
    }
    if let Some(s) = e.shown_snippet(v.reveal) {
        let st = if v.reveal {
            t.secret_revealed
        } else {
            t.secret
        };
        lines.push(Line::from(vec![
            Span::styled("Match: ", t.title),
            Span::styled(clean(&s), st),
        ]));
    }
    if let Some(val) = &e.validation {
        lines.push(kv("Validation", clean(val)));
    }
    for &i in &r.own {
        if let Some(fd) = a.findings.get(i) {
            lines.push(kv(
                "layerscope",
                format!(
                    "{} ({}) {}",
                    clean(&fd.title),
                    clean(&fd.rule),
                    finding_place(a, fd)
                ),
            ));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(clean(&r.note)));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Enter in the findings list opens the file version.",
        t.dim,
    ));
    f.render_widget(
        Paragraph::new(lines)
            .block(block(" Finding from a report ", true, t))
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        rect,
    );
}

pub(crate) fn results(f: &mut Frame, area: Rect, app: &App, list: ListState, t: &Theme) {
    let Some(v) = app.view() else { return };
    let a = v.a();
    let r = centered(area, 90, area.height.saturating_sub(2).max(3));
    f.render_widget(Clear, r);
    let s = &v.search;
    let title = format!(
        " Search {:?} · {} hits{} ",
        clean(&s.query),
        s.hits.len(),
        if s.running { " · searching…" } else { "" }
    );
    let b = block(title, true, t);
    let inner = b.inner(r);
    f.render_widget(b, r);
    let w = inner.width as usize;
    let h = inner.height as usize;
    let mut lines = Vec::new();
    let last = a.layers.len().saturating_sub(1);
    let off = if list.sel >= h { list.sel + 1 - h } else { 0 };
    for (i, hit) in s.hits.iter().enumerate().skip(off).take(h) {
        let cur = a.tree.state_at(hit.path, last);
        let live = cur.is_some_and(|c| c.layer as usize == hit.layer && c.entry == hit.entry);
        let tag = if live {
            Span::raw("")
        } else if cur.is_some_and(|c| c.present()) {
            Span::styled(" [overwritten]", t.modified)
        } else {
            Span::styled(" [ghost]", t.ghost)
        };
        let loc = format!(
            "L{:<2} /{}:{}",
            hit.layer,
            a.path_string(hit.path),
            hit.line
        );
        let text = layerscope_core::secrets::shown(&hit.pieces, v.reveal);
        let room = w.saturating_sub(loc.chars().count() + tag.width() + 2);
        let spans = vec![
            Span::styled(loc, t.title),
            tag,
            Span::raw("  "),
            Span::raw(truncate(&text, room)),
        ];
        let style = if i == list.sel {
            t.selected
        } else {
            Style::default()
        };
        lines.push(pad(spans, w, style));
    }
    if s.hits.is_empty() {
        lines.push(Line::styled(
            if s.running {
                "searching…"
            } else {
                "no matches"
            },
            t.dim,
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

pub(crate) fn explain(
    f: &mut Frame,
    area: Rect,
    app: &App,
    finding: usize,
    scroll: usize,
    t: &Theme,
) {
    let Some(v) = app.view() else { return };
    let a = v.a();
    let Some(fd) = a.findings.get(finding) else {
        return;
    };
    let r = centered(area, 84, area.height.saturating_sub(2).max(3));
    f.render_widget(Clear, r);
    let kv = |k: &str, val: String| -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{k}: "), t.title),
            Span::raw(val),
        ])
    };
    let step = |layer: usize| -> String {
        a.layers
            .get(layer)
            .and_then(|l| l.history)
            .and_then(|h| a.history.get(h))
            .and_then(|h| h.created_by.as_deref())
            .map(|c| short_created_by(a.display_text(c, v.reveal)))
            .unwrap_or_else(|| format!("layer {layer}"))
    };
    let mut lines = vec![
        Line::from(vec![
            sev_label(fd.severity, t),
            Span::raw(" "),
            Span::styled(clean(&fd.title), t.title),
            Span::styled(format!("  ({})", clean(&fd.rule)), t.dim),
        ]),
        kv(
            "Status",
            format!(
                "{} · confidence {}",
                fd.status.name(),
                fd.confidence.as_str()
            ),
        ),
        kv("Where", finding_place(a, fd)),
    ];
    if let Some(l) = fd.layer {
        lines.push(kv("Made by", format!("layer {l}: `{}`", step(l))));
    }
    let secret = if v.reveal {
        Span::styled(clean(&fd.secret), t.secret_revealed)
    } else {
        Span::styled(clean(&fd.masked), t.secret)
    };
    lines.push(Line::from(vec![Span::styled("Secret: ", t.title), secret]));
    lines.push(kv("Fingerprint", clean(&fd.fingerprint)));
    lines.push(Line::raw(""));
    if let Some(d) = app.rules.get(&*fd.rule).filter(|d| !d.is_empty()) {
        lines.push(Line::styled("What this rule finds", t.title));
        lines.push(Line::raw(clean(d)));
        lines.push(Line::raw(""));
    }
    let ex = layerscope_core::explain::explain(a, fd);
    let why = clean(&ex.why);
    let fix = format!("{} {}", clean(&ex.rotate), clean(&ex.fix));
    lines.push(Line::styled("Why it matters", t.title));
    lines.push(Line::raw(why));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Fix", t.title));
    lines.push(Line::raw(fix));
    f.render_widget(
        Paragraph::new(lines)
            .block(block(" Finding ", true, t))
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        r,
    );
}

//! Helpers for the TUI tests: images described layer by layer and written by the image writer
//! (`layerscope_imagegen`), a synchronous stand-in for the worker threads, and
//! buffer queries that return text and styles.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use layerscope::tui::action::{Action, Effect, WorkerMsg};
use layerscope::tui::app::App;
use layerscope::tui::key::Key;
use layerscope::tui::theme::Theme;
use layerscope::tui::{preview, search, ui};
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze_scanned;
use layerscope_core::layer::PassState;
use layerscope_core::secrets::Scanner;
use layerscope_imagegen::{self as gen, write_image, Compression, ImageSpec, Layout, Node};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Style;
use ratatui::Terminal;

pub enum E {
    File(Vec<u8>, Vec<u8>, u32),
    Dir(String),
    Symlink(String, String),
    Whiteout(String),
    Opaque(String),
}

#[derive(Default)]
pub struct LayerSpec {
    pub entries: Vec<E>,
}

impl LayerSpec {
    pub fn file(mut self, p: &str, data: &[u8]) -> Self {
        self.entries
            .push(E::File(p.as_bytes().to_vec(), data.to_vec(), 0o644));
        self
    }
    pub fn file_raw(mut self, p: &[u8], data: &[u8], mode: u32) -> Self {
        self.entries.push(E::File(p.to_vec(), data.to_vec(), mode));
        self
    }
    pub fn dir(mut self, p: &str) -> Self {
        self.entries.push(E::Dir(p.into()));
        self
    }
    pub fn symlink(mut self, p: &str, to: &str) -> Self {
        self.entries.push(E::Symlink(p.into(), to.into()));
        self
    }
    pub fn whiteout(mut self, p: &str) -> Self {
        self.entries.push(E::Whiteout(p.into()));
        self
    }
    pub fn opaque(mut self, dir: &str) -> Self {
        self.entries.push(E::Opaque(dir.into()));
        self
    }
}

enum Step {
    Layer(String, LayerSpec),
    Empty(String),
}

#[derive(Default)]
pub struct ImageBuilder {
    steps: Vec<Step>,
    env: Vec<String>,
}

impl E {
    fn node(&self) -> Node {
        match self {
            E::File(p, data, mode) => Node::file(p, data).exact_mode(*mode).mtime(1_700_000_000),
            E::Dir(p) => Node::dir(p).mtime(1_700_000_000),
            E::Symlink(p, to) => Node::symlink(p, to).mtime(1_700_000_000),
            E::Whiteout(p) => Node::whiteout(p).mtime(1_700_000_000),
            E::Opaque(d) => Node::opaque(d).mtime(1_700_000_000),
        }
    }
}

impl ImageBuilder {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn layer(mut self, created_by: &str, f: impl FnOnce(LayerSpec) -> LayerSpec) -> Self {
        self.steps
            .push(Step::Layer(created_by.into(), f(LayerSpec::default())));
        self
    }
    /// A metadata-only step (ENV, LABEL, CMD...).
    pub fn step(mut self, created_by: &str) -> Self {
        self.steps.push(Step::Empty(created_by.into()));
        self
    }
    pub fn env(mut self, e: &str) -> Self {
        self.env.push(e.into());
        self
    }

    /// Writes `image.tar` (a legacy `docker save`) into `dir` with the image writer.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let steps = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let created = format!("2024-01-01T00:00:{:02}Z", i % 60);
                match s {
                    Step::Layer(cb, spec) => {
                        gen::Step::layer(cb.clone(), spec.entries.iter().map(E::node).collect())
                    }
                    Step::Empty(cb) => gen::Step::empty(cb.clone()),
                }
                .at(created)
            })
            .collect();
        let spec = ImageSpec {
            name: "test/image:latest".into(),
            env: self.env.clone(),
            steps,
            ..ImageSpec::default()
        };
        let path = dir.join("image.tar");
        write_image(&spec, Layout::DockerLegacy, Compression::None, &path).unwrap();
        path
    }
}

pub fn analyze(path: &Path) -> Arc<Analysis> {
    Arc::new(
        analyze_scanned(
            path,
            &AnalyzeOptions::default(),
            &PassState::default(),
            &Scanner::builtin(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
}

pub fn nobin() -> Arc<Analysis> {
    analyze(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/built/nobin.docker20-save.tar"),
    )
}

/// A fake AWS-style credential pair the builtin rules flag.
pub const SECRET_FILE: &[u8] = b"[default]\naws_access_key_id = AKIAQYLPMN5HFIQR7XYZ\naws_secret_access_key = 9drTJvcXLB89EXAMPLEKEYwJalrXUtnFEMI/K7MDENG/bPxRfiCY\n";

/// The standard test image: a secret file added then deleted (a ghost), a file modified
/// across layers, a binary file, a non-UTF-8 name, a symlink, and a metadata step.
pub fn sample(dir: &Path) -> PathBuf {
    ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.dir("app")
                .file("app/config.txt", b"mode=dev\nport=80\nname=demo\n")
                .file("app/.aws-credentials", SECRET_FILE)
                .file_raw(
                    b"app/bin.dat",
                    &[0u8, 1, 2, 3, 0xff, b'A', b'B', 0, 9],
                    0o755,
                )
                .file_raw(b"app/caf\xe9.txt", b"latin-1 name\n", 0o644)
                .symlink("app/link", "config.txt")
        })
        .step("/bin/sh -c #(nop)  ENV MODE=prod")
        .layer(
            "/bin/sh -c rm app/.aws-credentials && echo port=8080",
            |l| {
                l.whiteout("app/.aws-credentials")
                    .file("app/config.txt", b"mode=dev\nport=8080\nname=demo\n")
            },
        )
        .layer("/bin/sh -c echo hi > /app/new.txt", |l| {
            l.file("app/new.txt", b"hi\n")
        })
        .env("MODE=prod")
        .write(dir)
}

/// Runs the effects a worker would, synchronously, feeding results back.
pub fn drive(app: &mut App, a: &Arc<Analysis>, fx: Vec<Effect>) {
    let mut queue = fx;
    while let Some(e) = queue.pop() {
        match e {
            Effect::Preview(req) => {
                let doc = preview::build(a, &req);
                queue.extend(app.update(Action::Worker(WorkerMsg::Preview(Box::new(doc)))));
            }
            Effect::Search { gen, needle } => {
                let mut hits = Vec::new();
                let r = search::search(a, &needle, &PassState::default(), &mut |h| hits.extend(h));
                queue.extend(app.update(Action::Worker(WorkerMsg::SearchHits { gen, hits })));
                queue.extend(app.update(Action::Worker(WorkerMsg::SearchDone {
                    gen,
                    error: r.err(),
                })));
            }
            _ => {}
        }
    }
}

/// A ready app with the initial preview loaded.
pub fn ready(a: &Arc<Analysis>, w: u16, h: u16) -> App {
    let mut app = App::new(Arc::default(), "test.tar", w, h);
    let fx = app.update(Action::Worker(WorkerMsg::Loaded(Ok(a.clone()))));
    drive(&mut app, a, fx);
    app
}

/// Presses keys given as keymap strings ("j", "ctrl+a", "enter"), running effects.
pub fn keys(app: &mut App, a: &Arc<Analysis>, ks: &[&str]) {
    for k in ks {
        let key = Key::parse(k).unwrap();
        let ev = crossterm::event::KeyEvent::new(key.code, key.mods);
        if let Some(act) = app.translate(&ev) {
            let fx = app.update(act);
            drive(app, a, fx);
        }
    }
}

/// Types text into an open prompt.
pub fn type_text(app: &mut App, a: &Arc<Analysis>, s: &str) {
    for c in s.chars() {
        let fx = app.update(Action::Char(c));
        drive(app, a, fx);
    }
}

pub fn render(app: &App, theme: &Theme) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(app.ui.width, app.ui.height)).unwrap();
    t.draw(|f| ui::draw(f, app, theme)).unwrap();
    t.backend().buffer().clone()
}

/// Each row of the buffer as a string.
pub fn rows(b: &Buffer) -> Vec<String> {
    (0..b.area.height)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

pub fn screen(b: &Buffer) -> String {
    rows(b).join("\n")
}

/// The cell position where `text` first starts on screen.
pub fn find(b: &Buffer, text: &str) -> Option<(u16, u16)> {
    for y in 0..b.area.height {
        let mut s = String::new();
        let mut xs = Vec::new();
        for x in 0..b.area.width {
            for ch in b[(x, y)].symbol().chars() {
                s.push(ch);
                xs.push(x);
            }
        }
        if let Some(i) = s.find(text) {
            let ci = s[..i].chars().count();
            return Some((xs[ci], y));
        }
    }
    None
}

/// The style of the cell where `text` starts (panics when absent).
pub fn style_at(b: &Buffer, text: &str) -> Style {
    let (x, y) = find(b, text).unwrap_or_else(|| panic!("{text:?} not on screen:\n{}", screen(b)));
    b[(x, y)].style()
}

use layerscope::tui::pane::Pane;

/// Presses Tab until `pane` has the focus.
pub fn focus(app: &mut App, a: &Arc<Analysis>, pane: Pane) {
    for _ in 0..8 {
        if app.ui.focus == pane {
            return;
        }
        keys(app, a, &["tab"]);
    }
    panic!("could not focus {pane:?}");
}

/// Selects the history row of `layer` with j/k in the history pane.
pub fn select_layer(app: &mut App, a: &Arc<Analysis>, layer: usize) {
    focus(app, a, Pane::History);
    keys(app, a, &["g"]);
    for _ in 0..64 {
        if app.loaded().unwrap().layer == layer {
            let v = app.loaded().unwrap();
            let vis = v.visible_hist();
            if v.model.history_rows[vis[v.history.sel]].layer == Some(layer) {
                return;
            }
        }
        keys(app, a, &["j"]);
    }
    panic!("layer {layer} not reachable");
}

/// Selects a tree row by path with j/k.
pub fn select_path(app: &mut App, a: &Arc<Analysis>, path: &[u8]) {
    focus(app, a, Pane::Tree);
    keys(app, a, &["g"]);
    let id = a.tree.paths.lookup(path).expect("path interned");
    for _ in 0..256 {
        if app.loaded().unwrap().selected_row().map(|r| r.path) == Some(id) {
            return;
        }
        keys(app, a, &["j"]);
    }
    panic!("{} not in the tree", String::from_utf8_lossy(path));
}

//! The interactive view: `layerscope IMAGE`.
//!
//! Shape: `app` holds the state and a pure `update(action) -> effects`; `keymap` maps keys to
//! commands (data, overridable from keys.toml, also the help overlay); `ui` draws a frame from
//! the state and never does I/O; `worker` runs loading, previews, search and export on threads
//! and reports back over one channel; `run` owns the terminal and the event loop.

pub mod action;
pub mod app;
pub mod compare;
pub mod filetree;
pub mod key;
pub mod keymap;
pub mod model;
pub mod owner;
pub mod pane;
pub mod pending;
pub mod preview;
pub mod search;
pub(crate) mod snapshots;
pub(crate) mod text;
pub mod theme;
pub mod ui;
pub(crate) mod worker;

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Once};
use std::time::Duration;

use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event as CEvent, KeyEventKind, MouseButton,
    MouseEventKind,
};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use action::{Action, Effect, MouseKind, WorkerMsg};
use app::{App, Phase};
use keymap::Keymap;
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::layer::PassState;
use layerscope_core::secrets::Scanner;
use theme::Theme;
use worker::{Event, Slot};

/// Puts the terminal back: main screen, cooked mode, no mouse reporting, visible cursor.
/// Safe to call more than once.
pub(crate) fn restore_terminal() {
    let mut out = io::stdout();
    let _ = crossterm::execute!(
        out,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// Restores the terminal when dropped: covers early returns and unwinding.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Restores the terminal before any panic message is printed, then runs the previous hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A worker's panic is caught and shown in the UI; only the UI thread's own panic
            // ends the session, so only then is the terminal handed back first.
            if std::thread::current().name() == Some("main") {
                restore_terminal();
            }
            prev(info);
        }));
    });
}

/// Where the view starts when the image was analysed before the terminal was taken (triage:
/// `--goto`, `--findings-from`).
#[derive(Default)]
pub struct Triage {
    pub goto: Option<layerscope_core::goto::Goto>,
    /// Other scanners' findings, reconciled against `Analysis::findings`.
    pub external: Vec<layerscope_core::external::Reconciled>,
}

/// Does the interactive view have a terminal to run in?
pub(crate) fn check_terminal() -> anyhow::Result<()> {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        anyhow::bail!("the interactive view needs a terminal; use --json for a report");
    }
    Ok(())
}

/// Opens `path` in the interactive view and runs until the user quits.
pub fn run(input: &str, opts: &AnalyzeOptions, scanner: Option<Scanner>) -> anyhow::Result<()> {
    run_with(input, opts, scanner, None)
}

/// Opens an image already analysed (with the scanner that scanned it, for rule descriptions),
/// starting on the triage target.
pub fn run_loaded(
    input: &str,
    a: Arc<Analysis>,
    scanner: Option<Scanner>,
    triage: Triage,
) -> anyhow::Result<()> {
    run_with(
        input,
        &AnalyzeOptions::default(),
        scanner,
        Some((a, triage)),
    )
}

fn run_with(
    input: &str,
    opts: &AnalyzeOptions,
    scanner: Option<Scanner>,
    loaded: Option<(Arc<Analysis>, Triage)>,
) -> anyhow::Result<()> {
    check_terminal()?;
    let (keymap, key_errors) = Keymap::load();
    let theme = Theme::from_env();

    install_panic_hook();
    terminal::enable_raw_mode()?;
    let _guard = TerminalGuard;
    crossterm::execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    term.hide_cursor()?;
    let size = term.size()?;

    let mut app = App::new(Arc::new(keymap), input.to_string(), size.width, size.height);
    if let Some(sc) = &scanner {
        app.ui.rules = Arc::new(
            sc.rules()
                .map(|r| (r.id.to_string(), r.description.clone()))
                .collect(),
        );
    }
    if !key_errors.is_empty() {
        app.ui.message = Some((key_errors.join("; "), true));
    }

    let (tx, rx) = mpsc::channel::<Event>();
    let pass = Arc::new(PassState::default());
    let fetch = Arc::new(worker::Fetch::default());
    // Compressed layers are spooled uncompressed, so previews deep in them are a seek.
    let opts = AnalyzeOptions {
        spool_compressed: true,
        ..opts.clone()
    };
    app.watch_load(pass.clone(), fetch.clone());
    let preloaded = loaded.as_ref().map(|(a, _)| a.clone());
    if loaded.is_none() {
        worker::spawn_load(
            input.to_string(),
            opts,
            scanner.map(Arc::new),
            pass.clone(),
            fetch.clone(),
            tx.clone(),
        );
    }
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input(tx.clone(), stop.clone());

    let mut rt = Runtime {
        tx,
        pass,
        analysis: preloaded,
        slot: Arc::new(Slot::default()),
        search: None,
    };
    if let Some((a, triage)) = loaded {
        worker::spawn_preview(a.clone(), rt.slot.clone(), rt.tx.clone());
        let mut fx = app.update(Action::Worker(WorkerMsg::Loaded(Ok(a))));
        app.set_external(triage.external);
        if let Some(g) = triage.goto {
            fx.extend(app.goto(g));
        }
        rt.apply(fx);
    }
    let result = event_loop(&mut term, &mut app, &theme, &rx, &mut rt);
    stop.store(true, Ordering::Relaxed);
    rt.slot.close();
    if let Some(s) = &rt.search {
        s.cancel.store(true, Ordering::Relaxed);
    }
    rt.pass.cancel.store(true, Ordering::Relaxed);
    drop(term);
    restore_terminal();
    result?;
    // A load error was on screen: now that the terminal is back, it is the run's error (one
    // line, exit 2), not a silent success.
    if let Phase::Failed(e) = &app.phase {
        anyhow::bail!("{e}");
    }
    Ok(())
}

struct Runtime {
    tx: mpsc::Sender<Event>,
    pass: Arc<PassState>,
    analysis: Option<Arc<Analysis>>,
    slot: Arc<Slot>,
    search: Option<Arc<PassState>>,
}

impl Runtime {
    fn apply(&mut self, fx: Vec<Effect>) {
        for e in fx {
            match e {
                Effect::Quit => {}
                Effect::CancelLoad => self.pass.cancel.store(true, Ordering::Relaxed),
                Effect::LoadFirst(layer) => self.pass.first.store(layer + 1, Ordering::Relaxed),
                // Partial snapshots have no previews (their path ids are not the final ones).
                Effect::Preview(req) => {
                    if self.analysis.is_some() {
                        self.slot.put(req)
                    }
                }
                Effect::CancelSearch => {
                    if let Some(s) = self.search.take() {
                        s.cancel.store(true, Ordering::Relaxed);
                    }
                }
                Effect::Search { gen, needle } => {
                    if let Some(a) = &self.analysis {
                        let st = Arc::new(PassState::default());
                        self.search = Some(st.clone());
                        worker::spawn_search(a.clone(), gen, needle, st, self.tx.clone());
                    }
                }
                Effect::Export(req) => {
                    if let Some(a) = &self.analysis {
                        worker::spawn_export(a.clone(), req, self.tx.clone());
                    }
                }
            }
        }
    }
}

fn spawn_input(tx: mpsc::Sender<Event>, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match event::poll(Duration::from_millis(50)) {
                    Ok(true) => match event::read() {
                        Ok(e) => {
                            if tx.send(Event::Input(e)).is_err() {
                                break;
                            }
                        }
                        Err(_) => break,
                    },
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        })
        .expect("spawn input thread");
}

/// Maps a terminal event to an action.
pub(crate) fn input_action(app: &App, e: &CEvent) -> Option<Action> {
    match e {
        CEvent::Key(k) if k.kind != KeyEventKind::Release => app.translate(k),
        CEvent::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                Some(Action::Mouse(MouseKind::Click, m.column, m.row))
            }
            MouseEventKind::ScrollUp => Some(Action::Mouse(MouseKind::ScrollUp, m.column, m.row)),
            MouseEventKind::ScrollDown => {
                Some(Action::Mouse(MouseKind::ScrollDown, m.column, m.row))
            }
            _ => None,
        },
        CEvent::Resize(w, h) => Some(Action::Resize(*w, *h)),
        _ => None,
    }
}

fn event_loop(
    term: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
    theme: &Theme,
    rx: &mpsc::Receiver<Event>,
    rt: &mut Runtime,
) -> anyhow::Result<()> {
    term.draw(|f| ui::draw(f, app, theme))?;
    loop {
        // Live counters on screen (the loading box, a download under a partial image): tick.
        let live = matches!(app.phase, Phase::Loading(_))
            || (app.ui.transfer.running().is_some()
                && app.loaded().is_some_and(|v| v.pending.is_some()));
        let busy = live || app.loaded().is_some_and(|v| v.search.running);
        let timeout = Duration::from_millis(if busy { 100 } else { 1000 });
        let mut dirty = false;
        let first = match rx.recv_timeout(timeout) {
            Ok(e) => Some(e),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Drain everything queued, then draw once.
        for ev in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            let action = match ev {
                Event::Input(e) => input_action(app, &e),
                Event::Worker(msg) => {
                    if let WorkerMsg::Loaded(Ok(a)) = &msg {
                        rt.analysis = Some(a.clone());
                        worker::spawn_preview(a.clone(), rt.slot.clone(), rt.tx.clone());
                    }
                    Some(Action::Worker(msg))
                }
            };
            if let Some(action) = action {
                let fx = app.update(action);
                rt.apply(fx);
                dirty = true;
            }
            if app.ui.quit {
                return Ok(());
            }
        }
        if live {
            dirty = true;
        }
        if dirty {
            term.draw(|f| ui::draw(f, app, theme))?;
        }
    }
    Ok(())
}

//! `layerscope diff OLD NEW` on a terminal: the compare view. Both images are analysed before
//! the terminal is taken; this owns the terminal and a small event loop over `CompareView`.

pub mod draw;
pub mod view;

use std::io;
use std::time::Duration;

use crossterm::event::{self, Event, KeyEventKind};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use layerscope_core::analysis::Analysis;
use layerscope_core::compare::Comparison;
pub use view::CompareView;

/// Hands the terminal back on every exit path, unwinding included.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = crossterm::execute!(io::stdout(), LeaveAlternateScreen);
        super::restore_terminal();
    }
}

pub fn run(
    old: &Analysis,
    new: &Analysis,
    cmp: &Comparison,
    show_secrets: bool,
) -> anyhow::Result<()> {
    super::check_terminal()?;
    let theme = super::theme::Theme::from_env();
    terminal::enable_raw_mode()?;
    let _guard = Guard;
    crossterm::execute!(io::stdout(), EnterAlternateScreen)?;
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    term.hide_cursor()?;
    let mut v = CompareView::new(old, new, cmp, show_secrets);
    while !v.quit {
        term.draw(|f| draw::draw(f, &v, &theme))?;
        if !event::poll(Duration::from_millis(250))? {
            continue;
        }
        match event::read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => v.key(k),
            _ => {}
        }
    }
    Ok(())
}

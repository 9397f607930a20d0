//! Overlays over the panes (help, explain, the text prompts, the overwrite question, the search
//! results): how keys reach them and what they do with them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::state::{App, Overlay, PromptKind, Session, Ui};
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::key::Key;
use crate::tui::keymap::{self, KeyContext};
use crate::tui::ui::help;

/// Text prompts take raw keys (only their fixed keys are commands); everything else goes
/// through the keymap of the focused pane.
pub(super) fn translate(ui: &Ui, ev: &KeyEvent) -> Option<Action> {
    if matches!(ui.overlay, Overlay::Prompt { .. } | Overlay::Confirm { .. }) {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        return match ev.code {
            c if c == keymap::PROMPT_CANCEL.code => Some(Cmd::Cancel.into()),
            c if c == keymap::PROMPT_ACCEPT.code => Some(Action::Submit),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char('u') if ctrl => Some(Action::ClearLine),
            KeyCode::Char('c') if ctrl => Some(Cmd::Quit.into()),
            KeyCode::Char(c) if !ctrl => Some(Action::Char(c)),
            _ => None,
        };
    }
    let ctx = match ui.overlay {
        Overlay::None => ui.focus.key_context(),
        // A list of hits: Enter opens one, as in the findings list.
        Overlay::Results { .. } | Overlay::Versions { .. } => KeyContext::Findings,
        Overlay::Packages(_) => KeyContext::Packages,
        _ => KeyContext::Global,
    };
    ui.keymap.lookup(ctx, Key::from_event(ev)).map(Action::Cmd)
}

impl App {
    /// A command while an overlay is open: the overlay takes it.
    pub(super) fn overlay_cmd(&mut self, c: Cmd, fx: &mut Vec<Effect>) {
        let loaded = self.loaded().is_some();
        let status_h = self.status_height();
        let ui = &mut self.ui;
        match &mut ui.overlay {
            Overlay::None => {}
            Overlay::Prompt { kind, .. } => {
                if c == Cmd::Cancel {
                    let filter = *kind == PromptKind::Filter;
                    ui.overlay = Overlay::None;
                    if filter {
                        if let Some(mut s) = self.session() {
                            s.set_filter(String::new(), fx);
                        }
                    }
                } else if c == Cmd::Quit {
                    fx.push(Effect::Quit);
                }
            }
            Overlay::Confirm { .. } => {
                if c == Cmd::Cancel {
                    ui.overlay = Overlay::None;
                    ui.say("not exported", false);
                } else if c == Cmd::Quit {
                    fx.push(Effect::Quit);
                }
            }
            Overlay::Help { .. } => {
                let max = help::max_scroll(ui, status_h);
                let Overlay::Help { scroll } = &mut ui.overlay else {
                    return;
                };
                match c {
                    Cmd::Down => *scroll += 1,
                    Cmd::Up => *scroll = scroll.saturating_sub(1),
                    Cmd::PageDown => *scroll += 10,
                    Cmd::PageUp => *scroll = scroll.saturating_sub(10),
                    Cmd::Top => *scroll = 0,
                    Cmd::Bottom => *scroll = max,
                    Cmd::Quit if !loaded => fx.push(Effect::Quit),
                    _ => ui.overlay = Overlay::None,
                }
                if let Overlay::Help { scroll } = &mut ui.overlay {
                    *scroll = (*scroll).min(max);
                }
            }
            Overlay::Explain { scroll, .. } | Overlay::ExplainExternal { scroll, .. } => match c {
                Cmd::Down => *scroll += 1,
                Cmd::Up => *scroll = scroll.saturating_sub(1),
                // The overlay shows the secret: reveal it there, and keep the overlay open.
                Cmd::Reveal => {
                    if let Some(mut s) = self.session() {
                        s.toggle_reveal(fx);
                    }
                }
                _ => ui.overlay = Overlay::None,
            },
            Overlay::Results { .. } => {
                if let Some(mut s) = self.session() {
                    s.results_cmd(c, fx);
                }
            }
            Overlay::Packages(_) => {
                if let Some(mut s) = self.session() {
                    s.packages_cmd(c, fx);
                }
            }
            Overlay::Versions { .. } => {
                if let Some(mut s) = self.session() {
                    s.versions_cmd(c, fx);
                }
            }
        }
    }

    pub(super) fn on_char(&mut self, c: char, fx: &mut Vec<Effect>) {
        let ui = &mut self.ui;
        match &mut ui.overlay {
            Overlay::Prompt { kind, text } => {
                text.push(c);
                if *kind == PromptKind::Filter {
                    let t = text.clone();
                    if let Some(mut s) = self.session() {
                        s.set_filter(t, fx);
                    }
                }
            }
            Overlay::Confirm { req, .. } => {
                if keymap::CONFIRM_YES.contains(&c) {
                    fx.push(Effect::Export(req.clone()));
                    ui.overlay = Overlay::None;
                } else if keymap::CONFIRM_NO.contains(&c) {
                    ui.overlay = Overlay::None;
                    ui.say("not exported", false);
                }
            }
            _ => {}
        }
    }

    /// Backspace (one character) or Ctrl+U (`all`).
    pub(super) fn on_backspace(&mut self, all: bool, fx: &mut Vec<Effect>) {
        if let Overlay::Prompt { kind, text } = &mut self.ui.overlay {
            if all {
                text.clear();
            } else {
                text.pop();
            }
            if *kind == PromptKind::Filter {
                let t = text.clone();
                if let Some(mut s) = self.session() {
                    s.set_filter(t, fx);
                }
            }
        }
    }

    pub(super) fn on_submit(&mut self, fx: &mut Vec<Effect>) {
        let overlay = std::mem::replace(&mut self.ui.overlay, Overlay::None);
        match overlay {
            Overlay::Prompt {
                kind: PromptKind::Filter,
                ..
            } => {}
            Overlay::Prompt {
                kind: PromptKind::Search,
                text,
            } => {
                if let Some(mut s) = self.session() {
                    s.start_search(text, fx);
                }
            }
            Overlay::Prompt {
                kind: PromptKind::Export,
                text,
            } => {
                if let Some(mut s) = self.session() {
                    s.export_to(text.trim(), fx);
                }
            }
            // Overwriting needs an explicit y.
            other => self.ui.overlay = other,
        }
    }
}

impl Session<'_> {
    /// The search results list: move, open a hit, or close (`s` starts a new search).
    fn results_cmd(&mut self, c: Cmd, fx: &mut Vec<Effect>) {
        let Overlay::Results { list } = &mut self.ui.overlay else {
            return;
        };
        let hits = &self.loaded.search.hits;
        let groups = super::hit_groups(hits);
        let len = groups.len();
        match c {
            _ if list.navigate(c, len, 10) => {}
            Cmd::Open | Cmd::Right => {
                if let Some(h) = groups.get(list.sel).and_then(|g| hits.get(g[0])).cloned() {
                    self.ui.overlay = Overlay::None;
                    self.jump_to(h.layer, h.path, Some(h.offset), fx);
                }
                return;
            }
            Cmd::Quit => fx.push(Effect::Quit),
            Cmd::Cancel | Cmd::SearchResults | Cmd::Help => self.ui.overlay = Overlay::None,
            Cmd::Search => self.open_search(),
            // Hits show masked snippets: reveal them in place.
            Cmd::Reveal => self.toggle_reveal(fx),
            _ => {}
        }
        let h = (self.ui.height as usize).saturating_sub(8).max(1);
        if let Overlay::Results { list } = &mut self.ui.overlay {
            list.follow(h, len);
        }
    }
}

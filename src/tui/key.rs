//! A key with its modifiers: parsed from `keys.toml` syntax, matched against terminal events,
//! and shown in the help, the status line and messages.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key with its modifiers, normalised (shift folded into the character).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub(crate) fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            c => c,
        };
        Key { code, mods }
    }

    pub(crate) fn from_event(e: &KeyEvent) -> Key {
        Key::new(e.code, e.modifiers)
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s.trim();
        if rest.len() > 1 {
            loop {
                let lower = rest.to_ascii_lowercase();
                if let Some(r) = lower.strip_prefix("ctrl+").or(lower.strip_prefix("c-")) {
                    mods |= KeyModifiers::CONTROL;
                    rest = &rest[rest.len() - r.len()..];
                } else if let Some(r) = lower.strip_prefix("alt+").or(lower.strip_prefix("m-")) {
                    mods |= KeyModifiers::ALT;
                    rest = &rest[rest.len() - r.len()..];
                } else if let Some(r) = lower.strip_prefix("shift+") {
                    mods |= KeyModifiers::SHIFT;
                    rest = &rest[rest.len() - r.len()..];
                } else {
                    break;
                }
                if rest.len() <= 1 {
                    break;
                }
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "space" => KeyCode::Char(' '),
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pgdown" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut cs = rest.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => {
                        if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_alphabetic() {
                            KeyCode::Char(c.to_ascii_uppercase())
                        } else {
                            KeyCode::Char(c)
                        }
                    }
                    _ => return Err(format!("unknown key {s:?}")),
                }
            }
        };
        Ok(Key::new(code, mods))
    }

    pub(crate) fn display(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("Ctrl+");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("Alt+");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            s.push_str("Shift+");
        }
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift+Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        s.push_str(&name);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keys() {
        assert_eq!(
            Key::parse("ctrl+a").unwrap(),
            Key::new(KeyCode::Char('a'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            Key::parse("G").unwrap(),
            Key::new(KeyCode::Char('G'), KeyModifiers::SHIFT)
        );
        assert_eq!(Key::parse("shift+tab").unwrap().code, KeyCode::BackTab);
        assert_eq!(Key::parse("ctrl+space").unwrap().display(), "Ctrl+Space");
        assert!(Key::parse("nope").is_err());
    }
}

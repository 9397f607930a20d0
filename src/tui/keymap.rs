//! The keymap is data: a table of (context, key, command, description). The same table answers
//! key lookups, generates the `?` help overlay and the status-line hints, and can be overridden
//! from `$XDG_CONFIG_HOME/layerscope/keys.toml` (or `~/.config/layerscope/keys.toml`):
//!
//! ```toml
//! [global]
//! quit = ["q", "ctrl+q"]     # replaces the default keys of `quit` in that context
//! [tree]
//! toggle_collapse = "enter"
//! ```
//! Sections: global, history, tree, preview, findings, details. Key syntax: `a`, `G`, `?`,
//! `ctrl+a`, `alt+x`, `space`, `ctrl+space`, `enter`, `esc`, `tab`, `backtab`, `up`, `down`,
//! `left`, `right`, `pgup`, `pgdn`, `home`, `end`, `backspace`, `delete`, `f1`..`f12`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use crate::tui::action::Cmd;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ctx {
    Global,
    History,
    Tree,
    Preview,
    Findings,
    Details,
}

impl Ctx {
    pub const ALL: [Ctx; 6] = [
        Ctx::Global,
        Ctx::History,
        Ctx::Tree,
        Ctx::Preview,
        Ctx::Findings,
        Ctx::Details,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Ctx::Global => "global",
            Ctx::History => "history",
            Ctx::Tree => "tree",
            Ctx::Preview => "preview",
            Ctx::Findings => "findings",
            Ctx::Details => "details",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Ctx::Global => "Everywhere",
            Ctx::History => "History / layers",
            Ctx::Tree => "File tree",
            Ctx::Preview => "Preview",
            Ctx::Findings => "Findings",
            Ctx::Details => "Layer / image details",
        }
    }
}

/// A key with its modifiers, normalised (shift folded into the character).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
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

    pub fn from_event(e: &KeyEvent) -> Key {
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

    pub fn display(&self) -> String {
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

#[derive(Clone, Debug)]
pub struct Binding {
    pub ctx: Ctx,
    pub key: Key,
    pub cmd: Cmd,
    pub desc: &'static str,
    /// Shown in the status line of the pane when true.
    pub hint: bool,
}

/// The defaults: (context, keys, command, description, status-line hint).
const DEFAULTS: &[(Ctx, &[&str], Cmd, &str, bool)] = &[
    (Ctx::Global, &["q", "ctrl+c"], Cmd::Quit, "quit", true),
    (Ctx::Global, &["tab"], Cmd::NextPane, "next pane", true),
    (
        Ctx::Global,
        &["backtab"],
        Cmd::PrevPane,
        "previous pane",
        false,
    ),
    (
        Ctx::Global,
        &["?", "f1"],
        Cmd::Help,
        "help (this list)",
        true,
    ),
    (Ctx::Global, &["k", "up"], Cmd::Up, "move up", false),
    (Ctx::Global, &["j", "down"], Cmd::Down, "move down", false),
    (Ctx::Global, &["pgup"], Cmd::PageUp, "page up", false),
    (Ctx::Global, &["pgdn"], Cmd::PageDown, "page down", false),
    (Ctx::Global, &["g", "home"], Cmd::Top, "first line", false),
    (Ctx::Global, &["G", "end"], Cmd::Bottom, "last line", false),
    (
        Ctx::Global,
        &["esc"],
        Cmd::Cancel,
        "close overlay / clear filter / cancel loading",
        false,
    ),
    (
        Ctx::Global,
        &["ctrl+a", "A"],
        Cmd::ToggleAdded,
        "show/hide added files",
        false,
    ),
    (
        Ctx::Global,
        &["ctrl+r", "R"],
        Cmd::ToggleRemoved,
        "show/hide removed files and ghosts",
        false,
    ),
    (
        Ctx::Global,
        &["ctrl+m", "M"],
        Cmd::ToggleModified,
        "show/hide modified files (Ctrl+M is Enter in most terminals: use M)",
        false,
    ),
    (
        Ctx::Global,
        &["ctrl+u", "U"],
        Cmd::ToggleUnchanged,
        "show/hide unchanged files",
        false,
    ),
    (
        Ctx::Global,
        &["ctrl+l"],
        Cmd::ToggleAggregated,
        "tree: this layer's changes / everything up to it",
        true,
    ),
    (
        Ctx::Global,
        &["ctrl+b"],
        Cmd::ToggleAttributes,
        "tree: mode, uid:gid, size columns",
        false,
    ),
    (
        Ctx::Global,
        &["/", "ctrl+f"],
        Cmd::Filter,
        "filter the tree by path",
        true,
    ),
    (
        Ctx::Global,
        &["s"],
        Cmd::Search,
        "search file contents (every layer, ghosts too)",
        true,
    ),
    (
        Ctx::Global,
        &["S"],
        Cmd::SearchResults,
        "show the last search's results",
        false,
    ),
    (
        Ctx::Global,
        &["z"],
        Cmd::HideBase,
        "hide/show the base image's layers",
        false,
    ),
    (
        Ctx::Global,
        &["f"],
        Cmd::Zoom,
        "zoom the focused pane",
        false,
    ),
    (
        Ctx::History,
        &["enter", "l", "right"],
        Cmd::Open,
        "go to this layer's files",
        true,
    ),
    (
        Ctx::History,
        &["b"],
        Cmd::SetBase,
        "mark base image: this layer and those below",
        true,
    ),
    (
        Ctx::Tree,
        &["space"],
        Cmd::ToggleCollapse,
        "collapse/expand directory",
        true,
    ),
    (
        Ctx::Tree,
        &["ctrl+space"],
        Cmd::ToggleCollapseAll,
        "collapse/expand all",
        false,
    ),
    (
        Ctx::Tree,
        &["h", "left"],
        Cmd::Left,
        "collapse / go to parent",
        false,
    ),
    (Ctx::Tree, &["l", "right"], Cmd::Right, "expand", false),
    (Ctx::Tree, &["enter"], Cmd::Open, "open preview", true),
    (
        Ctx::Tree,
        &["o", "ctrl+o"],
        Cmd::SortBySize,
        "sort by name / size",
        false,
    ),
    (
        Ctx::Tree,
        &["d"],
        Cmd::ToggleDiff,
        "preview: content / diff",
        false,
    ),
    (
        Ctx::Tree,
        &["x"],
        Cmd::Export,
        "export this file version",
        true,
    ),
    (
        Ctx::Preview,
        &["d"],
        Cmd::ToggleDiff,
        "content / diff against the previous version",
        true,
    ),
    (
        Ctx::Preview,
        &["r"],
        Cmd::Reveal,
        "reveal/mask secrets",
        true,
    ),
    (
        Ctx::Preview,
        &["]", "n"],
        Cmd::NextChunk,
        "next part of a large file",
        true,
    ),
    (
        Ctx::Preview,
        &["[", "p"],
        Cmd::PrevChunk,
        "previous part",
        false,
    ),
    (
        Ctx::Preview,
        &["x"],
        Cmd::Export,
        "export this file version",
        true,
    ),
    (
        Ctx::Preview,
        &["h", "left"],
        Cmd::Left,
        "scroll left",
        false,
    ),
    (
        Ctx::Preview,
        &["l", "right"],
        Cmd::Right,
        "scroll right",
        false,
    ),
    (
        Ctx::Findings,
        &["enter"],
        Cmd::Open,
        "jump to the file and the match",
        true,
    ),
    (
        Ctx::Findings,
        &["e"],
        Cmd::Explain,
        "explain the finding",
        true,
    ),
    (
        Ctx::Findings,
        &["r"],
        Cmd::Reveal,
        "reveal/mask secrets",
        true,
    ),
];

#[derive(Clone, Debug)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = Vec::new();
        for (ctx, keys, cmd, desc, hint) in DEFAULTS {
            for (i, k) in keys.iter().enumerate() {
                bindings.push(Binding {
                    ctx: *ctx,
                    key: Key::parse(k).expect("default key parses"),
                    cmd: *cmd,
                    desc,
                    hint: *hint && i == 0,
                });
            }
        }
        Keymap { bindings }
    }
}

impl Keymap {
    /// The command for a key in a context; the pane's own bindings win over global ones.
    pub fn lookup(&self, ctx: Ctx, key: Key) -> Option<Cmd> {
        let find = |c: Ctx| {
            self.bindings
                .iter()
                .find(|b| b.ctx == c && b.key == key)
                .map(|b| b.cmd)
        };
        if ctx != Ctx::Global {
            if let Some(c) = find(ctx) {
                return Some(c);
            }
        }
        find(Ctx::Global)
    }

    /// The first key bound to a command (for hints like "press x").
    pub fn key_for(&self, ctx: Ctx, cmd: Cmd) -> Option<String> {
        self.bindings
            .iter()
            .find(|b| (b.ctx == ctx || b.ctx == Ctx::Global) && b.cmd == cmd)
            .map(|b| b.key.display())
    }

    /// The help overlay: one section per context, one line per command with all its keys.
    pub fn help_lines(&self) -> Vec<(Option<&'static str>, String, &'static str)> {
        let mut out = Vec::new();
        for ctx in Ctx::ALL {
            let mut rows: Vec<(Cmd, Vec<String>, &'static str)> = Vec::new();
            for b in self.bindings.iter().filter(|b| b.ctx == ctx) {
                match rows.iter_mut().find(|r| r.0 == b.cmd) {
                    Some(r) => r.1.push(b.key.display()),
                    None => rows.push((b.cmd, vec![b.key.display()], b.desc)),
                }
            }
            if rows.is_empty() {
                continue;
            }
            out.push((Some(ctx.title()), String::new(), ""));
            for (_, keys, desc) in rows {
                out.push((None, keys.join(", "), desc));
            }
        }
        out
    }

    /// Status-line hints for a pane: its own, then the global ones.
    pub fn hints(&self, ctx: Ctx) -> Vec<(String, &'static str)> {
        let label = |b: &Binding| -> &'static str {
            match (b.ctx, b.cmd) {
                (Ctx::History, Cmd::Open) => "files",
                (_, Cmd::Open) if b.ctx == Ctx::Findings => "jump",
                (_, Cmd::Open) => "preview",
                (_, Cmd::ToggleAggregated) => "layer/all",
                (_, Cmd::Filter) => "filter",
                (_, Cmd::Search) => "search",
                (_, Cmd::Help) => "help",
                (_, Cmd::SetBase) => "mark base",
                (_, Cmd::ToggleCollapse) => "fold",
                (_, Cmd::Export) => "export",
                (_, Cmd::ToggleDiff) => "diff",
                (_, Cmd::Reveal) => "reveal",
                (_, Cmd::NextChunk) => "more",
                (_, Cmd::Explain) => "explain",
                (_, Cmd::NextPane) => "pane",
                _ => b.desc,
            }
        };
        let mut out: Vec<(String, &'static str)> = self
            .bindings
            .iter()
            .filter(|b| b.ctx == ctx && b.hint)
            .map(|b| (b.key.display(), label(b)))
            .collect();
        out.extend(
            self.bindings
                .iter()
                .filter(|b| b.ctx == Ctx::Global && b.hint)
                .map(|b| (b.key.display(), label(b))),
        );
        out
    }

    /// Applies a `keys.toml` document. Returns the problems found (unknown section, command or
    /// key); the valid parts are applied anyway.
    pub fn apply_toml(&mut self, text: &str) -> Vec<String> {
        let mut errors = Vec::new();
        let doc: BTreeMap<String, BTreeMap<String, toml::Value>> = match toml::from_str(text) {
            Ok(d) => d,
            Err(e) => return vec![format!("keys.toml: {}", e.message())],
        };
        for (section, entries) in doc {
            let Some(ctx) = Ctx::ALL.into_iter().find(|c| c.name() == section) else {
                errors.push(format!("keys.toml: unknown section [{section}]"));
                continue;
            };
            for (name, value) in entries {
                let cmd: Cmd = match Cmd::deserialize(toml::Value::String(name.clone())) {
                    Ok(c) => c,
                    Err(_) => {
                        errors.push(format!(
                            "keys.toml: unknown command {name:?} in [{section}]"
                        ));
                        continue;
                    }
                };
                let keys: Vec<String> = match value {
                    toml::Value::String(s) => vec![s],
                    toml::Value::Array(a) => a
                        .into_iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                    _ => {
                        errors.push(format!("keys.toml: {name} needs a key or a list of keys"));
                        continue;
                    }
                };
                let mut parsed = Vec::new();
                for k in &keys {
                    match Key::parse(k) {
                        Ok(k) => parsed.push(k),
                        Err(e) => errors.push(format!("keys.toml: {e}")),
                    }
                }
                let desc = self
                    .bindings
                    .iter()
                    .find(|b| b.cmd == cmd)
                    .map(|b| b.desc)
                    .unwrap_or("(user binding)");
                let hint = self
                    .bindings
                    .iter()
                    .any(|b| b.ctx == ctx && b.cmd == cmd && b.hint);
                self.bindings.retain(|b| !(b.ctx == ctx && b.cmd == cmd));
                // A key moved to a new command leaves its old one in this context.
                self.bindings
                    .retain(|b| !(b.ctx == ctx && parsed.contains(&b.key)));
                for (i, key) in parsed.into_iter().enumerate() {
                    self.bindings.push(Binding {
                        ctx,
                        key,
                        cmd,
                        desc,
                        hint: hint && i == 0,
                    });
                }
            }
        }
        errors
    }

    /// `$XDG_CONFIG_HOME/layerscope/keys.toml`, else `~/.config/layerscope/keys.toml`.
    pub fn config_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| Path::new(&h).join(".config"))
            })?;
        Some(base.join("layerscope").join("keys.toml"))
    }

    /// The defaults with the user's file applied, plus any problems with that file.
    pub fn load() -> (Keymap, Vec<String>) {
        let mut km = Keymap::default();
        let Some(p) = Keymap::config_path() else {
            return (km, Vec::new());
        };
        match std::fs::read_to_string(&p) {
            Ok(text) => {
                let errs = km.apply_toml(&text);
                (km, errs)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (km, Vec::new()),
            Err(e) => (km, vec![format!("{}: {e}", p.display())]),
        }
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

    #[test]
    fn lookup_prefers_the_pane() {
        let km = Keymap::default();
        let enter = Key::parse("enter").unwrap();
        assert_eq!(km.lookup(Ctx::Tree, enter), Some(Cmd::Open));
        let q = Key::parse("q").unwrap();
        assert_eq!(km.lookup(Ctx::Tree, q), Some(Cmd::Quit));
        let d = Key::parse("d").unwrap();
        assert_eq!(km.lookup(Ctx::History, d), None);
    }

    #[test]
    fn toml_overrides() {
        let mut km = Keymap::default();
        let errs = km.apply_toml(
            "[global]\nquit = [\"ctrl+q\"]\nbogus = \"x\"\n[tree]\ntoggle_collapse = \"t\"\n",
        );
        assert_eq!(errs.len(), 1, "{errs:?}");
        let q = Key::parse("q").unwrap();
        assert_eq!(km.lookup(Ctx::Global, q), None);
        assert_eq!(
            km.lookup(Ctx::Global, Key::parse("ctrl+q").unwrap()),
            Some(Cmd::Quit)
        );
        assert_eq!(
            km.lookup(Ctx::Tree, Key::parse("t").unwrap()),
            Some(Cmd::ToggleCollapse)
        );
        assert_eq!(km.lookup(Ctx::Tree, Key::parse("space").unwrap()), None);
    }
}

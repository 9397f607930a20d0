//! The keymap is data: a table of (context, key, command, description). The same table answers
//! key lookups, generates the `?` help overlay and the status-line hints, names the key in every
//! message that mentions one (`Keymap::hint`), and can be overridden
//! from `$XDG_CONFIG_HOME/layerscope/keys.toml` (or `~/.config/layerscope/keys.toml`):
//!
//! ```toml
//! [global]
//! quit = ["q", "ctrl+q"]     # replaces the default keys of `quit` in that context
//! [tree]
//! toggle_collapse = "enter"
//! ```
//! Sections: global, history, tree, preview, findings, details, packages. Key syntax: `a`, `G`, `?`,
//! `ctrl+a`, `alt+x`, `space`, `ctrl+space`, `enter`, `esc`, `tab`, `backtab`, `up`, `down`,
//! `left`, `right`, `pgup`, `pgdn`, `home`, `end`, `backspace`, `delete`, `f1`..`f12`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyModifiers};
use serde::Deserialize;

use crate::tui::action::Cmd;
use crate::tui::key::Key;

mod defaults;
use defaults::DEFAULTS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum KeyContext {
    Global,
    History,
    Tree,
    Preview,
    Findings,
    Details,
    /// The packages view (an overlay over the panes).
    Packages,
}

impl KeyContext {
    pub(crate) const ALL: [KeyContext; 7] = [
        KeyContext::Global,
        KeyContext::History,
        KeyContext::Tree,
        KeyContext::Preview,
        KeyContext::Findings,
        KeyContext::Details,
        KeyContext::Packages,
    ];
    pub(crate) fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::History => "history",
            KeyContext::Tree => "tree",
            KeyContext::Preview => "preview",
            KeyContext::Findings => "findings",
            KeyContext::Details => "details",
            KeyContext::Packages => "packages",
        }
    }
    fn title(self) -> &'static str {
        match self {
            KeyContext::Global => "Everywhere",
            KeyContext::History => "History / layers",
            KeyContext::Tree => "File tree",
            KeyContext::Preview => "Preview",
            KeyContext::Findings => "Findings",
            KeyContext::Details => "Layer / image details",
            KeyContext::Packages => "Packages view",
        }
    }
}

/// The keys of the text prompts and of the overwrite question. Fixed, not in `keys.toml`: every
/// other key typed there is text.
pub(crate) const PROMPT_ACCEPT: Key = Key {
    code: KeyCode::Enter,
    mods: KeyModifiers::NONE,
};
pub(crate) const PROMPT_CANCEL: Key = Key {
    code: KeyCode::Esc,
    mods: KeyModifiers::NONE,
};
pub(crate) const CONFIRM_YES: [char; 2] = ['y', 'Y'];
pub(crate) const CONFIRM_NO: [char; 2] = ['n', 'N'];

#[derive(Clone, Debug)]
pub(crate) struct Binding {
    pub(crate) ctx: KeyContext,
    pub(crate) key: Key,
    pub(crate) cmd: Cmd,
    pub(crate) desc: &'static str,
    /// Shown in the status line of the pane when true.
    pub(crate) hint: bool,
}

#[derive(Clone, Debug)]
pub struct Keymap {
    pub(crate) bindings: Vec<Binding>,
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
    pub(crate) fn lookup(&self, ctx: KeyContext, key: Key) -> Option<Cmd> {
        let find = |c: KeyContext| {
            self.bindings
                .iter()
                .find(|b| b.ctx == c && b.key == key)
                .map(|b| b.cmd)
        };
        if ctx != KeyContext::Global {
            if let Some(c) = find(ctx) {
                return Some(c);
            }
        }
        find(KeyContext::Global)
    }

    /// The label of the key that runs `cmd` in `ctx` (the pane's own binding, else a global one
    /// the pane does not shadow), for hints and messages that name a key.
    pub(crate) fn hint(&self, ctx: KeyContext, cmd: Cmd) -> String {
        let bound = |b: &&Binding| b.cmd == cmd && self.lookup(ctx, b.key) == Some(cmd);
        let mine = self.bindings.iter().filter(|b| b.ctx == ctx).find(bound);
        let global = || {
            self.bindings
                .iter()
                .filter(|b| b.ctx == KeyContext::Global)
                .find(bound)
        };
        mine.or_else(global)
            .map_or_else(|| "(unbound)".to_string(), |b| b.key.display())
    }

    /// The keys of several commands in one hint: `Ctrl+a/r/m/u` when they share a modifier.
    pub(crate) fn hint_group(&self, ctx: KeyContext, cmds: &[Cmd]) -> String {
        let labels: Vec<String> = cmds.iter().map(|&c| self.hint(ctx, c)).collect();
        let prefix = labels[0].rfind('+').map_or("", |i| &labels[0][..=i]);
        if !prefix.is_empty()
            && labels
                .iter()
                .all(|l| l.len() > prefix.len() && l.starts_with(prefix))
        {
            let rest: Vec<&str> = labels.iter().map(|l| &l[prefix.len()..]).collect();
            format!("{prefix}{}", rest.join("/"))
        } else {
            labels.join("/")
        }
    }

    /// The help overlay: one section per context, one line per command with all its keys.
    pub(crate) fn help_lines(&self) -> Vec<(Option<&'static str>, String, &'static str)> {
        let mut out = Vec::new();
        for ctx in KeyContext::ALL {
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
    pub(crate) fn hints(&self, ctx: KeyContext) -> Vec<(String, &'static str)> {
        let label = |b: &Binding| -> &'static str {
            match (b.ctx, b.cmd) {
                (KeyContext::History | KeyContext::Packages, Cmd::Open) => "files",
                (KeyContext::Packages, Cmd::ToggleAggregated) => "changes/all",
                (KeyContext::Packages, Cmd::SortBySize) => "by size",
                (KeyContext::Packages, Cmd::Right) => "next layer",
                (KeyContext::Packages, Cmd::Cancel) => "close",
                (_, Cmd::Packages) => "packages",
                (_, Cmd::Open) if b.ctx == KeyContext::Findings => "jump",
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
                (_, Cmd::Versions) => "versions",
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
        // A global command the pane binds itself is hinted once, with the pane's key.
        let own: Vec<Cmd> = self
            .bindings
            .iter()
            .filter(|b| b.ctx == ctx && b.hint)
            .map(|b| b.cmd)
            .collect();
        out.extend(
            self.bindings
                .iter()
                .filter(|b| b.ctx == KeyContext::Global && b.hint && !own.contains(&b.cmd))
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
            let Some(ctx) = KeyContext::ALL.into_iter().find(|c| c.name() == section) else {
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
                // A pane's own binding of a global command (`[preview] reveal`) is hinted there
                // as the global one is.
                let hint = self.bindings.iter().any(|b| {
                    (b.ctx == ctx || b.ctx == KeyContext::Global) && b.cmd == cmd && b.hint
                });
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
    pub(crate) fn config_path() -> Option<PathBuf> {
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
    pub(crate) fn load() -> (Keymap, Vec<String>) {
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
    fn lookup_prefers_the_pane() {
        let km = Keymap::default();
        let enter = Key::parse("enter").unwrap();
        assert_eq!(km.lookup(KeyContext::Tree, enter), Some(Cmd::Open));
        let q = Key::parse("q").unwrap();
        assert_eq!(km.lookup(KeyContext::Tree, q), Some(Cmd::Quit));
        let d = Key::parse("d").unwrap();
        assert_eq!(km.lookup(KeyContext::History, d), None);
    }

    #[test]
    fn toml_overrides() {
        let mut km = Keymap::default();
        let errs = km.apply_toml(
            "[global]\nquit = [\"ctrl+q\"]\nbogus = \"x\"\n[tree]\ntoggle_collapse = \"t\"\n",
        );
        assert_eq!(errs.len(), 1, "{errs:?}");
        let q = Key::parse("q").unwrap();
        assert_eq!(km.lookup(KeyContext::Global, q), None);
        assert_eq!(
            km.lookup(KeyContext::Global, Key::parse("ctrl+q").unwrap()),
            Some(Cmd::Quit)
        );
        assert_eq!(
            km.lookup(KeyContext::Tree, Key::parse("t").unwrap()),
            Some(Cmd::ToggleCollapse)
        );
        assert_eq!(
            km.lookup(KeyContext::Tree, Key::parse("space").unwrap()),
            None
        );
    }

    #[test]
    fn hints_name_the_key_that_works_there() {
        let km = Keymap::default();
        assert_eq!(km.hint(KeyContext::Preview, Cmd::Reveal), "r");
        assert_eq!(km.hint(KeyContext::Tree, Cmd::Search), "s");
        let toggles = [Cmd::ToggleAdded, Cmd::ToggleRemoved];
        assert_eq!(km.hint_group(KeyContext::Tree, &toggles), "Ctrl+a/r");
        let mut km = Keymap::default();
        // A pane binding that takes a global key hides it there: the hint names another key.
        let errs = km.apply_toml("[tree]\nexport = \"s\"\n[global]\nsearch = [\"s\", \"F\"]\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(km.hint(KeyContext::Tree, Cmd::Search), "F");
        assert_eq!(km.hint(KeyContext::History, Cmd::Search), "s");
        let errs = km.apply_toml("[global]\nsearch = []\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(km.hint(KeyContext::History, Cmd::Search), "(unbound)");
    }
}

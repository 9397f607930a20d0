//! Named styles. With `NO_COLOR` set the theme keeps only modifiers (bold, reversed, underline,
//! italic); the tree and diff also carry marks (`+ ~ - †  !`) so nothing depends on colour alone.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Debug)]
pub struct Theme {
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selected: Style,
    pub selected_unfocused: Style,
    pub added: Style,
    pub modified: Style,
    pub removed: Style,
    pub unchanged: Style,
    pub ghost: Style,
    pub finding: Style,
    pub key: Style,
    pub line_no: Style,
    pub diff_add: Style,
    pub diff_del: Style,
    pub diff_hunk: Style,
    pub diff_header: Style,
    pub secret: Style,
    pub secret_revealed: Style,
    pub banner: Style,
    pub warning: Style,
    pub error: Style,
    pub gauge: Style,
    pub match_hl: Style,
    pub sev_critical: Style,
    pub sev_high: Style,
    pub sev_medium: Style,
    pub sev_low: Style,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set (to anything non-empty, per no-color.org).
    pub(crate) fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme::new(!no_color)
    }

    pub fn new(color: bool) -> Theme {
        if !color {
            return Theme::plain();
        }
        let fg = |c: Color| Style::default().fg(c);
        Theme {
            text: Style::default(),
            dim: fg(Color::DarkGray),
            title: Style::default().add_modifier(Modifier::BOLD),
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: Style::default()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            selected_unfocused: Style::default().bg(Color::DarkGray),
            added: fg(Color::Green),
            modified: fg(Color::Yellow),
            removed: fg(Color::Red),
            unchanged: Style::default(),
            ghost: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            finding: fg(Color::Red).add_modifier(Modifier::BOLD),
            key: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            line_no: fg(Color::DarkGray),
            diff_add: fg(Color::Green),
            diff_del: fg(Color::Red),
            diff_hunk: fg(Color::Cyan),
            diff_header: Style::default().add_modifier(Modifier::BOLD),
            secret: Style::default().fg(Color::Black).bg(Color::Red),
            secret_revealed: Style::default()
                .fg(Color::Red)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            banner: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            warning: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            error: fg(Color::Red).add_modifier(Modifier::BOLD),
            gauge: fg(Color::Cyan),
            match_hl: Style::default().fg(Color::Black).bg(Color::Yellow),
            sev_critical: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            sev_high: fg(Color::Red).add_modifier(Modifier::BOLD),
            sev_medium: fg(Color::Yellow),
            sev_low: fg(Color::Blue),
        }
    }

    fn plain() -> Theme {
        let m = |m: Modifier| Style::default().add_modifier(m);
        let none = Style::default();
        Theme {
            text: none,
            dim: none,
            title: m(Modifier::BOLD),
            border: none,
            border_focus: m(Modifier::BOLD),
            selected: m(Modifier::REVERSED),
            selected_unfocused: m(Modifier::UNDERLINED),
            added: none,
            modified: none,
            removed: m(Modifier::CROSSED_OUT),
            unchanged: none,
            ghost: m(Modifier::ITALIC),
            finding: m(Modifier::BOLD),
            key: m(Modifier::BOLD),
            line_no: none,
            diff_add: none,
            diff_del: none,
            diff_hunk: m(Modifier::BOLD),
            diff_header: m(Modifier::BOLD),
            secret: m(Modifier::REVERSED),
            secret_revealed: m(Modifier::UNDERLINED),
            banner: m(Modifier::BOLD),
            warning: m(Modifier::BOLD),
            error: m(Modifier::BOLD),
            gauge: none,
            match_hl: m(Modifier::REVERSED),
            sev_critical: m(Modifier::BOLD),
            sev_high: m(Modifier::BOLD),
            sev_medium: none,
            sev_low: none,
        }
    }
}

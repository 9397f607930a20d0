//! The six panes of the screen. Its own module because both the app (focus, Tab order) and the
//! layout (where each pane goes) name panes, and neither should import the other.

use crate::tui::keymap::KeyContext;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pane {
    History,
    Tree,
    Preview,
    Findings,
    Layer,
    Image,
}

impl Pane {
    /// Tab order, and the order panes are drawn in: as the screen reads, down the left column
    /// (History, Layer, Image, Findings), then down the right one (Tree, Preview).
    pub const ORDER: [Pane; 6] = [
        Pane::History,
        Pane::Layer,
        Pane::Image,
        Pane::Findings,
        Pane::Tree,
        Pane::Preview,
    ];

    /// The keymap section whose bindings apply while this pane has the focus.
    pub(crate) fn key_context(self) -> KeyContext {
        match self {
            Pane::History => KeyContext::History,
            Pane::Tree => KeyContext::Tree,
            Pane::Preview => KeyContext::Preview,
            Pane::Findings => KeyContext::Findings,
            Pane::Layer | Pane::Image => KeyContext::Details,
        }
    }
}

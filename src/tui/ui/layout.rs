//! Where each pane goes. One pure function of the terminal size, used both to draw and to map
//! mouse clicks and page sizes, so the two can never disagree.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

use crate::tui::pane::Pane;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub history: Rect,
    pub layer: Rect,
    pub image: Rect,
    pub findings: Rect,
    pub tree: Rect,
    pub preview: Rect,
    pub status: Rect,
    /// Everything above the status line (overlays are placed in it).
    pub main: Rect,
}

impl Areas {
    pub(crate) fn get(&self, p: Pane) -> Rect {
        match p {
            Pane::History => self.history,
            Pane::Layer => self.layer,
            Pane::Image => self.image,
            Pane::Findings => self.findings,
            Pane::Tree => self.tree,
            Pane::Preview => self.preview,
        }
    }

    /// The pane under a screen cell.
    pub(crate) fn hit(&self, x: u16, y: u16) -> Option<Pane> {
        Pane::ORDER.into_iter().find(|&p| {
            let r = self.get(p);
            r.width > 0 && x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
        })
    }
}

/// Where each pane goes in `area`, with a status area of `status_h` lines (2 while other
/// scanners' findings are listed, so their notes fit); `zoom` gives one pane everything.
pub(crate) fn compute(area: Rect, zoom: Option<Pane>, status_h: u16) -> Areas {
    let status_h = status_h.clamp(1, area.height.saturating_sub(1).max(1));
    let [main, status] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(1), Constraint::Length(status_h)])
        .areas(area);
    let mut a = Areas {
        status,
        main,
        ..Default::default()
    };
    if let Some(p) = zoom {
        match p {
            Pane::History => a.history = main,
            Pane::Layer => a.layer = main,
            Pane::Image => a.image = main,
            Pane::Findings => a.findings = main,
            Pane::Tree => a.tree = main,
            Pane::Preview => a.preview = main,
        }
        return a;
    }
    let left_w = (main.width * 2 / 5).clamp(24.min(main.width), 72);
    let [left, right] = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(left_w), Constraint::Min(10)])
        .areas(main);
    let [history, layer, image, findings] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Percentage(36),
            Constraint::Percentage(22),
            Constraint::Percentage(20),
            Constraint::Percentage(22),
        ])
        .areas(left);
    let [tree, preview] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
        .areas(right);
    a.history = history;
    a.layer = layer;
    a.image = image;
    a.findings = findings;
    a.tree = tree;
    a.preview = preview;
    a
}

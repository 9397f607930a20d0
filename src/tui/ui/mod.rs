//! Drawing. Every function here reads the state and writes to the frame; none changes state or
//! does I/O. Text from the image has already been cleaned (see `text::clean`) or is cleaned here.
//! One file per pane (history, tree, preview, findings, layer, image) and per overlay (help,
//! prompt, explain, search results), plus the loading screen and the status line.

mod explain;
mod findings;
pub(crate) mod help;
mod history;
pub(crate) mod image;
mod layer;
pub mod layout;
mod loading;
pub mod packages;
mod preview;
mod prompt;
mod search_results;
mod status;
mod tree;
mod versions;
mod waiting;
mod widgets;

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::tui::app::{App, Overlay, Phase};
use crate::tui::pane::Pane;
use crate::tui::theme::Theme;
use widgets::DrawContext;

/// Draws one frame.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    let ui = &app.ui;
    let areas = layout::compute(area, ui.zoom.then_some(ui.focus), app.status_height());
    match &app.phase {
        Phase::Loading(p) => loading::loading(f, areas.main, app, p, theme),
        Phase::Failed(e) => loading::failed(f, areas.main, app, e, theme),
        Phase::Ready(loaded) => {
            let ctx = DrawContext { app, loaded, theme };
            for pane in Pane::ORDER {
                let r = areas.get(pane);
                if r.width < 3 || r.height < 2 {
                    continue;
                }
                if let Some(text) = waiting::text(&ctx, pane) {
                    waiting::draw(f, r, &ctx, pane, text);
                    continue;
                }
                match pane {
                    Pane::History => history::draw(f, r, &ctx),
                    Pane::Layer => layer::draw(f, r, &ctx),
                    Pane::Image => image::draw(f, r, &ctx),
                    Pane::Findings => findings::draw(f, r, &ctx),
                    Pane::Tree => tree::draw(f, r, &ctx),
                    Pane::Preview => preview::draw(f, r, &ctx),
                }
            }
        }
    }
    status::draw(f, areas.status, app, theme);
    overlay(f, areas.main, app, theme);
}

fn overlay(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.ui.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => help::draw(f, area, &app.ui, *scroll, theme),
        Overlay::Prompt { kind, text } => prompt::draw(f, area, *kind, text, theme),
        Overlay::Confirm { req, message } => prompt::confirm(f, area, req, message, theme),
        Overlay::Results { list } => search_results::draw(f, area, app, *list, theme),
        Overlay::Versions { path, list } => versions::draw(f, area, app, *path, *list, theme),
        Overlay::Explain { finding, scroll } => {
            explain::draw(f, area, app, *finding, *scroll, theme)
        }
        Overlay::ExplainExternal { index, scroll } => {
            explain::draw_external(f, area, app, *index, *scroll, theme)
        }
        Overlay::Packages(v) => packages::draw(f, area, app, v, theme),
    }
}

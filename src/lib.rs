//! layerscope: what every layer of a container image really holds.
//!
//! Data flows one way: `source` (find blobs) -> `layer` (index each layer in one pass) ->
//! `tree` (merge layers, changes, ghosts) and `secrets` + `findings` -> `report` or the TUI.

pub mod analysis;
pub mod content;
pub mod digest;
pub mod error;
pub mod explain;
pub mod export;
pub mod external;
pub mod findings;
pub mod goto;
pub mod image;
pub mod imagegen;
pub mod layer;
pub mod packages;
pub mod paths;
pub mod report;
pub mod secrets;
pub mod source;
pub mod tree;
pub mod tui;
pub mod vendor;

pub use analysis::{analyze, Analysis, AnalyzeOptions};
pub use error::{Error, Result, Warning};

//! layerscope's core: what every layer of a container image really holds, without a UI.
//!
//! Layers, each importing only from the layers above it in this list (see the README's map):
//! `error`, `digest`, `paths` → `source` → `image` → `layer` → `tree`, `secrets` → `content`,
//! `findings` → `analysis` → `explain`, `report`, `goto`, `export`, `external`.

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
pub mod layer;
pub mod paths;
pub mod report;
pub mod secrets;
pub mod source;
pub mod tree;

pub use analysis::{analyze, Analysis, AnalyzeOptions};
pub use error::{Error, Result, Warning};

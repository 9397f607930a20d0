//! Non-interactive outputs. They all render one `Analysis`.

pub mod ci;
pub mod ci_text;
pub mod json;
pub mod locations;
pub mod packages;
pub mod path;
pub mod sarif;

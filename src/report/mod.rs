//! Non-interactive outputs. They all render one `Analysis`.

pub mod ci;
pub mod json;
pub mod packages;
pub mod sarif;

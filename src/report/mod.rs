//! Non-interactive outputs. They all render one `Analysis`.

pub mod json;

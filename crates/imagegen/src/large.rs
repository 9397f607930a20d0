//! Deterministic generator of large, realistic container images for benchmarks (no network).
//!
//! Shared by `examples/gen_bench_image.rs` (the CLI), the criterion benches (in-memory layers) and
//! a smoke test. Unlike the rest of this crate it streams: layers of a gigabyte never sit in memory. Everything derives from one seed: the same flags give byte-identical archives.
//!
//! Images:
//! - `big`: ~1 GB at scale 1 — a distribution root (usr/lib, usr/share/doc, dpkg info, many
//!   small text files), a Python site-packages and a node_modules tree (tens of thousands of small
//!   files), large binaries (5–50 MB of seeded pseudo-random, partly compressible bytes), then a
//!   cleanup layer with deletions (whiteouts, an opaque dir) and overwrites. FAKE secrets are
//!   planted (an `AKIA…` key id, a `ghp_` token, a PEM key, one deep inside a 30 MB binary, one in
//!   a file that a later layer deletes). Written as a legacy `docker save`, an OCI archive with
//!   gzip layers and one with zstd layers.
//! - `many`: 350,000 files in 8 layers (docker save; also the Docker 25+ layout for xray-tui).
//! - `many40`: the same 350,000 files spread over 40 layers, with a file re-written in every
//!   layer and deletions along the way (docker save).
//!
//! Layer tars are streamed to disk while hashed (never held in memory), then copied into the
//! outer archives (compressed on the way for the OCI variants, one thread per layer).

mod archives;
mod content;
mod fake_secrets;
mod images;
mod layer_writer;
mod trees;

pub use archives::{
    generate, layer_in_memory, write_docker_legacy, write_oci, LayerCodec, Written, IMAGES,
};
pub use content::{Content, Corpus, Kind};
pub use fake_secrets::Secrets;
pub use images::{big_layers, many_layers, Layer, Params};
pub use layer_writer::{HashWriter, LayerWriter};
pub use layerscope_core::digest::hex;
pub use trees::{distro_spec, ident, node_spec, python_spec, write_tree, TreeSpec};

/// Fixed mtime for every entry: byte-identical output across runs.
pub const MTIME: u64 = 1_700_000_000;

// ------------------------------------------------------------------------------------------------
// PRNG

pub use crate::fake::Rng;

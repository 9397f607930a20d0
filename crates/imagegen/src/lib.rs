//! Deterministic container image writer.
//!
//! Writes images in every layout layerscope reads (Docker `save` ≤24, containers/image
//! `docker-archive`, Docker 25+ `save`, Docker's containerd image store, OCI layout directory
//! and `oci-archive`), with uncompressed, gzip or zstd layers. Everything is byte-for-byte
//! reproducible: fixed mtimes, uid/gid 0, fixed gzip header (mtime 0, OS 255, level 6),
//! fixed zstd level 3, JSON key order as the real tool writes it.
//!
//! Used by the tests of every module, by `examples/make_demo.rs` (the leak-vector demo image,
//! see [`demo`]) and by the benchmark generator.
//!
//! ```no_run
//! use layerscope_imagegen::*;
//! let spec = ImageSpec {
//!     name: "example/app:1.0".into(),
//!     steps: vec![
//!         Step::layer("/bin/sh -c #(nop) ADD file:abc in / ", vec![
//!             Node::dir("etc"),
//!             Node::file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
//!         ]),
//!         Step::empty("/bin/sh -c #(nop)  CMD [\"sh\"]"),
//!     ],
//!     ..ImageSpec::default()
//! };
//! let bytes = write_image_to_vec(&spec, Layout::DockerLegacy, Compression::None);
//! ```

#![warn(unreachable_pub)]

use std::collections::BTreeMap;

pub mod demo;
pub mod fake;
mod json;
pub mod large;
mod layout;
mod tar;

pub use layout::{
    compress, gzip_bytes, gzip_whole, image_archive, write_image, write_image_to_vec, zstd_bytes,
    WrittenImage,
};
pub use tar::{archive, layer_tar, layer_tar_with, tar_entry, whiteout_name, TarOptions};

/// Default mtime of layer entries written by [`layer_tar`]: 2024-01-01T00:00:00Z.
/// ([`write_image`] uses each step's `created` time instead.)
pub const DEFAULT_MTIME: u64 = 1_704_067_200;

/// sha256 of a 1024-byte all-zero tar (an empty layer as buildah writes it).
pub const EMPTY_TAR_DIGEST: &str =
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

/// One tar entry of a layer. Paths are bytes (non-UTF-8 names are allowed) and are written
/// exactly as given (no leading `/` or `./` is added or removed), except that directories
/// get a trailing `/` like Go writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub path: Vec<u8>,
    pub kind: NodeKind,
    /// Permission bits (e.g. `0o600`); `None` = the kind's default (file 0644, dir 0755,
    /// symlink 0777, whiteout 0, opaque marker 0755). File-type bits are added like Go's
    /// `FileInfoHeader` does unless `exact_mode` is set.
    pub mode: Option<u32>,
    /// Write `mode` verbatim (no file-type bits added).
    pub exact_mode: bool,
    pub uid: u64,
    pub gid: u64,
    pub uname: String,
    pub gname: String,
    /// `None` = the layer's default mtime.
    pub mtime: Option<u64>,
    /// Extended attributes, written as PAX `SCHILY.xattr.<name>` records.
    pub xattrs: Vec<(String, Vec<u8>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    File {
        data: Vec<u8>,
    },
    Dir,
    Symlink {
        target: Vec<u8>,
    },
    /// `target` is a path inside the same layer (typeflag `1`).
    Hardlink {
        target: Vec<u8>,
    },
    Fifo,
    CharDev {
        major: u32,
        minor: u32,
    },
    BlockDev {
        major: u32,
        minor: u32,
    },
    /// `path` is the path to delete: writes `dir/.wh.name` (an empty regular file).
    Whiteout,
    /// `path` is the directory: writes `dir/.wh..wh..opq`.
    Opaque,
    /// Escape hatch for hostile tests: header fields written verbatim.
    Raw(RawEntry),
    /// Bytes appended verbatim to the tar stream (hand-made headers, garbage, truncation).
    Bytes(Vec<u8>),
}

/// A header written verbatim: `path` goes into the 100-byte name field (truncated, no PAX,
/// no prefix split), `prefix` into the ustar prefix field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawEntry {
    pub typeflag: u8,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub linkname: Vec<u8>,
    pub prefix: Vec<u8>,
    pub devmajor: u32,
    pub devminor: u32,
    pub data: Vec<u8>,
    /// Size written in the header; `None` = `data.len()`.
    pub declared_size: Option<u64>,
    /// Do not pad `data` to a 512-byte boundary.
    pub no_data_padding: bool,
    /// PAX records written in an `x` header before this entry (or `g` if `pax_global`).
    pub pax: Vec<(String, Vec<u8>)>,
    pub pax_global: bool,
    /// A GNU `././@LongLink` (`L`) entry written before this entry.
    pub gnu_longname: Option<Vec<u8>>,
    /// A GNU `././@LongLink` (`K`, long link target) entry written before this entry.
    pub gnu_longlink: Option<Vec<u8>>,
    /// Use the GNU magic `ustar  \0` instead of POSIX `ustar\0` `00`.
    pub gnu_magic: bool,
    /// Replace the 8 checksum bytes (to write a corrupt header).
    pub checksum_override: Option<[u8; 8]>,
}

impl Node {
    fn new(path: impl AsRef<[u8]>, kind: NodeKind) -> Node {
        Node {
            path: path.as_ref().to_vec(),
            kind,
            mode: None,
            exact_mode: false,
            uid: 0,
            gid: 0,
            uname: String::new(),
            gname: String::new(),
            mtime: None,
            xattrs: Vec::new(),
        }
    }
    pub fn file(path: impl AsRef<[u8]>, data: impl AsRef<[u8]>) -> Node {
        Node::new(
            path,
            NodeKind::File {
                data: data.as_ref().to_vec(),
            },
        )
    }
    pub fn dir(path: impl AsRef<[u8]>) -> Node {
        Node::new(path, NodeKind::Dir)
    }
    pub fn symlink(path: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Node {
        Node::new(
            path,
            NodeKind::Symlink {
                target: target.as_ref().to_vec(),
            },
        )
    }
    pub fn hardlink(path: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Node {
        Node::new(
            path,
            NodeKind::Hardlink {
                target: target.as_ref().to_vec(),
            },
        )
    }
    pub fn fifo(path: impl AsRef<[u8]>) -> Node {
        Node::new(path, NodeKind::Fifo)
    }
    pub fn char_dev(path: impl AsRef<[u8]>, major: u32, minor: u32) -> Node {
        Node::new(path, NodeKind::CharDev { major, minor })
    }
    pub fn block_dev(path: impl AsRef<[u8]>, major: u32, minor: u32) -> Node {
        Node::new(path, NodeKind::BlockDev { major, minor })
    }
    /// Deletes `path` (file or directory) from lower layers: writes `dir/.wh.name`.
    pub fn whiteout(path: impl AsRef<[u8]>) -> Node {
        Node::new(path, NodeKind::Whiteout)
    }
    /// Hides every child of `dir` in lower layers: writes `dir/.wh..wh..opq`.
    pub fn opaque(dir: impl AsRef<[u8]>) -> Node {
        Node::new(dir, NodeKind::Opaque)
    }
    pub fn raw(path: impl AsRef<[u8]>, entry: RawEntry) -> Node {
        Node::new(path, NodeKind::Raw(entry))
    }
    pub fn bytes(data: impl AsRef<[u8]>) -> Node {
        Node::new(b"", NodeKind::Bytes(data.as_ref().to_vec()))
    }
    pub fn mode(mut self, mode: u32) -> Node {
        self.mode = Some(mode);
        self
    }
    /// Writes `mode` exactly, without adding file-type bits.
    pub fn exact_mode(mut self, mode: u32) -> Node {
        self.mode = Some(mode);
        self.exact_mode = true;
        self
    }
    pub fn owner(mut self, uid: u64, gid: u64) -> Node {
        self.uid = uid;
        self.gid = gid;
        self
    }
    pub fn names(mut self, uname: &str, gname: &str) -> Node {
        self.uname = uname.into();
        self.gname = gname.into();
        self
    }
    pub fn mtime(mut self, t: u64) -> Node {
        self.mtime = Some(t);
        self
    }
    pub fn xattr(mut self, name: &str, value: impl AsRef<[u8]>) -> Node {
        self.xattrs.push((name.into(), value.as_ref().to_vec()));
        self
    }
}

/// One build step: one `history` entry, and a layer unless `layer` is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub created_by: String,
    /// RFC 3339; empty = the image's `created`. Also the default mtime of the layer's entries.
    pub created: String,
    pub comment: Option<String>,
    /// `None` => history entry with `empty_layer: true` and no layer.
    pub layer: Option<Vec<Node>>,
    /// Use these bytes (uncompressed) as the layer instead of `layer_tar(layer)`:
    /// e.g. 0 bytes, 10240 zero bytes, a truncated tar. Implies a layer.
    pub raw_layer: Option<Vec<u8>>,
    /// Write this step's history entry with `empty_layer: true` even though it has a layer
    /// (or `false` written explicitly / omitted): `Some(b)` overrides the natural value.
    pub empty_layer_override: Option<bool>,
    /// Leave this step out of `history` (a layer with no history entry).
    pub no_history: bool,
}

impl Step {
    /// A step that makes a layer.
    pub fn layer(created_by: impl Into<String>, nodes: Vec<Node>) -> Step {
        Step {
            created_by: created_by.into(),
            layer: Some(nodes),
            ..Step::default()
        }
    }
    /// A metadata-only step (`empty_layer: true`).
    pub fn empty(created_by: impl Into<String>) -> Step {
        Step {
            created_by: created_by.into(),
            ..Step::default()
        }
    }
    pub fn at(mut self, created: impl Into<String>) -> Step {
        self.created = created.into();
        self
    }
    pub fn comment(mut self, c: impl Into<String>) -> Step {
        self.comment = Some(c.into());
        self
    }
    pub(crate) fn has_layer(&self) -> bool {
        self.layer.is_some() || self.raw_layer.is_some()
    }
}

/// How a multi-platform image is put into an OCI `index.json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IndexStyle {
    /// `index.json` → an image index blob → one manifest per platform (skopeo `--all`,
    /// containerd, Docker 25+ with the containerd store).
    #[default]
    Nested,
    /// `index.json` lists every platform's manifest directly, each with `platform`.
    Flat,
}

/// An image to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    /// `repo:tag` as the user names it (`layerscope/demo:latest`); empty = saved by ID
    /// (`RepoTags: null`, no `repositories`, no ref annotations).
    pub name: String,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// Empty = unset (Docker writes `""`).
    pub working_dir: String,
    pub user: String,
    /// RFC 3339.
    pub created: String,
    pub steps: Vec<Step>,
    /// More images written into the same archive (several entries in `manifest.json`, several
    /// descriptors in `index.json`). Their own `extra_images` are ignored.
    pub extra_images: Vec<ImageSpec>,
    /// Other platforms of this same image (same `name`): written as a multi-platform OCI
    /// index (Docker `save` ≤24 and containers/image layouts cannot hold them and write only
    /// this image). Their `name`, `extra_images` and `platforms` are ignored.
    pub platforms: Vec<ImageSpec>,
    pub index_style: IndexStyle,
    /// Containerd store with platforms: leave the other platforms' blobs out, like
    /// `docker save` of a partially pulled multi-platform image (`WithSkipMissing`).
    pub skip_other_platform_blobs: bool,
}

impl Default for ImageSpec {
    fn default() -> Self {
        ImageSpec {
            name: "layerscope/test:latest".into(),
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            labels: BTreeMap::new(),
            cmd: None,
            entrypoint: None,
            working_dir: String::new(),
            user: String::new(),
            created: "2024-01-01T00:00:00Z".into(),
            steps: Vec::new(),
            extra_images: Vec::new(),
            platforms: Vec::new(),
            index_style: IndexStyle::Nested,
            skip_other_platform_blobs: false,
        }
    }
}

/// The archive/directory layouts real tools write (see `/work/shared/fixtures/FORMATS.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `docker save` ≤ 24: `<v1id>/{VERSION,json,layer.tar}`, `<config>.json`,
    /// `manifest.json`, `repositories`.
    DockerLegacy,
    /// containers/image `docker-archive` (skopeo, buildah, podman save): `<diffid>.tar` at the
    /// top, `<v1id>/layer.tar` symlinks to them.
    DockerArchiveContainers,
    /// `docker save` ≥ 25, graphdriver store: OCI layout plus `manifest.json` with
    /// `LayerSources`, `repositories`.
    DockerV25,
    /// `docker save` with the containerd image store: OCI layout, Docker v2s2 manifest,
    /// compressed distribution blobs, `manifest.json` without `LayerSources`.
    ContainerdStore,
    /// OCI image layout directory (skopeo `oci:`).
    OciDir,
    /// The same tree in a tar (buildah/podman `oci-archive:`).
    OciArchive,
}

impl Layout {
    pub const ALL: [Layout; 6] = [
        Layout::DockerLegacy,
        Layout::DockerArchiveContainers,
        Layout::DockerV25,
        Layout::ContainerdStore,
        Layout::OciDir,
        Layout::OciArchive,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub const ALL: [Compression; 3] = [Compression::None, Compression::Gzip, Compression::Zstd];
}

/// Lower-case hex of sha256.
pub fn sha256_hex(data: &[u8]) -> String {
    layerscope_core::digest::sha256_hex(data)
}

/// `sha256:<hex>`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

/// Seconds since the epoch of an RFC 3339 timestamp; before 1970 or unparsable: `None`.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    layerscope_core::image::parse_rfc3339(s).and_then(|t| u64::try_from(t).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2024-01-01T00:00:00Z"), Some(DEFAULT_MTIME));
        assert_eq!(
            parse_rfc3339("2026-11-23T05:59:41.562154839Z"),
            Some(1_795_413_581)
        );
        assert_eq!(
            parse_rfc3339("2024-01-01T02:00:00+02:00"),
            Some(DEFAULT_MTIME)
        );
        assert_eq!(parse_rfc3339("garbage"), None);
    }

    #[test]
    fn empty_layer_digest() {
        assert_eq!(sha256_digest(&layer_tar(&[])), EMPTY_TAR_DIGEST);
    }
}

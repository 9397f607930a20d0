//! Builds images and lays them out as each real tool does.
//!
//! Mirrors the real fixtures in `/work/shared/fixtures/built/` (entry names, order, modes,
//! owner names, mtimes, JSON keys). Intended differences are marked `DIFF:`.

use super::{Compression, ImageSpec, Layout};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

mod build;
mod docker;
mod entries;
mod names;
mod oci;

use build::groups;
use docker::{docker_archive_containers, docker_legacy};
use entries::{entries_to_dir, entries_to_tar, Entry};
use names::{familiar_repo, split_name};
use oci::{oci_like, Flavor};

/// What was written, for the primary image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WrittenImage {
    /// `sha256:<hex>` of the config blob (= Docker's image ID).
    pub config_digest: String,
    /// `rootfs.diff_ids`: sha256 of each uncompressed layer tar, in order.
    pub diff_ids: Vec<String>,
    /// Digest of each layer blob as stored (equal to `diff_ids` when uncompressed).
    pub layer_digests: Vec<String>,
    /// Digest of the image manifest blob, for layouts that have one.
    pub manifest_digest: Option<String>,
    /// Digest of the multi-platform image index blob, when `platforms` is non-empty.
    pub index_digest: Option<String>,
    /// The `platforms` images, in order.
    pub platforms: Vec<WrittenImage>,
    /// The `extra_images`, in order.
    pub extra_images: Vec<WrittenImage>,
}

// ---------------------------------------------------------------------------------------
// compression

/// gzip as containerd/Go write it: header mtime 0, OS 255, default level (6).
pub fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).expect("gzip to memory");
    enc.finish().expect("gzip to memory")
}

/// zstd level 3, one frame with the content size.
pub fn zstd_bytes(data: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(data, 3).expect("zstd to memory")
}

pub fn compress(data: &[u8], c: Compression) -> Vec<u8> {
    match c {
        Compression::None => data.to_vec(),
        Compression::Gzip => gzip_bytes(data),
        Compression::Zstd => zstd_bytes(data),
    }
}

/// Gzips a whole file (a `docker save | gzip` archive) to `<path>.gz`; returns the new path.
pub fn gzip_whole(path: &Path) -> io::Result<PathBuf> {
    let data = std::fs::read(path)?;
    let mut out = path.as_os_str().to_owned();
    out.push(".gz");
    let out = PathBuf::from(out);
    std::fs::write(&out, gzip_bytes(&data))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// entry points

fn lay_out(spec: &ImageSpec, layout: Layout, c: Compression) -> (Vec<Entry>, WrittenImage) {
    let gs = groups(spec, c);
    let tops: Vec<&ImageSpec> = std::iter::once(spec)
        .chain(spec.extra_images.iter())
        .collect();
    let style = |i: usize| (tops[i].index_style, tops[i].skip_other_platform_blobs);
    match layout {
        Layout::DockerLegacy => docker_legacy(&gs),
        Layout::DockerArchiveContainers => docker_archive_containers(&gs),
        Layout::DockerV25 => oci_like(&gs, c, Flavor::DockerV25, style),
        Layout::ContainerdStore => oci_like(&gs, c, Flavor::Containerd, style),
        Layout::OciDir => oci_like(&gs, c, Flavor::OciDir, style),
        Layout::OciArchive => oci_like(&gs, c, Flavor::OciArchive, style),
    }
}

/// Builds the image and returns the archive bytes and what was written. For
/// [`Layout::OciDir`] the bytes are the directory tree as a tar.
pub fn image_archive(spec: &ImageSpec, layout: Layout, c: Compression) -> (Vec<u8>, WrittenImage) {
    let (entries, w) = lay_out(spec, layout, c);
    (entries_to_tar(&entries), w)
}

/// The archive bytes (see [`image_archive`]).
pub fn write_image_to_vec(spec: &ImageSpec, layout: Layout, c: Compression) -> Vec<u8> {
    image_archive(spec, layout, c).0
}

/// Writes the image to `out`: a tar file, or a directory for [`Layout::OciDir`].
pub fn write_image(
    spec: &ImageSpec,
    layout: Layout,
    c: Compression,
    out: &Path,
) -> io::Result<WrittenImage> {
    let (entries, w) = lay_out(spec, layout, c);
    if layout == Layout::OciDir {
        entries_to_dir(&entries, out)?;
    } else {
        if let Some(parent) = out.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        std::fs::write(out, entries_to_tar(&entries))?;
    }
    Ok(w)
}

/// Adds an image's `name:tag` -> top layer id to the legacy `repositories` file (untagged
/// images, saved by id, have none).
fn record_repo(
    repos: &mut BTreeMap<String, BTreeMap<String, String>>,
    name: &str,
    top: Option<&String>,
) {
    if name.is_empty() {
        return;
    }
    if let Some(last) = top {
        let (repo, tag) = split_name(name);
        repos
            .entry(familiar_repo(&repo))
            .or_default()
            .insert(tag, last.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::names::full_repo;
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            split_name("layerscope/demo:latest"),
            ("layerscope/demo".into(), "latest".into())
        );
        assert_eq!(
            split_name("localhost:5000/a/b"),
            ("localhost:5000/a/b".into(), "latest".into())
        );
        assert_eq!(
            split_name("localhost:5000/a:v1"),
            ("localhost:5000/a".into(), "v1".into())
        );
        assert_eq!(full_repo("layerscope/demo"), "docker.io/layerscope/demo");
        assert_eq!(full_repo("alpine"), "docker.io/library/alpine");
        assert_eq!(full_repo("localhost/nobin"), "localhost/nobin");
        assert_eq!(familiar_repo("docker.io/library/alpine"), "alpine");
    }
}

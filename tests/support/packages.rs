//! The package-database fixtures (`tests/fixtures/packages/`): their layers as image-writer nodes.

use std::io::Read;

use layerscope_imagegen::Node;

/// A fixture layer (gzipped tar with whiteouts, written by layerdiff.py) as image-writer nodes.
pub fn layer_nodes(rel: &str) -> Vec<Node> {
    let f =
        std::fs::File::open(crate::support::common::fixture(&format!("packages/{rel}"))).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path_bytes().into_owned();
        let mode = e.header().mode().unwrap();
        let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
            Some(i) => (&path[..i + 1], &path[i + 1..]),
            None => (&b""[..], &path[..]),
        };
        if let Some(gone) = name.strip_prefix(b".wh.") {
            out.push(Node::whiteout([dir, gone].concat()));
            continue;
        }
        out.push(match e.header().entry_type() {
            tar::EntryType::Directory => Node::dir(&path).mode(mode),
            tar::EntryType::Symlink => Node::symlink(&path, e.link_name_bytes().unwrap()),
            _ => {
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                Node::file(&path, data).mode(mode)
            }
        });
    }
    out
}

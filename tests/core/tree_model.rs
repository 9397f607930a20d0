//! Property test: the tree merge agrees with a plain model of OCI layer semantics (add, modify,
//! delete, opaque directories, directory <-> file replacement) on random layer stacks.

use std::collections::BTreeMap;
use std::io::Cursor;

use layerscope_core::layer::{index_layer, EntryKind, LayerIndex, PassState};
use layerscope_core::paths::PathTable;
use layerscope_core::source::Limits;
use layerscope_core::tree::{Change, Tree};
use proptest::prelude::*;

const PATHS: &[&str] = &["a", "a/b", "a/c", "a/b/x", "d", "d/e", "f"];

#[derive(Clone, Debug)]
enum Op {
    File(usize, u8),
    Dir(usize),
    Whiteout(usize),
    Opaque(usize),
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    File(u8),
    Dir,
}

fn parent(p: &str) -> Option<&str> {
    p.rfind('/').map(|i| &p[..i])
}
fn under(p: &str, anc: &str) -> bool {
    p.len() > anc.len() && p.starts_with(anc) && p.as_bytes()[anc.len()] == b'/'
}

fn layer_tar(ops: &[Op]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, kind: tar::EntryType, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_mtime(0);
        b.append_data(&mut h, path, data).unwrap();
    };
    for op in ops {
        match op {
            Op::File(i, c) => add(PATHS[*i], tar::EntryType::Regular, &[*c]),
            Op::Dir(i) => add(PATHS[*i], tar::EntryType::Directory, b""),
            Op::Whiteout(i) => {
                let p = PATHS[*i];
                let w = match p.rfind('/') {
                    Some(k) => format!("{}/.wh.{}", &p[..k], &p[k + 1..]),
                    None => format!(".wh.{p}"),
                };
                add(&w, tar::EntryType::Regular, b"");
            }
            Op::Opaque(i) => add(
                &format!("{}/.wh..wh..opq", PATHS[*i]),
                tar::EntryType::Regular,
                b"",
            ),
        }
    }
    b.into_inner().unwrap()
}

/// The model: whiteouts and opaque markers act on lower layers first, then entries in order.
fn apply(fs: &mut BTreeMap<String, Node>, ops: &[Op]) -> BTreeMap<String, bool> {
    let mut removed: BTreeMap<String, bool> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Opaque(i) => {
                let d = PATHS[*i];
                let kids: Vec<String> = fs.keys().filter(|k| under(k, d)).cloned().collect();
                for k in kids {
                    fs.remove(&k);
                    removed.insert(k, true);
                }
            }
            Op::Whiteout(i) => {
                let p = PATHS[*i];
                let hit: Vec<String> = fs
                    .keys()
                    .filter(|k| *k == p || under(k, p))
                    .cloned()
                    .collect();
                for k in hit {
                    fs.remove(&k);
                    removed.insert(k, true);
                }
            }
            _ => {}
        }
    }
    for op in ops {
        let (p, node) = match op {
            Op::File(i, c) => (PATHS[*i], Node::File(*c)),
            Op::Dir(i) => (PATHS[*i], Node::Dir),
            _ => continue,
        };
        let mut anc = parent(p);
        while let Some(a) = anc {
            if fs.get(a) != Some(&Node::Dir) {
                fs.insert(a.to_string(), Node::Dir);
            }
            anc = parent(a);
        }
        if node != Node::Dir {
            let kids: Vec<String> = fs.keys().filter(|k| under(k, p)).cloned().collect();
            for k in kids {
                fs.remove(&k);
            }
        }
        fs.insert(p.to_string(), node);
    }
    removed
}

/// Keeps a layer's ops free of contradictions a real tar cannot hold (a path twice, a file with
/// children in the same layer, an opaque marker without its directory).
fn sanitize(ops: Vec<Op>) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::new();
    let mut written: BTreeMap<&str, bool> = BTreeMap::new(); // path -> is_file
    for op in ops {
        match &op {
            Op::File(i, _) | Op::Dir(i) => {
                let p = PATHS[*i];
                let is_file = matches!(op, Op::File(..));
                let clash = written.contains_key(p)
                    || written
                        .iter()
                        .any(|(w, f)| (*f && under(p, w)) || (is_file && under(w, p)));
                if !clash {
                    written.insert(p, is_file);
                    out.push(op);
                }
            }
            Op::Opaque(i) => {
                let p = PATHS[*i];
                if written.get(p) == Some(&false) {
                    out.push(op);
                }
            }
            Op::Whiteout(_) => out.push(op),
        }
    }
    out
}

fn op() -> impl Strategy<Value = Op> {
    let n = PATHS.len();
    prop_oneof![
        4 => (0..n, 0u8..3).prop_map(|(i, c)| Op::File(i, c)),
        2 => (0..n).prop_map(Op::Dir),
        2 => (0..n).prop_map(Op::Whiteout),
        1 => (0..n).prop_map(Op::Opaque),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn merge_matches_model(layers in prop::collection::vec(prop::collection::vec(op(), 0..6), 1..5)) {
        let layers: Vec<Vec<Op>> = layers.into_iter().map(sanitize).collect();
        let state = PassState::default();
        let mut table = PathTable::new();
        let mut idx: Vec<LayerIndex> = layers
            .iter()
            .map(|ops| index_layer(Cursor::new(layer_tar(ops)), "t", &Limits::default(), &state, &mut ()).unwrap())
            .collect();
        for ix in &mut idx {
            ix.intern(&mut table);
        }
        let tree = Tree::build(table, &idx);
        let mut fs: BTreeMap<String, Node> = BTreeMap::new();
        for (l, ops) in layers.iter().enumerate() {
            let before = fs.clone();
            apply(&mut fs, ops);
            // Existence and kind of every path after this layer.
            for p in PATHS {
                let id = tree.paths.lookup(p.as_bytes());
                let exists = id.is_some_and(|id| tree.exists_at(id, l));
                prop_assert_eq!(exists, fs.contains_key(*p), "layer {} path {} ops {:?}", l, p, layers);
                if let (Some(id), Some(node)) = (id, fs.get(*p)) {
                    let v = tree.state_at(id, l).unwrap();
                    let kind = if v.entry != layerscope_core::tree::NO_ENTRY {
                        idx[v.layer as usize].entries[v.entry as usize].kind
                    } else {
                        EntryKind::Dir
                    };
                    let want = if *node == Node::Dir { EntryKind::Dir } else { EntryKind::File };
                    prop_assert_eq!(kind, want, "layer {} path {}", l, p);
                }
            }
            // Change kinds: added / removed agree with the before/after states.
            for p in PATHS {
                let Some(id) = tree.paths.lookup(p.as_bytes()) else { continue };
                let change = tree.version_in(id, l).map(|v| v.change);
                match (before.contains_key(*p), fs.contains_key(*p)) {
                    (false, true) => prop_assert_eq!(change, Some(Change::Added), "layer {} path {} {:?}", l, p, layers),
                    (true, false) => prop_assert_eq!(change, Some(Change::Removed), "layer {} path {}", l, p),
                    (true, true) => {
                        if before.get(*p) != fs.get(*p) {
                            prop_assert_eq!(change, Some(Change::Modified), "layer {} path {} {:?}", l, p, layers);
                        }
                    }
                    (false, false) => prop_assert!(change.is_none(), "layer {} path {}", l, p),
                }
            }
        }
    }
}

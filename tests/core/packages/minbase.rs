//! A Debian bookworm minbase root with its real dpkg database: every file owner as `dpkg-query`
//! reports it.

use super::*;

/// Reads a gzipped text fixture.
fn gz_text(rel: &str) -> String {
    let f = std::fs::File::open(crate::support::common::fixture(rel)).unwrap();
    let mut s = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// Follows symlinked directories the way the kernel would, from the root's own listing.
fn resolve_listed(links: &std::collections::HashMap<String, String>, path: &str) -> String {
    let mut todo: Vec<String> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(String::from)
        .collect();
    let mut cur: Vec<String> = Vec::new();
    for _ in 0..1000 {
        let Some(c) = todo.pop() else { break };
        let mut probe = cur.clone();
        probe.push(c.clone());
        match links.get(&probe.join("/")) {
            Some(t) if !todo.is_empty() => {
                if t.starts_with('/') {
                    cur.clear();
                }
                for part in t.split('/').filter(|p| !p.is_empty() && *p != ".").rev() {
                    todo.push(part.to_string());
                }
            }
            _ if c == ".." => {
                cur.pop();
            }
            _ => cur.push(c),
        }
    }
    cur.join("/")
}

/// A Debian bookworm `debootstrap --variant=minbase` root: its real dpkg database and its real
/// tree (names, types, symlinks; file bodies are stand-ins, so md5sums do not match).
#[test]
fn minbase_root_matches_dpkg_query() {
    let tree = gz_text("packages/minbase/tree.txt.gz");
    let mut nodes = Vec::new();
    let mut kinds = std::collections::HashMap::new();
    let mut links = std::collections::HashMap::new();
    for line in tree.lines() {
        let (kind, rest) = line.split_at(2);
        if rest.starts_with("var/lib/dpkg/info/")
            && (rest.ends_with(".list") || rest.ends_with(".md5sums"))
            || rest == "var/lib/dpkg/status"
        {
            continue;
        }
        match kind {
            "d " => nodes.push(Node::dir(rest)),
            "l " => {
                let (p, t) = rest.split_once('\t').unwrap();
                links.insert(p.to_string(), t.to_string());
                nodes.push(Node::symlink(p, t));
            }
            _ => nodes.push(Node::file(rest, format!("stand-in for /{rest}\n"))),
        }
        kinds.insert(
            rest.split('\t').next().unwrap().to_string(),
            kind.trim().to_string(),
        );
    }
    let f = std::fs::File::open(crate::support::common::fixture(
        "packages/minbase/dpkg-db.tar.gz",
    ))
    .unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut lists = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = String::from_utf8(e.path_bytes().into_owned()).unwrap();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        if let Some(name) = path
            .strip_prefix("var/lib/dpkg/info/")
            .and_then(|n| n.strip_suffix(".list"))
        {
            lists.push((
                name.split(':').next().unwrap().to_string(),
                String::from_utf8(data.clone()).unwrap(),
            ));
        }
        nodes.push(Node::file(&path, data));
    }
    let dir = tempfile::tempdir().unwrap();
    let a = image(
        dir.path(),
        "minbase.tar",
        vec![Step::layer("debootstrap --variant=minbase bookworm", nodes)],
        false,
    );
    let want: BTreeSet<(String, String)> = std::fs::read_to_string(
        crate::support::common::fixture("packages/minbase/dpkg-query-W.txt"),
    )
    .unwrap()
    .lines()
    .map(|l| {
        let (n, v) = l.split_once('\t').unwrap();
        (n.split(':').next().unwrap().to_string(), v.to_string())
    })
    .collect();
    assert_eq!(want.len(), 88);
    assert_eq!(final_packages(&a), want);
    let mut attributed = 0;
    for (pkg, list) in &lists {
        for listed in list.lines() {
            let real = resolve_listed(&links, listed);
            if kinds.get(&real).map(String::as_str) != Some("f") {
                continue;
            }
            let o = owner_of(&a, &real).unwrap_or_else(|| panic!("{listed} ({real}) has no owner"));
            assert_eq!(&o.0, pkg, "{listed}");
            attributed += 1;
        }
    }
    assert!(attributed > 3000, "{attributed}");
}

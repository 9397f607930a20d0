//! layerscope's core: what every layer of a container image really holds, without a UI.
//!
//! Layers, each importing only from the layers above it in this list (see the README's map):
//! `error`, `digest`, `paths` → `source` → `image` → `layer` → `tree`, `secrets` → `content`,
//! `findings` → `analysis` → `explain`, `report`, `goto`, `export`, `external`.

#![warn(unreachable_pub)]

pub mod analysis;
pub mod analyze;
pub mod compare;
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
pub mod packages;
pub mod paths;
pub mod report;
pub mod secrets;
pub mod source;
pub mod tree;
pub mod units;
pub mod vendor;

pub use analysis::{Analysis, AnalyzeOptions};
pub use analyze::analyze;
pub use error::{Error, Result, Warning};

/// The layering above, checked from the sources' own `use` lines: a module may import only
/// modules of lower layers, and the files inside a folder form no circle.
#[cfg(test)]
mod architecture {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Layer of each top-level module (lower imports nothing higher).
    const LAYERS: &[(&str, u8)] = &[
        ("paths", 0),
        ("units", 0),
        ("digest", 0),
        ("error", 1),
        ("source", 2),
        ("image", 3),
        ("layer", 4),
        ("tree", 5),
        ("secrets", 5),
        ("packages", 6),
        ("findings", 7),
        ("analysis", 8),
        ("content", 9),
        ("explain", 9),
        ("goto", 9),
        ("external", 9),
        ("export", 10),
        ("report", 10),
        ("vendor", 10),
        ("analyze", 11),
        ("compare", 12),
    ];

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(concat!(env!("CARGO_MANIFEST_DIR"), "/src/"))
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }

    /// `crate::a::b` names in the code (comments and tests left out).
    fn crate_paths(src: &str) -> Vec<Vec<String>> {
        let code = src.split("#[cfg(test)]").next().unwrap_or(src);
        let mut out = Vec::new();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + 7..];
                let p: Vec<String> = rest
                    .split("::")
                    .map(|s| {
                        s.chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect::<String>()
                    })
                    .take_while(|s| !s.is_empty())
                    .collect();
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn no_module_imports_a_higher_layer() {
        let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
        let mut files = Vec::new();
        sources(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
            &mut files,
        );
        let mut bad = Vec::new();
        for (rel, src) in &files {
            if rel == "lib.rs" {
                continue;
            }
            let module = rel.split(['/', '.']).next().unwrap();
            let Some(&mine) = layer.get(module) else {
                bad.push(format!("{rel}: module {module} has no layer in LAYERS"));
                continue;
            };
            for p in crate_paths(src) {
                let Some(dep) = p.first() else { continue };
                if dep == module || !layer.contains_key(dep.as_str()) {
                    continue;
                }
                if layer[dep.as_str()] >= mine {
                    bad.push(format!(
                        "{rel} ({module}, layer {mine}) imports crate::{}",
                        p.join("::")
                    ));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "arrows that run up or sideways:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn files_inside_a_folder_form_no_circle() {
        let mut files = Vec::new();
        sources(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
            &mut files,
        );
        // Edges between sibling files: `super::x` and `crate::folder::x`.
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (rel, src) in &files {
            let Some((folder, file)) = rel.rsplit_once('/') else {
                continue;
            };
            let me = file.trim_end_matches(".rs").to_string();
            if me == "mod" {
                continue;
            }
            let code = src.split("#[cfg(test)]").next().unwrap_or(src);
            let sibling = |name: &str| {
                files
                    .iter()
                    .any(|(r, _)| r == &format!("{folder}/{name}.rs"))
            };
            let mut deps = BTreeSet::new();
            for (i, _) in code.match_indices("super::") {
                let name: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if sibling(&name) && name != me {
                    deps.insert(name);
                }
            }
            for p in crate_paths(src) {
                if p.len() >= 2 && p[..p.len() - 1].join("/") == folder && sibling(&p[p.len() - 1])
                {
                    deps.insert(p[p.len() - 1].clone());
                }
                if p.len() >= 2
                    && p[0] == folder.split('/').next().unwrap()
                    && sibling(&p[1])
                    && p[1] != me
                {
                    deps.insert(p[1].clone());
                }
            }
            edges.insert(
                format!("{folder}/{me}"),
                deps.into_iter().map(|d| format!("{folder}/{d}")).collect(),
            );
        }
        // Depth-first search for a back edge.
        fn visit(
            n: &str,
            e: &BTreeMap<String, BTreeSet<String>>,
            stack: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(i) = stack.iter().position(|s| s == n) {
                let mut c = stack[i..].to_vec();
                c.push(n.to_string());
                return Some(c);
            }
            if done.contains(n) {
                return None;
            }
            stack.push(n.to_string());
            for d in e.get(n).into_iter().flatten() {
                if let Some(c) = visit(d, e, stack, done) {
                    return Some(c);
                }
            }
            stack.pop();
            done.insert(n.to_string());
            None
        }
        let mut done = BTreeSet::new();
        for n in edges.keys() {
            if let Some(c) = visit(n, &edges, &mut Vec::new(), &mut done) {
                panic!("files in a circle: {}", c.join(" -> "));
            }
        }
    }
}

//! `layerscope diff OLD NEW`: the core comparison (shared layers, history alignment, file
//! changes, findings new / fixed / unchanged), its JSON, text, CI and SARIF outputs, the
//! compare view rendered into a TestBackend, and one tmux run of the real binary.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use layerscope::tui::compare::{draw, CompareView};
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze_scanned;
use layerscope_core::compare::{self, FsChange, StepChange};
use layerscope_core::findings::Status;
use layerscope_core::layer::PassState;
use layerscope_core::secrets::{RuleSet, Scanner};
use layerscope_imagegen::{fake, write_image, Compression, ImageSpec, Layout, Node, Step};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::Value;

use crate::support::common::{bin, run};

// ---------------------------------------------------------------- images

/// An AWS access key ID shape (`AKIA` + 16 of `[A-Z2-7]`), generated.
fn aws_key() -> String {
    let mut r = fake::Rng::from_label("compare-aws");
    format!("AKIA{}", r.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))
}
fn token() -> String {
    fake::github_pat("compare-token")
}

fn base(release: &str) -> Step {
    Step::layer(
        format!("/bin/sh -c #(nop) ADD file:{release} in / "),
        vec![
            Node::dir("etc"),
            Node::file("etc/os-release", format!("NAME=Base\nVERSION={release}\n")),
            Node::dir("var"),
            Node::dir("var/cache"),
        ],
    )
}

fn spec(steps: Vec<Step>) -> ImageSpec {
    ImageSpec {
        name: "example/app:test".into(),
        steps,
        ..ImageSpec::default()
    }
}

fn app_v1_nodes() -> Vec<Node> {
    vec![
        Node::dir("app"),
        Node::file("app/main.py", "print('v1')\n"),
        Node::file(
            "app/config.py",
            format!(
                "REGION = 'eu-west-1'\nAWS_ACCESS_KEY_ID = '{}'\n",
                aws_key()
            ),
        ),
        Node::file("app/README", "the app\n"),
        Node::file("app/run.sh", "#!/bin/sh\nexec python3 /app/main.py\n").mode(0o755),
    ]
}

fn app_v1() -> ImageSpec {
    spec(vec![
        base("3.19"),
        Step::layer("COPY app /app # buildkit", app_v1_nodes()),
        Step::empty("CMD [\"/app/run.sh\"]"),
    ])
}

/// v2: two files edited (the AWS key gone from one), a token in app/.env, a cache layer.
fn app_v2() -> ImageSpec {
    spec(vec![
        base("3.19"),
        Step::layer(
            "COPY app /app # buildkit",
            vec![
                Node::dir("app"),
                Node::file("app/main.py", "print('v2')\n"),
                Node::file("app/config.py", "REGION = 'eu-west-1'\n"),
                Node::file("app/README", "the app\n"),
                Node::file("app/run.sh", "#!/bin/sh\nexec python3 /app/main.py\n").mode(0o755),
                Node::file("app/.env", format!("GITHUB_TOKEN={}\n", token())),
            ],
        ),
        Step::layer(
            "RUN /bin/sh -c make cache # buildkit",
            vec![Node::file("var/cache/app.cache", vec![7u8; 3000])],
        ),
        Step::empty("CMD [\"/app/run.sh\"]"),
    ])
}

/// v2 that only removes the key.
fn app_v2_fix_only() -> ImageSpec {
    let mut nodes = app_v1_nodes();
    nodes[2] = Node::file("app/config.py", "REGION = 'eu-west-1'\n");
    spec(vec![
        base("3.19"),
        Step::layer("COPY app /app # buildkit", nodes),
        Step::empty("CMD [\"/app/run.sh\"]"),
    ])
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn write(&self, name: &str, s: &ImageSpec, layout: Layout, c: Compression) -> PathBuf {
        let p = self.0.path().join(name);
        write_image(s, layout, c, &p).unwrap();
        p
    }
    fn tar(&self, name: &str, s: &ImageSpec) -> PathBuf {
        self.write(name, s, Layout::DockerLegacy, Compression::None)
    }
}

fn scanner() -> Scanner {
    Scanner::new(RuleSet::builtin()).unwrap()
}

fn analyse(p: &Path) -> Analysis {
    let opts = AnalyzeOptions {
        spool_compressed: true,
        ..AnalyzeOptions::default()
    };
    analyze_scanned(p, &opts, &PassState::default(), &scanner())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn pair(old: &ImageSpec, new: &ImageSpec) -> (Dir, Analysis, Analysis) {
    let d = Dir::new();
    let (o, n) = (d.tar("old.tar", old), d.tar("new.tar", new));
    let (o, n) = (analyse(&o), analyse(&n));
    (d, o, n)
}

fn paths(c: &compare::Comparison) -> Vec<(String, FsChange)> {
    c.changes
        .iter()
        .map(|x| (String::from_utf8_lossy(&x.path).into_owned(), x.change))
        .collect()
}

fn diff_json(old: &Path, new: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v, err)
}

// ---------------------------------------------------------------- core

#[test]
fn same_image_in_other_formats_is_an_empty_diff() {
    let d = Dir::new();
    let s = app_v2();
    let a = analyse(&d.tar("a.tar", &s));
    for (i, (layout, c)) in [
        (Layout::OciDir, Compression::Gzip),
        (Layout::OciArchive, Compression::Zstd),
        (Layout::ContainerdStore, Compression::Gzip),
        (Layout::DockerArchiveContainers, Compression::None),
    ]
    .into_iter()
    .enumerate()
    {
        let b = analyse(&d.write(&format!("b{i}"), &s, layout, c));
        let cmp = compare::compare(&a, &b);
        assert!(cmp.changes.is_empty(), "{layout:?}: {:?}", paths(&cmp));
        assert_eq!(cmp.shared_layers, 3, "{layout:?}");
        assert_eq!(cmp.first_difference, None);
        assert!(cmp.findings.new.is_empty() && cmp.findings.fixed.is_empty());
        assert_eq!(cmp.findings.unchanged.len(), a.findings.len());
        assert!(cmp.is_empty());
    }
}

#[test]
fn rebuilt_app_on_the_same_base() {
    let (_d, old, new) = pair(&app_v1(), &app_v2());
    let cmp = compare::compare(&old, &new);
    assert_eq!(cmp.shared_layers, 1);
    assert_eq!(
        paths(&cmp),
        vec![
            ("app/.env".to_string(), FsChange::Added),
            ("app/config.py".to_string(), FsChange::Modified),
            ("app/main.py".to_string(), FsChange::Modified),
            ("var/cache/app.cache".to_string(), FsChange::Added),
        ]
    );
    let steps: Vec<StepChange> = cmp.history.iter().map(|h| h.change).collect();
    assert_eq!(
        steps,
        vec![
            StepChange::Same,
            StepChange::Changed,
            StepChange::Added,
            StepChange::Same
        ]
    );
    assert_eq!(cmp.first_difference, Some(1));
    // Each change is placed in the NEW layer and step that made it.
    let by = |p: &str| cmp.changes.iter().find(|c| c.path == p.as_bytes()).unwrap();
    assert_eq!(by("app/.env").layer, Some(1));
    assert_eq!(by("app/.env").history, Some(1));
    assert_eq!(by("var/cache/app.cache").layer, Some(2));
    assert_eq!(by("var/cache/app.cache").history, Some(2));
    assert_eq!(by("var/cache/app.cache").new_size, Some(3000));
    assert!(by("app/config.py").what.content);
    assert!(!by("app/config.py").what.mode);
    // Findings: the token is new, the AWS key fixed.
    let newf: Vec<&str> = cmp
        .findings
        .new
        .iter()
        .map(|&i| &*new.findings[i].rule)
        .collect();
    let fixed: Vec<&str> = cmp
        .findings
        .fixed
        .iter()
        .map(|&i| &*old.findings[i].rule)
        .collect();
    assert_eq!(newf.len(), 1, "{newf:?}");
    assert!(newf[0].contains("github"), "{newf:?}");
    assert_eq!(fixed.len(), 1, "{fixed:?}");
    assert!(fixed[0].contains("aws"), "{fixed:?}");
    assert!(cmp.size.1 > cmp.size.0);
    assert!(!cmp.is_empty());
}

#[test]
fn same_app_on_a_new_base() {
    let app = Step::layer("COPY app /app # buildkit", app_v1_nodes());
    let old = spec(vec![base("3.19"), app.clone()]);
    let new = spec(vec![base("3.20"), app]);
    let (_d, old, new) = pair(&old, &new);
    let cmp = compare::compare(&old, &new);
    assert_eq!(cmp.shared_layers, 0);
    assert_eq!(
        paths(&cmp),
        vec![("etc/os-release".to_string(), FsChange::Modified)]
    );
    assert_eq!(cmp.changes[0].layer, Some(0));
    let steps: Vec<StepChange> = cmp.history.iter().map(|h| h.change).collect();
    assert_eq!(steps, vec![StepChange::Changed, StepChange::Same]);
    assert_eq!(cmp.first_difference, Some(0));
    assert!(cmp.findings.new.is_empty() && cmp.findings.fixed.is_empty());
    assert_eq!(cmp.findings.unchanged.len(), 1);
}

#[test]
fn secret_moved_from_visible_to_deleted_is_not_fixed() {
    let env = Node::file("app/.env", format!("GITHUB_TOKEN={}\n", token()));
    let old = spec(vec![
        base("3.19"),
        Step::layer("COPY app /app", vec![Node::dir("app"), env.clone()]),
    ]);
    let new = spec(vec![
        base("3.19"),
        Step::layer("COPY app /app", vec![Node::dir("app"), env]),
        Step::layer("RUN rm /app/.env", vec![Node::whiteout("app/.env")]),
    ]);
    let (d, o, n) = pair(&old, &new);
    let cmp = compare::compare(&o, &n);
    assert_eq!(
        paths(&cmp),
        vec![("app/.env".to_string(), FsChange::Removed)]
    );
    assert_eq!(cmp.changes[0].layer, Some(2), "the layer that removed it");
    assert!(cmp.findings.fixed.is_empty(), "a deleted file still ships");
    assert!(cmp.findings.new.is_empty());
    assert_eq!(cmp.findings.unchanged.len(), 1);
    let u = cmp.findings.unchanged[0];
    assert_eq!(o.findings[u.old].status, Status::Visible);
    assert_eq!(n.findings[u.new].status, Status::Deleted);
    assert!(u.hidden_not_fixed(&o, &n));
    // Every surface says so.
    let (op, np) = (d.0.path().join("old.tar"), d.0.path().join("new.tar"));
    let (code, v, _) = diff_json(&op, &np, &[]);
    assert_eq!(code, 0);
    let un = &v["findings"]["unchanged"][0];
    assert_eq!(un["status"], "deleted");
    assert_eq!(un["old_status"], "visible");
    assert_eq!(un["hidden_not_fixed"], true);
    let (_, text, _) = run(&["diff", op.to_str().unwrap(), np.to_str().unwrap()]);
    assert!(text.contains("still shipping"), "{text}");
    assert!(!text.contains(&token()), "{text}");
    let (code, out, _) = run(&["diff", op.to_str().unwrap(), np.to_str().unwrap(), "--ci"]);
    assert_eq!(code, 0, "not new: {out}");
    let view = CompareView::new(&o, &n, &cmp, false);
    let s = screen(&view, 160, 30);
    assert!(s.contains("SAME") && s.contains("still shipping"), "{s}");
}

#[test]
fn mode_only_change_and_dir_replaced_by_file() {
    let old = spec(vec![
        base("3.19"),
        Step::layer(
            "COPY app /app",
            vec![
                Node::dir("app"),
                Node::file("app/run.sh", "#!/bin/sh\n").mode(0o644),
                Node::dir("app/data"),
                Node::file("app/data/x", "x\n"),
                Node::symlink("app/current", "v1"),
            ],
        ),
    ]);
    let new = spec(vec![
        base("3.19"),
        Step::layer(
            "COPY app /app",
            vec![
                Node::dir("app"),
                Node::file("app/run.sh", "#!/bin/sh\n").mode(0o755),
                Node::file("app/data", "now a file\n"),
                Node::symlink("app/current", "v2"),
            ],
        ),
    ]);
    let (_d, o, n) = pair(&old, &new);
    let cmp = compare::compare(&o, &n);
    assert_eq!(
        paths(&cmp),
        vec![
            ("app/current".to_string(), FsChange::Modified),
            ("app/data".to_string(), FsChange::Modified),
            ("app/data/x".to_string(), FsChange::Removed),
            ("app/run.sh".to_string(), FsChange::Modified),
        ]
    );
    let by = |p: &str| cmp.changes.iter().find(|c| c.path == p.as_bytes()).unwrap();
    assert_eq!(by("app/run.sh").what.names(), vec!["mode"]);
    assert_eq!(by("app/current").what.names(), vec!["link"]);
    let data = by("app/data");
    assert_eq!(data.what.names(), vec!["kind"]);
    assert_eq!(data.kind.name(), "file");
    assert_eq!(data.old_kind.map(|k| k.name()), Some("dir"));
}

#[test]
fn any_two_layers_by_hand() {
    let (_d, o, n) = pair(&app_v1(), &app_v2());
    // The shared base against itself: nothing.
    assert!(compare::diff_layers(&o, Some(0), &n, Some(0)).is_empty());
    // OLD's base against NEW after its app layer: the app, all added in layer 1.
    let c = compare::diff_layers(&o, Some(0), &n, Some(1));
    assert!(c
        .iter()
        .all(|x| x.change == FsChange::Added && x.layer == Some(1)));
    assert!(c.iter().any(|x| x.path == b"app/.env"));
    assert!(!c.iter().any(|x| x.path == b"var/cache/app.cache"));
    // Nothing against something: every path of NEW is added.
    let all = compare::diff_layers(&o, None, &n, Some(2));
    assert!(all.iter().any(|x| x.path == b"etc/os-release"));
}

#[test]
fn size_and_waste_totals_and_per_step() {
    let big = vec![1u8; 5000];
    let old = spec(vec![
        base("3.19"),
        Step::layer("COPY app /app", vec![Node::file("app/blob", &big)]),
    ]);
    // NEW rewrites the blob in a later step: the first copy is waste held by layer 1.
    let new = spec(vec![
        base("3.19"),
        Step::layer("COPY app /app", vec![Node::file("app/blob", &big)]),
        Step::layer(
            "RUN regenerate",
            vec![Node::file("app/blob", vec![2u8; 6000])],
        ),
    ]);
    let (d, o, n) = pair(&old, &new);
    let cmp = compare::compare(&o, &n);
    assert_eq!(cmp.wasted_bytes, (0, 5000));
    assert_eq!(cmp.layer_waste.1, vec![0, 5000, 0]);
    assert_eq!(cmp.size, (o.total_size(), n.total_size()));
    assert_eq!(
        paths(&cmp),
        vec![("app/blob".to_string(), FsChange::Modified)]
    );
    assert_eq!(cmp.changes[0].layer, Some(2));
    assert_eq!(
        (cmp.changes[0].old_size, cmp.changes[0].new_size),
        (Some(5000), Some(6000))
    );
    let (op, np) = (d.0.path().join("old.tar"), d.0.path().join("new.tar"));
    let (_, v, _) = diff_json(&op, &np, &[]);
    assert_eq!(v["wasted_bytes"]["old"], 0);
    assert_eq!(v["wasted_bytes"]["new"], 5000);
    assert_eq!(v["size"]["new"], n.total_size());
    assert_eq!(v["history"][1]["change"], "same");
    assert_eq!(v["history"][1]["new"]["wasted_bytes"], 5000);
    assert_eq!(v["history"][1]["old"]["wasted_bytes"], 0);
    assert_eq!(v["history"][2]["change"], "added");
    assert_eq!(v["history"][2]["new"]["size"], n.layers[2].size);
    let view = CompareView::new(&o, &n, &cmp, false);
    assert!(screen(&view, 160, 30).contains("5.0 kB wasted"));
}

// ---------------------------------------------------------------- shared layers indexed once

fn analyse_reusing(p: &Path, from: &Analysis) -> (Analysis, usize) {
    let opts = AnalyzeOptions::default();
    let state = PassState::default();
    let src = || layerscope_core::source::open_path(p, &opts.open).unwrap();
    let reused = layerscope_core::analysis::reuse::plan(&src(), from, &state)
        .unwrap()
        .reused();
    let a = layerscope_core::analyze::analyze_source_reusing(
        src(),
        &opts,
        &state,
        Some(&scanner()),
        from,
    )
    .unwrap();
    (a, reused)
}

/// Everything a reader of an analysis sees: per layer, per path version, per finding.
fn digest_of(a: &Analysis) -> String {
    let mut s = String::new();
    for l in &a.layers {
        s += &format!(
            "L{} {} {:?} {:?} {} {} {:?} {}\n",
            l.index,
            l.diff_id,
            l.computed_diff_id,
            l.digest,
            l.size,
            l.compressed_size,
            l.compression,
            l.entries.len()
        );
    }
    for v in a.tree.all_versions() {
        let e = a
            .entry(v)
            .map(|e| (e.kind, e.mode, e.size, e.hash, e.offset));
        s += &format!(
            "{} {} {:?} {:?}\n",
            a.path_string(v.path),
            v.layer,
            v.change,
            e
        );
    }
    for f in &a.findings {
        s += &format!(
            "{} {:?} {:?} {:?} {:?} {} {}\n",
            f.rule,
            f.path.map(|p| a.path_string(p)),
            f.layer,
            f.status,
            f.removed_in_layer,
            f.fingerprint,
            f.line
        );
    }
    s
}

#[test]
fn a_shared_layer_is_indexed_once_and_reads_the_same() {
    let d = Dir::new();
    // A secret in the shared base that NEW deletes: its status comes from NEW's own tree.
    let secret_base = Step::layer(
        "/bin/sh -c #(nop) ADD file:base in / ",
        vec![
            Node::dir("etc"),
            Node::file("etc/os-release", "NAME=Base\n"),
            Node::file("etc/deploy.env", format!("GITHUB_TOKEN={}\n", token())),
            Node::hardlink("etc/os-release.link", "etc/os-release"),
        ],
    );
    let old = spec(vec![
        secret_base.clone(),
        Step::layer("COPY app /app", app_v1_nodes()),
    ]);
    let new = spec(vec![
        secret_base,
        Step::layer("COPY app /app", app_v1_nodes()),
        Step::layer(
            "RUN rm /etc/deploy.env",
            vec![Node::whiteout("etc/deploy.env")],
        ),
    ]);
    let (op, np) = (d.tar("old.tar", &old), d.tar("new.tar", &new));
    let o = analyse(&op);
    let (n, reused) = analyse_reusing(&np, &o);
    assert_eq!(reused, 2, "base and app layer are the same blobs");
    assert_eq!(digest_of(&n), digest_of(&analyse(&np)));
    let f = n
        .findings
        .iter()
        .find(|f| f.rule.contains("github"))
        .unwrap();
    assert_eq!(f.status, Status::Deleted);
    // Reused layers preview from NEW's own blob.
    let cmp = compare::compare(&o, &n);
    assert_eq!(
        paths(&cmp),
        vec![("etc/deploy.env".to_string(), FsChange::Removed)]
    );
}

#[test]
fn a_blob_of_the_same_size_with_other_bytes_is_read_again() {
    let d = Dir::new();
    // Same stored size, different bytes: the hash, not the size or a claimed id, decides.
    let (op, np) = (
        d.tar("old.tar", &spec(vec![base("3.18")])),
        d.tar("new.tar", &spec(vec![base("3.19")])),
    );
    let o = analyse(&op);
    assert_eq!(
        std::fs::metadata(&op).unwrap().len(),
        std::fs::metadata(&np).unwrap().len()
    );
    let (n, reused) = analyse_reusing(&np, &o);
    assert_eq!(reused, 0);
    assert_eq!(digest_of(&n), digest_of(&analyse(&np)));
    let cmp = compare::compare(&o, &n);
    assert_eq!(
        paths(&cmp),
        vec![("etc/os-release".to_string(), FsChange::Modified)]
    );
}

#[test]
fn the_same_layer_stored_another_way_is_reused_with_its_own_blob() {
    let d = Dir::new();
    let s = app_v2();
    let tar = analyse(&d.tar("a.tar", &s));
    for (name, layout, c) in [
        ("oci", Layout::OciDir, Compression::Gzip),
        ("zstd.tar", Layout::OciArchive, Compression::Zstd),
    ] {
        let p = d.write(name, &s, layout, c);
        let (n, reused) = analyse_reusing(&p, &tar);
        assert_eq!(reused, 3, "{name}: every layer, inflated and hashed once");
        // Digest, compression and stored size are this image's own; previews read its blob.
        assert_eq!(digest_of(&n), digest_of(&analyse(&p)), "{name}");
        assert!(compare::compare(&tar, &n).is_empty());
        let cmp = compare::compare(&analyse(&d.tar("v1.tar", &app_v1())), &n);
        let env = cmp.changes.iter().find(|c| c.path == b"app/.env").unwrap();
        let lines = layerscope::tui::compare::view::preview_lines(&tar, &n, env);
        let shown = |reveal| {
            lines
                .iter()
                .any(|l| layerscope_core::secrets::shown(&l.pieces, reveal).contains(&token()))
        };
        assert!(
            shown(true) && !shown(false),
            "{name}: revealed, and masked otherwise"
        );
    }
}

/// Rewrites the config of a `docker save` tar in place (same member name; the loader hashes
/// the content, not the name).
fn with_config(src: &Path, dst: &Path, edit: impl Fn(&mut Value)) {
    use std::io::Read;
    let mut ar = tar::Archive::new(std::fs::File::open(src).unwrap());
    let mut out = tar::Builder::new(std::fs::File::create(dst).unwrap());
    let mut members: Vec<(tar::Header, Vec<u8>)> = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        members.push((e.header().clone(), data));
    }
    let manifest: Value = serde_json::from_slice(
        &members
            .iter()
            .find(|(h, _)| h.path().unwrap().to_str() == Some("manifest.json"))
            .unwrap()
            .1,
    )
    .unwrap();
    let config = manifest[0]["Config"].as_str().unwrap().to_string();
    for (mut h, mut data) in members {
        if h.path().unwrap().to_str() == Some(config.as_str()) {
            let mut v: Value = serde_json::from_slice(&data).unwrap();
            edit(&mut v);
            data = serde_json::to_vec(&v).unwrap();
            h.set_size(data.len() as u64);
            h.set_cksum();
        }
        out.append(&h, data.as_slice()).unwrap();
    }
    out.finish().unwrap();
}

#[test]
fn a_layer_that_claims_another_diff_id_is_not_reused() {
    let d = Dir::new();
    let op = d.tar("old.tar", &spec(vec![base("3.18")]));
    let o = analyse(&op);
    let claimed = o.layers[0].computed_diff_id.clone().unwrap();
    // Other bytes of the same size, claiming OLD's diff_id.
    let real = d.tar("real.tar", &spec(vec![base("3.19")]));
    let np = d.0.path().join("liar.tar");
    with_config(&real, &np, |v| {
        v["rootfs"]["diff_ids"][0] = Value::String(claimed.clone())
    });
    let (n, reused) = analyse_reusing(&np, &o);
    assert_eq!(reused, 0);
    assert!(n.warnings.iter().any(|w| w.code == "diff-id-mismatch"));
    let cmp = compare::compare(&o, &n);
    assert_eq!(
        paths(&cmp),
        vec![("etc/os-release".to_string(), FsChange::Modified)]
    );
}
// ---------------------------------------------------------------- CLI

#[test]
fn acceptance_two_builds_of_one_app() {
    let d = Dir::new();
    let v1 = d.tar("v1.tar", &app_v1());
    let v2 = d.write("v2", &app_v2(), Layout::OciDir, Compression::Gzip);
    let (code, v, err) = diff_json(&v1, &v2, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["shared_layers"], 1);
    let changes: Vec<(&str, &str)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["path"].as_str().unwrap(), c["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("app/.env", "added"),
            ("app/config.py", "modified"),
            ("app/main.py", "modified"),
            ("var/cache/app.cache", "added"),
        ]
    );
    let cache = &v["changes"][3];
    assert_eq!(cache["kind"], "file");
    assert_eq!(cache["old_size"], Value::Null);
    assert_eq!(cache["new_size"], 3000);
    assert_eq!(cache["layer"], 2);
    assert_eq!(cache["history"], 2);
    let newf = v["findings"]["new"].as_array().unwrap();
    let fixed = v["findings"]["fixed"].as_array().unwrap();
    assert_eq!(newf.len(), 1);
    assert_eq!(newf[0]["path"], "app/.env");
    assert!(newf[0]["rule"].as_str().unwrap().contains("github"));
    assert_eq!(fixed.len(), 1);
    assert_eq!(fixed[0]["path"], "app/config.py");
    assert!(fixed[0]["rule"].as_str().unwrap().contains("aws"));
    // The analysis' own objects: image and finding shapes.
    for side in ["old", "new"] {
        assert!(v[side]["reference"].is_string());
        assert!(v[side]["layer_count"].is_u64());
    }
    assert_eq!(v["old"]["format"], "docker-archive");
    assert_eq!(v["new"]["format"], "oci-layout");
    assert!(newf[0]["fingerprint"].is_string() && newf[0]["explanation"].is_object());
    let rows: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["change"].as_str().unwrap())
        .collect();
    assert_eq!(rows, vec!["same", "changed", "added", "same"]);
    assert_eq!(v["history"][2]["old"], Value::Null);
    assert_eq!(v["history"][2]["new"]["layer"], 2);
    assert!(v["size"]["new"].as_u64().unwrap() > v["size"]["old"].as_u64().unwrap());
    assert!(v["wasted_bytes"]["old"].is_u64() && v["wasted_bytes"]["new"].is_u64());
    // Masked unless asked.
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains(&token()) && !text.contains(&aws_key()));
    let (_, shown, _) = diff_json(&v1, &v2, &["--show-secrets"]);
    assert!(serde_json::to_string(&shown).unwrap().contains(&token()));

    // The gate: a new token fails it; only removing the key passes.
    let (code, out, _) = run(&["diff", v1.to_str().unwrap(), v2.to_str().unwrap(), "--ci"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NEW:") && out.contains("/app/.env"), "{out}");
    assert!(!out.contains(&token()), "{out}");
    let fix = d.tar("fix.tar", &app_v2_fix_only());
    let (code, out, _) = run(&["diff", v1.to_str().unwrap(), fix.to_str().unwrap(), "--ci"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Result: PASS"), "{out}");
    // Identical images: an empty diff.
    let (code, same, _) = diff_json(&v1, &v1, &[]);
    assert_eq!(code, 0);
    assert_eq!(same["changes"].as_array().unwrap().len(), 0);
    assert_eq!(same["findings"]["new"].as_array().unwrap().len(), 0);
    assert_eq!(same["findings"]["fixed"].as_array().unwrap().len(), 0);
    assert_eq!(same["shared_layers"], 2);
}

#[test]
fn sarif_text_output_file_and_errors() {
    let d = Dir::new();
    let (v1, v2) = (d.tar("v1.tar", &app_v1()), d.tar("v2.tar", &app_v2()));
    let (a, b) = (v1.to_str().unwrap(), v2.to_str().unwrap());
    let (code, out, err) = run(&["diff", a, b, "--sarif", "-"]);
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&s)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only the new finding");
    assert!(!out.contains(&token()));
    // Plain text when stdout is not a terminal.
    let (code, text, _) = run(&["diff", a, b]);
    assert_eq!(code, 0);
    for want in [
        "shared layers: 1",
        "+ /app/.env",
        "~ /app/config.py",
        "1 new, 1 fixed",
        "layer 2",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert!(
        !text.contains(&token()) && !text.contains(&aws_key()),
        "{text}"
    );
    // -o writes the JSON to a file.
    let out_file = d.0.path().join("cmp.json");
    let (code, _, err) = run(&["diff", a, b, "--json", "-o", out_file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(v["shared_layers"], 1);
    // Errors: one line, exit 2.
    let missing = d.0.path().join("nope.tar");
    let (code, _, err) = run(&["diff", a, missing.to_str().unwrap(), "--json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("nope.tar") && err.lines().count() == 1,
        "{err}"
    );
    let (code, _, err) = run(&["diff", a, b, "--ci", "--fail-on", "bogus"]);
    assert_eq!(code, 2, "{err}");
}

/// The SARIF 2.1.0 schema, with the pattern fix `tests/report_outputs.rs` explains.
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(crate::support::common::fixture("sarif-schema-2.1.0.json"))
        .unwrap()
        .replace(
            r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"#,
            r#"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$"#,
        );
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&schema)
        .expect("schema compiles")
}

// ---------------------------------------------------------------- TUI

fn screen(v: &CompareView, w: u16, h: u16) -> String {
    let theme = layerscope::tui::theme::Theme::new(false);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| draw::draw(f, v, &theme)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut s = String::new();
    for y in 0..h {
        for x in 0..w {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

fn key(v: &mut CompareView, code: KeyCode) {
    v.key(KeyEvent::new(code, KeyModifiers::NONE));
}

#[test]
fn compare_view_renders_histories_files_findings_and_a_diff() {
    let (_d, o, n) = pair(&app_v1(), &app_v2());
    let cmp = compare::compare(&o, &n);
    let mut v = CompareView::new(&o, &n, &cmp, false);
    let s = screen(&v, 160, 40);
    for want in [
        "Compare",
        "shared layers 1",
        "History old | new",
        "= same",
        "~ changed",
        "+ added",
        "Files +2 -0 ~2",
        "+ /app/.env",
        "~ /app/config.py",
        "/var/cache/app.cache",
        "L2 #2",
        "Findings new 1 · fixed 1",
        "NEW",
        "FIXED",
    ] {
        assert!(s.contains(want), "{want}:\n{s}");
    }
    assert!(!s.contains(&token()) && !s.contains(&aws_key()), "{s}");
    // Down to config.py, open its diff: the key's line is removed, masked.
    key(&mut v, KeyCode::Down);
    key(&mut v, KeyCode::Enter);
    let s = screen(&v, 160, 40);
    assert!(s.contains("/app/config.py · modified"), "{s}");
    assert!(s.contains("-AWS_ACCESS_KEY_ID"), "{s}");
    assert!(!s.contains(&aws_key()), "{s}");
    // Revealed on request.
    key(&mut v, KeyCode::Char('r'));
    assert!(screen(&v, 160, 40).contains(&aws_key()));
    key(&mut v, KeyCode::Char('r'));
    // The new file: all added, the token masked.
    key(&mut v, KeyCode::Esc);
    key(&mut v, KeyCode::Up);
    key(&mut v, KeyCode::Enter);
    let s = screen(&v, 160, 40);
    assert!(s.contains("+GITHUB_TOKEN="), "{s}");
    assert!(!s.contains(&token()), "{s}");
    // Small terminals draw without panicking.
    for (w, h) in [(80, 24), (40, 10), (10, 4)] {
        screen(&v, w, h);
    }
    key(&mut v, KeyCode::Char('q'));
    assert!(v.quit);
}

#[test]
fn compare_view_of_identical_images() {
    let (_d, o, n) = pair(&app_v1(), &app_v1());
    let cmp = compare::compare(&o, &n);
    let v = CompareView::new(&o, &n, &cmp, false);
    let s = screen(&v, 120, 30);
    assert!(s.contains("no file differs"), "{s}");
    assert!(s.contains("identical"), "{s}");
}

#[test]
fn tmux_end_to_end() {
    if !crate::support::tmux::available() {
        return;
    }
    let d = Dir::new();
    let (v1, v2) = (d.tar("v1.tar", &app_v1()), d.tar("v2.tar", &app_v2()));
    let t = crate::support::tmux::Tmux::start(
        "compare",
        140,
        40,
        bin().to_str().unwrap(),
        &["diff", v1.to_str().unwrap(), v2.to_str().unwrap()],
        &[],
    );
    t.wait_for_all(&["Compare", "Files +2 -0 ~2", "/app/.env", "FIXED"]);
    t.keys(&["Down", "Enter"]);
    let s = t.wait_for_all(&["/app/config.py · modified", "-AWS_ACCESS_KEY_ID"]);
    assert!(!s.contains(&aws_key()), "{s}");
    t.keys(&["q"]);
    let s = t.wait_for_all(&["EXITED-0"]);
    assert!(
        !s.contains("History old | new"),
        "view still on screen:\n{s}"
    );
}

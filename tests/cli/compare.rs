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

mod cli;
mod shared_layers;
mod view;

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

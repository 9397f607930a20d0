//! The packages view and file owners, on an image made of real dpkg databases
//! (tests/fixtures/packages/dpkg: install, upgrade + file move, purge, reinstall) plus a vendor
//! key and an npm package: rows per layer and their order, Enter narrowing the tree, the owner
//! and checksum state under the tree and atop the preview (the state computed on the preview
//! worker, `checking…` before), masking, and Trivy vulnerabilities placed by package.

use crate::support::packages::layer_nodes;
use std::path::Path;
use std::sync::Arc;

use crate::support::tmux::{available, Tmux};
use crate::support::tui::*;
use layerscope::tui::app::{files_of, App, Overlay, PackagesView, RowKind};
use layerscope::tui::pane::Pane;
use layerscope::tui::theme::Theme;
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze_scanned;
use layerscope_core::layer::PassState;
use layerscope_core::secrets::{Scanner, Severity};
use layerscope_imagegen::fake::{github_pat, openssh_ed25519_private_key};
use layerscope_imagegen::{write_image, Compression, ImageSpec, Layout, Node, Step};

const KEY_PATH: &str = "usr/share/demo-keys/server.key";

const TRIVY: &str = r#"{"SchemaVersion": 2, "Results": [{"Target": "debian 12 (bookworm)", "Class": "os-pkgs", "Type": "debian",
    "Vulnerabilities": [
      {"VulnerabilityID": "CVE-0000-0001", "PkgName": "hello", "InstalledVersion": "2.10-3", "Severity": "HIGH", "Title": "overflow"},
      {"VulnerabilityID": "CVE-0000-0002", "PkgName": "demo-keys", "InstalledVersion": "2.0", "Severity": "LOW"}]}]}"#;

/// The token a later layer leaks; an npm package's version carries the same value.
fn token() -> String {
    github_pat("packages-view-token")
}

fn image(dir: &Path) -> Arc<Analysis> {
    image_with(dir, Vec::new())
}

fn image_with(dir: &Path, extra: Vec<Step>) -> Arc<Analysis> {
    let mut l0 = layer_nodes("dpkg/layer0.tar.gz");
    // The fixture's md5sums were computed from this generated key (tests/fixtures/packages).
    l0.push(
        Node::file(
            KEY_PATH,
            openssh_ed25519_private_key("packages-vendor-key", "demo@vendor.example"),
        )
        .mode(0o644),
    );
    let pkg = format!("{{\"name\": \"leaky\", \"version\": \"{}\"}}\n", token());
    let steps = vec![
        Step::layer("RUN dpkg -i hello zlib1g netbase demo-keys_1.0", l0),
        Step::layer(
            "RUN dpkg -i demo-keys_2.0 demo-extra_1.0",
            layer_nodes("dpkg/layer1.tar.gz"),
        ),
        Step::layer("RUN dpkg -P hello", layer_nodes("dpkg/layer2.tar.gz")),
        Step::layer("RUN dpkg -i hello", layer_nodes("dpkg/layer3.tar.gz")),
        Step::layer(
            "RUN npm install leaky",
            vec![
                Node::file("app/node_modules/leaky/package.json", pkg),
                Node::file("app/node_modules/leaky/index.js", "module.exports = 1;\n"),
                Node::file("app/.env", format!("GITHUB_TOKEN={}\n", token())),
            ],
        ),
    ];
    let spec = ImageSpec {
        steps: steps.into_iter().chain(extra).collect(),
        ..ImageSpec::default()
    };
    let out = dir.join("pkgs.tar");
    write_image(&spec, Layout::DockerV25, Compression::Gzip, &out).unwrap();
    Arc::new(
        analyze_scanned(
            &out,
            &AnalyzeOptions::default(),
            &PassState::default(),
            &Scanner::builtin(),
        )
        .unwrap(),
    )
}

fn view(app: &App) -> &PackagesView {
    match &app.ui.overlay {
        Overlay::Packages(v) => v,
        o => panic!("the packages view is not open: {o:?}"),
    }
}

fn row_names(app: &App) -> Vec<(RowKind, String)> {
    view(app)
        .rows
        .iter()
        .map(|r| (r.kind, format!("{} {}", r.name, r.version)))
        .collect()
}

fn select_row(app: &mut App, a: &Arc<Analysis>, name: &str) {
    keys(app, a, &["g"]);
    for _ in 0..64 {
        if view(app).rows[view(app).list.sel].name == name {
            return;
        }
        keys(app, a, &["j"]);
    }
    panic!("{name} not listed: {:?}", row_names(app));
}

fn is_dir(a: &Analysis, layer: usize, r: &layerscope::tui::filetree::Row) -> bool {
    a.tree
        .state_at(r.path, layer)
        .is_some_and(|v| a.kind_of(v) == layerscope_core::layer::EntryKind::Dir)
}

fn text(app: &App) -> String {
    screen(&render(app, &Theme::new(false)))
}

#[test]
fn rows_per_layer_sorting_and_layers() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(dir.path());
    let mut app = ready(&a, 160, 48);
    select_layer(&mut app, &a, 1);
    keys(&mut app, &a, &["P"]);
    assert_eq!(view(&app).layer, 1);
    assert_eq!(
        row_names(&app),
        [
            (RowKind::Installed, "demo-extra 1.0".to_string()),
            (RowKind::Upgraded, "demo-keys 2.0".to_string()),
        ]
    );
    let s = text(&app);
    assert!(
        s.contains("Packages · layer 1 · RUN dpkg -i demo-keys_2.0 demo-extra_1.0"),
        "{s}"
    );
    assert!(s.contains("changed by this step (2)"), "{s}");
    assert!(s.contains("+ dpkg   demo-extra 1.0"), "{s}");
    assert!(s.contains("↑ dpkg   demo-keys 1.0 → 2.0"), "{s}");
    assert!(
        s.contains("package files"),
        "the layer's owned/unowned split: {s}"
    );
    // The status line names the view's keys from the keymap.
    assert!(s.contains("Enter files") && s.contains("o by size"), "{s}");

    // Every package present, largest first.
    keys(&mut app, &a, &["ctrl+l", "o"]);
    let v = view(&app);
    assert!(v.all && v.by_size);
    assert!(v
        .rows
        .iter()
        .any(|r| r.kind == RowKind::Present && r.name == "netbase"));
    assert!(
        v.rows.windows(2).all(|w| w[0].size >= w[1].size),
        "{:?}",
        row_names(&app)
    );
    let s = text(&app);
    assert!(
        s.contains("every package present") && s.contains("by size"),
        "{s}"
    );
    keys(&mut app, &a, &["ctrl+l", "o"]);

    // Next layer: the purge; the history follows.
    keys(&mut app, &a, &["l"]);
    assert_eq!(view(&app).layer, 2);
    assert_eq!(app.loaded().unwrap().layer, 2);
    assert_eq!(
        row_names(&app),
        [(RowKind::Removed, "hello 2.10-3".to_string())]
    );
    let hello_before = view(&app).rows[0].size;
    assert!(hello_before > 0, "a removed package's size is from before");
    assert!(text(&app).contains("- dpkg   hello 2.10-3"));
    keys(&mut app, &a, &["l"]);
    assert_eq!(
        row_names(&app),
        [(RowKind::Installed, "hello 2.10-3".to_string())],
        "reinstalled"
    );
    keys(&mut app, &a, &["h", "h", "h", "h", "h"]);
    assert_eq!(view(&app).layer, 0, "stops at the first layer");
    assert_eq!(view(&app).rows.len(), 4);

    // Closed by its key or Esc.
    keys(&mut app, &a, &["P"]);
    assert_eq!(app.ui.overlay, Overlay::None);
    keys(&mut app, &a, &["P", "esc"]);
    assert_eq!(app.ui.overlay, Overlay::None);

    // The help is generated from the keymap and lists the view's section.
    keys(&mut app, &a, &["?", "pgdn", "pgdn", "pgdn", "pgdn"]);
    let s = text(&app);
    assert!(s.contains("Packages view"), "{s}");
    assert!(s.contains("list the package's files in the tree"), "{s}");
}

#[test]
fn enter_lists_the_package_files_in_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(dir.path());
    let mut app = ready(&a, 160, 48);
    select_layer(&mut app, &a, 1);
    keys(&mut app, &a, &["P"]);
    select_row(&mut app, &a, "demo-keys");
    let id = view(&app).rows[view(&app).list.sel].package;
    keys(&mut app, &a, &["enter"]);
    assert_eq!(app.ui.overlay, Overlay::None);
    assert_eq!(app.ui.focus, Pane::Tree);
    let v = app.loaded().unwrap();
    assert_eq!(v.layer, 1);
    let want = files_of(&a, 1, id);
    assert!(want.len() >= 2, "{want:?}");
    let files: Vec<_> = v
        .tree_rows
        .iter()
        .filter(|r| !is_dir(&a, 1, r))
        .map(|r| r.path)
        .collect();
    let mut sorted = files.clone();
    sorted.sort_by_key(|&p| a.tree.paths.path(p));
    assert_eq!(sorted, want, "exactly the package's files");
    assert!(files
        .iter()
        .any(|&p| a.path_string(p) == "usr/share/demo-keys/README"));
    assert!(
        !files
            .iter()
            .any(|&p| a.path_string(p) == "usr/share/demo-keys/moved.txt"),
        "moved.txt belongs to demo-extra from layer 1"
    );
    let s = text(&app);
    assert!(
        s.contains("everything up to here · files of demo-keys 2.0"),
        "{s}"
    );
    assert!(
        s.contains("files of demo-keys 2.0; Esc shows every file"),
        "{s}"
    );
    // Esc gives the whole tree back.
    keys(&mut app, &a, &["esc"]);
    let v = app.loaded().unwrap();
    assert!(v.tree_opts.only.is_none());
    assert!(v.tree_rows.len() > files.len() * 3);

    // Files the tree's toggles hide are shown anyway.
    select_layer(&mut app, &a, 3);
    keys(&mut app, &a, &["ctrl+a", "P", "g", "enter"]);
    let v = app.loaded().unwrap();
    assert!(v.tree_opts.shown.added && v.tree_opts.aggregated);
    assert!(v
        .tree_rows
        .iter()
        .any(|r| a.path_string(r.path) == "usr/bin/hello"));

    // A removed package lists the files its layer removed.
    select_layer(&mut app, &a, 2);
    keys(&mut app, &a, &["P", "enter"]);
    let v = app.loaded().unwrap();
    let rows: Vec<_> = v.tree_rows.iter().filter(|r| !is_dir(&a, 2, r)).collect();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .any(|r| a.path_string(r.path) == "usr/bin/hello"));
    assert!(
        rows.iter()
            .all(|r| r.change == layerscope_core::tree::Change::Removed),
        "every file of the purged package is removed here"
    );
}

#[test]
fn owner_and_state_under_the_tree_and_atop_the_preview() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(dir.path());
    let mut app = ready(&a, 160, 48);
    select_path(&mut app, &a, b"usr/bin/hello");
    let s = text(&app);
    assert!(
        s.contains(" hello 2.10-3 · unmodified "),
        "tree footer:\n{s}"
    );
    assert!(
        s.contains("hello 2.10-3 · unmodified · dpkg package from layer 3"),
        "preview header:\n{s}"
    );
    let (id, state) = app
        .loaded()
        .unwrap()
        .preview
        .doc
        .as_ref()
        .unwrap()
        .owner
        .unwrap();
    assert_eq!(a.packages.package(id).name, "hello");
    assert_eq!(state, layerscope_core::packages::FileState::Unmodified);

    // Before the preview worker answers, the state is not guessed (and nothing is read while
    // drawing): the next file's owner shows `checking…`.
    keys(&mut app, &a, &["k"]);
    let fx = {
        let key = layerscope::tui::key::Key::parse("j").unwrap();
        let ev = crossterm::event::KeyEvent::new(key.code, key.mods);
        let act = app.translate(&ev).unwrap();
        app.update(act)
    };
    let s = text(&app);
    assert!(s.contains(" hello 2.10-3 · checking… "), "{s}");
    drive(&mut app, &a, fx);
    assert!(text(&app).contains(" hello 2.10-3 · unmodified "));

    // A file no package lists.
    select_path(&mut app, &a, b"app/.env");
    let s = text(&app);
    assert!(s.contains("no package owns this file"), "{s}");
    // npm records no checksums: unchecked, known without reading.
    select_path(&mut app, &a, b"app/node_modules/leaky/index.js");
    let s = text(&app);
    assert!(s.contains(" · unchecked "), "{s}");
}

#[test]
fn masking_holds_in_the_view_and_the_headers() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(dir.path());
    let tok = token();
    let key_body = {
        let k = openssh_ed25519_private_key("packages-vendor-key", "demo@vendor.example");
        k.lines().nth(2).unwrap().to_string()
    };
    // The vendor key: listed, low, in an unmodified package file.
    let vendor: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.path.is_some_and(|p| a.path_string(p) == KEY_PATH))
        .collect();
    assert!(!vendor.is_empty());
    assert!(vendor
        .iter()
        .all(|f| f.vendor && f.severity == Severity::Low));

    let mut app = ready(&a, 160, 48);
    // Its file, opened from the packages view of the layer that installed it.
    select_layer(&mut app, &a, 0);
    keys(&mut app, &a, &["P"]);
    select_row(&mut app, &a, "demo-keys");
    keys(&mut app, &a, &["enter"]);
    assert_eq!(app.ui.overlay, Overlay::None, "{:?}", app.ui.message);
    // What 1.0 listed, though the upgrade to 2.0 (which left the key alone) and demo-extra
    // (which took moved.txt over) own those file versions now.
    let v = app.loaded().unwrap();
    let listed: Vec<String> = v
        .tree_rows
        .iter()
        .filter(|r| !is_dir(&a, 0, r))
        .map(|r| a.path_string(r.path))
        .collect();
    assert_eq!(listed, ["usr/share/demo-keys/moved.txt", KEY_PATH]);
    select_path(&mut app, &a, KEY_PATH.as_bytes());
    let s = text(&app);
    // Named as of the layer shown: 1.0 was installed then (the model, and the finding, name
    // 2.0, which owns this file version from the upgrade on), checked against 1.0's md5sums.
    assert!(
        s.contains(" demo-keys 1.0 · unmodified "),
        "tree footer:\n{s}"
    );
    assert!(
        s.contains("demo-keys 1.0 · unmodified · dpkg package from layer 0"),
        "preview header:\n{s}"
    );
    select_layer(&mut app, &a, 1);
    let s = text(&app);
    assert!(
        s.contains("demo-keys 2.0 · unmodified · dpkg package from layer 1"),
        "{s}"
    );
    select_layer(&mut app, &a, 0);
    assert!(
        s.contains("/usr/share/demo-keys/server.key · 411 B · layer 0"),
        "{s}"
    );
    assert!(s.contains("1 │ ----…"), "{s}");
    assert!(!s.contains(&key_body), "the vendor key is masked:\n{s}");
    assert!(
        s.contains("LOW  visible L0 /usr/share/demo-keys/server.key"),
        "{s}"
    );

    // A package whose version is a secret found elsewhere: masked in the view and the headers.
    select_layer(&mut app, &a, 4);
    keys(&mut app, &a, &["P"]);
    let s = text(&app);
    assert!(s.contains("+ npm    leaky ghp_"), "{s}");
    assert!(!s.contains(&tok), "masked in the view:\n{s}");
    keys(&mut app, &a, &["enter"]);
    assert_eq!(app.ui.overlay, Overlay::None, "{:?}", app.ui.message);
    select_path(&mut app, &a, b"app/node_modules/leaky/index.js");
    let s = text(&app);
    assert!(s.contains("· files of leaky ghp_"), "{s}");
    assert!(s.contains("leaky ghp_"), "{s}");
    assert!(
        !s.contains(&tok),
        "masked in the tree and preview headers:\n{s}"
    );
    // Revealed on request, masked again after.
    focus(&mut app, &a, Pane::Preview);
    keys(&mut app, &a, &["r"]);
    assert!(text(&app).contains(&tok));
    keys(&mut app, &a, &["r", "P"]);
    let s = text(&app);
    assert!(s.contains("leaky ghp_") && !s.contains(&tok), "{s}");
}

#[test]
fn trivy_package_vulnerabilities_in_the_findings_pane() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(dir.path());
    let (_, ext) = layerscope_core::external::parse_report(TRIVY).unwrap();
    let recs = layerscope_core::external::reconcile(&a, &a.findings, ext);
    let mut app = ready(&a, 160, 48);
    app.set_external(recs);
    let s = text(&app);
    assert!(s.contains("[trivy] HIGH"), "{s}");
    assert!(s.contains("L3 package hello 2.10-3"), "{s}");
    assert!(s.contains("L1 package demo-keys 2.0"), "{s}");
    // The note says which step installed it.
    assert!(
        s.contains("Debian package hello 2.10-3 was installed by layer 3 by `dpkg -i hello`"),
        "{s}"
    );
    // Enter opens the packages view of that layer on that package.
    keys(&mut app, &a, &["enter"]);
    let v = view(&app);
    assert_eq!(v.layer, 3);
    assert_eq!(v.rows[v.list.sel].name, "hello");
    assert_eq!(app.loaded().unwrap().layer, 3);
    keys(&mut app, &a, &["esc", "j", "enter"]);
    let v = view(&app);
    assert_eq!(
        (v.layer, v.rows[v.list.sel].name.as_str()),
        (1, "demo-keys")
    );
}

#[test]
fn an_image_without_package_databases_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let a = analyze(&sample(dir.path()));
    let mut app = ready(&a, 120, 40);
    keys(&mut app, &a, &["P"]);
    assert_eq!(app.ui.overlay, Overlay::None);
    assert!(text(&app).contains("no package database in this image"));
    // And no owner line atop its previews.
    select_path(&mut app, &a, b"app/config.txt");
    assert!(!text(&app).contains("no package owns"));
}

#[test]
fn fits_80_by_24() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(dir.path());
    let mut app = ready(&a, 80, 24);
    select_layer(&mut app, &a, 1);
    keys(&mut app, &a, &["P"]);
    let s = text(&app);
    assert!(s.contains("↑ dpkg   demo-keys 1.0 → 2.0"), "{s}");
    assert!(s.contains("2 files     422 B"), "{s}");
    keys(&mut app, &a, &["P"]);
    select_path(&mut app, &a, b"usr/share/demo-keys/README");
    let s = text(&app);
    assert!(s.contains("demo-keys 2.0 · unmodified"), "{s}");
}

#[test]
fn the_view_keys_come_from_keys_toml() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(dir.path());
    let mut km = layerscope::tui::keymap::Keymap::default();
    let errs = km.apply_toml("[global]\npackages = \"ctrl+p\"\n[packages]\nsort_by_size = \"s\"\n");
    assert!(errs.is_empty(), "{errs:?}");
    let mut app = App::new(Arc::new(km), "pkgs.tar", 160, 48);
    let fx = app.update(layerscope::tui::action::Action::Worker(
        layerscope::tui::action::WorkerMsg::Loaded(Ok(a.clone())),
    ));
    drive(&mut app, &a, fx);
    keys(&mut app, &a, &["P"]);
    assert_eq!(app.ui.overlay, Overlay::None, "P is no longer bound");
    assert!(
        text(&app).contains("Ctrl+p packages"),
        "the hint follows the binding"
    );
    keys(&mut app, &a, &["ctrl+p", "s"]);
    assert!(view(&app).by_size);
    assert!(text(&app).contains("s by size"));
}

/// The real binary in tmux: the preview worker's checksum state reaches the tree and the
/// preview, and `--findings-from` places a Trivy vulnerability by package.
#[test]
fn e2e_packages_view_owner_and_trivy() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("pkgs.tar");
    drop(self::image(dir.path()));
    let report = dir.path().join("trivy.json");
    std::fs::write(&report, TRIVY).unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let t = Tmux::start(
        "pkgview",
        140,
        44,
        env!("CARGO_BIN_EXE_layerscope"),
        &[
            image.to_str().unwrap(),
            "--findings-from",
            report.to_str().unwrap(),
        ],
        &[("XDG_CONFIG_HOME", config.to_str().unwrap())],
    );
    t.wait_for_all(&["[trivy] HIGH", "L3 package hello 2.10-3"]);
    // Enter on the vulnerability: the packages view of layer 3, hello selected; Enter again
    // lists its files in the tree, the first one previewed with its owner's state.
    t.keys(&["Enter"]);
    t.wait_for_all(&["Packages · layer 3", "+ dpkg   hello 2.10-3"]);
    t.keys(&["Enter"]);
    t.wait_for_all(&[
        "· files of hello 2.10-3",
        " hello 2.10-3 · unmodified ",
        "hello 2.10-3 · unmodified · dpkg package from layer 3",
    ]);
    t.quit_cleanly();
}

#[test]
fn a_modified_package_file_says_so_and_keeps_its_severity() {
    let dir = tempfile::tempdir().unwrap();
    let other = openssh_ed25519_private_key("packages-view-replaced", "builder@ci.example");
    let a = image_with(
        dir.path(),
        vec![Step::layer(
            "RUN cp /build/key /usr/share/demo-keys/server.key",
            vec![Node::file(KEY_PATH, other.clone()).mode(0o600)],
        )],
    );
    let f = a
        .findings
        .iter()
        .find(|f| f.layer == Some(5) && f.path.is_some_and(|p| a.path_string(p) == KEY_PATH))
        .unwrap();
    assert!(!f.vendor && f.severity >= Severity::High);
    let mut app = ready(&a, 160, 48);
    select_path(&mut app, &a, KEY_PATH.as_bytes());
    let s = text(&app);
    assert!(s.contains(" demo-keys 2.0 · modified "), "{s}");
    assert!(
        s.contains("demo-keys 2.0 · modified · dpkg package from layer 1"),
        "{s}"
    );
    let body = other.lines().nth(2).unwrap();
    assert!(!s.contains(body), "masked:\n{s}");
}

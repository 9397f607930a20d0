//! Package attribution against real package databases: dpkg (written by dpkg itself, layer by
//! layer), distroless `status.d`, apk (the Trivy alpine 3.10 image), rpm (rpmdb.sqlite written by
//! rpm 4.18), pip and npm trees. Fixtures: tests/fixtures/packages/README.md.

use crate::support::packages::layer_nodes;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::{analyze, analyze_scanned};
use layerscope_core::findings::FindingSource;
use layerscope_core::layer::{EntryKind, PassState};
use layerscope_core::packages::{FileState, Manager};
use layerscope_core::secrets::{Scanner, Severity};
use layerscope_imagegen::fake::openssh_ed25519_private_key;
use layerscope_imagegen::{write_image, Compression, ImageSpec, Layout, Node, Step};

mod minbase;

const KEY_PATH: &str = "usr/share/demo-keys/server.key";

fn vendor_key() -> String {
    // The same generated fake the fixture's md5sums were computed from (make-fixtures.sh).
    openssh_ed25519_private_key("packages-vendor-key", "demo@vendor.example")
}

fn image(dir: &Path, name: &str, steps: Vec<Step>, scan: bool) -> Analysis {
    let spec = ImageSpec {
        steps,
        ..ImageSpec::default()
    };
    let out = dir.join(name);
    write_image(&spec, Layout::DockerV25, Compression::Gzip, &out).unwrap();
    if scan {
        analyze_scanned(
            &out,
            &AnalyzeOptions::default(),
            &PassState::default(),
            &Scanner::builtin(),
        )
        .unwrap()
    } else {
        analyze(&out, &AnalyzeOptions::default(), &PassState::default()).unwrap()
    }
}

/// The dpkg steps of the fixture: install, upgrade + file move, purge, reinstall. Step 1 also
/// writes apt lists that step 2 removes (waste without an owner).
fn dpkg_steps() -> Vec<Step> {
    let mut l0 = layer_nodes("dpkg/layer0.tar.gz");
    l0.push(Node::file(KEY_PATH, vendor_key()).mode(0o644));
    let mut l1 = layer_nodes("dpkg/layer1.tar.gz");
    l1.push(Node::file(
        "var/lib/apt/lists/deb.debian.org_Packages",
        vec![b'x'; 5000],
    ));
    let mut l2 = layer_nodes("dpkg/layer2.tar.gz");
    l2.push(Node::whiteout("var/lib/apt/lists/deb.debian.org_Packages"));
    vec![
        Step::layer("RUN dpkg -i hello zlib1g netbase demo-keys_1.0", l0),
        Step::layer("RUN dpkg -i demo-keys_2.0 demo-extra_1.0", l1),
        Step::layer("RUN dpkg -P hello && rm -rf /var/lib/apt/lists/*", l2),
        Step::layer("RUN dpkg -i hello", layer_nodes("dpkg/layer3.tar.gz")),
    ]
}

fn names(a: &Analysis, ids: &[u32]) -> Vec<String> {
    let mut v: Vec<String> = ids
        .iter()
        .map(|&i| {
            let p = a.packages.package(i);
            format!("{} {}", p.name, p.version)
        })
        .collect();
    v.sort();
    v
}

fn owner_of(a: &Analysis, path: &str) -> Option<(String, String, FileState)> {
    let p = a.tree.paths.lookup(path.as_bytes())?;
    let v = a.tree.state_at(p, a.layers.len() - 1)?;
    let r = layerscope_core::vendor::file_package(a, v.layer as usize, v.entry)?;
    Some((r.name, r.version, r.state))
}

fn final_packages(a: &Analysis) -> BTreeSet<(String, String)> {
    a.packages
        .final_packages()
        .into_iter()
        .map(|(id, _, _)| {
            let p = a.packages.package(id);
            (p.name.clone(), p.version.clone())
        })
        .collect()
}

#[test]
fn dpkg_layers_install_upgrade_remove_reinstall() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(dir.path(), "dpkg.tar", dpkg_steps(), true);
    let l = &a.packages.layers;
    assert_eq!(
        names(&a, &l[0].installed),
        [
            "demo-keys 1.0",
            "hello 2.10-3",
            "netbase 6.4",
            "zlib1g 1:1.2.13.dfsg-1"
        ]
    );
    assert_eq!(names(&a, &l[1].installed), ["demo-extra 1.0"]);
    let up: Vec<(String, String)> = l[1]
        .upgraded
        .iter()
        .map(|c| {
            (
                a.packages.package(c.old).version.clone(),
                a.packages.package(c.new).version.clone(),
            )
        })
        .collect();
    assert_eq!(up, [("1.0".to_string(), "2.0".to_string())]);
    assert_eq!(names(&a, &l[2].removed), ["hello 2.10-3"]);
    assert!(l[2].installed.is_empty() && l[2].upgraded.is_empty());
    assert_eq!(names(&a, &l[3].installed), ["hello 2.10-3"], "reinstalled");
    let hello = a
        .packages
        .final_packages()
        .into_iter()
        .find(|(id, _, _)| a.packages.package(*id).name == "hello")
        .unwrap();
    assert_eq!(
        a.packages.package(hello.0).layer,
        3,
        "the present hello came with layer 3"
    );

    // Final packages equal dpkg's own view of the root.
    let want: BTreeSet<(String, String)> = std::fs::read_to_string(
        crate::support::common::fixture("packages/dpkg/dpkg-query-W.txt"),
    )
    .unwrap()
    .lines()
    .map(|l| {
        let (n, v) = l.split_once('\t').unwrap();
        (n.split(':').next().unwrap().to_string(), v.to_string())
    })
    .collect();
    assert_eq!(final_packages(&a), want);

    // Ownership follows the database: the moved file now belongs to demo-extra, the multi-arch
    // list (zlib1g:amd64.list) and merged paths are read, md5sums decide the state.
    assert_eq!(
        owner_of(&a, "usr/share/demo-keys/moved.txt"),
        Some(("demo-extra".into(), "1.0".into(), FileState::Unmodified))
    );
    let z = owner_of(&a, "lib/x86_64-linux-gnu/libz.so.1.2.13").unwrap();
    assert_eq!((z.0.as_str(), z.2), ("zlib1g", FileState::Unmodified));
    let h = owner_of(&a, "usr/bin/hello").unwrap();
    assert_eq!((h.0.as_str(), h.2), ("hello", FileState::Unmodified));
    // A conffile's md5 comes from the status stanza.
    let s = owner_of(&a, "etc/services").unwrap();
    assert_eq!((s.0.as_str(), s.2), ("netbase", FileState::Unmodified));
    // dpkg's own database is nobody's file; the apt lists are waste of step 1 without an owner.
    assert!(owner_of(&a, "var/lib/dpkg/status").is_none());
    assert!(l[1].wasted_bytes >= 5000, "{}", l[1].wasted_bytes);
    assert!(l[0].unowned_files > 0 && l[0].owned_files > 0);

    // The unmodified vendor key: listed, low, vendor, with the package in the explanation.
    let key: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.path.is_some_and(|p| a.path_string(p) == KEY_PATH))
        .collect();
    assert!(!key.is_empty(), "the vendor key is still listed");
    for f in &key {
        assert!(f.vendor, "{f:?}");
        assert_eq!(f.severity, Severity::Low);
        let p = f.package.as_ref().unwrap();
        assert_eq!(
            (p.manager, p.name.as_str(), p.version.as_str(), p.state),
            (Manager::Dpkg, "demo-keys", "2.0", FileState::Unmodified)
        );
        let why = layerscope_core::explain::explain(&a, f).why;
        assert!(why.starts_with("shipped unchanged by Debian package demo-keys 2.0: the same bytes are in every copy of that package"), "{why}");
    }
    assert!(
        !a.findings.iter().any(|f| f.severity >= Severity::High
            && f.package
                .as_ref()
                .is_some_and(|p| p.state == FileState::Unmodified)),
        "no high or critical finding from an unmodified package file"
    );

    // Every regular file the final dpkg lists name is attributed to its package.
    for (id, _, _) in a.packages.final_packages() {
        let pkg = a.packages.package(id).name.clone();
        let list = ["var/lib/dpkg/info/", &pkg, ".list"].concat();
        let list = a.tree.paths.lookup(list.as_bytes()).or_else(|| {
            a.tree
                .paths
                .lookup(format!("var/lib/dpkg/info/{pkg}:amd64.list").as_bytes())
        });
        let v = a.tree.state_at(list.unwrap(), 3).unwrap();
        let e = &a.layers[v.layer as usize].entries[v.entry as usize];
        let text = layerscope_core::content::read(&a, v.layer as usize, e, 1 << 20)
            .unwrap()
            .bytes;
        for line in String::from_utf8(text).unwrap().lines() {
            let rel = line.trim_start_matches('/');
            let Some(p) = a.tree.paths.lookup(rel.as_bytes()) else {
                continue;
            };
            let Some(v) = a.tree.state_at(p, 3).filter(|v| v.present()) else {
                continue;
            };
            if a.entry(v).is_some_and(|e| e.kind == EntryKind::File) {
                let o = owner_of(&a, rel).unwrap_or_else(|| panic!("{rel} has no owner"));
                assert_eq!(o.0, pkg, "{rel}");
            }
        }
    }
}

#[test]
fn modified_vendor_file_keeps_its_severity() {
    let dir = tempfile::tempdir().unwrap();
    let mut steps = dpkg_steps();
    let other = openssh_ed25519_private_key("packages-replaced-key", "builder@ci.example");
    steps.push(Step::layer(
        "RUN cp /build/key /usr/share/demo-keys/server.key",
        vec![Node::file(KEY_PATH, other).mode(0o600)],
    ));
    let a = image(dir.path(), "modified.tar", steps, true);
    let in_layer = |l: usize| {
        a.findings
            .iter()
            .filter(|f| f.source == FindingSource::File && f.layer == Some(l))
            .filter(|f| f.path.is_some_and(|p| a.path_string(p) == KEY_PATH))
            .collect::<Vec<_>>()
    };
    let modified = in_layer(4);
    assert!(!modified.is_empty());
    for f in modified {
        assert!(!f.vendor);
        assert!(f.severity >= Severity::High, "{:?}", f.severity);
        let p = f.package.as_ref().unwrap();
        assert_eq!(
            (p.name.as_str(), p.state),
            ("demo-keys", FileState::Modified)
        );
        let why = layerscope_core::explain::explain(&a, f).why;
        assert!(why.contains("modified after installation"), "{why}");
    }
    // The shipped key still sits in layer 0: vendor material, also when overwritten.
    let shipped = in_layer(0);
    assert!(
        !shipped.is_empty()
            && shipped
                .iter()
                .all(|f| f.vendor && f.severity == Severity::Low)
    );

    // JSON and SARIF carry it.
    let json = serde_json::to_value(layerscope_core::report::json::build(&a, false)).unwrap();
    assert_eq!(json["schema_version"], 1);
    let fs = json["findings"].as_array().unwrap();
    let vendor = fs.iter().find(|f| f["vendor"] == true).unwrap();
    assert_eq!(vendor["package"]["name"], "demo-keys");
    assert_eq!(vendor["package"]["state"], "unmodified");
    assert_eq!(vendor["package"]["manager"], "dpkg");
    assert!(fs
        .iter()
        .any(|f| f["package"]["state"] == "modified" && f["vendor"] == false));
    assert!(json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "hello" && p["layer"] == 3 && p["history"] == 3));
    assert_eq!(json["layers"][2]["packages"]["removed"][0]["name"], "hello");
    assert_eq!(
        json["layers"][1]["packages"]["upgraded"][0]["old_version"],
        "1.0"
    );
    let sarif = layerscope_core::report::sarif::build(&a, &a.findings, false, &a.masked_text);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let vendor_results: Vec<_> = results
        .iter()
        .filter(|r| r["properties"]["vendor"] == true)
        .collect();
    assert!(!vendor_results.is_empty() && vendor_results.iter().all(|r| r["level"] == "note"));
    assert!(results
        .iter()
        .any(|r| r["properties"]["vendor"] == false && r["level"] == "error"));
}

#[test]
fn distroless_status_d() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(
        dir.path(),
        "distroless.tar",
        vec![Step::layer(
            "COPY distroless base",
            layer_nodes("dpkg/distroless.tar.gz"),
        )],
        false,
    );
    assert_eq!(
        final_packages(&a),
        [("netbase", "6.4"), ("zlib1g", "1:1.2.13.dfsg-1")]
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    );
    let z = owner_of(&a, "lib/x86_64-linux-gnu/libz.so.1.2.13").unwrap();
    assert_eq!((z.0.as_str(), z.2), ("zlib1g", FileState::Unmodified));
    assert_eq!(
        a.packages.package(a.packages.final_packages()[0].0).db,
        "var/lib/dpkg/status.d"
    );
}

#[test]
fn apk_packages_equal_the_alpine_database() {
    let a = crate::support::common::open("public/trivy/alpine-310.tar.gz");
    let db = a.tree.paths.lookup(b"lib/apk/db/installed").unwrap();
    let v = a.tree.state_at(db, 0).unwrap();
    let e = a.entry(v).unwrap();
    let text = String::from_utf8(
        layerscope_core::content::read(&a, 0, e, 1 << 24)
            .unwrap()
            .bytes,
    )
    .unwrap();
    let mut want = BTreeSet::new();
    let mut files = Vec::new();
    let (mut name, mut dir) = (String::new(), String::new());
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("P:") {
            name = n.to_string();
        } else if let Some(ver) = line.strip_prefix("V:") {
            want.insert((name.clone(), ver.to_string()));
        } else if let Some(d) = line.strip_prefix("F:") {
            dir = d.to_string();
        } else if let Some(f) = line.strip_prefix("R:") {
            files.push((name.clone(), format!("{dir}/{f}")));
        }
    }
    assert_eq!(want.len(), 14);
    assert_eq!(final_packages(&a), want);
    let mut checked = 0;
    for (pkg, path) in &files {
        let Some(p) = a.tree.paths.lookup(path.as_bytes()) else {
            continue;
        };
        let Some(v) = a.tree.state_at(p, 0) else {
            continue;
        };
        let o = owner_of(&a, path).unwrap_or_else(|| panic!("{path} has no owner"));
        assert_eq!(&o.0, pkg, "{path}");
        if a.entry(v).is_some_and(|e| e.kind == EntryKind::File) {
            // The image's build edited a few configuration files (root locked in etc/shadow).
            if !path.starts_with("etc/") {
                assert_eq!(o.2, FileState::Unmodified, "{path}: sha1 from Z:Q1");
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}

#[test]
fn python_upgrade_and_record_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(
        dir.path(),
        "py.tar",
        vec![
            Step::layer(
                "RUN pip install --target six==1.16.0",
                layer_nodes("python/layer0.tar.gz"),
            ),
            Step::layer(
                "RUN pip install --upgrade six==1.17.0",
                layer_nodes("python/layer1.tar.gz"),
            ),
        ],
        false,
    );
    let l = &a.packages.layers;
    assert_eq!(names(&a, &l[0].installed), ["six 1.16.0"]);
    assert!(
        l[1].installed.is_empty() && l[1].removed.is_empty(),
        "{:?}",
        l[1]
    );
    assert_eq!(l[1].upgraded.len(), 1);
    assert_eq!(a.packages.package(l[1].upgraded[0].new).version, "1.17.0");
    let six = owner_of(&a, "usr/local/lib/python3.11/site-packages/six.py").unwrap();
    assert_eq!(
        six,
        ("six".into(), "1.17.0".into(), FileState::Unmodified),
        "sha256 from RECORD"
    );
}

#[test]
fn npm_package_folder() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(
        dir.path(),
        "npm.tar",
        vec![Step::layer(
            "RUN npm install ms@2.1.3",
            layer_nodes("npm/layer0.tar.gz"),
        )],
        false,
    );
    assert_eq!(
        final_packages(&a),
        BTreeSet::from([("ms".to_string(), "2.1.3".to_string())])
    );
    let o = owner_of(&a, "app/node_modules/ms/index.js").unwrap();
    assert_eq!((o.0.as_str(), o.2), ("ms", FileState::Unchecked));
    assert!(
        owner_of(&a, "app/package.json").is_none(),
        "the app's own manifest is no package's"
    );
    let (_, size, files) = a.packages.final_packages()[0];
    assert!(size > 0 && files >= 3, "{size} {files}");
}

#[test]
fn rpm_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(
        dir.path(),
        "rpm.tar",
        vec![Step::layer(
            "RUN rpm -i demo-rpm",
            layer_nodes("rpm/layer0.tar.gz"),
        )],
        false,
    );
    let want: BTreeSet<(String, String)> =
        std::fs::read_to_string(crate::support::common::fixture("packages/rpm/rpm-qa.txt"))
            .unwrap()
            .lines()
            .map(|l| {
                let (n, v) = l.split_once(' ').unwrap();
                (n.to_string(), v.to_string())
            })
            .collect();
    assert_eq!(final_packages(&a), want, "{:?}", a.warnings);
    let o = owner_of(&a, "usr/share/demo-rpm/hello.txt").unwrap();
    assert_eq!((o.0.as_str(), o.2), ("demo-rpm", FileState::Unmodified));
}

#[test]
fn berkeley_db_is_named_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(
        dir.path(),
        "bdb.tar",
        vec![Step::layer(
            "RUN yum install",
            vec![Node::file("var/lib/rpm/Packages", vec![0u8; 4096])],
        )],
        false,
    );
    assert!(a.packages.is_empty());
    assert!(
        a.warnings
            .iter()
            .any(|w| w.code == "package-db" && w.message.contains("Berkeley DB")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn malformed_databases_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let mut status = b"Package: ok\nVersion: 1\nStatus: install ok installed\n\n".to_vec();
    status.extend_from_slice(b"no colon here\n\nPackage: noversion\n\n");
    status.extend(std::iter::repeat_n(b'A', 200_000));
    let a = image(
        dir.path(),
        "bad.tar",
        vec![Step::layer(
            "RUN break things",
            vec![
                Node::file("var/lib/dpkg/status", status),
                Node::file(
                    "var/lib/dpkg/info/ok.list",
                    b"/usr/bin/ok\n/../../etc/escape\n\0\xff\n",
                ),
                Node::file("var/lib/dpkg/info/ok.md5sums", b"zz  usr/bin/ok\n"),
                Node::file("usr/bin/ok", b"ok"),
                Node::file(
                    "lib/apk/db/installed",
                    b"P:x\nV\nZ:Q1notbase64\n\n\n\xff\xfe",
                ),
                Node::file("app/node_modules/bad/package.json", b"{not json"),
                Node::file(
                    "usr/lib/python3/site-packages/x-1.dist-info/METADATA",
                    b"Name: x\n",
                ),
                Node::file("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0garbage"),
            ],
        )],
        false,
    );
    assert_eq!(
        final_packages(&a),
        BTreeSet::from([("ok".to_string(), "1".to_string())])
    );
    assert_eq!(
        owner_of(&a, "usr/bin/ok").map(|o| o.2),
        Some(FileState::Unchecked)
    );
    let msgs: Vec<&str> = a
        .warnings
        .iter()
        .filter(|w| w.code == "package-db")
        .map(|w| w.message.as_str())
        .collect();
    for want in [
        "md5sums",
        "apk/db/installed",
        "package.json",
        "METADATA",
        "rpmdb.sqlite",
        "no Package or Version",
    ] {
        assert!(msgs.iter().any(|m| m.contains(want)), "{want}: {msgs:?}");
    }
}

/// A Trivy OS-package vulnerability names a package, not a file: it lands on the layer that
/// installed that version (hello was removed in layer 2 and reinstalled by layer 3).
#[test]
fn trivy_vulnerability_on_the_installing_layer() {
    let dir = tempfile::tempdir().unwrap();
    let a = image(dir.path(), "trivy.tar", dpkg_steps(), false);
    let report = r#"{"SchemaVersion": 2, "Results": [{"Target": "debian 12 (bookworm)", "Class": "os-pkgs", "Type": "debian",
        "Vulnerabilities": [
          {"VulnerabilityID": "CVE-0000-0001", "PkgName": "hello", "InstalledVersion": "2.10-3", "Severity": "HIGH", "Title": "t"},
          {"VulnerabilityID": "CVE-0000-0002", "PkgName": "demo-keys", "InstalledVersion": "2.0", "Severity": "LOW"},
          {"VulnerabilityID": "CVE-0000-0003", "PkgName": "absent", "InstalledVersion": "1", "Severity": "LOW"}]}]}"#;
    let (_, ext) = layerscope_core::external::parse_report(report).unwrap();
    let r = layerscope_core::external::reconcile(&a, &a.findings, ext);
    assert_eq!(r[0].layer, Some(3), "{}", r[0].note);
    assert!(
        r[0].note
            .starts_with("Debian package hello 2.10-3 was installed by layer 3 by `dpkg -i hello`"),
        "{}",
        r[0].note
    );
    assert_eq!(r[1].layer, Some(1), "upgraded to 2.0 by layer 1");
    assert_eq!(r[2].layer, None);
}

/// `layerscope diff` of two builds: the package lists of the final images compared (added,
/// removed, upgraded), each placed on the NEW layer that installed it, in the JSON and the text.
#[test]
fn compare_reports_packages_added_removed_upgraded() {
    let d = tempfile::tempdir().unwrap();
    let steps = dpkg_steps();
    let old = image(d.path(), "old.tar", steps[..1].to_vec(), false);
    let new = image(d.path(), "new.tar", steps[..3].to_vec(), false);
    let cmp = layerscope_core::compare::compare(&old, &new);
    let p = &cmp.packages;
    let list = |v: &Vec<_>| -> Vec<String> {
        let v: &Vec<layerscope_core::compare::PackageChange> = v;
        v.iter().map(|c| c.name.clone()).collect()
    };
    assert_eq!(list(&p.added), vec!["demo-extra"]);
    assert_eq!(list(&p.removed), vec!["hello"]);
    assert_eq!(list(&p.upgraded), vec!["demo-keys"]);
    let up = &p.upgraded[0];
    assert_eq!(up.old.as_ref().unwrap().version, "1.0");
    assert_eq!(up.new.as_ref().unwrap().version, "2.0");
    assert_eq!(
        up.new.as_ref().unwrap().layer,
        1,
        "installed by NEW's step 1"
    );
    let json = serde_json::to_value(layerscope_core::compare::report::build(
        &old, &new, &cmp, false,
    ))
    .unwrap();
    assert_eq!(json["packages"]["upgraded"][0]["old_version"], "1.0");
    assert_eq!(json["packages"]["upgraded"][0]["new_version"], "2.0");
    assert_eq!(json["packages"]["upgraded"][0]["layer"], 1);
    assert_eq!(json["packages"]["removed"][0]["name"], "hello");
    let text = layerscope_core::compare::report::text(&old, &new, &cmp, false);
    assert!(
        text.contains("packages: 1 added, 1 removed, 1 upgraded"),
        "{text}"
    );
    assert!(
        text.contains("~ dpkg demo-keys 1.0 -> 2.0  layer 1"),
        "{text}"
    );
    // The same image on both sides: no package difference.
    assert!(layerscope_core::compare::compare(&new, &new)
        .packages
        .is_empty());
}

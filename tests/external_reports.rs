//! Other scanners' reports (`--findings-from`) read and placed in the demo image: the
//! hand-written samples in tests/fixtures/reports/, layerscope's own SARIF read back, and
//! `--goto` resolution. Expectations come from `demo_expectations()`.

mod tui_support;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use layerscope_core::external::{self, Agreement, ExternalFinding, Reconciled};
use layerscope_imagegen::demo::{demo_expectations, ExpectedLeak, LeakStatus};
use layerscope_core::Analysis;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> Arc<Analysis> {
    static A: OnceLock<Arc<Analysis>> = OnceLock::new();
    A.get_or_init(|| tui_support::analyze(&root().join("assets/demo/demo.tar")))
        .clone()
}

fn report(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/fixtures/reports").join(name)).unwrap()
}

fn parsed(name: &str) -> (&'static str, Vec<ExternalFinding>) {
    external::parse_report(&report(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn reconciled(name: &str) -> Vec<Reconciled> {
    let a = demo();
    external::reconcile(&a, &a.findings, parsed(name).1)
}

fn leak(path: &str) -> ExpectedLeak {
    demo_expectations()
        .into_iter()
        .find(|e| e.path_or_source == path)
        .unwrap_or_else(|| panic!("no expectation for {path}"))
}

fn by_path<'a>(rs: &'a [Reconciled], p: &str) -> &'a Reconciled {
    rs.iter()
        .find(|r| r.ext.path.as_deref() == Some(p.trim_start_matches('/')))
        .unwrap_or_else(|| panic!("no finding for {p} in {rs:#?}"))
}

#[test]
fn fixture_diff_ids_are_real_demo_layers() {
    let a = demo();
    let diff_ids: Vec<&str> = a.layers.iter().map(|l| l.diff_id.as_str()).collect();
    let (_, trivy) = parsed("trivy-demo.json");
    for f in &trivy {
        let d = f
            .layer_diff_id
            .as_deref()
            .expect("every sample names its layer");
        assert!(
            diff_ids.contains(&d),
            "{d} is not a demo layer: update the fixture"
        );
    }
    assert_eq!(
        trivy[0].layer_diff_id.as_deref(),
        Some(diff_ids[leak("/root/.netrc").layer.unwrap()])
    );
}

#[test]
fn trivy_json_is_read() {
    let (fmt, f) = parsed("trivy-demo.json");
    assert_eq!(fmt, "trivy");
    assert_eq!(f.len(), 3);
    let n = &f[0];
    assert_eq!(n.tool, "trivy");
    assert_eq!(n.rule, "netrc-password");
    assert_eq!(n.title, "Netrc password");
    assert_eq!(n.severity, Some(layerscope_core::secrets::Severity::High));
    assert_eq!(n.path.as_deref(), Some("root/.netrc"));
    assert_eq!(n.line, Some(1));
    assert!(n.layer_digest.as_deref().unwrap().starts_with("sha256:"));
    assert!(n.snippet.as_deref().unwrap().starts_with("machine "));
    assert_eq!(f[1].path.as_deref(), Some("app/config/production.yml"));
    assert_eq!(f[1].line, Some(12));
}

#[test]
fn sarif_is_read() {
    let (fmt, f) = parsed("findings-demo.sarif");
    assert_eq!(fmt, "sarif");
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].tool, "gitleaks");
    assert_eq!(f[0].rule, "private-key");
    assert_eq!(f[0].title, "Private key");
    assert_eq!(f[0].path.as_deref(), Some("root/.ssh/id_ed25519"));
    assert_eq!(f[1].line, Some(3));
    assert_eq!(f[1].severity, Some(layerscope_core::secrets::Severity::High));
}

#[test]
fn kingfisher_json_and_json_lines_are_read() {
    let (fmt, f) = parsed("kingfisher-demo.json");
    assert_eq!(fmt, "kingfisher");
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].rule, "kingfisher.netrc.1");
    assert_eq!(f[0].title, "Netrc Credentials");
    assert_eq!(f[0].path.as_deref(), Some("root/.netrc"), "archive | path");
    assert_eq!(f[0].validation.as_deref(), Some("Not Attempted"));
    assert_eq!(f[1].line, Some(3));
    // JSON Lines: the same findings one per line.
    let v: serde_json::Value = serde_json::from_str(&report("kingfisher-demo.json")).unwrap();
    let lines: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| serde_json::to_string(i).unwrap())
        .collect();
    let (fmt, g) = external::parse_report(&lines.join("\n")).unwrap();
    assert_eq!(fmt, "kingfisher");
    assert_eq!(g, f);
}

#[test]
fn other_documents_are_refused() {
    for text in [
        "",
        "[package]\nname = \"x\"\n",
        "{}",
        "{\"findings\": [{\"rule\": \"x\", \"path\": \"a\"}]}",
    ] {
        assert!(external::parse_report(text).is_err(), "{text:?}");
    }
    // layerscope's own --json is not a findings report either.
    let a = demo();
    let own = serde_json::to_string(&layerscope_core::report::json::build(&a, false)).unwrap();
    assert!(external::parse_report(&own).is_err());
}

#[test]
fn a_deleted_file_is_placed_in_the_layer_that_holds_its_bytes() {
    let rs = reconciled("trivy-demo.json");
    let r = by_path(&rs, "/root/.netrc");
    let e = leak("/root/.netrc");
    assert_eq!(e.status, LeakStatus::Deleted);
    assert_eq!(r.agreement, Agreement::Deleted);
    assert_eq!(r.layer, e.layer);
    assert_eq!(r.stated_layer, e.layer);
    assert!(r.agrees(), "layerscope finds the .netrc password too");
    assert_eq!(r.tag(), "deleted, agrees");
    let by = e.removed_or_replaced_in.unwrap();
    assert!(
        r.note.contains(&format!(
            "the scanner says /root/.netrc is in the image, but the final filesystem no longer shows it: deleted in layer {by} by `rm -f /root/.netrc`; its bytes stay in layer {}",
            e.layer.unwrap()
        )),
        "{}",
        r.note
    );
    let a = demo();
    assert_eq!(a.findings[r.own[0]].rule.as_ref(), "netrc-password");
}

#[test]
fn a_visible_file_is_confirmed_on_its_line() {
    let rs = reconciled("trivy-demo.json");
    let r = by_path(&rs, "/app/config/production.yml");
    let e = demo_expectations()
        .into_iter()
        .find(|e| e.path_or_source == "/app/config/production.yml" && e.kind == "jwt")
        .unwrap();
    assert_eq!(e.status, LeakStatus::Visible);
    assert_eq!(r.agreement, Agreement::Confirmed);
    assert_eq!(r.layer, e.layer);
    assert!(
        r.note
            .contains("line 12 of /app/config/production.yml (layer 11) holds jwt"),
        "{}",
        r.note
    );
}

#[test]
fn a_path_not_in_the_image_is_said_so() {
    let rs = reconciled("trivy-demo.json");
    let r = by_path(&rs, "/etc/ssl/private/server.key");
    assert_eq!(r.agreement, Agreement::NotInImage);
    assert_eq!(r.path, None);
    assert!(
        r.note.contains("no layer of this image holds"),
        "{}",
        r.note
    );
}

#[test]
fn sarif_findings_are_reconciled() {
    let rs = reconciled("findings-demo.sarif");
    let key = by_path(&rs, "/root/.ssh/id_ed25519");
    let e = leak("/root/.ssh/id_ed25519");
    assert_eq!(key.agreement, Agreement::Deleted);
    assert_eq!(
        key.layer, e.layer,
        "no layer in the report: the ghost's source"
    );
    assert!(key.agrees());
    assert!(key.note.contains(&format!(
        "deleted in layer {}",
        e.removed_or_replaced_in.unwrap()
    )));
    // The final .env was scrubbed: layerscope finds nothing there, but does in the first one.
    let env = by_path(&rs, "/app/.env");
    let e = leak("/app/.env");
    assert_eq!(e.status, LeakStatus::Overwritten);
    assert_eq!(env.agreement, Agreement::NoOwnFinding);
    assert_eq!(env.layer, e.removed_or_replaced_in);
    assert!(
        env.note.contains(&format!(
            "layerscope finds stripe-access-token in the version from layer {}",
            e.layer.unwrap()
        )),
        "{}",
        env.note
    );
}

#[test]
fn kingfisher_paths_from_archives_and_extraction_folders_are_placed() {
    let rs = reconciled("kingfisher-demo.json");
    let n = by_path(&rs, "/root/.netrc");
    assert_eq!(n.agreement, Agreement::Deleted);
    assert_eq!(n.layer, leak("/root/.netrc").layer);
    // The extraction folder names the layer's `docker save` folder: that is the stated layer.
    let aws = rs
        .iter()
        .find(|r| r.ext.rule == "kingfisher.aws.2")
        .unwrap();
    let e = leak("/root/.aws/credentials");
    assert_eq!(aws.stated_layer, e.layer);
    assert_eq!(aws.layer, e.layer);
    assert_eq!(aws.agreement, Agreement::Deleted);
    assert!(aws.agrees());
    let a = demo();
    assert_eq!(
        aws.path.map(|p| a.path_string(p)).as_deref(),
        Some("root/.aws/credentials")
    );
    let redis = rs
        .iter()
        .find(|r| r.ext.rule == "kingfisher.redis.1")
        .unwrap();
    assert_eq!(redis.agreement, Agreement::Confirmed);
    assert!(redis.note.contains("holds redis-connection-string"));
}

#[test]
fn a_stated_layer_that_does_not_hold_the_file_is_noted() {
    let a = demo();
    let mut f = parsed("trivy-demo.json").1.remove(0);
    f.layer_diff_id = Some(a.layers[0].diff_id.clone());
    f.layer_digest = None;
    let r = &external::reconcile(&a, &a.findings, vec![f])[0];
    assert_eq!(r.stated_layer, Some(0));
    assert_eq!(
        r.layer,
        leak("/root/.netrc").layer,
        "falls back to the bytes"
    );
    assert!(
        r.note
            .contains("the report places it in layer 0, which does not hold /root/.netrc"),
        "{}",
        r.note
    );
}

#[test]
fn layerscopes_own_sarif_agrees_with_itself() {
    let a = demo();
    let doc = layerscope_core::report::sarif::build(&a, &a.findings, false, &a.masked_text);
    let (fmt, ext) = external::parse_report(&doc.to_string()).unwrap();
    assert_eq!(fmt, "sarif");
    assert_eq!(ext.len(), a.findings.len());
    let rs = external::reconcile(&a, &a.findings, ext);
    for (r, f) in rs.iter().zip(&a.findings) {
        assert_eq!(r.ext.tool, "layerscope");
        match f.path {
            Some(p) => {
                assert_eq!(r.path, Some(p), "{r:?}");
                assert_eq!(r.layer, f.layer, "{r:?}");
                assert_eq!(r.stated_layer, f.layer, "{r:?}");
                assert!(r.agrees(), "{r:?}");
                let want = if a.tree.exists_at(p, a.layers.len() - 1) {
                    Agreement::Confirmed
                } else {
                    Agreement::Deleted
                };
                assert_eq!(r.agreement, want, "{r:?}");
            }
            None => {
                assert_eq!(r.agreement, Agreement::Unplaced, "{r:?}");
                assert!(r.note.starts_with("not a file finding"), "{}", r.note);
            }
        }
    }
}

#[test]
fn notes_and_json_never_show_raw_secrets() {
    let a = demo();
    let secrets: Vec<String> = demo_expectations().into_iter().map(|e| e.secret).collect();
    for name in [
        "trivy-demo.json",
        "findings-demo.sarif",
        "kingfisher-demo.json",
    ] {
        let rs = reconciled(name);
        let json = serde_json::to_string(&external::to_json(&a, &a.findings, &rs, false)).unwrap();
        for s in &secrets {
            let probe: String = s.chars().take(12).collect();
            assert!(!json.contains(&probe), "{name}: {probe} in {json}");
        }
    }
    // A step that carries a secret is masked in the note.
    let dir = tempfile::tempdir().unwrap();
    let token = "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";
    let img = tui_support::ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.dir("app").file("app/a.txt", b"hello\n")
        })
        .layer(
            &format!("|1 NPM_TOKEN={token} /bin/sh -c rm /app/a.txt"),
            |l| l.whiteout("app/a.txt"),
        )
        .write(dir.path());
    let b = tui_support::analyze(&img);
    let f = ExternalFinding {
        rule: "r".into(),
        title: "t".into(),
        path: Some("app/a.txt".into()),
        ..ExternalFinding::new("x")
    };
    let r = &external::reconcile(&b, &b.findings, vec![f])[0];
    assert_eq!(r.agreement, Agreement::Deleted);
    assert!(
        r.note.contains("deleted in layer 1 by `|1 NPM_TOKEN=npm_"),
        "{}",
        r.note
    );
    assert!(!r.note.contains(token), "{}", r.note);
    // With --show-secrets the snippet is the report's own text.
    let rs = reconciled("kingfisher-demo.json");
    let shown = external::to_json(&a, &a.findings, &rs, true);
    assert_eq!(
        shown[0].snippet.as_deref(),
        Some("GCy63rNyqistafnxN7YLFCWT")
    );
}

mod goto {
    use super::*;
    use layerscope_core::goto::{resolve, resolve_layer};

    fn at(path: &str, layer: Option<&str>) -> Result<(usize, String), String> {
        let a = demo();
        resolve(&a, path, layer).map(|g| (g.layer, a.path_string(g.path)))
    }

    #[test]
    fn without_a_layer_the_last_version_or_the_ghosts_source() {
        let netrc = leak("/root/.netrc");
        assert_eq!(
            at("/root/.netrc", None),
            Ok((netrc.layer.unwrap(), "root/.netrc".into()))
        );
        assert_eq!(at("root/.netrc", None), at("/root/.netrc", None));
        // Overwritten: the last version, the scrubbed one.
        let env = leak("/app/.env");
        assert_eq!(
            at("/app/.env", None).unwrap().0,
            env.removed_or_replaced_in.unwrap()
        );
        let yml = demo_expectations()
            .into_iter()
            .find(|e| e.path_or_source == "/app/config/production.yml")
            .unwrap();
        assert_eq!(
            at("/app/config/production.yml", None).unwrap().0,
            yml.layer.unwrap()
        );
        // A directory deleted with everything in it.
        assert_eq!(
            at("/root/.ssh/", None).unwrap().0,
            leak("/root/.ssh/id_ed25519").layer.unwrap()
        );
    }

    #[test]
    fn a_layer_by_index_digest_or_prefix() {
        let a = demo();
        let by = leak("/root/.netrc").removed_or_replaced_in.unwrap();
        let d = a.layers[by].diff_id.clone();
        let hex = d.strip_prefix("sha256:").unwrap();
        for l in [
            by.to_string(),
            d.clone(),
            hex.to_string(),
            hex[..6].to_string(),
            format!("sha256:{}", &hex[..8]),
        ] {
            assert_eq!(resolve_layer(&a, &l), Ok(by), "{l}");
            assert_eq!(at("/root/.netrc", Some(&l)).unwrap().0, by);
        }
        let e = resolve_layer(&a, &hex[..5]).unwrap_err();
        assert!(e.contains("at least 6 hex digits"), "{e}");
        let e = resolve_layer(&a, "99").unwrap_err();
        assert!(e.contains("no such layer") && e.contains("0-13"), "{e}");
        let e = resolve_layer(&a, "ffffff").unwrap_err();
        assert!(
            e.contains("no layer digest or diff_id starts with ffffff"),
            "{e}"
        );
        let e = resolve_layer(&a, "zzzzzzz").unwrap_err();
        assert!(e.contains("give a layer index"), "{e}");
    }

    #[test]
    fn wrong_paths_and_layers_are_one_line_errors() {
        let e = at("/no/such/file", None).unwrap_err();
        assert_eq!(
            e,
            "--goto /no/such/file: no layer of this image has that path"
        );
        let e = at("/root/.netrc", Some("0")).unwrap_err();
        assert!(
            e.contains("not there yet in layer 0 (it first appears in layer 2)"),
            "{e}"
        );
        assert!(at("/", None).is_err());
        assert!(at("", None).is_err());
        for e in [
            at("/x", None).unwrap_err(),
            at("/root/.netrc", Some("abc")).unwrap_err(),
        ] {
            assert!(!e.contains('\n'));
        }
    }
}

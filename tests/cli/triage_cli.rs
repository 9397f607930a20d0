//! The triage flags of the real binary without a terminal: `--json --findings-from` for each
//! report format, and the one-line errors (exit 2) of `--goto`, `--layer` and `--findings-from`.

use std::path::PathBuf;
use std::process::{Command, Output};

use layerscope_imagegen::demo::demo_expectations;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo() -> String {
    root().join("assets/demo/demo.tar").display().to_string()
}

fn fixture(name: &str) -> String {
    root()
        .join("tests/fixtures/reports")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(args)
        .env("XDG_CONFIG_HOME", root().join("target/no-such-config"))
        .output()
        .expect("run layerscope")
}

fn json_with(reports: &[&str], extra: &[&str]) -> Value {
    let d = demo();
    let fixtures: Vec<String> = reports.iter().map(|r| fixture(r)).collect();
    let mut args = vec![d.as_str(), "--json"];
    for f in &fixtures {
        args.push("--findings-from");
        args.push(f);
    }
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn external(v: &Value) -> &Vec<Value> {
    v["external_findings"]
        .as_array()
        .expect("external_findings array")
}

fn find<'a>(list: &'a [Value], tool: &str, path: &str) -> &'a Value {
    list.iter()
        .find(|e| e["tool"] == tool && e["path"] == path)
        .unwrap_or_else(|| panic!("no {tool} finding for {path}: {list:#?}"))
}

fn netrc_layers() -> (u64, u64) {
    let e = demo_expectations()
        .into_iter()
        .find(|e| e.path_or_source == "/root/.netrc")
        .unwrap();
    (
        e.layer.unwrap() as u64,
        e.removed_or_replaced_in.unwrap() as u64,
    )
}

/// Every field the brief names is there, with the right JSON type.
fn check_shape(e: &Value) {
    for k in [
        "tool",
        "rule",
        "title",
        "severity",
        "path",
        "line",
        "layer",
        "agreement",
        "note",
    ] {
        assert!(e.get(k).is_some(), "{k} missing in {e}");
    }
    assert!(e["tool"].is_string() && e["note"].is_string() && e["agreement"].is_string());
}

#[test]
fn json_without_reports_has_no_external_findings() {
    let out = run(&[&demo(), "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("external_findings").is_none());
}

#[test]
fn json_with_a_trivy_report() {
    let v = json_with(&["trivy-demo.json"], &[]);
    let ext = external(&v);
    assert_eq!(ext.len(), 3);
    ext.iter().for_each(check_shape);
    let (layer, by) = netrc_layers();
    let n = find(ext, "trivy", "/root/.netrc");
    assert_eq!(n["agreement"], "deleted");
    assert_eq!(n["layer"], layer);
    assert_eq!(n["line"], 1);
    assert_eq!(n["severity"], "high");
    assert_eq!(n["rule"], "netrc-password");
    assert_eq!(n["title"], "Netrc password");
    assert_eq!(n["own_rules"], serde_json::json!(["netrc-password"]));
    let note = n["note"].as_str().unwrap();
    assert!(
        note.contains(&format!(
            "deleted in layer {by} by `rm -f /root/.netrc`; its bytes stay in layer {layer}"
        )),
        "{note}"
    );
    assert_eq!(
        find(ext, "trivy", "/app/config/production.yml")["agreement"],
        "confirmed"
    );
    assert_eq!(
        find(ext, "trivy", "/etc/ssl/private/server.key")["agreement"],
        "not_in_image"
    );
}

#[test]
fn json_with_a_sarif_report() {
    let v = json_with(&["findings-demo.sarif"], &[]);
    let ext = external(&v);
    assert_eq!(ext.len(), 2);
    ext.iter().for_each(check_shape);
    let k = find(ext, "gitleaks", "/root/.ssh/id_ed25519");
    assert_eq!(k["agreement"], "deleted");
    assert_eq!(k["layer"], 4);
    let e = find(ext, "gitleaks", "/app/.env");
    assert_eq!(e["agreement"], "no_own_finding");
    assert_eq!(e["line"], 3);
    // The report's snippet is the raw key: masked.
    assert_eq!(e["snippet"], "sk_l…");
}

#[test]
fn json_with_a_kingfisher_report() {
    let v = json_with(&["kingfisher-demo.json"], &[]);
    let ext = external(&v);
    assert_eq!(ext.len(), 3);
    ext.iter().for_each(check_shape);
    let n = find(ext, "kingfisher", "/root/.netrc");
    assert_eq!(n["agreement"], "deleted");
    assert_eq!(n["layer"], netrc_layers().0);
    assert_eq!(n["snippet"], "GCy6…");
    assert_eq!(
        find(ext, "kingfisher", "/root/.aws/credentials")["agreement"],
        "deleted"
    );
    assert_eq!(
        find(ext, "kingfisher", "/app/config/production.yml")["agreement"],
        "confirmed"
    );
    let text = v.to_string();
    assert!(!text.contains("GCy63rNyqistaf"), "raw secret in the output");
}

#[test]
fn json_with_several_reports_and_show_secrets() {
    let v = json_with(
        &[
            "trivy-demo.json",
            "findings-demo.sarif",
            "kingfisher-demo.json",
        ],
        &["--show-secrets"],
    );
    let ext = external(&v);
    assert_eq!(ext.len(), 8);
    assert_eq!(
        find(ext, "kingfisher", "/root/.netrc")["snippet"],
        "GCy63rNyqistafnxN7YLFCWT"
    );
}

fn assert_one_line_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("layerscope: "), "{err}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
}

#[test]
fn goto_a_missing_path_is_a_one_line_error() {
    let out = run(&[&demo(), "--goto", "/no/such/file"]);
    assert_one_line_error(
        &out,
        "--goto /no/such/file: no layer of this image has that path",
    );
}

#[test]
fn goto_a_bad_layer_is_a_one_line_error() {
    let out = run(&[&demo(), "--goto", "/root/.netrc", "--layer", "99"]);
    assert_one_line_error(&out, "--layer 99: no such layer");
    let out = run(&[&demo(), "--goto", "root/.netrc", "--layer", "0"]);
    assert_one_line_error(&out, "not there yet in layer 0");
    let out = run(&[&demo(), "--goto", "root/.netrc", "--layer", "sha256:ffffff"]);
    assert_one_line_error(&out, "no layer digest or diff_id starts with ffffff");
}

#[test]
fn a_good_goto_without_a_terminal_says_so() {
    let out = run(&[&demo(), "--goto", "/root/.netrc"]);
    assert_one_line_error(&out, "needs a terminal");
}

#[test]
fn findings_from_a_file_that_is_not_a_report_is_a_one_line_error() {
    let cargo = root().join("Cargo.toml").display().to_string();
    let out = run(&[&demo(), "--findings-from", &cargo]);
    assert_one_line_error(&out, "not JSON");
    let out = run(&[&demo(), "--json", "--findings-from", &cargo]);
    assert_one_line_error(&out, "Cargo.toml");
    // JSON, but not a report: layerscope's own --json.
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("own.json");
    std::fs::write(&own, run(&[&demo(), "--json"]).stdout).unwrap();
    let out = run(&[
        &demo(),
        "--json",
        "--findings-from",
        &own.display().to_string(),
    ]);
    assert_one_line_error(&out, "not a Trivy JSON, SARIF or Kingfisher JSON report");
    let out = run(&[&demo(), "--findings-from", "/no/such/report.json"]);
    assert_one_line_error(&out, "cannot read the report");
}

#[test]
fn layer_needs_goto_and_goto_needs_the_view() {
    let out = run(&[&demo(), "--layer", "2"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[&demo(), "--json", "--goto", "/root/.netrc"]);
    assert_eq!(out.status.code(), Some(2));
}

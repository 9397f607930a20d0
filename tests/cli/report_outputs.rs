//! `--sarif` validates against the SARIF 2.1.0 schema; `--ci` exit codes; secrets stay masked
//! unless `--show-secrets`.

use crate::support::common::{fixture, run};

fn nobin() -> String {
    fixture("built/nobin.docker20-save.tar")
        .to_str()
        .unwrap()
        .to_string()
}

fn sarif_validator() -> jsonschema::Validator {
    // The published schema's `language` patterns have a stray `]` that only ECMA regex accepts;
    // this is the pattern they mean.
    let text = std::fs::read_to_string(fixture("sarif-schema-2.1.0.json"))
        .unwrap()
        .replace(
            r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"#,
            r#"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$"#,
        );
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Formats (uri, date-time) are not what this test is about.
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&schema)
        .expect("schema compiles")
}

#[test]
fn sarif_validates_against_the_schema() {
    let v = sarif_validator();
    for img in [
        nobin(),
        fixture("public/dive/test-docker-image.tar")
            .to_str()
            .unwrap()
            .to_string(),
    ] {
        let (code, out, err) = run(&[&img, "--sarif", "-"]);
        assert_eq!(code, 0, "{err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{img}: {errors:#?}");
        assert_eq!(doc["version"], "2.1.0");
    }
    // And a document that breaks the schema is caught (the validator is not a no-op).
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {}}]});
    assert!(!v.is_valid(&bad));
}

#[test]
fn sarif_results_carry_layer_and_history() {
    let (_, out, _) = run(&[&nobin(), "--sarif", "-"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let props = &r["locations"][0]["properties"];
        assert!(
            props.get("layer").is_some() && props.get("history").is_some(),
            "{r}"
        );
        assert!(r["partialFingerprints"]["layerscope/secret/v1"].is_string());
    }
}

#[test]
fn ci_exit_codes() {
    let img = nobin();
    // nobin's ENV API_TOKEN is a medium finding: passes at the default (high), fails at medium.
    let (code, out, _) = run(&[&img, "--ci"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Result: PASS"));
    let (code, out, _) = run(&[&img, "--ci", "--fail-on", "medium"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL:"));
    // A baseline that accepts those fingerprints makes it pass again.
    let (_, json, _) = run(&[&img, "--json"]);
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, &json).unwrap();
    let (code, out, _) = run(&[
        &img,
        "--ci",
        "--fail-on",
        "medium",
        "--baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("accepted by the baseline"), "{out}");
    // dive's .dive-ci rules: nobin wastes 118 bytes of 169.
    let rules = dir.path().join(".dive-ci");
    std::fs::write(
        &rules,
        "rules:\n  lowestEfficiency: 0.9\n  highestWastedBytes: disabled\n",
    )
    .unwrap();
    let (code, out, _) = run(&[&img, "--ci", "--ci-config", rules.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("efficiency"), "{out}");
    std::fs::write(&rules, "rules:\n  lowestEfficiency: 0.1\n  highestWastedBytes: 1KB\n  highestUserWastedPercent: 0.5\n").unwrap();
    let (code, out, _) = run(&[&img, "--ci", "--ci-config", rules.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    // Errors are exit 2.
    let (code, _, err) = run(&[&img, "--ci", "--fail-on", "severe"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = run(&["/nonexistent.tar", "--ci"]);
    assert_eq!(code, 2);
}

#[test]
fn secrets_masked_unless_shown() {
    let img = nobin();
    let raw = "tok_live_FAKE0000";
    for args in [
        vec!["--json"],
        vec!["--sarif", "-"],
        vec!["--ci", "--fail-on", "low"],
    ] {
        let mut a = vec![img.as_str()];
        a.extend(args.iter().copied());
        let (_, out, err) = run(&a);
        assert!(
            !out.contains(raw) && !err.contains(raw),
            "{args:?} leaked the secret"
        );
    }
    let (_, out, _) = run(&[&img, "--json", "--show-secrets"]);
    assert!(out.contains(raw));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["secret"] == raw));
}

#[test]
fn completions_and_man_page() {
    let (code, out, _) = run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("layerscope") && out.contains("--json"));
    let (code, out, _) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(".TH") && out.contains("\\-\\-sarif"),
        "{}",
        &out[..200.min(out.len())]
    );
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("layerscope "));
}

#[test]
fn output_file_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let (code, _, _) = run(&["/nonexistent.tar", "--json", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(!out.exists());
    let (code, _, _) = run(&[&nobin(), "--json", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["schema_version"], 1);
}

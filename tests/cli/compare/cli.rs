//! `layerscope diff` on the command line: the acceptance run, SARIF, text, output files and errors.

use super::*;

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

//! One numbering (issue 14, item 6): `--layer` takes the History pane's numbers (`L2`, and a
//! step as `step:N`) in `--goto` and `export`, and SARIF messages name a step's layer.

use serde_json::Value;

use crate::support::common::run;

fn demo() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/demo.tar").to_string()
}

fn json() -> Value {
    let (code, out, err) = run(&["--json", &demo()]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn export_takes_a_layer_as_l_n_or_as_its_step() {
    let doc = json();
    let step = doc["layers"][2]["history"]
        .as_u64()
        .expect("layer 2's step");
    for layer in ["L2".to_string(), format!("step:{step}")] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let (code, _, err) = run(&[
            "export",
            &demo(),
            "/root/.netrc",
            "--layer",
            &layer,
            "-o",
            out,
        ]);
        assert_eq!(code, 0, "--layer {layer}: {err}");
        assert!(err.contains("from layer 2"), "--layer {layer}: {err}");
        assert!(dir.path().join(".netrc").exists());
    }
}

#[test]
fn a_metadata_step_selects_the_layer_below_it() {
    let doc = json();
    let history = doc["history"].as_array().unwrap();
    let (i, _) = history
        .iter()
        .enumerate()
        .find(|(i, h)| *i > 0 && h["layer"].is_null())
        .expect("a metadata step after the first");
    let below = history[..i]
        .iter()
        .rev()
        .find_map(|h| h["layer"].as_u64())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    // /etc/os-release or any file the base layer has: take the first file of layer 0.
    let path = doc["layers"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "file" || c["type"] == "file")
        .and_then(|c| c["path"].as_str())
        .map(str::to_string);
    let Some(path) = path else { return };
    let (code, _, err) = run(&[
        "export",
        &demo(),
        &path,
        "--layer",
        &format!("step:{i}"),
        "-o",
        out,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("layer {below}")) || err.contains("from layer 0"),
        "{err}"
    );
}

#[test]
fn a_step_out_of_range_is_a_one_line_error() {
    let doc = json();
    let n = doc["history"].as_array().unwrap().len();
    let (code, out, err) = run(&[&demo(), "--goto", "/root/.netrc", "--layer", "step:999"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!(
            "--layer step:999: no such step (the history has steps 0-{})",
            n - 1
        )),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let (code, _, err) = run(&[&demo(), "--goto", "/root/.netrc", "--layer", "L99"]);
    assert_eq!(code, 2);
    assert!(err.contains("--layer L99: no such layer"), "{err}");
}

#[test]
fn sarif_messages_name_the_layer_of_a_history_step() {
    let (code, out, err) = run(&["--sarif", "-", &demo()]);
    assert!(code == 0 || code == 1, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let hist: Vec<(&str, Option<u64>)> = results
        .iter()
        .filter(|r| r["locations"][0]["properties"]["source"] == "history")
        .map(|r| {
            (
                r["message"]["text"].as_str().unwrap(),
                r["locations"][0]["properties"]["layer"].as_u64(),
            )
        })
        .collect();
    assert!(
        hist.iter().any(|(_, l)| l.is_some()),
        "the demo has history findings in steps that made a layer"
    );
    for (m, layer) in hist {
        match layer {
            Some(l) => assert!(m.contains(&format!(" (layer {l})")), "{m}"),
            // ENV/ARG steps make no layer.
            None => assert!(!m.contains("(layer "), "{m}"),
        }
    }
}

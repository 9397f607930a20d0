//! The non-interactive outputs of the real binary as a CI job or a shell pipeline meets them:
//! `--ci` names every failing finding and every `.dive-ci` value; two documents never share one
//! stream; a closed pipe ends quietly; a TUI that showed a load error exits 2 and prints it; a
//! file that is not an image is named for what it is; `export` on the layer that deleted a file
//! writes the ghost; one secret in several places lists all of them (`locations`, SARIF
//! `relatedLocations`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use layerscope_imagegen::{fake, write_image, Compression, ImageSpec, Layout, Node, Step};
use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_layerscope")
}

/// Runs the binary with no keymap of the user's; returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent/layerscope-test")
        .output()
        .expect("run layerscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn token() -> String {
    fake::github_pat("cli-outputs build arg")
}

/// One GitHub token in three places: a file a later layer deletes, and two `RUN` steps that got
/// it as a build arg. Layers: 0 base, 1 the file, 2 the `rm`, 3 and 4 the two steps.
fn leaky_image(dir: &Path) -> PathBuf {
    let t = token();
    let spec = ImageSpec {
        name: "layerscope/cli-outputs:1".into(),
        created: "2024-03-01T00:00:00Z".into(),
        steps: vec![
            Step::layer(
                "/bin/sh -c #(nop) ADD file:base in / ",
                vec![Node::dir("etc"), Node::file("etc/os-release", b"ID=test\n")],
            ),
            Step::layer(
                "/bin/sh -c #(nop) COPY file:tok in /app/token.txt ",
                vec![
                    Node::dir("app"),
                    Node::file("app/token.txt", format!("GITHUB_TOKEN={t}\n")),
                ],
            ),
            Step::layer(
                "/bin/sh -c rm /app/token.txt",
                vec![Node::whiteout("app/token.txt")],
            ),
            Step::layer(
                format!("|1 GH_TOKEN={t} /bin/sh -c git clone https://example.invalid/a.git /src"),
                vec![Node::dir("src"), Node::file("src/README", b"a\n")],
            ),
            Step::layer(
                format!("|1 GH_TOKEN={t} /bin/sh -c make -C /src"),
                vec![Node::file("src/out", b"built\n")],
            ),
        ],
        ..ImageSpec::default()
    };
    let path = dir.join("leaky.tar");
    write_image(&spec, Layout::DockerLegacy, Compression::None, &path).unwrap();
    path
}

fn json_report(img: &str) -> Value {
    let (code, out, err) = run(&[img, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn ci_lists_every_failing_finding_and_the_dive_ci_values() {
    let dir = tempfile::tempdir().unwrap();
    let img = leaky_image(dir.path());
    let img = img.to_str().unwrap();
    let rules = dir.path().join(".dive-ci");
    std::fs::write(
        &rules,
        "rules:\n  lowestEfficiency: 0.9999\n  highestWastedBytes: 1MB\n",
    )
    .unwrap();
    let args = [img, "--ci", "--ci-config", rules.to_str().unwrap()];
    let (code, out, err) = run(&args);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains(&token()), "raw secret in the CI log:\n{out}");
    let report = json_report(img);
    let findings = report["findings"].as_array().unwrap();
    let failing: Vec<&Value> = findings
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("high" | "critical")))
        .collect();
    assert!(failing.len() >= 3, "{findings:#?}");
    assert!(out.contains(&format!(
        "FAIL: {} findings at or above high",
        failing.len()
    )));
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("  ")).collect();
    assert!(rows[0].trim_start().starts_with("SEVERITY"), "{out}");
    assert_eq!(rows.len(), failing.len() + 1, "{out}");
    // Each row: severity, rule, where, layer, step, status, masked match, fingerprint.
    for (row, f) in rows[1..].iter().zip(&failing) {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[0], f["severity"], "{row}");
        assert_eq!(cols[1], f["rule"], "{row}");
        assert!(row.contains(f["match"].as_str().unwrap()), "{row}");
        assert!(
            row.ends_with(f["fingerprint"].as_str().unwrap()),
            "{row} / {f}"
        );
    }
    let file_row = rows
        .iter()
        .find(|r| r.contains("/app/token.txt:1"))
        .unwrap_or_else(|| panic!("no row for the file:\n{out}"));
    let cols: Vec<&str> = file_row.split_whitespace().collect();
    assert_eq!(
        &cols[2..8],
        &["/app/token.txt:1", "1", "1", "deleted", "in", "layer"]
    );
    assert_eq!(cols[8], "2", "{file_row}");
    let history_rows = rows.iter().filter(|r| r.contains(" history ")).count();
    assert_eq!(history_rows, 2, "{out}");
    // The rules with what was measured and the threshold.
    let e = &report["efficiency"];
    assert!(
        out.contains(&format!(
            "FAIL: lowestEfficiency: efficiency {:.4}, lowest allowed 0.9999",
            e["score"].as_f64().unwrap()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "PASS: highestWastedBytes: wasted {} bytes",
            e["wasted_bytes"]
        )) && out.contains("highest allowed 1000000 bytes (1.0 MB)"),
        "{out}"
    );
    assert!(out.ends_with(&format!(
        "Result: FAIL: {} findings at or above high; 1 of 2 .dive-ci rules failed\n",
        failing.len()
    )));
    // Stable: the same image gives the same log.
    assert_eq!(run(&args).1, out);
    // Accepted by a baseline: the list is gone, the count says why.
    let baseline = dir.path().join("baseline");
    let fps: Vec<&str> = failing
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    std::fs::write(&baseline, fps.join("\n")).unwrap();
    let (code, out, _) = run(&[img, "--ci", "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("SEVERITY"), "{out}");
    assert!(
        out.contains(&format!(
            "PASS: no finding at or above high ({} accepted by the baseline",
            failing.len()
        )),
        "{out}"
    );
    assert!(out.ends_with("Result: PASS: no finding at or above high\n"));
}

#[test]
fn two_documents_never_share_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let img = leaky_image(dir.path());
    let img = img.to_str().unwrap();
    for args in [
        vec![img, "--json", "--sarif", "-"],
        vec![img, "--json", "-o", "-", "--sarif", "/dev/stdout"],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("both write to stdout"), "{err}");
    }
    let same = dir.path().join("out.json");
    let other = dir.path().join(".").join("out.json");
    let (code, _, err) = run(&[
        img,
        "--json",
        "-o",
        same.to_str().unwrap(),
        "--sarif",
        other.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("name the same file"), "{err}");
    assert!(!same.exists());
    // SARIF on stdout with --ci: stdout is the document alone, the verdict goes to stderr.
    let (code, out, err) = run(&[img, "--sarif", "-", "--ci"]);
    assert_eq!(code, 1, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("stdout is one SARIF document");
    assert_eq!(doc["version"], "2.1.0");
    assert!(err.contains("Result: FAIL"), "{err}");
    // `-o -` is stdout, as `--sarif -` is.
    let (code, out, err) = run(&[img, "--json", "-o", "-"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["schema_version"],
        1
    );
    // And apart they both work.
    let sarif = dir.path().join("out.sarif");
    let (code, out, err) = run(&[img, "--json", "--sarif", sarif.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Value>(&out).unwrap();
    serde_json::from_str::<Value>(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
}

/// Runs with stdout a pipe whose reader is already gone: every write fails with EPIPE.
fn run_into_closed_pipe(args: &[&str]) -> (i32, String) {
    let mut child = Command::new(bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let img = leaky_image(dir.path());
    let img = img.to_str().unwrap();
    for args in [
        vec![img, "--json"],
        vec![img, "--sarif", "-"],
        vec![img, "--ci"],
        vec![img, "--json", "--ci"],
        vec!["man"],
        vec!["completions", "bash"],
    ] {
        let (code, err) = run_into_closed_pipe(&args);
        // --ci keeps its verdict's exit code; the others succeed.
        let want = if args.contains(&"--ci") { 1 } else { 0 };
        assert_eq!(code, want, "{args:?}: {err}");
        if args.contains(&"--json") && args.contains(&"--ci") {
            // The verdict went to stderr, the pipe's end went unremarked.
            assert!(
                err.ends_with("Result: FAIL: 3 findings at or above high\n"),
                "{err}"
            );
        } else {
            assert!(err.is_empty(), "{args:?}: {err}");
        }
    }
}

#[test]
fn not_an_image_is_named_for_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let marker = "MARKER-6f0c3 1 2 3 4 5";
    let text = d.join("notes.txt");
    std::fs::write(&text, format!("{marker}\n").repeat(50)).unwrap();
    let gz = d.join("doc.json.gz");
    let json = format!("{{\"marker\": \"{marker}\", \"list\": [1, 2, 3]}}");
    std::fs::write(&gz, layerscope_imagegen::gzip_bytes(json.as_bytes())).unwrap();
    let rand = d.join("random.bin");
    let mut r = fake::Rng::from_label("not an image");
    let mut bytes = r.bytes(4096);
    bytes[0] = 0x9c; // not a magic number this test means to hit
    std::fs::write(&rand, &bytes).unwrap();
    let empty = d.join("empty.tar");
    std::fs::write(&empty, b"").unwrap();
    let plain_dir = d.join("folder");
    std::fs::create_dir(&plain_dir).unwrap();
    std::fs::write(plain_dir.join("file.txt"), marker).unwrap();
    let cases = [
        (&text, "(it starts like text)"),
        (&gz, "(gzip-compressed JSON)"),
        (&rand, "(it starts like binary data)"),
        (&empty, "(the file is empty)"),
    ];
    for (path, what) in cases {
        let p = path.to_str().unwrap();
        let (code, out, err) = run(&[p, "--json"]);
        assert_eq!(code, 2, "{p}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        let want = format!("layerscope: {p}: not a tar archive or OCI layout {what}");
        assert_eq!(err.trim_end(), want);
        assert!(!err.contains("MARKER"), "echoes the file: {err}");
    }
    // An archive cut inside its first header is a truncated tar, not "binary data".
    let img = leaky_image(d);
    let cut = d.join("cut.tar");
    std::fs::write(&cut, &std::fs::read(&img).unwrap()[..300]).unwrap();
    let (code, _, err) = run(&[cut.to_str().unwrap(), "--json"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cut.tar: truncated tar (it ends after 300 bytes, inside its first header)"),
        "{err}"
    );
    let p = plain_dir.to_str().unwrap();
    let (code, _, err) = run(&[p, "--json"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim_end(),
        format!("layerscope: {p}: not an OCI image layout (a directory with no index.json or manifest.json)")
    );
}

#[test]
fn export_on_the_deleting_layer_writes_the_ghost() {
    let dir = tempfile::tempdir().unwrap();
    let img = leaky_image(dir.path());
    let img = img.to_str().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Layer 2 ran the `rm`: what the TUI's `x` writes on the ghost there.
    let (code, _, err) = run(&[
        "export",
        img,
        "/app/token.txt",
        "--layer",
        "2",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("token.txt")).unwrap(),
        format!("GITHUB_TOKEN={}\n", token())
    );
    assert!(
        err.contains(
            "/app/token.txt from layer 1 (deleted in layer 2; these bytes are still in layer 1)"
        ),
        "{err}"
    );
    // A version in effect, written by an earlier layer, says so.
    let (code, _, err) = run(&[
        "export",
        img,
        "/etc/os-release",
        "--layer",
        "3",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("from layer 0 (the version in effect in layer 3)"),
        "{err}"
    );
}

#[test]
fn one_secret_in_several_places_lists_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let img = leaky_image(dir.path());
    let img = img.to_str().unwrap();
    let report = json_report(img);
    let findings = report["findings"].as_array().unwrap();
    let fp = findings
        .iter()
        .find(|f| f["path"] == "app/token.txt")
        .expect("the file finding")["fingerprint"]
        .clone();
    let group: Vec<(usize, &Value)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f["fingerprint"] == fp)
        .collect();
    assert_eq!(group.len(), 3, "{findings:#?}");
    for (_, f) in &group {
        // Every existing field stays.
        for k in [
            "rule", "path", "layer", "history", "status", "line", "match",
        ] {
            assert!(f.get(k).is_some(), "{k} missing: {f}");
        }
        let locs = f["locations"].as_array().expect("locations");
        let idx: Vec<usize> = locs
            .iter()
            .map(|l| l["finding"].as_u64().unwrap() as usize)
            .collect();
        assert_eq!(idx, group.iter().map(|(i, _)| *i).collect::<Vec<_>>());
        for (l, (_, g)) in locs.iter().zip(&group) {
            for k in ["path", "layer", "history", "status", "line", "source"] {
                assert_eq!(l[k], g[k], "{k}: {l} vs {g}");
            }
        }
        let places: Vec<(Value, Value, Value)> = locs
            .iter()
            .map(|l| {
                (
                    l["status"].clone(),
                    l["layer"].clone(),
                    l["history"].clone(),
                )
            })
            .collect();
        assert!(places.contains(&("deleted".into(), 1.into(), 1.into())));
        assert!(places.contains(&("history".into(), 3.into(), 3.into())));
        assert!(places.contains(&("history".into(), 4.into(), 4.into())));
    }
    // A secret found once lists only itself.
    for f in findings.iter().filter(|f| f["fingerprint"] != fp) {
        let same = findings
            .iter()
            .filter(|g| g["fingerprint"] == f["fingerprint"])
            .count();
        assert_eq!(f["locations"].as_array().unwrap().len(), same);
    }

    // SARIF: one result per finding as before, the other places as relatedLocations.
    let (code, out, err) = run(&[img, "--sarif", "-"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    let mine: Vec<&Value> = results
        .iter()
        .filter(|r| r["partialFingerprints"]["layerscope/secret/v1"] == fp)
        .collect();
    assert_eq!(mine.len(), 3);
    for r in &mine {
        assert_eq!(r["locations"].as_array().unwrap().len(), 1);
        let rel = r["relatedLocations"].as_array().expect("relatedLocations");
        assert_eq!(rel.len(), 2, "{r}");
        for l in rel {
            assert!(l["id"].is_u64());
            let text = l["message"]["text"].as_str().unwrap();
            assert!(text.starts_with("same secret in "), "{text}");
            assert!(l["properties"]["layer"].is_u64(), "{l}");
            assert!(!text.contains(&token()));
        }
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with("the same secret is in 2 more places"));
    }
    let file = mine
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/token.txt"
        })
        .unwrap();
    let logical: Vec<&str> = file["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["logicalLocations"][0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(logical, ["history step 3", "history step 4"]);
    assert!(!out.contains(&token()));
    sarif_is_valid(&doc);
}

/// The SARIF 2.1.0 schema from the fixtures (as tests/report_outputs.rs reads it).
fn sarif_is_valid(doc: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(path).unwrap().replace(
        r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"#,
        r#"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$"#,
    );
    let schema: Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// A TUI that could not load the image: `q` hands the terminal back, then the error is printed
/// as one line and the exit code is 2.
#[test]
fn tui_load_error_exits_2_and_prints_it() {
    if !crate::support::tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = leaky_image(dir.path());
    let bytes = std::fs::read(&img).unwrap();
    let cut = dir.path().join("cut.tar");
    let mut f = std::fs::File::create(&cut).unwrap();
    f.write_all(&bytes[..bytes.len() / 2]).unwrap();
    drop(f);
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let t = crate::support::tmux::Tmux::start(
        "cli-outputs",
        120,
        30,
        bin(),
        &[cut.to_str().unwrap()],
        &[("XDG_CONFIG_HOME", config.to_str().unwrap())],
    );
    // The error the report modes give for the same file.
    let (code, _, want) = run(&[cut.to_str().unwrap(), "--json"]);
    assert_eq!(code, 2, "{want}");
    let want = want.trim_end();
    assert!(
        want.starts_with("layerscope: ") && want.contains("cut.tar: "),
        "{want}"
    );
    t.wait_for_all(&["Could not open", "q quit"]);
    t.keys(&["q"]);
    let screen = t.wait_for_wrapped(&[want, "EXITED-2"]);
    assert!(!screen.contains("Could not open"), "TUI left:\n{screen}");
    let alt = t.cmd(&["display-message", "-p", "-t", &t.session, "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0");
}

/// A value found in many places: `--json` lists every place, SARIF at most 100 per result and
/// says how many there are.
#[test]
fn many_places_of_one_secret_stay_bounded_in_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let t = token();
    let mut nodes = vec![Node::dir("srv")];
    for i in 0..103 {
        nodes.push(Node::file(
            format!("srv/app{i:03}.env"),
            format!("GITHUB_TOKEN={t}\n"),
        ));
    }
    let spec = ImageSpec {
        steps: vec![Step::layer(
            "/bin/sh -c #(nop) COPY dir:srv in /srv ",
            nodes,
        )],
        ..ImageSpec::default()
    };
    let img = dir.path().join("many.tar");
    write_image(&spec, Layout::DockerLegacy, Compression::None, &img).unwrap();
    let img = img.to_str().unwrap();
    let report = json_report(img);
    let findings = report["findings"].as_array().unwrap();
    let pats: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "github-pat")
        .collect();
    assert_eq!(pats.len(), 103);
    assert!(pats
        .iter()
        .all(|f| f["locations"].as_array().unwrap().len() == 103));
    let (code, out, err) = run(&[img, "--sarif", "-"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let r = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "github-pat")
        .unwrap();
    assert_eq!(r["relatedLocations"].as_array().unwrap().len(), 100);
    assert!(
        r["message"]["text"]
            .as_str()
            .unwrap()
            .ends_with("in 102 more places (the first 100 are related locations)"),
        "{}",
        r["message"]
    );
}

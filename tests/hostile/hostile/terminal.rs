//! 3. Terminal safety: escape sequences in names and errors never reach the terminal.

use super::*;

const ESC_NAME: &str = "evil\x1b]0;pwned\x07\x1b[2J\u{202e}gnp.exe";

#[test]
fn escape_sequences_in_names_never_reach_the_terminal() {
    let l0 = Layer::of(&[file("keep", b"k")], Comp::None);
    let l1 = Layer::of(
        &[
            file(format!("../{ESC_NAME}"), b"x"),
            file(ESC_NAME, b"secret"),
            file(format!(".wh.{ESC_NAME}"), b""),
            hardlink(format!("{ESC_NAME}2"), format!("{ESC_NAME}-missing")),
        ],
        Comp::Gzip,
    );
    let cfg = config_for(
        &[l0.clone(), l1.clone()],
        &[&format!("RUN echo {ESC_NAME}"), "\x1b[31mRUN\x1b[0m"],
        &[("maintainer\x1b[5m", "\x1b]8;;http://x\x07click\x1b]8;;\x07")],
    );
    let img = Image::new(vec![l0, l1]).with_config(cfg);
    let (_d, p) = temp_image("esc.tar", &outer(&img.oci()));
    let r = run_file(&p, &[]);
    assert_contract(&r, "esc.tar", "escape sequences");
    assert_eq!(r.code, Some(0), "{}", r.err());
    assert!(!r.stdout.contains(&0x1b), "raw ESC in the JSON output");
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let warnings = v["warnings"].as_array().unwrap();
    assert!(warnings.len() >= 3, "{warnings:?}");
    for w in warnings {
        let m = w["message"].as_str().unwrap();
        assert!(
            !m.contains('\x1b') && !m.contains('\u{202e}'),
            "warning not escaped: {m:?}"
        );
    }
    assert!(warnings
        .iter()
        .any(|w| w["message"].as_str().unwrap().contains("\\x1b]0;pwned")));
    // JSON keeps the text itself (escaped as JSON escapes it), for the tools that read it.
    assert_eq!(v["history"][1]["created_by"], "\x1b[31mRUN\x1b[0m");
    let paths: Vec<&str> = v["layers"][1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&ESC_NAME), "{paths:?}");
}

#[test]
fn escape_sequences_in_errors_never_reach_the_terminal() {
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    // A missing layer whose name is a terminal escape.
    let mut m = img.docker_legacy();
    let mf = m.iter().position(|(n, _)| n == "manifest.json").unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&m[mf].1).unwrap();
    v[0]["Layers"] = serde_json::json!([format!("{ESC_NAME}.tar")]);
    m[mf].1 = serde_json::to_vec(&v).unwrap();
    let (_d, p) = temp_image("esc-err.tar", &outer(&m));
    let r = run_file(&p, &[]);
    assert_contract(&r, "esc-err.tar", "missing layer");
    assert_eq!(r.code, Some(2));
    assert!(r.err().contains("\\x1b]0;pwned"), "{}", r.err());
    // Several images, untagged, with escapes in their config names, and an --image that matches
    // none: the message lists them all.
    let mut m = img.docker_legacy();
    let mf = m.iter().position(|(n, _)| n == "manifest.json").unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&m[mf].1).unwrap();
    let mut second = v[0].clone();
    second["RepoTags"] = serde_json::json!([format!("{ESC_NAME}:tag")]);
    v.as_array_mut().unwrap().push(second);
    m[mf].1 = serde_json::to_vec(&v).unwrap();
    let (_d, p) = temp_image("esc-amb.tar", &outer(&m));
    let r = run_file(&p, &["--image", "nothing-like-it"]);
    assert_contract(&r, "esc-amb.tar", "ambiguous");
    assert_eq!(r.code, Some(2));
    // The file name on the command line is escaped as well.
    let (_d, p) = temp_image("x\x1b[31my.tar", b"not a tar at all, just some text");
    let r = run_file(&p, &[]);
    assert_contract(&r, "x\\x1b[31my.tar", "escaped file name");
    assert_eq!(r.code, Some(2));
}

#[test]
fn untagged_images_with_multibyte_config_names() {
    // docker.rs cut the config name at byte 12 to describe untagged images: a panic when that
    // fell inside a character.
    let img = Image::new(vec![Layer::of(&[file("f", b"x")], Comp::None)]);
    let mut m = img.docker_legacy();
    let cfg = m
        .iter()
        .position(|(n, _)| n.ends_with(".json") && n != "manifest.json")
        .unwrap();
    m[cfg].0 = "a€€€€€.json".into();
    let entry = serde_json::json!({"Config": "a€€€€€.json", "Layers": [m.iter().find(|(n, _)| n.ends_with("layer.tar")).unwrap().0]});
    set(
        &mut m,
        "manifest.json",
        serde_json::to_vec(&serde_json::json!([entry.clone(), entry])).unwrap(),
    );
    let (_d, p) = temp_image("multibyte.tar", &outer(&m));
    let r = run_file(&p, &[]);
    assert_contract(&r, "multibyte.tar", "multibyte");
    assert_eq!(r.code, Some(0), "{}", r.err());
    let r = run_file(&p, &["--image", "zzzzzz"]);
    assert_contract(&r, "multibyte.tar", "multibyte --image");
}

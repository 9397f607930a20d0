//! The demo image holds exactly what `demo_expectations()` says, read back independently
//! (tar crate + serde_json), so the secrets/TUI tests can trust those expectations.

use layerscope_imagegen::demo::*;
use layerscope_imagegen::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;

struct Image {
    config: Value,
    /// per layer: path (no leading `/`, no trailing `/`) -> (typeflag, content)
    layers: Vec<Vec<(String, u8, Vec<u8>)>>,
    /// history index -> layer index
    layer_of: Vec<Option<usize>>,
}

fn read_entries(bytes: &[u8]) -> Vec<(String, u8, Vec<u8>)> {
    let mut ar = tar::Archive::new(bytes);
    let mut out = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = String::from_utf8(e.path_bytes().to_vec()).unwrap();
        let t = e.header().entry_type().as_byte();
        let mut d = Vec::new();
        e.read_to_end(&mut d).unwrap();
        out.push((p.trim_end_matches('/').to_string(), t, d));
    }
    out
}

fn load_demo() -> Image {
    let bytes = write_image_to_vec(&demo_spec(), Layout::DockerLegacy, Compression::None);
    let outer: BTreeMap<String, Vec<u8>> = read_entries(&bytes)
        .into_iter()
        .map(|(p, _, d)| (p, d))
        .collect();
    let m: Value = serde_json::from_slice(&outer["manifest.json"]).unwrap();
    assert_eq!(m[0]["RepoTags"][0], DEMO_NAME);
    let config: Value = serde_json::from_slice(&outer[m[0]["Config"].as_str().unwrap()]).unwrap();
    let layers: Vec<_> = m[0]["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| read_entries(&outer[l.as_str().unwrap()]))
        .collect();
    let mut next = 0;
    let layer_of = config["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            if h["empty_layer"].as_bool().unwrap_or(false) {
                None
            } else {
                next += 1;
                Some(next - 1)
            }
        })
        .collect();
    assert_eq!(next, layers.len(), "non-empty history entries = layers");
    Image {
        config,
        layers,
        layer_of,
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn whiteout_for(entries: &[(String, u8, Vec<u8>)], path: &str) -> bool {
    // a whiteout of the path or of any ancestor directory
    let mut p = path.to_string();
    loop {
        let (dir, base) = match p.rfind('/') {
            Some(i) => (p[..=i].to_string(), p[i + 1..].to_string()),
            None => (String::new(), p.clone()),
        };
        let wh = format!("{dir}.wh.{base}");
        if entries.iter().any(|(e, _, _)| *e == wh) {
            return true;
        }
        match p.rfind('/') {
            Some(i) => p.truncate(i),
            None => return false,
        }
    }
}

#[test]
fn every_expectation_holds_in_the_image() {
    let img = load_demo();
    let history = img.config["history"].as_array().unwrap();
    assert_eq!(history.len(), 22);
    assert_eq!(img.layers.len(), 14);
    for x in demo_expectations() {
        let tag = format!("leak {} {} {}", x.leak, x.kind, x.path_or_source);
        assert_eq!(img.layer_of[x.history], x.layer, "{tag}: history → layer");
        match x.status {
            LeakStatus::History => {
                let cb = history[x.history]["created_by"].as_str().unwrap();
                assert!(cb.contains(&x.secret), "{tag}");
                assert_eq!(
                    x.path_or_source,
                    format!("history[{}].created_by", x.history)
                );
            }
            LeakStatus::Config => {
                let name = x.path_or_source.strip_prefix("config.Env:").unwrap();
                let env: Vec<&str> = img.config["config"]["Env"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                assert!(
                    env.contains(&format!("{name}={}", x.secret).as_str()),
                    "{tag}"
                );
            }
            _ => {
                let path = x.path_or_source.strip_prefix('/').unwrap();
                let l = x.layer.unwrap();
                let (_, t, d) = img.layers[l]
                    .iter()
                    .find(|(p, _, _)| p == path)
                    .unwrap_or_else(|| panic!("{tag}: not in layer {l}"));
                assert_eq!(*t, b'0');
                assert!(contains(d, &x.secret), "{tag}: secret in file");
                // what happens to the path in later layers
                let mut fate = None;
                for (i, layer) in img.layers.iter().enumerate().skip(l + 1) {
                    if whiteout_for(layer, path) {
                        fate = Some((LeakStatus::Deleted, i));
                        break;
                    }
                    if let Some((_, _, d2)) = layer.iter().find(|(p, _, _)| p == path) {
                        assert!(!contains(d2, &x.secret));
                        fate = Some((LeakStatus::Overwritten, i));
                        break;
                    }
                }
                match x.status {
                    LeakStatus::Visible => assert_eq!(fate, None, "{tag}"),
                    s => assert_eq!(fate, Some((s, x.removed_or_replaced_in.unwrap())), "{tag}"),
                }
            }
        }
    }
}

#[test]
fn expectations_cover_every_occurrence_of_every_secret() {
    let img = load_demo();
    let exps = demo_expectations();
    let history = img.config["history"].as_array().unwrap();
    let mut secrets: Vec<String> = exps.iter().map(|x| x.secret.clone()).collect();
    secrets.sort();
    secrets.dedup();
    let k = demo_secrets();
    for s in [
        &k.netrc_password,
        &k.github_token_file,
        &k.npm_token,
        &k.github_token_env,
        &k.db_password,
        &k.ssh_private_key,
        &k.aws_access_key_id,
        &k.aws_secret_access_key,
        &k.postgres_password,
        &k.redis_password,
        &k.service_jwt,
        &k.stripe_key,
    ] {
        assert!(secrets.contains(s), "secret without expectation: {s}");
    }
    for s in &secrets {
        for (h, e) in history.iter().enumerate() {
            if e["created_by"].as_str().unwrap().contains(s.as_str()) {
                assert!(
                    exps.iter().any(|x| x.secret == *s
                        && x.status == LeakStatus::History
                        && x.history == h),
                    "{s} in history[{h}] not expected"
                );
            }
        }
        for (l, layer) in img.layers.iter().enumerate() {
            for (p, _, d) in layer {
                if contains(d, s) {
                    assert!(
                        exps.iter().any(|x| x.secret == *s
                            && x.layer == Some(l)
                            && x.path_or_source == format!("/{p}")),
                        "{s} in layer {l} {p} not expected"
                    );
                }
            }
        }
    }
}

#[test]
fn clean_cases_hold_nothing() {
    let img = load_demo();
    let history = img.config["history"].as_array().unwrap();
    let secrets: Vec<String> = demo_expectations().into_iter().map(|x| x.secret).collect();
    for c in demo_clean_cases() {
        let cb = history[c.history]["created_by"].as_str().unwrap();
        assert!(secrets.iter().all(|s| !cb.contains(s.as_str())), "{c:?}");
        if let Some(l) = c.layer {
            assert_eq!(img.layer_of[c.history], Some(l), "{c:?}");
            // a clean case naming a file covers that file; otherwise the whole layer
            let only = c.path_or_source.strip_prefix('/');
            let mut checked = 0;
            for (p, _, d) in &img.layers[l] {
                if only.is_some_and(|o| o != p) {
                    continue;
                }
                checked += 1;
                assert!(secrets.iter().all(|s| !contains(d, s)), "{c:?} {p}");
            }
            assert!(checked > 0, "{c:?}: nothing to check");
        }
    }
    // the secret mount never left a .npmrc behind, and no builder key crossed over
    for layer in &img.layers {
        for (p, _, d) in layer {
            assert!(!p.ends_with(".npmrc"), "{p}");
            assert!(
                !contains(d, "BEGIN OPENSSH") || p == "root/.ssh/id_ed25519",
                "{p}"
            );
        }
    }
    // the secret-mount step says so in history but holds no value
    assert!(history[19]["created_by"]
        .as_str()
        .unwrap()
        .starts_with("RUN --mount=type=secret,id=npmrc"));
    assert!(history[18]["created_by"]
        .as_str()
        .unwrap()
        .starts_with("COPY --from=builder "));
}

#[test]
fn fake_secrets_have_the_real_formats() {
    let k = demo_secrets();
    let re = |r: &str, s: &str| assert!(regex::Regex::new(r).unwrap().is_match(s), "{r} !~ {s}");
    re(r"^ghp_[A-Za-z0-9]{36}$", &k.github_token_file);
    re(r"^ghp_[A-Za-z0-9]{36}$", &k.github_token_env);
    re(r"^npm_[A-Za-z0-9]{36}$", &k.npm_token);
    re(r"^AKIA[A-Z2-7]{16}$", &k.aws_access_key_id);
    re(r"^[A-Za-z0-9+/]{40}$", &k.aws_secret_access_key);
    re(r"^sk_live_[A-Za-z0-9]{24}$", &k.stripe_key);
    re(
        r"^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
        &k.service_jwt,
    );
    re(
        r"^-----BEGIN OPENSSH PRIVATE KEY-----\n(b3BlbnNzaC1rZXktdjEA[A-Za-z0-9+/=\n]+)-----END OPENSSH PRIVATE KEY-----\n$",
        &k.ssh_private_key,
    );
    assert_ne!(k.github_token_file, k.github_token_env);
}

#[test]
fn demo_is_small_and_named() {
    let bytes = write_image_to_vec(&demo_spec(), Layout::DockerLegacy, Compression::None);
    assert!(bytes.len() < 200 * 1024);
    let img = load_demo();
    assert_eq!(img.config["config"]["User"], "app");
    assert_eq!(img.config["config"]["WorkingDir"], "/app");
    assert_eq!(img.config["config"]["Cmd"][0], "node");
    assert!(img.config["config"]["Labels"]["maintainer"].is_string());
    // the demo also writes cleanly in every other layout
    for layout in Layout::ALL {
        let a = write_image_to_vec(&demo_spec(), layout, Compression::Gzip);
        assert_eq!(
            a,
            write_image_to_vec(&demo_spec(), layout, Compression::Gzip)
        );
    }
}

//! A daemon's image on screen before its tar has streamed: history, layers and config from
//! `/images/{name}/json` and `/history`, then the real image once `/get` has delivered. The
//! fake daemon holds the tar until the early screen has been read. Not timed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::fake_daemon::{self as fake, FakeDaemon};
use crate::support::tmux::{available, Tmux};
use layerscope_imagegen as imagegen;
use serde_json::{json, Value};

/// The inspect and history answers a daemon would give for an image with this config.
fn answers(config: &Value) -> (String, String) {
    let inspect = json!({
        "Id": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "RepoTags": ["demo:early"],
        "Architecture": config["architecture"],
        "Os": config["os"],
        "Config": config["config"],
        "RootFS": {"Type": "layers", "Layers": config["rootfs"]["diff_ids"]},
        "Size": 4096,
    });
    let history: Vec<Value> = config["history"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|h| {
            let empty = h["empty_layer"].as_bool().unwrap_or(false);
            json!({"CreatedBy": h["created_by"], "Size": if empty { 0 } else { 512 }, "Created": 1_704_067_200})
        })
        .collect();
    (inspect.to_string(), Value::Array(history).to_string())
}

#[test]
fn the_history_is_on_screen_while_the_daemon_streams_the_tar() {
    if !available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let tar = imagegen::write_image_to_vec(
        &imagegen::demo::demo_spec(),
        imagegen::Layout::DockerLegacy,
        imagegen::Compression::None,
    );
    let path = work.path().join("demo.tar");
    std::fs::write(&path, &tar).unwrap();
    let src = layerscope_core::source::open_path(&path, &Default::default()).unwrap();
    let config: Value = serde_json::from_slice(&src.image.config_raw).unwrap();
    let steps = config["history"].as_array().unwrap().len();
    let (inspect, history) = answers(&config);
    let gate = Arc::new(AtomicBool::new(false));
    let open = gate.clone();
    let daemon = FakeDaemon::unix(true, move |p, w| {
        if p == "/_ping" {
            fake::ping_ok(w, "1.41", &[]);
        } else if p.ends_with("/json") {
            fake::json(w, "200 OK", &inspect);
        } else if p.ends_with("/history") {
            fake::json(w, "200 OK", &history);
        } else if p.ends_with("/get") {
            let until = Instant::now() + Duration::from_secs(60);
            while !open.load(Ordering::Relaxed) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            fake::respond(w, "200 OK", &[("Content-Type", "application/x-tar")], &tar);
            let _ = w.flush();
        } else {
            fake::json(w, "404 Not Found", r#"{"message":"page not found"}"#);
        }
    });
    let home = work.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let t = Tmux::start(
        "daemon-early",
        160,
        45,
        env!("CARGO_BIN_EXE_layerscope"),
        &["docker://demo:early"],
        &[
            ("DOCKER_HOST", &daemon.host),
            ("HOME", home.to_str().unwrap()),
            ("XDG_CONFIG_HOME", home.to_str().unwrap()),
        ],
    );
    let title = format!("History · {steps} steps");
    let screen = t.wait_for_all(&[&title, "Layer L", "loading: 0/", "Blob: not here yet"]);
    assert!(!screen.contains("non-distributable"), "{screen}");
    assert!(
        daemon.requests().iter().any(|r| r.ends_with("/get")),
        "the tar was asked for: {:?}",
        daemon.requests()
    );
    // The fake secrets of the config and the build steps are masked on the early screen too.
    let d = imagegen::demo::demo_secrets();
    let raw = String::from_utf8_lossy(&src.image.config_raw).into_owned();
    let mut checked = 0;
    for v in [
        &d.github_token_env,
        &d.db_password,
        &d.postgres_password,
        &d.redis_password,
        &d.stripe_key,
        &d.npm_token,
    ] {
        if raw.contains(v.as_str()) {
            checked += 1;
            let piece = &v[4..12];
            assert!(!screen.contains(piece), "unmasked {piece}:\n{screen}");
        }
    }
    assert!(checked > 0, "the config holds some of the demo's secrets");
    gate.store(true, Ordering::Relaxed);
    let screen = t.wait_for_loaded(&["Findings · ", &title]);
    assert!(screen.contains(&title), "{screen}");
    t.quit_cleanly();
}

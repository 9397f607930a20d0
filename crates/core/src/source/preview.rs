//! An image as a daemon describes it before its tar has streamed: an image config made from
//! `GET /images/{name}/json` (config, platform, diff_ids) and `/history` (the build steps), with
//! layers that have no blob yet. A viewer shows history, layers and image from it at once; the
//! real config arrives with the tar and replaces it.

use serde_json::{json, Value};

use super::arrivals::Arrivals;
use super::daemon::{DaemonInfo, DaemonKind};
use super::{Container, Format, ImageSource, LayerRef, Resolved};

/// Instructions that make no layer (Dockerfile metadata).
const METADATA: &[&str] = &[
    "ENV",
    "LABEL",
    "CMD",
    "ENTRYPOINT",
    "EXPOSE",
    "WORKDIR",
    "USER",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
    "VOLUME",
    "MAINTAINER",
];

/// `None` when the inspect answer has no layer list (nothing worth showing).
pub(super) fn from_daemon(info: &DaemonInfo) -> Option<ImageSource> {
    let insp = &info.inspect;
    let diff_ids: Vec<Value> = insp.pointer("/RootFS/Layers")?.as_array()?.clone();
    let history = info
        .history
        .as_ref()
        .and_then(Value::as_array)
        .map(|h| steps(h, diff_ids.len()))
        .unwrap_or_default();
    let config = json!({
        "architecture": insp.get("Architecture").cloned().unwrap_or(Value::Null),
        "os": insp.get("Os").cloned().unwrap_or(Value::Null),
        "variant": insp.get("Variant").cloned().unwrap_or(Value::Null),
        "created": insp.get("Created").cloned().unwrap_or(Value::Null),
        "author": insp.get("Author").cloned().unwrap_or(Value::Null),
        "config": insp.get("Config").cloned().unwrap_or(Value::Null),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    });
    let scheme = info.kind.to_string().to_ascii_lowercase();
    let shown = format!(
        "{scheme}://{} (still streaming from {})",
        info.name, info.socket
    );
    // Each layer's blob is in the tar still streaming: members that have not arrived (and
    // never will here; the image the tar holds replaces this one).
    let names: Vec<String> = (0..diff_ids.len()).map(|i| format!("layer-{i}")).collect();
    let layers = names
        .iter()
        .map(|m| LayerRef {
            member: Some(m.clone()),
            digest: None,
            media_type: None,
            compressed_size: None,
        })
        .collect();
    let streaming = std::sync::Arc::new(Arrivals::new(names, 0, None));
    let reference = insp
        .pointer("/RepoTags/0")
        .and_then(Value::as_str)
        .unwrap_or(&info.name)
        .to_string();
    let format = match info.kind {
        DaemonKind::Docker => Format::DockerDaemon,
        DaemonKind::Podman => Format::PodmanDaemon,
    };
    let resolved = Resolved {
        reference,
        config_digest: insp
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        config_raw: serde_json::to_vec(&config).ok()?,
        config_display: format!("{shown}: image info"),
        layers,
        warnings: Vec::new(),
    };
    let container = Container::open_dir(std::path::Path::new(&shown)).with_arrivals(streaming);
    Some(resolved.into_source(container, format))
}

/// The config's history (oldest first) from the history endpoint's answer (newest first).
/// Which steps made a layer is not in the answer: a step with bytes did; when that does not
/// account for every layer (empty `RUN`s), every step that is not Dockerfile metadata did.
fn steps(api: &[Value], layers: usize) -> Vec<Value> {
    let entries: Vec<&Value> = api.iter().rev().collect();
    let created_by = |e: &Value| {
        e.get("CreatedBy")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let sized: Vec<bool> = entries
        .iter()
        .map(|e| e.get("Size").and_then(Value::as_u64).unwrap_or(0) > 0)
        .collect();
    let makes_layer: Vec<bool> = if sized.iter().filter(|&&b| b).count() == layers {
        sized
    } else {
        entries
            .iter()
            .map(|e| !is_metadata(&created_by(e)))
            .collect()
    };
    entries
        .iter()
        .zip(makes_layer)
        .map(|(e, layer)| {
            let mut h = json!({"created_by": created_by(e), "empty_layer": !layer});
            if let Some(t) = e.get("Created").and_then(Value::as_i64) {
                h["created"] = Value::String(rfc3339(t));
            }
            if let Some(c) = e
                .get("Comment")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
            {
                h["comment"] = Value::String(c.to_string());
            }
            h
        })
        .collect()
}

/// The legacy builder writes `/bin/sh -c #(nop)  CMD [...]` for every instruction that is not
/// a `RUN` (`ADD` and `COPY` too, which make layers); BuildKit writes the instruction itself.
fn is_metadata(created_by: &str) -> bool {
    let s = created_by.trim();
    let instruction = s.split_once("#(nop)").map_or(s, |(_, rest)| rest);
    let word = instruction.split_whitespace().next().unwrap_or("");
    METADATA.contains(&word)
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (the civil-from-days algorithm, proleptic Gregorian).
fn rfc3339(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_704_067_202), "2024-01-01T00:00:02Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn steps_that_made_layers() {
        let api = json!([
            {"CreatedBy": "CMD [\"sh\"]", "Size": 0, "Created": 3},
            {"CreatedBy": "RUN /bin/sh -c true # buildkit", "Size": 0, "Created": 2},
            {"CreatedBy": "/bin/sh -c #(nop) ADD file:abc in / ", "Size": 5, "Created": 1},
        ]);
        let api = api.as_array().unwrap();
        let empty = |h: &[Value]| -> Vec<bool> {
            h.iter()
                .map(|e| e["empty_layer"].as_bool().unwrap())
                .collect()
        };
        // Two layers: the sized step does not account for both, so the steps that are not
        // metadata count: the legacy `#(nop) ADD` and the empty RUN, not the CMD.
        assert_eq!(empty(&steps(api, 2)), vec![false, false, true]);
        // One layer: the sized step is it.
        let h = steps(api, 1);
        assert_eq!(empty(&h), vec![false, true, true]);
        assert_eq!(h[0]["created"], "1970-01-01T00:00:01Z");
        assert!(is_metadata("/bin/sh -c #(nop)  CMD [\"sh\"]"));
        assert!(is_metadata("ENV A=1"));
        assert!(!is_metadata("/bin/sh -c #(nop) COPY file:ab in /app"));
        assert!(!is_metadata("/bin/sh -c apt-get update"));
    }

    #[test]
    fn a_preview_from_inspect_and_history() {
        let info = DaemonInfo {
            kind: DaemonKind::Docker,
            name: "app:1".into(),
            socket: "unix:///run/docker.sock".into(),
            inspect: json!({
                "Id": "sha256:abc", "RepoTags": ["app:1"], "Architecture": "amd64", "Os": "linux",
                "Config": {"Env": ["A=1"]}, "RootFS": {"Layers": ["sha256:11", "sha256:22"]}
            }),
            history: Some(json!([
                {"CreatedBy": "RUN make", "Size": 9},
                {"CreatedBy": "ADD rootfs /", "Size": 7}
            ])),
        };
        let src = from_daemon(&info).unwrap();
        assert_eq!(src.image.layers.len(), 2);
        let arrivals = src.container.arrivals().unwrap();
        assert!(src
            .image
            .layers
            .iter()
            .all(|l| arrivals.is_waiting(l.member.as_deref().unwrap())));
        let c: Value = serde_json::from_slice(&src.image.config_raw).unwrap();
        assert_eq!(c["rootfs"]["diff_ids"], json!(["sha256:11", "sha256:22"]));
        assert_eq!(c["history"][0]["created_by"], "ADD rootfs /");
        assert_eq!(c["config"]["Env"], json!(["A=1"]));
        assert_eq!(src.image.reference, "app:1");
        assert!(from_daemon(&DaemonInfo {
            inspect: json!({}),
            ..info
        })
        .is_none());
    }
}

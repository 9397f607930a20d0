//! OCI image layouts (directories, `oci-archive` tars, and the OCI half of Docker 25+ saves):
//! index.json -> (nested indexes) -> manifest -> config + layers. Docker v2s2 manifests and
//! manifest lists inside a layout are read the same way.

use serde_json::Value;

use super::select::{reference_matches, Platform};
use super::{
    blob_path, is_nondistributable, parse_json, Container, LayerRef, OpenOptions, Resolved,
};
use crate::error::{Error, Result, Warning};

const MAX_INDEX_DEPTH: usize = 8;

/// One image manifest reachable from index.json.
struct Candidate {
    digest: String,
    names: Vec<String>,
    platform: Option<Platform>,
    manifest: Value,
    manifest_display: String,
    note: Option<String>,
}

pub(super) fn resolve(c: &Container, opts: &OpenOptions) -> Result<Option<Resolved>> {
    let shown = c.display_member("index.json");
    let raw = c.read_small("index.json", opts.limits.max_json_bytes)?;
    let index = parse_json(&raw, &shown)?;
    if !index.is_object() {
        return Err(Error::invalid(shown, "index is not a JSON object"));
    }
    let mut cands = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = std::collections::HashMap::new();
    collect(
        c,
        opts,
        &index,
        &[],
        None,
        0,
        &mut cands,
        &mut warnings,
        &mut seen,
    )?;
    if cands.is_empty() {
        return Ok(None);
    }
    let chosen = choose(c, opts, cands)?;
    let mut found = read_manifest(c, opts, chosen)?;
    found.warnings.splice(0..0, warnings);
    Ok(Some(found))
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn platform_of(d: &Value) -> Option<Platform> {
    let p = d.get("platform")?;
    Some(Platform {
        os: str_at(p, "os")?.to_string(),
        arch: str_at(p, "architecture")?.to_string(),
        variant: str_at(p, "variant").map(str::to_string),
    })
}

fn names_of(d: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = d.get("annotations").and_then(Value::as_object) {
        for k in [
            "io.containerd.image.name",
            "org.opencontainers.image.ref.name",
        ] {
            if let Some(n) = a.get(k).and_then(Value::as_str) {
                out.push(n.to_string());
            }
        }
    }
    out
}

fn is_index(media: Option<&str>, doc: &Value) -> bool {
    match media {
        Some(m) if m.contains("index") || m.contains("manifest.list") => true,
        Some(_) => false,
        None => doc.get("manifests").is_some() && doc.get("layers").is_none(),
    }
}

#[allow(clippy::too_many_arguments)]
fn collect(
    c: &Container,
    opts: &OpenOptions,
    index: &Value,
    inherited_names: &[String],
    inherited_platform: Option<&Platform>,
    depth: usize,
    out: &mut Vec<Candidate>,
    warnings: &mut Vec<Warning>,
    // Digests already read: `None` for an index, `Some(i)` for the candidate `out[i]`. An index
    // may list the same blob many times; reading it again each time would multiply at every
    // level of nesting (a few KB of JSON could cost hours).
    seen: &mut std::collections::HashMap<String, Option<usize>>,
) -> Result<()> {
    if depth > MAX_INDEX_DEPTH {
        return Err(Error::invalid(c.display(), "image indexes nested too deep"));
    }
    let manifests = match index.get("manifests") {
        Some(Value::Array(a)) => a,
        Some(Value::Null) | None => return Ok(()),
        Some(_) => {
            return Err(Error::invalid(
                c.display_member("index.json"),
                "manifests is not a list",
            ))
        }
    };
    for d in manifests {
        let Some(digest) = str_at(d, "digest") else {
            continue;
        };
        let Some(path) = blob_path(digest) else {
            warnings.push(Warning::new(
                "bad-digest",
                format!("descriptor digest {digest:?} is not valid"),
            ));
            continue;
        };
        let mut names = names_of(d);
        if names.is_empty() {
            names = inherited_names.to_vec();
        }
        let platform = platform_of(d).or_else(|| inherited_platform.cloned());
        // BuildKit attestation manifests carry platform unknown/unknown: not images.
        if platform.as_ref().is_some_and(|p| p.os == "unknown") {
            continue;
        }
        match seen.get(digest) {
            Some(Some(i)) => {
                let k = &mut out[*i];
                for n in names {
                    if !k.names.contains(&n) {
                        k.names.push(n);
                    }
                }
                continue;
            }
            Some(None) => continue,
            None => {}
        }
        if !c.exists(&path) {
            // Layouts may omit platforms that were never pulled.
            warnings.push(Warning::new(
                "missing-manifest",
                format!("manifest {digest} listed in the index is not in the layout; skipped"),
            ));
            continue;
        }
        let shown = c.display_member(&path);
        let doc = parse_json(&c.read_small(&path, opts.limits.max_json_bytes)?, &shown)?;
        let media = str_at(d, "mediaType").or_else(|| str_at(&doc, "mediaType"));
        if is_index(media, &doc) {
            seen.insert(digest.to_string(), None);
            collect(
                c,
                opts,
                &doc,
                &names,
                platform.as_ref(),
                depth + 1,
                out,
                warnings,
                seen,
            )?;
        } else {
            seen.insert(digest.to_string(), Some(out.len()));
            out.push(Candidate {
                digest: digest.to_string(),
                names,
                platform,
                manifest: doc,
                manifest_display: shown,
                note: None,
            });
        }
    }
    Ok(())
}

fn describe(cands: &[Candidate]) -> String {
    cands
        .iter()
        .map(|k| {
            let name = k.names.first().cloned().unwrap_or_else(|| k.digest.clone());
            match &k.platform {
                Some(p) => format!("{name} ({p})"),
                None => name,
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn choose(c: &Container, opts: &OpenOptions, mut cands: Vec<Candidate>) -> Result<Candidate> {
    let all = describe(&cands);
    if let Some(want) = &opts.image {
        cands.retain(|k| reference_matches(want, &k.names, std::slice::from_ref(&k.digest)));
        if cands.is_empty() {
            return Err(Error::Ambiguous(format!(
                "{}: no image matches {want:?}; the layout holds: {all}",
                c.display()
            )));
        }
    }
    if let Some(p) = &opts.platform {
        cands.retain(|k| k.platform.as_ref().is_none_or(|kp| p.matches(kp)));
        if cands.is_empty() {
            return Err(Error::Ambiguous(format!(
                "{}: no image for platform {p}; the layout holds: {all}",
                c.display()
            )));
        }
    }
    if cands.len() > 1 && opts.platform.is_none() {
        let host = Platform::host();
        let on_host: Vec<usize> = cands
            .iter()
            .enumerate()
            .filter(|(_, k)| k.platform.as_ref().is_some_and(|kp| host.matches(kp)))
            .map(|(i, _)| i)
            .collect();
        if on_host.len() == 1 {
            return Ok(cands.swap_remove(on_host[0]));
        }
    }
    // The same manifest may be listed under several names.
    cands.dedup_by(|a, b| a.digest == b.digest);
    let one_platform = cands.windows(2).all(|w| w[0].platform == w[1].platform);
    if cands.len() > 1 && one_platform {
        // Several named images of one platform: show the first, say so.
        let listed = describe(&cands);
        let mut first = cands.remove(0);
        first.note = Some(format!(
            "the layout holds {} images ({listed}); showing the first, choose another with --image",
            cands.len() + 1
        ));
        return Ok(first);
    }
    if cands.len() > 1 {
        return Err(Error::Ambiguous(format!(
            "{}: {} images match; choose one with --image or --platform: {}",
            c.display(),
            cands.len(),
            describe(&cands)
        )));
    }
    Ok(cands.remove(0))
}

fn read_manifest(c: &Container, opts: &OpenOptions, k: Candidate) -> Result<Resolved> {
    let m = &k.manifest;
    let config_digest = m
        .pointer("/config/digest")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid(&k.manifest_display, "manifest has no config digest"))?
        .to_string();
    let config_path = blob_path(&config_digest).ok_or_else(|| {
        Error::invalid(
            &k.manifest_display,
            format!("invalid config digest {config_digest:?}"),
        )
    })?;
    if !c.exists(&config_path) {
        return Err(Error::MissingBlob {
            path: c.display().to_string(),
            digest: format!("{config_digest} (config)"),
        });
    }
    let config_display = c.display_member(&config_path);
    let config_raw = c.read_small(&config_path, opts.limits.max_json_bytes)?;
    let mut warnings = Vec::new();
    if let Some(n) = &k.note {
        warnings.push(Warning::new("several-images", n.clone()));
    }
    let mut layers = Vec::new();
    let list = match m.get("layers") {
        Some(Value::Array(a)) => a.as_slice(),
        Some(Value::Null) | None => &[],
        Some(_) => return Err(Error::invalid(&k.manifest_display, "layers is not a list")),
    };
    for (i, d) in list.iter().enumerate() {
        let digest = str_at(d, "digest").ok_or_else(|| {
            Error::invalid(&k.manifest_display, format!("layer {i} has no digest"))
        })?;
        let path = blob_path(digest).ok_or_else(|| {
            Error::invalid(
                &k.manifest_display,
                format!("layer {i} has an invalid digest"),
            )
        })?;
        let media_type = str_at(d, "mediaType").map(str::to_string);
        let size = d.get("size").and_then(Value::as_u64);
        let present = c.exists(&path);
        if !present && !is_nondistributable(media_type.as_deref()) {
            return Err(Error::MissingBlob {
                path: c.display().to_string(),
                digest: format!("{digest} (layer {i})"),
            });
        }
        if !present {
            warnings.push(Warning::new(
                "missing-foreign-layer",
                format!(
                    "layer {i} ({digest}) is non-distributable and its blob is not in the layout"
                ),
            ));
        }
        layers.push(LayerRef {
            member: present.then_some(path),
            digest: Some(digest.to_string()),
            media_type,
            compressed_size: size,
        });
    }
    Ok(Resolved {
        reference: k.names.first().cloned().unwrap_or_default(),
        config_digest,
        config_raw,
        config_display,
        layers,
        warnings,
    })
}

//! `docker save` archives described by `manifest.json`: the legacy layout (`<id>/layer.tar`),
//! containers/image's (`<diffid>.tar` plus symlinks), kaniko's (`sha256:<hex>` config,
//! `.tar.gz` layers), and Docker 25+/containerd exports (`blobs/sha256/...`).

use serde_json::Value;

use super::select::reference_matches;
use super::{is_nondistributable, parse_json, Container, LayerRef, OpenOptions, Resolved};
use crate::error::{Error, Result, Warning};

pub(super) fn resolve(c: &Container, opts: &OpenOptions) -> Result<Resolved> {
    let shown = c.display_member("manifest.json");
    let raw = c.read_small("manifest.json", opts.limits.max_json_bytes)?;
    let doc = parse_json(&raw, &shown)?;
    let list = match doc {
        Value::Null => return Err(Error::invalid(shown, "manifest is null")),
        Value::Array(a) => a,
        _ => return Err(Error::invalid(shown, "expected a JSON array of images")),
    };
    if list.is_empty() {
        return Err(Error::invalid(shown, "manifest lists no images"));
    }
    let tags = |m: &Value| -> Vec<String> {
        m.get("RepoTags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let config_of = |m: &Value| {
        m.get("Config")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let chosen: &Value = match &opts.image {
        Some(want) => {
            let hits: Vec<&Value> = list
                .iter()
                .filter(|m| {
                    reference_matches(want, &tags(m), &[config_digest_from_name(&config_of(m))])
                })
                .collect();
            match hits.as_slice() {
                [one] => one,
                [] => {
                    return Err(Error::Ambiguous(format!(
                        "{}: no image matches {want:?}; the archive holds: {}",
                        c.display(),
                        describe(&list, &tags, &config_of)
                    )))
                }
                _ => {
                    return Err(Error::Ambiguous(format!(
                        "{}: several images match {want:?}: {}",
                        c.display(),
                        describe(&list, &tags, &config_of)
                    )))
                }
            }
        }
        None => &list[0],
    };
    let mut warnings = Vec::new();
    if opts.image.is_none() && list.len() > 1 {
        warnings.push(Warning::new(
            "several-images",
            format!(
                "the archive holds {} images ({}); showing the first, choose another with --image",
                list.len(),
                describe(&list, &tags, &config_of)
            ),
        ));
    }
    let config_name = config_of(chosen);
    if config_name.is_empty() {
        return Err(Error::invalid(shown, "image entry has no Config"));
    }
    let config_display = c.display_member(&config_name);
    let config_raw = c.read_small(&config_name, opts.limits.max_json_bytes)?;
    let config_digest = format!("sha256:{}", crate::digest::sha256_hex(&config_raw));
    let diff_ids: Vec<String> = parse_json(&config_raw, &config_display)?
        .pointer("/rootfs/diff_ids")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let sources = chosen.get("LayerSources").and_then(Value::as_object);
    let mut layers = Vec::new();
    let layer_names = match chosen.get("Layers") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err(Error::invalid(shown, "Layers is not a list")),
    };
    for (i, l) in layer_names.iter().enumerate() {
        let Some(name) = l.as_str() else {
            return Err(Error::invalid(&shown, format!("layer {i} is not a path")));
        };
        // LayerSources is keyed by diff_id and describes layers (often foreign) as distributed.
        let desc = diff_ids.get(i).and_then(|d| sources.and_then(|s| s.get(d)));
        let media_type = desc
            .and_then(|d| d.get("mediaType"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let digest = desc
            .and_then(|d| d.get("digest"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| digest_from_blob_name(name));
        let size = desc.and_then(|d| d.get("size")).and_then(Value::as_u64);
        if !c.exists(name) {
            if is_nondistributable(media_type.as_deref()) {
                warnings.push(Warning::new(
                    "missing-foreign-layer",
                    format!("layer {i} ({name}) is a non-distributable layer whose blob is not in the archive"),
                ));
                layers.push(LayerRef {
                    member: None,
                    digest,
                    media_type,
                    compressed_size: size,
                });
                continue;
            }
            return Err(Error::MissingBlob {
                path: c.display().to_string(),
                digest: format!("{name} (layer {i})"),
            });
        }
        layers.push(LayerRef {
            member: Some(name.to_string()),
            digest,
            media_type,
            compressed_size: c.size(name),
        });
    }
    Ok(Resolved {
        reference: tags(chosen).into_iter().next().unwrap_or_default(),
        config_digest,
        config_raw,
        config_display,
        layers,
        warnings,
    })
}

fn describe(
    list: &[Value],
    tags: &dyn Fn(&Value) -> Vec<String>,
    config_of: &dyn Fn(&Value) -> String,
) -> String {
    list.iter()
        .map(|m| {
            let t = tags(m);
            if t.is_empty() {
                format!(
                    "<untagged {}>",
                    short(&config_digest_from_name(&config_of(m)))
                )
            } else {
                t.join(", ")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn short(d: &str) -> &str {
    let h = d.trim_start_matches("sha256:");
    // The name comes from the archive: cut on a character boundary.
    let end = h.char_indices().nth(12).map_or(h.len(), |(i, _)| i);
    &h[..end]
}

/// The config's name often is its digest: `<hex>.json`, `sha256:<hex>`, `blobs/sha256/<hex>`.
fn config_digest_from_name(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let base = base.trim_end_matches(".json").trim_start_matches("sha256:");
    format!("sha256:{base}")
}

fn digest_from_blob_name(name: &str) -> Option<String> {
    let hex = name.strip_prefix("blobs/sha256/")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("sha256:{hex}"))
}

//! Resolving a reference to one image manifest: OCI index and manifest, Docker manifest list
//! and v2s2; schema 1 is refused. An index goes through the same platform choice as layouts
//! (`--platform`, else the host's), and attestation manifests are skipped. Every document is
//! verified against its digest (the one asked for, or the one its descriptor names).

use std::io::Read;

use serde_json::Value;

use super::client::{error_code, Client};
use super::reference::Reference;
use super::RegistryError;
use crate::source::select::Platform;

pub(super) const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

const MAX_DEPTH: usize = 4;

pub(super) struct Resolved {
    /// The image manifest analysed.
    pub digest: String,
    pub doc: Value,
    /// The index it was chosen from, when the reference named one.
    pub index_digest: Option<String>,
}

fn sha(raw: &[u8]) -> String {
    format!("sha256:{}", crate::digest::sha256_hex(raw))
}

/// One manifest document by tag or digest, verified when the digest is known.
fn fetch(
    client: &Client,
    r: &Reference,
    reference: &str,
    expect: Option<(&str, Option<u64>)>,
    max: u64,
) -> Result<(Vec<u8>, Option<String>, String), RegistryError> {
    let path = format!("/v2/{}/manifests/{}", r.repository, reference);
    let resp = client.get(&path, Some(ACCEPT), 0)?;
    let status = resp.status().as_u16();
    if status == 404 {
        let (code, _) = error_code(resp);
        let code = code.unwrap_or_else(|| "MANIFEST_UNKNOWN".into());
        return Err(RegistryError::NotFound {
            reference: r.to_string(),
            repository: format!("{}/{}", r.registry, r.repository),
            what: if code == "NAME_UNKNOWN" {
                format!("repository {}", r.repository)
            } else if reference.starts_with("sha256:") {
                format!("manifest {reference}")
            } else {
                format!("tag {reference}")
            },
            code,
        });
    }
    if status != 200 {
        let (_, message) = error_code(resp);
        return Err(RegistryError::Http {
            registry: r.registry.clone(),
            status,
            request: path,
            message,
        });
    }
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.split(';').next().unwrap_or(s).trim().to_string());
    let mut raw = Vec::new();
    resp.into_body()
        .into_reader()
        .take(max + 1)
        .read_to_end(&mut raw)
        .map_err(|e| RegistryError::Truncated {
            registry: r.registry.clone(),
            what: format!("manifest {reference}"),
            received: raw.len() as u64,
            expected: 0,
            detail: e.to_string(),
        })?;
    if raw.len() as u64 > max {
        return Err(RegistryError::Limit {
            what: format!("manifest {reference} of {r}"),
            limit: max,
            flag: "--max-json-bytes",
        });
    }
    let actual = sha(&raw);
    if let Some((digest, size)) = expect {
        if actual != digest {
            return Err(RegistryError::DigestMismatch {
                registry: r.registry.clone(),
                what: "manifest".into(),
                expected: digest.to_string(),
                actual,
            });
        }
        if let Some(s) = size.filter(|s| *s != raw.len() as u64) {
            return Err(RegistryError::SizeMismatch {
                what: format!("manifest {digest}"),
                expected: s,
                detail: format!("received {} bytes", raw.len()),
            });
        }
    }
    Ok((raw, ctype, actual))
}

fn media_of<'a>(ctype: Option<&'a str>, doc: &'a Value) -> Option<&'a str> {
    doc.get("mediaType").and_then(Value::as_str).or(ctype)
}

fn is_schema1(media: Option<&str>, doc: &Value) -> bool {
    media.is_some_and(|m| m.starts_with("application/vnd.docker.distribution.manifest.v1"))
        || doc.get("schemaVersion").and_then(Value::as_u64) == Some(1)
}

fn is_index(media: Option<&str>, doc: &Value) -> bool {
    match media {
        Some(m) if m.contains("index") || m.contains("manifest.list") => true,
        Some(_) => false,
        None => doc.get("manifests").is_some() && doc.get("layers").is_none(),
    }
}

fn platform_of(d: &Value) -> Option<Platform> {
    let p = d.get("platform")?;
    Some(Platform {
        os: p.get("os")?.as_str()?.to_string(),
        arch: p.get("architecture")?.as_str()?.to_string(),
        variant: p.get("variant").and_then(Value::as_str).map(str::to_string),
    })
}

fn is_attestation(d: &Value) -> bool {
    platform_of(d).is_some_and(|p| p.os == "unknown")
        || d.pointer("/annotations/vnd.docker.reference.type")
            .and_then(Value::as_str)
            == Some("attestation-manifest")
}

/// Picks one entry of an index: the wanted platform, else the host's, else the only one.
fn choose<'a>(
    r: &Reference,
    entries: &'a [Value],
    want: Option<&Platform>,
) -> Result<&'a Value, RegistryError> {
    let images: Vec<&Value> = entries
        .iter()
        .filter(|d| d.get("digest").and_then(Value::as_str).is_some() && !is_attestation(d))
        .collect();
    let listed = || {
        images
            .iter()
            .map(|d| {
                platform_of(d)
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "?".into())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if images.is_empty() {
        return Err(RegistryError::Manifest {
            reference: r.to_string(),
            detail: "the index lists no image manifests".into(),
        });
    }
    let pick = |p: &Platform| {
        images
            .iter()
            .copied()
            .filter(|d| platform_of(d).is_some_and(|dp| p.matches(&dp)))
            .collect::<Vec<_>>()
    };
    if let Some(p) = want {
        return pick(p)
            .first()
            .copied()
            .ok_or_else(|| RegistryError::Platform {
                reference: r.to_string(),
                wanted: p.to_string(),
                available: listed(),
            });
    }
    if images.len() == 1 {
        return Ok(images[0]);
    }
    let host = Platform::host();
    // Several variants of the host's arch (arm/v6, arm/v7): the first, as docker pull does.
    pick(&host)
        .first()
        .copied()
        .ok_or_else(|| RegistryError::Platform {
            reference: r.to_string(),
            wanted: format!("{host} (this machine; choose another with --platform)"),
            available: listed(),
        })
}

pub(super) fn resolve(
    client: &Client,
    r: &Reference,
    want: Option<&Platform>,
    max: u64,
) -> Result<Resolved, RegistryError> {
    let top = r.manifest_ref().to_string();
    let expect = r.digest.as_deref().map(|d| (d, None));
    let (mut raw, mut ctype, mut digest) = fetch(client, r, &top, expect, max)?;
    let mut index_digest = None;
    for _ in 0..=MAX_DEPTH {
        let doc: Value = serde_json::from_slice(&raw).map_err(|e| RegistryError::Manifest {
            reference: r.to_string(),
            detail: format!("manifest {digest} is not valid JSON: {e}"),
        })?;
        let media = media_of(ctype.as_deref(), &doc);
        if is_schema1(media, &doc) {
            return Err(RegistryError::Schema1 {
                reference: r.to_string(),
            });
        }
        if !is_index(media, &doc) {
            if doc.get("config").is_none() {
                return Err(RegistryError::Manifest {
                    reference: r.to_string(),
                    detail: format!(
                        "manifest {digest} ({}) is neither an image manifest nor an index",
                        media.unwrap_or("no media type")
                    ),
                });
            }
            return Ok(Resolved {
                digest,
                doc,
                index_digest,
            });
        }
        let entries = doc
            .get("manifests")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let d = choose(r, entries, want)?;
        let next = d
            .get("digest")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !next.starts_with("sha256:") {
            return Err(RegistryError::Manifest {
                reference: r.to_string(),
                detail: format!("index entry digest {next:?} is not sha256"),
            });
        }
        let size = d.get("size").and_then(Value::as_u64);
        index_digest.get_or_insert(digest.clone());
        (raw, ctype, digest) = fetch(client, r, &next, Some((&next, size)), max)?;
    }
    Err(RegistryError::Manifest {
        reference: r.to_string(),
        detail: "indexes nested too deep".into(),
    })
}

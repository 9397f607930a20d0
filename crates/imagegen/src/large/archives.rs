//! Archives of the large images: Docker legacy and OCI, and the generator entry point.

use super::content::Corpus;
use super::images::{big_layers, many_layers, Layer, Params};
use super::layer_writer::{HashWriter, LayerWriter};
use super::trees::{python_spec, write_tree};
use super::MTIME;
use crate::fake::Rng;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

fn config_json(layers: &[Layer]) -> Vec<u8> {
    let mut history = vec![];
    for (i, l) in layers.iter().enumerate() {
        if i == 1 {
            history.push(serde_json::json!({
                "created": "2024-01-01T00:00:00Z",
                "created_by": "/bin/sh -c #(nop)  ENV LANG=C.UTF-8",
                "empty_layer": true
            }));
        }
        history.push(serde_json::json!({
            "created": "2024-01-01T00:00:00Z",
            "created_by": l.created_by,
        }));
    }
    history.push(serde_json::json!({
        "created": "2024-01-01T00:00:00Z",
        "created_by": "/bin/sh -c #(nop)  CMD [\"/app/bin/server\"]",
        "empty_layer": true
    }));
    let cfg = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
            "Cmd": ["/app/bin/server"],
            "WorkingDir": "/app",
            "Labels": {"org.opencontainers.image.title": "layerscope benchmark image"}
        },
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| format!("sha256:{}", l.diff_id)).collect::<Vec<_>>()
        },
        "history": history
    });
    serde_json::to_vec(&cfg).unwrap()
}

use crate::sha256_hex;

fn append_bytes<W: Write>(b: &mut tar::Builder<W>, path: &str, data: &[u8]) -> io::Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_mtime(MTIME);
    b.append_data(&mut h, path, data)
}

fn append_file<W: Write>(b: &mut tar::Builder<W>, path: &str, file: &Path) -> io::Result<()> {
    let f = File::open(file)?;
    let len = f.metadata()?.len();
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(len);
    h.set_mtime(MTIME);
    b.append_data(&mut h, path, io::BufReader::with_capacity(1 << 20, f))
}

fn append_dir<W: Write>(b: &mut tar::Builder<W>, path: &str) -> io::Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_size(0);
    h.set_mtime(MTIME);
    b.append_data(&mut h, path, io::empty())
}

pub(super) fn create(out: &Path) -> io::Result<tar::Builder<BufWriter<File>>> {
    let tmp = out.with_extension("partial");
    Ok(tar::Builder::new(BufWriter::with_capacity(
        1 << 20,
        File::create(tmp)?,
    )))
}

fn commit(b: tar::Builder<BufWriter<File>>, out: &Path) -> io::Result<()> {
    let mut w = b.into_inner()?;
    w.flush()?;
    drop(w);
    std::fs::rename(out.with_extension("partial"), out)
}

/// Legacy `docker save` (Docker < 25): `<v1id>/layer.tar`, `<config hex>.json`, manifest.json.
pub fn write_docker_legacy(out: &Path, name: &str, layers: &[Layer]) -> io::Result<()> {
    let config = config_json(layers);
    let cfg_hex = sha256_hex(&config);
    let mut b = create(out)?;
    let mut parent = String::new();
    let mut ids = vec![];
    for l in layers {
        let id = sha256_hex(format!("{parent}\n{}", l.diff_id).as_bytes());
        append_dir(&mut b, &format!("{id}/"))?;
        append_bytes(&mut b, &format!("{id}/VERSION"), b"1.0")?;
        let mut json = serde_json::json!({"id": id, "created": "2024-01-01T00:00:00Z"});
        if !parent.is_empty() {
            json["parent"] = serde_json::Value::String(parent.clone());
        }
        append_bytes(
            &mut b,
            &format!("{id}/json"),
            &serde_json::to_vec(&json).unwrap(),
        )?;
        append_file(&mut b, &format!("{id}/layer.tar"), &l.tar)?;
        ids.push(id.clone());
        parent = id;
    }
    append_bytes(&mut b, &format!("{cfg_hex}.json"), &config)?;
    let manifest = serde_json::json!([{
        "Config": format!("{cfg_hex}.json"),
        "RepoTags": [format!("layerscope-bench/{name}:latest")],
        "Layers": ids.iter().map(|id| format!("{id}/layer.tar")).collect::<Vec<_>>()
    }]);
    append_bytes(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    )?;
    let repos = serde_json::json!({ format!("layerscope-bench/{name}"): {"latest": parent} });
    append_bytes(&mut b, "repositories", &serde_json::to_vec(&repos).unwrap())?;
    commit(b, out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerCodec {
    None,
    Gzip,
    Zstd,
}

/// Compresses each layer into a blob file (in parallel, one thread per layer up to `threads`);
/// returns (blob path, digest hex, size).
fn blobs(
    layers: &[Layer],
    codec: LayerCodec,
    p: &Params,
    threads: usize,
) -> io::Result<Vec<(PathBuf, String, u64)>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    // One slot per layer: (blob path, digest, size) once a worker has written it.
    type Slot = std::sync::Mutex<Option<io::Result<(PathBuf, String, u64)>>>;
    let results: Vec<Slot> = layers.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= layers.len() {
                    break;
                }
                let r = blob_one(&layers[i], codec, p);
                *results[i].lock().unwrap() = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().unwrap().unwrap())
        .collect()
}

fn blob_one(l: &Layer, codec: LayerCodec, p: &Params) -> io::Result<(PathBuf, String, u64)> {
    if codec == LayerCodec::None {
        let len = std::fs::metadata(&l.tar)?.len();
        return Ok((l.tar.clone(), l.diff_id.clone(), len));
    }
    let ext = if codec == LayerCodec::Gzip {
        "gz"
    } else {
        "zst"
    };
    let path = l.tar.with_extension(format!("tar.{ext}"));
    let mut src = io::BufReader::with_capacity(1 << 20, File::open(&l.tar)?);
    let hw = HashWriter::new(BufWriter::with_capacity(1 << 20, File::create(&path)?));
    let hw = match codec {
        LayerCodec::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(hw, flate2::Compression::new(p.gzip_level));
            io::copy(&mut src, &mut enc)?;
            enc.finish()?
        }
        LayerCodec::Zstd => {
            let mut enc = zstd::stream::write::Encoder::new(hw, p.zstd_level)?;
            io::copy(&mut src, &mut enc)?;
            enc.finish()?
        }
        LayerCodec::None => unreachable!(),
    };
    let digest = hw.hex();
    let size = hw.count;
    let mut inner = hw.inner;
    inner.flush()?;
    Ok((path, digest, size))
}

/// An OCI image layout in a tar (`oci-archive`), layers compressed with `codec`. With
/// `docker_manifest`, also a `manifest.json`: the Docker 25+ `docker save` layout.
pub fn write_oci(
    out: &Path,
    name: &str,
    layers: &[Layer],
    codec: LayerCodec,
    docker_manifest: bool,
    p: &Params,
    threads: usize,
) -> io::Result<()> {
    let blobs = blobs(layers, codec, p, threads)?;
    let config = config_json(layers);
    let cfg_hex = sha256_hex(&config);
    let media = match codec {
        LayerCodec::None => "application/vnd.oci.image.layer.v1.tar",
        LayerCodec::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        LayerCodec::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    };
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{cfg_hex}"), "size": config.len()},
        "layers": blobs.iter().map(|(_, d, s)| serde_json::json!({"mediaType": media, "digest": format!("sha256:{d}"), "size": s})).collect::<Vec<_>>()
    });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let man_hex = sha256_hex(&manifest);
    let reference = format!("layerscope-bench/{name}:latest");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{man_hex}"),
            "size": manifest.len(),
            "annotations": {"io.containerd.image.name": format!("docker.io/{reference}"), "org.opencontainers.image.ref.name": "latest"}
        }]
    });
    let mut b = create(out)?;
    append_dir(&mut b, "blobs/")?;
    append_dir(&mut b, "blobs/sha256/")?;
    let mut seen = HashSet::new();
    for (path, d, _) in &blobs {
        if seen.insert(d.clone()) {
            append_file(&mut b, &format!("blobs/sha256/{d}"), path)?;
        }
    }
    append_bytes(&mut b, &format!("blobs/sha256/{cfg_hex}"), &config)?;
    append_bytes(&mut b, &format!("blobs/sha256/{man_hex}"), &manifest)?;
    append_bytes(&mut b, "index.json", &serde_json::to_vec(&index).unwrap())?;
    if docker_manifest {
        let m = serde_json::json!([{
            "Config": format!("blobs/sha256/{cfg_hex}"),
            "RepoTags": [reference],
            "Layers": blobs.iter().map(|(_, d, _)| format!("blobs/sha256/{d}")).collect::<Vec<_>>()
        }]);
        append_bytes(&mut b, "manifest.json", &serde_json::to_vec(&m).unwrap())?;
    }
    append_bytes(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    commit(b, out)?;
    for (path, _, _) in &blobs {
        if codec != LayerCodec::None {
            std::fs::remove_file(path).ok();
        }
    }
    Ok(())
}

/// What `generate` wrote.
pub struct Written {
    pub path: PathBuf,
    pub layers: usize,
    pub files: u64,
    pub bytes: u64,
}

/// Image names and the archives each one gets.
pub const IMAGES: &[&str] = &["big", "many", "many40"];

/// Writes the named image's archives into `out` (skipping those that exist), returns them.
pub fn generate(out: &Path, image: &str, p: &Params, threads: usize) -> io::Result<Vec<Written>> {
    std::fs::create_dir_all(out)?;
    let targets: Vec<(String, &str)> = match image {
        "big" => vec![
            ("big.docker.tar".into(), "docker"),
            ("big.oci-gzip.tar".into(), "gzip"),
            ("big.oci-zstd.tar".into(), "zstd"),
        ],
        "many" => vec![
            ("many.docker.tar".into(), "docker"),
            ("many.docker25.tar".into(), "docker25"),
        ],
        "many40" => vec![("many40.docker.tar".into(), "docker")],
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown image {other:?}; one of {IMAGES:?}"),
            ))
        }
    };
    let missing: Vec<&(String, &str)> = targets
        .iter()
        .filter(|(f, _)| !out.join(f).exists())
        .collect();
    let mut written = Vec::new();
    if missing.is_empty() {
        return Ok(written);
    }
    let work = out.join(format!(".work-{image}"));
    std::fs::create_dir_all(&work)?;
    let layers = match image {
        "big" => big_layers(&work, p)?,
        "many" => many_layers(&work, p, 8)?,
        _ => many_layers(&work, p, 40)?,
    };
    let files: u64 = layers.iter().map(|l| l.files).sum();
    for (f, how) in missing {
        let path = out.join(f);
        match *how {
            "docker" => write_docker_legacy(&path, image, &layers)?,
            "docker25" => write_oci(&path, image, &layers, LayerCodec::None, true, p, threads)?,
            "gzip" => write_oci(&path, image, &layers, LayerCodec::Gzip, false, p, threads)?,
            _ => write_oci(&path, image, &layers, LayerCodec::Zstd, false, p, threads)?,
        }
        written.push(Written {
            bytes: std::fs::metadata(&path)?.len(),
            path,
            layers: layers.len(),
            files,
        });
    }
    std::fs::remove_dir_all(&work)?;
    Ok(written)
}

/// One layer tar in memory (for micro-benchmarks): `files` small files of the given shape.
pub fn layer_in_memory(files: u64, seed: u64) -> Vec<u8> {
    let corpus = Corpus::new(seed);
    let mut w = LayerWriter::new(Vec::new(), &corpus);
    let mut rng = Rng::new(seed);
    write_tree(&mut w, &mut rng, &python_spec(), files).unwrap();
    w.finish().unwrap().0
}

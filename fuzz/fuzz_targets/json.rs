//! (c) The JSON documents: the image config parser, and the bytes as a docker `manifest.json`
//! or an OCI `index.json` inside a small archive that also holds a valid manifest, config and
//! layer (so that a mutated index can reach them).
#![no_main]

use std::io::Write;

use layerscope_core::image::ImageConfig;
use layerscope_core::source::{self, OpenOptions};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fn sha(data: &[u8]) -> String {
    format!("sha256:{}", layerscope_core::digest::sha256_hex(data))
}

fn add(b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, name, data).unwrap();
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if let Err(e) = ImageConfig::parse(rest, "config") {
        common::check_error(&e);
    }
    // A tiny valid layer, config and manifest that the fuzzed document may point at.
    let mut lb = tar::Builder::new(Vec::new());
    add(&mut lb, "etc/hostname", b"fuzz\n");
    let layer = lb.into_inner().unwrap();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{}"]}},"history":[{{"created_by":"x"}}]}}"#,
        sha(&layer)
    );
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}}"#,
        sha(config.as_bytes()),
        config.len(),
        sha(&layer),
        layer.len()
    );
    let hex = |d: &str| d.trim_start_matches("sha256:").to_string();
    let mut b = tar::Builder::new(Vec::new());
    for (data, _) in [(&layer[..], ()), (config.as_bytes(), ()), (manifest.as_bytes(), ())] {
        add(&mut b, &format!("blobs/sha256/{}", hex(&sha(data))), data);
    }
    add(&mut b, "layer.tar", &layer);
    add(&mut b, "config.json", config.as_bytes());
    match mode % 3 {
        0 => add(&mut b, "manifest.json", rest),
        1 => {
            add(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
            add(&mut b, "index.json", rest);
        }
        _ => {
            // Docker 25: both documents; the fuzzed one is the index.
            add(&mut b, "index.json", rest);
            add(
                &mut b,
                "manifest.json",
                br#"[{"Config":"config.json","RepoTags":["fuzz:latest"],"Layers":["layer.tar"]}]"#,
            );
        }
    }
    let archive = b.into_inner().unwrap();
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(&archive).unwrap();
    f.flush().unwrap();
    let opts = OpenOptions {
        limits: common::limits(),
        ..Default::default()
    };
    match source::open_path(f.path(), &opts) {
        Ok(src) => {
            let _ = src.image.layers.len();
            let _ = layerscope_core::analyze::analyze_source(
                src,
                &common::options(),
                &layerscope_core::layer::PassState::default(),
                None,
            );
        }
        Err(e) => common::check_error(&e),
    }
});

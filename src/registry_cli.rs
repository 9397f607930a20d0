//! The binary's side of registry pulls: the registry flags turned into options (the password
//! read from stdin), the `cache` subcommand, and what stderr says during and after a pull.

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli;
use layerscope_core::analysis::Analysis;
use layerscope_core::source::registry::{cache, RegistryOptions, Secret};

pub fn registry_options(r: &cli::RegistryArgs) -> Result<RegistryOptions> {
    let mut o = RegistryOptions {
        // Empty when RunArgs was built in code (export) rather than parsed: the default.
        pull: match r.pull.as_str() {
            "" => Default::default(),
            p => p.parse().map_err(anyhow::Error::msg)?,
        },
        insecure_registries: r.insecure_registry.clone(),
        no_cache: r.no_cache,
        username: r.username.clone(),
        ..Default::default()
    };
    if r.password_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_line(&mut text)
            .context("--password-stdin: cannot read stdin")?;
        let pw = text.trim_end_matches(['\r', '\n']);
        if pw.is_empty() {
            anyhow::bail!("--password-stdin: stdin held no password");
        }
        o.password = Some(Secret::new(pw));
    }
    Ok(o)
}

pub fn run_cache(clear: bool) -> Result<ExitCode> {
    let root = cache::default_root()
        .ok_or_else(|| anyhow::anyhow!("neither XDG_CACHE_HOME nor HOME is set"))?;
    if clear {
        let s = cache::clear(&root).map_err(anyhow::Error::new)?;
        println!(
            "removed {} blobs ({} bytes) from {}",
            s.blobs,
            s.bytes,
            root.display()
        );
    } else {
        let s = cache::stats(&root);
        println!("{}: {} blobs, {} bytes", root.display(), s.blobs, s.bytes);
    }
    Ok(ExitCode::SUCCESS)
}

/// Download progress (registry pulls, daemon streams) on a terminal's stderr, five times a
/// second at most; nothing when stderr is not a terminal, so `--json 2>log` stays clean.
pub fn transfer_progress(tty: bool) -> impl FnMut(u64, Option<u64>) {
    let mut last: Option<std::time::Instant> = None;
    move |done, total| {
        if !tty || last.is_some_and(|t| t.elapsed().as_millis() < 200) {
            return;
        }
        last = Some(std::time::Instant::now());
        let mb = |b: u64| b as f64 / 1e6;
        match total {
            Some(t) if t > 0 => eprint!(
                "\r\x1b[2Klayerscope: downloading {:.1} of {:.1} MB",
                mb(done.min(t)),
                mb(t)
            ),
            _ => eprint!("\r\x1b[2Klayerscope: received {:.1} MB", mb(done)),
        }
    }
}

/// Says on stderr where a registry image came from (the report says it too).
pub fn note_source(a: &Analysis) {
    if let Some(o) = &a.source.registry {
        // Layers pulled beside the analysis are counted by the transfer that brought them.
        let (more, more_bytes, more_cached) = a
            .source
            .container
            .arrivals()
            .map(|x| x.counts())
            .unwrap_or_default();
        eprintln!(
            "layerscope: {} from registry {} (manifest {}; {} blobs downloaded, {} bytes; {} from the cache)",
            a.source.image.reference,
            o.endpoint,
            o.manifest_digest,
            o.downloaded_blobs as u64 + more,
            o.downloaded_bytes + more_bytes,
            o.cached_blobs as u64 + more_cached
        );
    }
}

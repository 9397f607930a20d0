//! Downloading blobs into the cache: verified against digest and size while they stream,
//! resumed with `Range` after a cut connection, several at a time.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::cache::Cache;
use super::client::{error_code, Client};
use super::RegistryError;

/// Downloads at once: enough to fill a link, few enough not to trip registries' limits.
pub(super) const PARALLEL: usize = 4;
const RESUMES: u32 = 3;

/// One blob to have in the cache.
#[derive(Clone, Debug)]
pub(super) struct Want {
    pub digest: String,
    pub size: u64,
    /// `config`, `layer 3`: how errors name it.
    pub what: String,
}

#[derive(Debug, Default)]
pub(super) struct Counts {
    pub downloaded: usize,
    pub cached: usize,
    pub downloaded_bytes: u64,
}

fn hash_file(p: &std::path::Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        n_total += n as u64;
    }
    Ok((
        format!("sha256:{}", crate::digest::hex(&h.finalize())),
        n_total,
    ))
}

/// Makes sure the blob is in the cache, verified. Returns whether it was downloaded.
fn ensure(
    client: &Client,
    cache: &Cache,
    w: &Want,
    done: &AtomicU64,
    cancel: &AtomicBool,
) -> Result<bool, RegistryError> {
    let dest = cache
        .path(&w.digest)
        .ok_or_else(|| RegistryError::Protocol {
            registry: client.registry.clone(),
            detail: format!("{} has an invalid digest {:?}", w.what, w.digest),
        })?;
    if dest.is_file() {
        // A cached blob is re-hashed: the file could have been changed since it was written.
        if let Ok((d, n)) = hash_file(&dest) {
            if d == w.digest && n == w.size {
                done.fetch_add(w.size, Ordering::Relaxed);
                return Ok(false);
            }
        }
        let _ = std::fs::remove_file(&dest);
    }
    download(client, cache, w, done, cancel)?;
    Ok(true)
}

fn download(
    client: &Client,
    cache: &Cache,
    w: &Want,
    done: &AtomicU64,
    cancel: &AtomicBool,
) -> Result<PathBuf, RegistryError> {
    let mut tmp = cache.temp_file()?;
    let path = format!("/v2/{}/blobs/{}", client_repo(client), w.digest);
    let mut hasher = Sha256::new();
    let mut have = 0u64;
    let mut resumes = 0u32;
    let mut buf = vec![0u8; 256 * 1024];
    let write_err = |e: std::io::Error| RegistryError::Cache {
        path: tmp_display(cache),
        detail: e.to_string(),
    };
    'attempt: loop {
        let resp = client.get(&path, None, have)?;
        let status = resp.status().as_u16();
        match status {
            200 if have > 0 => {
                // The server ignored the Range: start over.
                done.fetch_sub(have, Ordering::Relaxed);
                have = 0;
                hasher = Sha256::new();
                tmp.as_file_mut().set_len(0).map_err(write_err)?;
                tmp.as_file_mut()
                    .seek(SeekFrom::Start(0))
                    .map_err(write_err)?;
            }
            200 | 206 => {}
            404 => {
                return Err(RegistryError::NotFound {
                    reference: format!("{}/{}", client.registry, client_repo(client)),
                    repository: format!("{}/{}", client.registry, client_repo(client)),
                    what: format!("{} blob {}", w.what, w.digest),
                    code: error_code(resp).0.unwrap_or_else(|| "BLOB_UNKNOWN".into()),
                })
            }
            _ => {
                let (_, message) = error_code(resp);
                return Err(RegistryError::Http {
                    registry: client.registry.clone(),
                    status,
                    request: path.clone(),
                    message,
                });
            }
        }
        let mut body = resp.into_body().into_reader();
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(RegistryError::Cancelled);
            }
            let n = match body.read(&mut buf) {
                Ok(n) => n,
                Err(e) if resumes < RESUMES => {
                    let _ = e;
                    resumes += 1;
                    std::thread::sleep(Duration::from_millis(200));
                    continue 'attempt;
                }
                Err(e) => {
                    return Err(RegistryError::Truncated {
                        registry: client.registry.clone(),
                        what: format!("{} {}", w.what, w.digest),
                        received: have,
                        expected: w.size,
                        detail: e.to_string(),
                    })
                }
            };
            if n == 0 {
                break;
            }
            if have + n as u64 > w.size {
                return Err(RegistryError::SizeMismatch {
                    what: format!("{} {}", w.what, w.digest),
                    expected: w.size,
                    detail: "the registry sent more bytes than the manifest declares".into(),
                });
            }
            hasher.update(&buf[..n]);
            tmp.as_file_mut().write_all(&buf[..n]).map_err(write_err)?;
            have += n as u64;
            done.fetch_add(n as u64, Ordering::Relaxed);
        }
        if have < w.size && resumes < RESUMES {
            // The connection ended early without an error: ask for the rest.
            resumes += 1;
            continue 'attempt;
        }
        break;
    }
    if have != w.size {
        return Err(RegistryError::SizeMismatch {
            what: format!("{} {}", w.what, w.digest),
            expected: w.size,
            detail: format!("received {have} bytes"),
        });
    }
    let actual = format!("sha256:{}", crate::digest::hex(&hasher.finalize()));
    if actual != w.digest {
        return Err(RegistryError::DigestMismatch {
            registry: client.registry.clone(),
            what: w.what.clone(),
            expected: w.digest.clone(),
            actual,
        });
    }
    tmp.as_file_mut().flush().map_err(write_err)?;
    cache.commit(tmp, &w.digest)
}

fn client_repo(c: &Client) -> &str {
    c.repository()
}

fn tmp_display(cache: &Cache) -> String {
    cache.root.join("tmp").display().to_string()
}

/// Fetches every wanted blob, `PARALLEL` at a time, in the order given. `progress(done, total)`
/// is called from the calling thread about ten times a second; `arrived(want, downloaded)` as
/// each blob is in the cache, verified (downloaded, or found there).
pub(super) fn fetch_all(
    client: &Client,
    cache: &Cache,
    wants: &[Want],
    cancelled: Option<&super::CancelCheck>,
    progress: &mut dyn FnMut(u64, Option<u64>),
    arrived: &(dyn Fn(&Want, bool) + Sync),
) -> Result<Counts, RegistryError> {
    let total: u64 = wants.iter().map(|w| w.size).sum();
    let done = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let first_err: Mutex<Option<RegistryError>> = Mutex::new(None);
    let counts = Mutex::new(Counts::default());
    let workers = PARALLEL.min(wants.len()).max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(w) = wants.get(i) else { break };
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                match ensure(client, cache, w, &done, &cancel) {
                    Ok(downloaded) => {
                        arrived(w, downloaded);
                        let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
                        if downloaded {
                            c.downloaded += 1;
                            c.downloaded_bytes += w.size;
                        } else {
                            c.cached += 1;
                        }
                    }
                    Err(e) => {
                        cancel.store(true, Ordering::Relaxed);
                        let mut g = first_err.lock().unwrap_or_else(|e| e.into_inner());
                        if g.is_none() || matches!(*g, Some(RegistryError::Cancelled)) {
                            *g = Some(e);
                        }
                    }
                }
                finished.fetch_add(1, Ordering::Relaxed);
            });
        }
        while finished.load(Ordering::Relaxed) < wants.len() && !cancel.load(Ordering::Relaxed) {
            progress(done.load(Ordering::Relaxed), Some(total));
            if cancelled.is_some_and(|c| (c.0)()) {
                cancel.store(true, Ordering::Relaxed);
                let mut g = first_err.lock().unwrap_or_else(|e| e.into_inner());
                g.get_or_insert(RegistryError::Cancelled);
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    progress(done.load(Ordering::Relaxed), Some(total));
    if let Some(e) = first_err.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    Ok(counts.into_inner().unwrap_or_else(|e| e.into_inner()))
}

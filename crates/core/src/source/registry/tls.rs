//! Which certificate authorities a registry's TLS is checked against: the system roots (or
//! `SSL_CERT_FILE` / `SSL_CERT_DIR`, which replace them), plus the per-registry folders Docker and
//! Podman use, which may also hold a client certificate for mutual TLS.

use std::path::{Path, PathBuf};

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// The trust a connection uses, and where it came from (named in TLS errors).
pub(super) struct Trust {
    pub config: TlsConfig,
    /// `system roots (143)`, `/etc/docker/certs.d/host:5000/ca.crt`, …
    pub sources: Vec<String>,
}

/// The per-registry folders, in the order Docker and Podman read them.
pub(super) fn certs_d_dirs(registry: &str) -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/etc/docker/certs.d").join(registry),
        PathBuf::from("/etc/containers/certs.d").join(registry),
    ];
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(
            Path::new(&home)
                .join(".config/containers/certs.d")
                .join(registry),
        );
        dirs.push(Path::new(&home).join(".docker/certs.d").join(registry));
    }
    dirs
}

pub(super) fn trust_for(registry: &str, skip_verify: bool) -> Trust {
    let mut certs: Vec<Certificate<'static>> = Vec::new();
    let mut sources = Vec::new();
    let native = rustls_native_certs::load_native_certs();
    let label = match (
        std::env::var_os("SSL_CERT_FILE"),
        std::env::var_os("SSL_CERT_DIR"),
    ) {
        (Some(f), _) => format!("SSL_CERT_FILE={}", Path::new(&f).display()),
        (None, Some(d)) => format!("SSL_CERT_DIR={}", Path::new(&d).display()),
        (None, None) => "the system roots".to_string(),
    };
    sources.push(format!("{label} ({} certificates)", native.certs.len()));
    certs.extend(
        native
            .certs
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned()),
    );
    let mut client = None;
    for dir in certs_d_dirs(registry) {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        names.sort();
        for p in &names {
            if p.extension().is_some_and(|e| e == "crt") {
                let n = read_certs(p, &mut certs);
                sources.push(format!("{} ({n} certificates)", p.display()));
            }
        }
        if client.is_none() {
            client = client_cert(&dir);
        }
    }
    let roots = if certs.is_empty() {
        sources.push("the bundled Mozilla roots".into());
        RootCerts::WebPki
    } else {
        RootCerts::new_with_certs(&certs)
    };
    let config = TlsConfig::builder()
        .root_certs(roots)
        .client_cert(client)
        .disable_verification(skip_verify)
        .build();
    Trust { config, sources }
}

fn read_certs(p: &Path, out: &mut Vec<Certificate<'static>>) -> usize {
    let Ok(bytes) = std::fs::read(p) else {
        return 0;
    };
    let before = out.len();
    for item in ureq::tls::parse_pem(&bytes).flatten() {
        if let PemItem::Certificate(c) = item {
            out.push(c);
        }
    }
    out.len() - before
}

/// `client.cert` + `client.key`, as Docker names them.
fn client_cert(dir: &Path) -> Option<ClientCert> {
    let cert = std::fs::read(dir.join("client.cert")).ok()?;
    let key = std::fs::read(dir.join("client.key")).ok()?;
    let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(&cert)
        .flatten()
        .filter_map(|i| match i {
            PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let key = PrivateKey::from_pem(&key).ok()?;
    (!chain.is_empty()).then(|| ClientCert::new_with_certs(&chain, key))
}

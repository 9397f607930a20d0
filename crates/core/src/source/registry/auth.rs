//! Credentials for a registry and the `WWW-Authenticate` challenges that ask for them.
//!
//! Looked up in the order Podman and Skopeo use: `--username`/`--password-stdin`, containers'
//! `auth.json` (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `~/.config/containers/auth.json`), then Docker's `$DOCKER_CONFIG/config.json` (`auths`,
//! `credHelpers`, `credsStore`, read by `docker_credential`). Every place looked at is recorded so
//! that an `unauthorized` error can say which ones were tried — never what they held.

use std::fmt;
use std::path::PathBuf;

use super::reference::Reference;

/// A string that never prints: `Debug` and `Display` show `<redacted>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Clone, Debug)]
pub enum Credential {
    Basic {
        username: String,
        password: Secret,
    },
    /// An OAuth refresh token (`identitytoken`, or a helper's `<token>` user).
    IdentityToken(Secret),
}

impl Credential {
    /// `Authorization: Basic …` for registries (and token endpoints) that take passwords.
    pub fn basic_header(&self) -> String {
        use base64::Engine;
        let (u, p) = match self {
            Credential::Basic { username, password } => (username.as_str(), password.expose()),
            Credential::IdentityToken(t) => ("<token>", t.expose()),
        };
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        )
    }
}

/// What the lookup found, and everything it looked at.
#[derive(Debug, Default)]
pub struct Found {
    pub credential: Option<Credential>,
    /// Where the credential came from, e.g. `/root/.docker/config.json`.
    pub source: Option<String>,
    pub tried: Vec<String>,
}

/// `auth.json` candidates, then Docker's config.json.
fn config_files() -> Vec<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut out = Vec::new();
    if let Some(p) = env("REGISTRY_AUTH_FILE") {
        out.push(p);
    }
    if let Some(d) = env("XDG_RUNTIME_DIR") {
        out.push(d.join("containers/auth.json"));
    }
    let home = env("HOME");
    if let Some(h) = &home {
        out.push(h.join(".config/containers/auth.json"));
    }
    match env("DOCKER_CONFIG") {
        Some(d) => out.push(d.join("config.json")),
        None => {
            if let Some(h) = &home {
                out.push(h.join(".docker/config.json"));
            }
        }
    }
    out
}

pub fn lookup(r: &Reference, cli: Option<(&str, &Secret)>) -> Found {
    let mut found = Found::default();
    if let Some((u, p)) = cli {
        found.tried.push("--username/--password-stdin".into());
        found.credential = Some(Credential::Basic {
            username: u.to_string(),
            password: p.clone(),
        });
        found.source = Some("--username/--password-stdin".into());
        return found;
    }
    use docker_credential::{CredentialRetrievalError as E, DockerCredential as D};
    for path in config_files() {
        let shown = path.display().to_string();
        let Ok(f) = std::fs::File::open(&path) else {
            continue;
        };
        match docker_credential::get_credential_from_reader(
            std::io::BufReader::new(f),
            r.auth_key(),
        ) {
            Ok(c) => {
                found.tried.push(shown.clone());
                found.credential = Some(match c {
                    D::UsernamePassword(username, p) => Credential::Basic {
                        username,
                        password: Secret::new(p),
                    },
                    D::IdentityToken(t) => Credential::IdentityToken(Secret::new(t)),
                });
                found.source = Some(shown);
                return found;
            }
            Err(E::NoCredentialConfigured) => found
                .tried
                .push(format!("{shown} (no entry for {})", r.auth_key())),
            // The helper's own output may hold secrets: only its name is reported.
            Err(E::HelperFailure { helper, .. }) => found
                .tried
                .push(format!("{shown} (credential helper {helper} has none)")),
            Err(E::HelperCommunicationError) => found
                .tried
                .push(format!("{shown} (its credential helper could not be run)")),
            Err(E::ConfigReadError) => found
                .tried
                .push(format!("{shown} (not valid JSON; ignored)")),
            Err(e) => found.tried.push(format!("{shown} ({e})")),
        }
    }
    if found.tried.is_empty() {
        found
            .tried
            .push("no auth.json or docker config.json exists".into());
    }
    found
}

/// One `WWW-Authenticate` challenge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Challenge {
    /// `basic` or `bearer` (lower case).
    pub scheme: String,
    pub realm: Option<String>,
    pub service: Option<String>,
    pub scope: Option<String>,
}

/// Parses `Bearer realm="…",service="…",scope="…"` (quoted or token values, any order).
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = match header.split_once(char::is_whitespace) {
        Some((s, r)) => (s, r),
        None => (header, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut c = Challenge {
        scheme: scheme.to_ascii_lowercase(),
        ..Default::default()
    };
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b',' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' && b[i] != b',' {
            i += 1;
        }
        let key = rest[ks..i].trim().to_ascii_lowercase();
        if i >= b.len() || b[i] != b'=' {
            continue;
        }
        i += 1;
        let mut val = String::new();
        if i < b.len() && b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                // Values are ASCII in practice; keep any UTF-8 intact byte by byte.
                let ch_len = utf8_len(b[i]);
                val.push_str(&rest[i..(i + ch_len).min(b.len())]);
                i += ch_len;
            }
            i += 1;
        } else {
            let vs = i;
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            val = rest[vs..i].trim().to_string();
        }
        match key.as_str() {
            "realm" => c.realm = Some(val),
            "service" => c.service = Some(val),
            "scope" => c.scope = Some(val),
            _ => {}
        }
    }
    Some(c)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.realm.as_deref(), Some("https://auth.docker.io/token"));
        assert_eq!(c.service.as_deref(), Some("registry.docker.io"));
        assert_eq!(c.scope.as_deref(), Some("repository:library/alpine:pull"));
        let c = parse_challenge(r#"Basic realm="test""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.realm.as_deref(), Some("test"));
        let c = parse_challenge("Bearer realm=http://x/token, service=s").unwrap();
        assert_eq!(c.realm.as_deref(), Some("http://x/token"));
        assert_eq!(c.service.as_deref(), Some("s"));
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Credential::Basic {
            username: "alice".into(),
            password: Secret::new("hunter2-fake"),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}

//! Registry references: `registry://HOST[:PORT]/REPO[:TAG|@sha256:HEX]` and the Docker short
//! forms, normalised the way `docker pull` does (`alpine` -> `docker.io/library/alpine:latest`).

use std::fmt;
use std::net::IpAddr;

use super::RegistryError;

pub const SCHEME: &str = "registry://";
/// Docker Hub as references name it, as its API is served, and as config.json keys it.
pub const HUB: &str = "docker.io";
pub const HUB_API: &str = "registry-1.docker.io";
pub const HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// As written in references: `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// `library/alpine`, `team/app`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `registry://…` or a bare docker reference (without the scheme).
    pub fn parse(input: &str) -> Result<Reference, RegistryError> {
        let s = input.strip_prefix(SCHEME).unwrap_or(input).trim();
        let bad = |why: &str| RegistryError::InvalidReference {
            input: shown_input(input),
            why: why.to_string(),
        };
        if s.is_empty() {
            return Err(bad("empty reference"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| bad("a digest must be sha256:<64 hex digits>"))?;
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad("a digest must be sha256:<64 hex digits>"));
                }
                (r, Some(format!("sha256:{}", hex.to_ascii_lowercase())))
            }
            None => (s, None),
        };
        // The tag is after the last ':' that follows the last '/', so `host:5000/app` has none.
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        if let Some(t) = tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && !t.starts_with(['.', '-'])
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !ok {
                return Err(bad(
                    "a tag is 1-128 of [A-Za-z0-9_.-], not starting with . or -",
                ));
            }
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, more))
                if first.contains(['.', ':']) || first == "localhost" || first.starts_with('[') =>
            {
                (first.to_string(), more.to_string())
            }
            _ => (HUB.to_string(), name.to_string()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => HUB.to_string(),
            _ => registry,
        };
        if !valid_host(&registry) {
            return Err(bad("the registry must be HOST or HOST:PORT"));
        }
        let repository = if registry == HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if repository.len() > 255 || !repository.split('/').all(valid_component) {
            return Err(bad(
                "the repository is lower-case path components of [a-z0-9] joined by . _ __ or -",
            ));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, None) => Some("latest".to_string()),
            (None, Some(_)) => None,
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host (and port) the API is served on.
    pub fn api_host(&self) -> &str {
        if self.registry == HUB {
            HUB_API
        } else {
            &self.registry
        }
    }

    /// The key credentials are stored under (config.json, auth.json, helpers).
    pub fn auth_key(&self) -> &str {
        if self.registry == HUB {
            HUB_AUTH_KEY
        } else {
            &self.registry
        }
    }

    /// What to ask the manifests endpoint for: the digest when pinned, else the tag.
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// Host part without the port, brackets removed (`[::1]:5000` -> `::1`).
    pub fn hostname(&self) -> &str {
        hostname_of(&self.registry)
    }

    pub fn is_loopback(&self) -> bool {
        is_loopback_host(self.hostname())
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

pub fn hostname_of(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.split(':').next().unwrap_or(registry)
}

/// Docker allows plain HTTP to these without configuration; so does layerscope.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Input as it may be quoted in an error: anything that could be `user:password@` is left out.
fn shown_input(input: &str) -> String {
    let s = input.strip_prefix(SCHEME).unwrap_or(input);
    let head = s.split('/').next().unwrap_or(s);
    if head.contains('@') {
        "(reference with credentials in it; credentials belong in docker login or --password-stdin)"
            .to_string()
    } else {
        crate::paths::escape(input.as_bytes())
    }
}

fn valid_host(h: &str) -> bool {
    let (host, port) = if let Some(rest) = h.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, tail)) => {
                if ip.parse::<std::net::Ipv6Addr>().is_err() {
                    return false;
                }
                (None, tail.strip_prefix(':'))
            }
            None => return false,
        }
    } else {
        match h.split_once(':') {
            Some((a, p)) => (Some(a), Some(p)),
            None => (Some(h), None),
        }
    };
    if let Some(p) = port {
        if p.parse::<u16>().is_err() {
            return false;
        }
    }
    host.is_none_or(|host| {
        !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    })
}

fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let ch = b[i];
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            i += 1;
            continue;
        }
        // Separators: '.', '_', '__', or any run of '-'.
        let start = i;
        while i < b.len() && !(b[i].is_ascii_lowercase() || b[i].is_ascii_digit()) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        Reference::parse(s).unwrap().to_string()
    }

    #[test]
    fn docker_hub_short_forms() {
        assert_eq!(p("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(p("alpine:3.20"), "docker.io/library/alpine:3.20");
        assert_eq!(p("acme/api:1.4.2"), "docker.io/acme/api:1.4.2");
        assert_eq!(
            p("index.docker.io/library/alpine"),
            "docker.io/library/alpine:latest"
        );
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(r.api_host(), HUB_API);
        assert_eq!(r.auth_key(), HUB_AUTH_KEY);
    }

    #[test]
    fn explicit_registries() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("registry://127.0.0.1:5000/team/app@{d}")).unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_ref(), d);
        assert!(r.is_loopback());
        assert_eq!(p("localhost/app"), "localhost/app:latest");
        assert_eq!(p("ghcr.io/acme/api:1.4.2"), "ghcr.io/acme/api:1.4.2");
        assert_eq!(
            p("registry.internal:5000/app"),
            "registry.internal:5000/app:latest"
        );
        assert_eq!(p("[::1]:5000/app:v1"), "[::1]:5000/app:v1");
        assert!(Reference::parse("[::1]:5000/app").unwrap().is_loopback());
        assert!(!Reference::parse("ghcr.io/a/b").unwrap().is_loopback());
    }

    #[test]
    fn refused_forms_do_not_echo_credentials() {
        for bad in [
            "",
            "Upper/Case",
            "app:",
            "app@sha256:12",
            "host:99999/app",
            "a//b",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
        let e = Reference::parse("registry://alice:s3cr3t@host/app").unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
    }
}

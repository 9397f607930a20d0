//! Where the daemon listens: `DOCKER_HOST`, Docker contexts, default sockets; Podman's sockets.
//!
//! Everything reads from an [`Env`] value instead of the process environment so the order can be
//! tested with a fake environment and a temporary `DOCKER_CONFIG`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::DaemonError;

/// Variables that discovery reads (captured by [`Env::from_process`]).
pub const ENV_VARS: &[&str] = &[
    "DOCKER_HOST",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "HOME",
    "CONTAINER_HOST",
    "XDG_RUNTIME_DIR",
];

/// Docker's well-known sockets, tried in order when nothing is configured.
pub const DOCKER_DEFAULT_SOCKETS: &[&str] = &["/var/run/docker.sock"];
/// Docker Desktop's per-user socket, relative to `$HOME`.
pub const DOCKER_DESKTOP_SOCKET: &str = ".docker/run/docker.sock";
/// Rootful Podman's API socket.
pub const PODMAN_ROOT_SOCKET: &str = "/run/podman/podman.sock";

/// The environment seen by discovery: variables (an empty value counts as unset, like the docker
/// CLI does) and nothing else; paths such as `~/.docker` derive from `HOME` / `DOCKER_CONFIG`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// An empty environment (no variable set).
    pub fn empty() -> Env {
        Env::default()
    }

    /// The variables of [`ENV_VARS`] from the process environment.
    pub fn from_process() -> Env {
        let mut env = Env::default();
        for k in ENV_VARS {
            if let Ok(v) = std::env::var(k) {
                env.vars.insert((*k).to_string(), v);
            }
        }
        env
    }

    /// Builds an environment from `(name, value)` pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Sets (or with `None` removes) a variable.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> &mut Env {
        match value {
            Some(v) => self.vars.insert(name.to_string(), v.to_string()),
            None => self.vars.remove(name),
        };
        self
    }

    /// A variable's value; empty values count as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `$DOCKER_CONFIG`, else `$HOME/.docker`.
    pub fn docker_config_dir(&self) -> Option<PathBuf> {
        if let Some(d) = self.get("DOCKER_CONFIG") {
            return Some(PathBuf::from(d));
        }
        self.get("HOME").map(|h| Path::new(h).join(".docker"))
    }
}

/// A daemon address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    /// Plain-text HTTP over TCP (`tcp://host:port`).
    Tcp {
        host: String,
        port: u16,
    },
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp { host, port } => {
                if host.contains(':') {
                    write!(f, "tcp://[{host}]:{port}")
                } else {
                    write!(f, "tcp://{host}:{port}")
                }
            }
        }
    }
}

/// An endpoint to try, and where it came from (for error messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub endpoint: Endpoint,
    /// `DOCKER_HOST`, `context "name"`, `default`, `CONTAINER_HOST`, …
    pub origin: String,
}

impl Candidate {
    fn new(endpoint: Endpoint, origin: impl Into<String>) -> Candidate {
        Candidate {
            endpoint,
            origin: origin.into(),
        }
    }
}

/// Parses a daemon address (`unix:///path`, `tcp://host[:port]`, `http://…`; a bare absolute path
/// counts as a unix socket). `tls` is whether TLS was asked for (`DOCKER_TLS_VERIFY` or a context
/// with TLS material): TLS is not implemented, so a TCP endpoint with `tls` is refused rather than
/// silently contacted in plain text.
pub fn parse_host(value: &str, origin: &str, tls: bool) -> Result<Endpoint, DaemonError> {
    let value = value.trim();
    let unsupported = |why: &str| DaemonError::UnsupportedEndpoint {
        endpoint: value.to_string(),
        origin: origin.to_string(),
        reason: why.to_string(),
    };
    if let Some(path) = value.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(unsupported("the socket path is empty"));
        }
        return Ok(Endpoint::Unix(PathBuf::from(path)));
    }
    if value.starts_with('/') {
        return Ok(Endpoint::Unix(PathBuf::from(value)));
    }
    let tcp = value
        .strip_prefix("tcp://")
        .or_else(|| value.strip_prefix("http://"));
    if let Some(rest) = tcp {
        if tls {
            return Err(DaemonError::TlsUnsupported {
                endpoint: value.to_string(),
                origin: origin.to_string(),
            });
        }
        // Drop any path part ("tcp://host:2375/" or a base path, which the Engine API never needs).
        let hostport = rest.split('/').next().unwrap_or("");
        let (host, port) =
            split_host_port(hostport).ok_or_else(|| unsupported("cannot parse host and port"))?;
        return Ok(Endpoint::Tcp { host, port });
    }
    if value.starts_with("https://") {
        return Err(DaemonError::TlsUnsupported {
            endpoint: value.to_string(),
            origin: origin.to_string(),
        });
    }
    if value.starts_with("ssh://") {
        return Err(unsupported(
            "ssh:// endpoints are not supported; forward the remote socket (ssh -L /tmp/docker.sock:/var/run/docker.sock host) and use DOCKER_HOST=unix:///tmp/docker.sock",
        ));
    }
    if value.starts_with("npipe://") || value.starts_with("fd://") {
        return Err(unsupported(
            "only unix:// and tcp:// endpoints are supported",
        ));
    }
    Err(unsupported("unknown scheme (expected unix:// or tcp://)"))
}

/// `host`, `host:port`, `[v6]:port`; the default port is Docker's plain-text 2375.
fn split_host_port(s: &str) -> Option<(String, u16)> {
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 2375,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => {
            let h = if h.is_empty() { "127.0.0.1" } else { h };
            Some((h.to_string(), p.parse().ok()?))
        }
        Some(_) => None,
        None => Some((s.to_string(), 2375)),
    }
}

/// Docker daemon candidates, in the docker CLI's order of precedence:
///
/// 1. `DOCKER_HOST` (only that one);
/// 2. the context named by `DOCKER_CONTEXT`, else `currentContext` in `$DOCKER_CONFIG/config.json`
///    (`$DOCKER_CONFIG` defaults to `~/.docker`), whose endpoint is `Endpoints.docker.Host` in
///    `$DOCKER_CONFIG/contexts/meta/<sha256 hex of the name>/meta.json` (only that one);
/// 3. otherwise `/var/run/docker.sock`, then Docker Desktop's `~/.docker/run/docker.sock`.
///
/// The context name `default` means "no context" (step 3).
pub fn docker_endpoints(env: &Env) -> Result<Vec<Candidate>, DaemonError> {
    let tls = env.get("DOCKER_TLS_VERIFY").is_some();
    if let Some(host) = env.get("DOCKER_HOST") {
        return Ok(vec![Candidate::new(
            parse_host(host, "DOCKER_HOST", tls)?,
            "DOCKER_HOST",
        )]);
    }
    let config_dir = env.docker_config_dir();
    let context = match env.get("DOCKER_CONTEXT") {
        Some(c) => Some((c.to_string(), "DOCKER_CONTEXT")),
        None => match &config_dir {
            Some(dir) => current_context(dir)?.map(|c| (c, "config.json currentContext")),
            None => None,
        },
    };
    if let Some((name, why)) = context {
        if name != "default" {
            let dir = config_dir.ok_or_else(|| DaemonError::Config {
                path: "~/.docker".into(),
                detail: format!(
                    "context {name:?} ({why}) is set but neither DOCKER_CONFIG nor HOME is"
                ),
            })?;
            let origin = format!("context {name:?}");
            let (host, ctx_tls) = context_endpoint(&dir, &name, why)?;
            return Ok(vec![Candidate::new(
                parse_host(&host, &origin, tls || ctx_tls)?,
                origin,
            )]);
        }
    }
    let mut out: Vec<Candidate> = DOCKER_DEFAULT_SOCKETS
        .iter()
        .map(|p| Candidate::new(Endpoint::Unix(PathBuf::from(p)), "default"))
        .collect();
    if let Some(home) = env.get("HOME") {
        out.push(Candidate::new(
            Endpoint::Unix(Path::new(home).join(DOCKER_DESKTOP_SOCKET)),
            "Docker Desktop",
        ));
    }
    Ok(out)
}

/// Podman candidates: `CONTAINER_HOST` (only that one), else the rootless socket
/// `$XDG_RUNTIME_DIR/podman/podman.sock`, then the rootful `/run/podman/podman.sock`.
pub fn podman_endpoints(env: &Env) -> Result<Vec<Candidate>, DaemonError> {
    if let Some(host) = env.get("CONTAINER_HOST") {
        return Ok(vec![Candidate::new(
            parse_host(host, "CONTAINER_HOST", false)?,
            "CONTAINER_HOST",
        )]);
    }
    let mut out = Vec::new();
    if let Some(dir) = env.get("XDG_RUNTIME_DIR") {
        out.push(Candidate::new(
            Endpoint::Unix(Path::new(dir).join("podman/podman.sock")),
            "rootless Podman",
        ));
    }
    out.push(Candidate::new(
        Endpoint::Unix(PathBuf::from(PODMAN_ROOT_SOCKET)),
        "rootful Podman",
    ));
    Ok(out)
}

/// `currentContext` from `<dir>/config.json`; a missing file means none.
fn current_context(dir: &Path) -> Result<Option<String>, DaemonError> {
    let path = dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(DaemonError::Config {
                path: path.display().to_string(),
                detail: e.to_string(),
            })
        }
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| DaemonError::Config {
        path: path.display().to_string(),
        detail: format!("invalid JSON: {e}"),
    })?;
    Ok(v.get("currentContext")
        .and_then(|c| c.as_str())
        .filter(|c| !c.is_empty())
        .map(str::to_string))
}

/// Directory name of a context: the sha256 hex digest of its name.
pub fn context_dir_name(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Docker endpoint of a context and whether the context holds TLS material.
fn context_endpoint(dir: &Path, name: &str, why: &str) -> Result<(String, bool), DaemonError> {
    let hash = context_dir_name(name);
    let meta = dir.join("contexts/meta").join(&hash).join("meta.json");
    let text = std::fs::read_to_string(&meta).map_err(|e| DaemonError::Config {
        path: meta.display().to_string(),
        detail: if e.kind() == std::io::ErrorKind::NotFound {
            format!("context {name:?} (from {why}) does not exist (see `docker context ls`)")
        } else {
            format!("cannot read context {name:?}: {e}")
        },
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| DaemonError::Config {
        path: meta.display().to_string(),
        detail: format!("invalid JSON: {e}"),
    })?;
    let host = v
        .pointer("/Endpoints/docker/Host")
        .and_then(|h| h.as_str())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| DaemonError::Config {
            path: meta.display().to_string(),
            detail: format!("context {name:?} has no Endpoints.docker.Host"),
        })?;
    let tls = dir.join("contexts/tls").join(&hash).join("docker").is_dir();
    Ok((host.to_string(), tls))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(p: &str) -> Endpoint {
        Endpoint::Unix(PathBuf::from(p))
    }

    fn write_context(config: &Path, name: &str, host: &str) {
        let dir = config.join("contexts/meta").join(context_dir_name(name));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("meta.json"),
            format!(r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#),
        )
        .unwrap();
    }

    #[test]
    fn context_hash_matches_docker_cli() {
        // `docker context create myctx` (docker CLI 28.2.2) made this directory under contexts/meta.
        assert_eq!(
            context_dir_name("myctx"),
            "b7dd5ada797513b6d710c626fc86ceafdc1747c4c4375a2213c763d9060c1720"
        );
    }

    #[test]
    fn defaults_without_anything() {
        let env = Env::from_pairs([("HOME", "/home/u")]);
        let c = docker_endpoints(&env).unwrap();
        let eps: Vec<_> = c.iter().map(|c| c.endpoint.clone()).collect();
        assert_eq!(
            eps,
            vec![
                unix("/var/run/docker.sock"),
                unix("/home/u/.docker/run/docker.sock")
            ]
        );
        assert_eq!(docker_endpoints(&Env::empty()).unwrap().len(), 1);
    }

    #[test]
    fn docker_host_wins_over_context() {
        let tmp = tempfile::tempdir().unwrap();
        write_context(tmp.path(), "other", "unix:///ctx.sock");
        let cfg = tmp.path().to_str().unwrap();
        let env = Env::from_pairs([
            ("DOCKER_HOST", "unix:///from/env.sock"),
            ("DOCKER_CONTEXT", "other"),
            ("DOCKER_CONFIG", cfg),
        ]);
        let c = docker_endpoints(&env).unwrap();
        assert_eq!(
            c,
            vec![Candidate::new(unix("/from/env.sock"), "DOCKER_HOST")]
        );
    }

    #[test]
    fn docker_context_env_then_config_current_context() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path();
        write_context(cfg, "envctx", "unix:///envctx.sock");
        write_context(cfg, "filectx", "tcp://127.0.0.1:2375");
        std::fs::write(
            cfg.join("config.json"),
            r#"{"auths":{},"currentContext":"filectx"}"#,
        )
        .unwrap();
        let base = Env::from_pairs([("DOCKER_CONFIG", cfg.to_str().unwrap())]);

        let mut env = base.clone();
        env.set("DOCKER_CONTEXT", Some("envctx"));
        let c = docker_endpoints(&env).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].endpoint, unix("/envctx.sock"));
        assert_eq!(c[0].origin, "context \"envctx\"");

        let c = docker_endpoints(&base).unwrap();
        assert_eq!(
            c[0].endpoint,
            Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: 2375
            }
        );

        // DOCKER_CONTEXT=default ignores config.json's currentContext.
        let mut env = base.clone();
        env.set("DOCKER_CONTEXT", Some("default"));
        assert_eq!(
            docker_endpoints(&env).unwrap()[0].endpoint,
            unix("/var/run/docker.sock")
        );

        // An empty DOCKER_HOST counts as unset.
        let mut env = base.clone();
        env.set("DOCKER_HOST", Some(""));
        assert_eq!(
            docker_endpoints(&env).unwrap()[0].origin,
            "context \"filectx\""
        );
    }

    #[test]
    fn home_docker_is_the_default_config_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().join(".docker");
        write_context(&cfg, "desk", "unix:///desk.sock");
        std::fs::write(cfg.join("config.json"), r#"{"currentContext":"desk"}"#).unwrap();
        let env = Env::from_pairs([("HOME", tmp.path().to_str().unwrap())]);
        assert_eq!(
            docker_endpoints(&env).unwrap()[0].endpoint,
            unix("/desk.sock")
        );
    }

    #[test]
    fn missing_context_and_bad_config_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().to_str().unwrap();
        let env = Env::from_pairs([("DOCKER_CONFIG", cfg), ("DOCKER_CONTEXT", "ghost")]);
        let e = docker_endpoints(&env).unwrap_err().to_string();
        assert!(
            e.contains("\"ghost\"") && e.contains("does not exist"),
            "{e}"
        );

        std::fs::write(tmp.path().join("config.json"), "{not json").unwrap();
        let env = Env::from_pairs([("DOCKER_CONFIG", cfg)]);
        let e = docker_endpoints(&env).unwrap_err().to_string();
        assert!(e.contains("invalid JSON"), "{e}");
    }

    #[test]
    fn tls_is_refused_not_downgraded() {
        let env = Env::from_pairs([
            ("DOCKER_HOST", "tcp://10.0.0.1:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
        ]);
        let e = docker_endpoints(&env).unwrap_err();
        assert!(matches!(e, DaemonError::TlsUnsupported { .. }), "{e}");
        assert!(e.to_string().contains("TLS"), "{e}");
        // TLS_VERIFY does not matter for a unix socket.
        let env = Env::from_pairs([("DOCKER_HOST", "unix:///s"), ("DOCKER_TLS_VERIFY", "1")]);
        assert_eq!(docker_endpoints(&env).unwrap()[0].endpoint, unix("/s"));

        // A context with TLS material and a tcp endpoint.
        let tmp = tempfile::tempdir().unwrap();
        write_context(tmp.path(), "remote", "tcp://example.invalid:2376");
        std::fs::create_dir_all(
            tmp.path()
                .join("contexts/tls")
                .join(context_dir_name("remote"))
                .join("docker"),
        )
        .unwrap();
        let env = Env::from_pairs([
            ("DOCKER_CONFIG", tmp.path().to_str().unwrap()),
            ("DOCKER_CONTEXT", "remote"),
        ]);
        assert!(matches!(
            docker_endpoints(&env).unwrap_err(),
            DaemonError::TlsUnsupported { .. }
        ));
    }

    #[test]
    fn host_syntax() {
        let p = |s| parse_host(s, "X", false);
        assert_eq!(p("unix:///a/b.sock").unwrap(), unix("/a/b.sock"));
        assert_eq!(p("/a.sock").unwrap(), unix("/a.sock"));
        assert_eq!(
            p("tcp://localhost:1234").unwrap(),
            Endpoint::Tcp {
                host: "localhost".into(),
                port: 1234
            }
        );
        assert_eq!(
            p("tcp://[::1]:1234/").unwrap(),
            Endpoint::Tcp {
                host: "::1".into(),
                port: 1234
            }
        );
        assert_eq!(
            p("tcp://h").unwrap(),
            Endpoint::Tcp {
                host: "h".into(),
                port: 2375
            }
        );
        assert_eq!(
            p("tcp://[::1]:1234").unwrap().to_string(),
            "tcp://[::1]:1234"
        );
        for bad in [
            "ssh://me@host",
            "npipe:////./pipe/docker_engine",
            "foo",
            "unix://",
            "tcp://h:x",
        ] {
            assert!(
                matches!(p(bad), Err(DaemonError::UnsupportedEndpoint { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            p("https://h:2376"),
            Err(DaemonError::TlsUnsupported { .. })
        ));
    }

    #[test]
    fn podman_order() {
        let env = Env::from_pairs([("XDG_RUNTIME_DIR", "/run/user/1000")]);
        let eps: Vec<_> = podman_endpoints(&env)
            .unwrap()
            .into_iter()
            .map(|c| c.endpoint)
            .collect();
        assert_eq!(
            eps,
            vec![
                unix("/run/user/1000/podman/podman.sock"),
                unix("/run/podman/podman.sock")
            ]
        );
        let env = Env::from_pairs([
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ("CONTAINER_HOST", "unix:///custom.sock"),
        ]);
        assert_eq!(
            podman_endpoints(&env).unwrap(),
            vec![Candidate::new(unix("/custom.sock"), "CONTAINER_HOST")]
        );
        assert_eq!(
            podman_endpoints(&Env::empty()).unwrap()[0].endpoint,
            unix("/run/podman/podman.sock")
        );
    }
}

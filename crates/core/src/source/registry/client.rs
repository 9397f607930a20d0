//! The HTTP side of the distribution API: one client per registry and repository that pings
//! `/v2/`, answers `Basic` and `Bearer` challenges, follows redirects itself (so that the
//! `Authorization` header only ever goes to the registry's own origin), and retries 429 and 5xx
//! answers honouring `Retry-After`.

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use ureq::http::Response;
use ureq::Body;

use super::auth::{self, Challenge, Credential, Found};
use super::reference::{is_loopback_host, Reference};
use super::tls;
use super::{RegistryError, RegistryOptions};

/// Longest `Retry-After` waited for; a longer one is reported instead.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
const MAX_RETRIES: u32 = 4;
const MAX_REDIRECTS: u32 = 10;
const MAX_ERROR_BODY: u64 = 64 * 1024;

pub(super) struct Client {
    agent: ureq::Agent,
    /// `https://127.0.0.1:5000` or `http://…`.
    pub base: String,
    pub registry: String,
    repository: String,
    insecure: bool,
    found: Found,
    trust_sources: Vec<String>,
    /// The `Authorization` value for the registry's origin, once a challenge was answered.
    auth: Mutex<Option<String>>,
}

/// A request's network failure, before it is turned into a user-facing error.
enum Failure {
    Cert(String),
    /// The TLS handshake failed in a way that suggests the server does not speak TLS.
    NotTls(String),
    Unreachable(String),
    Timeout(String),
}

/// The rustls error behind a request failure: ureq reports handshake errors directly or
/// wrapped in the I/O error of the stream.
fn rustls_of(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

fn classify(e: &ureq::Error) -> Failure {
    match rustls_of(e) {
        Some(rustls::Error::InvalidCertificate(c)) => return Failure::Cert(format!("{c:?}")),
        Some(
            rustls::Error::InvalidMessage(_)
            | rustls::Error::InappropriateMessage { .. }
            | rustls::Error::InappropriateHandshakeMessage { .. },
        ) => return Failure::NotTls(e.to_string()),
        _ => {}
    }
    match e {
        ureq::Error::Timeout(_) | ureq::Error::BodyStalled => Failure::Timeout(e.to_string()),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            Failure::Timeout(e.to_string())
        }
        _ => Failure::Unreachable(e.to_string()),
    }
}

/// `(scheme, host, port)` of an absolute URL, lower-cased, with the default port filled in.
fn origin(url: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = if let Some(r) = authority.strip_prefix('[') {
        let (h, tail) = r.split_once(']')?;
        (h.to_string(), tail.strip_prefix(':').map(str::to_string))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.to_string())),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None if scheme == "https" => 443,
        None => 80,
    };
    Some((scheme, host.to_ascii_lowercase(), port))
}

/// Resolves a `Location` against the URL it came from.
fn join(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    let authority = rest.split('/').next().unwrap_or(rest);
    if let Some(l) = location.strip_prefix("//") {
        return format!("{scheme}://{l}");
    }
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}");
    }
    let dir = match base.rfind('/') {
        Some(i) if i > scheme.len() + 2 => &base[..=i],
        _ => return format!("{scheme}://{authority}/{location}"),
    };
    format!("{dir}{location}")
}

fn retry_after(resp: &Response<Body>) -> Option<Duration> {
    let v = resp.headers().get("retry-after")?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.min(5))
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `code` and `message` of a distribution error body, when there is one.
pub(super) fn error_code(resp: Response<Body>) -> (Option<String>, String) {
    let mut body = Vec::new();
    let _ = resp
        .into_body()
        .into_reader()
        .take(MAX_ERROR_BODY)
        .read_to_end(&mut body);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let first = v.pointer("/errors/0");
    let code = first
        .and_then(|e| e.get("code"))
        .and_then(|c| c.as_str())
        .map(str::to_string);
    let msg = first
        .and_then(|e| e.get("message"))
        .and_then(|c| c.as_str())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
    (code, crate::paths::escape(msg.as_bytes()))
}

/// Listed with `--insecure-registry` as `HOST:PORT` or `HOST`.
fn is_insecure(r: &Reference, listed: &[String]) -> bool {
    listed
        .iter()
        .any(|h| h == &r.registry || h == r.api_host() || h == r.hostname())
}

/// Plain HTTP is tried only for loopback registries (as Docker allows) and listed ones; any
/// other registry that does not speak TLS is refused.
pub(super) fn plain_http_allowed(r: &Reference, listed: &[String]) -> bool {
    is_insecure(r, listed) || is_loopback_host(r.hostname())
}

impl Client {
    /// Connects to the registry of `r`: HTTPS first; plain HTTP only for loopback hosts and
    /// `--insecure-registry` ones, which also skip certificate verification.
    pub(super) fn connect(r: &Reference, opts: &RegistryOptions) -> Result<Client, RegistryError> {
        let host = r.api_host().to_string();
        let insecure = is_insecure(r, &opts.insecure_registries);
        let trust = tls::trust_for(&r.registry, insecure);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(trust.config)
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("layerscope/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_per_read(Some(opts.stall_timeout))
            .timeout_recv_response(Some(opts.stall_timeout))
            .build()
            .into();
        let cli = match (&opts.username, &opts.password) {
            (Some(u), Some(p)) => Some((u.as_str(), p)),
            _ => None,
        };
        let found = auth::lookup(r, cli);
        let mut c = Client {
            agent,
            base: format!("https://{host}"),
            registry: r.registry.clone(),
            repository: r.repository.clone(),
            insecure,
            found,
            trust_sources: trust.sources,
            auth: Mutex::new(None),
        };
        let plain_ok = plain_http_allowed(r, &opts.insecure_registries);
        match c.ping() {
            Ok(()) => Ok(c),
            Err(Failure::Cert(detail)) => Err(RegistryError::Tls {
                registry: c.registry.clone(),
                detail,
                tried: c.trust_sources.join(", "),
            }),
            Err(Failure::NotTls(detail)) | Err(Failure::Unreachable(detail)) if plain_ok => {
                c.base = format!("http://{host}");
                c.ping().map(|_| c).map_err(|f| match f {
                    Failure::Timeout(d) => RegistryError::Timeout {
                        registry: r.registry.clone(),
                        detail: d,
                    },
                    _ => RegistryError::Unreachable {
                        registry: r.registry.clone(),
                        detail,
                    },
                })
            }
            Err(Failure::NotTls(detail)) => Err(RegistryError::PlainHttp {
                registry: r.registry.clone(),
                detail,
            }),
            Err(Failure::Unreachable(detail)) => Err(RegistryError::Unreachable {
                registry: r.registry.clone(),
                detail,
            }),
            Err(Failure::Timeout(detail)) => Err(RegistryError::Timeout {
                registry: r.registry.clone(),
                detail,
            }),
        }
    }

    pub(super) fn repository(&self) -> &str {
        &self.repository
    }

    pub(super) fn is_plain_http(&self) -> bool {
        self.base.starts_with("http://")
    }

    /// `GET /v2/`: proves the API is there, and takes note of nothing else — the challenge is
    /// answered when a request for the repository gets one, with its scope.
    fn ping(&self) -> Result<(), Failure> {
        let url = format!("{}/v2/", self.base);
        let resp = self.agent.get(&url).call().map_err(|e| classify(&e))?;
        match resp.status().as_u16() {
            200 | 401 | 403 => Ok(()),
            // What a TLS-only server (Go's) answers to plain HTTP, or not a registry at all.
            s => Err(Failure::NotTls(format!("GET /v2/ answered HTTP {s}"))),
        }
    }

    fn current_auth(&self) -> Option<String> {
        self.auth.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn unauthorized(&self, status: u16, code: Option<String>) -> RegistryError {
        RegistryError::Unauthorized {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            status,
            code: code.unwrap_or_else(|| "UNAUTHORIZED".into()),
            tried: match (&self.found.credential, &self.found.source) {
                (Some(_), Some(src)) => format!("{src} (its credential was refused)"),
                _ => self.found.tried.join(", "),
            },
        }
    }

    /// Answers a challenge: sets the `Authorization` the next requests carry.
    fn answer(&self, ch: &Challenge) -> Result<(), RegistryError> {
        let header = match ch.scheme.as_str() {
            "basic" => match &self.found.credential {
                Some(c) => c.basic_header(),
                None => return Err(self.unauthorized(401, None)),
            },
            "bearer" => format!("Bearer {}", self.token(ch)?),
            other => {
                return Err(RegistryError::Protocol {
                    registry: self.registry.clone(),
                    detail: format!("unsupported authentication scheme {other:?}"),
                })
            }
        };
        *self.auth.lock().unwrap_or_else(|e| e.into_inner()) = Some(header);
        Ok(())
    }

    /// The token flow: `GET realm?service=…&scope=…`, with Basic credentials when there are some,
    /// or an OAuth refresh-token `POST` for an identity token.
    fn token(&self, ch: &Challenge) -> Result<String, RegistryError> {
        let proto = |detail: String| RegistryError::Protocol {
            registry: self.registry.clone(),
            detail,
        };
        let realm = ch
            .realm
            .as_deref()
            .ok_or_else(|| proto("Bearer challenge without a realm".into()))?;
        let (scheme, realm_host, _) =
            origin(realm).ok_or_else(|| proto(format!("token realm {realm:?} is not a URL")))?;
        let scope = ch
            .scope
            .clone()
            .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
        // Passwords never travel in plain text, except to loopback or declared-insecure hosts.
        let cred = self
            .found
            .credential
            .as_ref()
            .filter(|_| scheme == "https" || self.insecure || is_loopback_host(&realm_host));
        let mut query = Vec::new();
        if let Some(s) = &ch.service {
            query.push(format!("service={}", enc(s)));
        }
        query.push(format!("scope={}", enc(&scope)));
        let url = format!(
            "{realm}{}{}",
            if realm.contains('?') { "&" } else { "?" },
            query.join("&")
        );
        let resp = match cred {
            Some(Credential::IdentityToken(t)) => {
                let mut form = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", t.expose()),
                    ("client_id", "layerscope"),
                    ("scope", scope.as_str()),
                ];
                if let Some(s) = &ch.service {
                    form.push(("service", s.as_str()));
                }
                self.agent.post(realm).send_form(form)
            }
            Some(c) => self
                .agent
                .get(&url)
                .header("Authorization", &c.basic_header())
                .call(),
            None => self.agent.get(&url).call(),
        }
        .map_err(|e| RegistryError::Unreachable {
            registry: format!("{} (token service {realm_host})", self.registry),
            detail: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            let (code, _) = error_code(resp);
            return Err(self.unauthorized(status, code));
        }
        if status != 200 {
            return Err(proto(format!(
                "token service {realm_host} answered HTTP {status}"
            )));
        }
        let mut body = Vec::new();
        resp.into_body()
            .into_reader()
            .take(1 << 20)
            .read_to_end(&mut body)
            .map_err(|e| proto(format!("reading the token: {e}")))?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| proto(format!("token service {realm_host} sent no JSON")))?;
        v.get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .ok_or_else(|| proto(format!("token service {realm_host} sent no token")))
    }

    /// `GET base + path`, authenticated, redirected and retried. `offset > 0` asks for
    /// `Range: bytes=offset-`. Returns the final response whatever its status (except 401/403,
    /// 429 and 5xx, which become errors once retries are spent).
    pub(super) fn get(
        &self,
        path: &str,
        accept: Option<&str>,
        offset: u64,
    ) -> Result<Response<Body>, RegistryError> {
        let home = origin(&self.base);
        let mut url = format!("{}{}", self.base, path);
        let mut answered = false;
        let mut attempts = 0u32;
        let mut hops = 0u32;
        loop {
            let same = origin(&url) == home;
            let mut req = self.agent.get(&url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if offset > 0 {
                req = req.header("Range", &format!("bytes={offset}-"));
            }
            if same {
                if let Some(a) = self.current_auth() {
                    req = req.header("Authorization", &a);
                }
            }
            let resp = match req.call() {
                Ok(r) => r,
                Err(e) => {
                    let f = classify(&e);
                    if attempts < MAX_RETRIES && !matches!(f, Failure::Cert(_)) {
                        std::thread::sleep(backoff(attempts));
                        attempts += 1;
                        continue;
                    }
                    let host = origin(&url).map(|o| o.1).unwrap_or_default();
                    return Err(match f {
                        Failure::Cert(detail) => RegistryError::Tls {
                            registry: host,
                            detail,
                            tried: self.trust_sources.join(", "),
                        },
                        Failure::Timeout(detail) => RegistryError::Timeout {
                            registry: host,
                            detail,
                        },
                        Failure::NotTls(detail) | Failure::Unreachable(detail) => {
                            RegistryError::Unreachable {
                                registry: host,
                                detail,
                            }
                        }
                    });
                }
            };
            let status = resp.status().as_u16();
            match status {
                301 | 302 | 303 | 307 | 308 => {
                    hops += 1;
                    let loc = resp
                        .headers()
                        .get("location")
                        .and_then(|l| l.to_str().ok())
                        .map(str::to_string);
                    let Some(loc) = loc.filter(|_| hops <= MAX_REDIRECTS) else {
                        return Err(RegistryError::Protocol {
                            registry: self.registry.clone(),
                            detail: format!("too many or broken redirects for {path}"),
                        });
                    };
                    url = join(&url, &loc);
                    if !url.starts_with("https://") && !url.starts_with("http://") {
                        return Err(RegistryError::Protocol {
                            registry: self.registry.clone(),
                            detail: format!("redirect for {path} to a non-HTTP URL"),
                        });
                    }
                    continue;
                }
                401 if same && !answered => {
                    answered = true;
                    let ch = resp
                        .headers()
                        .get_all("www-authenticate")
                        .iter()
                        .filter_map(|h| h.to_str().ok())
                        .filter_map(auth::parse_challenge)
                        .max_by_key(|c| c.scheme == "bearer");
                    match ch {
                        Some(ch) => self.answer(&ch)?,
                        None => return Err(self.unauthorized(401, error_code(resp).0)),
                    }
                    continue;
                }
                401 | 403 => return Err(self.unauthorized(status, error_code(resp).0)),
                429 | 500 | 502 | 503 | 504 => {
                    let wait = retry_after(&resp);
                    if attempts < MAX_RETRIES && wait.is_none_or(|w| w <= MAX_RETRY_WAIT) {
                        std::thread::sleep(wait.unwrap_or_else(|| backoff(attempts)));
                        attempts += 1;
                        continue;
                    }
                    if status == 429 {
                        return Err(RegistryError::RateLimited {
                            registry: self.registry.clone(),
                            wait: wait.map(|w| w.as_secs()),
                        });
                    }
                    let (_, message) = error_code(resp);
                    return Err(RegistryError::Http {
                        registry: self.registry.clone(),
                        status,
                        request: path.to_string(),
                        message,
                    });
                }
                _ => return Ok(resp),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_for_loopback_or_listed_registries() {
        let r = |s: &str| Reference::parse(s).unwrap();
        assert!(plain_http_allowed(&r("127.0.0.1:5000/a"), &[]));
        assert!(plain_http_allowed(&r("localhost:5000/a"), &[]));
        assert!(plain_http_allowed(&r("[::1]:5000/a"), &[]));
        assert!(!plain_http_allowed(&r("registry.internal:5000/a"), &[]));
        assert!(!plain_http_allowed(&r("alpine"), &[]));
        let listed = vec!["registry.internal:5000".to_string()];
        assert!(plain_http_allowed(&r("registry.internal:5000/a"), &listed));
        assert!(!plain_http_allowed(&r("registry.internal:5001/a"), &listed));
        assert!(plain_http_allowed(
            &r("registry.internal:5001/a"),
            &["registry.internal".into()]
        ));
    }

    #[test]
    fn origins_and_joins() {
        assert_eq!(
            origin("https://Reg.example/v2/"),
            Some(("https".into(), "reg.example".into(), 443))
        );
        assert_eq!(
            origin("http://127.0.0.1:5000/x"),
            Some(("http".into(), "127.0.0.1".into(), 5000))
        );
        assert_ne!(
            origin("http://127.0.0.1:5000/"),
            origin("http://127.0.0.1:5001/")
        );
        assert_eq!(
            join("http://127.0.0.1:5000/v2/a/blobs/x", "/other"),
            "http://127.0.0.1:5000/other"
        );
        assert_eq!(
            join("http://127.0.0.1:5000/v2/a/blobs/x", "http://cdn/x"),
            "http://cdn/x"
        );
        assert_eq!(join("https://h/v2/a/b", "c"), "https://h/v2/a/c");
    }
}

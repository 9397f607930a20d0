//! Credential-file parsers. Each returns the byte ranges of secret values.

use std::ops::Range;
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use regex_automata::meta;

use super::filters::{is_placeholder, is_user_pass};
use super::history::is_secret_name;
use super::regex::build_regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parser {
    Netrc,
    Npmrc,
    Pypirc,
    DockerConfig,
    AwsCredentials,
    Kubeconfig,
    GitCredentials,
    Pgpass,
    Dotenv,
    ShellHistory,
    VaultToken,
    /// Not a file parser: `K=V` environment entries (`Scanner::scan_env`).
    Env,
    /// Not a file parser: `|N K=V` build args in history.
    BuildArg,
}

impl Parser {
    pub(crate) fn from_name(name: &str) -> Option<Parser> {
        Some(match name {
            "netrc" => Parser::Netrc,
            "npmrc" => Parser::Npmrc,
            "pypirc" => Parser::Pypirc,
            "docker-config" => Parser::DockerConfig,
            "aws-credentials" => Parser::AwsCredentials,
            "kubeconfig" => Parser::Kubeconfig,
            "git-credentials" => Parser::GitCredentials,
            "pgpass" => Parser::Pgpass,
            "dotenv" => Parser::Dotenv,
            "shell-history" => Parser::ShellHistory,
            "vault-token" => Parser::VaultToken,
            "env" => Parser::Env,
            "build-arg" => Parser::BuildArg,
            _ => return None,
        })
    }

    /// Secret ranges in `data`.
    pub(crate) fn parse(self, data: &[u8]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        match self {
            Parser::Netrc => netrc(data, &mut out),
            Parser::Npmrc => ini(data, b"=", &mut out, |k| {
                k.ends_with("_authtoken") || k.ends_with("_auth") || k.ends_with("_password")
            }),
            Parser::Pypirc => ini(data, b"=:", &mut out, |k| k == "password"),
            Parser::AwsCredentials => ini(data, b"=", &mut out, |k| {
                matches!(
                    k,
                    "aws_secret_access_key" | "aws_session_token" | "aws_security_token"
                )
            }),
            Parser::DockerConfig => docker_config(data, &mut out),
            Parser::Kubeconfig => kubeconfig(data, &mut out),
            Parser::GitCredentials => git_credentials(data, &mut out),
            Parser::Pgpass => pgpass(data, &mut out),
            Parser::Dotenv => dotenv(data, &mut out),
            Parser::ShellHistory => shell_history(data, &mut out),
            Parser::VaultToken => vault_token(data, &mut out),
            Parser::Env | Parser::BuildArg => {}
        }
        out.retain(|r| r.start < r.end && !is_placeholder(&data[r.clone()]));
        out
    }
}

/// Lines with their start offsets, without the trailing `\r\n`.
fn lines(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let start = pos;
        let end = memchr::memchr(b'\n', &data[pos..])
            .map(|i| pos + i)
            .unwrap_or(data.len());
        pos = end + 1;
        let mut line = &data[start..end];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        Some((start, line))
    })
}

fn trim_range(data: &[u8], mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end && data[r.start].is_ascii_whitespace() {
        r.start += 1;
    }
    while r.end > r.start && data[r.end - 1].is_ascii_whitespace() {
        r.end -= 1;
    }
    r
}

/// Strip one level of matching quotes.
fn unquote(data: &[u8], r: Range<usize>) -> Range<usize> {
    let r = trim_range(data, r);
    if r.end - r.start >= 2 {
        let (a, b) = (data[r.start], data[r.end - 1]);
        if (a == b'"' || a == b'\'') && a == b {
            return r.start + 1..r.end - 1;
        }
    }
    r
}

/// INI-style `key <sep> value`; `want` gets the lowercased key.
fn ini(data: &[u8], seps: &[u8], out: &mut Vec<Range<usize>>, want: impl Fn(&str) -> bool) {
    for (off, line) in lines(data) {
        let t = line.trim_ascii_start();
        if t.is_empty() || matches!(t[0], b'#' | b';' | b'[') {
            continue;
        }
        let Some(i) = line.iter().position(|b| seps.contains(b)) else {
            continue;
        };
        let key = String::from_utf8_lossy(line[..i].trim_ascii()).to_ascii_lowercase();
        if want(&key) {
            out.push(unquote(data, off + i + 1..off + line.len()));
        }
    }
}

fn netrc(data: &[u8], out: &mut Vec<Range<usize>>) {
    // whitespace-separated tokens; "quoted tokens" allowed; macdef bodies skipped
    let mut toks: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    let n = data.len();
    while i < n {
        let b = data[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b == b'#' {
            while i < n && data[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if b == b'"' {
            let s = i + 1;
            let mut e = s;
            while e < n && data[e] != b'"' && data[e] != b'\n' {
                e += if data[e] == b'\\' { 2 } else { 1 };
            }
            let e = e.min(n);
            toks.push(s..e);
            i = e + 1;
            continue;
        }
        let s = i;
        while i < n && !data[i].is_ascii_whitespace() {
            i += 1;
        }
        let tok = &data[s..i];
        toks.push(s..i);
        if tok == b"macdef" {
            // skip to the next empty line
            match memchr::memmem::find(&data[i..], b"\n\n") {
                Some(j) => i += j + 2,
                None => i = n,
            }
        }
    }
    let mut k = 0;
    while k + 1 < toks.len() {
        if &data[toks[k].clone()] == b"password" {
            out.push(toks[k + 1].clone());
            k += 2;
        } else {
            k += 1;
        }
    }
}

fn docker_config(data: &[u8], out: &mut Vec<Range<usize>>) {
    static RE: OnceLock<meta::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        build_regex(
            r#""(auth|identitytoken|registrytoken|password)"\s*:\s*"([^"\\]*)""#,
            false,
        )
        .expect("docker regex")
    });
    let mut caps = re.create_captures();
    let mut input = regex_automata::Input::new(data);
    loop {
        re.search_captures(&input, &mut caps);
        let Some(m) = caps.get_match() else { break };
        let (Some(k), Some(v)) = (caps.get_group(1), caps.get_group(2)) else {
            break;
        };
        let value = &data[v.range()];
        let keep = if &data[k.range()] == b"auth" {
            STANDARD
                .decode(value)
                .map(|d| is_user_pass(&d))
                .unwrap_or(false)
        } else {
            !value.is_empty()
        };
        if keep {
            out.push(v.range());
        }
        input.set_start(m.end().max(m.start() + 1));
        if input.start() >= data.len() {
            break;
        }
    }
}

fn kubeconfig(data: &[u8], out: &mut Vec<Range<usize>>) {
    const KEYS: &[&[u8]] = &[
        b"token",
        b"client-key-data",
        b"password",
        b"id-token",
        b"refresh-token",
        b"client-secret",
        b"access-token",
    ];
    for (off, line) in lines(data) {
        let mut t = line.trim_ascii_start();
        if let Some(rest) = t.strip_prefix(b"- ") {
            t = rest.trim_ascii_start();
        }
        let Some(i) = memchr::memchr(b':', t) else {
            continue;
        };
        let key = t[..i].trim_ascii();
        let key = key
            .strip_prefix(b"\"")
            .and_then(|k| k.strip_suffix(b"\""))
            .unwrap_or(key);
        if !KEYS.contains(&key) {
            continue;
        }
        let vstart = off + (line.len() - t.len()) + i + 1;
        let mut vend = off + line.len();
        // strip a trailing comment (" #")
        if let Some(c) = memchr::memmem::find(&data[vstart..vend], b" #") {
            vend = vstart + c;
        }
        let r = unquote(data, vstart..vend);
        let v = &data[r.clone()];
        if v.is_empty() || v == b"|" || v == b">" {
            continue;
        }
        if key == b"client-key-data" {
            let ok = STANDARD
                .decode(v)
                .map(|d| memchr::memmem::find(&d, b"PRIVATE KEY").is_some())
                .unwrap_or(false);
            if !ok {
                continue;
            }
        }
        out.push(r);
    }
}

fn git_credentials(data: &[u8], out: &mut Vec<Range<usize>>) {
    for (off, line) in lines(data) {
        let Some(s) = memchr::memmem::find(line, b"://") else {
            continue;
        };
        let auth_start = s + 3;
        let auth_end = line[auth_start..]
            .iter()
            .position(|&b| b == b'/')
            .map(|i| auth_start + i)
            .unwrap_or(line.len());
        let authority = &line[auth_start..auth_end];
        let Some(at) = memchr::memrchr(b'@', authority) else {
            continue;
        };
        let userinfo = &authority[..at];
        let Some(colon) = memchr::memchr(b':', userinfo) else {
            continue;
        };
        let ps = off + auth_start + colon + 1;
        let pe = off + auth_start + at;
        out.push(ps..pe);
    }
}

fn pgpass(data: &[u8], out: &mut Vec<Range<usize>>) {
    for (off, line) in lines(data) {
        if line.trim_ascii_start().starts_with(b"#") {
            continue;
        }
        let mut fields = 0;
        let mut i = 0;
        while i < line.len() && fields < 4 {
            match line[i] {
                b'\\' => i += 2,
                b':' => {
                    fields += 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        if fields == 4 && i < line.len() {
            out.push(off + i..off + line.len());
        }
    }
}

/// `KEY=VALUE` with an optional `export `; value may be quoted; ` #` comments.
fn assignment(data: &[u8], off: usize, line: &[u8]) -> Option<(String, Range<usize>)> {
    let mut t = line.trim_ascii_start();
    let mut base = off + (line.len() - t.len());
    if let Some(rest) = t.strip_prefix(b"export ") {
        let r2 = rest.trim_ascii_start();
        base += t.len() - r2.len();
        t = r2;
    }
    let eq = memchr::memchr(b'=', t)?;
    let key = &t[..eq];
    if key.is_empty()
        || !key
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return None;
    }
    let vs = base + eq + 1;
    let mut ve = base + t.len();
    let v = &data[vs..ve];
    let first = v.first().copied();
    if matches!(first, Some(b'"') | Some(b'\'')) {
        let q = first.unwrap();
        if let Some(j) = memchr::memchr(q, &v[1..]) {
            return Some((
                String::from_utf8_lossy(key).into_owned(),
                vs + 1..vs + 1 + j,
            ));
        }
    } else if let Some(c) = memchr::memmem::find(v, b" #") {
        ve = vs + c;
    }
    Some((
        String::from_utf8_lossy(key).into_owned(),
        trim_range(data, vs..ve),
    ))
}

/// Value should be reported for a secret-named key.
pub(crate) fn is_reportable_value(key: &str, v: &[u8]) -> bool {
    if v.is_empty() || is_placeholder(v) {
        return false;
    }
    if !is_secret_name(key) {
        return false;
    }
    let upper = key.to_ascii_uppercase();
    if upper.split(['_', '-', '.']).any(|c| {
        matches!(
            c,
            "GPG"
                | "PGP"
                | "PUBLIC"
                | "FINGERPRINT"
                | "FILE"
                | "PATH"
                | "DIR"
                | "URL"
                | "SIZE"
                | "LENGTH"
                | "ID"
                | "TYPE"
                | "NAME"
        )
    }) {
        return false;
    }
    let s = String::from_utf8_lossy(v);
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "yes" | "no" | "on" | "off" | "0" | "1" | "enabled" | "disabled"
    ) {
        return false;
    }
    if s.starts_with('/') || s.starts_with("./") || s.starts_with("~/") || s.starts_with("file:") {
        return false;
    }
    if s.len() < 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    s.len() >= 4
}

fn dotenv(data: &[u8], out: &mut Vec<Range<usize>>) {
    for (off, line) in lines(data) {
        if line.trim_ascii_start().starts_with(b"#") {
            continue;
        }
        if let Some((k, r)) = assignment(data, off, line) {
            if is_reportable_value(&k, &data[r.clone()]) {
                out.push(r);
            }
        }
    }
}

fn shell_history(data: &[u8], out: &mut Vec<Range<usize>>) {
    for (off, mut line) in lines(data) {
        let mut off = off;
        // zsh extended history ": 1700000000:0;cmd"
        if line.starts_with(b": ") {
            if let Some(i) = memchr::memchr(b';', line) {
                off += i + 1;
                line = &line[i + 1..];
            }
        }
        // every `export NAME=value` in the line, and a leading `NAME=value`
        let mut starts: Vec<usize> = memchr::memmem::find_iter(line, b"export ")
            .filter(|&i| i == 0 || !line[i - 1].is_ascii_alphanumeric())
            .collect();
        let lead = line.len() - line.trim_ascii_start().len();
        if !starts.contains(&lead) {
            starts.push(lead);
        }
        for s in starts {
            let seg = &line[s..];
            let end = seg
                .iter()
                .position(|&b| matches!(b, b';' | b'&' | b'|'))
                .unwrap_or(seg.len());
            let seg = &seg[..end];
            // only the first word of the segment after `export`
            let (kstart, body) = match seg.strip_prefix(b"export ") {
                Some(r) => (s + 7, r),
                None => (s, seg),
            };
            let word_end = {
                // value may be quoted and contain spaces
                let eq = memchr::memchr(b'=', body);
                match eq {
                    Some(e) if matches!(body.get(e + 1), Some(b'"') | Some(b'\'')) => {
                        let q = body[e + 1];
                        memchr::memchr(q, &body[e + 2..])
                            .map(|j| e + 3 + j)
                            .unwrap_or(body.len())
                    }
                    _ => body.iter().position(|b| *b == b' ').unwrap_or(body.len()),
                }
            };
            let _ = kstart;
            let word_off = off + s + (seg.len() - body.len());
            if let Some((k, r)) = assignment(data, word_off, &body[..word_end]) {
                if is_reportable_value(&k, &data[r.clone()]) {
                    out.push(r);
                }
            }
        }
    }
}

fn vault_token(data: &[u8], out: &mut Vec<Range<usize>>) {
    let r = trim_range(data, 0..data.len());
    let v = &data[r.clone()];
    if (8..=1024).contains(&v.len()) && !v.iter().any(|b| b.is_ascii_whitespace()) {
        out.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(p: Parser, data: &str) -> Vec<String> {
        p.parse(data.as_bytes())
            .into_iter()
            .map(|r| data[r].to_string())
            .collect()
    }

    #[test]
    fn netrc_tokens() {
        let d = "machine a.example login bob password S3cr3tPw1\n\nmacdef init\npassword no\n\ndefault login x password \"Q q2Zr\"\n";
        assert_eq!(vals(Parser::Netrc, d), vec!["S3cr3tPw1", "Q q2Zr"]);
    }

    #[test]
    fn pgpass_escapes() {
        let d = "# c\nhost:5432:db:user:Pw\\:x9Lk\n*:*:*:*:\n";
        assert_eq!(vals(Parser::Pgpass, d), vec!["Pw\\:x9Lk"]);
    }

    #[test]
    fn history_exports() {
        let d = ": 1700000000:0;export GITHUB_TOKEN=Zk29vLq81mXa && make\nls\nAPI_KEY='k3Y v4l9q' ./run\nexport PATH=/usr/bin\n";
        assert_eq!(
            vals(Parser::ShellHistory, d),
            vec!["Zk29vLq81mXa", "k3Y v4l9q"]
        );
    }
}

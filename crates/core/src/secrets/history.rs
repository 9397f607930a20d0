//! Image config / history helpers: build args, secret-looking names.

use std::ops::Range;

use super::types::BuildArg;

/// BuildKit's `SecretsUsedInArgOrEnv` name test:
/// deny `(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)`
/// unless allow `(?i)(?:_|^)(?:public)(?:_|$)` matches.
pub fn is_secret_name(key: &str) -> bool {
    const DENY: &[&str] = &[
        "apikey",
        "auth",
        "credential",
        "credentials",
        "key",
        "password",
        "pword",
        "passwd",
        "secret",
        "token",
    ];
    let mut deny = false;
    for part in key.split('_') {
        if part.eq_ignore_ascii_case("public") {
            return false;
        }
        if DENY.iter().any(|d| part.eq_ignore_ascii_case(d)) {
            deny = true;
        }
    }
    deny
}

fn is_ident_assign(tok: &str) -> Option<usize> {
    let eq = tok.find('=')?;
    let k = &tok[..eq];
    let mut b = k.bytes();
    let first = b.next()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    if b.all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        Some(eq)
    } else {
        None
    }
}

/// Markers that start the command after the build-arg prefix.
const CMD_MARKERS: &[&str] = &[
    "/bin/sh ",
    "/bin/bash ",
    "/bin/ash ",
    "/bin/dash ",
    "/usr/bin/env ",
    "sh -c ",
    "bash -c ",
    "cmd /S /C ",
    "powershell ",
    "pwsh ",
];

/// Parse the `|N K=V K2=V2 cmd…` prefix Docker writes into history
/// `created_by` for `RUN` steps that see build args (classic builder:
/// `|2 A=1 B=2 /bin/sh -c …`; BuildKit: `RUN |1 TOKEN=abc /bin/sh -c … # buildkit`).
///
/// Values are not quoted by Docker; a value runs up to the next
/// space-separated `NAME=` (for all but the last pair) or up to the
/// command (for the last pair: the next `/bin/sh`-like marker, else the next
/// space).
pub fn split_build_args(created_by: &str) -> Vec<BuildArg> {
    let mut out = Vec::new();
    let lead = created_by.len() - created_by.trim_start().len();
    let mut s = &created_by[lead..];
    let mut base = lead;
    if let Some(rest) = s.strip_prefix("RUN ") {
        base += 4;
        s = rest;
    }
    let Some(rest) = s.strip_prefix('|') else {
        return out;
    };
    base += 1;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(n) = rest[..digits].parse::<usize>() else {
        return out;
    };
    if n == 0 {
        return out;
    }
    let mut pos = base + digits; // at the space after N
    let text = created_by;
    for i in 0..n {
        // skip one space
        if !text[pos..].starts_with(' ') {
            break;
        }
        pos += 1;
        let tok_end = text[pos..].find(' ').map(|j| pos + j).unwrap_or(text.len());
        let Some(eq) = is_ident_assign(&text[pos..tok_end]) else {
            break;
        };
        let key = &text[pos..pos + eq];
        let vstart = pos + eq + 1;
        let last = i + 1 == n;
        let vend = if last {
            // up to the command marker if there is one within the text
            let after = &text[vstart..];
            let marker = CMD_MARKERS
                .iter()
                .filter_map(|m| after.find(&format!(" {m}")))
                .min();
            let first_space = after.find(' ');
            match (marker, first_space) {
                (Some(m), _) => vstart + m,
                (None, Some(sp)) => vstart + sp,
                (None, None) => text.len(),
            }
        } else {
            // up to the next " NAME=" token
            let mut j = vstart;
            loop {
                match text[j..].find(' ') {
                    Some(sp) => {
                        let t0 = j + sp + 1;
                        let t1 = text[t0..].find(' ').map(|x| t0 + x).unwrap_or(text.len());
                        if is_ident_assign(&text[t0..t1]).is_some() {
                            break j + sp;
                        }
                        j = t0;
                    }
                    None => break text.len(),
                }
            }
        };
        out.push(BuildArg {
            key: key.to_string(),
            value: text[vstart..vend].to_string(),
            value_range: vstart..vend,
        });
        pos = vend;
    }
    out
}

/// `ENV`/`ARG` instruction in a history entry (`ENV A=1 B="x y"`,
/// `/bin/sh -c #(nop)  ENV A=1`, legacy `ENV A value`): (key, value range).
pub(crate) fn instruction_pairs(created_by: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    let t = created_by;
    let mut start = None;
    for kw in ["ENV ", "ARG "] {
        let candidates = [
            t.trim_start()
                .starts_with(kw)
                .then(|| t.len() - t.trim_start().len()),
            t.find(&format!("#(nop) {kw}")).map(|i| i + 7),
            t.find(&format!("#(nop)  {kw}")).map(|i| i + 8),
        ];
        if let Some(i) = candidates.into_iter().flatten().next() {
            start = Some(i + kw.len());
            break;
        }
    }
    let Some(mut pos) = start else { return out };
    let b = t.as_bytes();
    // legacy `ENV KEY value with spaces`
    let first_tok_end = t[pos..]
        .trim_start()
        .find(' ')
        .map(|j| j + pos + (t[pos..].len() - t[pos..].trim_start().len()));
    let first_tok = &t[pos..first_tok_end.unwrap_or(t.len())].trim_start();
    if !first_tok.contains('=') {
        if let Some(e) = first_tok_end {
            let key = first_tok.to_string();
            let mut vs = e + 1;
            while vs < t.len() && b[vs] == b' ' {
                vs += 1;
            }
            out.push((key, vs..t.len()));
        }
        return out;
    }
    while pos < t.len() {
        while pos < t.len() && b[pos] == b' ' {
            pos += 1;
        }
        let Some(eq_rel) = t[pos..].find('=') else {
            break;
        };
        let key = &t[pos..pos + eq_rel];
        if key.is_empty() || key.contains(' ') {
            break;
        }
        let vs = pos + eq_rel + 1;
        let (r, next) = match b.get(vs) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let mut e = vs + 1;
                while e < t.len() && b[e] != q {
                    e += if b[e] == b'\\' { 2 } else { 1 };
                }
                let e = e.min(t.len());
                (vs + 1..e, e + 1)
            }
            _ => {
                let e = t[vs..].find(' ').map(|j| vs + j).unwrap_or(t.len());
                (vs..e, e)
            }
        };
        out.push((key.to_string(), r));
        pos = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for k in [
            "TOKEN",
            "GITHUB_TOKEN",
            "api_key",
            "DB_PASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "NPM_AUTH",
            "apikey",
        ] {
            assert!(is_secret_name(k), "{k}");
        }
        for k in [
            "TOKENIZER",
            "PATH",
            "MONKEY",
            "PUBLIC_KEY",
            "KEY_PUBLIC",
            "AUTHOR",
            "SECRETARY",
        ] {
            assert!(!is_secret_name(k), "{k}");
        }
    }

    #[test]
    fn instruction_env() {
        let t = "/bin/sh -c #(nop)  ENV A=1 B=\"x y\" C=3";
        let v: Vec<(String, String)> = instruction_pairs(t)
            .into_iter()
            .map(|(k, r)| (k, t[r].to_string()))
            .collect();
        assert_eq!(
            v,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "x y".into()),
                ("C".into(), "3".into())
            ]
        );
        let t = "ENV TOKEN some value";
        let v = instruction_pairs(t);
        assert_eq!(v[0].0, "TOKEN");
        assert_eq!(&t[v[0].1.clone()], "some value");
        assert!(instruction_pairs("RUN echo ENV A=1").is_empty());
    }
}

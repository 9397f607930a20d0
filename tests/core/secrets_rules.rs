//! Table-driven tests for every built-in secret rule, credential-file
//! parsers, the gitleaks loader and precision on ordinary content.
//!
//! No real secret is committed: every token is generated at test time from
//! a seeded deterministic generator.

use std::collections::BTreeSet;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use layerscope_core::secrets::{
    fingerprint, mask, mask_spans, split_build_args, Confidence, Match, RuleSet, Scanner,
    SecretsError, Severity,
};

mod cloud_cases;
mod file_cases;
mod gitleaks_loader;
mod key_and_url_cases;
mod precision;
mod saas_cases;
mod scanner_details;
mod secrets_recall;
mod throughput;

// ------------------------------------------------------------------ generator

struct Gen(u64);

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn s(&mut self, alphabet: &str, n: usize) -> String {
        let a = alphabet.as_bytes();
        (0..n)
            .map(|_| a[(self.next() % a.len() as u64) as usize] as char)
            .collect()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &str = "0123456789abcdef";
const B32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const WORD: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BECH32: &str = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";

// ------------------------------------------------------------------ cases

#[derive(Clone)]
enum Via {
    File(&'static str),
    Text,
    Env,
}

struct Case {
    rule: &'static str,
    via: Via,
    input: Vec<u8>,
    /// expected secret text; `None` for whole-file findings
    secret: Option<String>,
}

fn pos(rule: &'static str, via: Via, input: impl Into<Vec<u8>>, secret: impl Into<String>) -> Case {
    Case {
        rule,
        via,
        input: input.into(),
        secret: Some(secret.into()),
    }
}

fn neg(rule: &'static str, via: Via, input: impl Into<Vec<u8>>) -> Case {
    Case {
        rule,
        via,
        input: input.into(),
        secret: None,
    }
}

const F: Via = Via::File("app/config.txt");

fn pem(g: &mut Gen, label: &str, body: &[u8]) -> String {
    let _ = g;
    let b64 = STANDARD.encode(body);
    let mut s = format!("-----BEGIN {label}-----\n");
    for c in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(c).unwrap());
        s.push('\n');
    }
    s.push_str(&format!("-----END {label}-----"));
    s
}

fn openssh_key(g: &mut Gen, cipher: &str) -> String {
    let mut body = b"openssh-key-v1\0".to_vec();
    body.extend_from_slice(&(cipher.len() as u32).to_be_bytes());
    body.extend_from_slice(cipher.as_bytes());
    let kdf = if cipher == "none" { "none" } else { "bcrypt" };
    body.extend_from_slice(&(kdf.len() as u32).to_be_bytes());
    body.extend_from_slice(kdf.as_bytes());
    body.extend(g.bytes(300));
    pem(g, "OPENSSH PRIVATE KEY", &body)
}

fn jwt(g: &mut Gen) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"{}","iat":1700000000}}"#,
        g.s(ALNUM, 16)
    ));
    format!("{h}.{p}.{}", g.s(WORD, 43))
}

/// Positive and negative cases. Each rule id must appear with at least one
/// positive and one negative case.
fn cases() -> Vec<Case> {
    let mut g = Gen::new(20240601);
    let mut v = Vec::new();
    cloud_cases::cloud(&mut g, &mut v);
    cloud_cases::source_hosting(&mut g, &mut v);
    cloud_cases::registries(&mut g, &mut v);
    saas_cases::messaging_saas(&mut g, &mut v);
    saas_cases::ai(&mut g, &mut v);
    key_and_url_cases::keys(&mut g, &mut v);
    key_and_url_cases::connection_strings(&mut g, &mut v);
    file_cases::generic(&mut g, &mut v);
    file_cases::credential_files(&mut g, &mut v);
    file_cases::config_history(&mut g, &mut v);

    v.extend(secrets_recall::cases());
    v
}

fn run(s: &Scanner, c: &Case) -> Vec<Match> {
    match &c.via {
        Via::File(p) => s.scan_file(p.as_bytes(), &c.input),
        Via::Text => s.scan_text(std::str::from_utf8(&c.input).unwrap()),
        Via::Env => s.scan_env(std::str::from_utf8(&c.input).unwrap()),
    }
}

fn rules_of(m: &[Match]) -> Vec<String> {
    m.iter()
        .map(|m| format!("{}@{:?}", m.rule, m.span))
        .collect()
}

#[test]
fn every_rule_positive_and_negative() {
    let s = Scanner::builtin();
    let mut failures = Vec::new();
    for (i, c) in cases().iter().enumerate() {
        let found = run(&s, c);
        match &c.secret {
            Some(secret) if secret.is_empty() => {
                // whole-file finding
                let ok = found.iter().any(|m| {
                    m.rule.as_ref() == c.rule
                        && m.span == (0..c.input.len())
                        && m.secret.starts_with("sha256:")
                });
                if !ok {
                    failures.push(format!(
                        "#{i} {}: whole-file finding missing: {:?}",
                        c.rule,
                        rules_of(&found)
                    ));
                }
            }
            Some(secret) => {
                let start = c
                    .input
                    .windows(secret.len())
                    .position(|w| w == secret.as_bytes())
                    .expect("secret is in the input");
                let span = start..start + secret.len();
                let ok = found
                    .iter()
                    .any(|m| m.rule.as_ref() == c.rule && m.span == span && &m.secret == secret);
                if !ok {
                    failures.push(format!(
                        "#{i} {}: expected span {:?} ({}), got {:?}",
                        c.rule,
                        span,
                        mask(secret),
                        rules_of(&found)
                    ));
                }
            }
            None => {
                if found.iter().any(|m| m.rule.as_ref() == c.rule) {
                    failures.push(format!(
                        "#{i} {}: near-miss matched: {:?}",
                        c.rule,
                        rules_of(&found)
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_builtin_rule_has_cases() {
    let cases = cases();
    let pos: BTreeSet<&str> = cases
        .iter()
        .filter(|c| c.secret.is_some())
        .map(|c| c.rule)
        .collect();
    let negs: BTreeSet<&str> = cases
        .iter()
        .filter(|c| c.secret.is_none())
        .map(|c| c.rule)
        .collect();
    let rs = RuleSet::builtin();
    assert!(rs.len() >= 60, "only {} built-in rules", rs.len());
    let mut missing = Vec::new();
    for info in rs.infos() {
        if !pos.contains(&*info.id) {
            missing.push(format!("{} (positive)", info.id));
        }
        if !negs.contains(&*info.id) {
            missing.push(format!("{} (negative)", info.id));
        }
    }
    // and no case names a rule that does not exist
    let ids: BTreeSet<String> = rs.infos().map(|i| i.id.to_string()).collect();
    for r in pos.iter().chain(negs.iter()) {
        assert!(ids.contains(*r), "case for unknown rule {r}");
    }
    assert!(missing.is_empty(), "rules without test cases: {missing:?}");
}

//! The gitleaks TOML loader.

use super::*;

const SAMPLE_GITLEAKS: &str = r#"
title = "sample gitleaks config"

[extend]
useDefault = true

[allowlist]
description = "global allowlist"
paths = ['''(?:^|/)testdata/''']
stopwords = ["notasecret"]

[[rules]]
id = "acme-api-token"
description = "ACME API token"
regex = '''(?i)\b(acme_[a-z0-9]{32})(?:['"\s;]|$)'''
secretGroup = 1
entropy = 3.0
keywords = ["acme_"]
tags = ["acme", "api"]

[rules.allowlist]
regexes = ['''acme_0{32}''']

[[rules]]
id = "widget-key"
description = "Widget key"
regex = '''widget-[0-9a-f]{24}'''
keywords = ["widget-"]
filter = '''entropy(finding["secret"]) <= 2.5'''
validate = '''http.get("https://example.invalid")'''
severity = "high"

[[rules.allowlists]]
condition = "AND"
regexTarget = "line"
regexes = ['''EXAMPLE''']
stopwords = ["cafe"]

[[rules]]
id = "pkcs12-file"
description = "PKCS12 file"
path = '''(?i)(?:^|/)[^/]+\.p(?:12|fx)$'''

[[rules]]
id = "component"
regex = '''abc'''
skipReport = true
"#;

#[test]
fn gitleaks_sample_loads() {
    let rs = RuleSet::from_gitleaks_toml(SAMPLE_GITLEAKS).unwrap();
    assert_eq!(rs.len(), 3);
    let s = Scanner::new(rs).unwrap();
    let acme = s.rule("acme-api-token").unwrap();
    assert_eq!(acme.severity, Severity::Medium);
    assert_eq!(s.rule("widget-key").unwrap().severity, Severity::High);

    let mut g = Gen::new(6);
    let tok = format!("acme_{}", g.s(LOWER_ALNUM, 32));
    let text = format!("ACME_TOKEN={tok}\n");
    let m = s.scan_file(b"srv/app.env", text.as_bytes());
    assert_eq!(m.len(), 1);
    assert_eq!(&*m[0].rule, "acme-api-token");
    assert_eq!(m[0].secret, tok);
    // global path allowlist
    assert!(s
        .scan_file(b"srv/testdata/app.env", text.as_bytes())
        .is_empty());
    // per-rule allowlist regex
    assert!(s.scan_text(&format!("acme_{}", "0".repeat(32))).is_empty());
    // global stopword
    assert!(s
        .scan_text("acme_notasecret1234567890abcdefghijklm")
        .is_empty());
    // entropy taken from a Betterleaks filter
    let w = format!("widget-{}", g.s(HEX, 24));
    assert_eq!(s.scan_text(&format!("k {w}")).len(), 1);
    assert!(s.scan_text("k widget-000000000000000000000001").is_empty());
    // AND allowlist: line must contain EXAMPLE *and* secret contains cafe
    let wc = format!("widget-cafe{}", g.s(HEX, 20));
    assert_eq!(s.scan_text(&format!("{wc} EXAMPLE")).len(), 0);
    assert_eq!(s.scan_text(&format!("{wc} other")).len(), 1);
    // path-only rule from gitleaks
    let m = s.scan_file(b"etc/cert.pfx", &[1, 2, 3]);
    assert_eq!(m.len(), 1);
    assert_eq!(&*m[0].rule, "pkcs12-file");
}

#[test]
fn gitleaks_unsupported_regex_names_rule() {
    let cfg = r#"
[[rules]]
id = "fine"
regex = '''abc[0-9]+'''

[[rules]]
id = "lookahead-rule"
regex = '''token(?=[0-9]{8})'''
keywords = ["token"]
"#;
    let err = RuleSet::from_gitleaks_toml(cfg).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("lookahead-rule"), "{msg}");
    assert!(matches!(err, SecretsError::UnsupportedRegex { .. }));

    let err =
        RuleSet::from_gitleaks_toml("[[rules]]\nid = \"p\"\npath = '''(?<!x)y'''\n").unwrap_err();
    assert!(err.to_string().contains("`p`"), "{err}");
    assert!(RuleSet::from_gitleaks_toml("not toml [[").is_err());
}

#[test]
fn extend_replaces_by_id() {
    let mut rs = RuleSet::builtin();
    let n = rs.len();
    let custom = RuleSet::from_gitleaks_toml(
        "[[rules]]\nid = \"github-pat\"\nregex = '''ghp_[0-9a-zA-Z]{36}'''\nkeywords = [\"ghp_\"]\nseverity = \"low\"\n[[rules]]\nid = \"new-rule\"\nregex = '''zzz'''\n",
    )
    .unwrap();
    rs.extend(custom);
    assert_eq!(rs.len(), n + 1);
    let s = Scanner::new(rs).unwrap();
    assert_eq!(s.rule("github-pat").unwrap().severity, Severity::Low);
}

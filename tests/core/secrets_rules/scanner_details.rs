//! Scanner details beyond the rule table: lookup, positions, confidence, dedup, large files,
//! allowlists, build args, masking and errors.

use super::*;

#[test]
fn rule_info_lookup() {
    let s = Scanner::builtin();
    let r = s.rule("github-pat").unwrap();
    assert_eq!(r.severity, Severity::High);
    assert_eq!(&*r.title, "GitHub personal access token");
    assert!(s.rule("nope").is_none());
}

#[test]
fn line_and_column() {
    let s = Scanner::builtin();
    let tok = format!("ghp_{}", Gen::new(1).s(ALNUM, 36));
    let text = format!("first\nsecond\n  key: {tok}\n");
    let m = s.scan_file(b"app/x.yml", text.as_bytes());
    let m = m.iter().find(|m| &*m.rule == "github-pat").unwrap();
    assert_eq!((m.line, m.column), (3, 8));
}

#[test]
fn binary_lowers_confidence() {
    let s = Scanner::builtin();
    let tok = format!("ghp_{}", Gen::new(2).s(ALNUM, 36));
    let mut data = vec![0u8, 1, 2, 3, 0x7f, 0];
    data.extend_from_slice(format!(" {tok} ").as_bytes());
    data.extend_from_slice(&[0u8; 16]);
    let m = s.scan_file(b"usr/bin/app", &data);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].confidence, Confidence::Medium);
    let m = s.scan_file(b"app/x.txt", format!(" {tok} ").as_bytes());
    assert_eq!(m[0].confidence, Confidence::High);
}

#[test]
fn dedup_prefers_specific_rule() {
    let s = Scanner::builtin();
    let tok = format!("ghp_{}", Gen::new(3).s(ALNUM, 36));
    // generic-api-key would match `token = "..."` too
    let m = s.scan_file(
        b"app/settings.py",
        format!("github_token = \"{tok}\"\n").as_bytes(),
    );
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(&*m[0].rule, "github-pat");
    // env entry: env-secret and github-pat on the same span
    let m = s.scan_env(&format!("GITHUB_TOKEN={tok}"));
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(&*m[0].rule, "github-pat");
    assert_eq!(m[0].span, 13..13 + tok.len());
    // JWT inside a long ghs_ token is not reported separately
    let mut g = Gen::new(4);
    let long = format!("ghs_42_{}", jwt(&mut g));
    let m = s.scan_text(&format!("token {long}"));
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(&*m[0].rule, "github-app-token");
}

#[test]
fn large_file_finds_tokens_everywhere() {
    // exercises the multi-lane keyword scan (files >= 16 KiB), including
    // tokens straddling lane boundaries
    let s = Scanner::builtin();
    let mut g = Gen::new(8);
    let n = 400_003;
    let mut data = vec![b'x'; n];
    for i in (80..n).step_by(81) {
        data[i] = b'\n';
    }
    let lane = n / 4;
    let mut expected = Vec::new();
    for at in [0, 5000, lane - 3, 2 * lane - 1, 3 * lane - 20, n - 41] {
        let tok = format!("ghp_{}", g.s(ALNUM, 36));
        data[at] = b' ';
        data[at + 1..at + 41].copy_from_slice(tok.as_bytes());
        if at + 41 < n {
            data[at + 41] = b' ';
        }
        expected.push((at + 1, tok));
    }
    let m = s.scan_file(b"var/log/big.log", &data);
    let got: Vec<(usize, String)> = m.iter().map(|m| (m.span.start, m.secret.clone())).collect();
    assert_eq!(got, expected);
}

#[test]
fn aws_documentation_example_is_allowlisted() {
    let s = Scanner::builtin();
    let text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
    assert!(s.scan_file(b"app/readme.txt", text.as_bytes()).is_empty());
    assert!(s
        .scan_file(b"root/.aws/credentials", text.as_bytes())
        .is_empty());
}

#[test]
fn build_args_in_history() {
    let mut g = Gen::new(5);
    let npm = format!("npm_{}", g.s(LOWER_ALNUM, 36));
    let gh = format!("ghp_{}", g.s(ALNUM, 36));
    let cb =
        format!("RUN |3 GH_TOKEN={gh} NPM_TOKEN={npm} VERSION=1.0 /bin/sh -c npm ci # buildkit");
    let args = split_build_args(&cb);
    assert_eq!(args.len(), 3);
    assert_eq!(args[0].key, "GH_TOKEN");
    assert_eq!(args[0].value, gh);
    assert_eq!(args[2].value, "1.0");
    let s = Scanner::builtin();
    let m = s.scan_text(&cb);
    let rules: Vec<&str> = m.iter().map(|m| &*m.rule).collect();
    assert_eq!(rules, vec!["github-pat", "npm-access-token"], "{m:?}");
    assert_eq!(m[0].span, args[0].value_range);
    let masked = mask_spans(&cb, &m.iter().map(|m| m.span.clone()).collect::<Vec<_>>());
    assert!(!masked.contains(&gh) && !masked.contains(&npm));
    assert!(
        masked.contains("GH_TOKEN=ghp_… NPM_TOKEN=npm_… VERSION=1.0"),
        "{masked}"
    );

    let a = split_build_args("|2 TOKEN=abc123 OTHER=x /bin/sh -c echo");
    assert_eq!(a.len(), 2);
    assert_eq!(
        (
            a[0].key.as_str(),
            a[0].value.as_str(),
            a[0].value_range.clone()
        ),
        ("TOKEN", "abc123", 9..15)
    );
    assert_eq!(
        (
            a[1].key.as_str(),
            a[1].value.as_str(),
            a[1].value_range.clone()
        ),
        ("OTHER", "x", 22..23)
    );
}

#[test]
fn masking_and_fingerprints() {
    assert_eq!(mask("ghp_abcdefghijklmnopqrstuvwxyz0123456789"), "ghp_…");
    assert_eq!(mask("hunter2"), "h…");
    assert_eq!(mask("abc"), "…");
    assert_eq!(
        mask_spans("A=secretvalue1234 B=2", std::slice::from_ref(&(2..17))),
        "A=sec… B=2"
    );
    let f1 = fingerprint("github-pat", "ghp_x");
    assert_eq!(f1, fingerprint("github-pat", "ghp_x"));
    assert_ne!(f1, fingerprint("github-pat", "ghp_y"));
    assert!(f1.chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn errors_do_not_leak() {
    let e =
        RuleSet::from_gitleaks_toml("[[rules]]\nid = \"x\"\nregex = '''(?=abc)'''\n").unwrap_err();
    assert!(matches!(e, SecretsError::UnsupportedRegex { ref rule, .. } if rule == "x"));
}

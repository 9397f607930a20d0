//! Recall rules (issue 14): framework secret keys, OpenAI key families, and every provider of
//! gitleaks' default config and Trivy's built-in rules. Cases are templates expanded at run time
//! with the seeded generator, so no token-shaped literal is committed.
//!
//! Template syntax: `{Xn}` is `n` characters of alphabet `X` (see [`alphabet`]), `[[` … `]]`
//! marks the expected secret, `{{` and `}}` are literal braces.

use std::collections::{BTreeMap, BTreeSet};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use layerscope_core::secrets::{Confidence, RuleSet, Scanner, Severity};

use super::{neg, pos, Case, Gen, Via, ALNUM, B64, HEX, LETTERS, LOWER_ALNUM, UPPER_ALNUM, WORD};

mod config_value_rows;
mod framework_rows;
mod provider_rows;
mod upstream;

fn alphabet(code: char) -> &'static str {
    match code {
        'h' => HEX,
        'H' => "0123456789ABCDEF",
        'a' => LOWER_ALNUM,
        'A' => ALNUM,
        'U' => UPPER_ALNUM,
        'w' => WORD,
        'x' => "abcdefghijklmnopqrstuvwxyz0123456789_-",
        'b' => B64,
        'd' => "0123456789",
        'L' => LETTERS,
        'l' => "abcdefghijklmnopqrstuvwxyz",
        'c' => "abcdefghijklmnopqrstuvwxyz234567",
        // Django's get_random_secret_key() punctuation
        'p' => "!@#$%^&*(-_=+)",
        other => panic!("unknown alphabet `{other}` in a case template"),
    }
}

/// Expand a template: the generated text and the marked secret (if any).
fn expand(g: &mut Gen, template: &str) -> (String, Option<String>) {
    let b = template.as_bytes();
    let (mut out, mut secret_start, mut secret) = (String::new(), None, None);
    let mut i = 0;
    while i < b.len() {
        let rest = &template[i..];
        if rest.starts_with("{{") || rest.starts_with("}}") {
            out.push(b[i] as char);
            i += 2;
        } else if rest.starts_with("[[") {
            secret_start = Some(out.len());
            i += 2;
        } else if rest.starts_with("]]") {
            secret = Some(out[secret_start.expect("`]]` after `[[`")..].to_string());
            i += 2;
        } else if b[i] == b'{' {
            let end = rest.find('}').expect("closed generator");
            let code = rest[1..].chars().next().unwrap();
            let n: usize = rest[2..end].parse().expect("generator length");
            out.push_str(&g.s(alphabet(code), n));
            i += end + 1;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    (out, secret)
}

/// (rule, path the case is scanned as, positive templates, near-miss templates)
type Row = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// The row tables in order; a case's seed is its row's position across them.
const ROWS: &[&[Row]] = &[
    framework_rows::ROWS,
    provider_rows::ROWS,
    config_value_rows::ROWS,
];

/// One positive and one near-miss case (at least) for every recall rule.
pub(crate) fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for (k, &(rule, path, positives, near)) in ROWS.iter().copied().flatten().enumerate() {
        let mut g = Gen::new(0x005E_C2E7 + k as u64);
        for t in positives {
            let (input, secret) = expand(&mut g, t);
            let secret = secret.unwrap_or_else(|| panic!("{rule}: positive without [[secret]]"));
            v.push(pos(rule, Via::File(path), input, secret));
        }
        for t in near {
            let (input, secret) = expand(&mut g, t);
            assert!(secret.is_none(), "{rule}: near-miss with a marked secret");
            v.push(neg(rule, Via::File(path), input));
        }
    }
    // base64 of a generated JWT, and of JSON that is no JWT
    let mut g = Gen::new(0x0B64_0A17);
    let token = STANDARD.encode(super::jwt(&mut g));
    v.push(pos(
        "jwt-base64",
        Via::File("deploy/sa-token.yaml"),
        format!("token: {token}\n"),
        token,
    ));
    let json = format!("eyJ{}.eyJ{}", g.s(ALNUM, 30), g.s(ALNUM, 30));
    v.push(neg(
        "jwt-base64",
        Via::File("deploy/sa-token.yaml"),
        format!("token: {}\n", STANDARD.encode(json)),
    ));
    v
}

#[test]
fn template_expansion() {
    let mut g = Gen::new(1);
    let (s, secret) = expand(&mut g, "k = \"[[ab_{h8}]]\" {{x}}");
    let secret = secret.unwrap();
    assert_eq!(secret.len(), 11);
    assert!(secret.starts_with("ab_") && secret[3..].bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(s, format!("k = \"{secret}\" {{x}}"));
}

fn first(s: &Scanner, path: &str, text: &str, rule: &str) -> layerscope_core::secrets::Match {
    s.scan_file(path.as_bytes(), text.as_bytes())
        .into_iter()
        .find(|m| m.rule.as_ref() == rule)
        .unwrap_or_else(|| panic!("{rule} not found in {path}"))
}

/// The misses seen on real images are now specific, high-confidence findings, not a generic
/// low-confidence match.
#[test]
fn framework_and_openai_keys_are_high_confidence() {
    let s = Scanner::builtin();
    let mut g = Gen::new(14);
    let django = format!("SECRET_KEY = 'django-insecure-{}'\n", g.s(WORD, 50));
    let flask = format!("app.config['SECRET_KEY'] = '{}'\n", g.s(HEX, 48));
    let rails = format!("production:\n  secret_key_base: {}\n", g.s(HEX, 128));
    let laravel = format!("APP_KEY=base64:{}=\n", g.s(B64, 43));
    let proj = format!("OPENAI_API_KEY=sk-proj-{}\n", g.s(WORD, 156));
    let svc = format!("OPENAI_API_KEY=sk-svcacct-{}\n", g.s(WORD, 156));
    let admin = format!("key: sk-admin-{}\n", g.s(WORD, 156));
    for (path, text, rule) in [
        ("app/mysite/settings.py", &django, "django-secret-key"),
        ("app/config.py", &flask, "flask-secret-key"),
        ("app/config/secrets.yml", &rails, "rails-secret-key-base"),
        ("var/www/.env", &laravel, "laravel-app-key"),
        ("app/.env", &proj, "openai-project-api-key"),
        ("app/.env", &svc, "openai-service-account-key"),
        ("app/notes.txt", &admin, "openai-admin-api-key"),
    ] {
        let all = s.scan_file(path.as_bytes(), text.as_bytes());
        let m = first(&s, path, text, rule);
        assert_eq!(m.confidence, Confidence::High, "{rule}");
        assert!(m.severity >= Severity::High, "{rule}");
        // one finding for the value, not a second generic one beside it
        let overlapping = all
            .iter()
            .filter(|o| o.span.start < m.span.end && m.span.start < o.span.end)
            .count();
        assert_eq!(overlapping, 1, "{rule}: {all:?}");
    }
}

/// Ordinary framework code that reads its keys from the environment, or ships the framework's
/// own templates, stays quiet.
#[test]
fn framework_references_stay_quiet() {
    let s = Scanner::builtin();
    for (path, text) in [
        (
            "usr/lib/python3/dist-packages/django/conf/project_template/project_name/settings.py-tpl",
            "SECRET_KEY = '{{ secret_key }}'\n",
        ),
        ("app/mysite/settings.py", "SECRET_KEY = '{{ secret_key }}'\n"),
        (
            "app/mysite/settings.py",
            "SECRET_KEY = os.environ.get('SECRET_KEY', '')\n",
        ),
        ("app/app.py", "app.secret_key = os.urandom(32)\n"),
        (
            "app/config/secrets.yml",
            "production:\n  secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\n",
        ),
        ("var/www/config/app.php", "'key' => env('APP_KEY'),\n"),
        ("var/www/.env.example", "APP_KEY=\n"),
        (
            "charts/app/templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: {{ .Values.db.password | b64enc }}\n",
        ),
        (
            "infra/main.tf",
            "  administrator_login_password = var.sql_admin_password\n  password = random_password.db.result\n",
        ),
        (
            "etc/maven/settings.xml",
            "<servers>\n    <!-- server\n     | Specifies the credentials.\n    <server>\n      <id>deploymentRepo</id>\n      <username>repouser</username>\n      <password>repopwd</password>\n    </server>\n    -->\n</servers>\n",
        ),
        (
            "usr/share/doc/numpy/linear.txt",
            "linear_model = fit(x, y)  # linear: least squares\n",
        ),
    ] {
        let m = s.scan_file(path.as_bytes(), text.as_bytes());
        assert!(m.is_empty(), "{path}: {m:?}");
    }
}

/// Rules that recognise a value by the provider name beside it read the usual carriers: shell,
/// YAML, JSON, an image config `Env` entry and a build argument in history. In `Env` a
/// medium-severity provider rule ties with `env-secret` (same span and rank) and the name-based
/// parser is reported; the value is found either way.
#[test]
fn context_rules_read_common_carriers() {
    let s = Scanner::builtin();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (k, &(rule, path, positives, _)) in ROWS.iter().copied().flatten().enumerate() {
        // only the `NAME = "[[value]]"` shape
        let Some((name, value)) = positives[0]
            .strip_suffix("]]\"\n")
            .and_then(|t| t.split_once(" = \"[["))
        else {
            continue;
        };
        if path != "app/config.txt"
            || !name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
        {
            continue;
        }
        checked += 1;
        let mut g = Gen::new(0x00CA_5EED + k as u64);
        let (value, _) = expand(&mut g, value);
        let lower = name.to_ascii_lowercase();
        let carriers = [
            (
                format!("export {name}='{value}'\n"),
                Some("app/entrypoint.sh"),
            ),
            (format!("{lower}: {value}\n"), Some("app/config.yml")),
            (
                format!("{{\"{lower}\": \"{value}\"}}"),
                Some("app/config.json"),
            ),
            (format!("{name}={value}"), None),
        ];
        for (text, file) in carriers {
            let found = match file {
                Some(p) => s.scan_file(p.as_bytes(), text.as_bytes()),
                None => s.scan_env(&text),
            };
            let by = |m: &layerscope_core::secrets::Match| {
                m.rule.as_ref() == rule || (file.is_none() && m.rule.as_ref() == "env-secret")
            };
            if !found.iter().any(|m| by(m) && m.secret == value) {
                failures.push(format!("{rule} in {}", file.unwrap_or("Env")));
            }
        }
        let history = format!("RUN |1 {name}={value} /bin/sh -c ./deploy.sh # buildkit");
        if !s.scan_text(&history).iter().any(|m| m.secret == value) {
            failures.push(format!("{rule} in a history build argument"));
        }
    }
    assert!(checked > 80, "only {checked} context rules checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every gitleaks default rule id and every Trivy built-in rule id is in the table, and every
/// counterpart the table names is a built-in rule.
#[test]
fn upstream_rule_table_covers_gitleaks_and_trivy() {
    let builtin: BTreeSet<String> = RuleSet::builtin()
        .infos()
        .map(|i| i.id.to_string())
        .collect();
    let mut per_source: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut bad = Vec::new();
    for &(source, id, counterparts, why) in upstream::UPSTREAM.iter().copied().flatten() {
        if !per_source.entry(source).or_default().insert(id) {
            bad.push(format!("{source} {id}: listed twice"));
        }
        if counterparts.is_empty() && why.trim().is_empty() {
            bad.push(format!("{source} {id}: no counterpart and no reason"));
        }
        for c in counterparts {
            if !builtin.contains(*c) {
                bad.push(format!(
                    "{source} {id}: counterpart {c} is not a built-in rule"
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert_eq!(
        per_source.keys().copied().collect::<Vec<_>>(),
        ["gitleaks", "trivy"]
    );
    // gitleaks v8.30 config/gitleaks.toml: 222 [[rules]]; Trivy v0.74
    // pkg/fanal/secret/builtin-rules.go: 105 rules plus the `stateless-ghs-jwt` allow rule.
    assert_eq!(per_source["gitleaks"].len(), upstream::GITLEAKS_RULES);
    assert_eq!(per_source["trivy"].len(), upstream::TRIVY_RULE_IDS);
    // An id upstream also uses is kept for the same kind of secret, so reports line up.
    for &(source, id, counterparts, _) in upstream::UPSTREAM.iter().copied().flatten() {
        if builtin.contains(id) {
            assert!(
                counterparts.contains(&id),
                "{source} {id}: a built-in rule has this id but the table maps it elsewhere"
            );
        }
    }
}

/// Every rule that scans content can be reached by the keyword prefilter, unless a path limits it
/// to a few files.
#[test]
fn recall_rules_have_keywords_or_a_path() {
    let toml: toml::Value =
        toml::from_str(include_str!("../../../../assets/rules/builtin.toml")).unwrap();
    for r in toml["rules"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        if r.get("regex").is_none() {
            continue;
        }
        let kw = r
            .get("keywords")
            .and_then(|k| k.as_array())
            .map_or(0, |k| k.len());
        assert!(
            kw > 0 || r.get("path").is_some(),
            "{id}: content rule without keywords or path"
        );
    }
}

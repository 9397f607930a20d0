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

mod secrets_recall;

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

    // --- cloud
    let s = format!("AKIA{}", g.s(B32, 16));
    v.push(pos(
        "aws-access-token",
        F,
        format!("aws_access_key_id = {s}\n"),
        s,
    ));
    v.push(neg(
        "aws-access-token",
        F,
        format!("id = AKIA{}\n", g.s(B32, 15)),
    ));
    v.push(neg(
        "aws-access-token",
        F,
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    ));

    let s = g.s(B64, 40);
    v.push(pos(
        "aws-secret-access-key",
        Via::File("app/deploy.sh"),
        format!("export AWS_SECRET_ACCESS_KEY=\"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "aws-secret-access-key",
        F,
        format!("AWS_SECRET_ACCESS_KEY={}\n", g.s(B64, 39)),
    ));
    v.push(neg(
        "aws-secret-access-key",
        F,
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    ));

    let key = pem(&mut g, "PRIVATE KEY", &Gen::new(7).bytes(600)).replace('\n', "\\n");
    let sa = |ty: &str| {
        format!(
            "{{\n  \"type\": \"{ty}\",\n  \"project_id\": \"proj-1\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"{key}\\n\",\n  \"client_email\": \"svc@proj-1.iam.gserviceaccount.com\",\n  \"auth_provider_x509_cert_url\": \"https://www.googleapis.com/oauth2/v1/certs\"\n}}\n",
            "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233"
        )
    };
    v.push(pos(
        "gcp-service-account",
        Via::File("app/sa.json"),
        sa("service_account"),
        key.clone(),
    ));
    v.push(neg(
        "gcp-service-account",
        Via::File("app/sa.json"),
        sa("authorized_user"),
    ));

    let s = format!("AIza{}", g.s(WORD, 35));
    v.push(pos("gcp-api-key", F, format!("maps_key: \"{s}\"\n"), s));
    v.push(neg(
        "gcp-api-key",
        F,
        format!("maps_key: \"AIza{}\"\n", g.s(WORD, 30)),
    ));

    let s = format!("GOCSPX-{}", g.s(WORD, 28));
    v.push(pos(
        "gcp-oauth-client-secret",
        F,
        format!("\"client_secret\":\"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "gcp-oauth-client-secret",
        F,
        format!("\"client_secret\":\"GOCSPX-{}\"\n", g.s(WORD, 20)),
    ));

    let s = format!("{}==", g.s(B64, 86));
    v.push(pos("azure-storage-account-key", F, format!("DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey={s};EndpointSuffix=core.windows.net\n"), s));
    v.push(neg(
        "azure-storage-account-key",
        F,
        format!("AccountKey={}==\n", g.s(B64, 60)),
    ));

    let s = format!("{}8Q~{}", g.s(ALNUM, 3), g.s(ALNUM, 34));
    v.push(pos(
        "azure-ad-client-secret",
        F,
        format!("client_secret = \"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "azure-ad-client-secret",
        F,
        format!(
            "client_secret = \"{}8Q~{}\"\n",
            g.s(ALNUM, 3),
            g.s(ALNUM, 20)
        ),
    ));

    let s = format!("dop_v1_{}", g.s(HEX, 64));
    v.push(pos("digitalocean-pat", F, format!("DO_TOKEN={s}\n"), s));
    v.push(neg(
        "digitalocean-pat",
        F,
        format!("DO_TOKEN=dop_v1_{}\n", g.s(HEX, 63)),
    ));

    // --- source hosting
    let s = format!("ghp_{}", g.s(ALNUM, 36));
    v.push(pos("github-pat", F, format!("token: {s}\n"), s));
    v.push(neg(
        "github-pat",
        F,
        format!("token: ghp_{}\n", g.s(ALNUM, 35)),
    ));

    let s = format!("github_pat_{}_{}", g.s(ALNUM, 22), g.s(ALNUM, 59));
    v.push(pos("github-fine-grained-pat", F, format!("GH={s}\n"), s));
    v.push(neg(
        "github-fine-grained-pat",
        F,
        format!("GH=github_pat_{}\n", g.s(ALNUM, 60)),
    ));

    let s = format!("gho_{}", g.s(ALNUM, 36));
    v.push(pos("github-oauth", F, format!("oauth_token: {s}\n"), s));
    v.push(neg(
        "github-oauth",
        F,
        format!("oauth_token: gho_{}\n", g.s(ALNUM, 30)),
    ));

    let s = format!("ghs_{}", g.s(ALNUM, 36));
    v.push(pos(
        "github-app-token",
        F,
        format!("x-access-token:{s}\n"),
        s,
    ));
    let s = format!("ghu_{}", g.s(ALNUM, 36));
    v.push(pos("github-app-token", F, format!("{s}\n"), s));
    let s = format!("ghs_{}_{}", 1234567, jwt(&mut g));
    v.push(pos(
        "github-app-token",
        F,
        format!("GITHUB_TOKEN={s} make\n"),
        s,
    ));
    v.push(neg(
        "github-app-token",
        F,
        format!("ghs_{}\n", g.s(ALNUM, 30)),
    ));

    let s = format!("ghr_{}", g.s(ALNUM, 36));
    v.push(pos("github-refresh-token", F, format!("refresh={s}\n"), s));
    v.push(neg(
        "github-refresh-token",
        F,
        format!("refresh=ghr_{}\n", g.s(ALNUM, 30)),
    ));

    let s = format!("glpat-{}", g.s(WORD, 20));
    v.push(pos("gitlab-pat", F, format!("GITLAB_TOKEN={s}\n"), s));
    let s = format!("glpat-{}.{}", g.s(WORD, 36), g.s(LOWER_ALNUM, 9));
    v.push(pos("gitlab-pat", F, format!("GITLAB_TOKEN={s}\n"), s));
    v.push(neg(
        "gitlab-pat",
        F,
        format!("GITLAB_TOKEN=glpat-{}\n", g.s(WORD, 15)),
    ));

    let s = format!("glrt-{}", g.s(WORD, 20));
    v.push(pos(
        "gitlab-runner-token",
        F,
        format!("token = \"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "gitlab-runner-token",
        F,
        format!("token = \"glrt-{}\"\n", g.s(WORD, 10)),
    ));

    let s = format!("gldt-{}", g.s(WORD, 20));
    v.push(pos("gitlab-deploy-token", F, format!("password: {s}\n"), s));
    v.push(neg(
        "gitlab-deploy-token",
        F,
        format!("password: gldt-{}\n", g.s(WORD, 10)),
    ));

    let s = format!("glcbt-64_{}", g.s(WORD, 20));
    v.push(pos(
        "gitlab-cicd-job-token",
        F,
        format!("CI_JOB_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "gitlab-cicd-job-token",
        F,
        format!("CI_JOB_TOKEN=glcbt-{}\n", g.s(ALNUM, 20)),
    ));

    // --- registries
    let s = format!("npm_{}", g.s(LOWER_ALNUM, 36));
    v.push(pos(
        "npm-access-token",
        Via::File("app/build.sh"),
        format!("NPM_TOKEN={s} npm publish\n"),
        s,
    ));
    v.push(neg(
        "npm-access-token",
        F,
        format!("npm_{}\n", g.s(LOWER_ALNUM, 35)),
    ));

    let s = format!("pypi-AgEIcHlwaS5vcmc{}", g.s(WORD, 60));
    v.push(pos(
        "pypi-upload-token",
        F,
        format!("TWINE_PASSWORD={s}\n"),
        s,
    ));
    v.push(neg(
        "pypi-upload-token",
        F,
        format!("TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmc{}\n", g.s(WORD, 40)),
    ));

    let s = format!("rubygems_{}", g.s(HEX, 48));
    v.push(pos(
        "rubygems-api-token",
        Via::File("root/.gem/credentials"),
        format!("---\n:rubygems_api_key: {s}\n"),
        s,
    ));
    v.push(neg(
        "rubygems-api-token",
        F,
        format!("rubygems_{}\n", g.s(HEX, 47)),
    ));

    let s = format!("oy2{}", g.s(LOWER_ALNUM, 43));
    v.push(pos(
        "nuget-api-key",
        F,
        format!("dotnet nuget push -k {s} pkg.nupkg\n"),
        s,
    ));
    v.push(neg(
        "nuget-api-key",
        F,
        format!("oy2{}\n", g.s(LOWER_ALNUM, 42)),
    ));

    let pw = g.s(ALNUM, 16);
    let xml = format!("<configuration><packageSourceCredentials><src>\n  <add key=\"Username\" value=\"bob\" />\n  <add key=\"ClearTextPassword\" value=\"{pw}\" />\n</src></packageSourceCredentials></configuration>\n");
    v.push(pos(
        "nuget-config-password",
        Via::File("app/NuGet.Config"),
        xml.clone(),
        pw,
    ));
    v.push(neg(
        "nuget-config-password",
        Via::File("app/other.xml"),
        xml,
    ));

    let s = format!("dckr_pat_{}", g.s(WORD, 27));
    v.push(pos(
        "dockerhub-pat",
        F,
        format!("echo {s} | docker login -u bob --password-stdin\n"),
        s,
    ));
    let s = format!("dckr_oat_{}", g.s(WORD, 32));
    v.push(pos("dockerhub-pat", F, format!("DOCKERHUB_TOKEN={s}\n"), s));
    v.push(neg(
        "dockerhub-pat",
        F,
        format!("dckr_pat_{}\n", g.s(WORD, 20)),
    ));

    let s = format!("AKCp{}", g.s(ALNUM, 69));
    v.push(pos(
        "artifactory-api-key",
        F,
        format!("X-JFrog-Art-Api: {s}\n"),
        s,
    ));
    v.push(neg(
        "artifactory-api-key",
        F,
        format!("AKCp{}\n", g.s(ALNUM, 60)),
    ));

    let s = format!("cmVmd{}", g.s(ALNUM, 59));
    v.push(pos(
        "artifactory-reference-token",
        F,
        format!("ARTIFACTORY_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "artifactory-reference-token",
        F,
        format!("cmVmd{}\n", g.s(ALNUM, 50)),
    ));

    let s = format!("SWMTKN-1-{}-{}", g.s(LOWER_ALNUM, 50), g.s(LOWER_ALNUM, 25));
    v.push(pos(
        "docker-swarm-join-token",
        F,
        format!("docker swarm join --token {s} 10.0.0.1:2377\n"),
        s,
    ));
    v.push(neg(
        "docker-swarm-join-token",
        F,
        format!("SWMTKN-1-{}\n", g.s(LOWER_ALNUM, 40)),
    ));

    // --- messaging / SaaS
    let s = format!(
        "xoxb-{}-{}-{}",
        g.s("0123456789", 11),
        g.s("0123456789", 12),
        g.s(ALNUM, 24)
    );
    v.push(pos(
        "slack-bot-token",
        F,
        format!("SLACK_BOT_TOKEN={s}\n"),
        s,
    ));
    v.push(neg("slack-bot-token", F, "SLACK_BOT_TOKEN=xoxb-123-456\n"));

    let s = format!(
        "xoxp-{}-{}-{}-{}",
        g.s("0123456789", 11),
        g.s("0123456789", 12),
        g.s("0123456789", 12),
        g.s(ALNUM, 32)
    );
    v.push(pos("slack-user-token", F, format!("token={s}\n"), s));
    v.push(neg("slack-user-token", F, "token=xoxp-1-2-3-abc\n"));

    let s = format!("xoxr-{}", g.s(ALNUM, 40));
    v.push(pos("slack-legacy-token", F, format!("slack {s}\n"), s));
    v.push(neg("slack-legacy-token", F, "slack xoxr-abc\n"));

    let s = format!(
        "xapp-1-A{}-{}-{}",
        g.s(UPPER_ALNUM, 10),
        g.s("0123456789", 13),
        g.s(HEX, 64)
    );
    v.push(pos(
        "slack-app-token",
        F,
        format!("SLACK_APP_TOKEN={s}\n"),
        s,
    ));
    v.push(neg("slack-app-token", F, "SLACK_APP_TOKEN=xapp-x-\n"));

    let s = format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        g.s(UPPER_ALNUM, 8),
        g.s(UPPER_ALNUM, 10),
        g.s(ALNUM, 24)
    );
    v.push(pos("slack-webhook-url", F, format!("webhook: {s}\n"), s));
    v.push(neg(
        "slack-webhook-url",
        F,
        "webhook: https://hooks.slack.com/services/T1/B2/short\n",
    ));

    let uuid = |g: &mut Gen| {
        format!(
            "{}-{}-{}-{}-{}",
            g.s(HEX, 8),
            g.s(HEX, 4),
            g.s(HEX, 4),
            g.s(HEX, 4),
            g.s(HEX, 12)
        )
    };
    let s = format!(
        "https://acme.webhook.office.com/webhookb2/{}@{}/IncomingWebhook/{}/{}",
        uuid(&mut g),
        uuid(&mut g),
        g.s(HEX, 32),
        uuid(&mut g)
    );
    v.push(pos(
        "microsoft-teams-webhook",
        F,
        format!("url = \"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "microsoft-teams-webhook",
        F,
        format!(
            "url = \"https://acme.webhook.office.com/webhookb2/{}\"\n",
            uuid(&mut g)
        ),
    ));

    let s = format!("{}:A{}", g.s("0123456789", 10), g.s(WORD, 34));
    v.push(pos(
        "telegram-bot-token",
        F,
        format!("TELEGRAM_BOT_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "telegram-bot-token",
        F,
        format!("BOT={}:A{}\n", g.s("0123456789", 10), g.s(WORD, 34)),
    ));

    let s = format!("sk_live_{}", g.s(ALNUM, 24));
    v.push(pos(
        "stripe-access-token",
        F,
        format!("Stripe.api_key = '{s}'\n"),
        s,
    ));
    let s = format!("rk_live_{}", g.s(ALNUM, 24));
    v.push(pos(
        "stripe-access-token",
        F,
        format!("STRIPE_KEY={s}\n"),
        s,
    ));
    v.push(neg(
        "stripe-access-token",
        F,
        format!("STRIPE_KEY=sk_test_{}\n", g.s(ALNUM, 24)),
    ));

    let s = format!("SG.{}.{}", g.s(WORD, 22), g.s(WORD, 43));
    v.push(pos(
        "sendgrid-api-token",
        F,
        format!("SENDGRID_API_KEY={s}\n"),
        s,
    ));
    v.push(neg(
        "sendgrid-api-token",
        F,
        format!("SENDGRID_API_KEY=SG.{}.{}\n", g.s(WORD, 22), g.s(WORD, 20)),
    ));

    let s = format!("SK{}", g.s(HEX, 32));
    v.push(pos("twilio-api-key", F, format!("TWILIO_API_KEY={s}\n"), s));
    let s = format!("AC{}", g.s(HEX, 32));
    v.push(pos(
        "twilio-api-key",
        F,
        format!("twilio:\n  account_sid: {s}\n"),
        s,
    ));
    v.push(neg(
        "twilio-api-key",
        F,
        format!("SID=SK{}\n", g.s(HEX, 32)),
    ));

    let s = format!("key-{}", g.s(HEX, 32));
    v.push(pos(
        "mailgun-api-key",
        F,
        format!("MAILGUN_API_KEY={s}\n"),
        s,
    ));
    v.push(neg(
        "mailgun-api-key",
        F,
        format!("MAILGUN_API_KEY=key-{}\n", g.s(HEX, 31)),
    ));

    let s = g.s(HEX, 32);
    v.push(pos("datadog-api-key", F, format!("DD_API_KEY={s}\n"), s));
    let s = g.s(HEX, 40);
    v.push(pos(
        "datadog-api-key",
        F,
        format!("datadog_app_key: \"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "datadog-api-key",
        F,
        format!("DD_API_KEY={}\n", g.s(HEX, 31)),
    ));

    let s = format!("NRAK-{}", g.s(UPPER_ALNUM, 27));
    v.push(pos(
        "new-relic-user-api-key",
        F,
        format!("NEW_RELIC_API_KEY={s}\n"),
        s,
    ));
    v.push(neg(
        "new-relic-user-api-key",
        F,
        format!("NRAK-{}\n", g.s(UPPER_ALNUM, 20)),
    ));

    let s = g.s(HEX, 32);
    v.push(pos(
        "sentry-dsn",
        F,
        format!("SENTRY_DSN=https://{s}@o123456.ingest.sentry.io/4505\n"),
        s,
    ));
    v.push(neg(
        "sentry-dsn",
        F,
        format!(
            "SENTRY_DSN=https://{}@o123456.ingest.sentry.io/\n",
            g.s(HEX, 32)
        ),
    ));

    let s = format!(
        "sntrys_eyJpYXQiO{}LCJyZWdpb25fdXJs{}_{}",
        g.s(ALNUM, 30),
        g.s(ALNUM, 40),
        g.s(ALNUM, 43)
    );
    v.push(pos(
        "sentry-org-token",
        F,
        format!("SENTRY_AUTH_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "sentry-org-token",
        F,
        format!(
            "SENTRY_AUTH_TOKEN=sntrys_eyJpYXQiO{}_{}\n",
            g.s(ALNUM, 30),
            g.s(ALNUM, 43)
        ),
    ));

    let s = format!("sntryu_{}", g.s(HEX, 64));
    v.push(pos(
        "sentry-user-token",
        F,
        format!("SENTRY_AUTH_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "sentry-user-token",
        F,
        format!("sntryu_{}\n", g.s(HEX, 60)),
    ));

    let s = format!("shpat_{}", g.s(HEX, 32));
    v.push(pos("shopify-access-token", F, format!("SHOPIFY={s}\n"), s));
    v.push(neg(
        "shopify-access-token",
        F,
        format!("shpat_{}\n", g.s(HEX, 31)),
    ));

    let s = format!("glsa_{}_{}", g.s(ALNUM, 32), g.s(HEX, 8));
    v.push(pos(
        "grafana-service-account-token",
        F,
        format!("GRAFANA_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "grafana-service-account-token",
        F,
        format!("glsa_{}\n", g.s(ALNUM, 32)),
    ));

    let s = format!("dp.pt.{}", g.s(ALNUM, 43));
    v.push(pos(
        "doppler-api-token",
        F,
        format!("DOPPLER_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "doppler-api-token",
        F,
        format!("dp.pt.{}\n", g.s(ALNUM, 40)),
    ));

    let s = format!("hvs.{}", g.s(WORD, 95));
    v.push(pos(
        "hashicorp-vault-token",
        F,
        format!("VAULT_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "hashicorp-vault-token",
        F,
        format!("VAULT_TOKEN=hvs.{}\n", g.s(WORD, 24)),
    ));

    let s = format!("{}.atlasv1.{}", g.s(LOWER_ALNUM, 14), g.s(ALNUM, 65));
    v.push(pos(
        "hashicorp-tf-api-token",
        F,
        format!("token = \"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "hashicorp-tf-api-token",
        F,
        format!(
            "token = \"{}.atlasv1.{}\"\n",
            g.s(LOWER_ALNUM, 14),
            g.s(ALNUM, 30)
        ),
    ));

    let s = format!("dapi{}", g.s(HEX, 32));
    v.push(pos(
        "databricks-api-token",
        F,
        format!("DATABRICKS_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "databricks-api-token",
        F,
        format!("dapi{}\n", g.s(HEX, 31)),
    ));

    let s = format!("pul-{}", g.s(HEX, 40));
    v.push(pos(
        "pulumi-api-token",
        F,
        format!("PULUMI_ACCESS_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "pulumi-api-token",
        F,
        format!("pul-{}\n", g.s(HEX, 39)),
    ));

    // --- AI
    let s = format!("sk-proj-{}T3BlbkFJ{}", g.s(WORD, 74), g.s(WORD, 74));
    v.push(pos(
        "openai-project-api-key",
        F,
        format!("OPENAI_API_KEY={s}\n"),
        s,
    ));
    let s = format!("sk-{}T3BlbkFJ{}", g.s(ALNUM, 20), g.s(ALNUM, 20));
    v.push(pos(
        "openai-api-key",
        F,
        format!("openai.api_key = \"{s}\"\n"),
        s,
    ));
    v.push(neg(
        "openai-api-key",
        F,
        format!("sk-{}T3BlbkFX{}\n", g.s(ALNUM, 20), g.s(ALNUM, 20)),
    ));

    let s = format!("sk-ant-api03-{}AA", g.s(WORD, 93));
    v.push(pos(
        "anthropic-api-key",
        F,
        format!("ANTHROPIC_API_KEY={s}\n"),
        s,
    ));
    v.push(neg(
        "anthropic-api-key",
        F,
        format!("ANTHROPIC_API_KEY=sk-ant-api03-{}AA\n", g.s(WORD, 80)),
    ));

    let s = format!("hf_{}", g.s(LETTERS, 34));
    v.push(pos(
        "huggingface-access-token",
        F,
        format!("HF_TOKEN={s}\n"),
        s,
    ));
    v.push(neg(
        "huggingface-access-token",
        F,
        format!("HF_TOKEN=hf_{}1{}\n", g.s(LETTERS, 10), g.s(LETTERS, 23)),
    ));

    // --- keys
    let k = pem(&mut g, "RSA PRIVATE KEY", &Gen::new(11).bytes(900));
    v.push(pos(
        "private-key",
        Via::File("app/server.key"),
        format!("{k}\n"),
        k,
    ));
    let k = openssh_key(&mut g, "none");
    v.push(pos(
        "private-key",
        Via::File("root/.ssh/id_ed25519"),
        format!("{k}\n"),
        k,
    ));
    let k = pem(&mut g, "PRIVATE KEY", &Gen::new(12).bytes(900));
    v.push(pos(
        "private-key",
        Via::File("etc/ssl/private/tls.pem"),
        format!(
            "{}\n{k}\n",
            pem(&mut g, "CERTIFICATE", &Gen::new(13).bytes(500))
        ),
        k,
    ));
    v.push(neg(
        "private-key",
        F,
        "-----BEGIN PRIVATE KEY-----\nMIIBshort\n-----END PRIVATE KEY-----\n",
    ));
    let k = pem(&mut g, "ENCRYPTED PRIVATE KEY", &Gen::new(14).bytes(900));
    v.push(neg("private-key", F, format!("{k}\n")));

    let k = pem(&mut g, "ENCRYPTED PRIVATE KEY", &Gen::new(15).bytes(900));
    v.push(pos("encrypted-private-key", F, format!("{k}\n"), k));
    let k = openssh_key(&mut g, "aes256-ctr");
    v.push(pos(
        "encrypted-private-key",
        Via::File("root/.ssh/id_rsa"),
        format!("{k}\n"),
        k,
    ));
    let k = openssh_key(&mut g, "none");
    v.push(neg("encrypted-private-key", F, format!("{k}\n")));

    let k = STANDARD.encode(pem(&mut g, "EC PRIVATE KEY", &Gen::new(16).bytes(120)));
    v.push(pos(
        "private-key-base64",
        Via::File("app/values.yaml"),
        format!("tls:\n  client-key-data: {k}\n"),
        k,
    ));
    let c = STANDARD.encode(pem(&mut g, "CERTIFICATE", &Gen::new(17).bytes(300)));
    v.push(neg(
        "private-key-base64",
        Via::File("app/values.yaml"),
        format!("tls:\n  client-certificate-data: {c}\n"),
    ));

    let s = format!("AGE-SECRET-KEY-1{}", g.s(BECH32, 58));
    v.push(pos(
        "age-secret-key",
        F,
        format!("# created: 2024\n{s}\n"),
        s,
    ));
    v.push(neg(
        "age-secret-key",
        F,
        format!("AGE-SECRET-KEY-1{}\n", g.s(BECH32, 50)),
    ));

    let s = jwt(&mut g);
    v.push(pos("jwt", F, format!("session={s};\n"), s));
    v.push(neg(
        "jwt",
        F,
        format!(
            "session=eyJ{}.eyJ{}.{};\n",
            g.s(ALNUM, 30),
            g.s(ALNUM, 30),
            g.s(ALNUM, 30)
        ),
    ));

    // --- connection strings / URLs / command lines
    let pw = g.s(ALNUM, 16);
    v.push(pos(
        "postgres-connection-string",
        F,
        format!("DATABASE_URL=postgres://app:{pw}@db.internal:5432/app\n"),
        pw,
    ));
    v.push(neg(
        "postgres-connection-string",
        F,
        "DATABASE_URL=postgres://app:${DB_PASS}@db/app\n",
    ));

    let pw = g.s(ALNUM, 16);
    v.push(pos(
        "mysql-connection-string",
        F,
        format!("url: mysql://root:{pw}@mysql:3306/db\n"),
        pw,
    ));
    v.push(neg(
        "mysql-connection-string",
        F,
        "url: mysql://root@mysql:3306/db\n",
    ));

    let pw = g.s(ALNUM, 16);
    v.push(pos(
        "mongodb-connection-string",
        F,
        format!("MONGO_URL=mongodb+srv://user1:{pw}@cluster0.ab1cd.mongodb.net/db\n"),
        pw,
    ));
    v.push(neg(
        "mongodb-connection-string",
        F,
        "MONGO_URL=mongodb://localhost:27017/db\n",
    ));

    let pw = g.s(ALNUM, 16);
    v.push(pos(
        "redis-connection-string",
        F,
        format!("REDIS_URL=redis://:{pw}@redis:6379/0\n"),
        pw,
    ));
    v.push(neg(
        "redis-connection-string",
        F,
        "REDIS_URL=redis://redis:6379/0\n",
    ));

    let pw = g.s(ALNUM, 16);
    v.push(pos(
        "amqp-connection-string",
        F,
        format!("BROKER=amqp://guest:{pw}@rabbit:5672/\n"),
        pw,
    ));
    v.push(neg(
        "amqp-connection-string",
        F,
        "BROKER=amqp://rabbit:5672/\n",
    ));

    let pw = g.s(ALNUM, 20);
    v.push(pos(
        "url-credentials",
        Via::Text,
        format!("/bin/sh -c git clone https://deploy:{pw}@git.internal.net/org/repo.git"),
        pw,
    ));
    v.push(neg(
        "url-credentials",
        F,
        "git clone https://git.internal.net/org/repo.git\nhttps://user:password@example.com\n",
    ));

    let pw = g.s(ALNUM, 14);
    let b = STANDARD.encode(format!("alice:{pw}"));
    v.push(pos(
        "http-basic-auth",
        F,
        format!("Authorization: Basic {b}\n"),
        b,
    ));
    v.push(neg(
        "http-basic-auth",
        F,
        format!("Authorization: Basic {}\n", STANDARD.encode("nocolonhere")),
    ));

    let s = g.s(ALNUM, 40);
    v.push(pos(
        "http-bearer-token",
        Via::Text,
        format!("/bin/sh -c curl -H \"Authorization: Bearer {s}\" https://api.internal/x"),
        s,
    ));
    v.push(neg(
        "http-bearer-token",
        Via::Text,
        "curl -H \"Authorization: Bearer $TOKEN\" https://api.internal/x",
    ));

    let pw = g.s(ALNUM, 14);
    v.push(pos(
        "curl-basic-auth",
        Via::Text,
        format!("RUN /bin/sh -c curl -fsSL -u deploy:{pw} https://artifacts.internal/x -o x"),
        pw,
    ));
    v.push(neg(
        "curl-basic-auth",
        Via::Text,
        "curl -fsSL -u \"$USER:$PASS\" https://artifacts.internal/x",
    ));

    let pw = g.s(ALNUM, 14);
    v.push(pos(
        "mysql-cli-password",
        Via::File("root/.mysql_history"),
        format!("mysql -h db -u root -p{pw} app < dump.sql\n"),
        pw,
    ));
    v.push(neg("mysql-cli-password", F, "mysql -h db -u root -p app\n"));

    let pw = g.s(ALNUM, 14);
    v.push(pos(
        "docker-login-password",
        Via::Text,
        format!("/bin/sh -c docker login -u ci -p {pw} registry.internal"),
        pw,
    ));
    v.push(neg(
        "docker-login-password",
        Via::Text,
        "docker login -u ci --password-stdin registry.internal",
    ));

    let pw = g.s(ALNUM, 14);
    v.push(pos(
        "sql-user-password",
        Via::File("root/.psql_history"),
        format!("CREATE USER app WITH PASSWORD '{pw}';\n"),
        pw,
    ));
    v.push(neg(
        "sql-user-password",
        F,
        "ALTER USER app WITH PASSWORD NULL;\n",
    ));

    let pw = g.s(ALNUM, 14);
    v.push(pos(
        "netrc-credentials",
        Via::Text,
        format!("/bin/sh -c echo \"machine api.internal login bot password {pw}\" > /root/.netrc"),
        pw,
    ));
    v.push(neg(
        "netrc-credentials",
        F,
        "machine api.internal login bot\n",
    ));

    let h = format!(
        "$6${}${}",
        g.s(ALNUM, 16),
        g.s(
            "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            86
        )
    );
    v.push(pos(
        "unix-shadow-hash",
        Via::File("etc/shadow"),
        format!("root:{h}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"),
        h,
    ));
    v.push(neg(
        "unix-shadow-hash",
        Via::File("etc/shadow"),
        "root:*:19000:0:99999:7:::\nbin:!:19000::::::\n",
    ));

    // --- generic
    let pw = g.s(ALNUM, 14);
    v.push(pos(
        "generic-password",
        Via::File("app/settings.py"),
        format!("db_password = \"{pw}\"\n"),
        pw,
    ));
    v.push(neg(
        "generic-password",
        Via::File("app/settings.py"),
        "password = os.environ[\"DB_PASSWORD\"]\n",
    ));

    let s = g.s(ALNUM, 40);
    v.push(pos(
        "generic-api-key",
        Via::File("app/config.yml"),
        format!("api_key: {s}\n"),
        s,
    ));
    v.push(neg(
        "generic-api-key",
        Via::File("app/config.yml"),
        "api_key: ${API_KEY}\n",
    ));

    // --- credential files
    let pw = g.s(ALNUM, 14);
    v.push(pos(
        "netrc-password",
        Via::File("root/.netrc"),
        format!("machine example.org\n  login bob\n  password {pw}\n"),
        pw,
    ));
    v.push(neg(
        "netrc-password",
        Via::File("root/.netrc"),
        "machine example.org login bob\n",
    ));

    let s = format!("{}-{}-{}", g.s(HEX, 8), g.s(HEX, 4), g.s(HEX, 12));
    v.push(pos(
        "npmrc-auth-token",
        Via::File("root/.npmrc"),
        format!("registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={s}\n"),
        s,
    ));
    v.push(neg(
        "npmrc-auth-token",
        Via::File("root/.npmrc"),
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
    ));

    let pw = g.s(ALNUM, 14);
    v.push(pos(
        "pypirc-password",
        Via::File("root/.pypirc"),
        format!("[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = bob\npassword = {pw}\n"),
        pw,
    ));
    v.push(neg(
        "pypirc-password",
        Via::File("root/.pypirc"),
        "[pypi]\nusername = bob\n",
    ));

    let a = STANDARD.encode(format!("bob:{}", g.s(ALNUM, 14)));
    v.push(pos("docker-config-auth", Via::File("root/.docker/config.json"), format!("{{\n  \"auths\": {{\n    \"registry.internal\": {{\n      \"auth\": \"{a}\"\n    }}\n  }}\n}}\n"), a));
    let t = g.s(WORD, 40);
    v.push(pos(
        "docker-config-auth",
        Via::File("kaniko/.docker/config.json"),
        format!("{{\"auths\":{{\"r.io\":{{\"identitytoken\":\"{t}\"}}}}}}"),
        t,
    ));
    v.push(neg(
        "docker-config-auth",
        Via::File("root/.docker/config.json"),
        format!(
            "{{\"auths\":{{\"r.io\":{{\"auth\":\"{}\"}}}},\"credsStore\":\"desktop\"}}",
            STANDARD.encode("useronly")
        ),
    ));

    let s = g.s(B64, 40);
    v.push(pos(
        "aws-credentials-file",
        Via::File("root/.aws/credentials"),
        format!(
            "[default]\naws_access_key_id = AKIA{}\naws_secret_access_key = {s}\n",
            g.s(B32, 16)
        ),
        s,
    ));
    v.push(neg(
        "aws-credentials-file",
        Via::File("root/.aws/credentials"),
        "[default]\naws_secret_access_key =\nregion = eu-west-1\n",
    ));

    let t = g.s(WORD, 40);
    let kc =
        format!("apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: {t}\n");
    v.push(pos(
        "kubeconfig-credential",
        Via::File("root/.kube/config"),
        kc,
        t,
    ));
    let k = STANDARD.encode(pem(&mut g, "RSA PRIVATE KEY", &Gen::new(18).bytes(200)));
    v.push(pos(
        "kubeconfig-credential",
        Via::File("etc/kubernetes/admin.conf"),
        format!("users:\n- name: admin\n  user:\n    client-key-data: {k}\n"),
        k,
    ));
    v.push(neg(
        "kubeconfig-credential",
        Via::File("root/.kube/config"),
        "users:\n- name: admin\n  user:\n    token: \"\"\n    exec:\n      command: aws\n",
    ));

    let pw = g.s(ALNUM, 20);
    v.push(pos(
        "git-credentials",
        Via::File("root/.git-credentials"),
        format!("https://bob:{pw}@github.com\n"),
        pw,
    ));
    v.push(neg(
        "git-credentials",
        Via::File("root/.git-credentials"),
        "https://github.com\n",
    ));

    let pw = g.s(ALNUM, 14);
    v.push(pos(
        "pgpass-password",
        Via::File("root/.pgpass"),
        format!("db.internal:5432:app:app:{pw}\n"),
        pw,
    ));
    v.push(neg(
        "pgpass-password",
        Via::File("root/.pgpass"),
        "# host:port:db:user:password\n",
    ));

    let pw = g.s(ALNUM, 18);
    v.push(pos(
        "dotenv-secret",
        Via::File("app/.env"),
        format!("DEBUG=true\nSTRIPE_SECRET={pw}\n"),
        pw.clone(),
    ));
    v.push(pos(
        "dotenv-secret",
        Via::File("app/.env.production"),
        format!("export DB_PASSWORD=\"{pw}\" # prod\n"),
        pw,
    ));
    v.push(neg(
        "dotenv-secret",
        Via::File("app/.env"),
        "APP_NAME=myapp\nSECRET_KEY=changeme\nPUBLIC_KEY=abcdef123456\n",
    ));

    let t = g.s(ALNUM, 24);
    v.push(pos(
        "shell-history-export",
        Via::File("root/.bash_history"),
        format!("ls -la\nexport GITHUB_TOKEN={t}\nmake\n"),
        t,
    ));
    v.push(neg(
        "shell-history-export",
        Via::File("root/.bash_history"),
        "export PATH=/usr/local/bin:$PATH\n",
    ));

    let t = format!("s.{}", g.s(ALNUM, 24));
    v.push(pos(
        "vault-token-file",
        Via::File("root/.vault-token"),
        t.clone(),
        t,
    ));
    v.push(neg("vault-token-file", Via::File("root/.vault-token"), ""));

    v.push(Case {
        rule: "pkcs12-file",
        via: Via::File("etc/ssl/private/server.p12"),
        input: Gen::new(19).bytes(2000),
        secret: Some(String::new()),
    });
    v.push(neg(
        "pkcs12-file",
        Via::File("etc/ssl/server.crt"),
        Gen::new(20).bytes(100),
    ));
    v.push(Case {
        rule: "java-keystore",
        via: Via::File("opt/app/conf/keystore.jks"),
        input: Gen::new(21).bytes(2000),
        secret: Some(String::new()),
    });
    v.push(neg(
        "java-keystore",
        Via::File("opt/app/conf/keystore.jks"),
        "",
    ));

    // --- config / history
    let t = g.s(ALNUM, 20);
    v.push(pos("env-secret", Via::Env, format!("API_TOKEN={t}"), t));
    let t = g.s(ALNUM, 20);
    v.push(pos(
        "env-secret",
        Via::Text,
        format!("/bin/sh -c #(nop)  ENV DB_PASSWORD={t} LANG=C"),
        t,
    ));
    v.push(neg("env-secret", Via::Env, "API_TOKEN="));
    v.push(neg(
        "env-secret",
        Via::Env,
        "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
    ));

    let t = g.s(ALNUM, 20);
    v.push(pos(
        "build-arg-secret",
        Via::Text,
        format!("RUN |2 NPM_TOKEN={t} OTHER=x /bin/sh -c npm ci # buildkit"),
        t,
    ));
    v.push(neg(
        "build-arg-secret",
        Via::Text,
        "|1 VERSION=1.2.3 /bin/sh -c make",
    ));

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

// ------------------------------------------------------------------ gitleaks loader

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

// ------------------------------------------------------------------ precision

fn assert_no_high(s: &Scanner, path: &str, data: &[u8]) {
    let m = s.scan_file(path.as_bytes(), data);
    let bad: Vec<_> = m.iter().filter(|m| m.severity >= Severity::High).collect();
    assert!(bad.is_empty(), "{path}: {bad:?}");
}

#[test]
fn precision_on_ordinary_content() {
    let s = Scanner::builtin();
    let mut g = Gen::new(99);

    // package-lock.json with integrity hashes
    let mut lock =
        String::from("{\n  \"name\": \"app\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n");
    for i in 0..300 {
        let name = g.s("abcdefghijklmnopqrstuvwxyz", 8);
        lock.push_str(&format!(
            "    \"node_modules/{name}\": {{\n      \"version\": \"1.{i}.0\",\n      \"resolved\": \"https://registry.npmjs.org/{name}/-/{name}-1.{i}.0.tgz\",\n      \"integrity\": \"sha512-{}==\",\n      \"license\": \"MIT\"\n    }},\n",
            STANDARD.encode(g.bytes(64)).trim_end_matches('=')
        ));
    }
    lock.push_str("  }\n}\n");
    assert_no_high(&s, "app/package-lock.json", lock.as_bytes());

    // sha256sum file
    let mut sums = String::new();
    for i in 0..500 {
        sums.push_str(&format!("{}  dist/file-{i}.tar.gz\n", g.s(HEX, 64)));
    }
    assert_no_high(&s, "app/SHA256SUMS", sums.as_bytes());

    // Python source reading secrets from the environment
    let py = r#"import os

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
password = os.environ["X"]
db_password = os.getenv("DB_PASSWORD", "")
api_key = settings.API_KEY
token = request.headers.get("Authorization")
def login(user, password):
    return check_password(password, user.password_hash)
AUTH_TOKEN_HEADER = "X-Auth-Token"
"#;
    assert_no_high(&s, "app/settings.py", py.as_bytes());

    // /etc/passwd and /etc/shadow without hashes
    let passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    assert_no_high(&s, "etc/passwd", passwd.as_bytes());
    let shadow =
        "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\napp:!:19000:0:99999:7:::\n";
    assert!(s.scan_file(b"etc/shadow", shadow.as_bytes()).is_empty());

    // minified JS
    let mut js = String::from("!function(e,t){\"use strict\";");
    for i in 0..2000 {
        js.push_str(&format!(
            "var a{i}=function(n){{return n.token||n.apiKey||\"{}\"}};e.key{i}=t.secret?t.secret:null;",
            g.s(ALNUM, 12)
        ));
    }
    js.push_str("}(window,{});");
    assert_no_high(&s, "app/static/main.min.js", js.as_bytes());

    // certificates bundle
    let mut certs = String::new();
    for i in 0..20 {
        certs.push_str(&pem(&mut g, "CERTIFICATE", &Gen::new(100 + i).bytes(800)));
        certs.push('\n');
    }
    assert!(s
        .scan_file(b"etc/ssl/certs/ca-certificates.crt", certs.as_bytes())
        .is_empty());

    // random binary
    assert_no_high(&s, "usr/lib/libfoo.so", &Gen::new(7).bytes(1 << 20));
}

// ------------------------------------------------------------------ throughput (manual)

/// On-CPU nanoseconds of this thread (Linux), so that a loaded machine
/// does not distort per-core throughput; falls back to wall time.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn measure(label: &str, s: &Scanner, path: &[u8], data: &[u8]) {
    let c0 = cpu_ns();
    let t = std::time::Instant::now();
    let m = s.scan_file(path, data);
    let wall = t.elapsed().as_secs_f64();
    let cpu = match (c0, cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1e9,
        _ => wall,
    };
    let mb = data.len() as f64 / 1e6;
    println!(
        "{label:<22} {:>4} MB: {:>6.0} MB/s on-CPU ({:.3}s), {:>6.0} MB/s wall, {} matches",
        data.len() >> 20,
        mb / cpu,
        cpu,
        mb / wall,
        m.len()
    );
}

/// Not a pass/fail test. Run with
/// `cargo test --release --test secrets_rules -- --ignored --nocapture throughput`
#[test]
#[ignore]
fn throughput() {
    let t = std::time::Instant::now();
    let s = Scanner::builtin();
    println!(
        "startup: Scanner::builtin() with {} rules in {:.1} ms",
        s.rules().count(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut g = Gen::new(1234);
    // ~200 MB of ordinary text: words, paths, numbers, no keywords
    let words = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
        "sed",
        "do",
        "eiusmod",
        "tempor",
        "incididunt",
        "ut",
        "labore",
        "et",
        "dolore",
        "magna",
        "aliqua",
        "/usr/lib/x86_64-linux-gnu",
        "0.5.12",
        "function",
        "return",
        "value",
        "index",
    ];
    let mut text = Vec::with_capacity(200 << 20);
    while text.len() < (200 << 20) {
        for _ in 0..12 {
            text.extend_from_slice(words[(g.next() % words.len() as u64) as usize].as_bytes());
            text.push(b' ');
        }
        text.push(b'\n');
    }
    measure("text (no keywords)", &s, b"usr/share/doc/x.txt", &text);
    drop(text);

    let bin = Gen::new(5).bytes(200 << 20);
    measure("random binary", &s, b"usr/lib/libx.so", &bin);
    drop(bin);

    // source-like text where generic keywords hit on every other line
    let mut src = Vec::with_capacity(50 << 20);
    while src.len() < (50 << 20) {
        src.extend_from_slice(
            b"    let token = self.parse_key(input, &mut state)?; // secret handling\n",
        );
        src.extend_from_slice(
            b"    for (i, item) in items.iter().enumerate() { total += item.len(); }\n",
        );
    }
    measure("keyword-dense source", &s, b"src/lib.rs", &src);
}

/// False positives met on an ordinary 1.1 GB image (Debian docs, Python packages): each must
/// stay quiet while the real-looking neighbour is still found.
#[test]
fn ordinary_image_false_positives_stay_quiet() {
    use layerscope_core::secrets::{is_placeholder, Scanner};
    let s = Scanner::builtin();
    for quiet in [
        &b"\"AWSCertificateManagerPrivateCAFullAccess\": \"arn:aws:iam::aws:policy/AWSCertificateManagerPrivateCAFullAccess\","[..],
        b"return f'machine {hostname}{path} login {self.username} password {self.password}'",
        b"u'machine {hostname} login token password {auth_token}'",
        b"const myURL = new URL('https://a:b@example.org');",
        b"headers = {'Authorization': 'Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW'}",
        b"proxy_url = 'http://user:***@proxy.internal:3128'",
    ] {
        let m = s.scan_file(b"lib/module.py", quiet);
        assert!(m.is_empty(), "{}: {m:?}", String::from_utf8_lossy(quiet));
    }
    for p in ["{self.password}", "%(password)s", "***", "ab"] {
        assert!(is_placeholder(p.as_bytes()), "{p}");
    }
    assert!(!is_placeholder(b"q1iMfkgPtxvQqFt4dbS7Vf"));
    // A real-format secret key next to an AWS name is still found.
    let real = b"aws_secret_access_key = 9Xq2Lr7TzWc4Vb1Nk8Hy3Jm6Pd0Sf5Ga2Rt7Ue4K";
    assert!(s
        .scan_file(b"app/settings.py", real)
        .iter()
        .any(|m| m.rule.as_ref() == "aws-secret-access-key"));
}

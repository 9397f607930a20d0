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

const ROWS: &[Row] = &[
    (
        "django-secret-key",
        "app/mysite/settings.py",
        &["SECRET_KEY = '[[django-insecure-{A20}{p10}{A20}]]'\n", "DEBUG = False\nSECRET_KEY = \"[[{A50}]]\"\n"],
        &["SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n", "SECRET_KEY = 'short{A5}'\n"],
    ),
    (
        "flask-secret-key",
        "app/app.py",
        &["app = Flask(__name__)\napp.secret_key = '[[{A32}]]'\n", "app.config[\"SECRET_KEY\"] = \"[[{h64}]]\"\n", "app.config.update(SECRET_KEY='[[{A40}]]', DEBUG=False)\n"],
        &["app.secret_key = os.urandom(24)\n", "app.config['SECRET_KEY'] = os.environ['SECRET_KEY']\n"],
    ),
    (
        "rails-secret-key-base",
        "app/config.txt",
        &["production:\n  secret_key_base: [[{h128}]]\n", "SECRET_KEY_BASE=[[{h128}]]\n", "config.secret_key_base = '[[{A64}]]'\n"],
        &["production:\n  secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\n", "secret_key_base: {h20}\n"],
    ),
    (
        "rails-master-key",
        "app/config/master.key",
        &["[[{h32}]]\n"],
        &["{h31}\n"],
    ),
    (
        "laravel-app-key",
        "var/www/.env",
        &["APP_NAME=Shop\nAPP_KEY=[[base64:{b43}=]]\n", "'key' => env('APP_KEY', '[[base64:{b43}=]]'),\n"],
        &["APP_KEY=\n", "APP_KEY=base64:{b20}=\n"],
    ),
    (
        "symfony-app-secret",
        "srv/app/.env",
        &["APP_ENV=prod\nAPP_SECRET=[[{h32}]]\n"],
        &["APP_SECRET=\n", "APP_SECRET={h12}\n"],
    ),
    (
        "symfony-default-secret",
        "app/config.txt",
        &["secret: [[ThisTokenIsNotSoSecretChangeIt]]\n"],
        &["secret: ThisTokenIsSecret\n"],
    ),
    (
        "openai-project-api-key",
        "app/config.txt",
        &["OPENAI_API_KEY=[[sk-proj-{w74}T3BlbkFJ{w74}]]\n", "openai_key: \"[[sk-proj-{A48}]]\"\n"],
        &["OPENAI_API_KEY=sk-proj-{A30}\n"],
    ),
    (
        "openai-service-account-key",
        "app/config.txt",
        &["OPENAI_API_KEY=[[sk-svcacct-{w74}T3BlbkFJ{w74}]]\n", "openai_key: \"[[sk-svcacct-{A48}]]\"\n"],
        &["OPENAI_API_KEY=sk-svcacct-{A30}\n"],
    ),
    (
        "openai-admin-api-key",
        "app/config.txt",
        &["OPENAI_API_KEY=[[sk-admin-{w74}T3BlbkFJ{w74}]]\n", "openai_key: \"[[sk-admin-{A48}]]\"\n"],
        &["OPENAI_API_KEY=sk-admin-{A30}\n"],
    ),
    (
        "openai-service-api-key",
        "app/config.txt",
        &["OPENAI_API_KEY=[[sk-service-builder-{A20}T3BlbkFJ{A20}]]\n"],
        &["OPENAI_API_KEY=sk-service-builder-{A20}T3BlbkFX{A20}\n"],
    ),
    (
        "openai-realtime-client-secret",
        "app/config.txt",
        &["client_secret: \"[[ek_{h32}]]\"\n"],
        &["client_secret: \"ek_{h31}\"\n"],
    ),
    (
        "1password-secret-key",
        "app/config.txt",
        &["1PASSWORD_SECRET_KEY = \"[[A3-{U6}-{U11}-{U5}-{U5}-{U5}]]\"\n"],
        &["1PASSWORD_SECRET_KEY = \"A3-{U6}-{U11}-{U5}-{U5}-{U4}\"\n"],
    ),
    (
        "1password-service-account-token",
        "app/config.txt",
        &["1PASSWORD_SERVICE_ACCOUNT_TOKEN = \"[[ops_eyJ{b260}]]\"\n"],
        &["1PASSWORD_SERVICE_ACCOUNT_TOKEN = \"ops_eyJ{b200}\"\n"],
    ),
    (
        "adobe-client-secret",
        "app/config.txt",
        &["ADOBE_CLIENT_SECRET = \"[[p8e-{A32}]]\"\n"],
        &["ADOBE_CLIENT_SECRET = \"p8e-{A31}\"\n"],
    ),
    (
        "airtable-personal-access-token",
        "app/config.txt",
        &["AIRTABLE_TOKEN = \"[[pat{A14}.{h64}]]\"\n"],
        &["AIRTABLE_TOKEN = \"pat{A14}.{h63}\"\n"],
    ),
    (
        "alibaba-access-key-id",
        "app/config.txt",
        &["ALIBABA_ACCESS_KEY_ID = \"[[LTAI{A20}]]\"\n"],
        &["ALIBABA_ACCESS_KEY_ID = \"LTAI{A19}\"\n"],
    ),
    (
        "authress-service-client-access-key",
        "app/config.txt",
        &["AUTHRESS_SERVICE_CLIENT_ACCESS_KEY = \"[[sc_{A10}.{A5}.acc_{a20}.{A40}]]\"\n"],
        &["AUTHRESS_SERVICE_CLIENT_ACCESS_KEY = \"sc_{A10}.{A5}.acc_{a20}.{A20}\"\n"],
    ),
    (
        "aws-bedrock-api-key",
        "app/config.txt",
        &["AWS_BEDROCK_API_KEY = \"[[ABSK{b120}]]\"\n"],
        &["AWS_BEDROCK_API_KEY = \"ABSK{b100}\"\n"],
    ),
    (
        "clickhouse-cloud-api-secret-key",
        "app/config.txt",
        &["CLICKHOUSE_CLOUD_API_SECRET_KEY = \"[[4b1d{A38}]]\"\n"],
        &["CLICKHOUSE_CLOUD_API_SECRET_KEY = \"4b1d{A37}\"\n"],
    ),
    (
        "clojars-api-token",
        "app/config.txt",
        &["CLOJARS_API_TOKEN = \"[[CLOJARS_{a60}]]\"\n"],
        &["CLOJARS_API_TOKEN = \"CLOJARS_{a59}\"\n"],
    ),
    (
        "cloudflare-origin-ca-key",
        "app/config.txt",
        &["CLOUDFLARE_ORIGIN_CA_KEY = \"[[v1.0-{h24}-{h146}]]\"\n"],
        &["CLOUDFLARE_ORIGIN_CA_KEY = \"v1.0-{h24}-{h145}\"\n"],
    ),
    (
        "defined-networking-api-token",
        "app/config.txt",
        &["DEFINED_NETWORKING_API_TOKEN = \"[[dnkey-{a26}-{a52}]]\"\n"],
        &["DEFINED_NETWORKING_API_TOKEN = \"dnkey-{a26}-{a51}\"\n"],
    ),
    (
        "digitalocean-access-token",
        "app/config.txt",
        &["DIGITALOCEAN_ACCESS_TOKEN = \"[[doo_v1_{h64}]]\"\n"],
        &["DIGITALOCEAN_ACCESS_TOKEN = \"doo_v1_{h63}\"\n"],
    ),
    (
        "digitalocean-refresh-token",
        "app/config.txt",
        &["DIGITALOCEAN_REFRESH_TOKEN = \"[[dor_v1_{h64}]]\"\n"],
        &["DIGITALOCEAN_REFRESH_TOKEN = \"dor_v1_{h63}\"\n"],
    ),
    (
        "duffel-api-token",
        "app/config.txt",
        &["DUFFEL_API_TOKEN = \"[[duffel_live_{A43}]]\"\n"],
        &["DUFFEL_API_TOKEN = \"duffel_live_{A42}\"\n"],
    ),
    (
        "dynatrace-api-token",
        "app/config.txt",
        &["DYNATRACE_API_TOKEN = \"[[dt0c01.{U24}.{A64}]]\"\n"],
        &["DYNATRACE_API_TOKEN = \"dt0c01.{U24}.{A63}\"\n"],
    ),
    (
        "easypost-api-token",
        "app/config.txt",
        &["EASYPOST_API_TOKEN = \"[[EZAK{A54}]]\"\n"],
        &["EASYPOST_API_TOKEN = \"EZAK{A53}\"\n"],
    ),
    (
        "facebook-page-access-token",
        "app/config.txt",
        &["FACEBOOK_PAGE_ACCESS_TOKEN = \"[[EAAC{A120}]]\"\n"],
        &["FACEBOOK_PAGE_ACCESS_TOKEN = \"EAAC{A90}\"\n"],
    ),
    (
        "flutterwave-secret-key",
        "app/config.txt",
        &["FLUTTERWAVE_SECRET_KEY = \"[[FLWSECK_TEST-{h32}-X]]\"\n"],
        &["FLUTTERWAVE_SECRET_KEY = \"FLWSECK_TEST-{h31}-X\"\n"],
    ),
    (
        "flutterwave-encryption-key",
        "app/config.txt",
        &["FLUTTERWAVE_ENCRYPTION_KEY = \"[[FLWSECK_TEST{h12}]]\"\n"],
        &["FLUTTERWAVE_ENCRYPTION_KEY = \"FLWSECK_TEST{h11}\"\n"],
    ),
    (
        "flyio-access-token",
        "app/config.txt",
        &["FLYIO_ACCESS_TOKEN = \"[[fm2_{b120}]]\"\n"],
        &["FLYIO_ACCESS_TOKEN = \"fm2_{b90}\"\n"],
    ),
    (
        "frameio-api-token",
        "app/config.txt",
        &["FRAMEIO_API_TOKEN = \"[[fio-u-{A64}]]\"\n"],
        &["FRAMEIO_API_TOKEN = \"fio-u-{A63}\"\n"],
    ),
    (
        "gitlab-feature-flag-client-token",
        "app/config.txt",
        &["GITLAB_FEATURE_FLAG_CLIENT_TOKEN = \"[[glffct-{A20}]]\"\n"],
        &["GITLAB_FEATURE_FLAG_CLIENT_TOKEN = \"glffct-{A19}\"\n"],
    ),
    (
        "gitlab-feed-token",
        "app/config.txt",
        &["GITLAB_FEED_TOKEN = \"[[glft-{A20}]]\"\n"],
        &["GITLAB_FEED_TOKEN = \"glft-{A19}\"\n"],
    ),
    (
        "gitlab-incoming-mail-token",
        "app/config.txt",
        &["GITLAB_INCOMING_MAIL_TOKEN = \"[[glimt-{A25}]]\"\n"],
        &["GITLAB_INCOMING_MAIL_TOKEN = \"glimt-{A24}\"\n"],
    ),
    (
        "gitlab-kubernetes-agent-token",
        "app/config.txt",
        &["GITLAB_KUBERNETES_AGENT_TOKEN = \"[[glagent-{A50}]]\"\n"],
        &["GITLAB_KUBERNETES_AGENT_TOKEN = \"glagent-{A49}\"\n"],
    ),
    (
        "gitlab-oauth-app-secret",
        "app/config.txt",
        &["GITLAB_OAUTH_APP_SECRET = \"[[gloas-{A64}]]\"\n"],
        &["GITLAB_OAUTH_APP_SECRET = \"gloas-{A63}\"\n"],
    ),
    (
        "gitlab-pipeline-trigger-token",
        "app/config.txt",
        &["GITLAB_PIPELINE_TRIGGER_TOKEN = \"[[glptt-{h40}]]\"\n"],
        &["GITLAB_PIPELINE_TRIGGER_TOKEN = \"glptt-{h39}\"\n"],
    ),
    (
        "gitlab-runner-registration-token",
        "app/config.txt",
        &["GITLAB_RUNNER_REGISTRATION_TOKEN = \"[[GR1348941{A20}]]\"\n"],
        &["GITLAB_RUNNER_REGISTRATION_TOKEN = \"GR1348941{A19}\"\n"],
    ),
    (
        "gitlab-scim-token",
        "app/config.txt",
        &["GITLAB_SCIM_TOKEN = \"[[glsoat-{A20}]]\"\n"],
        &["GITLAB_SCIM_TOKEN = \"glsoat-{A19}\"\n"],
    ),
    (
        "gitlab-session-cookie",
        "app/config.txt",
        &["Cookie: [[_gitlab_session={a32}]]\n"],
        &["Cookie: _gitlab_session={a31}\n"],
    ),
    (
        "grafana-api-key",
        "app/config.txt",
        &["GRAFANA_API_KEY = \"[[eyJrIjoi{A72}]]\"\n"],
        &["GRAFANA_API_KEY = \"eyJrIjoi{A60}\"\n"],
    ),
    (
        "grafana-cloud-api-token",
        "app/config.txt",
        &["GRAFANA_CLOUD_API_TOKEN = \"[[glc_{A40}]]\"\n"],
        &["GRAFANA_CLOUD_API_TOKEN = \"glc_{A30}\"\n"],
    ),
    (
        "harness-api-key",
        "app/config.txt",
        &["HARNESS_API_KEY = \"[[pat.{A22}.{A24}.{A20}]]\"\n"],
        &["HARNESS_API_KEY = \"pat.{A22}.{A24}.{A19}\"\n"],
    ),
    (
        "heroku-api-key-v2",
        "app/config.txt",
        &["HEROKU_API_KEY_V2 = \"[[HRKU-AA{A58}]]\"\n"],
        &["HEROKU_API_KEY_V2 = \"HRKU-AA{A57}\"\n"],
    ),
    (
        "huggingface-organization-api-token",
        "app/config.txt",
        &["HUGGINGFACE_ORGANIZATION_API_TOKEN = \"[[api_org_{L34}]]\"\n"],
        &["HUGGINGFACE_ORGANIZATION_API_TOKEN = \"api_org_{L33}\"\n"],
    ),
    (
        "infracost-api-token",
        "app/config.txt",
        &["INFRACOST_API_TOKEN = \"[[ico-{A32}]]\"\n"],
        &["INFRACOST_API_TOKEN = \"ico-{A31}\"\n"],
    ),
    (
        "intra42-client-secret",
        "app/config.txt",
        &["INTRA42_CLIENT_SECRET = \"[[s-s4t2ud-{h64}]]\"\n"],
        &["INTRA42_CLIENT_SECRET = \"s-s4t2ud-{h63}\"\n"],
    ),
    (
        "linear-api-key",
        "app/config.txt",
        &["LINEAR_API_KEY = \"[[lin_api_{A40}]]\"\n"],
        &["LINEAR_API_KEY = \"lin_api_{A39}\"\n"],
    ),
    (
        "mapbox-secret-token",
        "app/config.txt",
        &["MAPBOX_SECRET_TOKEN = \"[[sk.eyJ1Ijoi{A40}.{A22}]]\"\n"],
        &["MAPBOX_SECRET_TOKEN = \"sk.eyJ1Ijoi{A40}.{A21}\"\n"],
    ),
    (
        "maxmind-license-key",
        "app/config.txt",
        &["MAXMIND_LICENSE_KEY = \"[[{A6}_{A29}_mmk]]\"\n"],
        &["MAXMIND_LICENSE_KEY = \"{A6}_{A28}_mmk\"\n"],
    ),
    (
        "new-relic-insert-key",
        "app/config.txt",
        &["NEW_RELIC_INSERT_KEY = \"[[NRII-{A32}]]\"\n"],
        &["NEW_RELIC_INSERT_KEY = \"NRII-{A31}\"\n"],
    ),
    (
        "new-relic-browser-api-token",
        "app/config.txt",
        &["NEW_RELIC_BROWSER_API_TOKEN = \"[[NRJS-{h19}]]\"\n"],
        &["NEW_RELIC_BROWSER_API_TOKEN = \"NRJS-{h18}\"\n"],
    ),
    (
        "notion-api-token",
        "app/config.txt",
        &["NOTION_API_TOKEN = \"[[ntn_{d11}{A35}]]\"\n"],
        &["NOTION_API_TOKEN = \"ntn_{d11}{A34}\"\n"],
    ),
    (
        "octopus-deploy-api-key",
        "app/config.txt",
        &["OCTOPUS_DEPLOY_API_KEY = \"[[API-{U26}]]\"\n"],
        &["OCTOPUS_DEPLOY_API_KEY = \"API-{U25}\"\n"],
    ),
    (
        "openshift-user-token",
        "app/config.txt",
        &["OPENSHIFT_USER_TOKEN = \"[[sha256~{w43}]]\"\n"],
        &["OPENSHIFT_USER_TOKEN = \"sha256~{w42}\"\n"],
    ),
    (
        "perplexity-api-key",
        "app/config.txt",
        &["PERPLEXITY_API_KEY = \"[[pplx-{A48}]]\"\n"],
        &["PERPLEXITY_API_KEY = \"pplx-{A47}\"\n"],
    ),
    (
        "planetscale-api-token",
        "app/config.txt",
        &["PLANETSCALE_API_TOKEN = \"[[pscale_tkn_{A43}]]\"\n"],
        &["PLANETSCALE_API_TOKEN = \"pscale_tkn_{A20}\"\n"],
    ),
    (
        "planetscale-oauth-token",
        "app/config.txt",
        &["PLANETSCALE_OAUTH_TOKEN = \"[[pscale_oauth_{A43}]]\"\n"],
        &["PLANETSCALE_OAUTH_TOKEN = \"pscale_oauth_{A20}\"\n"],
    ),
    (
        "planetscale-password",
        "app/config.txt",
        &["PLANETSCALE_PASSWORD = \"[[pscale_pw_{A43}]]\"\n"],
        &["PLANETSCALE_PASSWORD = \"pscale_pw_{A20}\"\n"],
    ),
    (
        "postman-api-token",
        "app/config.txt",
        &["POSTMAN_API_TOKEN = \"[[PMAK-{h24}-{h34}]]\"\n"],
        &["POSTMAN_API_TOKEN = \"PMAK-{h24}-{h33}\"\n"],
    ),
    (
        "prefect-api-token",
        "app/config.txt",
        &["PREFECT_API_TOKEN = \"[[pnu_{A36}]]\"\n"],
        &["PREFECT_API_TOKEN = \"pnu_{A35}\"\n"],
    ),
    (
        "private-packagist-token",
        "app/config.txt",
        &["PRIVATE_PACKAGIST_TOKEN = \"[[packagist_out_{h68}]]\"\n"],
        &["PRIVATE_PACKAGIST_TOKEN = \"packagist_out_{h67}\"\n"],
    ),
    (
        "readme-api-token",
        "app/config.txt",
        &["README_API_TOKEN = \"[[rdme_{a70}]]\"\n"],
        &["README_API_TOKEN = \"rdme_{a69}\"\n"],
    ),
    (
        "scalingo-api-token",
        "app/config.txt",
        &["SCALINGO_API_TOKEN = \"[[tk-us-{w48}]]\"\n"],
        &["SCALINGO_API_TOKEN = \"tk-us-{w47}\"\n"],
    ),
    (
        "sendinblue-api-token",
        "app/config.txt",
        &["SENDINBLUE_API_TOKEN = \"[[xkeysib-{h64}-{A16}]]\"\n"],
        &["SENDINBLUE_API_TOKEN = \"xkeysib-{h63}-{A16}\"\n"],
    ),
    (
        "settlemint-application-access-token",
        "app/config.txt",
        &["SETTLEMINT_APPLICATION_ACCESS_TOKEN = \"[[sm_aat_{A16}]]\"\n"],
        &["SETTLEMINT_APPLICATION_ACCESS_TOKEN = \"sm_aat_{A15}\"\n"],
    ),
    (
        "settlemint-personal-access-token",
        "app/config.txt",
        &["SETTLEMINT_PERSONAL_ACCESS_TOKEN = \"[[sm_pat_{A16}]]\"\n"],
        &["SETTLEMINT_PERSONAL_ACCESS_TOKEN = \"sm_pat_{A15}\"\n"],
    ),
    (
        "settlemint-service-access-token",
        "app/config.txt",
        &["SETTLEMINT_SERVICE_ACCESS_TOKEN = \"[[sm_sat_{A16}]]\"\n"],
        &["SETTLEMINT_SERVICE_ACCESS_TOKEN = \"sm_sat_{A15}\"\n"],
    ),
    (
        "shippo-api-token",
        "app/config.txt",
        &["SHIPPO_API_TOKEN = \"[[shippo_live_{h40}]]\"\n"],
        &["SHIPPO_API_TOKEN = \"shippo_live_{h39}\"\n"],
    ),
    (
        "slack-config-access-token",
        "app/config.txt",
        &["SLACK_CONFIG_ACCESS_TOKEN = \"[[xoxe.xoxp-1-{A163}]]\"\n"],
        &["SLACK_CONFIG_ACCESS_TOKEN = \"xoxe.xoxp-1-{A150}\"\n"],
    ),
    (
        "slack-config-refresh-token",
        "app/config.txt",
        &["SLACK_CONFIG_REFRESH_TOKEN = \"[[xoxe-1-{A146}]]\"\n"],
        &["SLACK_CONFIG_REFRESH_TOKEN = \"xoxe-1-{A145}\"\n"],
    ),
    (
        "slack-legacy-bot-token",
        "app/config.txt",
        &["SLACK_LEGACY_BOT_TOKEN = \"[[xoxb-{d10}-{A24}]]\"\n"],
        &["SLACK_LEGACY_BOT_TOKEN = \"xoxb-{d10}-{A12}\"\n"],
    ),
    (
        "sourcegraph-access-token",
        "app/config.txt",
        &["SOURCEGRAPH_ACCESS_TOKEN = \"[[sgp_{h16}_{h40}]]\"\n"],
        &["SOURCEGRAPH_ACCESS_TOKEN = \"sgp_{h16}_{h39}\"\n"],
    ),
    (
        "square-access-token",
        "app/config.txt",
        &["SQUARE_ACCESS_TOKEN = \"[[sq0atp-{w22}]]\"\n"],
        &["SQUARE_ACCESS_TOKEN = \"sq0atp-{w20}\"\n"],
    ),
    (
        "square-oauth-secret",
        "app/config.txt",
        &["SQUARE_OAUTH_SECRET = \"[[sq0csp-{w43}]]\"\n"],
        &["SQUARE_OAUTH_SECRET = \"sq0csp-{w42}\"\n"],
    ),
    (
        "stripe-test-secret-key",
        "app/config.txt",
        &["STRIPE_TEST_SECRET_KEY = \"[[sk_test_{A24}]]\"\n"],
        &["STRIPE_TEST_SECRET_KEY = \"sk_test_{A8}\"\n"],
    ),
    (
        "typeform-api-token",
        "app/config.txt",
        &["TYPEFORM_API_TOKEN = \"[[tfp_{A59}]]\"\n"],
        &["TYPEFORM_API_TOKEN = \"tfp_{A58}\"\n"],
    ),
    (
        "yandex-api-key",
        "app/config.txt",
        &["YANDEX_API_KEY = \"[[AQVN{A36}]]\"\n"],
        &["YANDEX_API_KEY = \"AQVN{A30}\"\n"],
    ),
    (
        "yandex-iam-token",
        "app/config.txt",
        &["YANDEX_IAM_TOKEN = \"[[t1.{A40}.{A86}]]\"\n"],
        &["YANDEX_IAM_TOKEN = \"t1.{A40}.{A85}\"\n"],
    ),
    (
        "yandex-aws-access-token",
        "app/config.txt",
        &["YANDEX_ACCESS_KEY = \"[[YC{A38}]]\"\n"],
        &["YANDEX_ACCESS_KEY = \"YC{A37}\"\n"],
    ),
    (
        "ionic-api-token",
        "app/config.txt",
        &["IONIC_API_TOKEN = \"[[ion_{A42}]]\"\n"],
        &["IONIC_API_TOKEN = \"ion_{A41}\"\n"],
    ),
    (
        "azure-devops-pat",
        "app/config.txt",
        &["AZURE_DEVOPS_PAT = \"[[{c52}]]\"\n"],
        &["AZURE_DEVOPS_PAT = \"{c51}\"\n"],
    ),
    (
        "azure-container-registry-credential",
        "app/config.txt",
        &["password: [[{A52}JQQJ99CBACYeBjFEqg7NAAAQAZCR{A4}]]\n"],
        &["password: {A52}JQQJ99CBACYeBjFEqg7NAAAQAZCX{A4}\n"],
    ),
    (
        "azure-container-registry-password",
        "app/config.txt",
        &["login myreg.azurecr.io --username myreg --password=[[{A32}]]\n"],
        &["login myreg.azurecr.io --password=$ACR_PASSWORD\n"],
    ),
    (
        "azure-app-config-connection-string",
        "app/config.txt",
        &["Endpoint=https://shop.azconfig.io;Id=AbCd-l0-s0:{A20};Secret=[[{b44}]]\n"],
        &["Endpoint=https://shop.azconfig.io;Id=AbCd-l0-s0:{A20};Secret={b20}\n"],
    ),
    (
        "azure-ai-services-key",
        "app/config.txt",
        &["key = [[{A52}JQQJ99CB{A7}XJ3w3{A4}ACOG{A4}]]\n"],
        &["key = {A52}JQQJ99CB{A7}XJ3w4{A4}ACOG{A4}\n"],
    ),
    (
        "azure-sas-token",
        "app/config.txt",
        &["https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=r&se=2030-01-01&sig=[[{A43}%3D]]\n"],
        &["https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig={A20}\n"],
    ),
    (
        "kubernetes-dockerconfig-secret",
        "deploy/pull-secret.yaml",
        &["data:\n  .dockerconfigjson: [[eyJhdXRocyI6{b80}]]\n"],
        &["data:\n  .dockerconfigjson: {{{{ .Values.dockerconfig }}}}\n"],
    ),
    (
        "kubernetes-secret-yaml",
        "deploy/db-secret.yaml",
        &["apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: [[{b32}]]\n"],
        &["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  password: {b32}\n"],
    ),
    (
        "maven-settings-password",
        "root/.m2/settings.xml",
        &["<server><id>repo</id><username>ci</username><password>[[{A20}]]</password></server>\n"],
        &["<server><id>repo</id><password>{{{A20}}}</password></server>\n", "<password>${{env.REPO_PASSWORD}}</password>\n", "<servers>\n  <!-- e.g.\n  <server>\n    <password>{A12}</password>\n  </server>\n  -->\n</servers>\n"],
    ),
    (
        "maven-settings-passphrase",
        "usr/share/maven/conf/settings.xml",
        &["<server><id>gpg</id><passphrase>[[{A20}]]</passphrase></server>\n"],
        &["<server><passphrase>${{env.GPG_PASS}}</passphrase></server>\n", "<!--\n<passphrase>{A12}</passphrase>\n-->\n"],
    ),
    (
        "maven-settings-security-master",
        "root/.m2/settings-security.xml",
        &["<settingsSecurity><master>{{[[{b24}]]}}</master></settingsSecurity>\n"],
        &["<settingsSecurity><relocation>/x</relocation></settingsSecurity>\n"],
    ),
    (
        "freemius-secret-key",
        "wp/plugin/init.php",
        &["$fs = fs_dynamic_init(array('id' => '1', 'secret_key' => '[[sk_{A29}]]'));\n"],
        &["'secret_key' => 'sk_{A20}'\n"],
    ),
    (
        "hashicorp-tf-password",
        "infra/main.tf",
        &["resource \"azurerm_sql_server\" \"db\" {{\n  administrator_login_password = \"[[{A16}]]\"\n}}\n"],
        &["  administrator_login_password = var.db_password\n"],
    ),
    (
        "sidekiq-secret",
        "app/config.txt",
        &["BUNDLE_GEMS__CONTRIBSYS__COM: \"[[{h8}:{h8}]]\"\n", "source \"https://[[{h8}:{h8}]]@gems.contribsys.com/\"\n"],
        &["BUNDLE_GEMS__CONTRIBSYS__COM: \"{h8}:{h7}\"\n"],
    ),
    (
        "curl-auth-header",
        "app/config.txt",
        &["RUN curl -fsSL -H 'X-Api-Key: [[{A32}]]' https://api.internal/dl\n"],
        &["RUN curl -H 'X-Api-Key: $API_KEY' https://api.internal/dl\n"],
    ),
    (
        "adafruit-api-key",
        "app/config.txt",
        &["ADAFRUIT_IO_KEY = \"[[{x32}]]\"\n"],
        &["ADAFRUIT_IO_KEY = \"{x31}\"\n"],
    ),
    (
        "adobe-client-id",
        "app/config.txt",
        &["ADOBE_CLIENT_ID = \"[[{h32}]]\"\n"],
        &["ADOBE_CLIENT_ID = \"{h31}\"\n"],
    ),
    (
        "airtable-api-key",
        "app/config.txt",
        &["AIRTABLE_API_KEY = \"[[key{A14}]]\"\n"],
        &["AIRTABLE_API_KEY = \"key{A13}\"\n"],
    ),
    (
        "algolia-api-key",
        "app/config.txt",
        &["ALGOLIA_ADMIN_KEY = \"[[{a32}]]\"\n"],
        &["ALGOLIA_ADMIN_KEY = \"{a31}\"\n"],
    ),
    (
        "alibaba-secret-key",
        "app/config.txt",
        &["ALIBABA_ACCESS_KEY_SECRET = \"[[{A30}]]\"\n"],
        &["ALIBABA_ACCESS_KEY_SECRET = \"{A29}\"\n"],
    ),
    (
        "asana-client-id",
        "app/config.txt",
        &["ASANA_CLIENT_ID = \"[[{d16}]]\"\n"],
        &["ASANA_CLIENT_ID = \"{d15}\"\n"],
    ),
    (
        "asana-client-secret",
        "app/config.txt",
        &["ASANA_CLIENT_SECRET = \"[[{a32}]]\"\n"],
        &["ASANA_CLIENT_SECRET = \"{a31}\"\n"],
    ),
    (
        "atlassian-api-token",
        "app/config.txt",
        &["JIRA_TOKEN=[[ATATT3{A186}]]\n", "jira_api_token = \"[[{a20}{h4}]]\"\n"],
        &["jira_api_token = \"{a20}\"\n"],
    ),
    (
        "beamer-api-token",
        "app/config.txt",
        &["BEAMER_API_KEY = \"[[b_{x44}]]\"\n"],
        &["BEAMER_API_KEY = \"b_{x43}\"\n"],
    ),
    (
        "bitbucket-client-id",
        "app/config.txt",
        &["BITBUCKET_CLIENT_ID = \"[[{a32}]]\"\n"],
        &["BITBUCKET_CLIENT_ID = \"{a31}\"\n"],
    ),
    (
        "bitbucket-client-secret",
        "app/config.txt",
        &["BITBUCKET_CLIENT_SECRET = \"[[{x64}]]\"\n"],
        &["BITBUCKET_CLIENT_SECRET = \"{x63}\"\n"],
    ),
    (
        "bittrex-api-key",
        "app/config.txt",
        &["BITTREX_API_SECRET = \"[[{a32}]]\"\n"],
        &["BITTREX_API_SECRET = \"{a31}\"\n"],
    ),
    (
        "cisco-meraki-api-key",
        "app/config.txt",
        &["MERAKI_DASHBOARD_API_KEY = \"[[{h40}]]\"\n"],
        &["MERAKI_DASHBOARD_API_KEY = \"{h39}\"\n"],
    ),
    (
        "cloudflare-api-key",
        "app/config.txt",
        &["CLOUDFLARE_API_TOKEN = \"[[{w40}]]\"\n"],
        &["CLOUDFLARE_API_TOKEN = \"{w39}\"\n"],
    ),
    (
        "cloudflare-global-api-key",
        "app/config.txt",
        &["CLOUDFLARE_API_KEY = \"[[{h37}]]\"\n"],
        &["CLOUDFLARE_API_KEY = \"{h36}\"\n"],
    ),
    (
        "codecov-access-token",
        "app/config.txt",
        &["CODECOV_TOKEN = \"[[{a32}]]\"\n"],
        &["CODECOV_TOKEN = \"{a31}\"\n"],
    ),
    (
        "cohere-api-token",
        "app/config.txt",
        &["COHERE_API_KEY = \"[[{A40}]]\"\n"],
        &["COHERE_API_KEY = \"{A39}\"\n"],
    ),
    (
        "coinbase-access-token",
        "app/config.txt",
        &["COINBASE_ACCESS_TOKEN = \"[[{x64}]]\"\n"],
        &["COINBASE_ACCESS_TOKEN = \"{x63}\"\n"],
    ),
    (
        "confluent-access-token",
        "app/config.txt",
        &["CONFLUENT_API_KEY = \"[[{U16}]]\"\n"],
        &["CONFLUENT_API_KEY = \"{U15}\"\n"],
    ),
    (
        "confluent-secret-key",
        "app/config.txt",
        &["CONFLUENT_API_SECRET = \"[[{A64}]]\"\n"],
        &["CONFLUENT_API_SECRET = \"{A63}\"\n"],
    ),
    (
        "contentful-delivery-api-token",
        "app/config.txt",
        &["CONTENTFUL_DELIVERY_TOKEN = \"[[{w43}]]\"\n"],
        &["CONTENTFUL_DELIVERY_TOKEN = \"{w42}\"\n"],
    ),
    (
        "discord-api-token",
        "app/config.txt",
        &["DISCORD_PUBLIC_KEY = \"[[{h64}]]\"\n"],
        &["DISCORD_PUBLIC_KEY = \"{h63}\"\n"],
    ),
    (
        "discord-client-id",
        "app/config.txt",
        &["DISCORD_CLIENT_ID = \"[[{d18}]]\"\n"],
        &["DISCORD_CLIENT_ID = \"{d17}\"\n"],
    ),
    (
        "discord-client-secret",
        "app/config.txt",
        &["DISCORD_CLIENT_SECRET = \"[[{w32}]]\"\n"],
        &["DISCORD_CLIENT_SECRET = \"{w31}\"\n"],
    ),
    (
        "droneci-access-token",
        "app/config.txt",
        &["DRONE_TOKEN = \"[[{a32}]]\"\n"],
        &["DRONE_TOKEN = \"{a31}\"\n"],
    ),
    (
        "dropbox-api-token",
        "app/config.txt",
        &["DROPBOX_APP_SECRET = \"[[{a15}]]\"\n"],
        &["DROPBOX_APP_SECRET = \"{a14}\"\n"],
    ),
    (
        "dropbox-long-lived-api-token",
        "app/config.txt",
        &["DROPBOX_TOKEN = \"[[{A11}AAAAAAAAAA{w43}]]\"\n"],
        &["DROPBOX_TOKEN = \"{A11}AAAAAAAAAA{w42}\"\n"],
    ),
    (
        "dropbox-short-lived-api-token",
        "app/config.txt",
        &["DROPBOX_ACCESS_TOKEN = \"[[sl.{w140}]]\"\n"],
        &["DROPBOX_ACCESS_TOKEN = \"sl.{w100}\"\n"],
    ),
    (
        "etsy-access-token",
        "app/config.txt",
        &["ETSY_API_KEY = \"[[{a24}]]\"\n"],
        &["ETSY_API_KEY = \"{a23}\"\n"],
    ),
    (
        "facebook-access-token",
        "app/config.txt",
        &["FACEBOOK_ACCESS_TOKEN = \"[[{d15}|{w30}]]\"\n"],
        &["FACEBOOK_ACCESS_TOKEN = \"{d15}|{w20}\"\n"],
    ),
    (
        "facebook-secret",
        "app/config.txt",
        &["FACEBOOK_APP_SECRET = \"[[{h32}]]\"\n"],
        &["FACEBOOK_APP_SECRET = \"{h31}\"\n"],
    ),
    (
        "fastly-api-token",
        "app/config.txt",
        &["FASTLY_API_TOKEN = \"[[{w32}]]\"\n"],
        &["FASTLY_API_TOKEN = \"{w31}\"\n"],
    ),
    (
        "finicity-api-token",
        "app/config.txt",
        &["FINICITY_APP_KEY = \"[[{h32}]]\"\n"],
        &["FINICITY_APP_KEY = \"{h31}\"\n"],
    ),
    (
        "finicity-client-secret",
        "app/config.txt",
        &["FINICITY_SECRET = \"[[{A20}]]\"\n"],
        &["FINICITY_SECRET = \"{A19}\"\n"],
    ),
    (
        "finnhub-access-token",
        "app/config.txt",
        &["FINNHUB_API_KEY = \"[[{a20}]]\"\n"],
        &["FINNHUB_API_KEY = \"{a19}\"\n"],
    ),
    (
        "flickr-access-token",
        "app/config.txt",
        &["FLICKR_API_KEY = \"[[{a32}]]\"\n"],
        &["FLICKR_API_KEY = \"{a31}\"\n"],
    ),
    (
        "freshbooks-access-token",
        "app/config.txt",
        &["FRESHBOOKS_TOKEN = \"[[{a64}]]\"\n"],
        &["FRESHBOOKS_TOKEN = \"{a63}\"\n"],
    ),
    (
        "gitter-access-token",
        "app/config.txt",
        &["GITTER_TOKEN = \"[[{x40}]]\"\n"],
        &["GITTER_TOKEN = \"{x39}\"\n"],
    ),
    (
        "gocardless-api-token",
        "app/config.txt",
        &["GOCARDLESS_ACCESS_TOKEN = \"[[live_{w40}]]\"\n"],
        &["GOCARDLESS_ACCESS_TOKEN = \"live_{w39}\"\n"],
    ),
    (
        "heroku-api-key",
        "app/config.txt",
        &["HEROKU_API_KEY = \"[[{h8}-{h4}-{h4}-{h4}-{h12}]]\"\n"],
        &["HEROKU_API_KEY = \"{h8}-{h4}-{h4}-{h4}-{h11}\"\n"],
    ),
    (
        "hubspot-api-key",
        "app/config.txt",
        &["HUBSPOT_API_KEY = \"[[{h8}-{h4}-{h4}-{h4}-{h12}]]\"\n"],
        &["HUBSPOT_API_KEY = \"{h8}-{h4}-{h4}-{h4}-{h11}\"\n"],
    ),
    (
        "intercom-api-key",
        "app/config.txt",
        &["INTERCOM_ACCESS_TOKEN = \"[[{w60}]]\"\n"],
        &["INTERCOM_ACCESS_TOKEN = \"{w59}\"\n"],
    ),
    (
        "intercom-client-secret",
        "app/config.txt",
        &["INTERCOM_CLIENT_SECRET = \"[[{h8}-{h4}-{h4}-{h4}-{h12}]]\"\n"],
        &["INTERCOM_CLIENT_SECRET = \"{h8}-{h4}-{h4}-{h4}-{h11}\"\n"],
    ),
    (
        "jfrog-api-key",
        "app/config.txt",
        &["JFROG_API_KEY = \"[[{A73}]]\"\n"],
        &["JFROG_API_KEY = \"{A72}\"\n"],
    ),
    (
        "jfrog-identity-token",
        "app/config.txt",
        &["JFROG_IDENTITY_TOKEN = \"[[{A64}]]\"\n"],
        &["JFROG_IDENTITY_TOKEN = \"{A63}\"\n"],
    ),
    (
        "kraken-access-token",
        "app/config.txt",
        &["KRAKEN_API_SECRET = \"[[{A86}]]\"\n"],
        &["KRAKEN_API_SECRET = \"{A70}\"\n"],
    ),
    (
        "kucoin-access-token",
        "app/config.txt",
        &["KUCOIN_API_KEY = \"[[{h24}]]\"\n"],
        &["KUCOIN_API_KEY = \"{h23}\"\n"],
    ),
    (
        "kucoin-secret-key",
        "app/config.txt",
        &["KUCOIN_API_SECRET = \"[[{h8}-{h4}-{h4}-{h4}-{h12}]]\"\n"],
        &["KUCOIN_API_SECRET = \"{h8}-{h4}-{h4}-{h4}-{h11}\"\n"],
    ),
    (
        "launchdarkly-access-token",
        "app/config.txt",
        &["LAUNCHDARKLY_ACCESS_TOKEN = \"[[{w40}]]\"\n"],
        &["LAUNCHDARKLY_ACCESS_TOKEN = \"{w39}\"\n"],
    ),
    (
        "linear-client-secret",
        "app/config.txt",
        &["LINEAR_CLIENT_SECRET = \"[[{h32}]]\"\n"],
        &["LINEAR_CLIENT_SECRET = \"{h31}\"\n"],
    ),
    (
        "linkedin-client-id",
        "app/config.txt",
        &["LINKEDIN_CLIENT_ID = \"[[{a14}]]\"\n"],
        &["LINKEDIN_CLIENT_ID = \"{a13}\"\n"],
    ),
    (
        "linkedin-client-secret",
        "app/config.txt",
        &["LINKEDIN_CLIENT_SECRET = \"[[{A16}]]\"\n"],
        &["LINKEDIN_CLIENT_SECRET = \"{A15}\"\n"],
    ),
    (
        "lob-api-key",
        "app/config.txt",
        &["LOB_API_KEY = \"[[live_{h35}]]\"\n"],
        &["LOB_API_KEY = \"live_{h34}\"\n"],
    ),
    (
        "looker-client-id",
        "app/config.txt",
        &["LOOKER_CLIENT_ID = \"[[{a20}]]\"\n"],
        &["LOOKER_CLIENT_ID = \"{a19}\"\n"],
    ),
    (
        "looker-client-secret",
        "app/config.txt",
        &["LOOKER_CLIENT_SECRET = \"[[{a24}]]\"\n"],
        &["LOOKER_CLIENT_SECRET = \"{a23}\"\n"],
    ),
    (
        "mailchimp-api-key",
        "app/config.txt",
        &["MAILCHIMP_API_KEY = \"[[{h32}-us12]]\"\n"],
        &["MAILCHIMP_API_KEY = \"{h31}-us12\"\n"],
    ),
    (
        "mailgun-signing-key",
        "app/config.txt",
        &["MAILGUN_SIGNING_KEY = \"[[{h32}-{h8}-{h8}]]\"\n"],
        &["MAILGUN_SIGNING_KEY = \"{h31}-{h8}-{h8}\"\n"],
    ),
    (
        "mattermost-access-token",
        "app/config.txt",
        &["MATTERMOST_TOKEN = \"[[{a26}]]\"\n"],
        &["MATTERMOST_TOKEN = \"{a25}\"\n"],
    ),
    (
        "messagebird-api-token",
        "app/config.txt",
        &["MESSAGEBIRD_API_KEY = \"[[{A25}]]\"\n"],
        &["MESSAGEBIRD_API_KEY = \"{A24}\"\n"],
    ),
    (
        "messagebird-client-id",
        "app/config.txt",
        &["MESSAGEBIRD_CLIENT_ID = \"[[{h8}-{h4}-{h4}-{h4}-{h12}]]\"\n"],
        &["MESSAGEBIRD_CLIENT_ID = \"{h8}-{h4}-{h4}-{h4}-{h11}\"\n"],
    ),
    (
        "netlify-access-token",
        "app/config.txt",
        &["NETLIFY_AUTH_TOKEN = \"[[{w43}]]\"\n"],
        &["NETLIFY_AUTH_TOKEN = \"{w35}\"\n"],
    ),
    (
        "new-relic-user-api-id",
        "app/config.txt",
        &["NEW_RELIC_API_ID = \"[[{A64}]]\"\n"],
        &["NEW_RELIC_API_ID = \"{A63}\"\n"],
    ),
    (
        "nytimes-access-token",
        "app/config.txt",
        &["NYTIMES_API_KEY = \"[[{w32}]]\"\n"],
        &["NYTIMES_API_KEY = \"{w31}\"\n"],
    ),
    (
        "okta-access-token",
        "app/config.txt",
        &["OKTA_API_TOKEN = \"[[00{w40}]]\"\n"],
        &["OKTA_API_TOKEN = \"00{w39}\"\n"],
    ),
    (
        "plaid-api-token",
        "app/config.txt",
        &["PLAID_ACCESS_TOKEN = \"[[access-production-{h8}-{h4}-{h4}-{h4}-{h12}]]\"\n"],
        &["PLAID_ACCESS_TOKEN = \"access-production-{h8}-{h4}-{h4}-{h4}-{h11}\"\n"],
    ),
    (
        "plaid-client-id",
        "app/config.txt",
        &["PLAID_CLIENT_ID = \"[[{a24}]]\"\n"],
        &["PLAID_CLIENT_ID = \"{a23}\"\n"],
    ),
    (
        "plaid-secret-key",
        "app/config.txt",
        &["PLAID_SECRET = \"[[{a30}]]\"\n"],
        &["PLAID_SECRET = \"{a29}\"\n"],
    ),
    (
        "privateai-api-token",
        "app/config.txt",
        &["PRIVATE_AI_API_KEY = \"[[{a32}]]\"\n"],
        &["PRIVATE_AI_API_KEY = \"{a31}\"\n"],
    ),
    (
        "rapidapi-access-token",
        "app/config.txt",
        &["RAPIDAPI_KEY = \"[[{x50}]]\"\n"],
        &["RAPIDAPI_KEY = \"{x49}\"\n"],
    ),
    (
        "sendbird-access-id",
        "app/config.txt",
        &["SENDBIRD_APP_ID = \"[[{h8}-{h4}-{h4}-{h4}-{h12}]]\"\n"],
        &["SENDBIRD_APP_ID = \"{h8}-{h4}-{h4}-{h4}-{h11}\"\n"],
    ),
    (
        "sendbird-access-token",
        "app/config.txt",
        &["SENDBIRD_API_TOKEN = \"[[{h40}]]\"\n"],
        &["SENDBIRD_API_TOKEN = \"{h39}\"\n"],
    ),
    (
        "sentry-access-token",
        "app/config.txt",
        &["SENTRY_AUTH_TOKEN = \"[[{h64}]]\"\n"],
        &["SENTRY_AUTH_TOKEN = \"{h63}\"\n"],
    ),
    (
        "snyk-api-token",
        "app/config.txt",
        &["SNYK_TOKEN = \"[[{h8}-{h4}-{h4}-{h4}-{h12}]]\"\n"],
        &["SNYK_TOKEN = \"{h8}-{h4}-{h4}-{h4}-{h11}\"\n"],
    ),
    (
        "sonar-api-token",
        "app/config.txt",
        &["SONAR_TOKEN = \"[[squ_{h40}]]\"\n"],
        &["SONAR_TOKEN = \"squ_{h39}\"\n"],
    ),
    (
        "squarespace-access-token",
        "app/config.txt",
        &["SQUARESPACE_API_KEY = \"[[{h8}-{h4}-{h4}-{h4}-{h12}]]\"\n"],
        &["SQUARESPACE_API_KEY = \"{h8}-{h4}-{h4}-{h4}-{h11}\"\n"],
    ),
    (
        "sumologic-access-id",
        "app/config.txt",
        &["SUMO_ACCESS_ID = \"[[su{A12}]]\"\n"],
        &["SUMO_ACCESS_ID = \"su{A11}\"\n"],
    ),
    (
        "sumologic-access-token",
        "app/config.txt",
        &["SUMO_ACCESS_KEY = \"[[{A64}]]\"\n"],
        &["SUMO_ACCESS_KEY = \"{A63}\"\n"],
    ),
    (
        "travisci-access-token",
        "app/config.txt",
        &["TRAVIS_API_TOKEN = \"[[{a22}]]\"\n"],
        &["TRAVIS_API_TOKEN = \"{a21}\"\n"],
    ),
    (
        "twitch-api-token",
        "app/config.txt",
        &["TWITCH_CLIENT_SECRET = \"[[{a30}]]\"\n"],
        &["TWITCH_CLIENT_SECRET = \"{a29}\"\n"],
    ),
    (
        "twitter-access-secret",
        "app/config.txt",
        &["TWITTER_ACCESS_SECRET = \"[[{A45}]]\"\n"],
        &["TWITTER_ACCESS_SECRET = \"{A44}\"\n"],
    ),
    (
        "twitter-access-token",
        "app/config.txt",
        &["TWITTER_ACCESS_TOKEN = \"[[{d18}-{A30}]]\"\n"],
        &["TWITTER_ACCESS_TOKEN = \"{d18}-{A12}\"\n"],
    ),
    (
        "twitter-api-key",
        "app/config.txt",
        &["TWITTER_API_KEY = \"[[{A25}]]\"\n"],
        &["TWITTER_API_KEY = \"{A24}\"\n"],
    ),
    (
        "twitter-api-secret",
        "app/config.txt",
        &["TWITTER_API_SECRET = \"[[{A50}]]\"\n"],
        &["TWITTER_API_SECRET = \"{A49}\"\n"],
    ),
    (
        "twitter-bearer-token",
        "app/config.txt",
        &["TWITTER_BEARER_TOKEN = \"[[AAAAAAAAAAAAAAAAAAAAAA{A90}]]\"\n"],
        &["TWITTER_BEARER_TOKEN = \"AAAAAAAAAAAAAAAAAAAAAA{A60}\"\n"],
    ),
    (
        "zendesk-secret-key",
        "app/config.txt",
        &["ZENDESK_API_TOKEN = \"[[{A40}]]\"\n"],
        &["ZENDESK_API_TOKEN = \"{A39}\"\n"],
    ),
];

/// One positive and one near-miss case (at least) for every recall rule.
pub(crate) fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    for (k, &(rule, path, positives, near)) in ROWS.iter().enumerate() {
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
    for (k, &(rule, path, positives, _)) in ROWS.iter().enumerate() {
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
    for &(source, id, counterparts, why) in upstream::UPSTREAM {
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
    for &(source, id, counterparts, _) in upstream::UPSTREAM {
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

//! Cases for messaging, SaaS and AI provider tokens.

use super::*;

/// Messaging and SaaS tokens.
pub(super) fn messaging_saas(g: &mut Gen, v: &mut Vec<Case>) {
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
        uuid(g),
        uuid(g),
        g.s(HEX, 32),
        uuid(g)
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
            uuid(g)
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
}

/// AI provider keys.
pub(super) fn ai(g: &mut Gen, v: &mut Vec<Case>) {
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
}

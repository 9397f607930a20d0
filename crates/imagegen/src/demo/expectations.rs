//! What the demo image must produce: every expected finding, the clean cases and
//! `assets/demo/EXPECTED.md`.

use super::{demo_secrets, demo_spec, CleanCase, ExpectedLeak, LeakStatus};

/// Every finding the demo image must produce (see `assets/demo/EXPECTED.md`).
pub fn demo_expectations() -> Vec<ExpectedLeak> {
    let k = demo_secrets();
    let e = |leak: u8,
             kind: &'static str,
             src: &str,
             layer: Option<usize>,
             history: usize,
             status: LeakStatus,
             by: Option<usize>,
             secret: &str| ExpectedLeak {
        leak,
        kind,
        path_or_source: src.to_string(),
        layer,
        history,
        status,
        removed_or_replaced_in: by,
        secret: secret.to_string(),
    };
    use LeakStatus::*;
    vec![
        e(
            1,
            "netrc-password",
            "/root/.netrc",
            Some(2),
            5,
            Deleted,
            Some(8),
            &k.netrc_password,
        ),
        e(
            2,
            "github-pat",
            "/tmp/secrets/github_token",
            Some(3),
            6,
            Deleted,
            Some(7),
            &k.github_token_file,
        ),
        e(
            3,
            "npm-token",
            "history[16].created_by",
            Some(10),
            16,
            History,
            None,
            &k.npm_token,
        ),
        e(
            4,
            "github-pat",
            "history[14].created_by",
            None,
            14,
            History,
            None,
            &k.github_token_env,
        ),
        e(
            4,
            "github-pat",
            "config.Env:GITHUB_TOKEN",
            None,
            14,
            Config,
            None,
            &k.github_token_env,
        ),
        e(
            5,
            "password-assignment",
            "history[3].created_by",
            None,
            3,
            History,
            None,
            &k.db_password,
        ),
        e(
            5,
            "password-assignment",
            "config.Env:DB_PASSWORD",
            None,
            3,
            Config,
            None,
            &k.db_password,
        ),
        e(
            6,
            "openssh-private-key",
            "/root/.ssh/id_ed25519",
            Some(4),
            7,
            Deleted,
            Some(6),
            &k.ssh_private_key,
        ),
        e(
            6,
            "aws-access-key-id",
            "/root/.aws/credentials",
            Some(4),
            7,
            Deleted,
            Some(6),
            &k.aws_access_key_id,
        ),
        e(
            6,
            "aws-secret-access-key",
            "/root/.aws/credentials",
            Some(4),
            7,
            Deleted,
            Some(6),
            &k.aws_secret_access_key,
        ),
        e(
            7,
            "postgres-uri",
            "/app/config/production.yml",
            Some(11),
            17,
            Visible,
            None,
            &k.postgres_password,
        ),
        e(
            7,
            "redis-uri",
            "/app/config/production.yml",
            Some(11),
            17,
            Visible,
            None,
            &k.redis_password,
        ),
        e(
            7,
            "jwt",
            "/app/config/production.yml",
            Some(11),
            17,
            Visible,
            None,
            &k.service_jwt,
        ),
        e(
            8,
            "stripe-live-key",
            "/app/.env",
            Some(5),
            8,
            Overwritten,
            Some(9),
            &k.stripe_key,
        ),
    ]
}

/// Places in the demo image that must produce NO finding.
pub fn demo_clean_cases() -> Vec<CleanCase> {
    let c = |what, src: &str, layer, history| CleanCase {
        what,
        path_or_source: src.to_string(),
        layer,
        history,
    };
    vec![
        c(
            "multi-stage COPY --from=builder: only the artifact, no builder key",
            "history[18].created_by + layer 12 (/app/bin/demo-app)",
            Some(12),
            18,
        ),
        c(
            "BuildKit secret mount: no .npmrc in the layer, no secret in created_by",
            "history[19].created_by + layer 13",
            Some(13),
            19,
        ),
        c(
            "npm integrity hashes (sha512-…) are not secrets",
            "/app/package-lock.json",
            Some(5),
            8,
        ),
        c(
            "npm integrity hashes (sha512-…) are not secrets",
            "/app/node_modules/.package-lock.json",
            Some(13),
            19,
        ),
        c(
            "scrubbed .env: STRIPE_KEY=${STRIPE_KEY} is a placeholder",
            "/app/.env",
            Some(9),
            12,
        ),
        c(
            "ARG without a value in created_by",
            "history[13].created_by",
            None,
            13,
        ),
        c(
            "ARG without a value in created_by",
            "history[15].created_by",
            None,
            15,
        ),
    ]
}

/// The content of `assets/demo/EXPECTED.md`.
pub fn expected_markdown() -> String {
    let spec = demo_spec();
    let mut s = String::new();
    s.push_str("# layerscope demo image: expected findings\n\n");
    s.push_str("Generated by `cargo run --example make_demo` from `src/imagegen/demo.rs` (`demo_spec`, `demo_expectations`, `demo_clean_cases`); do not edit by hand.\n\n");
    s.push_str("`assets/demo/demo.tar` is a Docker legacy `docker save` archive of `layerscope/demo:latest`. ");
    s.push_str("All secrets are FAKE (deterministic, generated from fixed seeds in `src/imagegen/fake.rs`).\n\n");
    s.push_str("Indices are 0-based: **layer** counts layers in `manifest.json` order, **history** counts every `history` entry (empty ones included). ");
    s.push_str("Status: `visible` = in the final filesystem; `deleted` = in a lower layer, removed by the layer in *by*; `overwritten` = replaced by different content in the layer in *by*; `history` = in `created_by`; `config` = in the image config `Env`.\n\n");

    s.push_str("## Build steps\n\n| history | layer | created_by (secrets shortened) | leak |\n|---|---|---|---|\n");
    let exps = demo_expectations();
    let clean = demo_clean_cases();
    let mut next_layer = 0usize;
    for (h, step) in spec.steps.iter().enumerate() {
        let layer = step.has_layer().then(|| {
            next_layer += 1;
            next_layer - 1
        });
        let mut cb = step.created_by.clone();
        for x in &exps {
            if x.secret.len() > 12 {
                cb = cb.replace(&x.secret, &format!("{}…", &x.secret[..10]));
            }
        }
        let mut notes: Vec<String> = Vec::new();
        for x in &exps {
            let n = if x.history == h {
                format!("leak {}", x.leak)
            } else if layer.is_some() && x.removed_or_replaced_in == layer {
                match x.status {
                    LeakStatus::Deleted => format!("removes leak {}", x.leak),
                    _ => format!("replaces leak {}", x.leak),
                }
            } else {
                continue;
            };
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
        if notes.is_empty() && clean.iter().any(|c| c.history == h && c.layer.is_some()) {
            notes.push("clean: must find nothing".into());
        }
        s.push_str(&format!(
            "| {h} | {} | `{}` | {} |\n",
            layer.map(|l| l.to_string()).unwrap_or_else(|| "–".into()),
            cb.replace('|', "\\|"),
            notes.join("; ")
        ));
    }
    s.push_str("\n## Findings\n\n| leak | kind | path or source | layer | history | status | by | secret (prefix) |\n|---|---|---|---|---|---|---|---|\n");
    for x in &exps {
        let first = x.secret.lines().next().unwrap_or("");
        let shown: String = first.chars().take(14).collect();
        s.push_str(&format!(
            "| {} | {} | `{}` | {} | {} | {} | {} | `{}…` |\n",
            x.leak,
            x.kind,
            x.path_or_source,
            x.layer.map(|l| l.to_string()).unwrap_or_else(|| "–".into()),
            x.history,
            x.status.as_str(),
            x.removed_or_replaced_in
                .map(|l| format!("layer {l}"))
                .unwrap_or_else(|| "–".into()),
            shown
        ));
    }
    s.push_str("\nLeaks: 1 `.netrc` COPYed then `rm`ed; 2 secret file removed in its own RUN; 3 `--build-arg` token in `created_by`; 4 `ARG` exported as `ENV`; 5 `ENV DB_PASSWORD`; 6 SSH key and AWS credentials removed with their directories (directory whiteouts `root/.wh..ssh`, `root/.wh..aws`); 7 production config with connection strings left in place; 8 `.env` whose first version had a live key, overwritten later.\n");

    s.push_str("\nNotes:\n\n");
    s.push_str("- *secret* is the credential itself: for the `postgres://` and `redis://` URIs the password part; for the SSH key the whole PEM block.\n");
    s.push_str("- Leaks 4 and 5 appear twice each (history and config), by design: `ENV` writes the value both into `created_by` and into `config.Env`.\n");
    s.push_str("- Leak 3's step makes a layer (layer 10), but the layer itself is clean; the token is only in `created_by`.\n");
    s.push_str("- History 19: real BuildKit records only `RUN /bin/sh -c npm ci --omit=dev # buildkit` (mount flags are not kept); the `--mount=type=secret,…` text is kept here on purpose, so the TUI shows the correct pattern and the scanner proves it does not flag a secret *id*.\n");
    s.push_str("- Like every real `docker save` ≤24, the top layer's legacy `<v1id>/json` in the archive repeats the container config, so the `Env` values of leaks 4 and 5 are in that file too; it is archive metadata, not part of any layer.\n");
    s.push_str("- History 0-1 imitate a base image, 2-16 an app-base stage built with the classic builder, 17-21 the app stage built with BuildKit (comment `buildkit.dockerfile.v0`).\n");
    s.push_str("\n## Must produce nothing\n\n| what | path or source | layer | history |\n|---|---|---|---|\n");
    for c in demo_clean_cases() {
        s.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            c.what,
            c.path_or_source,
            c.layer.map(|l| l.to_string()).unwrap_or_else(|| "–".into()),
            c.history
        ));
    }
    s
}

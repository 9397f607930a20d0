//! The demo / leak-vector image: every classic Docker secret leak, each in its own build
//! step, plus two correct patterns that must produce nothing.
//!
//! `cargo run --example make_demo` writes it to `assets/demo/demo.tar` (Docker legacy
//! `docker save`, `layerscope/demo:latest`) together with `assets/demo/EXPECTED.md`.
//!
//! The history imitates a real image: a base image (`ADD file:… in /`, `CMD`), an
//! "app-base" stage built with the classic builder (`/bin/sh -c #(nop)  ENV …`,
//! `|1 NPM_TOKEN=… /bin/sh -c npm ci`), and an app stage built with BuildKit
//! (`COPY … # buildkit`, comment `buildkit.dockerfile.v0`). All secrets are FAKE, generated
//! by [`super::fake`] from fixed seeds.

use super::fake;
use super::{sha256_hex, ImageSpec, Node, Step};
use std::collections::BTreeMap;

mod expectations;

pub use expectations::{demo_clean_cases, demo_expectations, expected_markdown};

/// Status of a finding, as the secrets engine should report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LeakStatus {
    /// In the final filesystem.
    Visible,
    /// In a lower layer, deleted (whiteout) by a later layer.
    Deleted,
    /// In a lower layer, the path replaced by different content in a later layer.
    Overwritten,
    /// In a `history[].created_by` string.
    History,
    /// In the image config (`config.Env`).
    Config,
}

impl LeakStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LeakStatus::Visible => "visible",
            LeakStatus::Deleted => "deleted",
            LeakStatus::Overwritten => "overwritten",
            LeakStatus::History => "history",
            LeakStatus::Config => "config",
        }
    }
}

/// One finding the demo image must produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedLeak {
    /// Which classic leak (1-8, numbering of the brief / EXPECTED.md).
    pub leak: u8,
    /// What kind of secret (a suggested rule id, e.g. `github-pat`).
    pub kind: &'static str,
    /// Absolute path in the image (`/root/.netrc`), or `history[N].created_by`, or
    /// `config.Env:NAME`.
    pub path_or_source: String,
    /// 0-based layer index in manifest order; `None` for a step without a layer.
    pub layer: Option<usize>,
    /// 0-based index into `history` (all entries, empty ones included).
    pub history: usize,
    pub status: LeakStatus,
    /// Layer index of the layer that deleted (`Deleted`) or replaced (`Overwritten`) it.
    pub removed_or_replaced_in: Option<usize>,
    /// The exact fake secret value.
    pub secret: String,
}

/// Something that looks interesting but must produce NO finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CleanCase {
    pub what: &'static str,
    pub path_or_source: String,
    pub layer: Option<usize>,
    pub history: usize,
}

/// Every fake secret in the demo image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSecrets {
    pub netrc_password: String,
    pub github_token_file: String,
    pub npm_token: String,
    pub github_token_env: String,
    pub db_password: String,
    pub ssh_private_key: String,
    pub aws_access_key_id: String,
    pub aws_secret_access_key: String,
    pub postgres_password: String,
    pub redis_password: String,
    pub service_jwt: String,
    pub stripe_key: String,
}

pub fn demo_secrets() -> DemoSecrets {
    let s = |n: &str| format!("layerscope-demo/{n}");
    DemoSecrets {
        netrc_password: fake::password(&s("netrc"), 24),
        github_token_file: fake::github_pat(&s("tmp-secrets-github-token")),
        npm_token: fake::npm_token(&s("npm-token")),
        github_token_env: fake::github_pat(&s("env-github-token")),
        db_password: fake::password(&s("db-password"), 20),
        ssh_private_key: fake::openssh_ed25519_private_key(&s("ssh"), "deploy@ci-runner"),
        aws_access_key_id: fake::aws_access_key_id(&s("aws-id")),
        aws_secret_access_key: fake::aws_secret_access_key(&s("aws-secret")),
        postgres_password: fake::password(&s("postgres"), 22),
        redis_password: fake::password(&s("redis"), 18),
        service_jwt: fake::jwt(&s("jwt"), "svc-billing"),
        stripe_key: fake::stripe_live_key(&s("stripe")),
    }
}

pub const DEMO_NAME: &str = "layerscope/demo:latest";
const BUILDKIT: &str = "buildkit.dockerfile.v0";

fn copy_file(content: &[u8], dest: &str) -> String {
    format!(
        "/bin/sh -c #(nop) COPY file:{} in {dest} ",
        sha256_hex(content)
    )
}

fn copy_dir(contents: &[&[u8]], dest: &str) -> String {
    let mut all = Vec::new();
    for c in contents {
        all.extend_from_slice(c);
    }
    format!("/bin/sh -c #(nop) COPY dir:{} in {dest} ", sha256_hex(&all))
}

fn package_lock(entries: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "{\n  \"name\": \"demo-app\",\n  \"version\": \"1.4.2\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"demo-app\",\n      \"version\": \"1.4.2\"\n    }",
    );
    for (name, version) in entries {
        s.push_str(&format!(
            ",\n    \"node_modules/{name}\": {{\n      \"version\": \"{version}\",\n      \"resolved\": \"https://registry.npmjs.org/{name}/-/{}-{version}.tgz\",\n      \"integrity\": \"{}\"\n    }}",
            name.rsplit('/').next().unwrap(),
            fake::npm_integrity(name, version)
        ));
    }
    s.push_str("\n  }\n}\n");
    s
}

const LOCK_DEPS: &[(&str, &str)] = &[
    ("@example/private-sdk", "2.3.0"),
    ("accepts", "1.3.8"),
    ("body-parser", "1.20.2"),
    ("express", "4.19.2"),
    ("ms", "2.1.3"),
];

/// The demo image's spec (deterministic).
pub fn demo_spec() -> ImageSpec {
    let k = demo_secrets();
    let base_t = "2024-02-13T00:20:01.423911213Z";

    // --- layer 0: base rootfs -------------------------------------------------------------
    let os_release = b"PRETTY_NAME=\"Layerscope Demo Linux 1.0\"\nNAME=\"Layerscope Demo Linux\"\nVERSION_ID=\"1.0\"\nID=layerscope-demo\nHOME_URL=\"https://example.com/layerscope\"\n";
    let passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\napp:x:1000:1000::/app:/usr/sbin/nologin\n";
    let group = b"root:x:0:\nnogroup:x:65534:\napp:x:1000:\n";
    let base_layer = vec![
        Node::dir("bin"),
        Node::dir("etc"),
        Node::file("etc/group", group),
        Node::file("etc/hostname", b"localhost\n"),
        Node::file("etc/os-release", os_release),
        Node::file("etc/passwd", passwd),
        Node::dir("home"),
        Node::dir("root").mode(0o700),
        Node::dir("tmp").mode(0o1777),
        Node::dir("usr"),
        Node::dir("usr/local"),
        Node::dir("usr/local/bin"),
        Node::dir("var"),
        Node::dir("var/log"),
    ];
    let base_digest = sha256_hex(&super::layer_tar(&base_layer));

    // --- app-base stage files ---------------------------------------------------------------
    let netrc = format!(
        "machine api.example.com login deploy password {}\n",
        k.netrc_password
    );
    let gh_file = format!("{}\n", k.github_token_file);
    let aws_credentials = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = eu-west-1\n",
        k.aws_access_key_id, k.aws_secret_access_key
    );
    let env_v1 = format!(
        "NODE_ENV=production\nPORT=8080\nSTRIPE_KEY={}\n",
        k.stripe_key
    );
    let env_v2 = "NODE_ENV=production\nPORT=8080\nSTRIPE_KEY=${STRIPE_KEY}\n";
    let package_json = "{\n  \"name\": \"demo-app\",\n  \"version\": \"1.4.2\",\n  \"private\": true,\n  \"main\": \"server.js\",\n  \"scripts\": {\n    \"start\": \"node server.js\"\n  },\n  \"dependencies\": {\n    \"@example/private-sdk\": \"^2.3.0\",\n    \"express\": \"^4.19.2\"\n  }\n}\n";
    let lock = package_lock(LOCK_DEPS);
    let server_js = "const express = require('express');\nconst app = express();\napp.get('/healthz', (req, res) => res.send('ok'));\napp.listen(process.env.PORT || 8080);\n";
    let fetch_sh = "#!/bin/sh\nset -eu\n# Fetches the private library over SSH with the deploy key.\ngit clone --depth 1 git@github.com:example/private-lib.git /app/vendor/private-lib\n";
    let private_lib_pkg =
        "{\n  \"name\": \"private-lib\",\n  \"version\": \"0.9.1\",\n  \"main\": \"index.js\"\n}\n";
    let private_lib_js = "module.exports = function greet(name) {\n  return 'hello ' + name;\n};\n";
    let sdk_pkg = "{\n  \"name\": \"@example/private-sdk\",\n  \"version\": \"2.3.0\",\n  \"main\": \"index.js\"\n}\n";
    let sdk_js =
        "exports.client = function client(opts) {\n  return { baseUrl: opts.baseUrl };\n};\n";
    let node_modules_lock_1 = package_lock(&LOCK_DEPS[..1]);

    // --- app stage (BuildKit) files --------------------------------------------------------
    let production_yml = format!(
        "# Production settings\nserver:\n  port: 8080\n  log_level: info\ndatabase:\n  url: postgres://app:{}@db.internal:5432/app\n  pool: 10\ncache:\n  url: redis://:{}@cache:6379/0\nbilling:\n  endpoint: https://billing.internal/v1\n  service_token: {}\n",
        k.postgres_password, k.redis_password, k.service_jwt
    );
    let bundle = "#!/usr/bin/env node\n'use strict';\n/* demo-app 1.4.2, bundled by the builder stage */\nrequire('../server.js');\n";
    let express_pkg =
        "{\n  \"name\": \"express\",\n  \"version\": \"4.19.2\",\n  \"main\": \"index.js\"\n}\n";
    let express_js = "'use strict';\nmodule.exports = require('./lib/express');\n";
    let node_modules_lock_2 = package_lock(LOCK_DEPS);

    let t = |s: &str| format!("2024-05-14T09:12:{s}Z");
    let bt = |s: &str| format!("2024-06-02T16:{s}Z");

    let steps = vec![
        // 0 / L0
        Step::layer(
            format!("/bin/sh -c #(nop) ADD file:{base_digest} in / "),
            base_layer,
        )
        .at(base_t),
        // 1
        Step::empty("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]").at("2024-02-13T00:20:01.722305987Z"),
        // 2
        Step::empty("/bin/sh -c #(nop)  LABEL maintainer=platform-team@example.com")
            .at(t("01.104392731")),
        // 3: leak 5
        Step::empty(format!(
            "/bin/sh -c #(nop)  ENV DB_PASSWORD={}",
            k.db_password
        ))
        .at(t("01.318840027")),
        // 4 / L1
        Step::layer("/bin/sh -c #(nop) WORKDIR /app", vec![Node::dir("app")])
            .at(t("01.622791464")),
        // 5 / L2: leak 1
        Step::layer(
            copy_file(netrc.as_bytes(), "/root/.netrc"),
            vec![
                Node::dir("root").mode(0o700),
                Node::file("root/.netrc", &netrc).mode(0o600),
            ],
        )
        .at(t("02.015528838")),
        // 6 / L3: leak 2
        Step::layer(
            copy_file(gh_file.as_bytes(), "/tmp/secrets/github_token"),
            vec![
                Node::dir("tmp").mode(0o1777),
                Node::dir("tmp/secrets"),
                Node::file("tmp/secrets/github_token", &gh_file),
            ],
        )
        .at(t("02.407717205")),
        // 7 / L4: leak 6
        Step::layer(
            copy_dir(
                &[aws_credentials.as_bytes(), k.ssh_private_key.as_bytes()],
                "/root/",
            ),
            vec![
                Node::dir("root").mode(0o700),
                Node::dir("root/.aws").mode(0o700),
                Node::file("root/.aws/credentials", &aws_credentials).mode(0o600),
                Node::dir("root/.ssh").mode(0o700),
                Node::file("root/.ssh/id_ed25519", &k.ssh_private_key).mode(0o600),
            ],
        )
        .at(t("02.811064158")),
        // 8 / L5: leak 8 (first version)
        Step::layer(
            copy_dir(
                &[
                    env_v1.as_bytes(),
                    lock.as_bytes(),
                    package_json.as_bytes(),
                    fetch_sh.as_bytes(),
                    server_js.as_bytes(),
                ],
                "/app",
            ),
            vec![
                Node::dir("app"),
                Node::file("app/.env", &env_v1),
                Node::file("app/package-lock.json", &lock),
                Node::file("app/package.json", package_json),
                Node::dir("app/scripts"),
                Node::file("app/scripts/fetch-private-deps.sh", fetch_sh).mode(0o755),
                Node::file("app/server.js", server_js),
            ],
        )
        .at(t("03.256100784")),
        // 9 / L6: deletes leak 6 (directory whiteouts)
        Step::layer(
            "/bin/sh -c sh ./scripts/fetch-private-deps.sh && rm -rf /root/.ssh /root/.aws",
            vec![
                Node::dir("app"),
                Node::dir("app/vendor"),
                Node::dir("app/vendor/private-lib"),
                Node::file("app/vendor/private-lib/index.js", private_lib_js),
                Node::file("app/vendor/private-lib/package.json", private_lib_pkg),
                Node::dir("root").mode(0o700),
                Node::whiteout("root/.aws"),
                Node::whiteout("root/.ssh"),
            ],
        )
        .at(t("05.930276512")),
        // 10 / L7: deletes leak 2 (file whiteout)
        Step::layer(
            "/bin/sh -c rm -f /tmp/secrets/github_token",
            vec![
                Node::dir("tmp").mode(0o1777),
                Node::dir("tmp/secrets"),
                Node::whiteout("tmp/secrets/github_token"),
            ],
        )
        .at(t("06.529115473")),
        // 11 / L8: deletes leak 1
        Step::layer(
            "/bin/sh -c rm -f /root/.netrc",
            vec![
                Node::dir("root").mode(0o700),
                Node::whiteout("root/.netrc"),
            ],
        )
        .at(t("07.104377916")),
        // 12 / L9: overwrites leak 8
        Step::layer(
            "/bin/sh -c sed -i 's/^STRIPE_KEY=.*/STRIPE_KEY=${STRIPE_KEY}/' /app/.env",
            vec![Node::dir("app"), Node::file("app/.env", env_v2)],
        )
        .at(t("07.690528003")),
        // 13
        Step::empty("/bin/sh -c #(nop)  ARG GITHUB_TOKEN").at(t("07.902214360")),
        // 14: leak 4
        Step::empty(format!(
            "/bin/sh -c #(nop)  ENV GITHUB_TOKEN={}",
            k.github_token_env
        ))
        .at(t("08.113745092")),
        // 15
        Step::empty("/bin/sh -c #(nop)  ARG NPM_TOKEN").at(t("08.327691150")),
        // 16 / L10: leak 3
        Step::layer(
            format!("|1 NPM_TOKEN={} /bin/sh -c npm ci", k.npm_token),
            vec![
                Node::dir("app"),
                Node::dir("app/node_modules"),
                Node::file("app/node_modules/.package-lock.json", &node_modules_lock_1),
                Node::dir("app/node_modules/@example"),
                Node::dir("app/node_modules/@example/private-sdk"),
                Node::file("app/node_modules/@example/private-sdk/index.js", sdk_js),
                Node::file("app/node_modules/@example/private-sdk/package.json", sdk_pkg),
            ],
        )
        .at(t("19.774310928")),
        // 17 / L11: leak 7 (BuildKit from here on)
        Step::layer(
            "COPY config/production.yml /app/config/production.yml # buildkit",
            vec![
                Node::dir("app"),
                Node::dir("app/config"),
                Node::file("app/config/production.yml", &production_yml),
            ],
        )
        .at(bt("40:11.118302581"))
        .comment(BUILDKIT),
        // 18 / L12: correct pattern: multi-stage, only the artifact crosses over
        Step::layer(
            "COPY --from=builder /src/app/bin /app/bin # buildkit",
            vec![
                Node::dir("app"),
                Node::dir("app/bin"),
                Node::file("app/bin/demo-app", bundle).mode(0o755),
            ],
        )
        .at(bt("40:11.402117563"))
        .comment(BUILDKIT),
        // 19 / L13: correct pattern: BuildKit secret mount, the .npmrc never lands in a layer.
        // (Real BuildKit records only `RUN /bin/sh -c npm ci --omit=dev # buildkit`; the mount
        // flag is kept here so the TUI shows what the step did.)
        Step::layer(
            "RUN --mount=type=secret,id=npmrc,target=/root/.npmrc /bin/sh -c npm ci --omit=dev # buildkit",
            vec![
                Node::dir("app"),
                Node::dir("app/node_modules"),
                Node::file("app/node_modules/.package-lock.json", &node_modules_lock_2),
                Node::dir("app/node_modules/express"),
                Node::file("app/node_modules/express/index.js", express_js),
                Node::file("app/node_modules/express/package.json", express_pkg),
            ],
        )
        .at(bt("41:02.264907733"))
        .comment(BUILDKIT),
        // 20
        Step::empty("USER app")
            .at(bt("41:02.264907733"))
            .comment(BUILDKIT),
        // 21
        Step::empty("CMD [\"node\" \"server.js\"]")
            .at(bt("41:02.264907733"))
            .comment(BUILDKIT),
    ];

    let mut labels = BTreeMap::new();
    labels.insert(
        "maintainer".to_string(),
        "platform-team@example.com".to_string(),
    );
    ImageSpec {
        name: DEMO_NAME.into(),
        os: "linux".into(),
        architecture: "amd64".into(),
        env: vec![
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            format!("DB_PASSWORD={}", k.db_password),
            format!("GITHUB_TOKEN={}", k.github_token_env),
        ],
        labels,
        cmd: Some(vec!["node".into(), "server.js".into()]),
        entrypoint: None,
        working_dir: "/app".into(),
        user: "app".into(),
        created: bt("41:02.264907733"),
        steps,
        ..ImageSpec::default()
    }
}

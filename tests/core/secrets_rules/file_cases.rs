//! Cases for generic assignments, credential files and config/history carriers.

use super::*;

/// Generic secret assignments.
pub(super) fn generic(g: &mut Gen, v: &mut Vec<Case>) {
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
}

/// Credential files.
pub(super) fn credential_files(g: &mut Gen, v: &mut Vec<Case>) {
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
    let k = STANDARD.encode(pem(g, "RSA PRIVATE KEY", &Gen::new(18).bytes(200)));
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
}

/// Config and history carriers.
pub(super) fn config_history(g: &mut Gen, v: &mut Vec<Case>) {
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
}

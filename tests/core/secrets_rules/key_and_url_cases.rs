//! Cases for private keys and for credentials inside connection strings, URLs and command lines.

use super::*;

/// Private keys.
pub(super) fn keys(g: &mut Gen, v: &mut Vec<Case>) {
    // --- keys
    let k = pem(g, "RSA PRIVATE KEY", &Gen::new(11).bytes(900));
    v.push(pos(
        "private-key",
        Via::File("app/server.key"),
        format!("{k}\n"),
        k,
    ));
    let k = openssh_key(g, "none");
    v.push(pos(
        "private-key",
        Via::File("root/.ssh/id_ed25519"),
        format!("{k}\n"),
        k,
    ));
    let k = pem(g, "PRIVATE KEY", &Gen::new(12).bytes(900));
    v.push(pos(
        "private-key",
        Via::File("etc/ssl/private/tls.pem"),
        format!("{}\n{k}\n", pem(g, "CERTIFICATE", &Gen::new(13).bytes(500))),
        k,
    ));
    v.push(neg(
        "private-key",
        F,
        "-----BEGIN PRIVATE KEY-----\nMIIBshort\n-----END PRIVATE KEY-----\n",
    ));
    let k = pem(g, "ENCRYPTED PRIVATE KEY", &Gen::new(14).bytes(900));
    v.push(neg("private-key", F, format!("{k}\n")));

    let k = pem(g, "ENCRYPTED PRIVATE KEY", &Gen::new(15).bytes(900));
    v.push(pos("encrypted-private-key", F, format!("{k}\n"), k));
    let k = openssh_key(g, "aes256-ctr");
    v.push(pos(
        "encrypted-private-key",
        Via::File("root/.ssh/id_rsa"),
        format!("{k}\n"),
        k,
    ));
    let k = openssh_key(g, "none");
    v.push(neg("encrypted-private-key", F, format!("{k}\n")));

    let k = STANDARD.encode(pem(g, "EC PRIVATE KEY", &Gen::new(16).bytes(120)));
    v.push(pos(
        "private-key-base64",
        Via::File("app/values.yaml"),
        format!("tls:\n  client-key-data: {k}\n"),
        k,
    ));
    let c = STANDARD.encode(pem(g, "CERTIFICATE", &Gen::new(17).bytes(300)));
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

    let s = jwt(g);
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
}

/// Connection strings, URLs and command lines.
pub(super) fn connection_strings(g: &mut Gen, v: &mut Vec<Case>) {
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
}

//! Precision: ordinary content stays free of high-severity findings.

use super::*;

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

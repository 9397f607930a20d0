//! Post-match filters: placeholder allowlist and named per-rule checks.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;

/// Named checks a rule can reference with `check = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    UnencryptedPrivateKey,
    EncryptedPrivateKey,
    Base64PrivateKey,
    Jwt,
    BasicAuth,
    GenericValue,
    NotPlaceholderUrl,
    MixedCharset,
    OutsideXmlComment,
    Base64Jwt,
}

impl Check {
    pub(crate) fn from_name(name: &str) -> Option<Check> {
        Some(match name {
            "unencrypted-private-key" => Check::UnencryptedPrivateKey,
            "encrypted-private-key" => Check::EncryptedPrivateKey,
            "base64-private-key" => Check::Base64PrivateKey,
            "jwt" => Check::Jwt,
            "basic-auth" => Check::BasicAuth,
            "generic-value" => Check::GenericValue,
            "not-placeholder-url" => Check::NotPlaceholderUrl,
            "mixed-charset" => Check::MixedCharset,
            "outside-xml-comment" => Check::OutsideXmlComment,
            "base64-jwt" => Check::Base64Jwt,
            _ => return None,
        })
    }

    /// `true` keeps the match.
    pub(crate) fn passes(self, secret: &[u8], whole: &[u8]) -> bool {
        match self {
            Check::UnencryptedPrivateKey => !is_encrypted_key(secret),
            Check::EncryptedPrivateKey => is_encrypted_key(secret),
            Check::Base64PrivateKey => decode_b64_lenient(secret)
                .map(|d| memchr::memmem::find(&d, b"PRIVATE KEY").is_some())
                .unwrap_or(false),
            Check::Jwt => is_jwt(secret),
            Check::BasicAuth => decode_b64_lenient(secret)
                .map(|d| is_user_pass(&d))
                .unwrap_or(false),
            Check::GenericValue => !looks_like_code_or_reference(secret),
            Check::NotPlaceholderUrl => !url_is_placeholder(whole),
            // Random keys mix digits and letters; identifiers such as
            // `AWSCertificateManagerPrivateCAFullAccess` do not.
            Check::MixedCharset => {
                secret.iter().any(u8::is_ascii_digit)
                    && secret.iter().any(u8::is_ascii_lowercase)
                    && secret.iter().any(u8::is_ascii_uppercase)
            }
            Check::OutsideXmlComment => true,
            Check::Base64Jwt => decode_b64_lenient(secret).is_some_and(|d| {
                let t = d.trim_ascii();
                t.iter().filter(|&&b| b == b'.').count() == 2
                    && t.split(|&b| b == b'.')
                        .nth(1)
                        .is_some_and(|p| p.starts_with(b"eyJ"))
                    && is_jwt(t)
            }),
        }
    }

    /// Checks that need the text before the match, which `passes` does not see. `start` is
    /// where the match begins in `data`.
    pub(crate) fn passes_in_context(self, data: &[u8], start: usize) -> bool {
        match self {
            // Stock config files (Maven's settings.xml) show credentials in commented-out examples.
            Check::OutsideXmlComment => !in_xml_comment(&data[..start.min(data.len())]),
            _ => true,
        }
    }
}

/// Whether the end of `before` lies inside an unclosed `<!-- ... -->`.
fn in_xml_comment(before: &[u8]) -> bool {
    match memchr::memmem::rfind(before, b"<!--") {
        Some(open) => memchr::memmem::find(&before[open + 4..], b"-->").is_none(),
        None => false,
    }
}

fn decode_b64_lenient(s: &[u8]) -> Option<Vec<u8>> {
    let trimmed: Vec<u8> = s
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(&trimmed)
        .or_else(|_| {
            let t: &[u8] = trimmed
                .strip_suffix(b"==")
                .or_else(|| trimmed.strip_suffix(b"="))
                .unwrap_or(&trimmed);
            STANDARD_NO_PAD.decode(t)
        })
        .ok()
}

/// `user:password` with a non-empty, printable password.
pub(crate) fn is_user_pass(d: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(d) else {
        return false;
    };
    if s.chars().any(|c| c.is_control()) {
        return false;
    }
    match s.split_once(':') {
        Some((_, pass)) => !pass.is_empty() && !is_placeholder(pass.as_bytes()),
        None => false,
    }
}

/// PEM with `ENCRYPTED` in its header (PKCS#8 `ENCRYPTED PRIVATE KEY`,
/// `Proc-Type: 4,ENCRYPTED`), or an OpenSSH key whose cipher is not `none`.
pub(crate) fn is_encrypted_key(pem: &[u8]) -> bool {
    let head = &pem[..pem.len().min(200)];
    if memchr::memmem::find(head, b"ENCRYPTED").is_some() {
        return true;
    }
    if memchr::memmem::find(head, b"OPENSSH PRIVATE KEY").is_some() {
        // Body starts after the first line.
        let body_start = memchr::memchr(b'\n', pem).map(|i| i + 1).unwrap_or(0);
        let b64: Vec<u8> = pem[body_start..]
            .iter()
            .copied()
            .take_while(|&b| b != b'-')
            .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
            .take(64)
            .collect();
        if let Ok(d) = STANDARD_NO_PAD.decode(&b64[..b64.len() / 4 * 4]) {
            // "openssh-key-v1\0" + u32 len + ciphername
            if d.len() > 19 && d.starts_with(b"openssh-key-v1\0") {
                let n = u32::from_be_bytes([d[15], d[16], d[17], d[18]]) as usize;
                let name = &d[19..d.len().min(19 + n)];
                return name != b"none";
            }
        }
    }
    false
}

fn is_jwt(s: &[u8]) -> bool {
    let header = s.split(|&b| b == b'.').next().unwrap_or(b"");
    match URL_SAFE_NO_PAD.decode(header) {
        Ok(d) => d.first() == Some(&b'{') && memchr::memmem::find(&d, b"\"alg\"").is_some(),
        Err(_) => false,
    }
}

fn url_is_placeholder(whole: &[u8]) -> bool {
    // user part
    let s = String::from_utf8_lossy(whole).to_ascii_lowercase();
    let Some(i) = s.find("://") else { return false };
    let rest = &s[i + 3..];
    let user = rest.split(':').next().unwrap_or("");
    matches!(user, "user" | "username" | "foo" | "xxx" | "<user>" | "usr")
        && is_placeholder(rest.split(':').nth(1).unwrap_or("").as_bytes())
        || rest.contains("@example.")
        || rest.contains("@host")
}

/// Values in assignments that are code, not literals: `self.password`,
/// `config.get`, `os.environ`, `/path/to/file`, `sha512-...` integrity
/// hashes, all-lowercase snake_case identifiers.
pub(crate) fn looks_like_code_or_reference(v: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(v) else {
        return false;
    };
    if s.starts_with('/') || s.starts_with("./") || s.starts_with("../") || s.starts_with("~/") {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    for p in [
        "sha1-", "sha256-", "sha384-", "sha512-", "http://", "https://", "file:",
    ] {
        if lower.starts_with(p) {
            return true;
        }
    }
    // dotted identifier path: a.b.c (no digits-only segments)
    let ident = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if s.contains('.') && s.split('.').all(ident) {
        return true;
    }
    // snake/kebab-case lowercase words without digits: "required", "not_set"
    if s.bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
    {
        return true;
    }
    // CONSTANT_CASE without digits: "SECRET_NAME"
    if s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        return true;
    }
    false
}

const PLACEHOLDER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "secret",
    "pwd",
    "changeme",
    "changeit",
    "example",
    "test",
    "testing",
    "user",
    "username",
    "token",
    "xxx",
    "null",
    "none",
    "nil",
    "true",
    "false",
    "undefined",
    "redacted",
    "todo",
    "mypassword",
    "yourpassword",
    "foobar",
    "foo",
    "bar",
    "admin",
    "root",
    "default",
    "required",
    "empty",
    "hidden",
    "masked",
    "secretkey",
    "password123",
    "apikey",
    "api_key",
];

const PLACEHOLDER_SUBSTRINGS: &[&str] = &[
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "your_",
    "your-",
    "yourapi",
    "yourtoken",
    "yoursecret",
    "yourpass",
    "<redacted>",
    "redacted",
    "dummy",
    "xxxx",
    "****",
    "${",
    "{{",
    "}}",
    "<%",
    "%>",
    "$(",
    "%s",
    "<your",
    "replace_me",
    "replaceme",
    "replace-me",
    "insert_",
    "insert-your",
    "notreal",
    "not_real",
    "not-a-real",
    "not_a_real",
    "fake_",
    "fake-",
    "lorem",
    "0123456789",
    "123456789",
    "abcdefghij",
    "qwerty",
];

/// Placeholder / example values that are never reported.
pub fn is_placeholder(secret: &[u8]) -> bool {
    let s = String::from_utf8_lossy(secret);
    let t = s.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    if t.is_empty() {
        return true;
    }
    // Too short to be a credential anyone chose (`https://a:b@host` in documentation), or not
    // text at all (a string table in a compiled file).
    if t.chars().count() < 4
        || t.chars()
            .any(|c| (c.is_control() && !c.is_whitespace()) || c == '\u{fffd}')
    {
        return true;
    }
    // Only punctuation: `***`, `...`, `---`.
    if !t.chars().any(char::is_alphanumeric) {
        return true;
    }
    // Format-string fields: `{self.password}`, `{auth_token}`, `%(password)s`, `%s`.
    if (t.starts_with('{') && t.ends_with('}')) || t.starts_with("%(") || t == "%s" {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.contains(&lower.as_str()) {
        return true;
    }
    if PLACEHOLDER_SUBSTRINGS.iter().any(|p| lower.contains(p)) {
        return true;
    }
    let b = lower.as_bytes();
    // $VAR, $(cmd), ${VAR}, %VAR%, <value>, @VAR@
    if b[0] == b'$' && b.len() > 1 && (b[1].is_ascii_alphabetic() || b[1] == b'_' || b[1] == b'{') {
        return true;
    }
    if b.len() > 2
        && ((b[0] == b'%' && b[b.len() - 1] == b'%')
            || (b[0] == b'<' && b[b.len() - 1] == b'>')
            || (b[0] == b'@' && b[b.len() - 1] == b'@'))
    {
        return true;
    }
    // repeated characters: a run covering a third of the value, or very few distinct chars
    let mut longest = 1;
    let mut run = 1;
    for w in b.windows(2) {
        if w[0] == w[1] {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 1;
        }
    }
    if longest >= 6 && longest * 3 >= b.len() {
        return true;
    }
    if b.len() >= 8 {
        let mut seen = [false; 256];
        let mut distinct = 0;
        for &c in b {
            if !seen[c as usize] {
                seen[c as usize] = true;
                distinct += 1;
            }
        }
        if distinct <= 2 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_jwt() {
        let jwt = format!(
            "{}.{}.c2lnbmF0dXJlLWJ5dGVz",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"svc"}"#)
        );
        assert!(Check::Base64Jwt.passes(STANDARD.encode(&jwt).as_bytes(), b""));
        let no_alg = jwt.replacen("eyJhbGci", "eyJraWQi", 1);
        assert!(!Check::Base64Jwt.passes(STANDARD.encode(no_alg).as_bytes(), b""));
        assert!(!Check::Base64Jwt.passes(STANDARD.encode(b"eyJ{}.x").as_bytes(), b""));
        assert!(!Check::Base64Jwt.passes(b"ZXlK not base64", b""));
    }

    #[test]
    fn xml_comment_context() {
        let c = Check::OutsideXmlComment;
        let doc = b"<a>1</a>\n<!-- example:\n<b>2</b>\n-->\n<c>3</c>";
        let at = |needle: &[u8]| memchr::memmem::find(doc, needle).unwrap();
        assert!(c.passes_in_context(doc, at(b"<a>")));
        assert!(!c.passes_in_context(doc, at(b"<b>")));
        assert!(c.passes_in_context(doc, at(b"<c>")));
        assert!(c.passes(b"x", b"x"));
        assert!(Check::MixedCharset.passes_in_context(doc, at(b"<b>")));
        assert_eq!(Check::from_name("outside-xml-comment"), Some(c));
    }

    #[test]
    fn placeholders() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "${GITHUB_TOKEN}",
            "{{ .Values.token }}",
            "xxxxxxxxxxxxxxxx",
            "<redacted>",
            "changeme",
            "your_api_key",
            "dummy-token-value",
            "placeholder",
            "ghp_000000000000000000000000000000000000",
            "$NPM_TOKEN",
            "%API_KEY%",
            "<your-token>",
            "abababababab",
            "********",
            "",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for p in [
            "hunter2x",
            "Zq8vB1nT4rW0",
            "ghp_R4nd0mV4lu3s9Lk2JqPzX7cVb1Nm8Qw3Er5T",
        ] {
            assert!(!is_placeholder(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn code_references() {
        for v in [
            "self.password",
            "os.environ",
            "/run/secrets/db",
            "sha512-abc",
            "not_set",
        ] {
            assert!(looks_like_code_or_reference(v.as_bytes()), "{v}");
        }
        assert!(!looks_like_code_or_reference(b"s3cr3t-V4lue"));
    }

    #[test]
    fn basic_auth_decode() {
        assert!(Check::BasicAuth.passes(b"YWxpY2U6czNjcjN0UGFzcw==", b""));
        assert!(!Check::BasicAuth.passes(b"bm9jb2xvbmhlcmU=", b""));
    }
}

//! Deterministic FAKE secrets in the formats real ones have, for tests, the demo image and
//! the benchmarks. Every value comes from a seeded PRNG: none is, or was ever, a real
//! credential. Where a format carries a checksum (GitHub and npm tokens) it is computed, so
//! checksum-validating detectors accept the fakes too.

use base64::Engine;

/// SplitMix64: tiny, fast, deterministic across platforms.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// Seeded from a label (FNV-1a), so each secret has its own stable stream.
    pub fn from_label(label: &str) -> Rng {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in label.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
        Rng(h)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    /// A fork with its own stream, so sub-generators do not shift each other.
    pub fn fork(&mut self, salt: u64) -> Rng {
        Rng::new(self.next_u64() ^ salt.wrapping_mul(0x2545_f491_4f6c_dd1d))
    }
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let v = self.next_u64().to_le_bytes();
        let n = rest.len();
        rest.copy_from_slice(&v[..n]);
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
    /// `n` characters drawn from `alphabet`.
    pub fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

pub const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const UPPER_B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// CRC-32 (IEEE), as GitHub's token checksum uses.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in data {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn base62(mut v: u64, width: usize) -> String {
    let mut s = Vec::new();
    while v > 0 {
        s.push(ALNUM[(v % 62) as usize]);
        v /= 62;
    }
    while s.len() < width {
        s.push(b'0');
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

/// `<prefix>_` + 30 random base62 + 6-char base62 CRC-32 of the random part (GitHub's
/// and npm's token format: 36 characters after the prefix).
fn checksummed(prefix: &str, seed: &str) -> String {
    let mut r = Rng::from_label(seed);
    let body = r.string(ALNUM, 30);
    format!(
        "{prefix}_{body}{}",
        base62(crc32(body.as_bytes()) as u64, 6)
    )
}

/// A fake GitHub classic personal access token: `ghp_` + 36.
pub fn github_pat(seed: &str) -> String {
    checksummed("ghp", seed)
}

/// A fake npm access token: `npm_` + 36.
pub fn npm_token(seed: &str) -> String {
    checksummed("npm", seed)
}

/// A fake AWS access key ID: `AKIA` + 16 of `[A-Z2-7]`; ends in `EXAMPLE` like AWS's own
/// documentation keys, so a human sees at once it is not real.
pub fn aws_access_key_id(seed: &str) -> String {
    let mut r = Rng::from_label(seed);
    format!("AKIA{}EXAMPLE", r.string(UPPER_B32, 9))
}

/// A fake AWS secret access key: 40 of `[A-Za-z0-9+/]`.
pub fn aws_secret_access_key(seed: &str) -> String {
    Rng::from_label(seed).string(B64, 40)
}

/// A fake Stripe live secret key: `sk_live_` + 24 alphanumerics.
pub fn stripe_live_key(seed: &str) -> String {
    format!("sk_live_{}", Rng::from_label(seed).string(ALNUM, 24))
}

/// A random alphanumeric password of `n` characters.
pub fn password(seed: &str, n: usize) -> String {
    Rng::from_label(seed).string(ALNUM, n)
}

/// A JWT (HS256) with a fake signature.
pub fn jwt(seed: &str, subject: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut r = Rng::from_label(seed);
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let iat = 1_700_000_000 + r.below(30_000_000);
    let payload = b64.encode(
        format!(
            r#"{{"sub":"{subject}","iss":"https://auth.example.com","iat":{iat},"exp":{}}}"#,
            iat + 31_536_000
        )
        .as_bytes(),
    );
    let sig = b64.encode(r.bytes(32));
    format!("{header}.{payload}.{sig}")
}

fn ssh_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// A syntactically valid `openssh-key-v1` ed25519 private key block (unencrypted), with
/// random key material: it parses, but the public half does not match the seed.
pub fn openssh_ed25519_private_key(seed: &str, comment: &str) -> String {
    let mut r = Rng::from_label(seed);
    let public = r.bytes(32);
    let private_seed = r.bytes(32);
    let mut pubblob = Vec::new();
    ssh_string(&mut pubblob, b"ssh-ed25519");
    ssh_string(&mut pubblob, &public);

    let check = (r.next_u64() as u32).to_be_bytes();
    let mut private = Vec::new();
    private.extend_from_slice(&check);
    private.extend_from_slice(&check);
    ssh_string(&mut private, b"ssh-ed25519");
    ssh_string(&mut private, &public);
    let mut sk = private_seed.clone();
    sk.extend_from_slice(&public);
    ssh_string(&mut private, &sk);
    ssh_string(&mut private, comment.as_bytes());
    let mut pad = 1u8;
    while private.len() % 8 != 0 {
        private.push(pad);
        pad += 1;
    }

    let mut blob = b"openssh-key-v1\0".to_vec();
    ssh_string(&mut blob, b"none");
    ssh_string(&mut blob, b"none");
    ssh_string(&mut blob, b"");
    blob.extend_from_slice(&1u32.to_be_bytes());
    ssh_string(&mut blob, &pubblob);
    ssh_string(&mut blob, &private);

    let b64 = base64::engine::general_purpose::STANDARD.encode(&blob);
    let mut out = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    out
}

/// An npm `integrity` value (`sha512-<base64>`): high entropy but not a secret.
pub fn npm_integrity(package: &str, version: &str) -> String {
    use sha2::{Digest, Sha512};
    let d = Sha512::digest(format!("{package}@{version}").as_bytes());
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(d)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let g = github_pat("x");
        assert!(g.starts_with("ghp_") && g.len() == 40, "{g}");
        assert!(g[4..].bytes().all(|c| c.is_ascii_alphanumeric()));
        let body = &g[4..34];
        assert_eq!(&g[34..], base62(crc32(body.as_bytes()) as u64, 6));
        assert_eq!(github_pat("x"), g, "deterministic");
        assert_ne!(github_pat("y"), g);
        let n = npm_token("n");
        assert!(n.starts_with("npm_") && n.len() == 40);
        let a = aws_access_key_id("a");
        assert!(a.starts_with("AKIA") && a.len() == 20);
        assert!(a[4..]
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_eq!(aws_secret_access_key("s").len(), 40);
        assert_eq!(stripe_live_key("k").len(), 8 + 24);
        assert_eq!(jwt("j", "svc").split('.').count(), 3);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn openssh_key_parses() {
        let k = openssh_ed25519_private_key("k", "deploy@ci");
        let body: String = k.lines().filter(|l| !l.starts_with("-----")).collect();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        assert!(raw.starts_with(b"openssh-key-v1\0"));
        assert!(k.lines().all(|l| l.len() <= 70 || l.starts_with("-----")));
    }
}

//! Masking, fingerprints and small byte helpers.

use sha2::{Digest, Sha256};

/// Mask a secret for display: a short prefix then `…`.
///
/// At most the first 4 characters are shown; shorter secrets show fewer
/// (16+ chars: 4, 12–15: 3, 8–11: 2, 4–7: 1, under 4: none).
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = match n {
        0..=3 => 0,
        4..=7 => 1,
        8..=11 => 2,
        12..=15 => 3,
        _ => 4,
    };
    let mut out: String = secret
        .chars()
        .take(keep)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    out.push('…');
    out
}

/// Stable fingerprint of a finding: lowercase hex SHA-256 of
/// `rule \0 secret`. Independent of path and layer, so a baseline survives
/// rebuilds.
pub fn fingerprint(rule: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0u8]);
    h.update(secret.as_bytes());
    crate::digest::hex(&h.finalize())
}

/// SHA-256 of data as `sha256:<hex>`; used as the "secret" of whole-file findings.
pub(crate) fn content_digest(data: &[u8]) -> String {
    format!("sha256:{}", crate::digest::sha256_hex(data))
}

/// Heuristic binary detection: a NUL byte in the first 8 KiB, or more than
/// 10% of the first 8 KiB in invalid UTF-8 sequences.
pub fn is_binary(data: &[u8]) -> bool {
    let head = &data[..data.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        return true;
    }
    let mut invalid = 0usize;
    let mut rest = head;
    loop {
        match std::str::from_utf8(rest) {
            Ok(_) => break,
            Err(e) => match e.error_len() {
                Some(n) => {
                    invalid += n;
                    rest = &rest[e.valid_up_to() + n..];
                }
                // Truncated sequence at the end of the window: not an error.
                None => break,
            },
        }
    }
    !head.is_empty() && invalid * 10 > head.len()
}

/// Shannon entropy (bits per byte) of `data`.
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_lengths() {
        assert_eq!(mask(""), "…");
        assert_eq!(mask("abc"), "…");
        assert_eq!(mask("abcdef"), "a…");
        assert_eq!(mask("abcdefgh"), "ab…");
        assert_eq!(mask("abcdefghijkl"), "abc…");
        assert_eq!(mask("ghp_0123456789abcdef"), "ghp_…");
        assert_eq!(mask("äöüßäöüßäöüßäöüßx"), "äöüß…");
    }

    #[test]
    fn fingerprint_stable() {
        let a = fingerprint("github-pat", "ghp_x");
        assert_eq!(a.len(), 64);
        assert_eq!(a, fingerprint("github-pat", "ghp_x"));
        assert_ne!(a, fingerprint("github-oauth", "ghp_x"));
        assert_ne!(fingerprint("ab", "c"), fingerprint("a", "bc"));
    }

    #[test]
    fn binary_detection() {
        assert!(!is_binary(b"hello world\n"));
        assert!(!is_binary("grüße\n".as_bytes()));
        assert!(is_binary(b"ELF\0\x01\x02"));
        assert!(is_binary(&[0xff; 100]));
        assert!(!is_binary(b""));
    }

    #[test]
    fn entropy() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}

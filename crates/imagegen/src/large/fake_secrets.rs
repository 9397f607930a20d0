//! Fake secrets (generated, never real) planted in the images.

use crate::fake::Rng;

pub struct Secrets {
    pub aws_key_id: String,
    pub aws_secret: String,
    pub github: String,
    pub pem: String,
    pub deep_key_id: String,
}

impl Secrets {
    pub fn new(seed: u64) -> Secrets {
        let mut r = Rng::new(seed ^ 0x5ec2e7);
        const UP: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let body: String = (0..20)
            .map(|_| r.string(B64, 64) + "\n")
            .collect::<Vec<_>>()
            .concat();
        Secrets {
            aws_key_id: format!("AKIA{}", r.string(UP, 16)),
            aws_secret: r.string(B64, 40),
            github: format!("ghp_{}", r.string(ALNUM, 36)),
            pem: format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n"),
            deep_key_id: format!("AKIA{}", r.string(UP, 16)),
        }
    }
}

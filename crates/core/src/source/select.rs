//! Choosing one image when an archive holds several, or an index lists several platforms.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl FromStr for Platform {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(format!(
                "platform {s:?} is not os/arch[/variant] (e.g. linux/amd64)"
            )),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    pub fn host() -> Platform {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Platform {
            os: "linux".into(),
            arch: arch.into(),
            variant: None,
        }
    }

    /// A wanted platform matches when os and arch agree and, if it names a variant, that too.
    pub fn matches(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.arch == other.arch
            && (self.variant.is_none() || self.variant == other.variant)
    }
}

/// Does a user-given image reference name this candidate? Accepts `name:tag`, `name` (meaning
/// `:latest`), the Docker Hub short forms, a bare tag as OCI `ref.name` holds it, and a digest or
/// image-id prefix.
pub(super) fn reference_matches(wanted: &str, names: &[String], digests: &[String]) -> bool {
    let norm = |s: &str| -> String {
        let s = s
            .trim_start_matches("docker.io/")
            .trim_start_matches("index.docker.io/")
            .trim_start_matches("library/");
        let s = s.trim_start_matches("localhost/");
        let last = s.rsplit('/').next().unwrap_or(s);
        if last.contains(':') || s.contains('@') {
            s.to_string()
        } else {
            format!("{s}:latest")
        }
    };
    let w = norm(wanted);
    if names.iter().any(|n| n == wanted || norm(n) == w) {
        return true;
    }
    // A bare tag, as OCI `ref.name` annotations often hold it.
    if !wanted.contains([':', '/', '@'])
        && names
            .iter()
            .any(|n| n.rsplit_once(':').is_some_and(|(_, t)| t == wanted))
    {
        return true;
    }
    let hex = wanted.trim_start_matches("sha256:");
    hex.len() >= 6
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && digests
            .iter()
            .any(|d| d.trim_start_matches("sha256:").starts_with(hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_parse() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(p.variant.as_deref(), Some("v8"));
        assert!("linux".parse::<Platform>().is_err());
        let q: Platform = "linux/arm64".parse().unwrap();
        assert!(q.matches(&p));
        assert!(!p.matches(&q));
    }

    #[test]
    fn refs() {
        let names = vec!["docker.io/library/alpine:3.10".to_string()];
        assert!(reference_matches("alpine:3.10", &names, &[]));
        assert!(!reference_matches("alpine", &names, &[]));
        let names = vec!["localhost/nobin:latest".to_string()];
        assert!(reference_matches("nobin", &names, &[]));
        assert!(reference_matches(
            "abcdef12",
            &[],
            &["sha256:abcdef1234".into()]
        ));
    }
}

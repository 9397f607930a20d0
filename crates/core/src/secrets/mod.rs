//! Secret detection engine.
//!
//! * Content rules (gitleaks TOML format, built-in set in
//!   `assets/rules/builtin.toml`) are prefiltered by one ASCII
//!   case-insensitive Aho-Corasick automaton over all keywords; only rules
//!   whose keyword hit run, over a bounded window around the hit, with
//!   regexes compiled lazily on first use.
//! * Credential files (`.netrc`, `.npmrc`, docker `config.json`, kubeconfig,
//!   …) are recognised by path and parsed.
//! * Image config / history strings: [`Scanner::scan_env`],
//!   [`Scanner::scan_text`], [`split_build_args`], [`is_secret_name`].
//!
//! Secrets never appear in `Debug` output or errors; every surface masks through [`redact`]
//! (spans of the bytes shown plus every [`KnownSecrets`] value); [`mask`] is the mask of one value;
//! use them for display and [`fingerprint`] for baselines.

mod engine;
mod files;
mod filters;
mod history;
mod keywords;
mod mask;
mod redact;
mod regex;
mod rules;
mod types;

pub use engine::Scanner;
pub use filters::is_placeholder;
pub use history::{is_secret_name, split_build_args};
pub use mask::{fingerprint, is_binary, mask, shannon_entropy};
pub use redact::{
    likely_secret_spans, mask_spans, no_escape, redact, redact_str, shown, Escape, Hidden,
    KnownSecrets, Piece, SecretSpan,
};
pub use rules::RuleSet;
pub use types::{BuildArg, Confidence, Match, RuleInfo, SecretsError, Severity};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn scanner_is_send_sync() {
        assert_send_sync::<Scanner>();
        assert_send_sync::<RuleSet>();
    }

    #[test]
    fn severity_parse_and_order() {
        assert_eq!("high".parse::<Severity>().unwrap(), Severity::High);
        assert!("bogus".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Medium > Severity::Low);
        assert!(Confidence::High > Confidence::Low);
        assert_eq!(
            serde_json::to_string(&Severity::Critical).unwrap(),
            "\"critical\""
        );
        assert_eq!(
            serde_json::to_string(&Confidence::Medium).unwrap(),
            "\"medium\""
        );
    }

    #[test]
    fn build_args_split() {
        let cb = "|2 TOKEN=abc123 OTHER=x /bin/sh -c echo";
        let a = split_build_args(cb);
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[0].key.as_str(), a[0].value.as_str()),
            ("TOKEN", "abc123")
        );
        assert_eq!((a[1].key.as_str(), a[1].value.as_str()), ("OTHER", "x"));
        assert_eq!(&cb[a[0].value_range.clone()], "abc123");
        assert_eq!(&cb[a[1].value_range.clone()], "x");
        // value with spaces, BuildKit form
        let cb = "RUN |2 A=hello world B=2 /bin/sh -c make # buildkit";
        let a = split_build_args(cb);
        assert_eq!(a[0].value, "hello world");
        assert_eq!(a[1].value, "2");
        // exec form without shell
        let a = split_build_args("|1 TOKEN=abc echo hi");
        assert_eq!(a[0].value, "abc");
        // last value with spaces before a shell
        let a = split_build_args("|1 MSG=a b c /bin/sh -c true");
        assert_eq!(a[0].value, "a b c");
        // empty value
        let a = split_build_args("|1 EMPTY= /bin/sh -c true");
        assert_eq!(a[0].value, "");
        assert!(split_build_args("/bin/sh -c echo |2 A=1").is_empty());
        assert!(split_build_args("|0 /bin/sh -c x").is_empty());
    }

    #[test]
    fn debug_masks_secret() {
        let s = Scanner::builtin();
        let tok = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5");
        let m = s.scan_text(&format!("x {tok} y"));
        assert_eq!(m.len(), 1);
        let dbg = format!("{:?}", m[0]);
        assert!(!dbg.contains(&tok), "{dbg}");
        assert!(dbg.contains("ghp_…"));
    }
}

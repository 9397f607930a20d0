//! Public value types of the secret engine.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::mask::mask;

/// How bad a finding is if the secret is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// How sure the engine is that the match is a real secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// One step lower (saturating at `Low`).
    pub fn lower(self) -> Confidence {
        match self {
            Confidence::High => Confidence::Medium,
            _ => Confidence::Low,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = SecretsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" | "info" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(SecretsError::InvalidValue {
                what: "severity",
                value: s.to_string(),
            }),
        }
    }
}

impl FromStr for Confidence {
    type Err = SecretsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            _ => Err(SecretsError::InvalidValue {
                what: "confidence",
                value: s.to_string(),
            }),
        }
    }
}

/// Errors of the secret engine. Never contains secret values.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("invalid rules file: {0}")]
    Toml(String),
    #[error("rule `{rule}`: regex is not supported by the Rust regex engine (Go RE2 feature?): {message}")]
    UnsupportedRegex { rule: String, message: String },
    #[error("rule `{rule}`: {message}")]
    InvalidRule { rule: String, message: String },
    #[error("invalid {what}: `{value}`")]
    InvalidValue { what: &'static str, value: String },
    #[error("cannot build keyword prefilter: {0}")]
    Prefilter(String),
}

/// Static description of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub description: String,
    pub severity: Severity,
    pub confidence: Confidence,
}

impl Serialize for RuleInfo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("RuleInfo", 5)?;
        st.serialize_field("id", &*self.id)?;
        st.serialize_field("title", &*self.title)?;
        st.serialize_field("description", &self.description)?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("confidence", &self.confidence)?;
        st.end()
    }
}

/// One secret found in a file or a config string.
#[derive(Clone, PartialEq, Eq)]
pub struct Match {
    pub rule: Arc<str>,
    pub title: Arc<str>,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Byte range of the secret itself within the scanned data/text.
    pub span: Range<usize>,
    /// 1-based line of `span.start`.
    pub line: u32,
    /// 1-based byte column of `span.start`.
    pub column: u32,
    /// Raw value (lossy UTF-8 for binary data). For whole-file findings
    /// (keystores) this is `sha256:<hex of the file>`.
    pub secret: String,
}

impl Match {
    /// The secret, masked for display.
    pub fn masked(&self) -> String {
        mask(&self.secret)
    }

    /// Stable fingerprint of (rule, secret).
    pub fn fingerprint(&self) -> String {
        super::mask::fingerprint(&self.rule, &self.secret)
    }
}

impl fmt::Debug for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Match")
            .field("rule", &self.rule)
            .field("title", &self.title)
            .field("severity", &self.severity)
            .field("confidence", &self.confidence)
            .field("span", &self.span)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("secret", &mask(&self.secret))
            .finish()
    }
}

/// One `K=V` pair of the `|N K=V ...` build-argument prefix of a history entry.
#[derive(Clone, PartialEq, Eq)]
pub struct BuildArg {
    pub key: String,
    pub value: String,
    /// Byte range of `value` within the `created_by` string.
    pub value_range: Range<usize>,
}

impl fmt::Debug for BuildArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildArg")
            .field("key", &self.key)
            .field("value", &mask(&self.value))
            .field("value_range", &self.value_range)
            .finish()
    }
}

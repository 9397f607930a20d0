//! Rule definitions and the gitleaks / Betterleaks TOML loader.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use regex_automata::meta;
use regex_automata::util::syntax;
use serde::Deserialize;

use super::files::Parser;
use super::filters::Check;
use super::regex::{build_regex, syntax_config};
use super::types::{Confidence, RuleInfo, SecretsError, Severity};

const BUILTIN_TOML: &str = include_str!("../../../../assets/rules/builtin.toml");

/// Default window (bytes each side of a keyword hit) for built-in-style
/// single-line rules and for external (gitleaks) rules.
const DEFAULT_LINE_WINDOW: usize = 1024;
const DEFAULT_EXTERNAL_WINDOW: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegexTarget {
    Secret,
    Match,
    Line,
}

#[derive(Debug)]
pub(crate) struct Allowlist {
    pub regexes: Vec<meta::Regex>,
    pub target: RegexTarget,
    pub stopwords: Vec<String>,
    pub paths: Vec<meta::Regex>,
    pub and: bool,
}

impl Allowlist {
    /// `true` when the finding is allowlisted (to be dropped).
    pub(crate) fn allows(
        &self,
        secret: &[u8],
        whole: &[u8],
        line: &[u8],
        path: Option<&[u8]>,
    ) -> bool {
        let mut checks: Vec<bool> = Vec::with_capacity(3);
        if !self.regexes.is_empty() {
            let target = match self.target {
                RegexTarget::Secret => secret,
                RegexTarget::Match => whole,
                RegexTarget::Line => line,
            };
            checks.push(self.regexes.iter().any(|r| r.is_match(target)));
        }
        if !self.stopwords.is_empty() {
            let lower = secret.to_ascii_lowercase();
            checks.push(
                self.stopwords
                    .iter()
                    .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some()),
            );
        }
        if !self.paths.is_empty() {
            checks.push(path.is_some_and(|p| self.paths.iter().any(|r| r.is_match(p))));
        }
        if checks.is_empty() {
            return false;
        }
        if self.and {
            checks.iter().all(|&c| c)
        } else {
            checks.iter().any(|&c| c)
        }
    }
}

/// One compiled-on-demand rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub info: RuleInfo,
    pub regex_src: Option<String>,
    /// Whether the regex needs Unicode mode (it failed to parse without).
    pub unicode: bool,
    pub regex: OnceLock<Option<meta::Regex>>,
    pub secret_group: usize,
    pub entropy: f64,
    pub keywords: Vec<String>,
    pub path_src: Option<String>,
    pub allowlists: Vec<Allowlist>,
    pub parser: Option<Parser>,
    pub check: Option<Check>,
    pub window: usize,
    pub multiline: bool,
}

impl Rule {
    /// The compiled content regex (compiled on first use).
    pub(crate) fn regex(&self) -> Option<&meta::Regex> {
        self.regex
            .get_or_init(|| {
                let src = self.regex_src.as_deref()?;
                build_regex(src, self.unicode).ok()
            })
            .as_ref()
    }

    pub(crate) fn is_content_rule(&self) -> bool {
        self.regex_src.is_some()
    }
}

/// Parse (not compile) a regex: `Ok(needs_unicode)` or the parse error.
fn validate_regex(src: &str) -> Result<bool, String> {
    if syntax::parse_with(src, &syntax_config(false)).is_ok() {
        return Ok(false);
    }
    match syntax::parse_with(src, &syntax_config(true)) {
        Ok(_) => Ok(true),
        Err(e) => Err(e.to_string()),
    }
}

fn compile_small(src: &str, rule: &str) -> Result<meta::Regex, SecretsError> {
    let unicode = validate_regex(src).map_err(|message| SecretsError::UnsupportedRegex {
        rule: rule.to_string(),
        message,
    })?;
    build_regex(src, unicode).map_err(|message| SecretsError::UnsupportedRegex {
        rule: rule.to_string(),
        message,
    })
}

// ------------------------------------------------------------------ TOML schema

#[derive(Deserialize, Default)]
#[serde(default)]
struct TomlConfig {
    rules: Vec<TomlRule>,
    allowlist: Option<TomlAllowlist>,
    allowlists: Vec<TomlAllowlist>,
    // `title`, `[extend]`, … are tolerated (ignored).
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct TomlAllowlist {
    regexes: Vec<String>,
    regex_target: Option<String>,
    stopwords: Vec<String>,
    paths: Vec<String>,
    condition: Option<String>,
    target_rules: Vec<String>,
    // commits, description: ignored
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct TomlRule {
    id: String,
    description: Option<String>,
    regex: Option<String>,
    secret_group: Option<usize>,
    entropy: Option<f64>,
    keywords: Vec<String>,
    path: Option<String>,
    allowlist: Option<TomlAllowlist>,
    allowlists: Vec<TomlAllowlist>,
    skip_report: bool,
    /// Betterleaks Expr filter; an `entropy(...) <= X` clause becomes the floor.
    filter: Option<String>,
    // layerscope extensions
    title: Option<String>,
    severity: Option<String>,
    confidence: Option<String>,
    check: Option<String>,
    parser: Option<String>,
    window: Option<usize>,
    multiline: Option<bool>,
}

fn convert_allowlist(a: &TomlAllowlist, rule: &str) -> Result<Allowlist, SecretsError> {
    let target = match a
        .regex_target
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") | Some("secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(other) => {
            return Err(SecretsError::InvalidRule {
                rule: rule.to_string(),
                message: format!("unknown allowlist regexTarget `{other}`"),
            })
        }
    };
    Ok(Allowlist {
        regexes: a
            .regexes
            .iter()
            .map(|r| compile_small(r, rule))
            .collect::<Result<_, _>>()?,
        target,
        stopwords: a.stopwords.iter().map(|s| s.to_ascii_lowercase()).collect(),
        paths: a
            .paths
            .iter()
            .map(|r| compile_small(r, rule))
            .collect::<Result<_, _>>()?,
        and: a
            .condition
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("and")),
    })
}

fn entropy_from_filter(filter: &str) -> Option<f64> {
    // e.g. `entropy(finding["secret"]) <= 3.5`
    let i = filter.find("entropy(")?;
    let rest = &filter[i..];
    let j = rest.find("<=").or_else(|| rest.find('<'))?;
    let num: String = rest[j..]
        .trim_start_matches(['<', '='])
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    num.parse().ok()
}

/// A set of rules (built-in and/or loaded from gitleaks-format TOML).
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub(crate) rules: Vec<Arc<Rule>>,
}

impl RuleSet {
    /// The built-in rules (`assets/rules/builtin.toml`).
    pub fn builtin() -> RuleSet {
        static BUILTIN: OnceLock<RuleSet> = OnceLock::new();
        BUILTIN
            .get_or_init(|| parse_toml(BUILTIN_TOML, true).expect("built-in rules must load"))
            .clone()
    }

    /// Load a gitleaks / Betterleaks TOML config. Unknown keys are ignored;
    /// `[extend]`, `[allowlist]` and `[[allowlists]]` are accepted (global
    /// allowlists are applied to the rules of this config; `[extend]` is
    /// ignored: combine with [`RuleSet::builtin`] via [`RuleSet::extend`]).
    /// Severity defaults to medium and confidence to medium.
    pub fn from_gitleaks_toml(text: &str) -> Result<RuleSet, SecretsError> {
        parse_toml(text, false)
    }

    /// An empty rule set.
    pub fn empty() -> RuleSet {
        RuleSet { rules: Vec::new() }
    }

    /// Add the rules of `other`; a rule with an id already present replaces it.
    pub fn extend(&mut self, other: RuleSet) {
        let mut idx: HashMap<Arc<str>, usize> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.info.id.clone(), i))
            .collect();
        for r in other.rules {
            match idx.get(&r.info.id) {
                Some(&i) => self.rules[i] = r,
                None => {
                    idx.insert(r.info.id.clone(), self.rules.len());
                    self.rules.push(r);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Descriptions of all rules, in order.
    pub fn infos(&self) -> impl Iterator<Item = &RuleInfo> {
        self.rules.iter().map(|r| &r.info)
    }

    /// Remove rules by id (e.g. to disable the generic rules).
    pub fn remove(&mut self, ids: &[&str]) {
        self.rules.retain(|r| !ids.contains(&&*r.info.id));
    }
}

fn parse_toml(text: &str, builtin: bool) -> Result<RuleSet, SecretsError> {
    let cfg: TomlConfig =
        toml::from_str(text).map_err(|e| SecretsError::Toml(e.message().to_string()))?;

    // global allowlists: (target rule ids or empty for all, allowlist)
    let mut globals: Vec<(Vec<String>, Arc<TomlAllowlist>)> = Vec::new();
    if let Some(a) = cfg.allowlist {
        globals.push((a.target_rules.clone(), Arc::new(a)));
    }
    for a in cfg.allowlists {
        globals.push((a.target_rules.clone(), Arc::new(a)));
    }

    let mut rules = Vec::with_capacity(cfg.rules.len());
    let mut seen = HashMap::new();
    for (order, tr) in cfg.rules.into_iter().enumerate() {
        if tr.skip_report {
            continue;
        }
        let id = tr.id.trim().to_string();
        if id.is_empty() {
            return Err(SecretsError::InvalidRule {
                rule: format!("#{}", order + 1),
                message: "rule has no id".into(),
            });
        }
        if seen.insert(id.clone(), ()).is_some() && builtin {
            return Err(SecretsError::InvalidRule {
                rule: id,
                message: "duplicate id".into(),
            });
        }
        let invalid = |message: String| SecretsError::InvalidRule {
            rule: id.clone(),
            message,
        };
        let severity = match &tr.severity {
            Some(s) => s.parse::<Severity>()?,
            None if builtin => return Err(invalid("built-in rule without severity".into())),
            None => Severity::Medium,
        };
        let confidence = match &tr.confidence {
            Some(s) => s.parse::<Confidence>()?,
            None => Confidence::Medium,
        };
        let regex_src = tr.regex.clone().filter(|r| !r.is_empty());
        let mut unicode = false;
        if let Some(src) = &regex_src {
            unicode = validate_regex(src).map_err(|message| SecretsError::UnsupportedRegex {
                rule: id.clone(),
                message,
            })?;
        }
        let path_src = tr.path.clone().filter(|p| !p.is_empty());
        if let Some(p) = &path_src {
            validate_regex(p).map_err(|message| SecretsError::UnsupportedRegex {
                rule: id.clone(),
                message: format!("path: {message}"),
            })?;
        }
        let parser = match &tr.parser {
            Some(p) => {
                Some(Parser::from_name(p).ok_or_else(|| invalid(format!("unknown parser `{p}`")))?)
            }
            None => None,
        };
        let check = match &tr.check {
            Some(c) => {
                Some(Check::from_name(c).ok_or_else(|| invalid(format!("unknown check `{c}`")))?)
            }
            None => None,
        };
        if regex_src.is_none() && path_src.is_none() && parser.is_none() {
            return Err(invalid("rule needs a regex, a path or a parser".into()));
        }
        let mut allowlists = Vec::new();
        if let Some(a) = &tr.allowlist {
            allowlists.push(convert_allowlist(a, &id)?);
        }
        for a in &tr.allowlists {
            allowlists.push(convert_allowlist(a, &id)?);
        }
        for (targets, a) in &globals {
            if targets.is_empty() || targets.iter().any(|t| t == &id) {
                allowlists.push(convert_allowlist(a, &id)?);
            }
        }
        let entropy = tr
            .entropy
            .or_else(|| tr.filter.as_deref().and_then(entropy_from_filter))
            .unwrap_or(0.0);
        let description = tr.description.clone().unwrap_or_default();
        let title = tr
            .title
            .clone()
            .or_else(|| {
                tr.description
                    .clone()
                    .filter(|d| !d.is_empty() && d.len() <= 80)
            })
            .unwrap_or_else(|| id.clone());
        let (window, multiline) = if builtin {
            (
                tr.window.unwrap_or(DEFAULT_LINE_WINDOW),
                tr.multiline.unwrap_or(false),
            )
        } else {
            (
                tr.window.unwrap_or(DEFAULT_EXTERNAL_WINDOW),
                tr.multiline.unwrap_or(true),
            )
        };
        rules.push(Arc::new(Rule {
            info: RuleInfo {
                id: Arc::from(id.as_str()),
                title: Arc::from(title.as_str()),
                description,
                severity,
                confidence,
            },
            regex_src,
            unicode,
            regex: OnceLock::new(),
            secret_group: tr.secret_group.unwrap_or(0),
            entropy,
            keywords: tr
                .keywords
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .filter(|k| !k.is_empty())
                .collect(),
            path_src,
            allowlists,
            parser,
            check,
            window,
            multiline,
        }));
    }
    Ok(RuleSet { rules })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_loads_and_compiles() {
        let rs = RuleSet::builtin();
        assert!(rs.len() >= 60, "{}", rs.len());
        for r in &rs.rules {
            if r.regex_src.is_some() {
                assert!(r.regex().is_some(), "rule {} does not compile", r.info.id);
            }
        }
    }

    #[test]
    fn filter_entropy() {
        assert_eq!(
            entropy_from_filter(r#"entropy(finding["secret"]) <= 3.5"#),
            Some(3.5)
        );
        assert_eq!(entropy_from_filter("x"), None);
    }
}

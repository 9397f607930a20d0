//! The scanner: keyword prefilter, windowed regex confirmation, credential
//! file parsers, filtering and de-duplication.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::MatchKind;
use regex::bytes::{RegexSet, RegexSetBuilder};
use regex_automata::Input;

use super::files::{is_reportable_value, Parser};
use super::filters::is_placeholder;
use super::history::{instruction_pairs, split_build_args};
use super::keywords::KeywordFinder;
use super::mask::{content_digest, is_binary, shannon_entropy};
use super::rules::{Rule, RuleSet};
use super::types::{Confidence, Match, RuleInfo, SecretsError};

/// A candidate before ranking / de-duplication.
struct Raw {
    rule: usize,
    span: Range<usize>,
    /// Replaces the secret text (whole-file findings).
    secret: Option<String>,
    /// Content match on binary data: lower confidence.
    lower: bool,
}

/// Thread-safe secret scanner over a [`RuleSet`].
pub struct Scanner {
    rules: Vec<Arc<Rule>>,
    by_id: HashMap<Arc<str>, usize>,
    /// Where keywords end: the prefilter of every content rule with keywords.
    keywords: Option<KeywordFinder>,
    /// AC pattern index -> rules using that keyword.
    kw_rules: Vec<Vec<usize>>,
    /// Content rules without keywords: run over all data.
    always: Vec<usize>,
    /// Rules with a `path` regex, in `path_set` order.
    path_rules: Vec<usize>,
    path_set: OnceLock<Option<RegexSet>>,
    max_keyword_len: usize,
    env_rule: Option<usize>,
    build_arg_rule: Option<usize>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.rules.len())
            .finish()
    }
}

impl Scanner {
    /// Build a scanner. Regexes are compiled lazily, on the first keyword hit.
    pub fn new(rules: RuleSet) -> Result<Scanner, SecretsError> {
        let rules = rules.rules;
        let mut by_id = HashMap::new();
        let mut kw_index: HashMap<String, usize> = HashMap::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut kw_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        let mut path_rules = Vec::new();
        let mut env_rule = None;
        let mut build_arg_rule = None;
        for (i, r) in rules.iter().enumerate() {
            by_id.insert(r.info.id.clone(), i);
            if r.path_src.is_some() {
                path_rules.push(i);
            }
            match r.parser {
                Some(Parser::Env) => env_rule = env_rule.or(Some(i)),
                Some(Parser::BuildArg) => build_arg_rule = build_arg_rule.or(Some(i)),
                _ => {}
            }
            if !r.is_content_rule() {
                continue;
            }
            if r.keywords.is_empty() {
                always.push(i);
                continue;
            }
            for k in &r.keywords {
                let p = *kw_index.entry(k.clone()).or_insert_with(|| {
                    keywords.push(k.clone());
                    kw_rules.push(Vec::new());
                    keywords.len() - 1
                });
                if !kw_rules[p].contains(&i) {
                    kw_rules[p].push(i);
                }
            }
        }
        let finder = if keywords.is_empty() {
            None
        } else {
            let dfa = DFA::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(&keywords)
                .map_err(|e| SecretsError::Prefilter(e.to_string()))?;
            Some(KeywordFinder::new(dfa, &keywords))
        };
        Ok(Scanner {
            rules,
            by_id,
            keywords: finder,
            kw_rules,
            always,
            path_rules,
            path_set: OnceLock::new(),
            max_keyword_len: keywords.iter().map(|k| k.len()).max().unwrap_or(1),
            env_rule,
            build_arg_rule,
        })
    }

    /// Scanner over the built-in rules.
    pub fn builtin() -> Scanner {
        Scanner::new(RuleSet::builtin()).expect("built-in rules build a scanner")
    }

    /// Description of a rule by id.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.by_id.get(id).map(|&i| &self.rules[i].info)
    }

    /// All rule descriptions.
    pub fn rules(&self) -> impl Iterator<Item = &RuleInfo> {
        self.rules.iter().map(|r| &r.info)
    }

    fn path_set(&self) -> Option<&RegexSet> {
        self.path_set
            .get_or_init(|| {
                let pats: Vec<&str> = self
                    .path_rules
                    .iter()
                    .map(|&i| self.rules[i].path_src.as_deref().unwrap_or(""))
                    .collect();
                RegexSetBuilder::new(&pats)
                    .unicode(false)
                    .build()
                    .or_else(|_| RegexSetBuilder::new(&pats).build())
                    .ok()
            })
            .as_ref()
    }

    /// Whether a path rule (credential file parsers, path-only rules, path-restricted content
    /// rules) names this path. Files that no path rule names may be scanned in windows with
    /// [`Scanner::scan_window`].
    pub fn names_path(&self, path: &[u8]) -> bool {
        let path = trim_path(path);
        !self.path_rules.is_empty() && self.path_set().is_some_and(|set| set.is_match(path))
    }

    /// One window of a large file that no path rule names (see [`Scanner::names_path`]): content
    /// rules only, as `scan_file` runs them for such a path. `binary` is what the file's first
    /// window was detected as; spans, lines and columns are relative to `data`.
    pub fn scan_window(&self, path: &[u8], data: &[u8], binary: bool) -> Vec<Match> {
        let path = trim_path(path);
        let mut raw = Vec::new();
        self.scan_content(data, Some(path), &[], binary, &mut raw);
        self.finalize(raw, data, false)
    }

    /// One file's content as stored in a layer. `path` is the layer path as
    /// bytes, without leading '/'.
    pub fn scan_file(&self, path: &[u8], data: &[u8]) -> Vec<Match> {
        let mut path = path;
        while let Some(p) = path.strip_prefix(b"/").or_else(|| path.strip_prefix(b"./")) {
            path = p;
        }
        let binary = is_binary(data);
        // Most files match no path rule: `is_match` answers that without the per-file
        // allocations of `matches` and of the flag vector.
        let mut path_ok = Vec::new();
        let mut raw = Vec::new();
        if !self.path_rules.is_empty() {
            if let Some(set) = self.path_set().filter(|set| set.is_match(path)) {
                path_ok = vec![false; self.rules.len()];
                for k in set.matches(path).iter() {
                    let ri = self.path_rules[k];
                    path_ok[ri] = true;
                    let rule = &self.rules[ri];
                    if let Some(parser) = rule.parser {
                        for span in parser.parse(data) {
                            if self.keep(rule, data, &span, &span, Some(path), false) {
                                raw.push(Raw {
                                    rule: ri,
                                    span,
                                    secret: None,
                                    lower: false,
                                });
                            }
                        }
                    } else if !rule.is_content_rule() && !data.is_empty() {
                        // path-only rule: the file itself is the finding
                        let allow = rule
                            .allowlists
                            .iter()
                            .any(|a| a.allows(b"", b"", b"", Some(path)));
                        if !allow {
                            raw.push(Raw {
                                rule: ri,
                                span: 0..data.len(),
                                secret: Some(content_digest(data)),
                                lower: false,
                            });
                        }
                    }
                }
            }
        }
        self.scan_content(data, Some(path), &path_ok, binary, &mut raw);
        self.finalize(raw, data, false)
    }

    /// A string from the config or history (env entry, label value,
    /// created_by, cmd). History `created_by` strings additionally get their
    /// `|N K=V` build args and `ENV`/`ARG` pairs checked by name.
    pub fn scan_text(&self, text: &str) -> Vec<Match> {
        let data = text.as_bytes();
        let mut raw = Vec::new();
        self.scan_content(data, None, &[], false, &mut raw);
        if let Some(ri) = self.build_arg_rule {
            for a in split_build_args(text) {
                if is_reportable_value(&a.key, a.value.as_bytes()) {
                    raw.push(Raw {
                        rule: ri,
                        span: a.value_range,
                        secret: None,
                        lower: false,
                    });
                }
            }
        }
        if let Some(ri) = self.env_rule {
            for (k, r) in instruction_pairs(text) {
                raw.extend(named_value(ri, &k, r, data));
            }
        }
        self.finalize(raw, data, true)
    }

    /// A `KEY=VALUE` environment entry from the image config.
    pub fn scan_env(&self, entry: &str) -> Vec<Match> {
        let data = entry.as_bytes();
        let mut raw = Vec::new();
        self.scan_content(data, None, &[], false, &mut raw);
        if let (Some(ri), Some(eq)) = (self.env_rule, entry.find('=')) {
            raw.extend(named_value(
                ri,
                entry[..eq].trim(),
                eq + 1..entry.len(),
                data,
            ));
        }
        self.finalize(raw, data, true)
    }

    /// Whether a candidate survives the rule's filters.
    fn keep(
        &self,
        rule: &Rule,
        data: &[u8],
        secret: &Range<usize>,
        whole: &Range<usize>,
        path: Option<&[u8]>,
        apply_entropy: bool,
    ) -> bool {
        let s = &data[secret.clone()];
        if s.is_empty() {
            return false;
        }
        if apply_entropy && rule.entropy > 0.0 && shannon_entropy(s) <= rule.entropy {
            return false;
        }
        if is_placeholder(s) {
            return false;
        }
        if let Some(c) = rule.check {
            if !c.passes(s, &data[whole.clone()]) || !c.passes_in_context(data, whole.start) {
                return false;
            }
        }
        if !rule.allowlists.is_empty() {
            let ls = memchr::memrchr(b'\n', &data[..whole.start])
                .map(|i| i + 1)
                .unwrap_or(0);
            let le = memchr::memchr(b'\n', &data[whole.end..])
                .map(|i| whole.end + i)
                .unwrap_or(data.len());
            let line = &data[ls..le];
            if rule
                .allowlists
                .iter()
                .any(|a| a.allows(s, &data[whole.clone()], line, path))
            {
                return false;
            }
        }
        true
    }

    fn window(data: &[u8], s: usize, e: usize, rule: &Rule) -> Range<usize> {
        let lo = s.saturating_sub(rule.window);
        let hi = e.saturating_add(rule.window).min(data.len());
        if rule.multiline {
            return lo..hi;
        }
        let start = memchr::memrchr(b'\n', &data[lo..s])
            .map(|i| lo + i + 1)
            .unwrap_or(lo);
        // include the newline itself: trailing `(?:[^\w]|$)` context needs it
        let end = memchr::memchr(b'\n', &data[e..hi])
            .map(|i| e + i + 1)
            .unwrap_or(hi);
        start..end
    }

    /// The line around a keyword hit (bounded), over which all keyword hits
    /// are collected at once.
    fn hit_region(&self, data: &[u8], s: usize, e: usize) -> Range<usize> {
        const BOUND: usize = 1024;
        let lo = s.saturating_sub(BOUND);
        let hi = e.saturating_add(BOUND).min(data.len());
        let start = memchr::memrchr(b'\n', &data[lo..s])
            .map(|i| lo + i + 1)
            .unwrap_or(lo.saturating_sub(self.max_keyword_len));
        let end = memchr::memchr(b'\n', &data[e..hi])
            .map(|i| e + i + 1)
            .unwrap_or(hi);
        start..end
    }

    fn scan_content(
        &self,
        data: &[u8],
        path: Option<&[u8]>,
        path_ok: &[bool],
        binary: bool,
        raw: &mut Vec<Raw>,
    ) {
        let applies = |ri: usize| -> bool {
            let r = &self.rules[ri];
            r.path_src.is_none() || path_ok.get(ri).copied().unwrap_or(false)
        };
        if let Some(finder) = &self.keywords {
            let ac = finder.dfa();
            // Allocated at the first keyword hit: most small files have none.
            let mut pending: Vec<Option<Range<usize>>> = Vec::new();
            let mut touched: Vec<usize> = Vec::new();
            // Interleaved DFA scan finds where keywords end; then all
            // (overlapping) keyword hits on that line are collected at once.
            let mut covered = 0;
            for e in finder.ends(data, binary) {
                if e <= covered {
                    continue;
                }
                let region = self.hit_region(data, e - 1, e);
                covered = region.end;
                let input = aho_corasick::Input::new(data).span(region);
                let Ok(iter) = ac.try_find_overlapping_iter(input) else {
                    continue;
                };
                if pending.is_empty() {
                    pending.resize(self.rules.len(), None);
                }
                for m in iter {
                    for &ri in &self.kw_rules[m.pattern().as_usize()] {
                        if !applies(ri) {
                            continue;
                        }
                        let rule = &self.rules[ri];
                        let w = Self::window(data, m.start(), m.end(), rule);
                        match &mut pending[ri] {
                            Some(p) if w.start <= p.end => p.end = p.end.max(w.end),
                            Some(p) => {
                                let done = std::mem::replace(p, w);
                                self.run_rule(ri, data, done, path, binary, raw);
                            }
                            slot @ None => {
                                *slot = Some(w);
                                touched.push(ri);
                            }
                        }
                    }
                }
            }
            for ri in touched {
                if let Some(w) = pending[ri].take() {
                    self.run_rule(ri, data, w, path, binary, raw);
                }
            }
        }
        for &ri in &self.always {
            if applies(ri) {
                self.run_rule(ri, data, 0..data.len(), path, binary, raw);
            }
        }
    }

    fn run_rule(
        &self,
        ri: usize,
        data: &[u8],
        window: Range<usize>,
        path: Option<&[u8]>,
        binary: bool,
        raw: &mut Vec<Raw>,
    ) {
        let rule = &self.rules[ri];
        let Some(re) = rule.regex() else { return };
        let mut caps = re.create_captures();
        let mut input = Input::new(data).span(window.clone());
        loop {
            re.search_captures(&input, &mut caps);
            let Some(m) = caps.get_match() else { break };
            let whole = m.range();
            let secret = if rule.secret_group > 0 {
                caps.get_group(rule.secret_group).map(|s| s.range())
            } else {
                (1..caps.group_len())
                    .filter_map(|g| caps.get_group(g))
                    .find(|s| !s.is_empty())
                    .map(|s| s.range())
                    .or(Some(whole.clone()))
            };
            if let Some(secret) = secret {
                if self.keep(rule, data, &secret, &whole, path, true) {
                    raw.push(Raw {
                        rule: ri,
                        span: secret,
                        secret: None,
                        lower: binary,
                    });
                }
            }
            let next = if whole.end > whole.start {
                whole.end
            } else {
                whole.end + 1
            };
            if next >= window.end {
                break;
            }
            input.set_start(next);
        }
    }

    fn finalize(&self, mut raw: Vec<Raw>, data: &[u8], text: bool) -> Vec<Match> {
        if raw.is_empty() {
            return Vec::new();
        }
        if text {
            // spans of str input must sit on char boundaries
            let s = std::str::from_utf8(data).unwrap_or("");
            for r in &mut raw {
                while r.span.start > 0 && !s.is_char_boundary(r.span.start) {
                    r.span.start -= 1;
                }
                while r.span.end < s.len() && !s.is_char_boundary(r.span.end) {
                    r.span.end += 1;
                }
            }
        }
        let conf = |r: &Raw| {
            let c = self.rules[r.rule].info.confidence;
            if r.lower {
                c.lower()
            } else {
                c
            }
        };
        let rank = |r: &Raw| {
            let info = &self.rules[r.rule].info;
            // ties: a credential-file parser knows the file; then rule order
            let parser = self.rules[r.rule].parser.is_some();
            (conf(r), info.severity, parser, std::cmp::Reverse(r.rule))
        };
        raw.sort_by(|a, b| {
            a.span
                .start
                .cmp(&b.span.start)
                .then(b.span.end.cmp(&a.span.end))
        });
        let mut kept: Vec<Raw> = Vec::with_capacity(raw.len());
        let mut cluster: Vec<Raw> = Vec::new();
        let mut cluster_end = 0;
        let flush = |cluster: &mut Vec<Raw>, kept: &mut Vec<Raw>| {
            cluster.sort_by_key(|m| std::cmp::Reverse(rank(m)));
            let start = kept.len();
            for m in cluster.drain(..) {
                let dominated = kept[start..].iter().any(|a| {
                    let overlap = m.span.start < a.span.end && a.span.start < m.span.end;
                    overlap
                        && (m.span == a.span
                            || (a.span.start <= m.span.start && m.span.end <= a.span.end)
                            || conf(a) > conf(&m))
                });
                if !dominated {
                    kept.push(m);
                }
            }
        };
        for r in raw {
            if !cluster.is_empty() && r.span.start >= cluster_end {
                flush(&mut cluster, &mut kept);
            }
            cluster_end = if cluster.is_empty() {
                r.span.end
            } else {
                cluster_end.max(r.span.end)
            };
            cluster.push(r);
        }
        flush(&mut cluster, &mut kept);
        kept.sort_by(|a, b| a.span.start.cmp(&b.span.start).then(a.rule.cmp(&b.rule)));

        // line / column, incrementally
        let mut out = Vec::with_capacity(kept.len());
        let mut line = 1u32;
        let mut pos = 0usize;
        let mut line_start = 0usize;
        for r in kept {
            let s = r.span.start;
            if s >= pos {
                for i in memchr::memchr_iter(b'\n', &data[pos..s]) {
                    line += 1;
                    line_start = pos + i + 1;
                }
                pos = s;
            }
            let info = &self.rules[r.rule].info;
            let confidence: Confidence = conf(&r);
            out.push(Match {
                rule: info.id.clone(),
                title: info.title.clone(),
                severity: info.severity,
                confidence,
                span: r.span.clone(),
                line,
                column: (s - line_start + 1) as u32,
                secret: r
                    .secret
                    .unwrap_or_else(|| String::from_utf8_lossy(&data[r.span.clone()]).into_owned()),
            });
        }
        out
    }
}

fn trim_path(mut path: &[u8]) -> &[u8] {
    while let Some(p) = path.strip_prefix(b"/").or_else(|| path.strip_prefix(b"./")) {
        path = p;
    }
    path
}

/// A value whose name says "secret" (`ENV`/`ARG` pairs, env entries), as a raw match of `rule`.
fn named_value(rule: usize, key: &str, span: Range<usize>, data: &[u8]) -> Option<Raw> {
    is_reportable_value(key, &data[span.clone()]).then_some(Raw {
        rule,
        span,
        secret: None,
        lower: false,
    })
}

//! How rule regexes are compiled: bytes, not UTF-8 (content may be binary), Unicode classes only
//! where a rule needs them, and bounded automata so a hostile `--rules` file cannot exhaust memory.

use regex_automata::{meta, util::syntax};

pub(crate) fn syntax_config(unicode: bool) -> syntax::Config {
    syntax::Config::new().unicode(unicode).utf8(false)
}

/// A rule regex over bytes.
pub(crate) fn build_regex(src: &str, unicode: bool) -> Result<meta::Regex, String> {
    meta::Regex::builder()
        .syntax(syntax_config(unicode))
        .configure(
            meta::Config::new()
                .utf8_empty(false)
                .nfa_size_limit(Some(64 << 20))
                .hybrid_cache_capacity(4 << 20),
        )
        .build(src)
        .map_err(|e| e.to_string())
}

//! (d) The rules-file parser of the secrets module (gitleaks TOML): `--rules FILE` is user input,
//! and rules files are shared around like any config. Seeds: the bundled rules and a small
//! hand-written file in fuzz/corpus/rules/.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Must return Ok or Err, never panic, whatever the file says (invalid regexes, huge
    // repetition counts, deep TOML nesting...).
    let _ = layerscope_core::secrets::RuleSet::from_gitleaks_toml(text);
});

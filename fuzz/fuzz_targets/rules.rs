//! (d) The rules-file parser of the secrets module (gitleaks TOML).
//!
//! Not built until `layerscope::secrets` exists: when the secrets module is merged, enable it with
//! `cargo fuzz run rules --features secrets` (and drop `required-features` from fuzz/Cargo.toml
//! to make it a default target). Seeds: the module's bundled rules file(s) in
//! fuzz/corpus/rules/.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Must return Ok or Err, never panic, whatever the file says (invalid regexes, huge
    // repetition counts, deep TOML nesting...).
    let _ = layerscope::secrets::RuleSet::from_gitleaks_toml(text);
});

//! Every gitleaks default rule id and every Trivy built-in rule id, with the layerscope rules that
//! cover it, or why it is left out. Sources: gitleaks `config/gitleaks.toml` at v8.30.0-27-gb58d3f10,
//! Trivy `pkg/fanal/secret/builtin-rules.go` at v0.74.0-6-gdc3c56eed5.

/// 222 `[[rules]]` in gitleaks' default config.
pub(crate) const GITLEAKS_RULES: usize = 222;
/// 105 rules and one allow rule (`stateless-ghs-jwt`) in Trivy's built-in set.
pub(crate) const TRIVY_RULE_IDS: usize = 106;

mod gitleaks_0_to_g;
mod gitleaks_h_to_z;
mod trivy;

/// (source, upstream rule id, layerscope counterparts, note — the reason when there is none)
type Upstream = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

/// Every upstream rule: gitleaks first, then Trivy.
pub(crate) const UPSTREAM: &[&[Upstream]] = &[
    gitleaks_0_to_g::GITLEAKS_0_TO_G,
    gitleaks_h_to_z::GITLEAKS_H_TO_Z,
    trivy::TRIVY,
];

//! The demo image plays every classic Docker secret leak; each must be found with the right
//! status, layer and build step, and the two correct patterns (multi-stage build, BuildKit secret
//! mount) must produce nothing. Expectations come from the generator (`imagegen::demo`).

use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze_scanned;
use layerscope_core::findings::{Finding, FindingSource, Status};
use layerscope_core::layer::PassState;
use layerscope_core::secrets::{Scanner, Severity};
use layerscope_imagegen::demo::{demo_clean_cases, demo_expectations, ExpectedLeak, LeakStatus};

fn demo() -> Analysis {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/demo.tar");
    analyze_scanned(
        &path,
        &AnalyzeOptions::default(),
        &PassState::default(),
        &Scanner::builtin(),
    )
    .unwrap()
}

fn status(s: LeakStatus) -> Status {
    match s {
        LeakStatus::Visible => Status::Visible,
        LeakStatus::Deleted => Status::Deleted,
        LeakStatus::Overwritten => Status::Overwritten,
        LeakStatus::History => Status::History,
        LeakStatus::Config => Status::Config,
    }
}

fn place_matches(a: &Analysis, f: &Finding, e: &ExpectedLeak) -> bool {
    let src = e.path_or_source.as_str();
    let at_source = if let Some(p) = src.strip_prefix('/') {
        f.source == FindingSource::File && f.path.map(|id| a.path_string(id)).as_deref() == Some(p)
    } else if let Some(k) = src.strip_prefix("config.Env:") {
        f.source == FindingSource::Env && f.key.as_deref() == Some(k)
    } else if src.starts_with("history[") {
        f.source == FindingSource::History
    } else {
        false
    };
    let by = match f.status {
        Status::Deleted => f.removed_in_layer,
        Status::Overwritten => f.replaced_in_layer,
        _ => None,
    };
    at_source
        && f.history == Some(e.history)
        && f.status == status(e.status)
        && by == e.removed_or_replaced_in
        && (f.source != FindingSource::File || f.layer == e.layer)
}

#[test]
fn every_leak_is_found_where_it_lives() {
    let a = demo();
    let mut missing = Vec::new();
    for e in demo_expectations() {
        let here: Vec<&Finding> = a
            .findings
            .iter()
            .filter(|f| place_matches(&a, f, &e))
            .collect();
        // The AWS key id is an identifier; the credentials file finding carries the secret key.
        let value_ok = e.kind == "aws-access-key-id"
            || here
                .iter()
                .any(|f| f.secret.contains(&e.secret) || e.secret.contains(&f.secret));
        if here.is_empty() || !value_ok {
            missing.push(format!(
                "leak {} {} {} (layer {:?}, history {})",
                e.leak, e.kind, e.path_or_source, e.layer, e.history
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "not found: {missing:#?}\nfindings: {:#?}",
        a.findings
    );
}

#[test]
fn correct_patterns_produce_nothing() {
    let a = demo();
    for c in demo_clean_cases() {
        // A clean file, or (for the build patterns) a whole clean layer.
        let only_path = c.path_or_source.strip_prefix('/');
        if let Some(l) = c.layer {
            let in_layer: Vec<&Finding> = a
                .findings
                .iter()
                .filter(|f| f.source == FindingSource::File && f.layer == Some(l))
                .filter(|f| {
                    only_path
                        .is_none_or(|p| f.path.map(|id| a.path_string(id)).as_deref() == Some(p))
                })
                .collect();
            assert!(in_layer.is_empty(), "{}: {in_layer:#?}", c.what);
        }
        if only_path.is_some() {
            continue;
        }
        let in_step: Vec<&Finding> = a
            .findings
            .iter()
            .filter(|f| f.source == FindingSource::History && f.history == Some(c.history))
            .collect();
        assert!(in_step.is_empty(), "{}: {in_step:#?}", c.what);
    }
}

#[test]
fn no_unexpected_high_findings() {
    let a = demo();
    let expected = demo_expectations();
    for f in a.findings.iter().filter(|f| f.severity >= Severity::High) {
        assert!(
            expected.iter().any(|e| place_matches(&a, f, e)),
            "unexpected high finding {f:?}"
        );
    }
}

#[test]
fn secrets_are_masked_in_config_and_history_text() {
    let a = demo();
    for e in demo_expectations() {
        for text in a
            .history
            .iter()
            .filter_map(|h| h.created_by.as_deref())
            .chain(a.config.env.iter().map(String::as_str))
        {
            assert!(
                !a.display_text(text, false).contains(&e.secret),
                "{text} shows a secret"
            );
        }
    }
}

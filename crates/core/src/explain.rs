//! Why a finding's secret persists and what would have prevented it. The texts are data
//! (`assets/explanations.toml`), filled in with the finding's layers and build steps.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::findings::{Finding, Status};

#[derive(Deserialize)]
struct Texts {
    rotate: String,
    why: HashMap<String, String>,
    fix: HashMap<String, String>,
}

fn texts() -> &'static Texts {
    static T: OnceLock<Texts> = OnceLock::new();
    T.get_or_init(|| {
        toml::from_str(include_str!("../../../assets/explanations.toml"))
            .expect("assets/explanations.toml is valid")
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub why: String,
    pub fix: String,
    pub rotate: String,
}

fn step_text(a: &Analysis, layer: Option<usize>) -> String {
    layer
        .and_then(|l| a.layers.get(l))
        .and_then(|l| l.history)
        .and_then(|h| a.history[h].created_by.as_deref())
        .map(|c| short(a.display_text(c, false)))
        .unwrap_or_else(|| "an unrecorded step".into())
}

/// Build steps are long shell lines: keep the part a reader recognises.
fn short(c: &str) -> String {
    let c = c.trim();
    let c = c.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(c).trim();
    let c = c.strip_prefix("/bin/sh -c ").unwrap_or(c).trim();
    let esc = crate::paths::escape(c.as_bytes());
    if esc.chars().count() > 100 {
        format!("{}…", esc.chars().take(99).collect::<String>())
    } else {
        esc
    }
}

pub fn explain(a: &Analysis, f: &Finding) -> Explanation {
    let t = texts();
    let key = f.status.name();
    let created_by = f
        .history
        .and_then(|h| a.history.get(h))
        .and_then(|h| h.created_by.as_deref())
        .map(|c| short(a.display_text(c, false)))
        .unwrap_or_default();
    let fill = |s: &str| -> String {
        let opt = |v: Option<usize>| v.map_or("?".to_string(), |x| x.to_string());
        s.replace(
            "{path}",
            &f.path.map(|p| a.path_string(p)).unwrap_or_default(),
        )
        .replace("{layer}", &opt(f.layer))
        .replace("{step}", &opt(f.history))
        .replace("{created_by}", &created_by)
        .replace("{removed_in}", &opt(f.removed_in_layer))
        .replace("{removed_by}", &step_text(a, f.removed_in_layer))
        .replace("{replaced_in}", &opt(f.replaced_in_layer))
        .replace("{replaced_by}", &step_text(a, f.replaced_in_layer))
        .replace("{key}", f.key.as_deref().unwrap_or("this value"))
    };
    let mut why = fill(t.why.get(key).map(String::as_str).unwrap_or(""));
    if f.status == Status::Config && f.history.is_none() {
        // No step mentions it: the base image or a tool set it.
        why = why.replace(" The step that set it (``) is in the history as well.", "");
    }
    if let Some(p) = &f.package {
        // Ownership comes first: it decides whether the builder leaked anything at all.
        why = format!("{}. {why}", crate::packages::explanation(p, f.vendor));
    }
    Explanation {
        why,
        fix: fill(t.fix.get(key).map(String::as_str).unwrap_or("")),
        rotate: t.rotate.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_texts() {
        let t = texts();
        for s in ["visible", "deleted", "overwritten", "history", "config"] {
            assert!(t.why.get(s).is_some_and(|x| !x.is_empty()), "why.{s}");
            assert!(t.fix.get(s).is_some_and(|x| !x.is_empty()), "fix.{s}");
        }
    }
}

//! `layerscope diff OLD NEW`: analyse both images, compare them, and write the chosen outputs
//! (JSON, SARIF of the new findings, a CI verdict), the compare view on a terminal, or a
//! plain-text summary when stdout is not one.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{DiffArgs, RunArgs};
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::{analyze_input, analyze_source_reusing};
use layerscope_core::compare::{self, report};
use layerscope_core::layer::PassState;
use layerscope_core::secrets::{Scanner, Severity};

/// Analyses `input`; with `from`, the layers it shares with `from` are taken from there.
fn analyse(
    input: &str,
    opts: &AnalyzeOptions,
    scanner: Option<&Scanner>,
    from: Option<&Analysis>,
    notice: bool,
) -> Result<Analysis> {
    if notice {
        eprint!("layerscope: reading {input}…");
    }
    let state = PassState::default();
    let r = match from {
        None => analyze_input(input, opts, &state, scanner, &mut |_, _| {}),
        Some(from) => layerscope_core::source::open_input(input, &opts.open, &mut |_, _| {})
            .and_then(|src| analyze_source_reusing(src, opts, &state, scanner, from)),
    };
    if notice {
        eprint!("\r\x1b[2K");
    }
    Ok(r?)
}

pub fn run(args: DiffArgs) -> Result<ExitCode> {
    let fail_on = args.fail_on.parse::<Severity>().map_err(|_| {
        anyhow::anyhow!(
            "--fail-on {:?}: expected low, medium, high or critical",
            args.fail_on
        )
    })?;
    let run = RunArgs {
        platform: args.platform.clone(),
        strict: args.strict,
        threads: args.threads,
        rules: args.rules.clone(),
        no_secrets: args.no_secrets,
        limits: args.limits,
        ..Default::default()
    };
    let interactive = !(args.json || args.ci || args.sarif.is_some())
        && std::io::stdout().is_terminal()
        && std::io::stdin().is_terminal();
    let opts = AnalyzeOptions {
        // The view previews files of both images: seeks instead of re-inflating layers.
        spool_compressed: interactive,
        ..super::options(&run)?
    };
    let scanner = super::scanner(&run)?;
    let notice = std::io::stderr().is_terminal();
    let old = analyse(&args.old, &opts, scanner.as_ref(), None, notice)?;
    let new = analyse(&args.new, &opts, scanner.as_ref(), Some(&old), notice)?;
    let cmp = compare::compare(&old, &new);
    if interactive {
        layerscope::tui::compare::run(&old, &new, &cmp, args.show_secrets)?;
        return Ok(ExitCode::SUCCESS);
    }
    let show = args.show_secrets;
    if args.json {
        let doc = report::build(&old, &new, &cmp, show);
        super::write_output_with(args.output.as_deref(), &mut |w| {
            serde_json::to_writer_pretty(&mut *w, &doc)?;
            w.write_all(b"\n")?;
            Ok(())
        })?;
    }
    if let Some(sarif) = &args.sarif {
        let fresh: Vec<_> = cmp
            .findings
            .new
            .iter()
            .map(|&i| new.findings[i].clone())
            .collect();
        let doc = layerscope_core::report::sarif::build(&new, &fresh, show, &new.masked_text);
        let mut text = serde_json::to_string_pretty(&doc)?;
        text.push('\n');
        let target = (sarif.as_os_str() != "-").then_some(sarif.as_path());
        super::write_output(target, text.as_bytes())?;
    }
    let stdout_taken =
        (args.json && args.output.is_none()) || args.sarif.as_deref().is_some_and(|p| p == "-");
    if args.ci {
        let failing = report::gate(&new, &cmp, fail_on);
        let mut lines = String::new();
        for f in &failing {
            lines.push_str(&format!("NEW: {}\n", report::finding_line(&new, f, show)));
        }
        if failing.is_empty() {
            lines.push_str(&format!(
                "PASS: no new finding at or above {} ({} new below it, {} fixed, {} unchanged)\n",
                fail_on.as_str(),
                cmp.findings.new.len(),
                cmp.findings.fixed.len(),
                cmp.findings.unchanged.len()
            ));
        } else {
            lines.push_str(&format!(
                "FAIL: {} new finding(s) at or above {}\n",
                failing.len(),
                fail_on.as_str()
            ));
        }
        lines.push_str(if failing.is_empty() {
            "Result: PASS\n"
        } else {
            "Result: FAIL\n"
        });
        if stdout_taken {
            eprint!("{lines}");
        } else {
            super::write_output(None, lines.as_bytes())?;
        }
        if !failing.is_empty() {
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.json && args.sarif.is_none() {
        super::write_output(None, report::text(&old, &new, &cmp, show).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

//! The binary's edge: parse the command line, run the chosen mode, turn errors into one line
//! and exit code 2.

mod cli;
mod diff_cmd;
mod registry_cli;
mod streams;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

use cli::{Cli, Command, ExportArgs, RunArgs};
use layerscope_core::analysis::{Analysis, AnalyzeOptions};
use layerscope_core::analyze::analyze_input;
use layerscope_core::external::{self, ExternalFinding};
use layerscope_core::layer::PassState;
use layerscope_core::report::ci::{self, Policy};
use layerscope_core::secrets::{RuleSet, Scanner, Severity};
use layerscope_core::source::{Limits, OpenOptions, Platform};
use registry_cli::{note_source, registry_options, run_cache, transfer_progress};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // A reader that stopped reading (`| head`) is not an error.
        Err(e) if streams::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let mut msg = format!("{e:#}");
            msg = msg.replace('\n', " ");
            // Errors quote names from the image: never let them drive the terminal.
            let msg = layerscope_core::paths::escape(msg.as_bytes());
            eprintln!("layerscope: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        // Both are rendered into memory first: clap_complete panics on a failed write, and a
        // closed pipe must end quietly.
        Some(Command::Completions { shell }) => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "layerscope", &mut text);
            write_output(None, &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            let mut text = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut text)?;
            write_output(None, &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Export(args)) => run_export(args),
        Some(Command::Cache { clear }) => run_cache(clear),
        Some(Command::Diff(args)) => diff_cmd::run(args),
        None => run_image(cli.run),
    }
}

fn options(args: &RunArgs) -> Result<AnalyzeOptions> {
    let platform = match &args.platform {
        Some(p) => Some(p.parse::<Platform>().map_err(anyhow::Error::msg)?),
        None => None,
    };
    let l = &args.limits;
    Ok(AnalyzeOptions {
        open: OpenOptions {
            platform,
            image: args.image_ref.clone(),
            limits: Limits {
                max_json_bytes: l.max_json_bytes,
                max_bytes: l.max_bytes,
                max_ratio: l.max_ratio,
                max_entries: l.max_entries,
                max_path_len: l.max_path_len,
                max_depth: l.max_depth,
            },
            registry: registry_options(&args.registry)?,
            preview: None,
        },
        strict: args.strict,
        threads: args.threads,
        spool_compressed: false,
    })
}

fn demo_image() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/demo.tar");
    if here.exists() {
        return here;
    }
    PathBuf::from("assets/demo/demo.tar")
}

fn scanner(args: &RunArgs) -> Result<Option<Scanner>> {
    if args.no_secrets {
        return Ok(None);
    }
    let mut rules = RuleSet::builtin();
    if let Some(p) = &args.rules {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("{}: cannot read rules file", p.display()))?;
        let extra = RuleSet::from_gitleaks_toml(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        rules.extend(extra);
    }
    Ok(Some(
        Scanner::new(rules).map_err(|e| anyhow::anyhow!("secret rules: {e}"))?,
    ))
}

fn ci_policy(args: &RunArgs) -> Result<Policy> {
    let mut p = Policy {
        fail_on: Some(args.fail_on.parse::<Severity>().map_err(|_| {
            anyhow::anyhow!(
                "--fail-on {:?}: expected low, medium, high or critical",
                args.fail_on
            )
        })?),
        ..Default::default()
    };
    if let Some(b) = &args.baseline {
        let text = std::fs::read_to_string(b)
            .with_context(|| format!("{}: cannot read baseline", b.display()))?;
        p.baseline = ci::parse_baseline(&text);
    }
    let cfg = args
        .ci_config
        .clone()
        .or_else(|| Some(PathBuf::from(".dive-ci")).filter(|p| p.is_file()));
    if let Some(c) = cfg {
        let text = std::fs::read_to_string(&c)
            .with_context(|| format!("{}: cannot read CI rules", c.display()))?;
        ci::parse_dive_ci(&text, &mut p).map_err(|e| anyhow::anyhow!("{}: {e}", c.display()))?;
    }
    Ok(p)
}

fn run_image(mut args: RunArgs) -> Result<ExitCode> {
    streams::check(&args)?;
    // `-o -` is stdout, as `--sarif -` is.
    args.output = args.output.filter(|o| o.as_os_str() != "-");
    let opts = options(&args)?;
    let policy = if args.ci {
        Some(ci_policy(&args)?)
    } else {
        None
    };
    let scanner = scanner(&args)?;
    let path = args
        .image
        .as_ref()
        .map(PathBuf::from)
        .unwrap_or_else(demo_image);
    let state = PassState::default();
    let interactive = !(args.json || args.sarif.is_some() || args.ci);
    // Reports are read first: a wrong file fails fast, before the image is read.
    let reports = read_reports(&args.findings_from)?;
    let triage = args.goto.is_some() || !args.findings_from.is_empty();
    if interactive && !triage {
        layerscope::tui::run(&path.to_string_lossy(), &opts, scanner)?;
        return Ok(ExitCode::SUCCESS);
    }
    if interactive {
        // Triage: the image is analysed before the terminal is taken, so a wrong --goto or
        // --layer is a one-line error, not a half-drawn screen.
        let input = path.to_string_lossy().into_owned();
        let opts = AnalyzeOptions {
            spool_compressed: true,
            ..opts
        };
        let a = analyze_with_notice(&input, &opts, &state, scanner.as_ref())?;
        let goto = match &args.goto {
            Some(p) => Some(
                layerscope_core::goto::resolve(&a, p, args.layer.as_deref())
                    .map_err(anyhow::Error::msg)?,
            ),
            None => None,
        };
        let ext = external::reconcile(&a, &a.findings, reports);
        let triage = layerscope::tui::Triage {
            goto,
            external: ext,
        };
        layerscope::tui::run_loaded(&input, Arc::new(a), scanner, triage)?;
        return Ok(ExitCode::SUCCESS);
    }
    let tty = std::io::stderr().is_terminal();
    // Registry layers are indexed as they arrive; the progress line is drawn from the
    // download thread.
    let shown = std::sync::Mutex::new(transfer_progress(tty));
    let shown =
        Arc::new(move |done, total| (shown.lock().unwrap_or_else(|e| e.into_inner()))(done, total));
    let mut opts = opts;
    opts.open.registry.background =
        Some(layerscope_core::source::registry::Progress(shown.clone()));
    let r = analyze_input(
        &path.to_string_lossy(),
        &opts,
        &state,
        scanner.as_ref(),
        &mut |done, total| shown(done, total),
    );
    if tty {
        eprint!("\r\x1b[2K");
    }
    let a = r?;
    note_source(&a);
    if args.json {
        let report = layerscope_core::report::json::build(&a, args.show_secrets);
        let external_findings = if args.findings_from.is_empty() {
            None
        } else {
            let recs = external::reconcile(&a, &a.findings, reports);
            Some(serde_json::to_value(external::to_json(
                &a,
                &a.findings,
                &recs,
                args.show_secrets,
            ))?)
        };
        /// The report and, when asked for, the reconciled external findings as one more key.
        #[derive(serde::Serialize)]
        struct Out<'r, R: serde::Serialize> {
            #[serde(flatten)]
            report: &'r R,
            #[serde(skip_serializing_if = "Option::is_none")]
            external_findings: Option<serde_json::Value>,
        }
        let out = Out {
            report: &report,
            external_findings,
        };
        // Serialised straight into a buffered writer, not through a serde_json::Value and a
        // String: on a 350,000-file image the text is 70 MB and those were most of the peak
        // memory.
        streams::unless_closed(write_output_with(args.output.as_deref(), &mut |w| {
            // Through io::Error, which keeps the kind (a closed pipe) that serde_json's own
            // error hides from the error chain.
            serde_json::to_writer_pretty(&mut *w, &out).map_err(std::io::Error::from)?;
            w.write_all(b"\n")?;
            Ok(())
        }))?;
    }
    if let Some(sarif) = &args.sarif {
        let doc = layerscope_core::report::sarif::build(
            &a,
            &a.findings,
            args.show_secrets,
            &a.masked_text,
        );
        let mut text = serde_json::to_string_pretty(&doc)?;
        text.push('\n');
        let target = (sarif.as_os_str() != "-").then_some(sarif.as_path());
        streams::unless_closed(write_output(target, text.as_bytes()))?;
    }
    if let Some(policy) = policy {
        let verdict = ci::evaluate(&a, &a.findings, &policy);
        let lines = layerscope_core::report::ci_text::render(&a, &a.findings, &verdict);
        // stdout may carry --json or --sarif -; the verdict then goes to stderr.
        if streams::stdout_taken(&args) {
            // Not eprint!: it panics when stderr is closed, and the exit code must survive.
            let _ = std::io::stderr().write_all(lines.as_bytes());
        } else {
            streams::unless_closed(write_output(None, lines.as_bytes()))?;
        }
        if verdict.failed() {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_export(args: ExportArgs) -> Result<ExitCode> {
    let run = RunArgs {
        platform: args.platform.clone(),
        image_ref: args.image_ref.clone(),
        ..Default::default()
    };
    let mut opts = options(&run)?;
    opts.open.limits = layerscope_core::source::Limits::default();
    let a = analyze_input(
        &args.image,
        &opts,
        &PassState::default(),
        None,
        &mut |_, _| {},
    )?;
    let layer = match &args.layer {
        Some(l) => Some(
            layerscope_core::goto::resolve_layer(&a, l)
                .map_err(|e| anyhow::anyhow!("{}: {e}", args.image))?,
        ),
        None => None,
    };
    let asked = layer;
    let (layer, entry) = layerscope_core::goto::file_version(&a, args.path.as_bytes(), layer)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.image))?;
    let written = layerscope_core::export::export(&a, layer, entry, &args.output, args.force)
        .map_err(|e| anyhow::anyhow!("export: {e}"))?;
    eprintln!(
        "wrote /{} from layer {layer}{} to {}",
        layerscope_core::paths::escape(args.path.trim_start_matches('/').as_bytes()),
        layerscope_core::goto::version_note(&a, args.path.as_bytes(), asked, layer),
        written.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads every `--findings-from` report; an unreadable or unrecognised one is an error.
fn read_reports(paths: &[PathBuf]) -> Result<Vec<ExternalFinding>> {
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("--findings-from {}: cannot read the report", p.display()))?;
        let (_, found) = external::parse_report(&text)
            .map_err(|e| anyhow::anyhow!("--findings-from {}: {e}", p.display()))?;
        out.extend(found);
    }
    Ok(out)
}

/// Analyses the image before the view opens, saying so on a terminal's stderr.
fn analyze_with_notice(
    input: &str,
    opts: &AnalyzeOptions,
    state: &PassState,
    scanner: Option<&Scanner>,
) -> Result<Analysis> {
    let tty = std::io::stderr().is_terminal();
    if tty {
        eprint!("layerscope: reading {input}…");
    }
    let r = analyze_input(input, opts, state, scanner, &mut |_, _| {});
    if tty {
        // Erase the notice: the view (or the error line) takes its place.
        eprint!("\r\x1b[2K");
    }
    let a = r?;
    note_source(&a);
    Ok(a)
}

/// Writes all or nothing: a temp file beside the target, renamed into place.
fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    write_output_with(path, &mut |out| Ok(out.write_all(bytes)?))
}

/// `write_output` for a writer callback, through a 1 MiB buffer. A target that exists and is
/// not a regular file (`/dev/null`, a FIFO) is written in place: renaming a temp file over it
/// would replace the device.
fn write_output_with(
    path: Option<&Path>,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    const BUF: usize = 1 << 20;
    match path {
        None => {
            let mut out = std::io::BufWriter::with_capacity(BUF, std::io::stdout().lock());
            write(&mut out).context("writing to stdout")?;
            out.flush().context("writing to stdout")?;
        }
        Some(p) if std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir()) => {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(p)
                .with_context(|| format!("{}: cannot open for writing", p.display()))?;
            let mut out = std::io::BufWriter::with_capacity(BUF, f);
            write(&mut out).with_context(|| format!("{}: write failed", p.display()))?;
            out.flush()
                .with_context(|| format!("{}: write failed", p.display()))?;
        }
        Some(p) => {
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("{}: cannot create the output file", p.display()))?;
            let mut out = std::io::BufWriter::with_capacity(BUF, tmp);
            write(&mut out).with_context(|| format!("{}: write failed", p.display()))?;
            let tmp = out
                .into_inner()
                .map_err(|e| anyhow::anyhow!("{}: write failed: {}", p.display(), e.error()))?;
            tmp.persist(p)
                .map_err(|e| anyhow::anyhow!("{}: {}", p.display(), e.error))?;
        }
    }
    Ok(())
}

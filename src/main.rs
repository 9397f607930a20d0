//! The binary's edge: parse the command line, run the chosen mode, turn errors into one line
//! and exit code 2.

mod cli;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

use cli::{Cli, Command, RunArgs};
use layerscope::analysis::{analyze, AnalyzeOptions};
use layerscope::layer::PassState;
use layerscope::source::{Limits, OpenOptions, Platform};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let mut msg = format!("{e:#}");
            msg = msg.replace('\n', " ");
            // Errors quote names from the image: never let them drive the terminal.
            let msg = layerscope::paths::escape(msg.as_bytes());
            eprintln!("layerscope: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "layerscope",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
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
        },
        strict: args.strict,
        threads: args.threads,
    })
}

fn demo_image() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/demo.tar");
    if here.exists() {
        return here;
    }
    PathBuf::from("assets/demo/demo.tar")
}

fn run_image(args: RunArgs) -> Result<ExitCode> {
    let opts = options(&args)?;
    let path = args
        .image
        .as_ref()
        .map(PathBuf::from)
        .unwrap_or_else(demo_image);
    let state = PassState::default();
    let a = analyze(&path, &opts, &state)?;
    if args.json {
        let report = layerscope::report::json::build(&a, &|s: &str| s.to_string());
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        write_output(args.output.as_deref(), text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    anyhow::bail!("the interactive view is not available in this build; use --json")
}

/// Writes all or nothing: a temp file beside the target, renamed into place.
fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).context("writing to stdout")?;
            out.flush().ok();
        }
        Some(p) => {
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("{}: cannot create the output file", p.display()))?;
            tmp.write_all(bytes)
                .with_context(|| format!("{}: write failed", p.display()))?;
            tmp.persist(p)
                .map_err(|e| anyhow::anyhow!("{}: {}", p.display(), e.error))?;
        }
    }
    Ok(())
}

//! Where the non-interactive outputs go, checked before the image is read: two documents never
//! share one stream, and a reader that closes the pipe early (`| head`) ends the run quietly.

use std::path::{Path, PathBuf};

use crate::cli::RunArgs;

/// A document's destination.
#[derive(PartialEq, Eq, Debug)]
enum Target {
    Stdout,
    File(PathBuf),
}

fn target(p: &Path) -> Target {
    const STDOUT: [&str; 4] = ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];
    if STDOUT.iter().any(|s| p.as_os_str() == *s) {
        return Target::Stdout;
    }
    // The same file named two ways (`out.json`, `./out.json`) is still one file.
    let name = p.file_name().map(PathBuf::from).unwrap_or_default();
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match dir.canonicalize() {
        Ok(d) => Target::File(d.join(name)),
        Err(_) => Target::File(p.to_path_buf()),
    }
}

/// Refuses `--json` and `--sarif` aimed at one stream or one file: a reader would get two JSON
/// documents glued together (or the second would replace the first).
pub fn check(args: &RunArgs) -> anyhow::Result<()> {
    let (Some(sarif), true) = (&args.sarif, args.json) else {
        return Ok(());
    };
    let json = args.output.as_deref().map_or(Target::Stdout, target);
    let sarif_t = target(sarif);
    if json != sarif_t {
        return Ok(());
    }
    match json {
        Target::Stdout => anyhow::bail!(
            "--json and --sarif {} would both write to stdout; send one to a file (-o FILE or --sarif FILE)",
            sarif.display()
        ),
        Target::File(_) => anyhow::bail!(
            "--json -o {} and --sarif {} name the same file; give each its own",
            args.output.as_deref().unwrap_or(Path::new("")).display(),
            sarif.display()
        ),
    }
}

/// Does the verdict of `--ci` have to leave stdout to a document?
pub fn stdout_taken(args: &RunArgs) -> bool {
    (args.json
        && args
            .output
            .as_deref()
            .is_none_or(|o| target(o) == Target::Stdout))
        || args
            .sarif
            .as_deref()
            .is_some_and(|s| target(s) == Target::Stdout)
}

/// Was the error a closed pipe on the way out? (`layerscope … | head -1`)
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// A document's write, where a closed pipe is not an error: the run goes on, so that `--ci`
/// still ends with its verdict's exit code when the log reader stopped early.
pub fn unless_closed(r: anyhow::Result<()>) -> anyhow::Result<()> {
    match r {
        Err(e) if is_broken_pipe(&e) => Ok(()),
        r => r,
    }
}

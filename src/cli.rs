//! The command line, defined once: parsing, `--help`, completions and the man page all come
//! from this.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "layerscope",
    version,
    about = "See what every layer of a container image really holds: changes, ghost files and secrets",
    long_about = "See what every layer of a container image really holds: which build step made which \
layer, what it added, changed and deleted, and every secret in it, including files a later layer \
deleted that still sit in a lower layer.\n\nIMAGE is a `docker save` tar (any layout, also gzipped), an \
OCI layout directory, an oci-archive tar (also written oci:PATH, oci-archive:PATH, docker-archive:PATH \
as skopeo and podman name them), a name in the local Docker/Podman daemon (docker://NAME, \
podman://NAME, docker-daemon:NAME), or an image in a registry (registry://HOST[:PORT]/REPO[:TAG|@sha256:HEX]; \
what skopeo writes as docker://). A bare NAME[:TAG] that is not a path is read from a local daemon, \
or pulled from its registry when no daemon has it (see --pull).\n\nExit codes: 0 success, \
1 --ci found a problem, 2 error.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug, Default)]
pub struct RunArgs {
    /// Image to open (default: the demo image in assets/)
    pub image: Option<String>,
    /// Write the analysis as JSON (to stdout, or to --output)
    #[arg(long)]
    pub json: bool,
    /// File to write the --json analysis to, instead of stdout ("-": stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Choose the platform in a multi-platform index, as os/arch[/variant]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Choose the image in an archive that holds several (tag, name, or image-id prefix)
    #[arg(long = "image", value_name = "REF")]
    pub image_ref: Option<String>,
    /// Write findings as SARIF 2.1.0 to FILE ("-" for stdout)
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Exit 1 when a finding at or above --fail-on (not in --baseline) remains, or a .dive-ci rule fails
    #[arg(long)]
    pub ci: bool,
    /// Lowest severity that fails --ci: low, medium, high or critical
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,
    /// Fingerprints to accept in --ci: one per line, a JSON list, or an earlier --json report
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// dive's CI rules file (lowestEfficiency, highestWastedBytes, highestUserWastedPercent); default ./.dive-ci when present
    #[arg(long, value_name = "FILE")]
    pub ci_config: Option<PathBuf>,
    /// Show raw secret values (in --json, --sarif and the TUI); masked otherwise
    #[arg(long)]
    pub show_secrets: bool,
    /// Add secret rules from a gitleaks/Betterleaks TOML file
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Skip the secret scan (structure and waste only)
    #[arg(long)]
    pub no_secrets: bool,
    /// Treat a layer whose content does not hash to its diff_id as an error, not a warning
    #[arg(long)]
    pub strict: bool,
    /// Open the view on this file (with or without the leading /): its tree, the path selected,
    /// the preview open. Without --layer: the last layer with a version of it (for a deleted
    /// file, the layer that still holds its bytes)
    #[arg(long, value_name = "PATH", conflicts_with_all = ["json", "sarif", "ci"])]
    pub goto: Option<String>,
    /// With --goto: the layer to open, as an index (`3` or `L3`, the History pane's L column),
    /// a build step (`step:8`, its STEP column: the layer that step made) or a digest /
    /// diff_id (sha256:… or a unique prefix of at least 6 hex digits)
    #[arg(long, value_name = "N|DIGEST", requires = "goto")]
    pub layer: Option<String>,
    /// Show another scanner's findings beside layerscope's own, placed in the image and marked
    /// where layerscope agrees: a Trivy JSON, SARIF or Kingfisher JSON report (repeatable; with
    /// --json they are added as `external_findings`)
    #[arg(long = "findings-from", value_name = "REPORT")]
    pub findings_from: Vec<PathBuf>,
    /// Worker threads for reading layers (0 = one per core)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Args, Debug, Default)]
pub struct RegistryArgs {
    /// For a bare NAME[:TAG]: never (local daemons only), missing (a daemon's copy, else the
    /// registry), always (the registry)
    #[arg(long, value_name = "POLICY", default_value = "missing", value_parser = ["never", "missing", "always"])]
    pub pull: String,
    /// Allow plain HTTP and unverified TLS for this registry (HOST or HOST:PORT; repeatable).
    /// Loopback registries may use plain HTTP without it
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Download registry blobs into a temporary directory instead of the blob cache
    #[arg(long)]
    pub no_cache: bool,
    /// Registry user name (with --password-stdin), instead of docker/podman login
    #[arg(long, value_name = "NAME", requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password or token from stdin (with --username)
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
}

#[derive(Args, Debug, Default)]
pub struct LimitArgs {
    /// Refuse images whose layers inflate to more than this many bytes in total
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 30)]
    pub max_bytes: u64,
    /// Refuse layers that inflate more than this many times their compressed size
    #[arg(long, value_name = "RATIO", default_value_t = 1000)]
    pub max_ratio: u64,
    /// Refuse images with more tar entries than this
    #[arg(long, value_name = "N", default_value_t = 10_000_000)]
    pub max_entries: u64,
    /// Refuse entry paths longer than this many bytes
    #[arg(long, value_name = "BYTES", default_value_t = 4096)]
    pub max_path_len: usize,
    /// Refuse entry paths deeper than this many components
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_depth: usize,
    /// Refuse manifest, index or config documents larger than this
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_json_bytes: u64,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write one file version (also one a later layer deleted) to OUT, never outside it
    Export(ExportArgs),
    /// Compare two images: shared layers, build steps, file changes and findings new / fixed
    Diff(DiffArgs),
    /// Print shell completions for bash, zsh, fish, elvish or powershell
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff)
    Man,
    /// Show the registry blob cache (where, how many blobs, how large); --clear empties it
    Cache {
        /// Delete every cached blob
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Image to read (same forms as the main command)
    pub image: String,
    /// Path of the file inside the image
    pub path: String,
    /// Layer whose version to write: index (`3` or `L3`), build step (`step:8`), or digest /
    /// diff_id (prefix of at least 6 hex digits).
    /// Default: the last layer that holds bytes for PATH
    #[arg(long, value_name = "N|DIGEST")]
    pub layer: Option<String>,
    /// Destination file, or an existing directory to write the file into
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Replace an existing file (never a symlink or a directory)
    #[arg(long)]
    pub force: bool,
    /// Choose the platform in a multi-platform index
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Choose the image in an archive that holds several
    #[arg(long = "image", value_name = "REF")]
    pub image_ref: Option<String>,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier image (same forms as the main command)
    pub old: String,
    /// The later image
    pub new: String,
    /// Write the comparison as JSON (to stdout, or to --output)
    #[arg(long)]
    pub json: bool,
    /// File to write the --json comparison to, instead of stdout
    #[arg(short, long, value_name = "FILE", requires = "json")]
    pub output: Option<PathBuf>,
    /// Exit 1 when NEW has a finding at or above --fail-on that OLD did not have
    #[arg(long)]
    pub ci: bool,
    /// Lowest severity that fails --ci: low, medium, high or critical
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,
    /// Write NEW's new findings as SARIF 2.1.0 to FILE ("-" for stdout)
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Show raw secret values; masked otherwise
    #[arg(long)]
    pub show_secrets: bool,
    /// Add secret rules from a gitleaks/Betterleaks TOML file
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Skip the secret scan (structure and files only)
    #[arg(long)]
    pub no_secrets: bool,
    /// Choose the platform in a multi-platform index, as os/arch[/variant] (both images)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Treat a layer whose content does not hash to its diff_id as an error, not a warning
    #[arg(long)]
    pub strict: bool,
    /// Worker threads for reading layers (0 = one per core)
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    #[command(flatten)]
    pub limits: LimitArgs,
}

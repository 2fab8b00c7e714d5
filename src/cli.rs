//! The command line: what the user typed, as plain data, and the dispatch to `cmd/`.
//!
//! Exit codes follow grep and diff: 0 ok, 1 differences (`render --check`), 2 usage or
//! input error. Every error is printed here, once.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::cmd;
use crate::error::Error;

/// Exit code for "differences found".
pub const EXIT_DIFFERENCES: u8 = 1;
/// Exit code for usage and input errors.
pub const EXIT_ERROR: u8 = 2;

/// Renders a Backstage deployment for GitOps from one environment file.
#[derive(Debug, Parser)]
#[command(name = "stagehand", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  stagehand render overlays/minicloud                  print the Kubernetes objects
  stagehand render overlays/minicloud --out-dir out    write values.yaml, certificate.yaml, ...
  stagehand render overlays/* --out-dir rendered       one folder per environment
  stagehand render overlays/dev --set spec.replicas=2  override a field
  stagehand validate overlays/*                        report every problem and warning
  stagehand diff --base origin/main                    what a change does to every environment
  stagehand schema > environment.schema.json           JSON Schema for editors

Exit codes: 0 ok, 1 differences (render --check), 2 usage or input error.";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render an environment: print its Kubernetes objects, or write every artifact.
    #[command(after_help = RENDER_EXAMPLES)]
    Render(RenderArgs),
    /// Check environment files and report every problem, plus warnings.
    #[command(
        after_help = "Examples:\n  stagehand validate overlays/minicloud\n  stagehand validate overlays/*"
    )]
    Validate(ValidateArgs),
    /// Compare rendered output: a git revision against the working tree, or A against B.
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// ArgoCD plugin: render the environment in the working directory with the
    /// Application's parameters and print its objects.
    #[command(after_help = GENERATE_HELP)]
    Generate(GenerateArgs),
    /// ArgoCD plugin: print the parameter announcement (JSON) for the ArgoCD UI.
    #[command(after_help = "Example (from the application folder):\n  stagehand parameters")]
    Parameters,
    /// Print the environment file's JSON Schema (for yaml-language-server and editors).
    #[command(
        after_help = "Example:\n  stagehand schema > environment.schema.json\n  \
        then start environment files with:\n  \
        # yaml-language-server: $schema=environment.schema.json"
    )]
    Schema,
}

const RENDER_EXAMPLES: &str = "\
Examples:
  stagehand render overlays/minicloud
  stagehand render overlays/minicloud -o json
  stagehand render overlays/minicloud --out-dir rendered/minicloud
  stagehand render overlays/dev overlays/prod --out-dir rendered
  stagehand render overlays/minicloud --out-dir rendered/minicloud --check
  stagehand render overlays/dev --set spec.hostname=portal.example.org";

/// Arguments of `render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// Environment files, or folders holding environment.yaml [default: .]
    #[arg(value_name = "ENV")]
    pub environments: Vec<PathBuf>,
    /// Write one file per artifact into DIR (DIR/<name>/ for several environments).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// With --out-dir: write nothing; exit 1 if any file would change.
    #[arg(long, requires = "out_dir")]
    pub check: bool,
    /// Override a field last, e.g. --set spec.hostname=portal.example.org (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<String>,
    /// Output format of the printed objects.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Yaml)]
    pub output: OutputFormat,
}

const DIFF_HELP: &str = "\
Examples:
  stagehand diff --base origin/main                    every environment under .
  stagehand diff --base HEAD overlays/minicloud        one environment
  stagehand diff --base origin/main --format markdown  for a pull-request comment
  stagehand diff rendered-old rendered-new             two render --out-dir folders
  stagehand diff --base HEAD --ignore 'metadata.annotations.argocd.argoproj.io/*'

Exit codes: 0 no differences, 1 differences, 2 error.";

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Compare the environments at this git revision with the working tree.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// With --base: where to look for environments [default: .]. Without: the two sides.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Leave out changes at field paths matching this glob (repeatable).
    #[arg(long, value_name = "PATH_GLOB")]
    pub ignore: Vec<String>,
}

/// How `diff` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Text for terminals (coloured on a terminal unless NO_COLOR is set).
    Text,
    /// Markdown for a pull-request comment, at most 65,000 characters.
    Markdown,
    /// JSON for machines.
    Json,
}

const GENERATE_HELP: &str = "\
Reads what ArgoCD's cmp-server provides: the working directory (the application's folder in a
copy of the repository), ARGOCD_APP_SOURCE_PATH (to find the repository root),
ARGOCD_ENV_ENVIRONMENT (an environment file other than ./environment.yaml),
ARGOCD_APP_PARAMETERS or PARAM_* (parameters), KUBE_VERSION and KUBE_API_VERSIONS (checked).

Example, reproducing a sync locally:
  cd overlays/minicloud
  ARGOCD_APP_SOURCE_PATH=overlays/minicloud \\
  ARGOCD_APP_PARAMETERS='[{\"name\":\"hostname\",\"string\":\"portal.example.org\"}]' \\
  KUBE_API_VERSIONS=v1,networking.k8s.io/v1,cert-manager.io/v1,bitnami.com/v1alpha1,argoproj.io/v1alpha1 \\
  stagehand generate --explain";

/// Arguments of `generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Also print, on stderr, the inputs used and a command that reproduces the run.
    #[arg(long)]
    pub explain: bool,
}

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Environment files, or folders holding environment.yaml [default: .]
    #[arg(value_name = "ENV")]
    pub environments: Vec<PathBuf>,
    /// Override a field last, as for render (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<String>,
}

/// How `render` prints objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A YAML stream, one document per object.
    Yaml,
    /// A JSON v1 List.
    Json,
}

/// Parses the command line, runs the command, prints any error, returns the exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Render(args) => cmd::render::run(&args),
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Diff(args) => cmd::diff::run(&args),
        Command::Generate(args) => cmd::generate::run(&args),
        Command::Parameters => cmd::parameters::run(),
        Command::Schema => cmd::schema::run(),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            report(&error);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Prints an error to stderr, one line per problem.
pub fn report(error: &Error) {
    for line in error.report_lines() {
        eprintln!("{line}");
    }
}

//! The command line: composes the subcommands of `cmd/` and dispatches to them.
//!
//! Each command owns its arguments (`cmd::<name>::*Args`) and its `run`; this module only
//! names them, so imports run one way: `cli` → `cmd` → the library. Every error is printed
//! here, once, and ends the process with [`EXIT_ERROR`].

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::cmd;
use crate::error::EXIT_ERROR;

/// Renders a Backstage deployment for GitOps from one environment file.
#[derive(Debug, Parser)]
#[command(name = "stagehand", version = env!("STAGEHAND_LONG_VERSION"), about, after_help = EXAMPLES)]
pub struct Cli {
    /// Print no warnings (errors are always printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  # print the Kubernetes objects
  stagehand render overlays/minicloud
  # write values.yaml, certificate.yaml, ... into out/
  stagehand render overlays/minicloud --out-dir out
  # one folder per environment
  stagehand render overlays/* --out-dir rendered
  # override a field
  stagehand render overlays/dev --set spec.replicas=2
  # a new environment that validates
  stagehand new overlays/qa --hostname qa.example.org --issuer ca
  # report every problem and warning
  stagehand validate overlays/*
  # what a change does to every environment
  stagehand diff --base origin/main
  # seal the database passwords
  stagehand seal overlays/minicloud --cert cert.pem
  # JSON Schema for editors
  stagehand schema > environment.schema.json

Exit codes: 0 ok; 1 differences (diff, render --check); 2 usage or input error.
-q/--quiet silences warnings on every command.";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render an environment: print its Kubernetes objects, or write every artifact.
    #[command(after_help = cmd::render::EXAMPLES)]
    Render(cmd::render::RenderArgs),
    /// Write a new environment that validates (ENV_DIR/environment.yaml).
    #[command(visible_alias = "init", after_help = cmd::new::EXAMPLES)]
    New(cmd::new::NewArgs),
    /// Check environment files and report every problem, plus warnings.
    #[command(after_help = cmd::validate::EXAMPLES)]
    Validate(cmd::validate::ValidateArgs),
    /// Compare rendered output: a git revision against the working tree, or A against B.
    #[command(after_help = cmd::diff::EXAMPLES)]
    Diff(cmd::diff::DiffArgs),
    /// ArgoCD plugin: render the environment in the working directory with the
    /// Application's parameters and print its objects.
    #[command(after_help = cmd::generate::EXAMPLES)]
    Generate(cmd::generate::GenerateArgs),
    /// ArgoCD plugin: print the environment file if the working directory is one to render.
    #[command(after_help = cmd::discover::EXAMPLES)]
    Discover(cmd::discover::DiscoverArgs),
    /// ArgoCD plugin: print the parameter announcement (JSON) for the ArgoCD UI.
    #[command(after_help = cmd::parameters::EXAMPLES)]
    Parameters(cmd::parameters::ParametersArgs),
    /// Seal the database credentials for the cluster's sealed-secrets controller, into
    /// the environment file's spec.database.encryptedData.
    #[command(after_help = cmd::seal::EXAMPLES)]
    Seal(cmd::seal::SealArgs),
    /// Print the environment file's JSON Schema (for yaml-language-server and editors).
    #[command(after_help = cmd::schema::EXAMPLES)]
    Schema(cmd::schema::SchemaArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = cmd::completions::COMPLETIONS_EXAMPLES)]
    Completions(cmd::completions::CompletionsArgs),
    /// Print the manual page (roff).
    #[command(after_help = cmd::completions::MAN_EXAMPLES)]
    Man(cmd::completions::ManArgs),
}

/// Parses the command line, runs the command, prints any error, returns the exit code.
pub fn run() -> ExitCode {
    install_panic_message();
    let cli = Cli::parse();
    crate::error::set_quiet(cli.quiet);
    let outcome = match cli.command {
        Command::Render(args) => cmd::render::run(&args),
        Command::Validate(args) => cmd::validate::run(&args),
        Command::New(args) => cmd::new::run(&args),
        Command::Diff(args) => cmd::diff::run(&args),
        Command::Generate(args) => cmd::generate::run(&args),
        Command::Discover(args) => cmd::discover::run(&args),
        Command::Parameters(args) => cmd::parameters::run(&args),
        Command::Schema(args) => cmd::schema::run(&args),
        Command::Seal(args) => cmd::seal::run(&args),
        Command::Completions(args) => cmd::completions::completions(&args, Cli::command()),
        Command::Man(args) => cmd::completions::man(&args, Cli::command()),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            error.eprint();
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// A panic is a bug: it prints where it happened and how to report it, never its message,
/// which may quote a file or a variable that is not ours to show.
fn install_panic_message() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: stagehand stopped on an internal error{place} (a bug: please report it, with \
             the command that caused it)"
        );
    }));
}

//! `stagehand diff`: compare rendered output between a git revision and the working tree,
//! or between two rendered folders or environment files. Exit 0: no differences; 1:
//! differences; 2: error (naming the side that failed).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use crate::cmd::{ChartArgs, write_stdout};
use crate::diff::revision::{RevisionTree, repository_top};
use crate::diff::sources::{
    find_environments, load_side, pair, render_sides, repository_relative, revision_environments,
    side_error,
};
use crate::diff::{DiffReport, IgnoreRules, compare, format};
use crate::error::{EXIT_DIFFERENCES, Error, Result, Severity, eprint_problems, eprint_warning};
use crate::expand::Expansion;
use crate::sharing::conflicts;

/// Examples shown by `stagehand diff --help`.
pub const EXAMPLES: &str = "\
Examples:
  # every environment under .
  stagehand diff --base origin/main
  # one environment
  stagehand diff --base HEAD overlays/minicloud
  # for a pull-request comment
  stagehand diff --base origin/main -o markdown
  # two render --out-dir folders
  stagehand diff rendered-old rendered-new
  # leave ArgoCD's annotations out
  stagehand diff --base HEAD \\
      --ignore 'metadata.annotations.argocd.argoproj.io/*'
  # the chart's Deployment, Services, ... (helm)
  stagehand diff --base origin/main --expand-chart

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
    /// Output format (`--format` is the same option).
    #[arg(short = 'o', long = "output", visible_alias = "format", value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Leave out changes at field paths matching this glob (repeatable).
    #[arg(long, value_name = "PATH_GLOB")]
    pub ignore: Vec<String>,
    /// Compare the chart's objects too, in place of the Application.
    #[command(flatten)]
    pub chart: ChartArgs,
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

/// Runs `diff`.
pub fn run(args: &DiffArgs) -> Result<ExitCode> {
    let ignore = IgnoreRules::new(&args.ignore)?;
    let expansion = args.chart.expansion()?;
    let report = match &args.base {
        Some(revision) => diff_revision(revision, args, &ignore, expansion.as_ref())?,
        None => {
            let [old, new] = args.paths.as_slice() else {
                return Err(Error::Usage(
                    "diff needs --base REV [PATHS...], or two rendered folders or environment files: diff A B".into(),
                ));
            };
            let before = load_side(old, expansion.as_ref())
                .map_err(|e| side_error(e, &old.display().to_string()))?;
            let after = load_side(new, expansion.as_ref())
                .map_err(|e| side_error(e, &new.display().to_string()))?;
            compare(&before, &after, &ignore)
        }
    };
    let text = match args.format {
        DiffFormat::Text => {
            let colour = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            format::text(&report, colour)
        }
        DiffFormat::Markdown => format::markdown(&report),
        DiffFormat::Json => format::json(&report),
    };
    write_stdout(&text)?;
    Ok(if report.has_changes() {
        ExitCode::from(EXIT_DIFFERENCES)
    } else {
        ExitCode::SUCCESS
    })
}

fn diff_revision(
    revision: &str,
    args: &DiffArgs,
    ignore: &IgnoreRules,
    expansion: Option<&Expansion>,
) -> Result<DiffReport> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::io(std::path::Path::new("."), "cannot read", &e))?;
    let top = repository_top(&cwd)?;
    let paths = repository_relative(&top, &cwd, &args.paths)?;
    // Removed when the diff ends, fails, or is stopped by SIGINT, SIGTERM or SIGHUP.
    let creating = crate::interrupt::critical();
    let checkout = tempfile::Builder::new()
        .prefix("stagehand-diff-")
        .tempdir()
        .map_err(|e| {
            Error::io(
                &std::env::temp_dir(),
                "cannot create a temporary folder in",
                &e,
            )
        })?;
    let _registered = crate::interrupt::remove_on_interrupt(checkout.path());
    drop(creating);
    let tree = RevisionTree::open(&top, revision)?;
    for (given, relative) in args.paths.iter().zip(&paths) {
        if !top.join(relative).exists() && !tree.contains(relative) {
            return Err(Error::Usage(format!(
                "{}: no such file or folder, in the working tree or at {revision}",
                given.display()
            )));
        }
    }
    let (working_tree, nested) = find_environments(&top, &paths);
    for folder in &nested {
        eprint_warning(&format!(
            "note: {} is a submodule or a repository of its own: its environments are left out (run stagehand diff inside it)",
            folder.display()
        ));
    }
    let revision_side: Vec<PathBuf> = revision_environments(&tree, &paths)
        .into_iter()
        .filter(|file| !nested.iter().any(|folder| file.starts_with(folder)))
        .collect();
    let pairs = pair(&revision_side, &working_tree);
    let sides = render_sides(&tree, checkout.path(), &top, &pairs, revision, expansion)?;
    for key in &sides.fixed {
        eprint_warning(&format!(
            "note: {key} does not render at {revision}; it is compared as added"
        ));
    }
    eprint_problems(&conflicts(&sides.claims, Severity::Warning));
    let mut report = compare(&sides.old, &sides.new, ignore);
    report.compared += sides.unchanged;
    report.revisions = Some(crate::diff::revision::revisions(&top, revision));
    Ok(report)
}

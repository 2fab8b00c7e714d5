//! `stagehand validate`: check several environments and report every problem.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cmd::{environments_or_current, parse_overrides, render_each, write_stdout};
use crate::error::{EXIT_ERROR, Error, Result, Severity, eprint_lines, eprint_problems};
use crate::sharing::{Claims, conflicts};

/// Examples shown by `stagehand validate --help`.
pub const EXAMPLES: &str = "\
Examples:
  stagehand validate overlays/minicloud
  stagehand validate overlays/*        also: no two share objects, a hostname or an Application";

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

/// Runs `validate`: problems go to stderr, one `ok` line per valid environment to stdout.
pub fn run(args: &ValidateArgs) -> Result<ExitCode> {
    let overrides = parse_overrides(&args.overrides)?;
    let mut errors = 0;
    let mut warnings = 0;
    let mut valid = Vec::new();
    let environments = environments_or_current(&args.environments);
    let outcomes = render_each(&environments, &overrides, None, |rendered| {
        (Claims::of(&rendered), rendered.warnings)
    });
    let mut claims = Vec::new();
    for (environment, outcome) in environments.iter().zip(outcomes) {
        let problems = match outcome {
            Ok((claim, warnings)) => {
                valid.push(environment.display().to_string());
                claims.push(claim);
                warnings
            }
            Err(Error::Invalid(problems)) => problems,
            Err(other) => {
                errors += 1;
                other.eprint();
                continue;
            }
        };
        for problem in &problems {
            match problem.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        eprint_problems(&problems);
    }
    // Environments that are each valid may still clash where they are deployed.
    let clashes = conflicts(&claims, Severity::Error);
    if !clashes.is_empty() {
        errors += clashes.len();
        eprint_problems(&clashes);
        valid.clear();
    }
    let ok: String = valid
        .iter()
        .map(|environment| format!("ok: {environment}\n"))
        .collect();
    write_stdout(&ok)?;
    eprint_lines([format!("{errors} error(s), {warnings} warning(s)")]);
    Ok(if errors > 0 {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

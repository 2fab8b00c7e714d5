//! `stagehand validate`: check several environments and report every problem.

use std::process::ExitCode;

use crate::cli::{EXIT_ERROR, ValidateArgs};
use crate::cmd::{environments_or_current, parse_overrides, render_each};
use crate::error::{Error, Result, Severity, report_line};

/// Runs `validate`: problems go to stderr, one `ok` line per valid environment to stdout.
pub fn run(args: &ValidateArgs) -> Result<ExitCode> {
    let overrides = parse_overrides(&args.overrides)?;
    let mut errors = 0;
    let mut warnings = 0;
    let mut valid = Vec::new();
    let environments = environments_or_current(&args.environments);
    let outcomes = render_each(&environments, &overrides);
    for (environment, outcome) in environments.iter().zip(outcomes) {
        let problems = match outcome {
            Ok(rendered) => {
                valid.push(environment.display().to_string());
                rendered.warnings
            }
            Err(Error::Invalid(problems)) => problems,
            Err(other) => {
                errors += 1;
                for line in other.report_lines() {
                    eprintln!("{line}");
                }
                continue;
            }
        };
        for problem in &problems {
            match problem.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            eprintln!("{}", report_line(problem));
        }
    }
    for environment in &valid {
        println!("ok: {environment}");
    }
    eprintln!("{errors} error(s), {warnings} warning(s)");
    Ok(if errors > 0 {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

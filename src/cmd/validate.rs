//! `stagehand validate`: check several environments and report every problem.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cmd::{environments_or_current, parse_overrides, render_each, write_stdout};
use crate::error::{
    EXIT_ERROR, Error, Origin, Problem, Result, Severity, eprint_lines, eprint_problems,
    in_reading_order,
};
use crate::sharing::{Claims, conflicts};

/// Examples shown by `stagehand validate --help`.
pub const EXAMPLES: &str = "\
Examples:
  stagehand validate overlays/minicloud
  # also: no two share objects, a hostname or an Application
  stagehand validate overlays/*
  # every problem as JSON on stdout (also when it exits 2)
  stagehand validate overlays/* -o json";

/// How `validate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateFormat {
    /// `ok:` lines on stdout, problems on stderr.
    Text,
    /// One JSON document on stdout: each problem's file, line, field, severity, message and
    /// hint, and the valid environments; nothing on stderr.
    Json,
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
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ValidateFormat::Text)]
    pub output: ValidateFormat,
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
    let mut reported: Vec<Problem> = Vec::new();
    let json = args.output == ValidateFormat::Json;
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
                if json {
                    // Its message names the file already.
                    reported.push(Problem::error(
                        Origin::new("", None),
                        None,
                        other.to_string(),
                    ));
                } else {
                    other.eprint();
                }
                continue;
            }
        };
        for problem in &problems {
            match problem.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        if json {
            // In the order the text report prints them.
            reported.extend(in_reading_order(&problems).into_iter().cloned());
        } else {
            eprint_problems(&problems);
        }
    }
    // Environments that are each valid may still clash where they are deployed.
    let clashes = conflicts(&claims, Severity::Error);
    if !clashes.is_empty() {
        errors += clashes.len();
        if !json {
            eprint_problems(&clashes);
        }
        reported.extend(clashes);
        valid.clear();
    }
    if json {
        let problems: Vec<serde_json::Value> = reported.iter().map(problem_json).collect();
        let report = serde_json::json!({
            "valid": valid,
            "errors": errors,
            "warnings": warnings,
            "problems": problems,
        });
        let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
        text.push('\n');
        write_stdout(&text)?;
    } else {
        let ok: String = valid
            .iter()
            .map(|environment| format!("ok: {environment}\n"))
            .collect();
        write_stdout(&ok)?;
        eprint_lines([format!("{errors} error(s), {warnings} warning(s)")]);
    }
    Ok(if errors > 0 {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// One problem as `-o json` gives it.
fn problem_json(problem: &Problem) -> serde_json::Value {
    serde_json::json!({
        "file": (!problem.origin.file.is_empty()).then_some(&problem.origin.file),
        "line": problem.origin.line,
        "field": problem.field.as_ref().map(ToString::to_string),
        "severity": match problem.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "message": problem.message,
        "hint": problem.hint,
    })
}

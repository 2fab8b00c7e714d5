//! `stagehand render`: print the Kubernetes objects, or write (or check) an out-dir.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use std::process::ExitCode;

use rayon::prelude::*;

use clap::ValueEnum;

use crate::cmd::{
    ChartArgs, environments_or_current, keep_until_exit, parse_overrides, render_each, write_stdout,
};
use crate::emit::{json_list, out_dir_files, yaml_stream};
use crate::error::{
    EXIT_DIFFERENCES, Error, Problem, Result, Severity, eprint_problems, eprint_warning,
};
use crate::expand::Expansion;
use crate::out_dir::{Layout, Swap, changed_files};
use crate::overlay::Override;
use crate::pipeline::{RenderRequest, render};
use crate::sharing::{Claims, conflicts};

/// Examples shown by `stagehand render --help`.
pub const EXAMPLES: &str = "\
Examples:
  stagehand render overlays/minicloud
  stagehand render overlays/minicloud -o json
  stagehand render overlays/minicloud --out-dir rendered/minicloud
  stagehand render overlays/dev overlays/prod --out-dir rendered
  stagehand render overlays/minicloud --out-dir rendered/minicloud --check
  stagehand render overlays/dev --set spec.hostname=portal.example.org
  # the chart's objects too (helm)
  stagehand render overlays/minicloud --expand-chart
  stagehand render overlays/minicloud --expand-chart \\
      --chart backstage-2.7.0.tgz";

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
    /// The chart's objects in place of the Application.
    #[command(flatten)]
    pub chart: ChartArgs,
}

/// How `render` prints objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A YAML stream, one document per object.
    Yaml,
    /// A JSON v1 List.
    Json,
}

/// Runs `render`.
pub fn run(args: &RenderArgs) -> Result<ExitCode> {
    let overrides = parse_overrides(&args.overrides)?;
    let environments = environments_or_current(&args.environments);
    let Some(out_dir) = &args.out_dir else {
        let [environment] = environments.as_slice() else {
            return Err(Error::Usage(
                "render prints one environment; give --out-dir DIR to render several".into(),
            ));
        };
        let mut rendered = render(&RenderRequest {
            environment: environment.clone(),
            overrides,
            ..RenderRequest::default()
        })?;
        if let Some(expansion) = args.chart.expansion()? {
            expansion.apply(&mut rendered)?;
        }
        eprint_problems(&rendered.warnings);
        let text = match args.output {
            OutputFormat::Yaml => yaml_stream(&rendered),
            OutputFormat::Json => json_list(&rendered),
        };
        write_stdout(&text)?;
        keep_until_exit((rendered, text));
        return Ok(ExitCode::SUCCESS);
    };
    if args.output != OutputFormat::Yaml {
        return Err(Error::Usage(
            "-o/--output applies to printed objects; --out-dir always writes YAML files".into(),
        ));
    }
    crate::out_dir::refuse_symlink(out_dir)?;
    let expansion = args.chart.expansion()?;
    if args.check {
        return check_out_dir(out_dir, &environments, &overrides, expansion.as_ref());
    }
    // Each environment is written into the staging folder as soon as it renders (in
    // parallel; results keep argument order); only when all succeeded is the out-dir
    // swapped for it: any error means nothing changes.
    let layout = if environments.len() == 1 {
        Layout::Single
    } else {
        Layout::PerEnvironment
    };
    let (swap, created) = Swap::begin(out_dir, layout)?;
    let outcomes = render_each(&environments, &overrides, expansion.as_ref(), |rendered| {
        let files = out_dir_files(&rendered);
        swap.write(&rendered.name, &files)?;
        Ok(OutDirRender {
            claims: Claims::of(&rendered),
            name: rendered.name,
            warnings: rendered.warnings,
            output: files.len(),
        })
    });
    let rendered_all = succeeded(outcomes.into_iter().map(|outcome| outcome.and_then(|r| r)))?;
    unique_names(&environments, &rendered_all)?;
    warn_of_clashes(&rendered_all);
    for rendered in &rendered_all {
        eprint_problems(&rendered.warnings);
    }
    let written: BTreeSet<&str> = rendered_all.iter().map(|r| r.name.as_str()).collect();
    swap.commit(&written)?;
    created.keep();
    eprint_warning(&summary(out_dir, &rendered_all));
    Ok(ExitCode::SUCCESS)
}

/// The line `render --out-dir` ends with (unless `-q`): what it wrote, and where.
fn summary(out_dir: &Path, rendered: &[OutDirRender<usize>]) -> String {
    let files: usize = rendered.iter().map(|r| r.output).sum();
    let warnings: usize = rendered.iter().map(|r| r.warnings.len()).sum();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let names = match rendered {
        [one] => format!("environment {}", one.name),
        _ => plural(rendered.len(), "environment"),
    };
    let warned = if warnings == 0 {
        String::new()
    } else {
        format!(", {}", plural(warnings, "warning"))
    };
    format!(
        "wrote {names} ({}) into {}{warned}",
        plural(files, "file"),
        out_dir.display()
    )
}

/// `--check`: renders every environment and lists the files that would change.
fn check_out_dir(
    out_dir: &Path,
    environments: &[PathBuf],
    overrides: &[Override],
    expansion: Option<&Expansion>,
) -> Result<ExitCode> {
    let outcomes = render_each(environments, overrides, expansion, |rendered| {
        OutDirRender {
            output: out_dir_files(&rendered),
            claims: Claims::of(&rendered),
            name: rendered.name,
            warnings: rendered.warnings,
        }
    });
    let rendered_all = succeeded(outcomes)?;
    unique_names(environments, &rendered_all)?;
    warn_of_clashes(&rendered_all);
    for rendered in &rendered_all {
        eprint_problems(&rendered.warnings);
    }
    let changed: Vec<PathBuf> = rendered_all
        .par_iter()
        .flat_map(|rendered| {
            let dir = if rendered_all.len() == 1 {
                out_dir.to_path_buf()
            } else {
                out_dir.join(&rendered.name)
            };
            changed_files(&dir, &rendered.output)
        })
        .collect();
    if changed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let listing: String = changed
        .iter()
        .map(|path| format!("would change: {}\n", path.display()))
        .collect();
    write_stdout(&listing)?;
    Ok(ExitCode::from(EXIT_DIFFERENCES))
}

/// What `--out-dir` keeps of a rendered environment: its name and warnings, and its files
/// (`--check`) or the hidden folder they were written into.
struct OutDirRender<T> {
    name: String,
    claims: Claims,
    warnings: Vec<Problem>,
    output: T,
}

/// Environments rendered together that would clash in one cluster: a warning each (an
/// out-dir is a local matter; `validate` refuses them).
fn warn_of_clashes<T>(rendered: &[OutDirRender<T>]) {
    let claims: Vec<Claims> = rendered.iter().map(|one| one.claims.clone()).collect();
    eprint_problems(&conflicts(&claims, Severity::Warning));
}

/// The environments that rendered, or, if any failed, every failure printed and the
/// last returned.
fn succeeded<T>(outcomes: impl IntoIterator<Item = Result<T>>) -> Result<Vec<T>> {
    let mut failures = Vec::new();
    let mut rendered = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(one) => rendered.push(one),
            Err(error) => failures.push(error),
        }
    }
    if let Some(last) = failures.pop() {
        failures.iter().for_each(Error::eprint);
        return Err(last);
    }
    Ok(rendered)
}

/// Several environments share an out-dir as DIR/<name>: two may not share a name.
fn unique_names<T>(arguments: &[PathBuf], rendered: &[OutDirRender<T>]) -> Result<()> {
    if rendered.len() == 1 {
        return Ok(());
    }
    let mut seen: BTreeMap<&str, &PathBuf> = BTreeMap::new();
    for (argument, environment) in arguments.iter().zip(rendered) {
        if let Some(first) = seen.insert(&environment.name, argument) {
            return Err(Error::Usage(format!(
                "{} and {} both name their environment `{}`: metadata.name must be unique to share an --out-dir",
                first.display(),
                argument.display(),
                environment.name
            )));
        }
    }
    Ok(())
}

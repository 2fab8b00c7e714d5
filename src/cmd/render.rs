//! `stagehand render`: print the Kubernetes objects, or write (or check) an out-dir.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use rayon::prelude::*;

use clap::ValueEnum;

use crate::cmd::{ChartArgs, environments_or_current, parse_overrides, render_each, write_stdout};
use crate::emit::{json_list, out_dir_files, yaml_stream};
use crate::error::{EXIT_DIFFERENCES, Error, Result, eprint_problems};
use crate::out_dir::{changed_files, check_replaceable, write_atomically};
use crate::pipeline::{RenderRequest, render};

/// Examples shown by `stagehand render --help`.
pub const EXAMPLES: &str = "\
Examples:
  stagehand render overlays/minicloud
  stagehand render overlays/minicloud -o json
  stagehand render overlays/minicloud --out-dir rendered/minicloud
  stagehand render overlays/dev overlays/prod --out-dir rendered
  stagehand render overlays/minicloud --out-dir rendered/minicloud --check
  stagehand render overlays/dev --set spec.hostname=portal.example.org
  stagehand render overlays/minicloud --expand-chart             the chart's objects too (helm)
  stagehand render overlays/minicloud --expand-chart --chart backstage-2.7.0.tgz";

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
        return Ok(ExitCode::SUCCESS);
    };
    if args.output != OutputFormat::Yaml {
        return Err(Error::Usage(
            "-o/--output applies to printed objects; --out-dir always writes YAML files".into(),
        ));
    }
    // Render everything in memory first (in parallel; results keep argument order): any
    // error means nothing is written.
    let expansion = args.chart.expansion()?;
    let outcomes = render_each(&environments, &overrides, expansion.as_ref(), |rendered| {
        OutDirRender {
            files: out_dir_files(&rendered),
            name: rendered.name,
            warnings: rendered.warnings,
        }
    });
    let mut failures = Vec::new();
    let mut rendered_all = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(rendered) => rendered_all.push(rendered),
            Err(error) => failures.push(error),
        }
    }
    if let Some(last) = failures.pop() {
        failures.iter().for_each(Error::eprint);
        return Err(last);
    }
    crate::out_dir::refuse_symlink(out_dir)?;
    let targets = target_folders(out_dir, &environments, &rendered_all)?;
    for rendered in &rendered_all {
        eprint_problems(&rendered.warnings);
    }
    if args.check {
        let changed: Vec<PathBuf> = targets
            .par_iter()
            .zip(&rendered_all)
            .flat_map(|(dir, rendered)| changed_files(dir, &rendered.files))
            .collect();
        if changed.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        let listing: String = changed
            .iter()
            .map(|path| format!("would change: {}\n", path.display()))
            .collect();
        write_stdout(&listing)?;
        return Ok(ExitCode::from(EXIT_DIFFERENCES));
    }
    targets
        .iter()
        .zip(&rendered_all)
        .try_for_each(|(dir, rendered)| check_replaceable(dir, &rendered.files))?;
    targets
        .par_iter()
        .zip(&rendered_all)
        .try_for_each(|(dir, rendered)| write_atomically(dir, &rendered.files))?;
    Ok(ExitCode::SUCCESS)
}

/// What `--out-dir` keeps of a rendered environment: its name, warnings and files.
struct OutDirRender {
    name: String,
    warnings: Vec<crate::error::Problem>,
    files: Vec<(String, String)>,
}

/// DIR for one environment, DIR/<name> for several; two environments may not share a name.
fn target_folders(
    out_dir: &std::path::Path,
    arguments: &[PathBuf],
    rendered: &[OutDirRender],
) -> Result<Vec<PathBuf>> {
    if rendered.len() == 1 {
        return Ok(vec![out_dir.to_path_buf()]);
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
    Ok(rendered.iter().map(|r| out_dir.join(&r.name)).collect())
}

//! One file per subcommand; each turns parsed arguments into library calls and output.

pub mod completions;
pub mod diff;
pub mod discover;
pub mod generate;
pub mod new;
pub mod parameters;
pub mod render;
pub mod schema;
pub mod seal;
pub mod validate;

use std::path::PathBuf;
use std::sync::Arc;

use std::io::Write;

use rayon::prelude::*;

use crate::artifacts::RenderedEnvironment;
use crate::error::{Error, Result};
use crate::expand::Expansion;
use crate::overlay::Override;
use crate::pipeline::{RenderRequest, render};
use crate::templates::SkeletonCache;

/// The environments named on the command line, or the current folder.
pub fn environments_or_current(environments: &[PathBuf]) -> Vec<PathBuf> {
    if environments.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        environments.to_vec()
    }
}

/// Parses every `--set`.
pub fn parse_overrides(texts: &[String]) -> Result<Vec<Override>> {
    texts.iter().map(|text| Override::parse(text)).collect()
}

/// Keeps what a command holds at its very end until the process exits instead of freeing
/// it piece by piece: the exit returns all memory at once. Freeing a rendered environment's
/// objects first made a render 1.006 to 1.016 times as long (1,000 interleaved runs of
/// `dist` builds, `python3 bench/compare.py`, 2026-12-06; 3% when it was written). Only for
/// the last objects of a command; a loop must drop what it no longer needs.
pub fn keep_until_exit<T>(value: T) {
    std::mem::forget(value);
}

/// Writes all of `text` to stdout at once; a closed pipe is not an error worth a message.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io(
            std::path::Path::new("stdout"),
            "cannot write",
            &error,
        )),
        _ => Ok(()),
    }
}

/// `--expand-chart` and `--chart`, shared by `render` and `diff`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChartArgs {
    /// Run the real `helm template` on the Application's chart and show its objects in
    /// place of the Application (needs Helm 3.8+: STAGEHAND_HELM or helm on PATH).
    #[arg(long)]
    pub expand_chart: bool,
    /// With --expand-chart: this chart (a folder or .tgz, which must be spec.chart's name
    /// and version) instead of fetching spec.chart from its repository.
    #[arg(long, value_name = "PATH", requires = "expand_chart")]
    pub chart: Option<PathBuf>,
}

impl ChartArgs {
    /// The expansion asked for, with helm located, or `None`.
    pub fn expansion(&self) -> Result<Option<Expansion>> {
        if !self.expand_chart {
            return Ok(None);
        }
        Expansion::new(self.chart.clone()).map(Some)
    }
}

/// Renders every environment (and expands its chart), in parallel across cores, and keeps
/// of each only what `keep` takes from it (its files, its warnings): a thousand rendered
/// documents trees are never held at once. Results keep argument order. The renders share
/// the template skeletons they parse.
pub fn render_each<T: Send>(
    environments: &[PathBuf],
    overrides: &[Override],
    expansion: Option<&Expansion>,
    keep: impl Fn(RenderedEnvironment) -> T + Sync,
) -> Vec<Result<T>> {
    let skeletons = (environments.len() > 1).then(|| Arc::new(SkeletonCache::default()));
    environments
        .par_iter()
        .map(|environment| {
            let mut rendered = render(&RenderRequest {
                environment: environment.clone(),
                overrides: overrides.to_vec(),
                skeletons: skeletons.clone(),
                ..RenderRequest::default()
            })?;
            if let Some(expansion) = expansion {
                expansion.apply(&mut rendered)?;
            }
            Ok(keep(rendered))
        })
        .collect()
}

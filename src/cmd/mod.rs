//! One file per subcommand; each turns parsed arguments into library calls and output.

pub mod diff;
pub mod discover;
pub mod generate;
pub mod parameters;
pub mod render;
pub mod schema;
pub mod seal;
pub mod validate;

use std::path::PathBuf;

use std::io::Write;

use rayon::prelude::*;

use crate::artifacts::RenderedEnvironment;
use crate::error::{Error, Result};
use crate::overlay::Override;
use crate::pipeline::{RenderRequest, render};

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

/// Renders every environment, in parallel across cores; results keep argument order.
pub fn render_each(
    environments: &[PathBuf],
    overrides: &[Override],
) -> Vec<Result<RenderedEnvironment>> {
    environments
        .par_iter()
        .map(|environment| {
            render(&RenderRequest {
                environment: environment.clone(),
                overrides: overrides.to_vec(),
                repository_root: None,
                received_subtree: None,
            })
        })
        .collect()
}

//! One file per subcommand; each turns parsed arguments into library calls and output.

pub mod render;
pub mod schema;
pub mod validate;

use std::path::PathBuf;

use crate::error::Result;
use crate::overlay::Override;

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

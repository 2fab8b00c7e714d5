//! `stagehand discover`: the ArgoCD plugin's discovery command. Prints the environment
//! file when the working directory is one the plugin renders, and nothing otherwise.

use std::path::Path;
use std::process::ExitCode;

use crate::argocd::discovery::claimed_environment;
use crate::argocd::plugin_env::{plugin_variables, process_variables};
use crate::cmd::write_stdout;
use crate::error::{Error, Result};

/// What `stagehand discover --help` adds.
pub const EXAMPLES: &str = "\
ArgoCD runs it in the application's folder (plugin.yaml:
discover.find.command) and claims the folder when it prints anything: when
ARGOCD_ENV_ENVIRONMENT, else environment.yaml, is a stagehand Environment file
(apiVersion: stagehand/..., kind: Environment).

Example:
  cd overlays/minicloud && stagehand discover";

/// Arguments of `discover` (none: it reads what the cmp-server provides).
#[derive(Debug, clap::Args)]
pub struct DiscoverArgs {}

/// Runs `discover`: always exit 0; the answer is whether anything is printed.
pub fn run(_args: &DiscoverArgs) -> Result<ExitCode> {
    let working_dir = std::env::current_dir()
        .map_err(|e| Error::io(Path::new("."), "cannot read the working directory", &e))?;
    let variables = plugin_variables(process_variables()?);
    if let Some(file) = claimed_environment(&working_dir, &variables) {
        let shown = file.strip_prefix(&working_dir).unwrap_or(&file);
        write_stdout(&format!("{}\n", shown.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

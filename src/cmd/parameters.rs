//! `stagehand parameters`: the parameter announcement the ArgoCD UI shows, with the
//! environment's current values (the plugin's `parameters.dynamic` command).

use std::process::ExitCode;

use crate::argocd::parameters::announcements;
use crate::argocd::plugin_env::PluginEnvironment;
use crate::error::Result;
use crate::pipeline::{RenderRequest, render};

/// Examples shown by `stagehand parameters --help`.
pub const EXAMPLES: &str = "Example (from the application folder):\n  stagehand parameters";

/// Arguments of `parameters` (none: it reads what the cmp-server provides).
#[derive(Debug, clap::Args)]
pub struct ParametersArgs {}

/// Runs `parameters` in the application folder.
pub fn run(_args: &ParametersArgs) -> Result<ExitCode> {
    let plugin = PluginEnvironment::from_process()?;
    // Announce the file's own values: the Application's parameters are what the UI edits.
    let rendered = render(&RenderRequest {
        environment: plugin.environment_file.clone(),
        overrides: Vec::new(),
        repository_root: plugin.repository_root.clone(),
        received_subtree: plugin.received_subtree.clone(),
        skeletons: None,
    })?;
    let mut text =
        serde_json::to_string_pretty(&announcements(&rendered.environment)).unwrap_or_default();
    text.push('\n');
    crate::cmd::write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

//! `stagehand generate`: the ArgoCD plugin's generate command.
//!
//! Renders the environment in the working directory with the Application's parameters,
//! checks the output against the cluster, and prints the Kubernetes objects. Failures
//! print a few short lines (ArgoCD shows stderr in the UI) and nothing on stdout, so a
//! failed render can never look like an empty app that auto-sync would prune.

use std::process::ExitCode;

use crate::argocd::api_versions::{check_api_versions, check_kube_version};
use crate::argocd::parameters::overrides;
use crate::argocd::plugin_env::PluginEnvironment;
use crate::artifacts::RenderedEnvironment;
use crate::cmd::write_stdout;
use crate::emit::yaml_stream;
use crate::error::{EXIT_ERROR, Error, Result};
use crate::pipeline::{RenderRequest, render};

/// What `stagehand generate --help` adds: the inputs, and how to reproduce a sync.
pub const EXAMPLES: &str = "\
Reads what ArgoCD's cmp-server provides: the working directory (the application's folder in a
copy of the repository), ARGOCD_APP_SOURCE_PATH (to find the repository root),
ARGOCD_ENV_ENVIRONMENT (an environment file other than ./environment.yaml),
ARGOCD_APP_PARAMETERS or PARAM_* (parameters), KUBE_VERSION and KUBE_API_VERSIONS (checked).

Example, reproducing a sync locally:
  cd overlays/minicloud
  ARGOCD_APP_SOURCE_PATH=overlays/minicloud \\
  ARGOCD_APP_PARAMETERS='[{\"name\":\"hostname\",\"string\":\"portal.example.org\"}]' \\
  KUBE_API_VERSIONS=v1,networking.k8s.io/v1,cert-manager.io/v1,bitnami.com/v1alpha1,argoproj.io/v1alpha1 \\
  stagehand generate --explain";

/// Arguments of `generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Also print, on stderr, the inputs used and a command that reproduces the run.
    #[arg(long)]
    pub explain: bool,
}

/// Most error lines shown in the ArgoCD UI; the rest are counted.
pub const MAX_UI_LINES: usize = 5;

/// Runs `generate`.
pub fn run(args: &GenerateArgs) -> Result<ExitCode> {
    let plugin = PluginEnvironment::from_process()?;
    let outcome = generate(&plugin);
    if args.explain {
        eprint!("{}", explain(&plugin, outcome.as_ref().ok()));
    }
    match outcome {
        Ok((_, stream)) => {
            write_stdout(&stream)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            for line in short_report(&error) {
                eprintln!("{line}");
            }
            Ok(ExitCode::from(EXIT_ERROR))
        }
    }
}

/// The rendered stream, or why there is none.
fn generate(plugin: &PluginEnvironment) -> Result<(RenderedEnvironment, String)> {
    let request = RenderRequest {
        environment: plugin.environment_file.clone(),
        overrides: overrides(&plugin.parameters, plugin.parameters_source)?,
        repository_root: plugin.repository_root.clone(),
    };
    let rendered = render(&request)?;
    if let Some(version) = &plugin.kube_version {
        check_kube_version(version)?;
    }
    if let Some(served) = &plugin.api_versions {
        check_api_versions(rendered.kubernetes_objects(), served)?;
    }
    let stream = yaml_stream(&rendered);
    if rendered.kubernetes_objects().next().is_none() {
        return Err(Error::Usage("the render produced no objects; refusing to print an empty stream that auto-sync would prune".into()));
    }
    Ok((rendered, stream))
}

/// At most [`MAX_UI_LINES`] lines, each without secret material (messages never hold values
/// of secret fields), then a count of the rest.
fn short_report(error: &Error) -> Vec<String> {
    let lines = error.report_lines();
    let mut shown: Vec<String> = lines.iter().take(MAX_UI_LINES).cloned().collect();
    if lines.len() > MAX_UI_LINES {
        shown.push(format!(
            "... and {} more; run `stagehand generate --explain` with the same variables to see all",
            lines.len() - MAX_UI_LINES
        ));
    }
    shown
}

/// What `--explain` prints: the inputs used, and a command that reproduces the run.
fn explain(plugin: &PluginEnvironment, outcome: Option<&(RenderedEnvironment, String)>) -> String {
    let mut text = String::from("stagehand generate --explain\n");
    text.push_str(&format!(
        "  working directory: {}\n",
        plugin.working_dir.display()
    ));
    text.push_str(&format!(
        "  environment file:  {}\n",
        plugin.environment_file.display()
    ));
    let root = plugin.repository_root.as_ref().map_or(
        "(no ARGOCD_APP_SOURCE_PATH: nearest folder with .git)".to_string(),
        |r| r.display().to_string(),
    );
    text.push_str(&format!("  repository root:   {root}\n"));
    if let Some((rendered, _)) = outcome {
        text.push_str(&format!("  base:              {}\n", rendered.base));
        let ids: Vec<String> = rendered
            .kubernetes_objects()
            .filter_map(crate::artifacts::ObjectId::of)
            .map(|id| format!("{} ({})", id, id.api_version))
            .collect();
        text.push_str(&format!("  objects:           {}\n", ids.join(", ")));
    }
    let parameters: Vec<String> = plugin
        .parameters
        .iter()
        .map(|p| match (&p.string, &p.map) {
            (Some(value), _) => format!("{}={value}", p.name),
            (_, Some(map)) => format!("{}={map:?}", p.name),
            _ => p.name.clone(),
        })
        .collect();
    text.push_str(&format!(
        "  parameters:        {} (from {})\n",
        if parameters.is_empty() {
            "none".to_string()
        } else {
            parameters.join(", ")
        },
        plugin.parameters_source
    ));
    text.push_str(&format!(
        "  KUBE_VERSION:      {}\n",
        plugin
            .kube_version
            .as_deref()
            .unwrap_or("(not set: not checked)")
    ));
    let apis = plugin
        .api_versions
        .as_ref()
        .map_or("(not set: not checked)".to_string(), |list| {
            format!("{} entries", list.len())
        });
    text.push_str(&format!("  KUBE_API_VERSIONS: {apis}\n"));
    text.push_str("  reproduce with:\n    cd <repository copy>/");
    text.push_str(
        plugin
            .variables
            .get("ARGOCD_APP_SOURCE_PATH")
            .map_or(".", String::as_str),
    );
    text.push_str(" && env");
    for (name, value) in &plugin.variables {
        text.push_str(&format!(" {name}={}", shell_quote(value)));
    }
    text.push_str(" stagehand generate\n");
    text
}

fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

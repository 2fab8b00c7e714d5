//! `stagehand generate`: the ArgoCD plugin's generate command.
//!
//! Renders the environment in the working directory with the Application's parameters,
//! checks the output against the cluster, and prints the Kubernetes objects. Failures
//! print a few short lines (ArgoCD shows stderr in the UI) and nothing on stdout, so a
//! failed render can never look like an empty app that auto-sync would prune.

use std::process::ExitCode;

use crate::argocd::api_versions::{check_api_versions, check_kube_version};
use crate::argocd::ownership::check_not_self_managed;
use crate::argocd::parameter_values::ParameterValue;
use crate::argocd::parameters::overrides;
use crate::argocd::plugin_env::PluginEnvironment;
use crate::artifacts::RenderedEnvironment;
use crate::cmd::{keep_until_exit, write_stdout};
use crate::emit::yaml_stream;
use crate::environment::TargetKind;
use crate::error::{EXIT_ERROR, Error, Result, eprint_lines, eprint_warning, report_line};
use crate::pipeline::{RenderRequest, render};

/// What `stagehand generate --help` adds: the inputs, and how to reproduce a sync.
pub const EXAMPLES: &str = "\
Reads what ArgoCD's cmp-server provides: the working directory (the
application's folder in a copy of the repository), ARGOCD_APP_SOURCE_PATH (to
find the repository root), ARGOCD_ENV_ENVIRONMENT (an environment file other
than ./environment.yaml), ARGOCD_APP_PARAMETERS or PARAM_* (parameters),
KUBE_VERSION and KUBE_API_VERSIONS (checked).

Example, reproducing a sync locally:
  cd overlays/minicloud
  apis=v1,networking.k8s.io/v1,cert-manager.io/v1
  apis=$apis,bitnami.com/v1alpha1,argoproj.io/v1alpha1
  ARGOCD_APP_SOURCE_PATH=overlays/minicloud \\
  ARGOCD_APP_PARAMETERS='[{\"name\":\"hostname\",\"string\":\"qa.example.org\"}]' \\
  KUBE_API_VERSIONS=$apis \\
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

/// Printed when the cluster's APIs are unknown (run outside ArgoCD).
pub const APIS_NOT_CHECKED: &str = "note: KUBE_API_VERSIONS is not set (not run by ArgoCD?): \
whether the cluster serves every apiVersion printed was not checked";

/// Runs `generate`.
pub fn run(args: &GenerateArgs) -> Result<ExitCode> {
    let plugin = PluginEnvironment::from_process()?;
    let outcome = generate(&plugin);
    if args.explain {
        eprint_lines(explain(&plugin, outcome.as_ref().ok()));
    }
    if plugin.api_versions.is_none() {
        eprint_warning(APIS_NOT_CHECKED);
    }
    match outcome {
        Ok((rendered, stream)) => {
            write_stdout(&stream)?;
            keep_until_exit((rendered, stream));
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprint_lines(short_report(&error));
            Ok(ExitCode::from(EXIT_ERROR))
        }
    }
}

/// The rendered stream, or why there is none.
fn generate(plugin: &PluginEnvironment) -> Result<(RenderedEnvironment, String)> {
    let parameters = plugin.parameters()?;
    let request = RenderRequest {
        environment: plugin.environment_file.clone(),
        overrides: overrides(&parameters.values)?,
        repository_root: plugin.repository_root.clone(),
        received_subtree: plugin.received_subtree.clone(),
        skeletons: None,
    };
    // Files named as in the repository, not as in the cmp-server's temporary copy.
    let rendered = render(&request).map_err(|error| match plugin.repository_prefixes() {
        Some((from, to)) => error.relabel(&from, &to),
        None => error,
    })?;
    if let Some(version) = &plugin.kube_version {
        check_kube_version(version)?;
    }
    if let Some(served) = &plugin.api_versions {
        check_api_versions(rendered.kubernetes_objects(), served)?;
    }
    if rendered.is_unsealed() {
        return Err(unsealed_error(plugin));
    }
    if let Some(parent) = &plugin.application {
        check_not_self_managed(parent, rendered.document(TargetKind::Application))?;
    }
    let stream = yaml_stream(&rendered);
    if rendered.kubernetes_objects().next().is_none() {
        return Err(Error::Usage("the render produced no objects; refusing to print an empty stream that auto-sync would prune".into()));
    }
    Ok((rendered, stream))
}

/// Why a SealedSecret with placeholders must not reach ArgoCD, and the two ways out.
fn unsealed_error(plugin: &PluginEnvironment) -> Error {
    let folder = plugin
        .variables
        .get("ARGOCD_APP_SOURCE_PATH")
        .map_or(".", String::as_str);
    let file = plugin.repository_path(&plugin.environment_file);
    Error::Usage(format!(
        "{file}: spec.database.encryptedData: the SealedSecret holds placeholders, which the \
         sealed-secrets controller cannot unseal: ArgoCD would mark it Degraded and stop the sync \
         at its wave (-1), so nothing else would be applied; seal the passwords (`stagehand seal \
         {folder} --cert cert.pem`, the certificate from `kubeseal --fetch-cert`) or declare a \
         Secret that exists already (spec.database.secret: external)"
    ))
}

/// At most [`MAX_UI_LINES`] lines, each without secret material (messages never hold values
/// of secret fields), then a count of the rest.
fn short_report(error: &Error) -> Vec<String> {
    let Error::Invalid(problems) = error else {
        return error.report_lines();
    };
    // The UI shows the errors; warnings beside them are noise there.
    let problems: Vec<&crate::error::Problem> = crate::error::in_reading_order(problems)
        .into_iter()
        .filter(|p| p.is_error())
        .collect();
    let mut shown: Vec<String> = problems
        .iter()
        .take(MAX_UI_LINES)
        .map(|problem| report_line(problem))
        .collect();
    if problems.len() > MAX_UI_LINES {
        shown.push(format!(
            "... and {} more; run `stagehand generate --explain` with the same variables to see all",
            problems.len() - MAX_UI_LINES
        ));
    }
    shown
}

/// What `--explain` prints, line by line: the inputs used, and a command that reproduces
/// the run.
fn explain(
    plugin: &PluginEnvironment,
    outcome: Option<&(RenderedEnvironment, String)>,
) -> Vec<String> {
    let mut lines = vec!["stagehand generate --explain".to_string()];
    let mut line = |label: &str, value: String| lines.push(format!("  {label:<19}{value}"));
    line(
        "working directory:",
        plugin.working_dir.display().to_string(),
    );
    line(
        "environment file:",
        plugin.environment_file.display().to_string(),
    );
    line(
        "repository root:",
        plugin.repository_root.as_ref().map_or(
            "(no ARGOCD_APP_SOURCE_PATH: nearest folder with .git)".to_string(),
            |root| root.display().to_string(),
        ),
    );
    if let Some(subtree) = &plugin.received_subtree {
        line(
            "received:",
            format!("only the repository's `{subtree}` (manifest-generate-paths)"),
        );
    }
    if let Some((rendered, _)) = outcome {
        line("base:", rendered.base.clone());
        let ids: Vec<String> = rendered
            .kubernetes_objects()
            .filter_map(crate::artifacts::ObjectId::of)
            .map(|id| format!("{} ({})", id, id.api_version))
            .collect();
        line("objects:", ids.join(", "));
    }
    line(
        "parameters:",
        match plugin.parameters() {
            Ok(parameters) => format!(
                "{} (from {})",
                describe_parameters(&parameters.values),
                parameters.source
            ),
            Err(error) => format!("unreadable: {error}"),
        },
    );
    line(
        "KUBE_VERSION:",
        plugin
            .kube_version
            .clone()
            .unwrap_or_else(|| "(not set: not checked)".to_string()),
    );
    line(
        "KUBE_API_VERSIONS:",
        plugin
            .api_versions
            .as_ref()
            .map_or("(not set: not checked)".to_string(), |list| {
                format!("{} entries", list.len())
            }),
    );
    let directory = plugin
        .variables
        .get("ARGOCD_APP_SOURCE_PATH")
        .map_or(".", String::as_str);
    let assignments: String = plugin
        .variables
        .iter()
        .map(|(name, value)| format!(" {name}={}", shell_quote(value)))
        .collect();
    lines.push("  reproduce with:".to_string());
    lines.push(format!(
        "    cd <repository copy>/{directory} && env{assignments} stagehand generate"
    ));
    lines
}

/// The parameters as `name=value` pairs, for `--explain`.
fn describe_parameters(values: &[ParameterValue]) -> String {
    if values.is_empty() {
        return "none".to_string();
    }
    values
        .iter()
        .map(|value| {
            let shown = match (&value.string, &value.map, &value.array) {
                (Some(string), _, _) => string.clone(),
                (_, Some(map), _) => format!("{map:?}"),
                (_, _, Some(array)) => format!("{array:?}"),
                _ => return value.name.clone(),
            };
            format!("{}={shown}", value.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

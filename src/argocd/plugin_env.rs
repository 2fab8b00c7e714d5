//! What the cmp-server gives `generate`: a working directory inside a fresh copy of the
//! repository, and variables. Read once into plain data, so `generate` and `--explain`
//! (which prints the same data to reproduce a sync locally) see exactly the same inputs.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::argocd::parameters::{ParameterValue, from_param_variables};
use crate::error::{Error, Result};

/// The plugin's inputs.
#[derive(Debug, Clone)]
pub struct PluginEnvironment {
    /// The working directory (the application's folder in the repository copy).
    pub working_dir: PathBuf,
    /// The environment file, from `ARGOCD_ENV_ENVIRONMENT` or `environment.yaml`.
    pub environment_file: PathBuf,
    /// The repository root: the working directory minus `ARGOCD_APP_SOURCE_PATH`.
    pub repository_root: Option<PathBuf>,
    /// The parameters the Application sets, and which variable they came from.
    pub parameters: Vec<ParameterValue>,
    /// `ARGOCD_APP_PARAMETERS` or `PARAM_*`.
    pub parameters_source: &'static str,
    /// `KUBE_VERSION`, when set and not empty.
    pub kube_version: Option<String>,
    /// `KUBE_API_VERSIONS`, split, when set.
    pub api_versions: Option<Vec<String>>,
    /// Every ArgoCD variable seen, for `--explain`.
    pub variables: BTreeMap<String, String>,
}

/// The variables `generate` reads (and `--explain` echoes).
fn is_plugin_variable(name: &str) -> bool {
    name.starts_with("ARGOCD_APP_")
        || name.starts_with("ARGOCD_ENV_")
        || name.starts_with("PARAM_")
        || name == "KUBE_VERSION"
        || name == "KUBE_API_VERSIONS"
}

impl PluginEnvironment {
    /// Reads the plugin inputs of this process (its environment and working directory).
    pub fn from_process() -> Result<Self> {
        let working_dir = std::env::current_dir()
            .map_err(|e| Error::io(Path::new("."), "cannot read the working directory", &e))?;
        Self::read(std::env::vars(), working_dir)
    }

    /// Reads the plugin inputs from `variables` (the process environment) and `working_dir`.
    pub fn read(
        variables: impl IntoIterator<Item = (String, String)>,
        working_dir: PathBuf,
    ) -> Result<Self> {
        let variables: BTreeMap<String, String> = variables
            .into_iter()
            .filter(|(name, _)| is_plugin_variable(name))
            .collect();
        let environment_file = match variables
            .get("ARGOCD_ENV_ENVIRONMENT")
            .filter(|v| !v.is_empty())
        {
            Some(file) => working_dir.join(file),
            None => working_dir.join(crate::load::ENVIRONMENT_FILE_NAME),
        };
        let repository_root = match variables.get("ARGOCD_APP_SOURCE_PATH") {
            Some(source_path) => Some(strip_source_path(&working_dir, source_path)?),
            None => None,
        };
        let (parameters, parameters_source) = match variables.get("ARGOCD_APP_PARAMETERS").filter(|v| !v.trim().is_empty()) {
            Some(json) => (
                serde_json::from_str::<Vec<ParameterValue>>(json).map_err(|error| {
                    Error::Usage(format!(
                        "ARGOCD_APP_PARAMETERS is not a JSON array of {{name, string|array|map}}: {error}"
                    ))
                })?,
                "ARGOCD_APP_PARAMETERS",
            ),
            None => (from_param_variables(&variables)?, "PARAM_*"),
        };
        let kube_version = variables
            .get("KUBE_VERSION")
            .filter(|v| !v.trim().is_empty())
            .cloned();
        let api_versions = variables.get("KUBE_API_VERSIONS").map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_string)
                .collect()
        });
        Ok(Self {
            working_dir,
            environment_file,
            repository_root,
            parameters,
            parameters_source,
            kube_version,
            api_versions,
            variables,
        })
    }
}

/// The repository root: `working_dir` with the trailing `source_path` removed.
fn strip_source_path(working_dir: &Path, source_path: &str) -> Result<PathBuf> {
    let relative: Vec<Component> = Path::new(source_path)
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if relative.iter().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(Error::Usage(format!(
            "ARGOCD_APP_SOURCE_PATH `{source_path}` must be a relative path inside the repository"
        )));
    }
    let mut root = working_dir.to_path_buf();
    for component in relative.iter().rev() {
        if root.file_name() != Some(component.as_os_str()) {
            return Err(Error::Usage(format!(
                "the working directory {} does not end with ARGOCD_APP_SOURCE_PATH `{source_path}`",
                working_dir.display()
            )));
        }
        root.pop();
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)], dir: &str) -> Result<PluginEnvironment> {
        PluginEnvironment::read(
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            PathBuf::from(dir),
        )
    }

    #[test]
    fn the_root_is_the_working_directory_minus_the_source_path() {
        let plugin = read(
            &[("ARGOCD_APP_SOURCE_PATH", "overlays/minicloud")],
            "/tmp/_cmp_server/u/overlays/minicloud",
        )
        .unwrap();
        assert_eq!(
            plugin.repository_root,
            Some(PathBuf::from("/tmp/_cmp_server/u"))
        );
        let at_root = read(&[("ARGOCD_APP_SOURCE_PATH", ".")], "/tmp/_cmp_server/u").unwrap();
        assert_eq!(
            at_root.repository_root,
            Some(PathBuf::from("/tmp/_cmp_server/u"))
        );
        assert!(
            read(
                &[("ARGOCD_APP_SOURCE_PATH", "other/app")],
                "/tmp/_cmp_server/u/overlays/minicloud"
            )
            .is_err()
        );
        assert!(read(&[("ARGOCD_APP_SOURCE_PATH", "../x")], "/tmp/x").is_err());
    }

    #[test]
    fn parameters_prefer_the_json_variable() {
        let plugin = read(
            &[
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"hostname","string":"a.example.org"}]"#,
                ),
                ("PARAM_HOSTNAME", "a.example.org"),
                ("HOME", "/root"),
            ],
            "/w",
        )
        .unwrap();
        assert_eq!(plugin.parameters_source, "ARGOCD_APP_PARAMETERS");
        assert_eq!(plugin.parameters.len(), 1);
        assert!(!plugin.variables.contains_key("HOME"));
        assert!(read(&[("ARGOCD_APP_PARAMETERS", "{nope")], "/w").is_err());
    }
}

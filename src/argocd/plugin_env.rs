//! What the cmp-server gives `generate`: a working directory inside a fresh copy of the
//! repository, and variables. Read once into plain data, so `generate` and `--explain`
//! (which prints the same data to reproduce a sync locally) see exactly the same inputs.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::argocd::parameter_values::{
    PARAMETERS_VARIABLE, ParameterValue, check_variables_agree, parse_json,
};
use crate::argocd::parameters::from_param_variables;
use crate::error::{Error, Result};
use crate::quote::shorten;

/// The `plugin.env` names stagehand reads (ArgoCD prefixes each with `ARGOCD_ENV_`).
pub const KNOWN_PLUGIN_ENV: [&str; 1] = ["ENVIRONMENT"];

/// The plugin's inputs.
#[derive(Debug, Clone)]
pub struct PluginEnvironment {
    /// The working directory (the application's folder in the repository copy).
    pub working_dir: PathBuf,
    /// The environment file, from `ARGOCD_ENV_ENVIRONMENT` or `environment.yaml`.
    pub environment_file: PathBuf,
    /// The root of the tree ArgoCD sent: the working directory minus the part of
    /// `ARGOCD_APP_SOURCE_PATH` it ends with.
    pub repository_root: Option<PathBuf>,
    /// Where that root lies in the repository, when ArgoCD sent only a subtree
    /// (`--plugin-use-manifest-generate-paths`): nothing outside it can be read.
    pub received_subtree: Option<String>,
    /// `KUBE_VERSION`, when set and not empty.
    pub kube_version: Option<String>,
    /// `KUBE_API_VERSIONS`, split, when set and not empty.
    pub api_versions: Option<Vec<String>>,
    /// The Application running the plugin, from `ARGOCD_APP_NAME`.
    pub application: Option<AppInstance>,
    /// Every ArgoCD variable seen, for `--explain`.
    pub variables: BTreeMap<String, String>,
}

/// An Application's instance name: `<name>` for one in ArgoCD's own namespace,
/// `<namespace>_<name>` for one elsewhere (Kubernetes names never hold `_`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInstance {
    /// The namespace, when the instance name carries one.
    pub namespace: Option<String>,
    /// The Application's name.
    pub name: String,
}

impl AppInstance {
    /// Parses `ARGOCD_APP_NAME`.
    pub fn parse(instance: &str) -> Self {
        match instance.split_once('_') {
            Some((namespace, name)) => Self {
                namespace: Some(namespace.to_string()),
                name: name.to_string(),
            },
            None => Self {
                namespace: None,
                name: instance.to_string(),
            },
        }
    }
}

/// The parameters an Application sets, and the variable they were read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    /// The values, in the Application's order.
    pub values: Vec<ParameterValue>,
    /// `ARGOCD_APP_PARAMETERS`, `PARAM_*`, or `none`.
    pub source: &'static str,
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
        Self::read(process_variables()?, working_dir)
    }

    /// Reads the plugin inputs from `variables` (the process environment) and `working_dir`.
    pub fn read(
        variables: impl IntoIterator<Item = (String, String)>,
        working_dir: PathBuf,
    ) -> Result<Self> {
        let variables = plugin_variables(variables);
        check_plugin_env_names(&variables)?;
        let environment_file = environment_file(&working_dir, &variables);
        let (repository_root, received_subtree) = match variables.get("ARGOCD_APP_SOURCE_PATH") {
            Some(source_path) => {
                let (root, subtree) = received_root(&working_dir, source_path)?;
                (Some(root), subtree)
            }
            None => (None, None),
        };
        let not_empty = |name: &str| variables.get(name).filter(|v| !v.trim().is_empty());
        let kube_version = not_empty("KUBE_VERSION").cloned();
        let api_versions = not_empty("KUBE_API_VERSIONS").map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_string)
                .collect()
        });
        let application = not_empty("ARGOCD_APP_NAME").map(|name| AppInstance::parse(name));
        Ok(Self {
            working_dir,
            environment_file,
            repository_root,
            received_subtree,
            kube_version,
            api_versions,
            application,
            variables,
        })
    }

    /// How paths under the received root are named in the repository: the root's own
    /// prefix (`/tmp/_cmp_server/<uuid>/`) and what replaces it (empty, or the subtree's
    /// place in the repository), so messages name files as the repository does.
    pub fn repository_prefixes(&self) -> Option<(String, String)> {
        let root = self.repository_root.as_ref()?;
        let in_repository = self
            .received_subtree
            .as_ref()
            .map(|subtree| format!("{subtree}/"))
            .unwrap_or_default();
        Some((format!("{}/", root.display()), in_repository))
    }

    /// `path` as the repository names it (see [`Self::repository_prefixes`]).
    pub fn repository_path(&self, path: &Path) -> String {
        let shown = path.display().to_string();
        match self.repository_prefixes() {
            Some((from, to)) => match shown.strip_prefix(&from) {
                Some(rest) => format!("{to}{rest}"),
                None => shown,
            },
            None => shown,
        }
    }

    /// The Application's parameters: `ARGOCD_APP_PARAMETERS` (checked against the
    /// `PARAM_*` variables ArgoCD derives from it), else the `PARAM_*` variables alone.
    pub fn parameters(&self) -> Result<Parameters> {
        match self
            .variables
            .get(PARAMETERS_VARIABLE)
            .filter(|v| !v.trim().is_empty())
        {
            Some(json) => {
                let values = parse_json(json)?;
                check_variables_agree(&values, &self.variables)?;
                Ok(Parameters {
                    values,
                    source: PARAMETERS_VARIABLE,
                })
            }
            None => {
                let values = from_param_variables(&self.variables)?;
                let source = if values.is_empty() { "none" } else { "PARAM_*" };
                Ok(Parameters { values, source })
            }
        }
    }
}

/// The environment file the plugin renders: `plugin.env` `ENVIRONMENT` (relative to the
/// application's folder), else `environment.yaml`.
pub fn environment_file(working_dir: &Path, variables: &BTreeMap<String, String>) -> PathBuf {
    match variables
        .get("ARGOCD_ENV_ENVIRONMENT")
        .filter(|v| !v.is_empty())
    {
        Some(file) => working_dir.join(file),
        None => working_dir.join(crate::load::ENVIRONMENT_FILE_NAME),
    }
}

/// The plugin variables among `variables` (the process environment).
pub fn plugin_variables(
    variables: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    variables
        .into_iter()
        .filter(|(name, _)| is_plugin_variable(name))
        .collect()
}

/// The process's environment as text. A variable that is not UTF-8 is left out, unless
/// its name is one of ArgoCD's or the cluster's (`ARGOCD_*`, `PARAM_*`, `KUBE_*`): that
/// one is an error naming it, never showing its bytes (another program's secrets may sit
/// in the sidecar's environment).
pub fn process_variables() -> Result<Vec<(String, String)>> {
    let mut variables = Vec::new();
    for (name, value) in std::env::vars_os() {
        let shown = name.to_string_lossy().into_owned();
        let ours = ["ARGOCD_", "PARAM_", "KUBE_"]
            .iter()
            .any(|prefix| shown.starts_with(prefix));
        match (name.into_string(), value.into_string()) {
            (Ok(name), Ok(value)) => variables.push((name, value)),
            _ if ours => {
                return Err(Error::Usage(format!(
                    "the environment variable {} is not UTF-8 text; ArgoCD sets its variables \
                     as UTF-8 (check the Application's plugin env and parameters)",
                    crate::quote::shorten(&shown.escape_debug().to_string())
                )));
            }
            _ => {}
        }
    }
    Ok(variables)
}

/// ArgoCD sets `ARGOCD_ENV_<name>` only for the names an Application's `plugin.env`
/// lists, so a name stagehand does not read is a typo that would silently change nothing.
fn check_plugin_env_names(variables: &BTreeMap<String, String>) -> Result<()> {
    for name in variables.keys() {
        let Some(entry) = name.strip_prefix("ARGOCD_ENV_") else {
            continue;
        };
        if KNOWN_PLUGIN_ENV.contains(&entry) {
            continue;
        }
        let hint = crate::shape::closest(entry, &KNOWN_PLUGIN_ENV)
            .map(|best| format!(" (did you mean `{best}`?)"))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "plugin.env `{}` (ARGOCD_ENV_{}) is not read by stagehand{hint}; it reads only: {}",
            shorten(entry),
            shorten(entry),
            KNOWN_PLUGIN_ENV.join(", ")
        )));
    }
    Ok(())
}

/// The root of the received tree: `working_dir` minus the longest tail of `source_path` it
/// ends with. ArgoCD sends the whole repository (the whole path matches), or with
/// `--plugin-use-manifest-generate-paths` only the subtree under the common parent of the
/// app path and its manifest-generate-paths (a shorter tail matches); then the subtree's
/// place in the repository is returned too.
pub fn received_root(working_dir: &Path, source_path: &str) -> Result<(PathBuf, Option<String>)> {
    let relative: Vec<Component> = Path::new(source_path)
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if relative.iter().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(Error::Usage(format!(
            "ARGOCD_APP_SOURCE_PATH `{}` must be a relative path inside the repository",
            shorten(source_path)
        )));
    }
    let ends_with = |count: usize| {
        let mut folder = working_dir;
        for component in relative[relative.len() - count..].iter().rev() {
            if folder.file_name() != Some(component.as_os_str()) {
                return None;
            }
            folder = folder.parent()?;
        }
        Some(folder.to_path_buf())
    };
    let (matched, root) = (0..=relative.len())
        .rev()
        .find_map(|count| ends_with(count).map(|root| (count, root)))
        .unwrap_or((0, working_dir.to_path_buf()));
    let subtree = (matched < relative.len()).then(|| {
        relative[..relative.len() - matched]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    });
    Ok((root, subtree))
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

    fn root_and_subtree(dir: &str, source_path: &str) -> (PathBuf, Option<String>) {
        let plugin = read(&[("ARGOCD_APP_SOURCE_PATH", source_path)], dir).unwrap();
        (plugin.repository_root.unwrap(), plugin.received_subtree)
    }

    #[test]
    fn the_root_is_the_working_directory_minus_the_source_path() {
        assert_eq!(
            root_and_subtree(
                "/tmp/_cmp_server/u/overlays/minicloud",
                "overlays/minicloud"
            ),
            (PathBuf::from("/tmp/_cmp_server/u"), None)
        );
        assert_eq!(
            root_and_subtree("/tmp/_cmp_server/u", "."),
            (PathBuf::from("/tmp/_cmp_server/u"), None)
        );
        assert!(read(&[("ARGOCD_APP_SOURCE_PATH", "../x")], "/tmp/x").is_err());
    }

    #[test]
    fn a_subtree_sent_for_manifest_generate_paths_ends_with_a_tail_of_the_path() {
        // The common parent was `overlays`: the working directory ends with `minicloud`.
        assert_eq!(
            root_and_subtree("/tmp/_cmp_server/u/minicloud", "overlays/minicloud"),
            (
                PathBuf::from("/tmp/_cmp_server/u"),
                Some("overlays".to_string())
            )
        );
        // The common parent was the app folder itself.
        assert_eq!(
            root_and_subtree("/tmp/_cmp_server/u", "overlays/minicloud"),
            (
                PathBuf::from("/tmp/_cmp_server/u"),
                Some("overlays/minicloud".to_string())
            )
        );
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
        let parameters = plugin.parameters().unwrap();
        assert_eq!(parameters.source, "ARGOCD_APP_PARAMETERS");
        assert_eq!(parameters.values.len(), 1);
        assert!(!plugin.variables.contains_key("HOME"));
        let broken = read(&[("ARGOCD_APP_PARAMETERS", "{nope")], "/w").unwrap();
        assert!(broken.parameters().is_err());
    }

    #[test]
    fn instance_names_carry_a_namespace_outside_argocds_own() {
        assert_eq!(
            AppInstance::parse("team-a_backstage-minicloud"),
            AppInstance {
                namespace: Some("team-a".into()),
                name: "backstage-minicloud".into()
            }
        );
        assert_eq!(AppInstance::parse("portal").namespace, None);
    }

    #[test]
    fn unknown_plugin_env_names_are_refused_with_a_suggestion() {
        let message = read(&[("ARGOCD_ENV_ENVIROMENT", "dev.yaml")], "/w")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "plugin.env `ENVIROMENT` (ARGOCD_ENV_ENVIROMENT) is not read by stagehand \
             (did you mean `ENVIRONMENT`?); it reads only: ENVIRONMENT"
        );
    }
}

//! No Application that manages itself: the child Application stagehand renders must not
//! share its name and namespace with the Application that runs the plugin, or ArgoCD would
//! apply the child over the parent (and then prune everything the parent rendered).

use serde_json::Value;

use crate::argocd::plugin_env::AppInstance;
use crate::error::{Error, Result};

/// Fails when `child` (the rendered Application) is the Application `parent` runs as.
/// An instance name without a namespace belongs to ArgoCD's own namespace, which the
/// plugin cannot see: it is taken to be the child's, so a clash is never missed.
pub fn check_not_self_managed(parent: &AppInstance, child: &Value) -> Result<()> {
    let name = child.pointer("/metadata/name").and_then(Value::as_str);
    let namespace = child.pointer("/metadata/namespace").and_then(Value::as_str);
    let same_namespace = parent
        .namespace
        .as_deref()
        .is_none_or(|ns| Some(ns) == namespace);
    if name != Some(parent.name.as_str()) || !same_namespace {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the rendered Application `{}` in `{}` is the Application running this plugin \
         (ARGOCD_APP_NAME): ArgoCD would replace it with its own child; set \
         spec.argocd.applicationName to another name, or rename the parent Application",
        parent.name,
        namespace.unwrap_or_default()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_child_with_the_parents_name_and_namespace_is_refused() {
        let child = json!({"metadata": {"name": "backstage-minicloud", "namespace": "argocd"}});
        let parent = |instance: &str| AppInstance::parse(instance);
        assert!(check_not_self_managed(&parent("backstage-minicloud"), &child).is_err());
        assert!(check_not_self_managed(&parent("argocd_backstage-minicloud"), &child).is_err());
        assert!(check_not_self_managed(&parent("team_backstage-minicloud"), &child).is_ok());
        assert!(check_not_self_managed(&parent("backstage-minicloud-stagehand"), &child).is_ok());
    }
}

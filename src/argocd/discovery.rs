//! Discovery: whether an application folder is one the plugin renders.
//!
//! ArgoCD runs `discover.find.command` in the application's folder (with the Application's
//! `plugin.env` as `ARGOCD_ENV_*`) and claims the folder when it prints anything. The
//! plugin claims exactly the folders whose environment file (`plugin.env` `ENVIRONMENT`,
//! else `environment.yaml`) declares itself a stagehand `Environment`: an unrelated
//! `environment.yaml` (Conda, Ansible) is left to other tools, and a broken stagehand file
//! is still claimed so that `generate` can say what is wrong with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::argocd::plugin_env::{environment_file, received_root};
use crate::base::confined;
use crate::load::{DeclaredKind, declared_kind, read_text_file};

/// The environment file that makes the plugin claim `working_dir`, if any.
pub fn claimed_environment(
    working_dir: &Path,
    variables: &BTreeMap<String, String>,
) -> Option<PathBuf> {
    let file = environment_file(working_dir, variables);
    // Nothing outside the tree ArgoCD sent is read, whatever the file name says.
    let root = variables
        .get("ARGOCD_APP_SOURCE_PATH")
        .and_then(|source_path| received_root(working_dir, source_path).ok())
        .map_or_else(|| working_dir.to_path_buf(), |(root, _)| root);
    let resolved = confined(&file, &root.canonicalize().ok()?).ok()?;
    let source = read_text_file(&resolved, &file.display().to_string()).ok()?;
    (declared_kind(&source.text) == DeclaredKind::Environment).then_some(file)
}

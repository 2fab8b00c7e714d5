//! stagehand as ArgoCD's config-management plugin (CMP v2, a repo-server sidecar).
//!
//! - [`plugin_env`]: what the cmp-server hands `generate` (working directory, variables).
//! - [`parameter_values`]: the parameters exactly as ArgoCD sends them (JSON, `PARAM_*`).
//! - [`parameters`]: the parameters announced to the UI and how they become overrides.
//! - [`discovery`]: whether a folder is one the plugin renders.
//! - [`api_versions`]: the output checked against the cluster's APIs and version.
//! - [`ownership`]: the rendered Application is never the one running the plugin.
//!
//! The contract is `../shared/docs/ARGOCD-CMP.md`: print only Kubernetes objects, never an
//! empty stream, and on failure exit non-zero with a short message and nothing on stdout.

pub mod api_versions;
pub mod discovery;
pub mod ownership;
pub mod parameter_values;
pub mod parameters;
pub mod plugin_env;

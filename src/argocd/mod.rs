//! stagehand as ArgoCD's config-management plugin (CMP v2, a repo-server sidecar).
//!
//! - [`plugin_env`]: what the cmp-server hands `generate` (working directory, variables).
//! - [`parameters`]: the parameters announced to the UI and how they become overrides.
//! - [`api_versions`]: the output checked against the cluster's APIs and version.
//!
//! The contract is `../shared/docs/ARGOCD-CMP.md`: print only Kubernetes objects, never an
//! empty stream, and on failure exit non-zero with a short message and nothing on stdout.

pub mod api_versions;
pub mod parameters;
pub mod plugin_env;

//! Checks the rendered objects against the cluster ArgoCD deploys to: every apiVersion
//! must be served (`KUBE_API_VERSIONS`), and the Kubernetes version (`KUBE_VERSION`) must
//! be one the chart and the Ingress support. A missing CRD fails the render with what to
//! install, instead of a sync that half-applies.

use serde_json::Value;

use crate::error::{Error, Result};

/// The oldest Kubernetes the output supports: chart 2.7.0 says `>= 1.19.0-0`, and
/// `networking.k8s.io/v1` Ingress is served from 1.19.
pub const MINIMUM_KUBE_VERSION: (u64, u64) = (1, 19);

/// What provides an API group, for the error message.
fn provider(api_version: &str) -> &'static str {
    match api_version.split('/').next().unwrap_or_default() {
        "cert-manager.io" => "install cert-manager",
        "bitnami.com" => "install the sealed-secrets controller",
        "argoproj.io" => "install ArgoCD's CRDs",
        "networking.k8s.io" => "it needs Kubernetes 1.19 or later",
        _ => "install the controller that provides it",
    }
}

/// Fails unless every object's apiVersion (or apiVersion/kind) is in `served`.
pub fn check_api_versions<'a>(
    objects: impl IntoIterator<Item = &'a Value>,
    served: &[String],
) -> Result<()> {
    let mut missing: Vec<String> = Vec::new();
    for object in objects {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        let with_kind = format!("{api_version}/{kind}");
        if !served
            .iter()
            .any(|entry| *entry == api_version || *entry == with_kind)
        {
            let message = format!(
                "{api_version} is not served by this cluster: {} (needed by {kind})",
                provider(api_version)
            );
            if !missing.contains(&message) {
                missing.push(message);
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(missing.join("\n")))
    }
}

/// Fails if `KUBE_VERSION` is older than [`MINIMUM_KUBE_VERSION`].
pub fn check_kube_version(version: &str) -> Result<()> {
    let trimmed = version.trim().trim_start_matches('v');
    let mut numbers = trimmed
        .split(|c: char| !c.is_ascii_digit())
        .map(|part| part.parse::<u64>());
    let (Some(Ok(major)), Some(Ok(minor))) = (numbers.next(), numbers.next()) else {
        return Err(Error::Usage(format!(
            "KUBE_VERSION `{version}` is not a version such as 1.29.3"
        )));
    };
    if (major, minor) < MINIMUM_KUBE_VERSION {
        return Err(Error::Usage(format!(
            "Kubernetes {version} is too old: chart backstage 2.7.0 and networking.k8s.io/v1 Ingress need {}.{} or later",
            MINIMUM_KUBE_VERSION.0, MINIMUM_KUBE_VERSION.1
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_may_name_the_group_version_or_also_the_kind() {
        let objects = [
            json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate"}),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress"}),
        ];
        let served = [
            "cert-manager.io/v1/Certificate".to_string(),
            "networking.k8s.io/v1".to_string(),
        ];
        assert!(check_api_versions(&objects, &served).is_ok());
        let message = check_api_versions(&objects, &served[1..])
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "cert-manager.io/v1 is not served by this cluster: install cert-manager (needed by Certificate)"
        );
    }

    #[test]
    fn kube_versions() {
        assert!(check_kube_version("1.29.3").is_ok());
        assert!(check_kube_version("v1.30.0+k3s1").is_ok());
        assert!(
            check_kube_version("1.18.20")
                .unwrap_err()
                .to_string()
                .contains("too old")
        );
        assert!(check_kube_version("latest").is_err());
    }
}

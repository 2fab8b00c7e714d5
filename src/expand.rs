//! The whole deployment (`--expand-chart`): the Application's chart rendered by the real
//! `helm template`, with exactly the release name, namespace and values the Application
//! gives ArgoCD, and its objects put in place of the Application.
//!
//! Order is part of the output contract: the chart's objects follow stagehand's own, sorted
//! by kind in Helm's install order (unknown kinds after, by kind), then namespace, then
//! name. Every namespaced object gets the release namespace when the chart left it out, as
//! ArgoCD does when it applies them.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::artifacts::RenderedEnvironment;
use crate::chart::ChartSource;
use crate::cross_check::check_expanded;
use crate::environment::TargetKind;
use crate::error::{Error, Origin, Problem, Result};
use crate::field_path::FieldPath;
use crate::helm::{Helm, TemplateRequest};
use crate::yaml::parse_stream;

/// Kinds in Helm's install order (`releaseutil.InstallOrder`).
pub const KIND_ORDER: [&str; 36] = [
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

/// Kinds without a namespace.
const CLUSTER_SCOPED: [&str; 12] = [
    "Namespace",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "IngressClass",
    "APIService",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "PodSecurityPolicy",
];

/// How to expand charts: one helm, located (and its version checked) once, and the
/// local chart, if any.
#[derive(Debug)]
pub struct Expansion {
    helm: Helm,
    local_chart: Option<PathBuf>,
}

impl Expansion {
    /// Locates helm; `local_chart` is `--chart`.
    pub fn new(local_chart: Option<PathBuf>) -> Result<Self> {
        Ok(Self {
            helm: Helm::locate()?,
            local_chart,
        })
    }

    /// Expands `rendered` and checks the rules across its objects: errors fail it (with the
    /// warnings alongside), warnings join its warnings.
    pub fn apply(&self, rendered: &mut RenderedEnvironment) -> Result<()> {
        expand(rendered, &self.helm, self.local_chart.as_deref())?;
        let (errors, warnings): (Vec<Problem>, Vec<Problem>) = check_expanded(rendered)
            .into_iter()
            .partition(Problem::is_error);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors.into_iter().chain(warnings).collect()));
        }
        rendered.warnings.extend(warnings);
        Ok(())
    }
}

/// Renders the chart of `rendered`'s Application with `helm` (from `local_chart`, else from
/// the chart repository) and stores its objects in `rendered.chart_objects`.
pub fn expand(
    rendered: &mut RenderedEnvironment,
    helm: &Helm,
    local_chart: Option<&Path>,
) -> Result<()> {
    let chart = ChartSource::choose(local_chart, &rendered.environment.spec.chart)?;
    let release = rendered.text(TargetKind::Application, "/spec/source/helm/releaseName");
    let namespace = rendered.text(TargetKind::Application, "/spec/destination/namespace");
    let empty = Value::Object(serde_json::Map::new());
    let values = rendered
        .document(TargetKind::Application)
        .pointer("/spec/source/helm/valuesObject")
        .unwrap_or(&empty);
    let output = helm
        .template(&TemplateRequest {
            chart: &chart,
            release: &release,
            namespace: &namespace,
            values,
        })
        .map_err(|message| {
            Error::problem(
                Problem::error(
                    Origin::new(rendered.file.clone(), None),
                    Some(FieldPath::root().key("spec").key("chart")),
                    format!("helm template failed: {message}"),
                )
                .with_hint("the chart refused the values stagehand rendered: see helm's message"),
            )
        })?;
    let mut objects = parse_stream(&output).map_err(|error| {
        Error::Usage(format!(
            "{}: helm template printed invalid YAML: {}",
            rendered.file, error.message
        ))
    })?;
    for object in &mut objects {
        set_namespace(object, &namespace);
    }
    objects.sort_by(compare_objects);
    rendered.chart_objects = Some(objects);
    Ok(())
}

fn set_namespace(object: &mut Value, namespace: &str) {
    let kind = object["kind"].as_str().unwrap_or_default();
    if CLUSTER_SCOPED.contains(&kind) {
        return;
    }
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut)
        && metadata.get("namespace").is_none_or(Value::is_null)
    {
        metadata.insert("namespace".into(), Value::from(namespace));
    }
}

/// Helm's install order of kinds, then namespace, then name.
fn compare_objects(a: &Value, b: &Value) -> Ordering {
    let rank = |object: &Value| {
        let kind = object["kind"].as_str().unwrap_or_default();
        let position = KIND_ORDER.iter().position(|known| *known == kind);
        (position.unwrap_or(KIND_ORDER.len()), kind.to_string())
    };
    let key = |object: &Value| {
        let metadata = &object["metadata"];
        (
            metadata["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            metadata["name"].as_str().unwrap_or_default().to_string(),
        )
    };
    rank(a).cmp(&rank(b)).then_with(|| key(a).cmp(&key(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_sort_by_install_order_then_name_and_get_the_namespace() {
        let mut objects = vec![
            json!({"kind": "Deployment", "metadata": {"name": "b"}}),
            json!({"kind": "Widget", "metadata": {"name": "w"}}),
            json!({"kind": "Service", "metadata": {"name": "z", "namespace": "other"}}),
            json!({"kind": "Service", "metadata": {"name": "a"}}),
            json!({"kind": "ClusterRole", "metadata": {"name": "c"}}),
        ];
        for object in &mut objects {
            set_namespace(object, "backstage");
        }
        objects.sort_by(compare_objects);
        let order: Vec<String> = objects
            .iter()
            .map(|o| {
                format!(
                    "{}/{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["namespace"].as_str().unwrap_or("-"),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                "ClusterRole/-/c",
                "Service/backstage/a",
                "Service/other/z",
                "Deployment/backstage/b",
                "Widget/backstage/w"
            ]
        );
    }
}

//! The rendered artifacts of one environment and the identity of Kubernetes objects.
//!
//! The artifact table (template, file, whether it is a Kubernetes object) is the single
//! place that fixes output order: the ArgoCD stream and `--out-dir` both follow it, and
//! order is part of the output contract.

use std::fmt;

use kube_core::TypeMeta;
use serde_json::Value;

use crate::environment::{Environment, SecretSource, TargetKind};
use crate::error::Problem;

/// One artifact stagehand renders.
#[derive(Debug, Clone, Copy)]
pub struct ArtifactKind {
    /// What patches call it.
    pub target: TargetKind,
    /// The template that renders it.
    pub template: &'static str,
    /// Its file in `--out-dir`.
    pub file_name: &'static str,
    /// Whether it is a Kubernetes object (in the ArgoCD stream and the kustomization).
    pub is_kubernetes_object: bool,
}

/// Every artifact, in output order. The SealedSecret comes first in the stream (and has
/// the lowest sync wave) because the chart's pods need its Secret.
pub const ARTIFACTS: [ArtifactKind; 6] = [
    ArtifactKind {
        target: TargetKind::HelmValues,
        template: "values.yaml.j2",
        file_name: "values.yaml",
        is_kubernetes_object: false,
    },
    ArtifactKind {
        target: TargetKind::SealedSecret,
        template: "sealed-secret.yaml.j2",
        file_name: "sealed-secret.yaml",
        is_kubernetes_object: true,
    },
    ArtifactKind {
        target: TargetKind::Certificate,
        template: "certificate.yaml.j2",
        file_name: "certificate.yaml",
        is_kubernetes_object: true,
    },
    ArtifactKind {
        target: TargetKind::Ingress,
        template: "ingress.yaml.j2",
        file_name: "ingress.yaml",
        is_kubernetes_object: true,
    },
    ArtifactKind {
        target: TargetKind::Application,
        template: "application.yaml.j2",
        file_name: "application.yaml",
        is_kubernetes_object: true,
    },
    ArtifactKind {
        target: TargetKind::Location,
        template: "catalog-locations.yaml.j2",
        file_name: "catalog-locations.yaml",
        is_kubernetes_object: false,
    },
];

impl ArtifactKind {
    /// Whether `environment` renders this artifact: no SealedSecret when the database
    /// Secret is external (its document is then `null`).
    pub fn is_rendered_for(&self, environment: &Environment) -> bool {
        self.target != TargetKind::SealedSecret
            || environment.spec.database.secret == SecretSource::Sealed
    }
}

/// Everything rendered for one environment.
#[derive(Debug, Clone)]
pub struct RenderedEnvironment {
    /// The environment's `metadata.name`.
    pub name: String,
    /// The documents, one per entry of [`ARTIFACTS`], in that order; `null` for an
    /// artifact the environment does not render.
    pub documents: Vec<Value>,
    /// Warnings found on the way (errors would have stopped the render).
    pub warnings: Vec<Problem>,
    /// The base used: its folder, or the built-in label.
    pub base: String,
    /// The merged, validated environment the documents were rendered from.
    pub environment: Environment,
    /// The environment file, as messages name it.
    pub file: String,
    /// With `--expand-chart`: the chart's objects, which replace the Application.
    pub chart_objects: Option<Vec<Value>>,
}

impl RenderedEnvironment {
    /// The document of artifact `target`.
    pub fn document(&self, target: TargetKind) -> &Value {
        let slot = ARTIFACTS
            .iter()
            .position(|a| a.target == target)
            .unwrap_or(0);
        &self.documents[slot]
    }

    /// The string at `pointer` in the document of artifact `target`; empty when there is none.
    pub fn text(&self, target: TargetKind, pointer: &str) -> String {
        self.document(target)
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// The Kubernetes objects, in stream order: the rendered ones, and with an expanded
    /// chart its objects in place of the Application.
    pub fn kubernetes_objects(&self) -> impl Iterator<Item = &Value> {
        let expanded = self.chart_objects.is_some();
        self.artifacts()
            .filter(move |(artifact, _)| {
                artifact.is_kubernetes_object
                    && !(expanded && artifact.target == TargetKind::Application)
            })
            .map(|(_, document)| document)
            .chain(self.chart_objects.iter().flatten())
    }

    /// Whether the SealedSecret holds a placeholder, which no controller can unseal.
    pub fn is_unsealed(&self) -> bool {
        self.document(TargetKind::SealedSecret)
            .pointer("/spec/encryptedData")
            .and_then(Value::as_object)
            .is_some_and(|data| {
                data.values()
                    .any(|value| value == crate::context::SEALED_PLACEHOLDER)
            })
    }

    /// The rendered artifacts with their documents, in output order.
    pub fn artifacts(&self) -> impl Iterator<Item = (&'static ArtifactKind, &Value)> {
        ARTIFACTS
            .iter()
            .zip(&self.documents)
            .filter(|(_, document)| !document.is_null())
    }
}

/// The identity of a Kubernetes object: group/version, kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, if namespaced.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectId {
    /// The identity of `object`, if it has apiVersion, kind and metadata.name.
    pub fn of(object: &Value) -> Option<Self> {
        let types: TypeMeta = serde_json::from_value(serde_json::json!({
            "apiVersion": object.get("apiVersion")?,
            "kind": object.get("kind")?,
        }))
        .ok()?;
        let metadata = object.get("metadata")?;
        Some(Self {
            api_version: types.api_version,
            kind: types.kind,
            namespace: metadata
                .get("namespace")
                .and_then(Value::as_str)
                .map(str::to_string),
            name: metadata.get("name")?.as_str()?.to_string(),
        })
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{} {namespace}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

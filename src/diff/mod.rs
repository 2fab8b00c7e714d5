//! `stagehand diff`: what a change does to the rendered output, object by object.
//!
//! - [`sources`]: the two sides (a git revision, the working tree, rendered folders).
//! - [`revision`]: a git revision read through git, without a checkout.
//! - this module: pairing documents by identity and computing each change.
//! - [`fields`]: the changed fields of a document, by path, old and new value.
//! - [`format`]: the report as text, Markdown (for a PR comment) or JSON.
//!
//! Objects are paired by (apiVersion, kind, namespace, name); the Helm values are their own
//! document, so the Application is compared without its `valuesObject` and each values
//! change appears once. SealedSecret ciphertext is never printed, only which keys changed.

pub mod fields;
pub mod format;
pub mod revision;
pub mod sources;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

use crate::artifacts::{ObjectId, RenderedEnvironment};
use crate::environment::TargetKind;
use crate::error::{Error, Result};
use crate::yaml::to_yaml_document;

/// Lines of context around each change.
pub const CONTEXT_LINES: usize = 3;

/// What a rendered document is: the Helm values, or an object with an identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocumentId {
    /// `values.yaml`.
    HelmValues,
    /// A Kubernetes object or the Backstage Location entity.
    Object(ObjectId),
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HelmValues => f.write_str("Helm values (values.yaml)"),
            Self::Object(id) => id.fmt(f),
        }
    }
}

/// The rendered documents of one environment on one side, in output order.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The environment's `metadata.name`.
    pub name: String,
    /// Documents by identity, in output order.
    pub documents: Vec<(DocumentId, Value)>,
}

impl Snapshot {
    /// The documents of a render, ready to compare: with an expanded chart, its objects
    /// in place of the Application.
    pub fn of(rendered: &RenderedEnvironment) -> Self {
        let expanded = rendered.chart_objects.is_some();
        let documents = rendered
            .artifacts()
            .filter(|(artifact, _)| !(expanded && artifact.target == TargetKind::Application))
            .map(|(artifact, document)| (artifact.target == TargetKind::HelmValues, document))
            .chain(rendered.chart_objects.iter().flatten().map(|o| (false, o)))
            .filter_map(|(is_values, document)| {
                let id = if is_values {
                    DocumentId::HelmValues
                } else {
                    DocumentId::Object(ObjectId::of(document)?)
                };
                Some((id, comparable(document.clone())))
            })
            .collect();
        Self {
            name: rendered.name.clone(),
            documents,
        }
    }
}

/// The Application's values are compared as the HelmValues document instead.
pub fn comparable(mut document: Value) -> Value {
    if document["kind"] == "Application"
        && let Some(helm) = document.pointer_mut("/spec/source/helm")
        && let Some(map) = helm.as_object_mut()
        && map.contains_key("valuesObject")
    {
        map.insert(
            "valuesObject".into(),
            Value::from("(compared as the Helm values document)"),
        );
    }
    document
}

/// How a document or an environment changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only on the new side.
    Added,
    /// Only on the old side.
    Removed,
    /// On both sides, different.
    Changed,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Changed => "changed",
        })
    }
}

/// One changed document.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentChange {
    /// What the document is.
    #[serde(rename = "object")]
    pub id: String,
    /// How it changed.
    pub change: Change,
    /// Unified diff of its YAML (sealed values redacted).
    pub diff: String,
    /// Its changed fields (a changed document only; sealed values redacted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<fields::FieldChange>,
    /// SealedSecret `encryptedData` keys whose sealed value changed.
    #[serde(rename = "sealedKeysChanged", skip_serializing_if = "Vec::is_empty")]
    pub sealed_keys_changed: Vec<String>,
}

/// The changes of one environment.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentChange {
    /// Where the environment file is (relative path), or the folder compared.
    pub path: String,
    /// Its `metadata.name`.
    pub name: String,
    /// Added, removed or changed.
    pub change: Change,
    /// The changed documents, in output order.
    pub objects: Vec<DocumentChange>,
}

impl EnvironmentChange {
    /// How many documents changed in each way.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |kind| self.objects.iter().filter(|o| o.change == kind).count();
        (
            count(Change::Added),
            count(Change::Removed),
            count(Change::Changed),
        )
    }
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// How many environments were compared (on either side).
    pub compared: usize,
    /// The environments with changes, by path.
    pub environments: Vec<EnvironmentChange>,
    /// The commits compared, when one side is a git revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revisions: Option<Revisions>,
}

/// The two commits of a `diff --base`: the base revision, and the commit the working tree
/// is checked out at.
#[derive(Debug, Clone, Serialize)]
pub struct Revisions {
    /// The base, as given (`origin/main`).
    pub base: String,
    /// The base's abbreviated commit hash.
    #[serde(rename = "baseCommit")]
    pub base_commit: String,
    /// The working tree's HEAD, abbreviated (empty in a repository without commits).
    #[serde(rename = "headCommit")]
    pub head_commit: String,
    /// Whether the working tree differs from HEAD (uncommitted or untracked files).
    pub uncommitted: bool,
}

impl DiffReport {
    /// Whether anything differs.
    pub fn has_changes(&self) -> bool {
        !self.environments.is_empty()
    }
}

/// Field-path globs (`metadata.annotations.argocd.argoproj.io/*`) whose changes are ignored.
pub struct IgnoreRules(GlobSet);

impl IgnoreRules {
    /// Compiles the `--ignore` patterns.
    pub fn new(patterns: &[String]) -> Result<Self> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = GlobBuilder::new(pattern)
                .literal_separator(false)
                .build()
                .map_err(|error| Error::Usage(format!("--ignore {pattern}: {error}")))?;
            builder.add(glob);
        }
        builder
            .build()
            .map(Self)
            .map_err(|error| Error::Usage(format!("--ignore: {error}")))
    }

    /// `value` without the fields whose dotted path matches a rule.
    fn strip(&self, value: &Value) -> Value {
        if self.0.is_empty() {
            return value.clone();
        }
        self.strip_at(value, "").unwrap_or(Value::Null)
    }

    fn strip_at(&self, value: &Value, path: &str) -> Option<Value> {
        if !path.is_empty() && self.0.is_match(path) {
            return None;
        }
        let join = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        Some(match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter_map(|(key, item)| Some((key.clone(), self.strip_at(item, &join(key))?)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(index, item)| self.strip_at(item, &format!("{path}[{index}]")))
                    .collect(),
            ),
            scalar => scalar.clone(),
        })
    }
}

/// Compares two sets of environments keyed by path.
pub fn compare(
    old: &BTreeMap<String, Snapshot>,
    new: &BTreeMap<String, Snapshot>,
    ignore: &IgnoreRules,
) -> DiffReport {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let empty = Snapshot::default();
    let environments = keys
        .iter()
        .filter_map(|key| {
            let (before, after) = (old.get(*key), new.get(*key));
            let change = match (before, after) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Removed,
                _ => Change::Changed,
            };
            let objects =
                compare_documents(before.unwrap_or(&empty), after.unwrap_or(&empty), ignore);
            if objects.is_empty() && change == Change::Changed {
                return None;
            }
            Some(EnvironmentChange {
                path: (*key).clone(),
                name: after.or(before).map(|s| s.name.clone()).unwrap_or_default(),
                change,
                objects,
            })
        })
        .collect();
    DiffReport {
        compared: keys.len(),
        environments,
        revisions: None,
    }
}

fn compare_documents(old: &Snapshot, new: &Snapshot, ignore: &IgnoreRules) -> Vec<DocumentChange> {
    let old_by_id: BTreeMap<&DocumentId, &Value> =
        old.documents.iter().map(|(id, doc)| (id, doc)).collect();
    let new_ids: BTreeSet<&DocumentId> = new.documents.iter().map(|(id, _)| id).collect();
    let mut order: Vec<&DocumentId> = new.documents.iter().map(|(id, _)| id).collect();
    order.extend(
        old.documents
            .iter()
            .map(|(id, _)| id)
            .filter(|id| !new_ids.contains(id)),
    );
    let new_by_id: BTreeMap<&DocumentId, &Value> =
        new.documents.iter().map(|(id, doc)| (id, doc)).collect();
    order
        .into_iter()
        .filter_map(|id| {
            let before = old_by_id.get(id).map(|doc| ignore.strip(doc));
            let after = new_by_id.get(id).map(|doc| ignore.strip(doc));
            if before == after {
                return None;
            }
            let change = match (&before, &after) {
                (None, _) => Change::Added,
                (_, None) => Change::Removed,
                _ => Change::Changed,
            };
            let sealed_keys_changed = sealed_keys_changed(before.as_ref(), after.as_ref());
            let (before, after) = (before.map(redact_sealed), after.map(redact_sealed));
            let fields = match (&before, &after) {
                (Some(old), Some(new)) => fields::field_changes(old, new),
                _ => Vec::new(),
            };
            let text = |doc: Option<Value>| doc.map(|d| to_yaml_document(&d)).unwrap_or_default();
            let (old_text, new_text) = (text(before), text(after));
            let label = id.to_string();
            let diff = TextDiff::from_lines(&old_text, &new_text)
                .unified_diff()
                .context_radius(CONTEXT_LINES)
                .to_string();
            Some(DocumentChange {
                id: label,
                change,
                diff,
                fields,
                sealed_keys_changed,
            })
        })
        .collect()
}

/// The placeholder shown instead of sealed ciphertext.
pub const SEALED_MARK: &str = "(sealed value not shown)";

fn encrypted_data(document: Option<&Value>) -> BTreeMap<String, Value> {
    document
        .and_then(|doc| doc.pointer("/spec/encryptedData"))
        .and_then(Value::as_object)
        .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn sealed_keys_changed(old: Option<&Value>, new: Option<&Value>) -> Vec<String> {
    let (before, after) = (encrypted_data(old), encrypted_data(new));
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|key| before.get(*key) != after.get(*key))
        .cloned()
        .collect()
}

fn redact_sealed(mut document: Value) -> Value {
    if let Some(Value::Object(map)) = document.pointer_mut("/spec/encryptedData") {
        for value in map.values_mut() {
            *value = Value::from(SEALED_MARK);
        }
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(documents: Vec<Value>) -> Snapshot {
        Snapshot {
            name: "env".into(),
            documents: documents
                .into_iter()
                .map(|d| (DocumentId::Object(ObjectId::of(&d).unwrap()), d))
                .collect(),
        }
    }

    fn ingress(host: &str) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "b", "namespace": "n", "annotations": {"argocd.argoproj.io/sync-wave": host}},
               "spec": {"rules": [{"host": host}]}})
    }

    #[test]
    fn pairs_objects_and_ignores_matching_paths() {
        let old = BTreeMap::from([("e".to_string(), snapshot(vec![ingress("a.example")]))]);
        let new = BTreeMap::from([("e".to_string(), snapshot(vec![ingress("b.example")]))]);
        let report = compare(&old, &new, &IgnoreRules::new(&[]).unwrap());
        assert_eq!(report.environments[0].objects[0].change, Change::Changed);
        let diff = &report.environments[0].objects[0].diff;
        assert!(
            diff.contains("-    - host: a.example") && diff.contains("+    - host: b.example"),
            "{diff}"
        );
        let ignored = IgnoreRules::new(&[
            "spec.rules*".into(),
            "metadata.annotations.argocd.argoproj.io/*".into(),
        ])
        .unwrap();
        assert!(!compare(&old, &new, &ignored).has_changes());
    }

    #[test]
    fn sealed_values_are_never_shown_but_changed_keys_are_named() {
        let sealed = |value: &str| {
            json!({"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "metadata": {"name": "s"},
                   "spec": {"encryptedData": {"password": value, "postgres-password": "same"}}})
        };
        let old = BTreeMap::from([("e".to_string(), snapshot(vec![sealed("AgOLDCIPHER")]))]);
        let new = BTreeMap::from([("e".to_string(), snapshot(vec![sealed("AgNEWCIPHER")]))]);
        let report = compare(&old, &new, &IgnoreRules::new(&[]).unwrap());
        let change = &report.environments[0].objects[0];
        assert_eq!(change.sealed_keys_changed, vec!["password"]);
        assert!(!change.diff.contains("CIPHER"), "{}", change.diff);
    }
}

//! The merge stage: an environment over its base's defaults, then `--set` overrides.
//!
//! RFC 7386 merge-patch semantics (via `json-patch`): mappings merge key by key, lists and
//! scalars replace, `null` deletes. Overrides are applied last, so the command line (and
//! ArgoCD parameters) always win.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::field_path::{FieldPath, Segment};
use crate::shape;
use crate::yaml::parse_document;

/// One override: a `--set path=value`, or an ArgoCD parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The field to set, e.g. `spec.hostname`.
    pub path: FieldPath,
    /// The value, typed as YAML would type it (`2` is a number, `"2"` a string).
    pub value: Value,
    /// Where the override came from; messages about it name this instead of a file.
    pub source: OverrideSource,
}

/// Where an override came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideSource {
    /// `--set` on the command line.
    CommandLine,
    /// The ArgoCD Application's parameter of this name.
    Parameter(String),
}

impl OverrideSource {
    /// How messages name it: `--set`, or `parameter replicas`.
    pub fn label(&self) -> String {
        match self {
            Self::CommandLine => "--set".to_string(),
            Self::Parameter(name) => format!("parameter {name}"),
        }
    }
}

impl Override {
    /// Parses `spec.x.y=value`; a `\.` keeps a dot inside a key.
    pub fn parse(text: &str) -> Result<Self> {
        let Some((path, raw)) = text.split_once('=') else {
            return Err(Error::Usage(format!(
                "--set {text}: expected PATH=VALUE, e.g. --set spec.hostname=backstage.example.org"
            )));
        };
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(Error::Usage(format!(
                "--set {text}: `{path}` is not a field path, e.g. spec.resources.backstage.limits.memory"
            )));
        }
        Ok(Self::new(
            FieldPath::parse_dotted(path),
            raw,
            OverrideSource::CommandLine,
        ))
    }

    /// An override of `path` with the text `raw`, typed by what the field expects.
    pub fn new(path: FieldPath, raw: &str, source: OverrideSource) -> Self {
        let value = override_value(&path, raw);
        Self {
            path,
            value,
            source,
        }
    }

    /// The override as a merge patch (`{"spec": {"hostname": ...}}`).
    pub fn as_merge_patch(&self) -> Value {
        self.path
            .segments()
            .iter()
            .rev()
            .fold(self.value.clone(), |inner, segment| {
                let key = match segment {
                    Segment::Key(key) => key.clone(),
                    Segment::Index(index) => index.to_string(),
                };
                Value::Object(Map::from_iter([(key, inner)]))
            })
    }
}

/// Types an override's value by the field's schema: a string field takes the text as is
/// (so `--set spec.image.tag=1.30` stays "1.30"; surrounding quotes are removed), other
/// fields read it as YAML (`3`, `true`, `[a, b]`); text that YAML would turn into a
/// mapping by accident (`a: b`) stays a string.
fn override_value(path: &FieldPath, raw: &str) -> Value {
    if raw.is_empty() {
        return Value::String(String::new());
    }
    if shape::types_at(path).contains(&"string") {
        let quoted = raw.len() >= 2
            && ((raw.starts_with('"') && raw.ends_with('"'))
                || (raw.starts_with('\'') && raw.ends_with('\'')));
        return match parse_document(raw) {
            Ok(Value::String(unquoted)) if quoted => Value::String(unquoted),
            _ => Value::String(raw.to_string()),
        };
    }
    match parse_document(raw) {
        Ok(value @ (Value::Array(_) | Value::Object(_))) if raw.starts_with(['[', '{']) => value,
        Ok(Value::Array(_) | Value::Object(_)) | Err(_) => Value::String(raw.to_string()),
        Ok(scalar) => scalar,
    }
}

/// The environment document merged onto the base's `spec` defaults, then the overrides.
pub fn merge_environment(base_spec: &Value, environment: &Value, overrides: &[Override]) -> Value {
    let mut merged = Value::Object(Map::from_iter([("spec".to_string(), base_spec.clone())]));
    json_patch::merge(&mut merged, environment);
    for item in overrides {
        json_patch::merge(&mut merged, &item.as_merge_patch());
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_merge_lists_replace_null_deletes() {
        let base = json!({"hostname": "a", "catalog": {"allow": ["Component", "API"], "locations": []},
                          "ingress": {"annotations": {"x": "1"}}});
        let environment = json!({"spec": {"catalog": {"allow": ["System"]},
                                          "ingress": {"annotations": null}}});
        let merged = merge_environment(&base, &environment, &[]);
        assert_eq!(
            merged,
            json!({"spec": {"hostname": "a", "catalog": {"allow": ["System"], "locations": []},
                            "ingress": {}}})
        );
    }

    #[test]
    fn overrides_win_and_are_typed_like_yaml() {
        let overrides = [
            Override::parse("spec.replicas=3").unwrap(),
            Override::parse("spec.image.tag=1.30").unwrap(),
            Override::parse("spec.app.title=a: b").unwrap(),
            Override::parse("spec.ingress.annotations.nginx\\.org/x=\"true\"").unwrap(),
        ];
        let merged = merge_environment(&json!({"replicas": 1}), &json!({}), &overrides);
        assert_eq!(merged["spec"]["replicas"], 3);
        assert_eq!(merged["spec"]["image"]["tag"], "1.30");
        assert_eq!(merged["spec"]["app"]["title"], "a: b");
        assert_eq!(
            merged["spec"]["ingress"]["annotations"]["nginx.org/x"],
            "true"
        );
    }

    #[test]
    fn refuses_overrides_without_a_value_or_path() {
        assert!(Override::parse("spec.replicas").is_err());
        assert!(Override::parse("spec..x=1").is_err());
        assert!(Override::parse("=1").is_err());
    }
}

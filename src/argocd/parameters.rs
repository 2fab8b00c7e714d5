//! ArgoCD parameters: the announcement `stagehand parameters` prints for the UI, and the
//! translation of the values an Application sets into `--set`-style overrides.
//!
//! Dynamic announcements carry the environment's current values; the static ones in
//! `argocd-cmp/plugin.yaml` cover only other names, because ArgoCD lets a static
//! announcement replace a dynamic one of the same name, which would hide the value.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::argocd::parameter_values::{PARAM_PREFIX, ParameterValue, env_name};
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::field_path::FieldPath;
use crate::overlay::{Override, OverrideSource};

/// The keys of a resources parameter (`requests.cpu` etc.).
pub const RESOURCE_KEYS: [&str; 4] = [
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
];

/// How a parameter maps onto the environment.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A string parameter setting one field.
    Field(&'static str),
    /// A map parameter whose keys (from `RESOURCE_KEYS`) extend a path.
    Resources(&'static str),
}

/// One parameter stagehand accepts.
#[derive(Debug, Clone, Copy)]
pub struct ParameterSpec {
    /// Its name in the Application and the UI.
    pub name: &'static str,
    /// The UI's label.
    pub title: &'static str,
    /// The UI's tooltip.
    pub tooltip: &'static str,
    /// Where it goes.
    pub shape: Shape,
    /// Announced by `stagehand parameters` (with the current value) rather than statically.
    pub dynamic: bool,
}

/// Every parameter, in announcement order.
pub const PARAMETERS: [ParameterSpec; 7] = [
    ParameterSpec {
        name: "hostname",
        title: "Hostname",
        tooltip: "Public hostname: the Ingress host, the Certificate's dnsNames and Backstage's base URLs.",
        shape: Shape::Field("spec.hostname"),
        dynamic: true,
    },
    ParameterSpec {
        name: "image.tag",
        title: "Backstage image tag",
        tooltip: "Tag of the Backstage image.",
        shape: Shape::Field("spec.image.tag"),
        dynamic: true,
    },
    ParameterSpec {
        name: "replicas",
        title: "Replicas",
        tooltip: "Backstage pod replicas, 0 to 100.",
        shape: Shape::Field("spec.replicas"),
        dynamic: true,
    },
    ParameterSpec {
        name: "resources.backstage",
        title: "Backstage resources",
        tooltip: "requests.cpu, requests.memory, limits.cpu, limits.memory of the Backstage container.",
        shape: Shape::Resources("spec.resources.backstage"),
        dynamic: true,
    },
    ParameterSpec {
        name: "resources.postgresql",
        title: "PostgreSQL resources",
        tooltip: "requests.cpu, requests.memory, limits.cpu, limits.memory of PostgreSQL.",
        shape: Shape::Resources("spec.resources.postgresql"),
        dynamic: true,
    },
    ParameterSpec {
        name: "app.title",
        title: "Portal title",
        tooltip: "Title shown in the browser; empty keeps the environment file's.",
        shape: Shape::Field("spec.app.title"),
        dynamic: false,
    },
    ParameterSpec {
        name: "app.organization",
        title: "Organization",
        tooltip: "organization.name in Backstage; empty keeps the environment file's.",
        shape: Shape::Field("spec.app.organization"),
        dynamic: false,
    },
];

/// One announcement as the ArgoCD UI reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Announcement {
    name: &'static str,
    title: &'static str,
    tooltip: &'static str,
    required: bool,
    item_type: &'static str,
    collection_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    map: Option<BTreeMap<String, String>>,
}

/// The dynamic announcements, with `environment`'s current values.
pub fn announcements(environment: &Environment) -> Vec<Announcement> {
    let spec = serde_json::to_value(environment).unwrap_or_default();
    PARAMETERS
        .iter()
        .filter(|parameter| parameter.dynamic)
        .map(|parameter| {
            let (collection_type, string, map) = match parameter.shape {
                Shape::Field(path) => ("string", Some(scalar_text(lookup(&spec, path))), None),
                Shape::Resources(path) => {
                    let map = RESOURCE_KEYS
                        .iter()
                        .map(|key| {
                            (
                                key.to_string(),
                                scalar_text(lookup(&spec, &format!("{path}.{key}"))),
                            )
                        })
                        .collect();
                    ("map", None, Some(map))
                }
            };
            Announcement {
                name: parameter.name,
                title: parameter.title,
                tooltip: parameter.tooltip,
                required: false,
                item_type: "string",
                collection_type,
                string,
                map,
            }
        })
        .collect()
}

fn lookup<'a>(value: &'a Value, dotted: &str) -> &'a Value {
    dotted.split('.').fold(value, |node, key| &node[key])
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn known_names() -> String {
    PARAMETERS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn find(name: &str) -> Result<&'static ParameterSpec> {
    PARAMETERS.iter().find(|p| p.name == name).ok_or_else(|| {
        let hint = crate::shape::closest(name, &PARAMETERS.map(|p| p.name))
            .map(|best| format!(" (did you mean `{best}`?)"))
            .unwrap_or_default();
        Error::Usage(format!(
            "unknown parameter `{}`{hint}; known parameters: {}",
            crate::quote::shorten(name),
            known_names()
        ))
    })
}

/// Overrides for the parameters an Application sets. An empty value (or a name alone)
/// keeps the environment file's value, as the UI's empty field means "not set".
pub fn overrides(values: &[ParameterValue]) -> Result<Vec<Override>> {
    let mut result = Vec::new();
    for value in values {
        let parameter = find(&value.name)?;
        let source = || OverrideSource::Parameter(value.name.clone());
        let has_array = value.array.as_ref().is_some_and(|items| !items.is_empty());
        let has_map = value.map.as_ref().is_some_and(|map| !map.is_empty());
        let has_string = value.string.as_ref().is_some_and(|text| !text.is_empty());
        let wrong_shape = |expected: &str, given: &str| {
            Error::Usage(format!(
                "parameter {}: takes {expected}, but the Application gives it {given}",
                value.name
            ))
        };
        match parameter.shape {
            Shape::Field(path) => {
                if has_map || has_array {
                    let given = if has_map { "a map" } else { "an array" };
                    return Err(wrong_shape("a string", given));
                }
                if let Some(string) = value.string.as_ref().filter(|_| has_string) {
                    result.push(Override::new(
                        FieldPath::parse_dotted(path),
                        string,
                        source(),
                    ));
                }
            }
            Shape::Resources(path) => {
                if has_string || has_array {
                    let given = if has_string { "a string" } else { "an array" };
                    return Err(wrong_shape(
                        &format!("a map of {}", RESOURCE_KEYS.join(", ")),
                        given,
                    ));
                }
                for (key, amount) in value.map.iter().flatten() {
                    if !RESOURCE_KEYS.contains(&key.as_str()) {
                        let hint = crate::shape::closest(key, &RESOURCE_KEYS)
                            .map(|best| format!(" (did you mean `{best}`?)"))
                            .unwrap_or_default();
                        return Err(Error::Usage(format!(
                            "parameter {}: unknown key `{}`{hint}; known keys: {}",
                            value.name,
                            crate::quote::shorten(key),
                            RESOURCE_KEYS.join(", ")
                        )));
                    }
                    if !amount.is_empty() {
                        let field = FieldPath::parse_dotted(&format!("{path}.{key}"));
                        result.push(Override::new(field, amount, source()));
                    }
                }
            }
        }
    }
    Ok(result)
}

/// The parameter values carried by `PARAM_*` variables alone (when `ARGOCD_APP_PARAMETERS`
/// is absent): each known parameter's variable, map keys appended to resources.
pub fn from_param_variables(variables: &BTreeMap<String, String>) -> Result<Vec<ParameterValue>> {
    let mut values = Vec::new();
    let mut claimed = Vec::new();
    for parameter in PARAMETERS {
        let prefix = format!("{PARAM_PREFIX}{}", env_name(parameter.name));
        match parameter.shape {
            Shape::Field(_) => {
                if let Some(string) = variables.get(&prefix) {
                    claimed.push(prefix.clone());
                    values.push(ParameterValue {
                        name: parameter.name.into(),
                        string: Some(string.clone()),
                        ..ParameterValue::default()
                    });
                }
            }
            Shape::Resources(_) => {
                let mut map = BTreeMap::new();
                for key in RESOURCE_KEYS {
                    let variable = format!("{prefix}_{}", env_name(key));
                    if let Some(amount) = variables.get(&variable) {
                        claimed.push(variable);
                        map.insert(key.to_string(), amount.clone());
                    }
                }
                if !map.is_empty() {
                    values.push(ParameterValue {
                        name: parameter.name.into(),
                        map: Some(map),
                        ..ParameterValue::default()
                    });
                }
            }
        }
    }
    if let Some(unknown) = variables
        .keys()
        .find(|k| k.starts_with(PARAM_PREFIX) && !claimed.contains(k))
    {
        return Err(Error::Usage(format!(
            "unknown parameter variable {}; known parameters: {}",
            crate::quote::shorten(unknown),
            known_names()
        )));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_typed_overrides() {
        let values: Vec<ParameterValue> = serde_json::from_str(
            r#"[{"name":"hostname","string":"portal.example.org"},
                {"name":"replicas","string":"3"},
                {"name":"image.tag","string":"1.30"},
                {"name":"resources.backstage","map":{"limits.memory":"2Gi"}}]"#,
        )
        .unwrap();
        let result = overrides(&values).unwrap();
        let pairs: Vec<(String, Value)> = result
            .iter()
            .map(|o| (o.path.to_string(), o.value.clone()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("spec.hostname".into(), Value::from("portal.example.org")),
                ("spec.replicas".into(), Value::from(3)),
                ("spec.image.tag".into(), Value::from("1.30")),
                (
                    "spec.resources.backstage.limits.memory".into(),
                    Value::from("2Gi")
                ),
            ]
        );
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let values = vec![ParameterValue {
            name: "hostnme".into(),
            string: Some("x".into()),
            ..ParameterValue::default()
        }];
        let message = overrides(&values).unwrap_err().to_string();
        assert!(message.contains("did you mean `hostname`?"), "{message}");
        assert!(
            message.contains("known parameters: hostname, image.tag, replicas"),
            "{message}"
        );
    }

    #[test]
    fn param_variables_are_read_back_by_argocd_naming() {
        let variables = BTreeMap::from([
            ("PARAM_HOSTNAME".to_string(), "a.example.org".to_string()),
            (
                "PARAM_RESOURCES_POSTGRESQL_REQUESTS_CPU".to_string(),
                "200m".to_string(),
            ),
        ]);
        let values = from_param_variables(&variables).unwrap();
        assert_eq!(values[0].string.as_deref(), Some("a.example.org"));
        assert_eq!(values[1].map.as_ref().unwrap()["requests.cpu"], "200m");
        let unknown = BTreeMap::from([("PARAM_COLOUR".to_string(), "blue".to_string())]);
        assert!(from_param_variables(&unknown).is_err());
    }
}

//! The parameter values an Application sets, exactly as ArgoCD hands them to a plugin.
//!
//! ArgoCD's repo-server sets `ARGOCD_APP_PARAMETERS` whenever the Application has a
//! `spec.source.plugin` block, as Go's `json.Marshal` of a slice: `null` for no parameters
//! (a nil slice), else an array of `{name, string?, map?, array?}`. It also sets one
//! `PARAM_*` variable per value (`ApplicationSourcePluginParameters.Environ` in argo-cd's
//! `pkg/apis/application/v1alpha1/types.go`). This module reads the JSON, derives the
//! variables the same way, and checks that the two agree when both are present.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The variable holding every parameter as JSON.
pub const PARAMETERS_VARIABLE: &str = "ARGOCD_APP_PARAMETERS";

/// The prefix of the per-value variables.
pub const PARAM_PREFIX: &str = "PARAM_";

/// One parameter value as ArgoCD passes it. Unknown fields are ignored: the JSON is
/// ArgoCD's, and a newer ArgoCD may add some.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ParameterValue {
    /// The parameter's name.
    #[serde(default)]
    pub name: String,
    /// A string value.
    #[serde(default)]
    pub string: Option<String>,
    /// An array value.
    #[serde(default)]
    pub array: Option<Vec<String>>,
    /// A map value.
    #[serde(default)]
    pub map: Option<BTreeMap<String, String>>,
}

/// Parses `ARGOCD_APP_PARAMETERS`: `null` (no parameters) or an array of values.
pub fn parse_json(json: &str) -> Result<Vec<ParameterValue>> {
    let values: Option<Vec<ParameterValue>> = serde_json::from_str(json).map_err(|error| {
        Error::Usage(format!(
            "{PARAMETERS_VARIABLE} is not what ArgoCD sends (null, or a JSON array of \
             {{name, string|map|array}}): {error}"
        ))
    })?;
    let values = values.unwrap_or_default();
    if let Some(position) = values.iter().position(|value| value.name.is_empty()) {
        return Err(Error::Usage(format!(
            "{PARAMETERS_VARIABLE}: entry {position} has no name"
        )));
    }
    let mut seen = BTreeSet::new();
    if let Some(twice) = values
        .iter()
        .find(|value| !seen.insert(value.name.as_str()))
    {
        return Err(Error::Usage(format!(
            "{PARAMETERS_VARIABLE}: parameter {} is set twice; give each parameter once in the \
             Application's spec.source.plugin.parameters",
            crate::quote::shorten(&twice.name)
        )));
    }
    Ok(values)
}

/// A parameter name (or map key) as ArgoCD writes it into a variable name: Go's
/// `strings.ToUpper` (a one-to-one mapping per character), then anything outside
/// `[A-Z0-9_]` as `_`.
pub fn env_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            let mut mapped = c.to_uppercase();
            let upper = match (mapped.next(), mapped.next()) {
                (Some(single), None) => single,
                _ => c,
            };
            if upper.is_ascii_uppercase() || upper.is_ascii_digit() || upper == '_' {
                upper
            } else {
                '_'
            }
        })
        .collect()
}

/// The `PARAM_*` variables ArgoCD derives from `values`, each with the values it may hold
/// (two map keys that escape to one name race in Go's map order, so either may win).
pub fn derived_variables(values: &[ParameterValue]) -> BTreeMap<String, BTreeSet<String>> {
    let mut variables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for value in values {
        let base = format!("{PARAM_PREFIX}{}", env_name(&value.name));
        let mut add = |name: String, text: &str| {
            variables.entry(name).or_default().insert(text.to_string());
        };
        if let Some(string) = &value.string {
            add(base.clone(), string);
        }
        for (key, item) in value.map.iter().flatten() {
            add(format!("{base}_{}", env_name(key)), item);
        }
        for (index, item) in value.array.iter().flatten().enumerate() {
            add(format!("{base}_{index}"), item);
        }
    }
    variables
}

/// When any `PARAM_*` variable is present (ArgoCD sets them beside the JSON), checks that
/// they are exactly those ArgoCD derives from the JSON values; the JSON alone (as a local
/// reproduction sets it) is fine. Values are never quoted: a parameter may hold anything.
pub fn check_variables_agree(
    values: &[ParameterValue],
    variables: &BTreeMap<String, String>,
) -> Result<()> {
    let present: BTreeMap<&String, &String> = variables
        .iter()
        .filter(|(name, _)| name.starts_with(PARAM_PREFIX))
        .collect();
    if present.is_empty() {
        return Ok(());
    }
    let derived = derived_variables(values);
    let mut problems = Vec::new();
    for (name, value) in &present {
        match derived.get(*name) {
            None => problems.push(format!(
                "{name} is set, but {PARAMETERS_VARIABLE} has no parameter it comes from"
            )),
            Some(allowed) if !allowed.contains(*value) => problems.push(format!(
                "{name} holds another value than {PARAMETERS_VARIABLE} gives its parameter"
            )),
            Some(_) => {}
        }
    }
    for name in derived.keys() {
        if !present.contains_key(name) {
            problems.push(format!(
                "{name} is missing, but {PARAMETERS_VARIABLE} sets its parameter"
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    problems.push(format!(
        "ArgoCD derives both from the Application's parameters: remove PARAM_* variables from \
         the sidecar's own environment, or run with only {PARAMETERS_VARIABLE}"
    ));
    Err(Error::Usage(problems.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_empty_arrays_mean_no_parameters() {
        assert_eq!(parse_json("null").unwrap(), Vec::new());
        assert_eq!(parse_json("[]").unwrap(), Vec::new());
        assert!(parse_json("{}").is_err());
        assert!(parse_json(r#"[{"string":"x"}]"#).is_err());
    }

    #[test]
    fn variable_names_follow_argocd() {
        assert_eq!(env_name("resources.backstage"), "RESOURCES_BACKSTAGE");
        assert_eq!(env_name("limits.memory"), "LIMITS_MEMORY");
        assert_eq!(env_name("app-title_2"), "APP_TITLE_2");
        assert_eq!(env_name("ünïcode"), "_N_CODE");
        // Go upper-cases `ſ` to `S` and leaves `ß` (no single-letter upper case) alone.
        assert_eq!(env_name("ſize-ß"), "SIZE__");
    }

    #[test]
    fn derived_variables_cover_every_shape() {
        let values = parse_json(
            r#"[{"name":"hostname","string":"a.example.org"},
                {"map":{"limits.memory":"2Gi"},"name":"resources.backstage"},
                {"array":["a","b"],"name":"list"},{"name":"bare"}]"#,
        )
        .unwrap();
        let names: Vec<String> = derived_variables(&values).into_keys().collect();
        assert_eq!(
            names,
            [
                "PARAM_HOSTNAME",
                "PARAM_LIST_0",
                "PARAM_LIST_1",
                "PARAM_RESOURCES_BACKSTAGE_LIMITS_MEMORY"
            ]
        );
    }
}

//! Checks a document's shape against the environment's JSON Schema, reporting every
//! unknown field, wrong type, unknown enum value and out-of-range number at once.
//!
//! serde stops at the first problem and its messages name neither the line nor a likely
//! fix. Walking the same schema that `stagehand schema` publishes keeps the editor's view
//! and the tool's view identical, and lets each problem carry a "did you mean".

use std::sync::OnceLock;

use serde_json::Value;

use crate::environment::Environment;
use crate::error::Finding;
use crate::field_path::FieldPath;

/// The environment file's JSON Schema: the committed `environment.schema.json`, which a
/// test keeps equal to what `stagehand schema` publishes, so files are checked against
/// exactly the schema editors see. It is not a saving: a `dist` build that derives the
/// schema instead rendered in 1.006 times the time (0.986 with cold CPU caches; 500
/// interleaved runs, `python3 bench/compare.py`, 2026-12-06).
pub const SCHEMA_TEXT: &str = include_str!("../environment.schema.json");

/// The schema, parsed once per process.
pub fn environment_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(SCHEMA_TEXT).unwrap_or(Value::Bool(true)))
}

/// The schema schemars derives from [`Environment`], inlined (no `$ref`) so every field
/// has its own node; `stagehand schema` publishes it with the base's defaults made
/// optional (see `cmd::schema`).
pub fn derived_schema() -> Value {
    schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<Environment>()
        .to_value()
}

/// The schema of the field at `path`, if the schema knows it.
fn node_at(path: &FieldPath) -> Option<&'static Value> {
    let mut node = environment_schema();
    for segment in path.segments() {
        let next = match segment {
            crate::field_path::Segment::Key(key) => node
                .get("properties")
                .and_then(|properties| properties.get(key))
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object())),
            crate::field_path::Segment::Index(_) => node.get("items"),
        };
        node = non_null_alternative(next?);
    }
    Some(node)
}

/// A value the schema allows at `path` when it names a closed set (an enum or
/// `oneOf` constants): its first one. `None` for free-form fields.
pub fn allowed_value_at(path: &FieldPath) -> Option<Value> {
    let node = node_at(path)?;
    let first_of_enum = |node: &Value| node.get("enum").and_then(|e| e.get(0)).cloned();
    first_of_enum(node).or_else(|| {
        let first = node.get("oneOf")?.get(0)?;
        first.get("const").cloned().or_else(|| first_of_enum(first))
    })
}

/// What a number at `path` must be, for a hint: the field's allowed values or range.
pub fn number_hint(path: &FieldPath) -> Option<String> {
    if path.to_string() == "spec.tls.privateKey.size" {
        return Some(crate::environment::KeyAlgorithm::SIZES_HINT.to_string());
    }
    let (minimum, maximum) = range_of(node_at(path)?);
    let range = match (minimum, maximum) {
        (Some(min), Some(max)) => format!("between {min} and {max}"),
        (Some(min), None) => format!("of at least {min}"),
        (None, Some(max)) => format!("of at most {max}"),
        (None, None) => return None,
    };
    Some(format!("use a whole number {range}"))
}

/// The minimum and maximum a schema allows; unsigned widths (`format: uint32`) are ranges.
fn range_of(schema: &Value) -> (Option<f64>, Option<f64>) {
    let format_maximum = match schema.get("format").and_then(Value::as_str) {
        Some("uint8") => Some(f64::from(u8::MAX)),
        Some("uint16") => Some(f64::from(u16::MAX)),
        Some("uint32") => Some(f64::from(u32::MAX)),
        _ => None,
    };
    let minimum = schema.get("minimum").and_then(Value::as_f64);
    let maximum = schema
        .get("maximum")
        .and_then(Value::as_f64)
        .or(format_maximum);
    (minimum, maximum)
}

/// The JSON types the schema allows at `path` (empty when the path is unknown).
pub fn types_at(path: &FieldPath) -> Vec<&'static str> {
    let Some(node) = node_at(path) else {
        return Vec::new();
    };
    match node.get("type") {
        Some(Value::String(single)) => vec![single.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ if node.get("oneOf").is_some() || node.get("enum").is_some() => vec!["string"],
        _ => Vec::new(),
    }
}

/// For `Option<T>` fields (`anyOf: [T, null]`), the `T` alternative.
fn non_null_alternative(schema: &Value) -> &Value {
    schema
        .get("anyOf")
        .and_then(Value::as_array)
        .and_then(|alternatives| {
            alternatives
                .iter()
                .find(|a| a.get("type") != Some(&Value::from("null")))
        })
        .unwrap_or(schema)
}

/// Problems worked out in full; past them only the count is printed anyway.
pub const DETAILED_PROBLEMS: usize = 100;

/// Which checks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// The document may leave fields out (an environment file before merging).
    Partial,
    /// Every required field must be present (the merged environment).
    Complete,
}

/// What [`check_document`] found.
#[derive(Debug, Default)]
pub struct ShapeCheck {
    /// Every problem, in document order.
    pub findings: Vec<Finding>,
    /// A list or mapping holds more entries than the schema allows: the document is not
    /// worth typing or checking further (it may be a hostile file built to be slow).
    pub oversized: bool,
    /// The likely intent behind a misspelt key or value (its "did you mean"), so that the
    /// rest of the document can be checked as if it were fixed.
    pub suggestions: Vec<(FieldPath, Suggestion)>,
}

/// What a misspelt field most likely meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    /// The key, spelt as the schema knows it (`nam` → `name`).
    Key(String),
    /// An allowed value (`clusterissuer` → `ClusterIssuer`).
    Value(String),
}

/// Checks `document` against the environment schema, or against its `spec` when
/// `spec_only` (base defaults hold only a spec).
pub fn check_document(
    document: &Value,
    root: &FieldPath,
    spec_only: bool,
    completeness: Completeness,
) -> ShapeCheck {
    let schema = environment_schema();
    let start = if spec_only {
        resolve(schema, &schema["properties"]["spec"])
    } else {
        schema
    };
    let mut walker = Walker {
        root: schema,
        completeness,
        issues: Vec::new(),
        oversized: false,
        suggestions: Vec::new(),
    };
    walker.check(document, start, root);
    ShapeCheck {
        findings: walker.issues,
        oversized: walker.oversized,
        suggestions: walker.suggestions,
    }
}

struct Walker<'a> {
    root: &'a Value,
    completeness: Completeness,
    issues: Vec<Finding>,
    oversized: bool,
    suggestions: Vec<(FieldPath, Suggestion)>,
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            resolve(root, &root["$defs"][name])
        }
        None => schema,
    }
}

impl Walker<'_> {
    fn report(&mut self, path: &FieldPath, message: String, hint: Option<String>) {
        self.issues.push(Finding {
            hint,
            ..Finding::error(path.clone(), message)
        });
    }

    fn check(&mut self, value: &Value, schema: &Value, path: &FieldPath) {
        let schema = resolve(self.root, schema);
        if let Some(alternatives) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
        {
            self.check_alternatives(value, alternatives, path);
            return;
        }
        if !self.check_type(value, schema, path) {
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            self.check_enum(value, allowed, path);
        }
        self.check_range(value, schema, path);
        if !self.check_size(value, schema, path) {
            return;
        }
        match value {
            Value::Object(map) => self.check_object(map, schema, path),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (index, item) in items.iter().enumerate() {
                        self.check(item, item_schema, &path.index(index));
                    }
                }
            }
            _ => {}
        }
    }

    fn check_alternatives(&mut self, value: &Value, alternatives: &[Value], path: &FieldPath) {
        let resolved: Vec<&Value> = alternatives.iter().map(|a| resolve(self.root, a)).collect();
        // Unit enums with documented variants come out as one `const` per variant.
        let constants: Vec<Value> = resolved
            .iter()
            .filter_map(|alternative| alternative.get("const").cloned())
            .collect();
        if constants.len() == resolved.len() {
            if !value.is_string() {
                let expected = "a string".to_string();
                self.report(
                    path,
                    format!("expected {expected}, found {}", describe(value)),
                    None,
                );
                return;
            }
            self.check_enum(value, &constants, path);
            return;
        }
        let non_null: Vec<&Value> = resolved
            .into_iter()
            .filter(|alternative| alternative.get("type") != Some(&Value::from("null")))
            .collect();
        if value.is_null() && non_null.len() < alternatives.len() {
            return;
        }
        if let [only] = non_null.as_slice() {
            self.check(value, only, path);
        } else if !non_null.iter().any(|alternative| {
            let mut probe = Walker {
                root: self.root,
                completeness: self.completeness,
                issues: Vec::new(),
                oversized: false,
                suggestions: Vec::new(),
            };
            probe.check(value, alternative, path);
            probe.issues.is_empty()
        }) {
            self.report(
                path,
                format!("{} is not allowed here", describe(value)),
                None,
            );
        }
    }

    /// Reports a type mismatch; returns whether the value has an acceptable type.
    fn check_type(&mut self, value: &Value, schema: &Value, path: &FieldPath) -> bool {
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(single)) => vec![single.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => return true,
        };
        if types.iter().any(|expected| has_type(value, expected)) {
            return true;
        }
        // A number too large for YAML's number types (`1e400`) arrives as text.
        if let Value::String(text) = value
            && types.contains(&"integer")
            && is_overflowing_number(text)
        {
            self.report(
                path,
                "the number is out of range: it is too large for any field".to_string(),
                number_hint(path),
            );
            return false;
        }
        let expected: Vec<&str> = types
            .iter()
            .filter(|t| **t != "null")
            .map(|t| article(t))
            .collect();
        self.report(
            path,
            format!(
                "expected {}, found {}",
                expected.join(" or "),
                describe(value)
            ),
            type_hint(value, &types, path),
        );
        false
    }

    fn check_enum(&mut self, value: &Value, allowed: &[Value], path: &FieldPath) {
        if allowed.contains(value) {
            return;
        }
        let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
        let given = value.as_str().unwrap_or_default();
        let hint = match closest(given, &names) {
            Some(best) => {
                self.suggestions
                    .push((path.clone(), Suggestion::Value(best.to_string())));
                format!("did you mean `{best}`?")
            }
            None => format!("expected one of: {}", names.join(", ")),
        };
        let shown = format!("`{}`", crate::quote::shorten(given));
        self.report(path, format!("{shown} is not an allowed value"), Some(hint));
    }

    fn check_range(&mut self, value: &Value, schema: &Value, path: &FieldPath) {
        let Some(number) = value.as_f64() else {
            return;
        };
        let (minimum, maximum) = range_of(schema);
        let out_of_range =
            minimum.is_some_and(|min| number < min) || maximum.is_some_and(|max| number > max);
        if out_of_range {
            self.report(path, format!("{value} is out of range"), number_hint(path));
        }
    }

    /// Reports a list or mapping with more entries than the schema's `maxItems` or
    /// `maxProperties`; returns whether the walk may look inside (an oversized collection
    /// is not walked entry by entry).
    fn check_size(&mut self, value: &Value, schema: &Value, path: &FieldPath) -> bool {
        let (count, limit, noun) = match value {
            Value::Array(items) => (items.len(), schema.get("maxItems"), "entries"),
            Value::Object(map) => (map.len(), schema.get("maxProperties"), "keys"),
            _ => return true,
        };
        let Some(limit) = limit.and_then(Value::as_u64) else {
            return true;
        };
        if count as u64 <= limit {
            return true;
        }
        self.oversized = true;
        self.report(
            path,
            format!("{count} {noun} are too many: at most {limit} are allowed"),
            Some(format!("remove entries until at most {limit} remain")),
        );
        false
    }

    fn check_object(
        &mut self,
        map: &serde_json::Map<String, Value>,
        schema: &Value,
        path: &FieldPath,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (key, item) in map {
            match properties.and_then(|props| props.get(key)) {
                Some(property) => self.check(item, property, &path.key(key)),
                None => match additional {
                    Some(Value::Bool(false)) => {
                        // Past the first problems only the count matters: no suggestion is
                        // worked out for a hostile file's ten-thousandth unknown key.
                        let hint = (self.issues.len() < DETAILED_PROBLEMS).then(|| {
                            let known: Vec<&str> = properties
                                .map(|props| props.keys().map(String::as_str).collect())
                                .unwrap_or_default();
                            match closest(key, &known) {
                                Some(best) => {
                                    self.suggestions
                                        .push((path.key(key), Suggestion::Key(best.to_string())));
                                    format!("did you mean `{best}`?")
                                }
                                None => format!("known fields here: {}", known.join(", ")),
                            }
                        });
                        self.report(
                            &path.key(key),
                            format!("unknown field `{}`", crate::quote::shorten(key)),
                            hint,
                        );
                    }
                    Some(item_schema @ Value::Object(_)) => {
                        self.check(item, item_schema, &path.key(key));
                    }
                    _ => {}
                },
            }
        }
        if self.completeness == Completeness::Complete
            && let Some(required) = schema.get("required").and_then(Value::as_array)
        {
            for name in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(name) {
                    self.report(
                        &path.key(name),
                        format!("required field `{name}` is missing"),
                        Some("set it in the environment file or in its base".to_string()),
                    );
                }
            }
        }
    }
}

fn has_type(value: &Value, expected: &str) -> bool {
    match expected {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

fn article(json_type: &str) -> &'static str {
    match json_type {
        "boolean" => "true or false",
        "integer" => "a whole number",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        _ => "a value",
    }
}

/// How a value reads in a message; never the value itself, which may be sensitive.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "true/false",
        Value::Number(number) if number.is_f64() => "a decimal number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn type_hint(value: &Value, expected: &[&str], path: &FieldPath) -> Option<String> {
    match (value, expected) {
        (Value::String(text), [.., "boolean"] | ["boolean", ..]) => Some(format!(
            "write true or false without quotes{}",
            if matches!(
                text.to_ascii_lowercase().as_str(),
                "yes" | "no" | "on" | "off"
            ) {
                "; `yes`, `no`, `on` and `off` are strings in YAML 1.2"
            } else {
                ""
            }
        )),
        (Value::String(_), ["integer"]) => Some("write the number without quotes".into()),
        (Value::Number(_), ["integer"]) => {
            number_hint(path).or_else(|| Some("write a whole number".into()))
        }
        (Value::Number(_), ["string"]) => Some("put the value in quotes".into()),
        (Value::Null, _) => Some("give a value, or remove the key to use the base's".into()),
        _ => None,
    }
}

/// Text that is a number but no finite one (`1e400`): YAML readers give it back as text.
fn is_overflowing_number(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-' | '_'))
        && text.parse::<f64>().is_ok_and(|number| !number.is_finite())
}

/// The known name closest to `given`, if any is close enough to be a likely typo.
pub fn closest<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    let given_lower = given.to_ascii_lowercase();
    known
        .iter()
        .map(|name| {
            let score = if name.to_ascii_lowercase() == given_lower {
                1.0
            } else {
                strsim::jaro_winkler(&given_lower, &name.to_ascii_lowercase())
            };
            (score, *name)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn issues(document: Value) -> Vec<String> {
        check_document(&document, &FieldPath::root(), false, Completeness::Partial)
            .findings
            .into_iter()
            .map(|issue| {
                format!(
                    "{}: {} ({})",
                    issue.path,
                    issue.message,
                    issue.hint.unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn reports_every_unknown_field_with_a_suggestion() {
        let found = issues(json!({
            "apiVersion": "stagehand/v1alpha1",
            "spec": { "hostnam": "x", "replica": 1 }
        }));
        assert_eq!(
            found,
            vec![
                "spec.hostnam: unknown field `hostnam` (did you mean `hostname`?)",
                "spec.replica: unknown field `replica` (did you mean `replicas`?)",
            ]
        );
    }

    #[test]
    fn reports_types_enums_and_ranges() {
        let found = issues(json!({
            "kind": "Enviroment",
            "spec": {
                "replicas": 500,
                "auth": { "guest": { "enabled": "yes" } },
                "tls": { "issuer": { "kind": "clusterissuer" } }
            }
        }));
        assert_eq!(
            found,
            vec![
                "kind: `Enviroment` is not an allowed value (did you mean `Environment`?)",
                "spec.replicas: 500 is out of range (use a whole number between 0 and 100)",
                "spec.auth.guest.enabled: expected true or false, found a string (write true or false without quotes; `yes`, `no`, `on` and `off` are strings in YAML 1.2)",
                "spec.tls.issuer.kind: `clusterissuer` is not an allowed value (did you mean `ClusterIssuer`?)",
            ]
        );
    }

    #[test]
    fn complete_documents_must_have_required_fields() {
        let found = check_document(
            &json!({ "apiVersion": "stagehand/v1alpha1", "kind": "Environment", "metadata": {} }),
            &FieldPath::root(),
            false,
            Completeness::Complete,
        )
        .findings;
        let paths: Vec<String> = found.iter().map(|issue| issue.path.to_string()).collect();
        assert_eq!(paths, vec!["metadata.name", "spec"]);
    }
}

//! The Helm values document: escaping for the chart's `tpl`, and carrying the values in
//! the ArgoCD Application.
//!
//! Chart 2.7.0 passes `backstage.appConfig`, `backstage.extraEnvVars`,
//! `backstage.initContainers` and the probes through Helm's `tpl`, so a `{{` in, say, the app title would
//! be evaluated by Helm. Every `{{` in those subtrees is rewritten to `{{ "{{" }}`, which
//! `tpl` turns back into `{{`. It runs once, on the final values, after all patches.

use serde_json::{Map, Value};

/// The parts of the values the chart renders through `tpl`.
pub const TPL_RENDERED: [&str; 6] = [
    "/backstage/appConfig",
    "/backstage/extraEnvVars",
    "/backstage/initContainers",
    "/backstage/readinessProbe",
    "/backstage/livenessProbe",
    "/backstage/startupProbe",
];

/// Where the Application carries the values.
pub const VALUES_OBJECT: &str = "/spec/source/helm/valuesObject";

/// Escapes `{{` in every string (and key) the chart passes through `tpl`.
pub fn escape_for_tpl(values: &mut Value) {
    for pointer in TPL_RENDERED {
        if let Some(subtree) = values.pointer_mut(pointer) {
            escape_value(subtree);
        }
    }
}

fn escape_text(text: &str) -> String {
    text.replace("{{", "{{ \"{{\" }}")
}

/// Whether `text` holds a `{{` (a search for the byte first: almost no text has a brace).
fn has_braces(text: &str) -> bool {
    text.contains('{') && text.contains("{{")
}

fn escape_value(value: &mut Value) {
    match value {
        Value::String(text) if has_braces(text) => *text = escape_text(text),
        Value::Array(items) => items.iter_mut().for_each(escape_value),
        // Keys are rewritten only when one needs it: rebuilding a map moves every entry.
        Value::Object(map) if !map.keys().any(|key| has_braces(key)) => {
            map.values_mut().for_each(escape_value);
        }
        Value::Object(map) => {
            let entries = std::mem::take(map);
            *map = entries
                .into_iter()
                .map(|(key, mut item)| {
                    escape_value(&mut item);
                    (escape_text(&key), item)
                })
                .collect::<Map<String, Value>>();
        }
        _ => {}
    }
}

/// Puts `values` into the Application; `false` when the Application has no
/// `spec.source.helm.valuesObject` to fill (a custom template left it out).
pub fn embed_values(application: &mut Value, values: Value) -> bool {
    match application.pointer_mut(VALUES_OBJECT) {
        Some(slot) => {
            *slot = values;
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_only_what_tpl_renders() {
        let mut values = json!({
            "backstage": {
                "appConfig": { "app": { "title": "a {{ .Values.x }} b" } },
                "image": { "tag": "{{ x }}" }
            }
        });
        escape_for_tpl(&mut values);
        assert_eq!(
            values["backstage"]["appConfig"]["app"]["title"],
            "a {{ \"{{\" }} .Values.x }} b"
        );
        assert_eq!(values["backstage"]["image"]["tag"], "{{ x }}");
    }

    #[test]
    fn escapes_keys_in_place_keeping_their_order() {
        let mut values = json!({
            "backstage": { "extraEnvVars": { "a": 1, "{{k}}": { "{{v}}": "{{w}}" }, "z": 2 } }
        });
        escape_for_tpl(&mut values);
        let expected =
            json!({ "a": 1, "{{ \"{{\" }}k}}": { "{{ \"{{\" }}v}}": "{{ \"{{\" }}w}}" }, "z": 2 });
        let escaped = &values["backstage"]["extraEnvVars"];
        assert_eq!(escaped, &expected);
        let keys: Vec<&String> = escaped.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "{{ \"{{\" }}k}}", "z"]);
    }
}

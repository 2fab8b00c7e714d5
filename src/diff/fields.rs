//! The changed fields of a document, dyff-style: each leaf that differs, by its dotted
//! path (`backstage.resources.limits.memory`), with its old and new value.
//!
//! Paths are spelt as `--ignore` matches them (keys joined by `.`, list items as `[i]`),
//! so a path from the report can be pasted into `--ignore`. Items of a list whose every
//! item has a unique `name` (containers, env, volumes) are paired by name, so inserting one
//! shows as one added item instead of every item after it changing; the path names the
//! item's index on the new side (the old side for a removed one).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Most field changes listed for one document; the rest are counted.
pub const MAX_FIELD_CHANGES: usize = 20;

/// Longest value shown, in characters; a longer one is cut with `…`.
const MAX_SHOWN_VALUE: usize = 60;

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// Dotted path, as `--ignore` matches it.
    pub path: String,
    /// The value before; absent when the field was added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The value after; absent when the field was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

impl FieldChange {
    /// `path: old → new`, each value on one line and cut at a readable length.
    pub fn line(&self) -> String {
        format!(
            "{}: {} → {}",
            self.path,
            shown(self.old.as_ref()),
            shown(self.new.as_ref())
        )
    }
}

/// A value as one short line: scalars as YAML writes them, strings quoted only when
/// they would read as something else, maps and lists as compact JSON.
pub fn shown(value: Option<&Value>) -> String {
    let text = match value {
        None => return "(absent)".into(),
        Some(Value::String(text)) if plain_string(text) => text.clone(),
        Some(other) => other.to_string(),
    };
    if text.chars().count() > MAX_SHOWN_VALUE {
        let cut: String = text.chars().take(MAX_SHOWN_VALUE - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Whether a string reads as itself unquoted: not empty, no control character, no
/// surrounding space, and not a word that would read as another type or as "absent".
fn plain_string(text: &str) -> bool {
    !text.is_empty()
        && text.trim() == text
        && !text.chars().any(char::is_control)
        && !text.contains(" → ")
        && text != "(absent)"
        && serde_json::from_str::<Value>(text).is_err()
}

/// Every leaf of `old` and `new` that differs, in document order (new side first).
pub fn field_changes(old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    walk(Some(old), Some(new), "", &mut changes);
    changes
}

fn walk(old: Option<&Value>, new: Option<&Value>, path: &str, out: &mut Vec<FieldChange>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            for (key, value) in after {
                walk(before.get(key), Some(value), &join(path, key), out);
            }
            for (key, value) in before.iter().filter(|(key, _)| !after.contains_key(*key)) {
                walk(Some(value), None, &join(path, key), out);
            }
        }
        (Some(Value::Array(before)), Some(Value::Array(after))) => {
            match (names(before), names(after)) {
                (Some(old_names), Some(new_names)) => {
                    for (index, item) in after.iter().enumerate() {
                        let paired = item_name(item).and_then(|name| old_names.get(name));
                        let earlier = paired.map(|&i| &before[i]);
                        walk(earlier, Some(item), &format!("{path}[{index}]"), out);
                    }
                    for (index, item) in before.iter().enumerate() {
                        if item_name(item).is_some_and(|name| !new_names.contains_key(name)) {
                            walk(Some(item), None, &format!("{path}[{index}]"), out);
                        }
                    }
                }
                _ => {
                    for index in 0..before.len().max(after.len()) {
                        walk(
                            before.get(index),
                            after.get(index),
                            &format!("{path}[{index}]"),
                            out,
                        );
                    }
                }
            }
        }
        _ => out.push(FieldChange {
            path: if path.is_empty() {
                ".".into()
            } else {
                path.into()
            },
            old: old.cloned(),
            new: new.cloned(),
        }),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn item_name(item: &Value) -> Option<&str> {
    item.get("name")?.as_str()
}

/// Each item's index by its `name`, when every item has a unique one.
fn names(items: &[Value]) -> Option<BTreeMap<&str, usize>> {
    let mut by_name = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        if by_name.insert(item_name(item)?, index).is_some() {
            return None;
        }
    }
    (!by_name.is_empty()).then_some(by_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(old: &Value, new: &Value) -> Vec<String> {
        field_changes(old, new)
            .iter()
            .map(FieldChange::line)
            .collect()
    }

    #[test]
    fn leaves_by_dotted_path_with_old_and_new() {
        let old = json!({"backstage": {"resources": {"limits": {"memory": "1Gi", "cpu": "1"}}},
                         "gone": true});
        let new = json!({"backstage": {"resources": {"limits": {"memory": "2Gi", "cpu": "1"}}},
                         "added": [1, 2]});
        assert_eq!(
            lines(&old, &new),
            [
                "backstage.resources.limits.memory: 1Gi → 2Gi",
                "added: (absent) → [1,2]",
                "gone: true → (absent)",
            ]
        );
    }

    #[test]
    fn named_items_pair_by_name_and_others_by_index() {
        let old = json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                         "args": ["x", "y"]});
        let new = json!({"env": [{"name": "NEW", "value": "0"}, {"name": "A", "value": "1"},
                                 {"name": "B", "value": "3"}],
                         "args": ["x", "z"]});
        assert_eq!(
            lines(&old, &new),
            [
                r#"env[0]: (absent) → {"name":"NEW","value":"0"}"#,
                r#"env[2].value: "2" → "3""#,
                "args[1]: y → z",
            ]
        );
    }

    #[test]
    fn values_that_would_read_as_another_type_are_quoted_and_long_ones_cut() {
        assert_eq!(shown(Some(&json!("true"))), r#""true""#);
        assert_eq!(shown(Some(&json!(""))), r#""""#);
        assert_eq!(shown(Some(&json!("a\nb"))), r#""a\nb""#);
        assert_eq!(shown(Some(&json!(3))), "3");
        let long = shown(Some(&json!("x".repeat(200))));
        assert_eq!(long.chars().count(), MAX_SHOWN_VALUE);
        assert!(long.ends_with('…'));
    }
}

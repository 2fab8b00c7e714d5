//! The patch stage: the environment's RFC 6902 operations applied to rendered documents.
//!
//! A patch names its target by kind (and optionally name). A target that matches nothing,
//! an operation whose path does not exist and a failing `test` are errors naming the patch
//! by index, never silently skipped: a patch that stops applying must be noticed.

use json_patch::PatchOperation;
use serde_json::Value;

use crate::artifacts::ARTIFACTS;
use crate::environment::{PatchSet, TargetKind};
use crate::error::Finding;
use crate::field_path::FieldPath;

/// The name patches use for the Helm values document.
pub const HELM_VALUES_NAME: &str = "values";

/// Applies, in order, the patch sets whose target kind is in `kinds` to `documents`
/// (one per entry of [`ARTIFACTS`]); returns a finding per patch that does not apply.
pub fn apply_patches(
    patches: &[PatchSet],
    kinds: &[TargetKind],
    documents: &mut [Value],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, set) in patches.iter().enumerate() {
        if !kinds.contains(&set.target.kind) {
            continue;
        }
        let at = FieldPath::root().key("patches").index(index);
        let Some(slot) = ARTIFACTS.iter().position(|a| a.target == set.target.kind) else {
            continue;
        };
        let document = &mut documents[slot];
        if document.is_null() {
            findings.push(
                Finding::error(
                    at.key("target").key("kind"),
                    format!("no {:?} is rendered", set.target.kind),
                )
                .with_hint(
                    "spec.database.secret is external: remove this patch, or set it to sealed",
                ),
            );
            continue;
        }
        let actual_name = match set.target.kind {
            TargetKind::HelmValues => HELM_VALUES_NAME.to_string(),
            _ => document["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        if let Some(wanted) = &set.target.name
            && *wanted != actual_name
        {
            findings.push(
                Finding::error(
                    at.key("target").key("name"),
                    format!("no rendered {:?} is named `{wanted}`", set.target.kind),
                )
                .with_hint(format!(
                    "the {:?} is named `{actual_name}`",
                    set.target.kind
                )),
            );
            continue;
        }
        let mut operations = Vec::with_capacity(set.ops.len());
        for (op_index, op) in set.ops.iter().enumerate() {
            match serde_json::from_value::<PatchOperation>(op.clone()) {
                Ok(operation) => operations.push(operation),
                Err(error) => findings.push(
                    Finding::error(
                        at.key("ops").index(op_index),
                        format!("not an RFC 6902 operation: {error}"),
                    )
                    .with_hint(
                        "write {op: add|remove|replace|move|copy|test, path: /a/b, value: ...}",
                    ),
                ),
            }
        }
        if operations.len() != set.ops.len() {
            continue;
        }
        let before = document.clone();
        if let Err(error) = json_patch::patch(document, &operations) {
            let op_path = at.key("ops").index(error.operation);
            let pointer = error.path.to_string();
            // What the failing operation saw: the document after the operations before it.
            let mut seen = before;
            let _ = json_patch::patch(&mut seen, &operations[..error.operation]);
            let hint = match error.kind {
                json_patch::PatchErrorKind::InvalidPointer => path_hint(&seen, &pointer),
                _ => None,
            };
            findings.push(
                Finding::error(
                    op_path,
                    format!(
                        "`{}` at `{}` cannot be applied to the {:?} `{actual_name}`: {}",
                        operation_name(&operations[error.operation]),
                        pointer,
                        set.target.kind,
                        describe_failure(&error.kind)
                    ),
                )
                .with_hint(hint.unwrap_or_else(|| {
                    "compare the path with the output of `stagehand render --out-dir DIR`".into()
                })),
            );
        }
    }
    findings
}

/// Where a JSON pointer leaves `document`, and what was probably meant: the first
/// segment that is not there, with the closest key of the mapping it was looked up in
/// (`/spec/rule/0/host` → did you mean `/spec/rules/0/host`?), or the list's size.
fn path_hint(document: &Value, pointer: &str) -> Option<String> {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let escape = |s: &str| s.replace('~', "~0").replace('/', "~1");
    let mut at = document;
    for (depth, segment) in segments.iter().enumerate() {
        let parent: String = segments[..depth]
            .iter()
            .map(|s| format!("/{}", escape(s)))
            .collect();
        let shown_parent = if parent.is_empty() { "/" } else { &parent };
        match at {
            Value::Object(map) => match map.get(segment) {
                Some(next) => at = next,
                None => {
                    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                    return Some(match crate::shape::closest(segment, &keys) {
                        Some(best) => {
                            let rest: String = segments[depth + 1..]
                                .iter()
                                .map(|s| format!("/{}", escape(s)))
                                .collect();
                            format!(
                                "`{}` is not in `{shown_parent}`: did you mean `{parent}/{}{rest}`?",
                                crate::quote::shorten(segment),
                                escape(best)
                            )
                        }
                        None => format!(
                            "`{}` is not in `{shown_parent}`, which holds: {}",
                            crate::quote::shorten(segment),
                            keys.join(", ")
                        ),
                    });
                }
            },
            Value::Array(items) => match segment.parse::<usize>() {
                Ok(index) if index < items.len() => at = &items[index],
                _ => {
                    return Some(format!(
                        "`{shown_parent}` is a list of {} item(s): use an index from 0 to {} \
                         (or `-` to add at the end)",
                        items.len(),
                        items.len().saturating_sub(1)
                    ));
                }
            },
            _ => {
                return Some(format!(
                    "`{shown_parent}` holds a single value, not a mapping or a list"
                ));
            }
        }
    }
    None
}

fn operation_name(operation: &PatchOperation) -> &'static str {
    match operation {
        PatchOperation::Add(_) => "add",
        PatchOperation::Remove(_) => "remove",
        PatchOperation::Replace(_) => "replace",
        PatchOperation::Move(_) => "move",
        PatchOperation::Copy(_) => "copy",
        PatchOperation::Test(_) => "test",
    }
}

fn describe_failure(kind: &json_patch::PatchErrorKind) -> String {
    use json_patch::PatchErrorKind;
    match kind {
        PatchErrorKind::TestFailed => "the test failed: the value there differs".to_string(),
        PatchErrorKind::InvalidPointer => "the path does not exist".to_string(),
        PatchErrorKind::InvalidFromPointer => "the `from` path does not exist".to_string(),
        other => other.to_string(),
    }
}

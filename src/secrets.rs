//! Keeps secret values out of environment files (and so out of git and the output).
//!
//! A field whose name looks like a credential (`password`, `token`, `apiKey`...) holding a
//! literal value, or any value that looks like key material, is refused. The one place a
//! secret may be named is by reference: `spec.database.secretName`, and the sealed
//! (kubeseal-encrypted, safe to commit) `spec.database.encryptedData`. Messages never
//! repeat the offending value.

use serde_json::Value;

use crate::error::Finding;
use crate::field_path::{FieldPath, Segment};
use crate::overlay::OverrideSource;

/// Where secrets belong instead; part of every refusal.
pub const WHERE_SECRETS_BELONG: &str = "secrets belong in a Secret, referenced by name: seal the \
Postgres passwords into spec.database.encryptedData with `stagehand seal` — the README shows how";

/// The finding for a secret at `path`, worded for where it was given: the environment
/// file (`None`), `--set`, or an ArgoCD parameter.
pub fn refusal(path: FieldPath, source: Option<&OverrideSource>) -> Finding {
    match source {
        None => Finding::error(
            path,
            "looks like a secret value, which must not be in the environment file",
        )
        .with_hint(WHERE_SECRETS_BELONG),
        Some(OverrideSource::CommandLine) => Finding::error(
            path,
            "looks like a secret value, which must not be given with --set (shell history, CI logs)",
        )
        .with_hint(WHERE_SECRETS_BELONG),
        Some(OverrideSource::Parameter(_)) => Finding::error(
            path,
            "looks like a secret value: an Application's parameters are stored in the Application, \
             readable by anyone who can read it",
        )
        .with_hint(
            "keep secrets out of parameters: seal the Postgres passwords into \
             spec.database.encryptedData with `stagehand seal`",
        ),
    }
}

/// Name fragments that mark a credential (compared lower case, without `-` and `_`).
const SECRET_NAME_FRAGMENTS: [&str; 9] = [
    "password",
    "passwd",
    "token",
    "apikey",
    "privatekey",
    "clientsecret",
    "secretkey",
    "accesskey",
    "credential",
];

/// Fields that hold sealed data, not secrets (`spec.database.encryptedData` and below).
fn is_allowed_reference(path: &FieldPath) -> bool {
    const SEALED: [&str; 3] = ["spec", "database", "encryptedData"];
    path.segments().len() >= SEALED.len()
        && path
            .segments()
            .iter()
            .zip(SEALED)
            .all(|(segment, key)| matches!(segment, Segment::Key(k) if k == key))
}

/// `spec.database.secret` names where the Secret comes from (`sealed` or `external`);
/// anything else there is treated as a literal secret.
fn is_secret_source(path: &FieldPath, value: &Value) -> bool {
    let is_field = path.segments().len() == 3
        && path
            .segments()
            .iter()
            .zip(["spec", "database", "secret"])
            .all(|(segment, key)| matches!(segment, Segment::Key(k) if k == key));
    is_field && matches!(value.as_str(), Some("sealed" | "external"))
}

/// Whether a field name looks like it holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    let normalized: String = name
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    normalized == "secret" || SECRET_NAME_FRAGMENTS.iter().any(|f| normalized.contains(f))
}

/// Prefixes of access tokens whose format announces them (GitHub, GitLab, Slack, AWS,
/// Stripe, OpenAI-style keys).
const TOKEN_PREFIXES: [&str; 9] = [
    "ghp_",
    "gho_",
    "ghs_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "sk_live_",
    "sk-proj-",
];

/// Key material or an access token, recognised by its content whatever field holds it.
fn looks_like_key_material(text: &str) -> bool {
    let trimmed = text.trim();
    let aws_key_id = trimmed.len() == 20
        && trimmed.starts_with("AKIA")
        && trimmed
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    (text.contains("-----BEGIN") && text.contains("PRIVATE KEY"))
        || aws_key_id
        || TOKEN_PREFIXES
            .iter()
            .any(|prefix| trimmed.starts_with(prefix) && trimmed.len() >= prefix.len() + 16)
}

/// Paths of every literal secret in `document`, in document order.
pub fn find_literal_secrets(document: &Value, path: &FieldPath) -> Vec<FieldPath> {
    let mut found = Vec::new();
    let mut at = path.clone();
    walk(document, &mut at, &mut found);
    found
}

/// Walks with one path, pushed and popped; a path is cloned only for a finding.
fn walk(value: &Value, path: &mut FieldPath, found: &mut Vec<FieldPath>) {
    if is_allowed_reference(path) {
        return;
    }
    match value {
        Value::Object(map) => {
            // A JSON-patch operation names its field in `path`: `{path: /x/password, value: ...}`.
            let patched_name = map
                .get("path")
                .and_then(Value::as_str)
                .and_then(|pointer| pointer.rsplit('/').next());
            if let (Some(name), Some(Value::String(_) | Value::Number(_))) =
                (patched_name, map.get("value"))
                && is_secret_name(name)
            {
                found.push(path.key("value"));
                return;
            }
            for (key, item) in map {
                path.push(Segment::Key(key.clone()));
                let literal = matches!(item, Value::String(_) | Value::Number(_));
                if literal
                    && is_secret_name(key)
                    && !is_allowed_reference(path)
                    && !is_secret_source(path, item)
                {
                    found.push(path.clone());
                } else {
                    walk(item, path, found);
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                walk(item, path, found);
                path.pop();
            }
        }
        Value::String(text) if looks_like_key_material(text) => found.push(path.clone()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_credentials_by_name_and_key_material_by_content() {
        let document = json!({
            "spec": {
                "database": {
                    "password": "hunter2",
                    "secretName": "backstage-postgres-secret",
                    "encryptedData": { "password": "AgBy3i4OJSWK+PiTySYZZA==" }
                },
                "ingress": { "annotations": {
                    "example.com/api-token": "abc",
                    "example.com/cert": "-----BEGIN PRIVATE KEY-----\nMII"
                }},
                "tls": { "privateKey": { "algorithm": "ECDSA", "size": 256 } }
            }
        });
        let found: Vec<String> = find_literal_secrets(&document, &FieldPath::root())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            vec![
                "spec.database.password",
                "spec.ingress.annotations[\"example.com/api-token\"]",
                "spec.ingress.annotations[\"example.com/cert\"]",
            ]
        );
    }
}

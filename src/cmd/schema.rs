//! `stagehand schema`: the environment file's JSON Schema, for editors.
//!
//! It is the schema stagehand itself checks files against, except that a field the
//! built-in base provides is optional in a file (the file is merged onto the base).

use std::process::ExitCode;

use serde_json::Value;

use crate::base::Base;
use crate::error::Result;
use crate::shape::derived_schema;

/// Examples shown by `stagehand schema --help`.
pub const EXAMPLES: &str = "Example:\n  stagehand schema > environment.schema.json\n  \
    then start environment files with:\n  \
    # yaml-language-server: $schema=environment.schema.json";

/// Arguments of `schema` (none).
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {}

/// Runs `schema`: prints the schema derived from the environment's types, which a test
/// keeps equal to the committed `environment.schema.json` (so regenerating it is
/// `stagehand schema > environment.schema.json`, whatever the committed file holds).
pub fn run(_args: &SchemaArgs) -> Result<ExitCode> {
    crate::cmd::write_stdout(&published_schema_text()?)?;
    Ok(ExitCode::SUCCESS)
}

/// The published schema as text, exactly as `environment.schema.json` must hold it.
pub fn published_schema_text() -> Result<String> {
    let mut text = serde_json::to_string_pretty(&published_schema()?).unwrap_or_default();
    text.push('\n');
    Ok(text)
}

/// The schema of an environment file written against the built-in base.
pub fn published_schema() -> Result<Value> {
    let mut schema = derived_schema();
    let defaults = Base::embedded().defaults.parse_mapping()?;
    if let Some(spec) = schema.pointer_mut("/properties/spec") {
        relax_required(spec, &defaults["spec"]);
    }
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".into(),
            Value::from("https://stagehand.dev/schemas/environment-v1alpha1.json"),
        );
    }
    Ok(schema)
}

/// Drops from each `required` list the fields `defaults` provides, recursively.
fn relax_required(schema: &mut Value, defaults: &Value) {
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|name| name.as_str().is_none_or(|n| defaults.get(n).is_none()));
    }
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            if let Some(provided) = defaults.get(name) {
                relax_required(property, provided);
            }
        }
    }
}

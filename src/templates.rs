//! The render stage: the base's minijinja templates applied to the derived context.
//!
//! The environment is strict (an undefined variable is an error, not an empty string) and
//! has no loader: templates are handed in as text by [`crate::base`], which confines them
//! to the repository, so a template can neither include files nor read the process
//! environment. The `yaml` filter is the only way values reach the output. The built-in
//! templates are compiled once per process; a base folder's are compiled per render.

use std::sync::OnceLock;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::base::{Base, built_in_templates};
use crate::context::TemplateContext;
use crate::error::{Error, Origin, Problem, Result};

/// Instructions one template may execute. The built-in templates use about 1,000; a
/// custom template that loops far beyond that fails instead of hanging the repo-server.
pub const TEMPLATE_FUEL: u64 = 1_000_000;

/// The context as the templates see it (converted once per render).
pub fn context_value(context: &TemplateContext) -> Value {
    Value::from(minijinja::value::Serde(context))
}

/// Renders the template `name` of `base` with `context` (from [`context_value`]).
pub fn render_template(base: &Base, name: &str, context: &Value) -> Result<String> {
    let (display, source) = base.template(name);
    let template_error = |error: minijinja::Error| {
        let mut message = error.kind().to_string();
        if let Some(detail) = error.detail() {
            message = format!("{message}: {detail}");
        }
        Error::problem(
            Problem::error(Origin::new(display, error.line()), None, message)
                .with_hint("fix the template, or remove it from the base to use the built-in one"),
        )
    };
    if base.is_built_in_template(name) {
        let template = built_in_environment()
            .get_template(name)
            .map_err(template_error)?;
        return template.render(context).map_err(template_error);
    }
    let mut environment = configured_environment();
    environment
        .add_template(name, source)
        .map_err(template_error)?;
    let template = environment.get_template(name).map_err(template_error)?;
    template.render(context).map_err(template_error)
}

/// The built-in templates, compiled on first use.
fn built_in_environment() -> &'static Environment<'static> {
    static BUILT_IN: OnceLock<Environment<'static>> = OnceLock::new();
    BUILT_IN.get_or_init(|| {
        let mut environment = configured_environment();
        for (name, source) in built_in_templates() {
            // A syntax error here is caught by the tests; `get_template` reports it anyway.
            let _ = environment.add_template(name, source);
        }
        environment
    })
}

/// Strict undefined, limits against runaway templates, block-friendly whitespace, `yaml`.
fn configured_environment() -> Environment<'static> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_recursion_limit(64);
    environment.set_fuel(Some(TEMPLATE_FUEL));
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        environment.set_syntax(syntax);
    }
    environment.add_filter("yaml", yaml_filter);
    environment
}

/// `{{ value | yaml }}`: the value as JSON, which YAML reads as exactly that value.
fn yaml_filter(value: &Value) -> std::result::Result<String, minijinja::Error> {
    serde_json::to_string(value).map_err(|error| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, error.to_string())
    })
}

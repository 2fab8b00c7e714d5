//! The render stage: the base's minijinja templates applied to the derived context.
//!
//! The environment is strict (an undefined variable is an error, not an empty string) and
//! has no loader: templates are handed in as text by [`crate::base`], which confines them
//! to the repository, so a template can neither include files nor read the process
//! environment. The `yaml` filter is the only way values reach the output.

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::base::Base;
use crate::context::TemplateContext;
use crate::error::{Error, Origin, Problem, Result};

/// Instructions one template may execute. The built-in templates use about 1,000; a
/// custom template that loops far beyond that fails instead of hanging the repo-server.
pub const TEMPLATE_FUEL: u64 = 1_000_000;

/// Renders the template `name` of `base` with `context`.
pub fn render_template(base: &Base, name: &str, context: &TemplateContext) -> Result<String> {
    let (display, source) = base.template(name);
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    // Limits keep a hostile custom template from looping or recursing for long.
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
    environment
        .add_template(name, source)
        .map_err(template_error)?;
    let template = environment.get_template(name).map_err(template_error)?;
    template
        .render(Value::from(minijinja::value::Serde(context)))
        .map_err(template_error)
}

/// `{{ value | yaml }}`: the value as JSON, which YAML reads as exactly that value.
fn yaml_filter(value: &Value) -> std::result::Result<String, minijinja::Error> {
    serde_json::to_string(value).map_err(|error| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, error.to_string())
    })
}

//! The render stage: the base's minijinja templates applied to the derived context.
//!
//! The environment is strict (an undefined variable is an error, not an empty string) and
//! has no loader: templates are handed in as text by [`crate::base`], which confines them
//! to the repository, so a template can neither include files nor read the process
//! environment. The built-in templates are compiled once per process; a base folder's are
//! compiled per render.
//!
//! The `yaml` filter is the only way values reach the output, and they never reach it as
//! text: the filter sets the value aside and writes a placeholder scalar. The template's
//! output is then only the skeleton the template author wrote (a few dozen lines), which
//! is parsed and has each placeholder replaced by its value. A value (a list of twenty
//! thousand catalog locations, a hostile title) is never printed and read back, so it can
//! neither change the structure nor cost a second parse.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::base::{Base, built_in_templates};
use crate::context::TemplateContext;
use crate::error::{Error, Origin, Problem, Result};
use crate::yaml::{ReadError, parse_rendered};

/// Instructions one template may execute. The built-in templates use about 1,000; a
/// custom template that loops far beyond that fails instead of hanging the repo-server.
pub const TEMPLATE_FUEL: u64 = 1_000_000;

/// The context as the templates see it (converted once per render).
pub fn context_value(context: &TemplateContext) -> Value {
    Value::from(minijinja::value::Serde(context))
}

/// What a template rendered: its skeleton text, holding placeholders, and the values the
/// placeholders stand for.
#[derive(Debug)]
pub struct RenderedTemplate {
    /// The template's output.
    pub text: String,
    /// The values set aside by the `yaml` filter, by placeholder number.
    pub values: Vec<serde_json::Value>,
}

/// The start of a placeholder scalar: a control character no template writes by mistake,
/// followed by the value's number. Kept short: every byte of template output is parsed.
const PLACEHOLDER: char = '\u{1f}';

thread_local! {
    /// The values the `yaml` filter sets aside during one render on this thread.
    static SET_ASIDE: std::cell::RefCell<Vec<serde_json::Value>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Renders the template `name` of `base` with `context` (from [`context_value`]).
pub fn render_template(base: &Base, name: &str, context: &Value) -> Result<RenderedTemplate> {
    SET_ASIDE.with(|values| values.borrow_mut().clear());
    let text = render_text(base, name, context)?;
    let values = SET_ASIDE.with(|values| std::mem::take(&mut *values.borrow_mut()));
    Ok(RenderedTemplate { text, values })
}

/// Parsed skeletons, shared by the renders of one run over many environments (`render`,
/// `validate`, `diff`): environments on the same base mostly render the same skeleton
/// text, which is then parsed once and copied for each. A single render does without.
/// Without the cache, 1,000 environments into an out-dir on tmpfs took 1.24 times as long
/// (554 against 447 ms, 11 interleaved runs of `dist` builds, `python3 bench/compare.py
/// --many`, 2026-12-06).
#[derive(Debug, Default)]
pub struct SkeletonCache {
    parsed: Mutex<HashMap<String, Arc<serde_json::Value>>>,
}

/// The most skeletons a run keeps: every branch of the built-in templates on a few bases.
/// Past it (a custom template whose skeleton differs per environment, a loop over its
/// items), skeletons are parsed each time, as without a cache.
const SKELETONS_KEPT: usize = 64;
/// The longest skeleton a run keeps (the built-in ones are under 2 KiB).
const SKELETON_LENGTH_KEPT: usize = 16 * 1024;

impl SkeletonCache {
    /// The skeleton `text` parsed: copied when this run parsed the same text before.
    fn parse(&self, text: &str) -> std::result::Result<serde_json::Value, ReadError> {
        let known = self.locked().get(text).cloned();
        if let Some(document) = known {
            return Ok(serde_json::Value::clone(&document));
        }
        let document = parse_rendered(text)?;
        let mut parsed = self.locked();
        if parsed.len() < SKELETONS_KEPT && text.len() <= SKELETON_LENGTH_KEPT {
            parsed.insert(text.to_owned(), Arc::new(document.clone()));
        }
        Ok(document)
    }

    /// The map; a thread that panicked while holding it cannot have left it half-written
    /// (an insert either happened or not), so a poisoned lock is used as it is.
    fn locked(&self) -> MutexGuard<'_, HashMap<String, Arc<serde_json::Value>>> {
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The rendered template as a document: the skeleton parsed (or copied from `skeletons`),
/// each placeholder replaced by its value (moved, not copied). `display` names the
/// template in errors.
pub fn into_document(
    rendered: RenderedTemplate,
    display: &str,
    skeletons: Option<&SkeletonCache>,
) -> Result<serde_json::Value> {
    let refuse = |message: String, hint: &str| {
        Error::problem(Problem::error(Origin::new(display, None), None, message).with_hint(hint))
    };
    let parsed = match skeletons {
        Some(skeletons) => skeletons.parse(&rendered.text),
        None => parse_rendered(&rendered.text),
    };
    let mut document = parsed.map_err(|error| {
        refuse(
            format!("the template's output is not valid YAML: {}", error.message),
            error
                .hint
                .as_deref()
                .unwrap_or("every value must go through the `yaml` filter, as a whole value"),
        )
    })?;
    let mut values = rendered.values;
    fill(&mut document, &mut values).map_err(|why| {
        refuse(
            why,
            "write `{{ value | yaml }}` as a whole value, not inside other text",
        )
    })?;
    if !document.is_object() {
        return Err(refuse(
            "the template's output is not a YAML mapping".to_string(),
            "a template renders one mapping: the object or the values",
        ));
    }
    Ok(document)
}

/// Replaces every placeholder in `document` by its value.
fn fill(
    document: &mut serde_json::Value,
    values: &mut [serde_json::Value],
) -> std::result::Result<(), String> {
    use serde_json::Value as Json;
    match document {
        Json::String(text) if text.contains(PLACEHOLDER) => {
            *document = take_value(text, values)?;
        }
        Json::Array(items) => {
            for item in items {
                fill(item, values)?;
            }
        }
        Json::Object(map) => {
            if map.keys().any(|key| key.contains(PLACEHOLDER)) {
                let entries = std::mem::take(map);
                for (key, value) in entries {
                    let key = if key.contains(PLACEHOLDER) {
                        match take_value(&key, values)? {
                            Json::String(text) => text,
                            _ => return Err("a `yaml` value used as a key is not a string".into()),
                        }
                    } else {
                        key
                    };
                    map.insert(key, value);
                }
            }
            for value in map.values_mut() {
                fill(value, values)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The value a whole placeholder scalar stands for.
fn take_value(
    text: &str,
    values: &mut [serde_json::Value],
) -> std::result::Result<serde_json::Value, String> {
    text.strip_prefix(PLACEHOLDER)
        .and_then(|number| number.parse::<usize>().ok())
        .and_then(|index| values.get_mut(index))
        .map(std::mem::take)
        .ok_or_else(|| "the `yaml` filter's output is inside other text".to_string())
}

fn render_text(base: &Base, name: &str, context: &Value) -> Result<String> {
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
    // A custom base's templates may use minijinja's built-in filters, tests and functions.
    let mut environment = configured(Environment::new());
    environment
        .add_template(name, source)
        .map_err(template_error)?;
    let template = environment.get_template(name).map_err(template_error)?;
    template.render(context).map_err(template_error)
}

/// The built-in templates, compiled on first use. They use `if` and `yaml` only, so their
/// environment starts empty: registering minijinja's built-in filters, tests and functions
/// touches code all over the binary, and made a render 1.007 to 1.015 times as long (2.51
/// against 2.47 ms, 1,000 interleaved runs of `dist` builds, `python3 bench/compare.py`,
/// 2026-12-06; 0.13 ms when it was written).
fn built_in_environment() -> &'static Environment<'static> {
    static BUILT_IN: OnceLock<Environment<'static>> = OnceLock::new();
    BUILT_IN.get_or_init(|| {
        let mut environment = configured(Environment::empty());
        for (name, source) in built_in_templates() {
            // A syntax error here is caught by the tests; `get_template` reports it anyway.
            let _ = environment.add_template(name, source);
        }
        environment
    })
}

/// `environment` with strict undefined, limits against runaway templates, block-friendly
/// whitespace and the `yaml` filter.
fn configured(mut environment: Environment<'static>) -> Environment<'static> {
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

/// `{{ value | yaml }}`: sets the value aside and writes its placeholder, a quoted scalar
/// that YAML reads as one string wherever a value may stand.
fn yaml_filter(value: &Value) -> std::result::Result<String, minijinja::Error> {
    let json = serde_json::to_value(value).map_err(|error| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, error.to_string())
    })?;
    let index = SET_ASIDE.with(|values| {
        let mut values = values.borrow_mut();
        values.push(json);
        values.len() - 1
    });
    Ok(format!("\"\\u001f{index}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::TEMPLATE_NAMES;
    use crate::environment::Environment;
    use crate::overlay::merge_environment;
    use crate::yaml::parse_document;

    /// The context of an overlay of this repository.
    fn overlay_context(base: &Base, overlay: &str) -> Value {
        let defaults = parse_document(&base.defaults.text).unwrap();
        let path = format!(
            "{}/overlays/{overlay}/environment.yaml",
            env!("CARGO_MANIFEST_DIR")
        );
        let file = parse_document(&std::fs::read_to_string(path).unwrap()).unwrap();
        let merged = merge_environment(&defaults["spec"], &file, &[]);
        let environment: Environment = serde_json::from_value(merged).unwrap();
        context_value(&TemplateContext::derive(&environment))
    }

    /// Documents from shared skeletons are the documents parsed afresh, whatever was
    /// rendered before (each render fills its own copy with its own values), and each
    /// distinct skeleton is parsed and kept once. prod takes other branches (no guest
    /// sign-in) than minicloud and dev.
    #[test]
    fn shared_skeletons_give_the_documents_parsed_afresh() {
        let base = Base::embedded();
        let skeletons = SkeletonCache::default();
        let mut distinct = std::collections::HashSet::new();
        let overlays = ["minicloud", "prod", "dev", "minicloud", "prod", "dev"];
        for overlay in overlays {
            let context = overlay_context(&base, overlay);
            for name in TEMPLATE_NAMES {
                let render = || render_template(&base, name, &context).unwrap();
                distinct.insert(render().text);
                let fresh = into_document(render(), name, None).unwrap();
                let shared = into_document(render(), name, Some(&skeletons)).unwrap();
                assert_eq!(shared, fresh, "{overlay}: {name}");
            }
        }
        assert_eq!(skeletons.locked().len(), distinct.len());
        assert!(
            distinct.len() < 3 * TEMPLATE_NAMES.len(),
            "{}",
            distinct.len()
        );
        assert!(distinct.len() > TEMPLATE_NAMES.len(), "{}", distinct.len());
    }

    /// A run keeps at most `SKELETONS_KEPT` skeletons, none longer than
    /// `SKELETON_LENGTH_KEPT`; past either limit skeletons are still read, each time.
    #[test]
    fn shared_skeletons_are_bounded() {
        let skeletons = SkeletonCache::default();
        for round in 0..2 {
            for number in 0..SKELETONS_KEPT + 10 {
                let document = skeletons.parse(&format!("key: {number}\n")).unwrap();
                assert_eq!(
                    document,
                    serde_json::json!({ "key": number }),
                    "round {round}"
                );
            }
        }
        assert_eq!(skeletons.locked().len(), SKELETONS_KEPT);

        let skeletons = SkeletonCache::default();
        let long = format!("key: {}\n", "x".repeat(SKELETON_LENGTH_KEPT));
        assert_eq!(
            skeletons.parse(&long).unwrap()["key"]
                .as_str()
                .unwrap()
                .len(),
            SKELETON_LENGTH_KEPT
        );
        assert_eq!(skeletons.locked().len(), 0);
        assert!(skeletons.parse("key: [").is_err());
        assert_eq!(skeletons.locked().len(), 0);
    }

    /// The built-in templates' output is read by the quick reader, not serde_yaml (a tab
    /// or a `?` in a template would send it back, at twice the cost), and its events come
    /// from the line reader, not yaml-rust2's scanner (a block scalar would send them
    /// back): the skeletons of the seed's environment, placeholders in place. The seed's
    /// environment file takes the line reader too.
    #[test]
    fn built_in_template_output_takes_the_quick_reader() {
        let base = Base::embedded();
        let context = overlay_context(&base, "minicloud");
        for name in TEMPLATE_NAMES {
            let rendered = render_template(&base, name, &context).unwrap();
            assert!(rendered.text.contains("\\u001f"), "{name}");
            let quick = crate::yaml::tree::read_simple(&rendered.text);
            assert!(
                quick.is_some(),
                "{name} needs serde_yaml:\n{}",
                rendered.text
            );
            let lines = crate::yaml::lines::events(&rendered.text);
            assert!(
                lines.is_some(),
                "{name} needs yaml-rust2:\n{}",
                rendered.text
            );
        }
        let seed = include_str!("../overlays/minicloud/environment.yaml");
        assert!(crate::yaml::lines::events(seed).is_some());
    }
}

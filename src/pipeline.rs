//! One environment from file to rendered documents, stage by stage:
//! load → merge → check shape → type → validate → derive → render → parse → patch →
//! check → escape. Each stage is a function of its own module; this file only sequences
//! them and stops at the first stage that finds errors, reporting all of that stage's.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::artifacts::{ARTIFACTS, RenderedEnvironment};
use crate::base::{Base, Placement, repository_root};
use crate::context::TemplateContext;
use crate::environment::{Environment, PatchSet, TargetKind};
use crate::error::{Error, Finding, Problem, Result};
use crate::field_path::{FieldPath, Segment};
use crate::helm_values::{VALUES_OBJECT, embed_values, escape_for_tpl};
use crate::load::{SourceFile, environment_file_path, read_text_file};
use crate::locate::Locator;
use crate::overlay::{Override, merge_environment};
use crate::shape::{Completeness, Suggestion, check_document};
use crate::templates::SkeletonCache;
use crate::{check, patch, secrets, templates, validate};

/// What to render.
#[derive(Debug, Clone, Default)]
pub struct RenderRequest {
    /// An environment file, or a folder holding `environment.yaml`.
    pub environment: PathBuf,
    /// `--set` overrides, applied last.
    pub overrides: Vec<Override>,
    /// The repository root, when the caller knows it (ArgoCD); found from `.git` otherwise.
    pub repository_root: Option<PathBuf>,
    /// Where `repository_root` lies in the repository when only that subtree is present
    /// (ArgoCD's `--plugin-use-manifest-generate-paths`).
    pub received_subtree: Option<String>,
    /// The skeletons parsed by the other renders of the same run, when it renders many.
    pub skeletons: Option<Arc<SkeletonCache>>,
}

/// Renders one environment.
pub fn render(request: &RenderRequest) -> Result<RenderedEnvironment> {
    let (source, folder, root) = read_request(request)?;
    render_source_with(
        &source,
        Some(&placement(request, &folder, &root)),
        &request.overrides,
        request.skeletons.as_deref(),
    )
}

/// The environment a request names, merged and typed but not checked by the rules or
/// rendered: what it declares (its namespace, hostname, names), for a caller that needs
/// only that (`diff`'s cluster-sharing check of environments it does not render).
pub fn typed_environment_of(request: &RenderRequest) -> Result<Environment> {
    let (source, folder, root) = read_request(request)?;
    let placement = placement(request, &folder, &root);
    let document = source.parse_environment()?;
    let base = select_base(&document, &placement, &source)?;
    let defaults = base_defaults(&base)?;
    let locator = Locator {
        environment: &source,
        defaults: &base.defaults,
        defaults_document: &defaults,
        overrides: &request.overrides,
    };
    typed_environment(&document, &defaults, &locator, &request.overrides)
        .map(|typed| typed.environment)
}

/// Reads the request's environment file: its text, its folder, and the repository root
/// (checked to hold the file, symlinks followed, before a byte of it is read).
fn read_request(request: &RenderRequest) -> Result<(SourceFile, PathBuf, PathBuf)> {
    let file = environment_file_path(&request.environment)?;
    let folder = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    // Inside a repository (ArgoCD's copy, or a git checkout), the file must lie inside it.
    let (root, in_repository) = match &request.repository_root {
        Some(root) => {
            let root = root
                .canonicalize()
                .map_err(|e| Error::io(root, "cannot open the repository", &e))?;
            (root, true)
        }
        None => repository_root(&folder),
    };
    if in_repository {
        crate::base::confined(&file, &root).map_err(|why| {
            Error::Usage(format!(
                "the environment file {why}: it must lie inside the repository"
            ))
        })?;
    }
    let source = read_text_file(&file, &file.display().to_string())?;
    Ok((source, folder, root))
}

fn placement<'a>(request: &'a RenderRequest, folder: &'a Path, root: &'a Path) -> Placement<'a> {
    Placement {
        folder,
        root,
        received_subtree: request.received_subtree.as_deref(),
    }
}

/// Renders an environment already read into `source`. `placement` says where the file
/// lies; without it (text from memory) only the built-in base can be used.
pub fn render_source(
    source: &SourceFile,
    placement: Option<&Placement<'_>>,
    overrides: &[Override],
) -> Result<RenderedEnvironment> {
    render_source_with(source, placement, overrides, None)
}

/// [`render_source`], taking template skeletons parsed before from `skeletons`.
fn render_source_with(
    source: &SourceFile,
    placement: Option<&Placement<'_>>,
    overrides: &[Override],
    skeletons: Option<&SkeletonCache>,
) -> Result<RenderedEnvironment> {
    let document = source.parse_environment()?;
    let base = match placement {
        Some(placement) => select_base(&document, placement, source)?,
        None => Base::embedded(),
    };
    let defaults = base_defaults(&base)?;
    let locator = Locator {
        environment: source,
        defaults: &base.defaults,
        defaults_document: &defaults,
        overrides,
    };
    let Typed {
        environment,
        problems: shape_problems,
        stand_ins,
    } = typed_environment(&document, &defaults, &locator, overrides)?;
    if placement.is_none() && environment.base.is_some() {
        return Err(Error::Usage(
            "a `base:` folder needs the environment file's repository; render the file instead"
                .into(),
        ));
    }

    let mut findings = validate::validate(&environment);
    findings.extend(validate::chart_version(
        &environment,
        &crate::base::chart_versions(&defaults),
        base.folder.is_some(),
    ));
    // What the rules say about a stand-in (a default in place of a misshapen value) is
    // not about the user's file: left out, the shape problem already names the field.
    findings.retain(|finding| !stand_ins.iter().any(|s| related(&finding.path, s)));
    let warnings = stop_on_errors(&locator, shape_problems, findings)?;
    // The environment moves into the result: the later stages read it from there.
    let mut rendered = render_documents(environment, &base, skeletons)?;
    rendered.warnings = warnings;
    rendered.file = source.display.clone();
    rendered.base = match &base.folder {
        Some(folder) => folder.display().to_string(),
        None => crate::base::EMBEDDED_LABEL.to_string(),
    };

    let patch_findings = apply_all_patches(&rendered.environment.patches, &mut rendered.documents);
    stop_on_errors(&locator, Vec::new(), patch_findings)?;
    stop_on_errors(
        &locator,
        Vec::new(),
        check::check_rendered(&rendered.environment, &rendered),
    )?;
    finish_values(&mut rendered);
    Ok(rendered)
}

fn select_base(document: &Value, placement: &Placement<'_>, source: &SourceFile) -> Result<Base> {
    match document.get("base").and_then(Value::as_str) {
        Some(reference) => {
            let field = FieldPath::root().key("base");
            let origin = source.origin(source.positions().line_of(&field));
            Base::from_folder(reference, placement, origin)
        }
        None => Ok(Base::embedded()),
    }
}

/// Merge and type: secrets and shape of the file, then of the merged result. Shape
/// problems that still leave a typed environment (a number out of range) come back with
/// it, so that the rules can add theirs and every problem is reported at once.
fn typed_environment(
    document: &Value,
    defaults: &Value,
    locator: &Locator<'_>,
    overrides: &[Override],
) -> Result<Typed> {
    let root = FieldPath::root();
    let in_file = secrets::find_literal_secrets(document, &root)
        .into_iter()
        .map(|path| secrets::refusal(path, None));
    let in_overrides = overrides.iter().flat_map(|item| {
        secrets::find_literal_secrets(&item.as_merge_patch(), &root)
            .into_iter()
            .map(|path| secrets::refusal(path, Some(&item.source)))
    });
    let secrets_found = locator.locate_all(in_file.chain(in_overrides));
    if !secrets_found.is_empty() {
        return Err(Error::Invalid(secrets_found));
    }
    let merged = merge_environment(&defaults["spec"], document, overrides);
    let typed = serde_path_to_error::deserialize::<_, Environment>(&merged);
    // Typing checks fields, types and enum values; with the numbers and sizes within the
    // schema's limits and no patch operations (which are typed only as JSON), the schema
    // walk below would find nothing, so the happy path skips it (and parsing the schema).
    let typed = match typed {
        Ok(environment) if environment.patches.is_empty() && environment.within_limits() => {
            return Ok(Typed::clean(environment));
        }
        other => other,
    };
    // Each override is shaped like a small environment file: checked the same way.
    let mut shape = check_document(document, &root, false, Completeness::Partial);
    let suggestions = std::mem::take(&mut shape.suggestions);
    for item in overrides {
        let of_override =
            check_document(&item.as_merge_patch(), &root, false, Completeness::Partial);
        shape.findings.extend(of_override.findings);
        shape.oversized |= of_override.oversized;
    }
    let mut misshapen: Vec<FieldPath> = shape.findings.iter().map(|f| f.path.clone()).collect();
    misshapen.sort();
    let problems = locator.locate_all(shape.findings);
    if shape.oversized {
        return Err(Error::Invalid(problems));
    }
    // The file and the base are checked already; what is left (a required field nobody
    // set, a wrong type from --set) makes typing fail. Only then walk the merged document,
    // to report every such problem rather than serde's first.
    if !problems.is_empty() {
        // A misshapen field (unknown, of the wrong type) must not hide the rule problems
        // of the others: typed with each misshapen field put right as its "did you mean"
        // says, or else removed (the base's default in its place), the environment goes
        // on to the rules, and every problem is reported at once.
        let mut stand_ins = Vec::new();
        let mut problems = problems;
        let typed = typed.or_else(|error| {
            // A file with thousands of misshapen fields (a hostile one) is not repaired:
            // its first problems are reason enough to stop.
            if misshapen.len() > MAX_REPAIRED_FIELDS {
                return Err(error);
            }
            let mut pruned = document.clone();
            // Last first, so that removing a list item moves no other path's item.
            for path in misshapen.iter().rev() {
                let suggestion = suggestions.iter().find(|(at, _)| at == path);
                if repair_field(&mut pruned, path, suggestion.map(|(_, s)| s)) {
                    stand_ins.push(path.clone());
                }
            }
            let merged = merge_environment(&defaults["spec"], &pruned, overrides);
            serde_path_to_error::deserialize::<_, Environment>(&merged).or_else(|_| {
                // A required field is still missing (a misspelt `kind` removed, say): it
                // is a problem of its own, and where the schema names a closed set of
                // values the first one stands in, so that the rules still run.
                let missing = check_document(&merged, &root, false, Completeness::Complete);
                for finding in &missing.findings {
                    if let Some(value) = crate::shape::allowed_value_at(&finding.path)
                        && set_field(&mut pruned, &finding.path, value)
                    {
                        stand_ins.push(finding.path.clone());
                    }
                }
                for problem in locator.locate_all(missing.findings) {
                    if !problems.iter().any(|known| known.field == problem.field) {
                        problems.push(problem);
                    }
                }
                let merged = merge_environment(&defaults["spec"], &pruned, overrides);
                serde_path_to_error::deserialize::<_, Environment>(&merged)
            })
        });
        return match typed {
            Ok(environment) => Ok(Typed {
                environment,
                problems,
                stand_ins,
            }),
            Err(_) => Err(Error::Invalid(problems)),
        };
    }
    let environment = typed.map_err(|error| {
        let problems = locator
            .locate_all(check_document(&merged, &root, false, Completeness::Complete).findings);
        if !problems.is_empty() {
            return Error::Invalid(problems);
        }
        let at = error.path().to_string();
        let path = if at == "." {
            FieldPath::root()
        } else {
            FieldPath::parse_dotted(&at)
        };
        let inner = error.inner().to_string();
        // A field neither the file nor its base provides (e.g. a custom base without it).
        let finding = match inner
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
        {
            Some(name) => Finding::error(
                path.key(name),
                format!("required field `{name}` is missing"),
            )
            .with_hint("set it in the environment file or in its base"),
            None => Finding::error(path, inner),
        };
        Error::problem(locator.locate(finding))
    })?;
    Ok(Typed::clean(environment))
}

/// Most misshapen fields put right (or removed) so that the rules can check the rest.
const MAX_REPAIRED_FIELDS: usize = 100;

/// A typed environment, with the shape problems that still let it be typed.
struct Typed {
    environment: Environment,
    /// Shape problems (errors): the environment goes on to the rules, then stops.
    problems: Vec<Problem>,
    /// Fields whose value in `environment` is not the file's but a stand-in: the base's
    /// default for a misshapen value, or the allowed value its "did you mean" names.
    stand_ins: Vec<FieldPath>,
}

impl Typed {
    fn clean(environment: Environment) -> Self {
        Self {
            environment,
            problems: Vec::new(),
            stand_ins: Vec::new(),
        }
    }
}

/// Whether a rule's finding at `path` may come from the stand-in at `stand_in`: the same
/// field, one inside the other, a sibling (a key size checked against its algorithm), or
/// the same-named field one level over (a memory request checked against the limit).
fn related(path: &FieldPath, stand_in: &FieldPath) -> bool {
    let grandparent = stand_in.parent().and_then(|p| p.parent());
    path.starts_with(stand_in)
        || stand_in.starts_with(path)
        || path.parent() == stand_in.parent()
        || (path.last_key() == stand_in.last_key()
            && grandparent.is_some_and(|g| path.starts_with(&g)))
}

/// Puts right the misshapen field at `path` of `document` as its "did you mean" says (a
/// key renamed, a value replaced), or removes it; a field that is not there is left alone.
/// True when the field's value is no longer the file's (replaced or removed).
fn repair_field(document: &mut Value, path: &FieldPath, suggestion: Option<&Suggestion>) -> bool {
    let Some((last, parents)) = path.segments().split_last() else {
        return false;
    };
    let mut at = document;
    for segment in parents {
        let next = match segment {
            Segment::Key(key) => at.get_mut(key.as_str()),
            Segment::Index(index) => at.get_mut(*index),
        };
        let Some(next) = next else { return false };
        at = next;
    }
    match (last, at) {
        (Segment::Key(key), Value::Object(map)) => {
            let Some(value) = map.shift_remove(key.as_str()) else {
                return false;
            };
            match suggestion {
                Some(Suggestion::Key(meant)) if !map.contains_key(meant) => {
                    map.insert(meant.clone(), value);
                    false
                }
                Some(Suggestion::Value(meant)) => {
                    map.insert(key.clone(), Value::from(meant.as_str()));
                    true
                }
                _ => true,
            }
        }
        (Segment::Index(index), Value::Array(items)) if *index < items.len() => {
            match suggestion {
                Some(Suggestion::Value(meant)) => items[*index] = Value::from(meant.as_str()),
                _ => {
                    items.remove(*index);
                }
            }
            true
        }
        _ => false,
    }
}

/// Sets the field at `path` of `document` to `value`, the parent mapping made where
/// the file left it out. False when a parent is not a mapping (or the path is a list
/// item's).
fn set_field(document: &mut Value, path: &FieldPath, value: Value) -> bool {
    let Some((Segment::Key(last), parents)) = path.segments().split_last() else {
        return false;
    };
    let mut at = document;
    for segment in parents {
        let next = match (segment, at) {
            (Segment::Key(key), Value::Object(map)) => map
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Default::default())),
            (Segment::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                Some(item) => item,
                None => return false,
            },
            _ => return false,
        };
        at = next;
    }
    match at {
        Value::Object(map) => {
            map.insert(last.clone(), value);
            true
        }
        _ => false,
    }
}

/// The base's defaults, checked. The built-in base's are read once per process (and lent,
/// not copied, to every render) and not checked at run time:
/// `built_in_defaults_pass_the_shape_check` checks them at test time.
fn base_defaults(base: &Base) -> Result<Cow<'static, Value>> {
    if base.folder.is_none() {
        static BUILT_IN: OnceLock<Value> = OnceLock::new();
        return Ok(Cow::Borrowed(
            BUILT_IN.get_or_init(crate::base::embedded_defaults),
        ));
    }
    checked_defaults(base).map(Cow::Owned)
}

fn checked_defaults(base: &Base) -> Result<Value> {
    let defaults = base.defaults.parse_mapping()?;
    stop_on_problems(base_shape(&defaults, base))?;
    Ok(defaults)
}

/// Problems with the base's defaults file, located in that file.
fn base_shape(defaults: &Value, base: &Base) -> Vec<Problem> {
    let file = &base.defaults;
    let locate = |finding: Finding| Problem {
        severity: finding.severity,
        origin: file.origin(file.positions().line_of(&finding.path)),
        field: Some(finding.path),
        message: finding.message,
        hint: finding.hint,
    };
    let mut problems = Vec::new();
    for (key, _) in defaults.as_object().into_iter().flatten() {
        if !matches!(
            key.as_str(),
            "apiVersion" | "kind" | "chartVersions" | "spec"
        ) {
            problems.push(locate(
                Finding::error(
                    FieldPath::root().key(key),
                    format!("unknown field `{}` in a base", crate::quote::shorten(key)),
                )
                .with_hint(
                    "a base's environment.yaml holds apiVersion, kind: Base, chartVersions and spec",
                ),
            ));
        }
    }
    if let Some(versions) = defaults.get("chartVersions") {
        let all_versions = versions.as_array().is_some_and(|list| {
            !list.is_empty()
                && list.iter().all(|version| {
                    version
                        .as_str()
                        .is_some_and(|text| semver::Version::parse(text).is_ok())
                })
        });
        if !all_versions {
            problems.push(locate(
                Finding::error(
                    FieldPath::root().key("chartVersions"),
                    "must be a list of the chart versions (MAJOR.MINOR.PATCH) the base was checked with",
                )
                .with_hint("e.g. chartVersions: [2.7.0]"),
            ));
        }
    }
    if defaults.get("kind") != Some(&Value::from("Base")) {
        problems.push(locate(
            Finding::error(
                FieldPath::root().key("kind"),
                "a base's environment.yaml must have kind: Base",
            )
            .with_hint("set kind: Base"),
        ));
    }
    let spec = defaults.get("spec").cloned().unwrap_or_default();
    let at = FieldPath::root().key("spec");
    problems.extend(
        check_document(&spec, &at, true, Completeness::Partial)
            .findings
            .into_iter()
            .map(locate),
    );
    problems
}

/// Splits findings (after `earlier` problems); errors (with the warnings alongside) stop
/// the render.
fn stop_on_errors(
    locator: &Locator<'_>,
    earlier: Vec<Problem>,
    findings: Vec<Finding>,
) -> Result<Vec<Problem>> {
    let mut problems = earlier;
    problems.extend(locator.locate_all(findings));
    // Errors first (stable): the first line is what ArgoCD's UI and a skimming reader see.
    problems.sort_by_key(|problem| !problem.is_error());
    if problems.iter().any(Problem::is_error) {
        return Err(Error::Invalid(problems));
    }
    Ok(problems)
}

fn stop_on_problems(problems: Vec<Problem>) -> Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Renders every template and parses its output into a document.
fn render_documents(
    environment: Environment,
    base: &Base,
    skeletons: Option<&SkeletonCache>,
) -> Result<RenderedEnvironment> {
    let context = crate::templates::context_value(&TemplateContext::derive(&environment));
    let mut documents = Vec::with_capacity(ARTIFACTS.len());
    for artifact in ARTIFACTS {
        if !artifact.is_rendered_for(&environment) {
            documents.push(Value::Null);
            continue;
        }
        let rendered = templates::render_template(base, artifact.template, &context)?;
        let (display, _) = base.template(artifact.template);
        documents.push(templates::into_document(rendered, display, skeletons)?);
    }
    Ok(RenderedEnvironment {
        name: environment.metadata.name.clone(),
        documents,
        warnings: Vec::new(),
        base: String::new(),
        environment,
        file: String::new(),
        chart_objects: None,
    })
}

fn slot(target: TargetKind) -> usize {
    ARTIFACTS
        .iter()
        .position(|a| a.target == target)
        .unwrap_or(0)
}

/// Values patches first, then the values move into the Application, then every other
/// patch; the values then move back out for the checks, and [`finish_values`] copies the
/// final (escaped) values into the Application, so both always agree. Moved, not cloned:
/// this is the hot path.
fn apply_all_patches(patches: &[PatchSet], documents: &mut [Value]) -> Vec<Finding> {
    let mut findings = patch::apply_patches(patches, &[TargetKind::HelmValues], documents);
    let values = std::mem::take(&mut documents[slot(TargetKind::HelmValues)]);
    if !embed_values(&mut documents[slot(TargetKind::Application)], values) {
        findings.push(
            Finding::error(
                FieldPath::root().key("base"),
                "the Application template has no spec.source.helm.valuesObject",
            )
            .with_hint("keep `valuesObject: {}` under spec.source.helm in application.yaml.j2"),
        );
        return findings;
    }
    let others = [
        TargetKind::SealedSecret,
        TargetKind::Certificate,
        TargetKind::Ingress,
        TargetKind::Application,
        TargetKind::Location,
    ];
    findings.extend(patch::apply_patches(patches, &others, documents));
    if let Some(values) = documents[slot(TargetKind::Application)].pointer_mut(VALUES_OBJECT) {
        let values = std::mem::take(values);
        documents[slot(TargetKind::HelmValues)] = values;
    }
    findings
}

/// Escapes the final values for Helm's `tpl` and writes them back into the Application.
fn finish_values(rendered: &mut RenderedEnvironment) {
    let values_slot = slot(TargetKind::HelmValues);
    escape_for_tpl(&mut rendered.documents[values_slot]);
    let values = rendered.documents[values_slot].clone();
    embed_values(
        &mut rendered.documents[slot(TargetKind::Application)],
        values,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `within_limits` lets the happy path skip the schema walk: it must flag exactly what
    /// the walk flags, at each limit and one past it.
    #[test]
    fn within_limits_agrees_with_the_schema_walk() {
        let base = Base::embedded();
        let defaults = base.defaults.parse_mapping().unwrap();
        let file = serde_json::json!({
            "apiVersion": "stagehand/v1alpha1", "kind": "Environment",
            "metadata": { "name": "x" },
            "spec": { "hostname": "a.example.org", "tls": { "issuer": { "name": "ca", "kind": "ClusterIssuer" } } }
        });
        let many = |count: usize, item: Value| Value::from(vec![item; count]);
        let keys = |count: usize| {
            Value::Object(
                (0..count)
                    .map(|i| (format!("k{i}"), Value::from("v")))
                    .collect(),
            )
        };
        let op = serde_json::json!({ "op": "add", "path": "/x", "value": 1 });
        let set = |ops: usize| serde_json::json!({ "target": { "kind": "HelmValues" }, "ops": many(ops, op.clone()) });
        type ValueOfSize<'a> = Box<dyn Fn(usize) -> Value + 'a>;
        let cases: Vec<(&str, ValueOfSize, usize)> = vec![
            ("/spec/replicas", Box::new(Value::from), 100),
            ("/spec/backendPort", Box::new(Value::from), 65535),
            (
                "/spec/catalog/locations",
                Box::new(|n| many(n, "https://a.example.org/c.yaml".into())),
                1000,
            ),
            (
                "/spec/catalog/readingAllow",
                Box::new(|n| many(n, "a.example.org".into())),
                1000,
            ),
            ("/spec/ingress/annotations", Box::new(keys), 256),
            ("/spec/database/encryptedData", Box::new(keys), 16),
            ("/patches", Box::new(|n| many(n, set(1))), 100),
            ("/patches", Box::new(|n| many(1, set(n))), 100),
        ];
        for (pointer, value, limit) in cases {
            for count in [limit, limit + 1] {
                let mut merged = merge_environment(&defaults["spec"], &file, &[]);
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                let parent = if parent.is_empty() {
                    &mut merged
                } else {
                    merged.pointer_mut(parent).unwrap()
                };
                parent[key] = value(count);
                let environment: Environment = serde_json::from_value(merged.clone()).unwrap();
                let walk =
                    check_document(&merged, &FieldPath::root(), false, Completeness::Complete);
                assert_eq!(
                    environment.within_limits(),
                    walk.findings.is_empty(),
                    "{pointer} with {count}: {:?}",
                    walk.findings
                );
                assert_eq!(
                    environment.within_limits(),
                    count == limit,
                    "{pointer} with {count}"
                );
            }
        }
    }

    #[test]
    fn built_in_defaults_pass_the_shape_check() {
        let base = Base::embedded();
        let defaults = base.defaults.parse_mapping().unwrap();
        assert_eq!(base_shape(&defaults, &base), Vec::new());
    }
}

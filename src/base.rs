//! The base: the defaults every environment is merged onto, and the templates.
//!
//! The repository's `base/` is embedded at build time, so a lone environment file renders
//! with nothing else present. An environment's `base: <folder>` selects another base,
//! which must resolve (symlinks followed) inside the repository holding the environment:
//! stagehand runs on untrusted repositories inside ArgoCD and must not read elsewhere.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Origin, Problem, Result};
use crate::field_path::FieldPath;
use crate::load::{SourceFile, read_text_file};
use crate::quote::shorten;

/// The templates a base provides, named after the file each produces.
pub const TEMPLATE_NAMES: [&str; 6] = [
    "values.yaml.j2",
    "sealed-secret.yaml.j2",
    "certificate.yaml.j2",
    "ingress.yaml.j2",
    "application.yaml.j2",
    "catalog-locations.yaml.j2",
];

const EMBEDDED_DEFAULTS: &str = include_str!("../base/environment.yaml");

/// The same defaults as JSON, converted by `build.rs`: a render takes 1.5 to 2.3% less
/// time than with a YAML parse of them (see the figures in `build.rs`).
const EMBEDDED_DEFAULTS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/base-defaults.json"));

/// The chart versions a base declares (`chartVersions`) it was written for; a base
/// folder that declares none was written for the built-in base's.
pub fn chart_versions(defaults: &Value) -> Vec<String> {
    let declared = |defaults: &Value| -> Option<Vec<String>> {
        defaults
            .get("chartVersions")?
            .as_array()?
            .iter()
            .map(|version| version.as_str().map(str::to_string))
            .collect()
    };
    declared(defaults)
        .or_else(|| declared(&embedded_defaults()))
        .unwrap_or_default()
}

/// The built-in base's defaults, as parsed from `base/environment.yaml`.
pub fn embedded_defaults() -> Value {
    serde_json::from_str(EMBEDDED_DEFAULTS_JSON).unwrap_or_default()
}
const EMBEDDED_TEMPLATES: [&str; 6] = [
    include_str!("../base/templates/values.yaml.j2"),
    include_str!("../base/templates/sealed-secret.yaml.j2"),
    include_str!("../base/templates/certificate.yaml.j2"),
    include_str!("../base/templates/ingress.yaml.j2"),
    include_str!("../base/templates/application.yaml.j2"),
    include_str!("../base/templates/catalog-locations.yaml.j2"),
];

/// How the built-in base's files are named in messages.
pub const EMBEDDED_LABEL: &str = "<built-in base>";

/// Where an environment file lies: its folder, and the repository tree it may read from.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    /// The environment file's folder.
    pub folder: &'a Path,
    /// The root of the repository (or of the part of it ArgoCD sent).
    pub root: &'a Path,
    /// Where `root` lies in the repository, when only a subtree of it is present
    /// (ArgoCD's `--plugin-use-manifest-generate-paths`).
    pub received_subtree: Option<&'a str>,
}

/// Defaults and templates, from the binary or from a folder in the repository.
#[derive(Debug)]
pub struct Base {
    /// The defaults file (`environment.yaml`).
    pub defaults: SourceFile,
    /// The folder, or `None` for the built-in base.
    pub folder: Option<PathBuf>,
    templates: Vec<(String, Cow<'static, str>)>,
}

impl Base {
    /// The base built into the binary.
    pub fn embedded() -> Self {
        Self {
            defaults: SourceFile::new(
                format!("{EMBEDDED_LABEL}/environment.yaml"),
                EMBEDDED_DEFAULTS.to_string(),
            ),
            folder: None,
            templates: TEMPLATE_NAMES
                .iter()
                .zip(EMBEDDED_TEMPLATES)
                .map(|(name, text)| {
                    (
                        format!("{EMBEDDED_LABEL}/templates/{name}"),
                        Cow::Borrowed(text),
                    )
                })
                .collect(),
        }
    }

    /// The base `reference` (the `base:` value, relative to the environment's folder),
    /// which must lie inside the placement's root. Templates present in its `templates/`
    /// replace the built-in ones of the same name.
    pub fn from_folder(
        reference: &str,
        placement: &Placement<'_>,
        referenced_from: Origin,
    ) -> Result<Self> {
        let repository_root = placement.root;
        let folder = if placement.folder == Path::new(".") {
            Path::new(reference).to_path_buf()
        } else {
            placement.folder.join(reference)
        };
        let field = Some(FieldPath::root().key("base"));
        // With only a subtree of the repository present, a base outside it was not sent.
        let outside_hint = |hint: &str| match placement.received_subtree {
            Some(subtree) => format!(
                "ArgoCD sent only the repository's `{subtree}` folder (its repo-server runs with \
                 --plugin-use-manifest-generate-paths): add the base's folder to the Application's \
                 argocd.argoproj.io/manifest-generate-paths annotation, e.g. `.;{}`",
                shorten(reference)
            ),
            None => hint.to_string(),
        };
        let refuse = |message: String, hint: String| {
            Error::problem(
                Problem::error(referenced_from.clone(), field.clone(), message).with_hint(hint),
            )
        };
        let resolved = folder.canonicalize().map_err(|_| {
            refuse(
                format!("base folder `{}` does not exist", shorten(reference)),
                outside_hint(
                    "give a folder, relative to the environment file, that holds environment.yaml",
                ),
            )
        })?;
        if !resolved.starts_with(repository_root) {
            return Err(refuse(
                format!(
                    "base folder `{}` resolves to {}, outside the repository {}",
                    shorten(reference),
                    resolved.display(),
                    repository_root.display()
                ),
                outside_hint(
                    "a base must lie inside the repository that holds the environment file",
                ),
            ));
        }
        let defaults_path =
            confined(&resolved.join("environment.yaml"), repository_root).map_err(|message| {
                refuse(
                    message,
                    "the base folder must hold environment.yaml".to_string(),
                )
            })?;
        let defaults = read_text_file(&defaults_path, &defaults_path.display().to_string())?;
        let mut base = Self {
            defaults,
            folder: Some(resolved.clone()),
            ..Self::embedded()
        };
        base.load_template_overrides(
            &resolved.join("templates"),
            repository_root,
            &referenced_from,
        )?;
        Ok(base)
    }

    fn load_template_overrides(
        &mut self,
        templates_folder: &Path,
        repository_root: &Path,
        referenced_from: &Origin,
    ) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(templates_folder) else {
            return Ok(());
        };
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for path in names {
            let file_name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let Some(slot) = TEMPLATE_NAMES.iter().position(|known| *known == file_name) else {
                return Err(Error::problem(
                    Problem::error(
                        Origin::new(path.display().to_string(), None),
                        None,
                        format!("`{file_name}` is not a template stagehand renders"),
                    )
                    .with_hint(format!("template names are: {}", TEMPLATE_NAMES.join(", "))),
                ));
            };
            let path = confined(&path, repository_root).map_err(|message| {
                Error::problem(Problem::error(referenced_from.clone(), None, message))
            })?;
            let source = read_text_file(&path, &path.display().to_string())?;
            self.templates[slot] = (source.display, Cow::Owned(source.text));
        }
        Ok(())
    }

    /// Whether the template `name` is the built-in one (not replaced by a base folder).
    pub fn is_built_in_template(&self, name: &str) -> bool {
        let slot = TEMPLATE_NAMES.iter().position(|known| *known == name);
        slot.is_some_and(|slot| matches!(self.templates[slot].1, Cow::Borrowed(_)))
    }

    /// The display name and text of the template `name` (one of [`TEMPLATE_NAMES`]).
    pub fn template(&self, name: &str) -> (&str, &str) {
        let slot = TEMPLATE_NAMES
            .iter()
            .position(|known| *known == name)
            .unwrap_or(0);
        let (display, text) = &self.templates[slot];
        (display, text)
    }
}

/// The built-in templates, by name.
pub fn built_in_templates() -> impl Iterator<Item = (&'static str, &'static str)> {
    TEMPLATE_NAMES.into_iter().zip(EMBEDDED_TEMPLATES)
}

/// `path` with symlinks resolved, if it exists inside `repository_root`.
pub fn confined(path: &Path, repository_root: &Path) -> Result<PathBuf, String> {
    let resolved = path
        .canonicalize()
        .map_err(|_| format!("`{}` does not exist", path.display()))?;
    if resolved.starts_with(repository_root) {
        Ok(resolved)
    } else {
        Err(format!(
            "`{}` resolves to {}, outside the repository {}",
            path.display(),
            resolved.display(),
            repository_root.display()
        ))
    }
}

/// The repository holding `folder`: the nearest ancestor with `.git` (and `true`), else
/// `folder` itself (and `false`).
pub fn repository_root(folder: &Path) -> (PathBuf, bool) {
    let start = folder
        .canonicalize()
        .unwrap_or_else(|_| folder.to_path_buf());
    match start
        .ancestors()
        .find(|candidate| candidate.join(".git").exists())
    {
        Some(root) => (root.to_path_buf(), true),
        None => (start, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_json_equals_the_yaml() {
        let from_yaml = crate::yaml::parse_document(EMBEDDED_DEFAULTS).unwrap();
        assert!(from_yaml.is_object());
        assert_eq!(embedded_defaults(), from_yaml);
    }
}

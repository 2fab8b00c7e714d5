//! Attributes a field of the merged environment to where its value came from: a
//! `--set` override, the environment file (with its line), or the base's defaults.
//!
//! Checks work on merged values and report field paths; this is the one place that turns
//! a path into "file:line", so every message points at what the user should edit.

use crate::error::{Finding, Origin, Problem};
use crate::field_path::FieldPath;
use crate::load::SourceFile;
use crate::overlay::Override;
use crate::shape::DETAILED_PROBLEMS;

/// Knows the sources of one merged environment.
pub struct Locator<'a> {
    /// The environment file.
    pub environment: &'a SourceFile,
    /// The base's defaults file.
    pub defaults: &'a SourceFile,
    /// The same defaults, parsed: a field they lack needs no look-up of the file's lines.
    pub defaults_document: &'a serde_json::Value,
    /// The overrides (`--set`, ArgoCD parameters).
    pub overrides: &'a [Override],
}

impl Locator<'_> {
    /// Where the value at `path` came from.
    pub fn origin(&self, path: &FieldPath) -> Origin {
        // The last override of a field wins the merge, so it is the one to name.
        let overridden = self
            .overrides
            .iter()
            .rev()
            .find(|item| path.starts_with(&item.path) || item.path.starts_with(path));
        if let Some(item) = overridden {
            return Origin::new(item.source.label(), None);
        }
        if self.environment.positions().contains(path) {
            return self
                .environment
                .origin(self.environment.positions().line_of(path));
        }
        if defines(self.defaults_document, path) && self.defaults.positions().contains(path) {
            return self
                .defaults
                .origin(self.defaults.positions().line_of(path));
        }
        self.environment
            .origin(self.environment.positions().line_of(path))
    }

    /// Findings with their origins: the first [`DETAILED_PROBLEMS`] located to their line,
    /// the rest (only counted when printed) to their file alone.
    pub fn locate_all(&self, findings: impl IntoIterator<Item = Finding>) -> Vec<Problem> {
        findings
            .into_iter()
            .enumerate()
            .map(|(index, finding)| {
                if index < DETAILED_PROBLEMS {
                    self.locate(finding)
                } else {
                    Problem {
                        severity: finding.severity,
                        origin: self.environment.origin(None),
                        field: Some(finding.path),
                        message: finding.message,
                        hint: finding.hint,
                    }
                }
            })
            .collect()
    }

    /// A finding with its origin attached. A finding about a value the user never wrote
    /// (the built-in base's default) is placed in the user's file, on the field that
    /// decides it when there is one, and says where the value came from: the built-in
    /// base is no file the user can open.
    pub fn locate(&self, finding: Finding) -> Problem {
        let Some(default) = self.built_in_default(&finding.path) else {
            return Problem {
                severity: finding.severity,
                origin: self.origin(&finding.path),
                field: Some(finding.path),
                message: finding.message,
                hint: finding.hint,
            };
        };
        let note = format!(
            "; {} is not set in this file: `{}` is the built-in base's default",
            finding.path,
            crate::quote::shorten(&default)
        );
        let field = match finding.decided_by {
            Some(other) if self.environment.positions().contains(&other) => other,
            _ => finding.path,
        };
        Problem {
            severity: finding.severity,
            origin: self
                .environment
                .origin(self.environment.positions().line_of(&field)),
            field: Some(field),
            message: format!("{}{note}", finding.message),
            hint: finding.hint,
        }
    }

    /// The built-in base's value at `path`, when that is where the merged value came from.
    fn built_in_default(&self, path: &FieldPath) -> Option<String> {
        let from_built_in = self
            .defaults
            .display
            .starts_with(crate::base::EMBEDDED_LABEL);
        if !from_built_in
            || self.environment.positions().contains(path)
            || self
                .overrides
                .iter()
                .any(|item| path.starts_with(&item.path) || item.path.starts_with(path))
        {
            return None;
        }
        let value = lookup(self.defaults_document, path)?;
        Some(match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    }
}

/// Whether `document` holds a value at `path`.
fn defines(document: &serde_json::Value, path: &FieldPath) -> bool {
    lookup(document, path).is_some()
}

/// The value of `document` at `path`.
fn lookup<'a>(document: &'a serde_json::Value, path: &FieldPath) -> Option<&'a serde_json::Value> {
    use crate::field_path::Segment;
    path.segments()
        .iter()
        .try_fold(document, |node, segment| match segment {
            Segment::Key(key) => node.get(key),
            Segment::Index(index) => node.get(index),
        })
}

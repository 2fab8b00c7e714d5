//! Attributes a field of the merged environment to where its value came from: a
//! `--set` override, the environment file (with its line), or the base's defaults.
//!
//! Checks work on merged values and report field paths; this is the one place that turns
//! a path into "file:line", so every message points at what the user should edit.

use crate::error::{Finding, Origin, Problem};
use crate::field_path::FieldPath;
use crate::load::SourceFile;
use crate::overlay::Override;

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

    /// A finding with its origin attached.
    pub fn locate(&self, finding: Finding) -> Problem {
        Problem {
            severity: finding.severity,
            origin: self.origin(&finding.path),
            field: Some(finding.path),
            message: finding.message,
            hint: finding.hint,
        }
    }
}

/// Whether `document` holds a value at `path`.
fn defines(document: &serde_json::Value, path: &FieldPath) -> bool {
    use crate::field_path::Segment;
    let mut node = document;
    for segment in path.segments() {
        let next = match segment {
            Segment::Key(key) => node.get(key),
            Segment::Index(index) => node.get(index),
        };
        match next {
            Some(found) => node = found,
            None => return false,
        }
    }
    true
}

//! The load stage: find the environment file, read it, parse it into a document.
//!
//! An `ENV` argument is a file or a folder holding `environment.yaml`. Reading refuses
//! what would make later stages slow or confusing (huge files, non-UTF-8 bytes, empty
//! files, a document that is not a mapping) with a message naming the file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::error::{Error, Origin, Problem, Result};
use crate::yaml::{PositionIndex, parse_document_indexed};

/// The file name looked for when `ENV` is a folder.
pub const ENVIRONMENT_FILE_NAME: &str = "environment.yaml";

/// Largest environment or defaults file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A text file as read, with its position index built on first use.
#[derive(Debug)]
pub struct SourceFile {
    /// How messages name the file (the path as the user gave it).
    pub display: String,
    /// The file's text.
    pub text: String,
    index: OnceLock<PositionIndex>,
}

impl SourceFile {
    /// A source named `display` holding `text`.
    pub fn new(display: String, text: String) -> Self {
        Self {
            display,
            text,
            index: OnceLock::new(),
        }
    }

    /// Line numbers of the file's fields (built the first time an error needs one).
    pub fn positions(&self) -> &PositionIndex {
        self.index.get_or_init(|| PositionIndex::build(&self.text))
    }

    /// An origin in this file at `line`.
    pub fn origin(&self, line: Option<usize>) -> Origin {
        Origin::new(self.display.clone(), line)
    }

    /// Parses the file as an environment: refused unread, quoting none of its content,
    /// unless it says it is one (see [`claims_to_be_environment`]).
    pub fn parse_environment(&self) -> Result<Value> {
        let only_comments = self
            .text
            .lines()
            .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'));
        if !only_comments && !claims_to_be_environment(&self.text) {
            return Err(Error::problem(
                Problem::error(
                    self.origin(None),
                    None,
                    "not a stagehand environment file: it has no `apiVersion: stagehand/v1alpha1` \
                     and no `kind: Environment`, so none of it is read or shown",
                )
                .with_hint("give an environment file, or a folder holding environment.yaml"),
            ));
        }
        self.parse_mapping()
    }

    /// Parses the file as one YAML mapping.
    pub fn parse_mapping(&self) -> Result<Value> {
        let (document, index) = parse_document_indexed(&self.text).map_err(|error| {
            if error.duplicate_key
                && let Some(duplicate) = self.positions().first_duplicate()
            {
                return Error::problem(
                    Problem::error(
                        self.origin(Some(duplicate.second_line)),
                        Some(duplicate.path.clone()),
                        format!(
                            "duplicate key `{}`: it is also set on line {}",
                            crate::quote::shorten(duplicate.path.last_key().unwrap_or_default()),
                            duplicate.first_line
                        ),
                    )
                    .with_hint("keep one of the two; YAML does not merge repeated keys"),
                );
            }
            if let Some(tab_line) = tab_indented_line(&self.text) {
                return Error::problem(
                    Problem::error(
                        self.origin(Some(tab_line)),
                        None,
                        "the line is indented with a tab",
                    )
                    .with_hint(
                        "YAML allows only spaces for indentation: replace the tab with spaces",
                    ),
                );
            }
            let line = error.line.or_else(|| {
                error
                    .field
                    .as_ref()
                    .and_then(|f| self.positions().line_of(f))
            });
            let hint = error
                .hint
                .or_else(|| error.field.as_ref().and_then(crate::shape::number_hint));
            let mut problem = Problem::error(self.origin(line), error.field, error.message);
            problem.hint = hint;
            Error::problem(problem)
        })?;
        if let Some(index) = index {
            // Read in the same pass: an error found later needs no second parse.
            let _ = self.index.set(index);
        }
        match document {
            Value::Object(_) => Ok(document),
            Value::Null => Err(Error::problem(
                Problem::error(self.origin(None), None, "the file is empty")
                    .with_hint("an environment needs at least apiVersion, kind, metadata.name and spec.hostname"),
            )),
            _ => Err(Error::problem(
                Problem::error(self.origin(Some(1)), None, "the document is not a mapping")
                    .with_hint("an environment file is a mapping with apiVersion, kind, metadata and spec"),
            )),
        }
    }
}

/// What a YAML file declares itself to be, by its top-level `apiVersion` and `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredKind {
    /// `apiVersion: stagehand/...` and `kind: Environment`.
    Environment,
    /// `apiVersion: stagehand/...` and `kind: Base` (a base's defaults).
    Base,
    /// Anything else: not a file of stagehand's.
    Other,
}

/// What the file declares itself to be, as the full reader reads it: its top-level
/// mapping's `apiVersion` and `kind`, in any layout the reader accepts (block or flow,
/// quoted keys, JSON, comments, a BOM, CRLF). A file the reader refuses is judged by its
/// top-level lines instead: a broken environment file is still an environment (so its
/// errors get reported), and an unrelated `environment.yaml` (Conda, Ansible) is not.
pub fn declared_kind(text: &str) -> DeclaredKind {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (api_version, kind) = match crate::yaml::parse_document(text) {
        Ok(Value::Object(map)) => {
            let field = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_string);
            (field("apiVersion"), field("kind"))
        }
        Ok(_) => (None, None),
        Err(_) => declared_by_lines(text),
    };
    match (api_version, kind.as_deref()) {
        (Some(version), Some("Environment")) if version.starts_with("stagehand/") => {
            DeclaredKind::Environment
        }
        (Some(version), Some("Base")) if version.starts_with("stagehand/") => DeclaredKind::Base,
        _ => DeclaredKind::Other,
    }
}

/// The first top-level `apiVersion:` and `kind:` lines' values.
fn declared_by_lines(text: &str) -> (Option<String>, Option<String>) {
    let mut api_version = None;
    let mut kind = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(value) = top_level_value(line, "apiVersion") {
            api_version.get_or_insert(value);
        } else if let Some(value) = top_level_value(line, "kind") {
            kind.get_or_insert(value);
        }
    }
    (api_version, kind)
}

/// Whether `text` says anywhere that it is a stagehand environment: an `apiVersion:
/// stagehand/...` or `kind: Environment` line, at any indentation. A file that does not
/// (a Conda or Ansible `environment.yaml`, or a symlink to some system file) is refused
/// before it is parsed, so no message can quote its content.
pub fn claims_to_be_environment(text: &str) -> bool {
    text.lines().any(|line| {
        // Quotes and a trailing comma let a JSON-style file (`"kind": "Environment",`) say so.
        let line: String = line
            .trim_start_matches([' ', '\t', '-', '{', '\u{feff}'])
            .trim_end_matches([',', '}', ' ', '\r'])
            .chars()
            .filter(|c| *c != '"' && *c != '\'')
            .collect();
        top_level_value(&line, "apiVersion").is_some_and(|v| v.starts_with("stagehand/"))
            || top_level_value(&line, "kind").is_some_and(|v| v == "Environment")
    })
}

/// The value of `key` on a line that sets it at the top level, unquoted, without comment.
pub fn top_level_value(line: &str, key: &str) -> Option<String> {
    let rest = line.strip_prefix(key)?;
    let rest = rest.trim_start_matches(' ').strip_prefix(':')?;
    let value = match rest.find(" #") {
        Some(comment) => &rest[..comment],
        None => rest,
    }
    .trim();
    let unquoted = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    Some(unquoted.to_string())
}

/// The environment file an `ENV` argument names: the file, or `environment.yaml` inside
/// the folder.
pub fn environment_file_path(argument: &Path) -> Result<PathBuf> {
    let not_regular = |path: &Path| {
        Error::Usage(format!(
            "{}: not a regular file (a FIFO, socket or device would block or never end; give an environment file)",
            path.display()
        ))
    };
    if argument.is_dir() {
        let candidate = argument.join(ENVIRONMENT_FILE_NAME);
        if candidate.is_file() {
            return Ok(candidate);
        }
        if candidate.exists() {
            return Err(not_regular(&candidate));
        }
        return Err(Error::Usage(format!(
            "{}: no {ENVIRONMENT_FILE_NAME} in this folder (give an environment file or a folder holding {ENVIRONMENT_FILE_NAME})",
            argument.display()
        )));
    }
    if argument.is_file() {
        return Ok(argument.to_path_buf());
    }
    if argument.exists() {
        return Err(not_regular(argument));
    }
    Err(Error::Usage(format!(
        "{}: no such file or folder (give an environment file or a folder holding {ENVIRONMENT_FILE_NAME})",
        argument.display()
    )))
}

/// Reads a UTF-8 text file of at most [`MAX_FILE_BYTES`], named `display` in messages.
pub fn read_text_file(path: &Path, display: &str) -> Result<SourceFile> {
    let metadata = std::fs::metadata(path).map_err(|e| Error::io(path, "cannot read", &e))?;
    if !metadata.is_file() {
        // A FIFO or a device would block or never end.
        return Err(Error::problem(
            Problem::error(Origin::new(display, None), None, "is not a regular file")
                .with_hint("give an environment file"),
        ));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(Error::problem(
            Problem::error(
                Origin::new(display, None),
                None,
                format!(
                    "the file is {} bytes, more than the 1 MiB limit",
                    metadata.len()
                ),
            )
            .with_hint("an environment file is a few kilobytes: check that this is the right file"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read", &e))?;
    let text = String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let line = error.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Error::problem(
            Problem::error(
                Origin::new(display, Some(line)),
                None,
                "the file is not valid UTF-8",
            )
            .with_hint("save it as UTF-8 text"),
        )
    })?;
    Ok(SourceFile::new(display.to_string(), text))
}

/// The first line indented with a tab, which YAML forbids.
fn tab_indented_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|line| line.trim_start_matches(' ').starts_with('\t') && !line.trim().is_empty())
        .map(|index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer of a reader that is not ours (serde_yaml straight to its own values).
    fn oracle(text: &str) -> DeclaredKind {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let Ok(serde_yaml::Value::Mapping(map)) = serde_yaml::from_str::<serde_yaml::Value>(text)
        else {
            return DeclaredKind::Other;
        };
        let field = |name: &str| map.get(name).and_then(serde_yaml::Value::as_str);
        match (field("apiVersion"), field("kind")) {
            (Some(v), Some("Environment")) if v.starts_with("stagehand/") => {
                DeclaredKind::Environment
            }
            (Some(v), Some("Base")) if v.starts_with("stagehand/") => DeclaredKind::Base,
            _ => DeclaredKind::Other,
        }
    }

    /// A document declaring `version` and `kind` (either may be left out) in `layout`.
    fn laid_out(layout: u8, version: Option<&str>, kind: Option<&str>, swap: bool) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(version) = version {
            pairs.push(("apiVersion", version));
        }
        if let Some(kind) = kind {
            pairs.push(("kind", kind));
        }
        if swap {
            pairs.reverse();
        }
        let entry = |(key, value): &(&str, &str)| match layout {
            0 => format!("{key}: {value}\n"),
            1 => format!("\"{key}\": \"{value}\"\n"),
            2 => format!("'{key}': '{value}' # says {value}\n"),
            3 | 4 => format!("{key}: {value}"),
            _ => format!("\"{key}\": \"{value}\""),
        };
        let entries: Vec<String> = pairs.iter().map(entry).collect();
        match layout {
            0..=2 => format!(
                "# kind: Base\n{}metadata:\n  kind: Base\n  name: x\n",
                entries.concat()
            ),
            3 => format!(
                "{{{}, metadata: {{name: x, kind: Base}}}}\n",
                entries.join(", ")
            ),
            4 => format!(
                "{{\n  {},\n  metadata: {{name: x}}\n}}\n",
                entries.join(",\n  ")
            ),
            _ => format!(
                "{{{}, \"metadata\": {{\"name\": \"x\"}}}}",
                entries.join(", ")
            ),
        }
    }

    proptest::proptest! {
        /// Discovery's answer is the reader's for every layout the reader accepts.
        #[test]
        fn declared_kind_agrees_with_the_reader(
            layout in 0u8..6,
            version in proptest::option::of(proptest::sample::select(vec!["stagehand/v1alpha1", "v1", "stagehand/v2", "argoproj.io/v1alpha1"])),
            kind in proptest::option::of(proptest::sample::select(vec!["Environment", "Base", "Application", "environment"])),
            swap: bool,
            bom: bool,
            crlf: bool,
        ) {
            let mut text = laid_out(layout, version, kind, swap);
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            if bom {
                text.insert(0, '\u{feff}');
            }
            proptest::prop_assert_eq!(declared_kind(&text), oracle(&text), "{}", text);
        }
    }

    #[test]
    fn files_declare_what_they_are_in_their_top_level_lines() {
        let environment = "# comment\napiVersion: stagehand/v1alpha1\nkind: Environment\n";
        assert_eq!(declared_kind(environment), DeclaredKind::Environment);
        assert_eq!(
            declared_kind(
                "apiVersion: 'stagehand/v1alpha1'\r\nkind: \"Environment\" # x\r\nspec: [\n"
            ),
            DeclaredKind::Environment
        );
        assert_eq!(
            declared_kind("apiVersion: stagehand/v1alpha1\nkind: Base\n"),
            DeclaredKind::Base
        );
        assert_eq!(
            declared_kind(r#"{"kind": "Environment", "apiVersion": "stagehand/v1alpha1"}"#),
            DeclaredKind::Environment
        );
        // A Conda environment.yaml, and a nested `kind` that is not the file's own.
        assert_eq!(
            declared_kind("name: data\nchannels: [conda-forge]\ndependencies: [numpy]\n"),
            DeclaredKind::Other
        );
        assert_eq!(
            declared_kind("apiVersion: v1\nitems:\n  - kind: Environment\n"),
            DeclaredKind::Other
        );
        assert!(claims_to_be_environment(
            "- apiVersion: stagehand/v1alpha1\n"
        ));
        assert!(!claims_to_be_environment(
            "root:x:0:0:root:/root:/bin/bash\nname: data\n"
        ));
    }
}

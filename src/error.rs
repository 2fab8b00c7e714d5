//! Everything that can go wrong, as data, and how it reads to the user.
//!
//! A [`Problem`] is one located finding (file, line, field, what is wrong, what would be
//! right); an [`Error`] is what a command fails with. `main` prints an error once, one
//! `error: ...` line per problem, so every message in the tool has the same shape.

use std::fmt;
use std::path::Path;

use crate::field_path::FieldPath;

/// Exit code for "differences found" (`diff`, `render --check`), as grep and diff use 1.
pub const EXIT_DIFFERENCES: u8 = 1;
/// Exit code for usage and input errors: every [`Error`] ends a command with it.
pub const EXIT_ERROR: u8 = 2;

/// Where a problem was found: a file (or `--set`) and, when known, a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file as the user named it, or `--set` for command-line overrides.
    pub file: String,
    /// The 1-based line, when the field could be located.
    pub line: Option<usize>,
}

impl Origin {
    /// An origin in `file` at `line`.
    pub fn new(file: impl Into<String>, line: Option<usize>) -> Self {
        Self {
            file: file.into(),
            line,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

/// How serious a problem is: errors stop a render, warnings are only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The input cannot be rendered.
    Error,
    /// The input renders, but probably not as intended.
    Warning,
}

/// One finding about the input, located as precisely as possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// File and line.
    pub origin: Origin,
    /// The field concerned, when there is one.
    pub field: Option<FieldPath>,
    /// What is wrong, lower case, without a trailing period.
    pub message: String,
    /// What would be right, when the tool can say.
    pub hint: Option<String>,
}

impl Problem {
    /// An error at `origin` about `field`.
    pub fn error(origin: Origin, field: Option<FieldPath>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            origin,
            field,
            message: message.into(),
            hint: None,
        }
    }

    /// A warning at `origin` about `field`.
    pub fn warning(origin: Origin, field: Option<FieldPath>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(origin, field, message)
        }
    }

    /// The same problem with a hint saying what would be right.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this problem stops a render.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.origin)?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// A problem located only by field path; the pipeline adds file and line (see
/// `locate::Locator`), so checks stay independent of where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The field concerned.
    pub path: FieldPath,
    /// What is wrong.
    pub message: String,
    /// What would be right.
    pub hint: Option<String>,
    /// Another field that decides the problem (a duration that a default renewBefore
    /// contradicts): where to point when `path` is a default the user never wrote.
    pub decided_by: Option<FieldPath>,
}

impl Finding {
    /// An error about `path`.
    pub fn error(path: FieldPath, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            path,
            message: message.into(),
            hint: None,
            decided_by: None,
        }
    }

    /// The same finding, decided by the field `other` too.
    pub fn decided_by(mut self, other: FieldPath) -> Self {
        self.decided_by = Some(other);
        self
    }

    /// A warning about `path`.
    pub fn warning(path: FieldPath, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(path, message)
        }
    }

    /// The same finding with a hint saying what would be right.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Why a command failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The input is wrong in one or more places.
    #[error("{}", join_lines(.0))]
    Invalid(Vec<Problem>),
    /// A file or folder could not be read or written.
    #[error("{path}: {action}: {reason}")]
    Io {
        /// The file or folder, as the user would name it.
        path: String,
        /// What the tool was doing ("cannot read", "cannot write").
        action: &'static str,
        /// The operating system's reason.
        reason: String,
    },
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// An input error made of a single problem.
    pub fn problem(problem: Problem) -> Self {
        Self::Invalid(vec![problem])
    }

    /// An I/O failure on `path`.
    pub fn io(path: &Path, action: &'static str, error: &std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            action,
            reason: describe_io_error(error),
        }
    }

    /// The lines `main` prints, each already prefixed with `error: ` or `warning: `: at
    /// most [`MAX_PRINTED_PROBLEMS`], then how many more there are.
    pub fn report_lines(&self) -> Vec<String> {
        match self {
            Self::Invalid(problems) => problem_lines(problems),
            other => vec![format!("error: {other}")],
        }
    }

    /// The same error with file names starting `from` rewritten to start `to` (so a
    /// temporary checkout reads `REV:path`, and ArgoCD's copy reads as the repository).
    pub fn relabel(self, from: &str, to: &str) -> Self {
        match self {
            Self::Invalid(problems) => Self::Invalid(
                problems
                    .into_iter()
                    .map(|mut problem| {
                        if let Some(rest) = problem.origin.file.strip_prefix(from) {
                            problem.origin.file = format!("{to}{rest}");
                        }
                        problem
                    })
                    .collect(),
            ),
            Self::Io {
                path,
                action,
                reason,
            } => Self::Io {
                path: path.replacen(from, to, 1),
                action,
                reason,
            },
            Self::Usage(message) => Self::Usage(message.replace(from, to)),
        }
    }

    /// Prints the error to stderr, one line per problem (warnings beside errors too,
    /// unless quiet).
    pub fn eprint(&self) {
        match self {
            Self::Invalid(problems) => eprint_problems(problems),
            // Every line of a message of several lines carries the prefix, so a reader
            // filtering on `error:` (a CI log, grep) sees all of it.
            other => eprint_lines(
                other
                    .to_string()
                    .lines()
                    .map(|line| format!("error: {line}")),
            ),
        }
    }
}

/// Writes `lines` to stderr in one write, each ending in a newline. A stderr that cannot
/// be written (a closed pipe, a full disk) is ignored: there is nowhere left to report it,
/// and the command's outcome and exit code must not change because of it (`eprintln!`
/// would panic).
pub fn eprint_lines<I, S>(lines: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    use std::io::Write;
    let mut text = String::new();
    for line in lines {
        text.push_str(line.as_ref());
        text.push('\n');
    }
    if !text.is_empty() {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

/// Whether warnings are printed: one switch for the process, set once from `-q/--quiet`.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Silences warnings (`-q/--quiet`); errors are always printed.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

/// Prints `problems` to stderr, at most [`MAX_PRINTED_PROBLEMS`]: warnings only when not
/// quiet.
pub fn eprint_problems(problems: &[Problem]) {
    let quiet = QUIET.load(std::sync::atomic::Ordering::Relaxed);
    let shown: Vec<Problem> = problems
        .iter()
        .filter(|problem| !quiet || problem.is_error())
        .cloned()
        .collect();
    eprint_lines(problem_lines(&shown));
}

/// Prints one warning line that is not a [`Problem`] (a note about the run), unless quiet.
pub fn eprint_warning(line: &str) {
    if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        eprint_lines([line]);
    }
}

/// Most problems printed for one file; a hostile file with thousands of unknown keys gets
/// a count, not a flood.
pub const MAX_PRINTED_PROBLEMS: usize = 20;

/// Errors before warnings; within each, files in the order they first appear and lines
/// top to bottom (problems without a line last), as a reader goes through the file.
pub fn in_reading_order(problems: &[Problem]) -> Vec<&Problem> {
    let mut files: Vec<&str> = Vec::new();
    for problem in problems {
        if !files.contains(&problem.origin.file.as_str()) {
            files.push(&problem.origin.file);
        }
    }
    let mut ordered: Vec<&Problem> = problems.iter().collect();
    ordered.sort_by_key(|problem| {
        (
            !problem.is_error(),
            files.iter().position(|file| *file == problem.origin.file),
            problem.origin.line.unwrap_or(usize::MAX),
        )
    });
    ordered
}

/// Problems as printed: at most [`MAX_PRINTED_PROBLEMS`] lines, then `... and N more`.
pub fn problem_lines(problems: &[Problem]) -> Vec<String> {
    let mut lines: Vec<String> = in_reading_order(problems)
        .into_iter()
        .take(MAX_PRINTED_PROBLEMS)
        .map(report_line)
        .collect();
    if problems.len() > MAX_PRINTED_PROBLEMS {
        lines.push(format!(
            "... and {} more",
            problems.len() - MAX_PRINTED_PROBLEMS
        ));
    }
    lines
}

/// One problem as printed: `error: file:line: field: message (hint)`.
pub fn report_line(problem: &Problem) -> String {
    let label = match problem.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!("{label}: {problem}")
}

fn join_lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn describe_io_error(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "no such file or folder".to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::InvalidData => "the file is not valid UTF-8 text".to_string(),
        _ => error.to_string(),
    }
}

/// The result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reads_file_line_field_message_hint() {
        let problem = Problem::error(
            Origin::new("env.yaml", Some(7)),
            Some(FieldPath::root().key("spec").key("hostnam")),
            "unknown field `hostnam`",
        )
        .with_hint("did you mean `hostname`?");
        assert_eq!(
            report_line(&problem),
            "error: env.yaml:7: spec.hostnam: unknown field `hostnam` (did you mean `hostname`?)"
        );
    }
}

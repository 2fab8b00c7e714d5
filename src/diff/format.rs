//! The diff report as text (terminals), Markdown (a pull-request comment) or JSON.
//!
//! All three lead with the summary. Markdown is capped at [`MARKDOWN_LIMIT`] characters so
//! it fits a GitHub comment; whole objects are left out past the cap and a note says which.

use crate::diff::fields::{FieldChange, MAX_FIELD_CHANGES, shown};
use crate::diff::{Change, DiffReport, DocumentChange, EnvironmentChange, Revisions};

/// The hidden line a Markdown report starts with: a CI job finds its own earlier comment
/// by it, to update that comment instead of adding another.
pub const MARKDOWN_MARKER: &str = "<!-- stagehand-diff -->";

/// Largest Markdown report, in characters (GitHub comments hold 65,536).
pub const MARKDOWN_LIMIT: usize = 65_000;

/// `text` for a terminal: each control character (a newline in a folder name, an escape
/// sequence) written out as its Rust escape (`\n`, `\u{1b}`), so no name can add a line
/// to the report or paint the terminal.
fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` as inline Markdown that is only text: each character Markdown or HTML gives a
/// meaning inline ([`MARKDOWN_SPECIAL`]) as an HTML character reference (so `|` cannot end
/// a table cell, `<` open a tag, `` ` `` a code span, `*` or `[` format or link), and
/// control characters written out as escapes, so no name can add a line, a heading or HTML
/// to a pull-request comment.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if MARKDOWN_SPECIAL.contains(c) {
            out.push_str(&format!("&#{};", u32::from(c)));
        } else if c.is_control() {
            for escaped in c.escape_default() {
                if escaped == '\\' {
                    out.push_str("&#92;");
                } else {
                    out.push(escaped);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters [`markdown_text`] writes as character references.
const MARKDOWN_SPECIAL: &str = "&<>|`*_[]\\~#!\"'=";

/// A field change with its path and values in `<code>` elements.
fn markdown_field(field: &FieldChange) -> String {
    format!(
        "{}: {} → {}",
        markdown_code(&field.path),
        markdown_code(&shown(field.old.as_ref())),
        markdown_code(&shown(field.new.as_ref()))
    )
}

/// [`markdown_text`] in a `<code>` element.
fn markdown_code(text: &str) -> String {
    format!("<code>{}</code>", markdown_text(text))
}

fn environment_title(environment: &EnvironmentChange) -> String {
    match (environment.path.as_str(), environment.name.as_str()) {
        (".", name) => name.to_string(),
        (path, "") => path.to_string(),
        (path, name) => format!("{path} ({name})"),
    }
}

fn counts_text(environment: &EnvironmentChange) -> String {
    let (added, removed, changed) = environment.counts();
    format!("{added} added, {removed} removed, {changed} changed")
}

fn summary_line(report: &DiffReport) -> String {
    if !report.has_changes() {
        return format!("no differences in {} environment(s)", report.compared);
    }
    format!(
        "{} of {} environment(s) differ",
        report.environments.len(),
        report.compared
    )
}

/// `base origin/main (1a2b3c4) → working tree at 5d6e7f8`, each name passed through
/// `escape` (a branch name is the user's text); `Base` when `capital`.
fn revisions_line(revisions: &Revisions, capital: bool, escape: impl Fn(&str) -> String) -> String {
    let head = if revisions.head_commit.is_empty() {
        "the working tree (no commit yet)".to_string()
    } else {
        format!("working tree at {}", escape(&revisions.head_commit))
    };
    format!(
        "{} {} ({}) → {head}{}",
        if capital { "Base" } else { "base" },
        escape(&revisions.base),
        escape(&revisions.base_commit),
        if revisions.uncommitted {
            ", with uncommitted changes"
        } else {
            ""
        }
    )
}

/// The field lines of a changed object (at most [`MAX_FIELD_CHANGES`], then a count), each
/// written by `line`.
fn field_lines(object: &DocumentChange, line: impl Fn(&FieldChange) -> String) -> Vec<String> {
    let mut lines: Vec<String> = object
        .fields
        .iter()
        .take(MAX_FIELD_CHANGES)
        .map(line)
        .collect();
    if object.fields.len() > MAX_FIELD_CHANGES {
        lines.push(format!(
            "… and {} more field(s)",
            object.fields.len() - MAX_FIELD_CHANGES
        ));
    }
    lines
}

fn sealed_note(object: &DocumentChange) -> Option<String> {
    (!object.sealed_keys_changed.is_empty()).then(|| {
        format!(
            "sealed values changed for: {} (ciphertext not shown)",
            object.sealed_keys_changed.join(", ")
        )
    })
}

/// Plain text, coloured when `colour` (a terminal without NO_COLOR).
pub fn text(report: &DiffReport, colour: bool) -> String {
    let paint = |code: &str, line: &str| {
        if colour {
            format!("\x1b[{code}m{line}\x1b[0m")
        } else {
            line.to_string()
        }
    };
    let mut out = format!("{}\n", summary_line(report));
    if let Some(revisions) = &report.revisions {
        out.push_str(&format!(
            "{}\n",
            revisions_line(revisions, false, terminal_safe)
        ));
    }
    for environment in &report.environments {
        out.push_str(&format!(
            "  {}: {} ({})\n",
            terminal_safe(&environment_title(environment)),
            environment.change,
            counts_text(environment)
        ));
    }
    for environment in &report.environments {
        out.push_str(&format!(
            "\n{}\n",
            paint(
                "1",
                &format!(
                    "=== {}: {}",
                    terminal_safe(&environment_title(environment)),
                    environment.change
                )
            )
        ));
        for object in &environment.objects {
            out.push_str(&paint(
                "1;36",
                &format!(
                    "--- {}: {}",
                    terminal_safe(&object.id.to_string()),
                    object.change
                ),
            ));
            out.push('\n');
            if let Some(note) = sealed_note(object) {
                out.push_str(&format!("{note}\n"));
            }
            for line in field_lines(object, |field| terminal_safe(&field.line())) {
                out.push_str(&format!("  {line}\n"));
            }
            for line in object.diff.lines() {
                let line = &terminal_safe(line);
                let painted = match line.chars().next() {
                    Some('+') if !line.starts_with("+++") => paint("32", line),
                    Some('-') if !line.starts_with("---") => paint("31", line),
                    Some('@') => paint("36", line),
                    _ => line.to_string(),
                };
                out.push_str(&painted);
                out.push('\n');
            }
        }
    }
    out
}

/// Markdown: a summary table, then one collapsed section per environment.
pub fn markdown(report: &DiffReport) -> String {
    let mut head = format!("{MARKDOWN_MARKER}\n### stagehand diff\n\n");
    if let Some(revisions) = &report.revisions {
        let line = revisions_line(revisions, true, markdown_code);
        head.push_str(&format!("{line}.\n\n"));
    }
    head.push_str(&format!("{}.\n", summary_line(report)));
    if report.has_changes() {
        head.push_str(
            "\n| environment | change | added | removed | changed |\n|---|---|---|---|---|\n",
        );
        for (row, environment) in report.environments.iter().enumerate() {
            // The table may take at most half the comment; the rest is counted.
            if head.len() > MARKDOWN_LIMIT / 2 {
                let rest = report.environments.len() - row;
                head.push_str(&format!("| … and {rest} more environment(s) | | | | |\n"));
                break;
            }
            let (added, removed, changed) = environment.counts();
            head.push_str(&format!(
                "| {} | {} | {added} | {removed} | {changed} |\n",
                markdown_code(&environment_title(environment)),
                environment.change
            ));
        }
    }
    let mut out = head;
    let mut cut_objects = 0;
    let mut cut_environments: Vec<&str> = Vec::new();
    for environment in &report.environments {
        let mut section = format!(
            "\n<details><summary>{}: {} ({})</summary>\n\n",
            markdown_code(&environment_title(environment)),
            environment.change,
            counts_text(environment)
        );
        let mut shown = 0;
        for object in &environment.objects {
            let mut block = format!(
                "**{}** ({})\n\n",
                markdown_text(&object.id.to_string()),
                object.change
            );
            if let Some(note) = sealed_note(object) {
                block.push_str(&format!("{note}\n\n"));
            }
            let fields = field_lines(object, markdown_field);
            if !fields.is_empty() {
                for line in fields {
                    block.push_str(&format!("- {line}\n"));
                }
                block.push('\n');
            }
            block.push_str(&format!("```diff\n{}```\n\n", fenced(&object.diff)));
            // Once one object does not fit, everything after it is cut, so what is shown
            // is a prefix of the full report. Room is kept for the note.
            let fits = cut_objects == 0
                && out.len() + section.len() + block.len() + CLOSE.len() + NOTE_ROOM
                    <= MARKDOWN_LIMIT;
            if fits {
                section.push_str(&block);
                shown += 1;
            } else {
                cut_objects += 1;
                if cut_environments.last() != Some(&environment.path.as_str()) {
                    cut_environments.push(&environment.path);
                }
            }
        }
        if shown > 0 {
            section.push_str(CLOSE);
            out.push_str(&section);
        }
    }
    if cut_objects > 0 {
        let listed: Vec<String> = cut_environments
            .iter()
            .take(5)
            .map(|path| markdown_code(path))
            .collect();
        let more = cut_environments.len().saturating_sub(listed.len());
        out.push_str(&format!(
            "\n> Output cut at {MARKDOWN_LIMIT} characters: {cut_objects} object diff(s) in {} environment(s) \
             are not shown ({}{}). Run `stagehand diff` locally for the whole diff.\n",
            cut_environments.len(),
            listed.join(", "),
            if more > 0 { format!(", and {more} more") } else { String::new() }
        ));
    }
    out
}

const CLOSE: &str = "</details>\n";

/// Room kept under the cap for the note about what was cut.
const NOTE_ROOM: usize = 600;

/// A diff made safe inside a ``` fence.
fn fenced(diff: &str) -> String {
    let text: String = diff
        .split('\n')
        .map(terminal_safe)
        .collect::<Vec<_>>()
        .join("\n")
        .replace("```", "`\u{200b}``");
    if text.ends_with('\n') {
        text
    } else {
        format!("{text}\n")
    }
}

/// JSON: the summary, the commits compared (with `--base`) and, per environment and
/// object, the change, its fields and the diff text.
pub fn json(report: &DiffReport) -> String {
    let summary = serde_json::json!({
        "compared": report.compared,
        "changed": report.environments.len(),
        "added": report.environments.iter().filter(|e| e.change == Change::Added).count(),
        "removed": report.environments.iter().filter(|e| e.change == Change::Removed).count(),
    });
    let mut document =
        serde_json::json!({ "summary": summary, "environments": report.environments });
    if let Some(revisions) = &report.revisions {
        document["revisions"] = serde_json::json!(revisions);
    }
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

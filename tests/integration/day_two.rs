//! Day two: environments that share a cluster, sealed values moved away from where they
//! can be unsealed, chart versions the base was not written for, and what deleting an
//! environment cascades to.

use std::path::PathBuf;

use crate::argocd::{generate, repository_copy};
use crate::diff::GitRepo;
use crate::support::{Stagehand, assert_contains, parse_stream, repo, unsealed_overlay};

/// `overlays/dev` unsealed, as `a` and as `b` in a new temporary folder, with `edits`
/// (from, to) applied to `b`.
fn two_environments(edits: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let [a, b] = ["a", "b"].map(|name| {
        let file = dir.path().join(name).join("environment.yaml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        unsealed_overlay("dev", &file);
        file
    });
    for (from, to) in edits {
        crate::support::replace_in_file(&b, from, to);
    }
    (dir, a, b)
}

const DEV_NAME: &str = "  name: dev\n";
const DEV_NAMESPACE: &str = "  namespace: backstage-dev\n";
const DEV_HOST: &str = "  hostname: backstage-dev.10.0.0.200.nip.io\n";

/// The error lines of a run's stderr.
fn errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect()
}

#[test]
fn validate_refuses_two_environments_that_would_share_objects_a_hostname_or_an_application() {
    let other_name = ("  name: dev\n", "  name: other\n");
    let other_namespace = (DEV_NAMESPACE, "  namespace: backstage-other\n");
    let other_host = (DEV_HOST, "  hostname: other.10.0.0.200.nip.io\n");
    // Edits to `b`, the field that clashes, and what the message says.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 3] = [
        (
            &[other_name, other_host],
            "spec.namespace",
            "installs release `backstage` into namespace `backstage-dev` on https://kubernetes.default.svc too",
        ),
        (
            &[other_name, other_namespace],
            "spec.hostname",
            "serves `backstage-dev.10.0.0.200.nip.io` too",
        ),
        (
            &[other_namespace, other_host],
            "spec.argocd.applicationName",
            "makes the Application `backstage-dev` in namespace `argocd` too",
        ),
    ];
    for (edits, field, message) in cases {
        let (_dir, a, b) = two_environments(edits);
        let run = Stagehand::new(["validate".as_ref(), a.as_os_str(), b.as_os_str()]).run();
        assert_eq!(run.code, 2, "{field}: {}", run.stderr);
        let expected = format!("error: {}: {field}: {} {message}", b.display(), a.display());
        let errors = errors(&run.stderr);
        assert!(
            errors.len() == 1 && errors[0].starts_with(&expected),
            "{field}: {}",
            run.stderr
        );
        // Each one alone is fine.
        for file in [&a, &b] {
            let alone = Stagehand::new(["validate".as_ref(), file.as_os_str()]).run();
            assert_eq!(alone.code, 0, "{}", alone.stderr);
        }
    }
    let (_dir, a, b) = two_environments(&[other_name, other_namespace, other_host]);
    let run = Stagehand::new(["validate".as_ref(), a.as_os_str(), b.as_os_str()]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn the_shipped_overlays_deploy_side_by_side() {
    let run = Stagehand::new([
        "validate",
        "overlays/dev",
        "overlays/minicloud",
        "overlays/prod",
    ])
    .run();
    assert_eq!(
        (run.code, errors(&run.stderr)),
        (0, vec![]),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("too:"), "{}", run.stderr);
}

#[test]
fn render_and_diff_warn_about_a_shared_cluster_and_go_on() {
    // Two names, so they can share an out-dir; one Application name, set by hand.
    let (dir, a, b) = two_environments(&[(DEV_NAME, "  name: other\n")]);
    for file in [&a, &b] {
        crate::support::replace_in_file(
            file,
            DEV_HOST,
            &format!("{DEV_HOST}  argocd: {{ applicationName: portal }}\n"),
        );
    }
    let out = dir.path().join("out");
    let run = Stagehand::new(["render".as_ref(), a.as_os_str(), b.as_os_str()])
        .arg("--out-dir")
        .arg(&out)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    for field in [
        "spec.namespace",
        "spec.hostname",
        "spec.argocd.applicationName",
    ] {
        assert_contains(
            &run.stderr,
            &format!("warning: {}: {field}: {}", b.display(), a.display()),
        );
    }
    assert!(out.join("dev/values.yaml").is_file() && out.join("other/values.yaml").is_file());

    let repository = GitRepo::with_overlays(&["dev"]);
    let copy = repository.path("overlays/dev-copy/environment.yaml");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(repository.path("overlays/dev/environment.yaml"), &copy).unwrap();
    crate::support::replace_in_file(&copy, DEV_NAME, "  name: dev-copy\n");
    let run = repository.diff(&["--base", "HEAD"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_contains(&run.stdout, "overlays/dev-copy (dev-copy): added");
    assert_contains(
        &run.stderr,
        "warning: overlays/dev-copy/environment.yaml: spec.hostname: overlays/dev/environment.yaml serves `backstage-dev.10.0.0.200.nip.io` too",
    );
    assert_contains(
        &run.stderr,
        "warning: overlays/dev-copy/environment.yaml: spec.namespace: overlays/dev/environment.yaml installs release `backstage`",
    );
}

/// A copy of the sealed overlay `dev` in a new temporary folder, edited with `from` → `to`.
fn moved_sealed_copy(from: &str, to: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("environment.yaml");
    std::fs::copy(repo().join("overlays/dev/environment.yaml"), &file).unwrap();
    crate::support::replace_in_file(&file, from, to);
    (dir, file)
}

const RESEAL: &str = "seal them again for where they go: stagehand seal ENV --cert CERT";

#[test]
fn sealed_values_moved_to_another_namespace_secret_or_scope_are_refused_naming_the_re_seal() {
    let cases = [
        (
            DEV_NAMESPACE,
            "  namespace: backstage-qa\n",
            "spec.database.sealedFor.namespace: the values were sealed for namespace `backstage-dev`, but spec.namespace is `backstage-qa`",
        ),
        (
            "  database:\n",
            "  database:\n    secretName: renamed-secret\n",
            "spec.database.sealedFor.secretName: the values were sealed for secretName `backstage-postgres-secret`, but spec.database.secretName is `renamed-secret`",
        ),
        (
            "  database:\n",
            "  database:\n    sealingScope: namespace-wide\n",
            "spec.database.sealedFor.scope: the values were sealed for scope `strict`, but spec.database.sealingScope is `namespace-wide`",
        ),
    ];
    for (from, to, message) in cases {
        let (_dir, file) = moved_sealed_copy(from, to);
        for command in ["validate", "render"] {
            let run = Stagehand::new([command.as_ref(), file.as_os_str()]).run();
            assert_eq!((command, run.code), (command, 2), "{}", run.stderr);
            assert_contains(&run.stderr, message);
            assert_contains(&run.stderr, RESEAL);
            assert_eq!(run.stdout, "");
        }
    }
}

#[test]
fn generate_refuses_a_copied_environment_whose_namespace_moved() {
    let (_dir, root) = repository_copy();
    let file = root
        .join(crate::argocd::SOURCE_PATH)
        .join("environment.yaml");
    crate::support::replace_in_file(&file, "  namespace: backstage\n", "  namespace: team-b\n");
    let run = generate(&root, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_contains(&run.stderr, "sealed for namespace `backstage`");
    assert_contains(&run.stderr, "stagehand seal ENV --cert CERT");
}

#[test]
fn sealed_values_without_a_record_get_a_warning_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("environment.yaml");
    let text = std::fs::read_to_string(repo().join("overlays/dev/environment.yaml")).unwrap();
    let record = "    sealedFor:\n      namespace: backstage-dev\n      secretName: backstage-postgres-secret\n      scope: strict\n";
    assert!(
        text.contains(record),
        "overlays/dev has no sealedFor record"
    );
    std::fs::write(&file, text.replace(record, "")).unwrap();
    let run = Stagehand::new(["validate".as_ref(), file.as_os_str()]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(&run.stderr, "spec.database.sealedFor");
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("warning:") && l.contains("sealedFor")),
        "{}",
        run.stderr
    );
    assert_eq!(errors(&run.stderr), Vec::<&str>::new());
}

#[test]
fn a_chart_version_the_base_was_not_written_for_is_an_error_naming_the_way_forward() {
    let run = Stagehand::new([
        "validate",
        "overlays/minicloud",
        "--set",
        "spec.chart.version=3.0.0",
    ])
    .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        errors(&run.stderr),
        [
            "error: --set: spec.chart.version: chart 3.0.0 is not a version the built-in base was written for (it supports 2.7.0) (use 2.7.0; for another chart version, make a base of your own (`base: <folder>`) whose environment.yaml lists it under chartVersions, and check what it renders with `stagehand render ENV --expand-chart`)"
        ]
    );
}

#[test]
fn a_base_of_ones_own_declares_the_chart_versions_it_supports() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    crate::argocd_install::copy_tree(&repo().join("base"), &root.join("base"), &[]);
    crate::support::replace_in_file(
        &root.join("base/environment.yaml"),
        "chartVersions: [2.7.0]",
        "chartVersions: [2.7.0, 2.8.0]",
    );
    let env = root.join("env");
    std::fs::create_dir(&env).unwrap();
    std::fs::write(
        env.join("environment.yaml"),
        crate::support::environment_with("  chart: { version: 2.8.0 }\n")
            .replace("kind: Environment\n", "kind: Environment\nbase: ../base\n"),
    )
    .unwrap();
    let run = Stagehand::new(["validate".as_ref(), env.as_os_str()]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = Stagehand::new(["validate".as_ref(), env.as_os_str()])
        .args(["--set", "spec.chart.version=2.9.0"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(&run.stderr, "(it supports 2.7.0, 2.8.0)");
}

#[test]
fn deleting_an_environment_cascades_unless_it_opts_out() {
    let finalizers = |extra: &[&str]| {
        let mut args = vec!["render", "overlays/minicloud"];
        args.extend(extra);
        let stream = Stagehand::new(args).succeeds();
        parse_stream(&stream)
            .into_iter()
            .find(|object| object["kind"] == "Application")
            .expect("an Application")["metadata"]["finalizers"]
            .clone()
    };
    assert_eq!(
        finalizers(&[]),
        serde_json::json!(["resources-finalizer.argocd.argoproj.io"])
    );
    assert_eq!(
        finalizers(&["--set", "spec.argocd.cascadeDelete=false"]),
        serde_json::Value::Null
    );
}

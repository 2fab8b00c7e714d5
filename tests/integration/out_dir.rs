//! `render --out-dir`: the files, their checksums, kustomize, `--check`, several
//! environments, and that a failed or refused run loses nothing.

use std::ffi::OsStr;
use std::path::Path;

use crate::support::{
    Stagehand, assert_contains, environment_with, parse_stream, temp_environment,
};

const FILES: [&str; 8] = [
    "SHA256SUMS",
    "application.yaml",
    "catalog-locations.yaml",
    "certificate.yaml",
    "ingress.yaml",
    "kustomization.yaml",
    "sealed-secret.yaml",
    "values.yaml",
];

fn render_into(environments: &[&str], out: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args: Vec<&OsStr> = vec![OsStr::new("render")];
    args.extend(environments.iter().map(OsStr::new));
    args.push(OsStr::new("--out-dir"));
    args.push(out.as_os_str());
    args.extend(extra.iter().map(OsStr::new));
    Stagehand::new(args).run()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn writes_the_eight_files_with_valid_checksums_and_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("minicloud");
    let run = render_into(&["overlays/minicloud"], &out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(file_names(&out), FILES);
    assert_eq!(crate::support::checksums_pass(&out).lines().count(), 7);
}

#[test]
fn kubectl_kustomize_builds_the_same_objects_as_the_stream() {
    if !crate::support::available(&[crate::support::Need::Kubectl]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("minicloud");
    assert_eq!(render_into(&["overlays/minicloud"], &out, &[]).code, 0);
    let mut from_kustomize = crate::support::kustomize(&out);
    let mut from_stream =
        parse_stream(&Stagehand::new(["render", "overlays/minicloud"]).succeeds());
    let identity =
        |object: &serde_json::Value| format!("{}/{}", object["kind"], object["metadata"]["name"]);
    from_kustomize.sort_by_key(identity);
    from_stream.sort_by_key(identity);
    assert_eq!(from_kustomize.len(), 4);
    assert_eq!(from_kustomize, from_stream);
}

#[test]
fn check_exits_0_when_unchanged_and_1_listing_changes_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("minicloud");
    assert_eq!(render_into(&["overlays/minicloud"], &out, &[]).code, 0);
    let unchanged = render_into(&["overlays/minicloud"], &out, &["--check"]);
    assert_eq!((unchanged.code, unchanged.stdout.as_str()), (0, ""));

    std::fs::write(out.join("ingress.yaml"), "edited by hand\n").unwrap();
    std::fs::write(out.join("stray.yaml"), "x: 1\n").unwrap();
    let changed = render_into(&["overlays/minicloud"], &out, &["--check"]);
    assert_eq!(changed.code, 1);
    let listed: Vec<&str> = changed.stdout.lines().collect();
    assert_eq!(listed.len(), 2, "{}", changed.stdout);
    assert!(listed[0].starts_with("would change: ") && listed[0].ends_with("ingress.yaml"));
    assert!(listed[1].ends_with("stray.yaml"));
    assert_eq!(
        std::fs::read_to_string(out.join("ingress.yaml")).unwrap(),
        "edited by hand\n"
    );
}

#[test]
fn several_environments_go_to_one_folder_each() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rendered");
    let run = render_into(
        &["overlays/minicloud", "overlays/dev", "overlays/prod"],
        &out,
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(file_names(&out), ["dev", "minicloud", "prod"]);
    for name in ["dev", "minicloud", "prod"] {
        assert_eq!(file_names(&out.join(name)), FILES);
    }
    // The renders of one run share parsed template skeletons; prod takes other template
    // branches (no guest sign-in) than minicloud and dev: each is what it is alone.
    for name in ["dev", "minicloud", "prod"] {
        let single = dir.path().join(format!("single-{name}"));
        let lone = render_into(&[&format!("overlays/{name}")], &single, &[]);
        assert_eq!(lone.code, 0, "{}", lone.stderr);
        for file in FILES {
            assert_eq!(
                std::fs::read(single.join(file)).unwrap(),
                std::fs::read(out.join(name).join(file)).unwrap(),
                "{name}/{file} differs between a lone and a multi-environment render"
            );
        }
    }
}

#[test]
fn two_environments_with_one_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let copy = temp_environment(
        &std::fs::read_to_string(crate::support::repo().join("overlays/dev/environment.yaml"))
            .unwrap(),
    );
    let out = dir.path().join("rendered");
    let run = render_into(&["overlays/dev", copy.path().to_str().unwrap()], &out, &[]);
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, "both name their environment `dev`");
    assert!(!out.exists());
}

#[test]
fn a_failed_render_leaves_the_previous_files_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let env = temp_environment(&environment_with(""));
    let good = env.path().join("environment.yaml");
    assert_eq!(render_into(&[good.to_str().unwrap()], &out, &[]).code, 0);
    let before: Vec<Vec<u8>> = FILES
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    std::fs::write(&good, environment_with("  replicas: many\n")).unwrap();
    let run = render_into(&[good.to_str().unwrap()], &out, &[]);
    assert_eq!(run.code, 2);
    let after: Vec<Vec<u8>> = FILES
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    let leftovers: Vec<String> = file_names(dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".stagehand"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary folders left behind: {leftovers:?}"
    );
}

/// The bytes of every file of the dev and prod renders under `out`.
fn contents(out: &Path) -> Vec<Vec<u8>> {
    let paths = ["dev", "prod"]
        .iter()
        .flat_map(|name| FILES.iter().map(move |file| out.join(name).join(file)));
    paths.map(|path| std::fs::read(path).unwrap()).collect()
}

#[test]
fn one_failing_environment_of_several_writes_nothing_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rendered");
    let bad = temp_environment(&environment_with("  replicas: many\n"));
    let bad = bad.path().join("environment.yaml");
    // The others render (and are written into hidden folders) before the failure counts.
    let fresh = render_into(
        &["overlays/dev", "overlays/prod", bad.to_str().unwrap()],
        &out,
        &[],
    );
    assert_eq!(fresh.code, 2, "{}", fresh.stderr);
    assert!(!out.exists(), "a failed run created the out-dir");
    assert_eq!(
        render_into(&["overlays/dev", "overlays/prod"], &out, &[]).code,
        0
    );
    let before = contents(&out);
    let again = render_into(
        &["overlays/dev", "overlays/prod", bad.to_str().unwrap()],
        &out,
        &[],
    );
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        before == contents(&out),
        "a failed run changed the previous render"
    );
    assert_eq!(
        file_names(&out),
        ["dev", "prod"],
        "hidden folders left behind"
    );
}

#[test]
fn a_folder_with_foreign_files_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let run = render_into(&["overlays/minicloud"], dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert_contains(
        &run.stderr,
        "refusing to replace this folder: it holds `notes.txt`",
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(file_names(dir.path()), ["notes.txt"]);
}

#[test]
fn rerendering_replaces_a_previous_render() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_eq!(render_into(&["overlays/dev"], &out, &[]).code, 0);
    assert_eq!(render_into(&["overlays/minicloud"], &out, &[]).code, 0);
    let ingress = std::fs::read_to_string(out.join("ingress.yaml")).unwrap();
    assert!(ingress.contains("host: backstage.10.0.0.200.nip.io"));
    assert_eq!(file_names(dir.path()), ["out"]);
}

#[test]
fn a_symlink_planted_in_the_out_dir_is_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_eq!(render_into(&["overlays/dev"], &out, &[]).code, 0);
    // A file of this test's own, outside the out-dir, that a planted link points at.
    let target = dir.path().join("elsewhere.txt");
    std::fs::write(&target, "not stagehand's").unwrap();
    std::fs::remove_file(out.join("values.yaml")).unwrap();
    std::os::unix::fs::symlink(&target, out.join("values.yaml")).unwrap();
    let run = render_into(&["overlays/dev"], &out, &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(
        &run.stderr,
        "refusing to replace this folder: it holds `values.yaml`, which stagehand did not write",
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "not stagehand's");
    assert!(
        out.join("values.yaml").is_symlink(),
        "the link is left as it was"
    );
}

#[test]
fn a_symlinked_out_dir_is_refused_for_one_and_for_many_environments() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let linked = dir.path().join("linked");
    std::os::unix::fs::symlink(&real, &linked).unwrap();
    let run = render_into(&["overlays/dev"], &linked, &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        format!(
            "error: {}: --out-dir is a symbolic link; give the folder itself (nothing is written through a link)\n",
            linked.display()
        )
    );
    // One folder per environment: a link planted where an environment's folder goes.
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&real, out.join("dev")).unwrap();
    let run = render_into(&["overlays/dev", "overlays/prod"], &out, &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(&run.stderr, "--out-dir is a symbolic link");
    assert!(
        file_names(&real).is_empty(),
        "nothing written through the links"
    );
    assert!(
        !out.join("prod").exists(),
        "a refused run writes no environment"
    );
}

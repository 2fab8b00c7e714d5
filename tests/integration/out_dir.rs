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

/// `count` environments (`e00`, `e01`, ...) in a new temporary folder, and their files.
fn many_environments(count: usize) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let files = (0..count)
        .map(|index| {
            let file = dir.path().join(format!("e{index:02}.yaml"));
            let text = environment_with("")
                .replace("name: test", &format!("name: e{index:02}"))
                .replace("backstage.example.org", &format!("e{index:02}.example.org"));
            std::fs::write(&file, text).unwrap();
            file.to_string_lossy().into_owned()
        })
        .collect();
    (dir, files)
}

/// The `replicas` each environment folder of `out` was rendered with (checksums checked).
fn replicas_by_folder(out: &Path) -> std::collections::BTreeMap<String, String> {
    file_names(out)
        .into_iter()
        .filter(|name| out.join(name).is_dir())
        .map(|name| {
            let folder = out.join(&name);
            crate::support::checksums_pass(&folder);
            let values = std::fs::read_to_string(folder.join("values.yaml")).unwrap();
            let replicas = values
                .lines()
                .find_map(|line| line.trim().strip_prefix("replicas: "))
                .unwrap_or("?")
                .to_string();
            (name, replicas)
        })
        .collect()
}

/// What lies beside `out` or inside it that a run leaves only while it runs.
fn hidden_entries(out: &Path) -> Vec<String> {
    let mut hidden = Vec::new();
    for folder in [out.parent().unwrap(), out] {
        for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.contains(".stagehand") {
                hidden.push(name);
            }
        }
    }
    hidden
}

fn render_command(files: &[String], out: &Path, replicas: u32) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stagehand"));
    command
        .arg("render")
        .args(files)
        .arg("--out-dir")
        .arg(out)
        .arg("--set")
        .arg(format!("spec.replicas={replicas}"))
        .env("XDG_CACHE_HOME", crate::support::cache_home())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    command
}

#[test]
fn a_run_stopped_at_any_moment_leaves_every_folder_from_one_run_and_none_missing() {
    use rustix::process::Signal;
    let (dir, files) = many_environments(40);
    let out = dir.path().join("rendered");
    assert!(render_command(&files, &out, 1).status().unwrap().success());
    let started = std::time::Instant::now();
    assert!(render_command(&files, &out, 2).status().unwrap().success());
    let span = started.elapsed();
    let mut current = "2".to_string();
    let (mut kills, mut held, mut finished_first) = (0, 0, 0);
    for round in 0..24u32 {
        let next = if current == "2" { 3 } else { 2 };
        let mut child = render_command(&files, &out, next).spawn().unwrap();
        if round % 2 == 0 {
            // Anywhere in the run.
            std::thread::sleep(span.mul_f64(f64::from(round) / 24.0));
        } else {
            // Once the new out-dir is staged in full: carrying over and swapping.
            let staging = |_: ()| {
                std::fs::read_dir(dir.path())
                    .unwrap()
                    .flatten()
                    .find(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .starts_with(".rendered.stagehand-")
                    })
                    .map(|e| std::fs::read_dir(e.path()).map(|d| d.count()).unwrap_or(0))
            };
            while staging(()).is_none_or(|count| count < 40) && child.try_wait().unwrap().is_none()
            {
            }
        }
        let signal = [Signal::KILL, Signal::TERM, Signal::INT][round as usize % 3];
        crate::support::send_signal(&child, signal);
        let status = child.wait().unwrap();
        kills += 1;
        finished_first += usize::from(status.success());
        let replicas = replicas_by_folder(&out);
        assert_eq!(
            replicas.len(),
            40,
            "round {round}: a folder is missing: {replicas:?}"
        );
        let values: std::collections::BTreeSet<&String> = replicas.values().collect();
        assert_eq!(
            values.len(),
            1,
            "round {round}: folders from two runs: {replicas:?}"
        );
        let value = values.into_iter().next().unwrap().clone();
        assert!(
            value == current || value == next.to_string(),
            "round {round}: {value}"
        );
        if signal != Signal::KILL {
            assert_eq!(hidden_entries(&out), Vec::<String>::new(), "round {round}");
        }
        current = value;
        held += 1;
    }
    // A later run removes what a SIGKILL left.
    assert!(render_command(&files, &out, 1).status().unwrap().success());
    assert_eq!(hidden_entries(&out), Vec::<String>::new());
    eprintln!(
        "out-dir: {kills} runs stopped by a signal ({finished_first} had finished first), {held} held"
    );
    assert_eq!(held, 24);
}

#[test]
fn two_renders_into_one_out_dir_at_once_never_interleave() {
    let (dir, files) = many_environments(20);
    let out = dir.path().join("rendered");
    for round in 0..20 {
        let first = render_command(&files, &out, 2).spawn().unwrap();
        let second = render_command(&files, &out, 3).spawn().unwrap();
        for child in [first, second] {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let replicas = replicas_by_folder(&out);
        assert_eq!(replicas.len(), 20, "round {round}");
        let values: std::collections::BTreeSet<&String> = replicas.values().collect();
        assert_eq!(values.len(), 1, "round {round}: {replicas:?}");
        assert_eq!(hidden_entries(&out), Vec::<String>::new(), "round {round}");
    }
}

#[test]
fn environments_not_in_the_run_keep_their_folders_and_other_files() {
    let (dir, files) = many_environments(3);
    let out = dir.path().join("rendered");
    assert!(render_command(&files, &out, 1).status().unwrap().success());
    std::fs::write(out.join("README.md"), "rendered by CI\n").unwrap();
    // An earlier version's leftover inside the out-dir is not carried over.
    std::fs::create_dir(out.join(".stagehand-new-AbC123")).unwrap();
    let untouched = crate::support::snapshot(&out.join("e02"));
    assert!(
        render_command(&files[..2], &out, 2)
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(
        file_names(&out),
        ["README.md", "e00", "e01", "e02"],
        "{:?}",
        hidden_entries(&out)
    );
    assert_eq!(crate::support::snapshot(&out.join("e02")), untouched);
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        "rendered by CI\n"
    );
    let replicas: Vec<(String, String)> = replicas_by_folder(&out).into_iter().collect();
    let expected: Vec<(String, String)> = [("e00", "2"), ("e01", "2"), ("e02", "1")]
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    assert_eq!(replicas, expected);
}

#[test]
fn a_mount_point_in_the_out_dir_or_a_full_disk_changes_nothing() {
    use crate::support::{Need, TmpfsMount, available, snapshot};
    if !available(&[Need::Mount]) {
        return;
    }
    let (dir, files) = many_environments(3);
    let out = dir.path().join("rendered");
    assert!(render_command(&files, &out, 1).status().unwrap().success());
    let before = snapshot(&out);
    // A mount point where an environment goes, and one the run does not write.
    for busy in ["e01", "e02"] {
        let mount = TmpfsMount::new(&out.join(busy), dir.path(), 64 * 1024).expect("mount a tmpfs");
        let output = render_command(&files[..2], &out, 2).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("{}: is a mount point", out.join(busy).display())),
            "{stderr}"
        );
        drop(mount);
        assert_eq!(snapshot(&out), before, "{busy}");
        assert_eq!(hidden_entries(&out), Vec::<String>::new());
    }
    // A disk that fills up while the new out-dir is staged.
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let _mount = TmpfsMount::new(&disk, dir.path(), 160 * 1024).expect("mount a tmpfs");
    let out = disk.join("rendered");
    assert!(
        render_command(&files[..1], &out, 1)
            .status()
            .unwrap()
            .success()
    );
    let before = snapshot(&out);
    let (_many_dir, many) = many_environments(30);
    let output = render_command(&many, &out, 2).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(snapshot(&out), before);
    assert_eq!(hidden_entries(&out), Vec::<String>::new());
}

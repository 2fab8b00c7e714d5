//! `stagehand diff` in temporary git repositories: exit codes, what is shown, the three
//! formats, the Markdown cap, and that the working tree and index are never touched.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{Stagehand, assert_contains, repo};

/// A git repository holding copies of `overlays` (by name), committed.
pub struct GitRepo {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl GitRepo {
    pub fn with_overlays(overlays: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("gitops");
        std::fs::create_dir_all(&root).unwrap();
        for overlay in overlays {
            let folder = root.join("overlays").join(overlay);
            std::fs::create_dir_all(&folder).unwrap();
            let source = repo()
                .join("overlays")
                .join(overlay)
                .join("environment.yaml");
            std::fs::copy(source, folder.join("environment.yaml")).unwrap();
        }
        let repository = Self { _dir: dir, root };
        repository.git(&["init", "-q", "-b", "main"]);
        repository.commit("initial");
        repository
    }

    pub fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args(args)
            .current_dir(&self.root)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.org")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let path = self.path(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{relative} lacks {from:?}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }

    pub fn diff(&self, args: &[&str]) -> crate::support::Run {
        let mut all = vec!["diff"];
        all.extend(args);
        Stagehand::new(all).current_dir(&self.root).run()
    }

    /// The line a `diff --base HEAD` report names its commits with, as git abbreviates
    /// HEAD: `base HEAD (1a2b3c4) → working tree at 1a2b3c4[, with uncommitted changes]`.
    pub fn commits_line(&self, uncommitted: bool) -> String {
        let head = self.git(&["rev-parse", "--short", "HEAD"]);
        let head = head.trim();
        let tail = if uncommitted {
            ", with uncommitted changes"
        } else {
            ""
        };
        format!("base HEAD ({head}) → working tree at {head}{tail}")
    }

    /// HEAD, the index and the working tree's status, to check nothing moved.
    pub fn state(&self) -> (String, String, String) {
        (
            self.git(&["rev-parse", "HEAD"]),
            self.git(&["ls-files", "--stage"]),
            self.git(&["status", "--porcelain", "--untracked-files=all"]),
        )
    }
}

const MINICLOUD_HOST: &str = "hostname: backstage.10.0.0.200.nip.io";

#[test]
fn no_change_exits_0() {
    let repository = GitRepo::with_overlays(&["minicloud", "prod"]);
    let run = repository.diff(&["--base", "HEAD"]);
    assert_eq!(
        (run.code, run.stdout),
        (
            0,
            format!(
                "no differences in 2 environment(s)\n{}\n",
                repository.commits_line(false)
            )
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_hostname_change_shows_ingress_and_certificate_and_nothing_for_prod() {
    let repository = GitRepo::with_overlays(&["minicloud", "prod"]);
    repository.edit(
        "overlays/minicloud/environment.yaml",
        MINICLOUD_HOST,
        "hostname: portal.10.0.0.200.nip.io",
    );
    let before = repository.state();
    let run = repository.diff(&["--base", "HEAD"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("1 of 2 environment(s) differ\n"),
        "{}",
        run.stdout
    );
    assert_contains(&run.stdout, "--- Ingress backstage/backstage: changed");
    assert_contains(
        &run.stdout,
        "--- Certificate backstage/backstage-tls: changed",
    );
    assert_contains(
        &run.stdout,
        "-    - host: backstage.10.0.0.200.nip.io\n+    - host: portal.10.0.0.200.nip.io",
    );
    assert_contains(
        &run.stdout,
        "-    - backstage.10.0.0.200.nip.io\n+    - portal.10.0.0.200.nip.io",
    );
    assert!(
        !run.stdout.contains("prod"),
        "prod did not change: {}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("\x1b["),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(
        repository.state(),
        before,
        "diff touched HEAD, the index or the working tree"
    );

    repository.commit("move minicloud");
    assert_eq!(repository.diff(&["--base", "HEAD"]).code, 0);
    let against_parent = repository.diff(&["--base", "HEAD~1", "overlays/minicloud"]);
    assert_eq!(against_parent.code, 1);
}

#[test]
fn each_change_names_its_field_path_with_old_and_new_value_above_the_hunk() {
    let repository = GitRepo::with_overlays(&["minicloud"]);
    repository.edit(
        "overlays/minicloud/environment.yaml",
        "limits: { cpu: 1000m, memory: 1Gi }",
        "limits: { cpu: 1000m, memory: 2Gi }",
    );
    let field = "backstage.resources.limits.memory: 1Gi → 2Gi";
    let text = repository.diff(&["--base", "HEAD"]);
    assert_eq!(text.code, 1, "{}", text.stderr);
    assert_contains(
        &text.stdout,
        &format!("--- Helm values (values.yaml): changed\n  {field}\n@@ "),
    );
    assert_eq!(text.stdout.matches(" → ").count(), 2, "{}", text.stdout);
    let markdown = repository.diff(&["--base", "HEAD", "-o", "markdown"]);
    assert_contains(
        &markdown.stdout,
        "- <code>backstage.resources.limits.memory</code>: <code>1Gi</code> → <code>2Gi</code>\n\n```diff\n@@ ",
    );
    let json: serde_json::Value =
        serde_json::from_str(&repository.diff(&["--base", "HEAD", "-o", "json"]).stdout).unwrap();
    let values = &json["environments"][0]["objects"][0];
    assert_eq!(values["object"], "Helm values (values.yaml)");
    assert_eq!(
        values["fields"],
        serde_json::json!([{"path": "backstage.resources.limits.memory", "old": "1Gi", "new": "2Gi"}])
    );
    let head = repository.git(&["rev-parse", "--short", "HEAD"]);
    assert_eq!(
        json["revisions"],
        serde_json::json!({"base": "HEAD", "baseCommit": head.trim(), "headCommit": head.trim(),
                           "uncommitted": true})
    );
    // The path is the one --ignore takes.
    let ignored = repository.diff(&[
        "--base",
        "HEAD",
        "--ignore",
        "backstage.resources.limits.memory",
    ]);
    assert_eq!(ignored.code, 0, "{}", ignored.stdout);
}

#[test]
fn added_and_removed_environments_are_shown_whole() {
    let repository = GitRepo::with_overlays(&["minicloud", "prod"]);
    repository.git(&["rm", "-q", "-r", "overlays/prod"]);
    let dev = repository.path("overlays/dev");
    std::fs::create_dir_all(&dev).unwrap();
    std::fs::copy(
        repo().join("overlays/dev/environment.yaml"),
        dev.join("environment.yaml"),
    )
    .unwrap();
    let run = repository.diff(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["summary"],
        serde_json::json!({"compared": 3, "changed": 2, "added": 1, "removed": 1})
    );
    let environments = report["environments"].as_array().unwrap();
    let dev = environments
        .iter()
        .find(|e| e["path"] == "overlays/dev")
        .unwrap();
    let prod = environments
        .iter()
        .find(|e| e["path"] == "overlays/prod")
        .unwrap();
    assert_eq!(dev["change"], "added");
    assert_eq!(prod["change"], "removed");
    assert_eq!(dev["objects"].as_array().unwrap().len(), 6);
    for object in dev["objects"].as_array().unwrap() {
        assert_eq!(object["change"], "added");
        assert!(
            object["diff"]
                .as_str()
                .unwrap()
                .lines()
                .skip(1)
                .all(|l| l.starts_with('+'))
        );
    }
    assert!(
        prod["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["change"] == "removed")
    );
}

#[test]
fn markdown_has_a_summary_table_and_collapsed_diff_blocks() {
    let repository = GitRepo::with_overlays(&["minicloud", "prod"]);
    repository.edit(
        "overlays/prod/environment.yaml",
        "replicas: 2",
        "replicas: 3",
    );
    let run = repository.diff(&["--base", "HEAD", "-o", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // `--output` as render spells it; `--format` kept as an alias.
    for spelling in ["--output", "--format"] {
        let again = repository.diff(&["--base", "HEAD", spelling, "markdown"]);
        assert_eq!((again.code, &again.stdout), (1, &run.stdout), "{spelling}");
    }
    // The hidden marker a CI job finds its comment by, and both commits.
    let head = repository.git(&["rev-parse", "--short", "HEAD"]);
    let head = head.trim();
    let expected_head = format!(
        "<!-- stagehand-diff -->\n### stagehand diff\n\n\
        Base <code>HEAD</code> (<code>{head}</code>) → working tree at <code>{head}</code>, \
        with uncommitted changes.\n\n\
        1 of 2 environment(s) differ.\n\n\
        | environment | change | added | removed | changed |\n|---|---|---|---|---|\n\
        | <code>overlays/prod (prod)</code> | changed | 0 | 0 | 1 |\n\n\
        <details><summary><code>overlays/prod (prod)</code>: changed (0 added, 0 removed, 1 changed)</summary>\n\n\
        **Helm values (values.yaml)** (changed)\n\n\
        - <code>backstage.replicas</code>: <code>2</code> → <code>3</code>\n\n```diff\n"
    );
    assert!(run.stdout.starts_with(&expected_head), "{}", run.stdout);
    assert_contains(&run.stdout, "-  replicas: 2\n+  replicas: 3\n");
    assert!(
        run.stdout.ends_with("```\n\n</details>\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn markdown_is_capped_at_65000_characters_with_a_note() {
    let repository = GitRepo::with_overlays(&[]);
    let template = std::fs::read_to_string(repo().join("overlays/dev/environment.yaml")).unwrap();
    for index in 0..100 {
        let folder = repository.path(&format!("overlays/env{index:02}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("environment.yaml"),
            template.replace("name: dev", &format!("name: env{index:02}")),
        )
        .unwrap();
    }
    repository.commit("a hundred environments");
    for index in 0..100 {
        let file = format!("overlays/env{index:02}/environment.yaml");
        repository.edit(
            &file,
            "hostname: backstage-dev.",
            &format!("hostname: moved{index}."),
        );
    }
    let run = repository.diff(&["--base", "HEAD", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.chars().count() <= 65_000,
        "{} characters",
        run.stdout.chars().count()
    );
    assert_contains(&run.stdout, "> Output cut at 65000 characters:");
    assert_contains(
        &run.stdout,
        "| <code>overlays/env99 (env99)</code> | changed | 0 | 0 | 3 |",
    );
    let text = repository.diff(&["--base", "HEAD"]);
    assert!(text.stdout.len() > 65_000, "the text format is not capped");
}

#[test]
fn ignore_drops_matching_fields_from_output_and_exit_code() {
    let repository = GitRepo::with_overlays(&["minicloud"]);
    repository.edit(
        "overlays/minicloud/environment.yaml",
        "annotations: { nginx.org/redirect-to-https: \"true\" }",
        "annotations: { nginx.org/redirect-to-https: \"true\", example.org/team: platform }",
    );
    assert_eq!(repository.diff(&["--base", "HEAD"]).code, 1);
    let run = repository.diff(&[
        "--base",
        "HEAD",
        "--ignore",
        "metadata.annotations.example.org/*",
    ]);
    assert_eq!(
        (run.code, run.stdout),
        (
            0,
            format!(
                "no differences in 1 environment(s)\n{}\n",
                repository.commits_line(true)
            )
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn sealed_values_are_never_printed_only_the_keys_that_changed() {
    use base64::Engine;
    let repository = GitRepo::with_overlays(&["minicloud"]);
    // Well-formed sealed values: a 512-byte RSA block named by its length, then AES-GCM.
    let ciphertext = |fill: u8| {
        let mut bytes = vec![0x02, 0x00];
        bytes.extend(std::iter::repeat_n(fill, 512 + 16 + 24));
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let (old, new, other) = (ciphertext(0x11), ciphertext(0x22), ciphertext(0x33));
    let sealed = |password: &str| {
        format!(
            "secretName: backstage-postgres-secret\n    encryptedData:\n      password: {password}\n      postgres-password: {other}"
        )
    };
    let file = "overlays/minicloud/environment.yaml";
    crate::support::unsealed_overlay("minicloud", &repository.root.join(file));
    repository.edit(file, "secretName: backstage-postgres-secret", &sealed(&old));
    repository.commit("seal");
    repository.edit(file, &old, &new);
    let run = repository.diff(&["--base", "HEAD"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_contains(
        &run.stdout,
        "--- SealedSecret backstage/backstage-postgres-secret: changed",
    );
    assert_contains(
        &run.stdout,
        "sealed values changed for: password (ciphertext not shown)",
    );
    for value in [&old, &new, &other] {
        assert!(!run.stdout.contains(&value[..24]), "{}", run.stdout);
    }
}

#[test]
fn a_bad_revision_exits_2_with_nothing_on_stdout() {
    let repository = GitRepo::with_overlays(&["minicloud"]);
    let run = repository.diff(&["--base", "no-such-branch"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        "error: `no-such-branch` is not a revision of this repository (try origin/main, HEAD~1 or a commit id)\n"
    );
}

#[test]
fn an_environment_the_change_breaks_fails_and_one_it_fixes_is_compared_as_added() {
    let repository = GitRepo::with_overlays(&["minicloud"]);
    repository.edit(
        "overlays/minicloud/environment.yaml",
        "replicas: 1",
        "replicas: 500",
    );
    let run = repository.diff(&["--base", "HEAD"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(
        &run.stderr,
        "error: overlays/minicloud/environment.yaml:13: spec.replicas: 500 is out of range",
    );
    assert_contains(
        &run.stderr,
        "(the environment does not render in the working tree)",
    );
    repository.commit("broken");
    repository.edit(
        "overlays/minicloud/environment.yaml",
        "replicas: 500",
        "replicas: 1",
    );
    let run = repository.diff(&["--base", "HEAD"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "1 of 1 environment(s) differ\n{}\n  overlays/minicloud (minicloud): added",
            repository.commits_line(true)
        )),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stderr,
        "note: overlays/minicloud does not render at HEAD; it is compared as added\n"
    );
    let quiet = repository.diff(&["--base", "HEAD", "-q"]);
    assert_eq!(
        (quiet.code, quiet.stdout.as_str(), quiet.stderr.as_str()),
        (1, run.stdout.as_str(), "")
    );
}

#[test]
fn an_environment_broken_on_both_sides_that_the_change_did_not_touch_is_unchanged() {
    let repository = GitRepo::with_overlays(&["minicloud", "prod"]);
    repository.edit(
        "overlays/minicloud/environment.yaml",
        "replicas: 1",
        "replicas: 500",
    );
    repository.commit("a fixture broken on purpose");
    repository.edit(
        "overlays/prod/environment.yaml",
        "replicas: 2",
        "replicas: 3",
    );
    let run = repository.diff(&["--base", "HEAD"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "1 of 2 environment(s) differ\n{}\n  overlays/prod (prod): changed",
            repository.commits_line(true)
        )),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("minicloud"), "{}", run.stdout);
    assert_eq!(run.stderr, "");
}

/// Two environments on one base folder, one naming it with an escaped key, whose
/// certificate template is a link to a shared file; all committed.
fn repository_on_a_shared_base() -> GitRepo {
    let repository = GitRepo::with_overlays(&["minicloud", "prod"]);
    let base = repository.path("platform/base");
    std::fs::create_dir_all(base.join("templates")).unwrap();
    std::fs::create_dir_all(repository.path("platform/shared")).unwrap();
    std::fs::copy(
        repo().join("base/environment.yaml"),
        base.join("environment.yaml"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("base/templates/certificate.yaml.j2"),
        repository.path("platform/shared/certificate.yaml.j2"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "../../shared/certificate.yaml.j2",
        base.join("templates/certificate.yaml.j2"),
    )
    .unwrap();
    repository.edit(
        "overlays/minicloud/environment.yaml",
        "kind: Environment\n",
        "kind: Environment\nbase: ../../platform/base\n",
    );
    // A spelling no line scanner sees: the diff must read `base` as the render does.
    repository.edit(
        "overlays/prod/environment.yaml",
        "kind: Environment\n",
        "kind: Environment\n\"b\\x61se\": \"../../platform/base\"\n",
    );
    repository.commit("a shared base");
    repository
}

/// Edits `file` in a repository on a shared base and checks that both environments
/// show as changed, each with `added_line`, both sides rendering.
fn assert_both_environments_change(file: &str, from: &str, to: &str, added_line: &str) {
    let repository = repository_on_a_shared_base();
    assert_eq!(repository.diff(&["--base", "HEAD"]).code, 0);
    repository.edit(file, from, to);
    let run = repository.diff(&["--base", "HEAD"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("2 of 2 environment(s) differ\n"),
        "{}",
        run.stdout
    );
    for shown in [added_line, "): changed ("] {
        assert_eq!(
            run.stdout.matches(shown).count(),
            2,
            "{shown}: {}",
            run.stdout
        );
    }
    assert_eq!(run.stderr, "", "both sides render");
}

#[test]
fn a_change_to_a_shared_base_shows_in_every_environment_on_it() {
    assert_both_environments_change(
        "platform/base/environment.yaml",
        "project: default",
        "project: platform",
        "+  project: platform",
    );
}

#[test]
fn a_change_behind_a_linked_template_shows_although_the_link_did_not_change() {
    assert_both_environments_change(
        "platform/shared/certificate.yaml.j2",
        "privateKey: {{ tls.private_key | yaml }}",
        "privateKey: {{ tls.private_key | yaml }}\n  revisionHistoryLimit: 3",
        "+  revisionHistoryLimit: 3",
    );
}

#[test]
fn a_path_that_exists_on_neither_side_is_an_error() {
    let repository = GitRepo::with_overlays(&["minicloud"]);
    let run = repository.diff(&["--base", "HEAD", "overlay"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        "error: overlay: no such file or folder, in the working tree or at HEAD\n"
    );
}

#[test]
fn two_rendered_folders_or_two_environment_files_compare_directly() {
    let dir = tempfile::tempdir().unwrap();
    let render = |overlay: &str, out: &Path| {
        Stagehand::new([
            "render".as_ref(),
            overlay.as_ref(),
            "--out-dir".as_ref(),
            out.as_os_str(),
        ])
        .succeeds();
    };
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    render("overlays/minicloud", &old.join("minicloud"));
    render("overlays/prod", &old.join("prod"));
    render("overlays/minicloud", &new.join("minicloud"));
    render("overlays/dev", &new.join("prod"));
    let run = Stagehand::new(["diff".as_ref(), old.as_os_str(), new.as_os_str()]).run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("1 of 2 environment(s) differ\n  prod (dev): changed"),
        "{}",
        run.stdout
    );
    let same = Stagehand::new([
        "diff".as_ref(),
        old.join("minicloud").as_os_str(),
        new.join("minicloud").as_os_str(),
    ])
    .run();
    assert_eq!(same.code, 0, "{}", same.stderr);
    let files = Stagehand::new(["diff", "overlays/dev/environment.yaml", "overlays/prod"]).run();
    assert_eq!(files.code, 1);
    assert_contains(
        &files.stdout,
        "--- Ingress backstage-dev/backstage: removed",
    );
    assert_contains(&files.stdout, "--- Ingress backstage-prod/backstage: added");
}

/// `git ARGS` in `dir`, which must succeed.
fn git_in(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "protocol.file.allow=always",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn an_environment_inside_an_unchanged_submodule_is_no_false_addition() {
    let repository = GitRepo::with_overlays(&["minicloud"]);
    // The submodule's own repository, in the same temporary folder.
    let module = repository.path("../module");
    std::fs::create_dir_all(module.join("envs/sm")).unwrap();
    std::fs::copy(
        repo().join("overlays/dev/environment.yaml"),
        module.join("envs/sm/environment.yaml"),
    )
    .unwrap();
    git_in(&module, &["init", "-q", "-b", "main"]);
    git_in(&module, &["add", "-A"]);
    git_in(&module, &["commit", "-q", "-m", "module"]);
    let url = module.canonicalize().unwrap();
    git_in(
        &repository.path(""),
        &["submodule", "add", "-q", url.to_str().unwrap(), "sub"],
    );
    git_in(
        &repository.path(""),
        &["commit", "-q", "-m", "add the submodule"],
    );
    let run = repository.diff(&["--base", "HEAD"]);
    assert_eq!(
        (run.code, run.stdout.clone()),
        (
            0,
            format!(
                "no differences in 1 environment(s)\n{}\n",
                repository.commits_line(false)
            )
        ),
        "{}",
        run.stderr
    );
    assert_contains(
        &run.stderr,
        "note: sub is a submodule or a repository of its own: its environments are left out",
    );
    assert!(!run.stdout.contains("added"), "{}", run.stdout);
}

#[test]
fn a_base_missing_from_a_shallow_clone_says_the_clone_is_shallow() {
    let repository = GitRepo::with_overlays(&["minicloud"]);
    repository.edit(
        "overlays/minicloud/environment.yaml",
        MINICLOUD_HOST,
        "hostname: portal.10.0.0.200.nip.io",
    );
    repository.commit("second");
    let clone = repository.path("../clone");
    let source = format!(
        "file://{}",
        repository.path("").canonicalize().unwrap().display()
    );
    git_in(
        &repository.path(".."),
        &["clone", "-q", "--depth", "1", &source, "clone"],
    );
    let run = Stagehand::new(["diff", "--base", "HEAD~1"])
        .current_dir(&clone)
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        "`HEAD~1` is not in this clone, which is shallow",
    );
    assert_contains(&run.stderr, "git fetch --deepen=100");
    // Not shallow: the old hint.
    let run = repository.diff(&["--base", "no-such-branch"]);
    assert_contains(
        &run.stderr,
        "is not a revision of this repository (try origin/main, HEAD~1",
    );
}

#[test]
fn a_diff_stopped_by_a_signal_or_failing_leaves_no_temporary_folder() {
    use rustix::process::Signal;
    let repository = GitRepo::with_overlays(&["minicloud"]);
    let source =
        std::fs::read_to_string(repository.path("overlays/minicloud/environment.yaml")).unwrap();
    for index in 0..30 {
        let folder = repository.path(&format!("envs/e{index:02}"));
        std::fs::create_dir_all(&folder).unwrap();
        let text = source
            .replace("  name: minicloud\n", &format!("  name: e{index:02}\n"))
            .replace(
                MINICLOUD_HOST,
                &format!("hostname: e{index:02}.example.org"),
            );
        std::fs::write(folder.join("environment.yaml"), text).unwrap();
    }
    repository.commit("thirty environments");
    for index in 0..30 {
        repository.edit(
            &format!("envs/e{index:02}/environment.yaml"),
            &format!("hostname: e{index:02}.example.org"),
            &format!("hostname: f{index:02}.example.org"),
        );
    }
    let temporary = tempfile::tempdir().unwrap();
    let diff = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stagehand"));
        command
            .args(["diff", "--base", "HEAD"])
            .current_dir(repository.path(""))
            .env("TMPDIR", temporary.path())
            .env("XDG_CACHE_HOME", crate::support::cache_home())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        command
    };
    let started = std::time::Instant::now();
    assert_eq!(diff().status().unwrap().code(), Some(1));
    let span = started.elapsed();
    let leftovers = || std::fs::read_dir(temporary.path()).unwrap().count();
    assert_eq!(leftovers(), 0);
    let mut stopped = 0;
    for round in 0..20u32 {
        let mut child = diff().spawn().unwrap();
        std::thread::sleep(span.mul_f64(f64::from(round) / 20.0));
        let signal = if round % 2 == 0 {
            Signal::TERM
        } else {
            Signal::INT
        };
        crate::support::send_signal(&child, signal);
        let status = child.wait().unwrap();
        stopped += usize::from(status.code() != Some(1));
        assert_eq!(leftovers(), 0, "round {round}: {status:?}");
    }
    eprintln!(
        "diff stopped by 20 signals ({stopped} before it finished): no temporary folder left"
    );
    // An error path: the working tree's environment no longer renders.
    repository.edit(
        "envs/e05/environment.yaml",
        "hostname: f05.example.org",
        "hostname: NOT A HOST",
    );
    assert_eq!(diff().status().unwrap().code(), Some(2));
    assert_eq!(leftovers(), 0);
}

#[test]
fn hostile_folder_names_cannot_change_the_report_structure() {
    let repository = GitRepo::with_overlays(&["minicloud"]);
    let hostile = "z\n\n## LGTM approved | `x` <details><img src=x onerror=alert(1)>\u{1b}[31m*b* [l](u) &amp;";
    let folder = repository.path(&format!("overlays/{hostile}"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        repo().join("overlays/dev/environment.yaml"),
        folder.join("environment.yaml"),
    )
    .unwrap();
    let markdown = repository.diff(&["--base", "HEAD", "-o", "markdown"]);
    assert_eq!(markdown.code, 1, "{}", markdown.stderr);
    let out = &markdown.stdout;
    assert!(!out.lines().any(|line| line.starts_with("## ")), "{out}");
    assert!(
        !out.contains("<img") && !out.contains("<details><img"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}') && !out.contains("*b*") && !out.contains("[l](u)"),
        "{out}"
    );
    assert_eq!(out.matches("<details>").count(), 1, "{out}");
    assert_eq!(out.matches("</details>").count(), 1, "{out}");
    let rows: Vec<&str> = out.lines().filter(|line| line.starts_with('|')).collect();
    assert_eq!(rows.len(), 3, "{out}");
    for row in rows {
        assert_eq!(row.matches('|').count(), 6, "{row}");
    }
    assert_contains(
        out,
        "<code>overlays/z&#92;n&#92;n&#35;&#35; LGTM approved &#124; &#96;x&#96; &#60;details&#62;&#60;img src&#61;x onerror&#61;alert(1)&#62;&#92;u{1b}&#91;31m&#42;b&#42; &#91;l&#93;(u) &#38;amp;",
    );
    let text = repository.diff(&["--base", "HEAD"]);
    assert_eq!(text.code, 1);
    assert!(!text.stdout.contains('\u{1b}'), "{}", text.stdout);
    assert!(
        !text.stdout.lines().any(|line| line.starts_with("## ")),
        "{}",
        text.stdout
    );
    assert_contains(&text.stdout, "  overlays/z\\n\\n## LGTM approved");
    // JSON stays exact.
    let json = repository.diff(&["--base", "HEAD", "-o", "json"]);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["environments"][0]["path"],
        format!("overlays/{hostile}")
    );
}

//! The ArgoCD plugin's `generate`, run with the cmp-server's exact inputs (a working
//! directory inside a fresh repository copy, the ARGOCD_*, KUBE_*, PARAM_* variables).
//! Parameters → `argocd_parameters.rs`; the `argocd-cmp/` install files, discovery and
//! fleets → `argocd_install.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{Stagehand, assert_contains, parse_stream, replace_in_file, repo, snapshot};

pub const SOURCE_PATH: &str = "overlays/minicloud";
pub const ALL_APIS: &str = "v1,v1/ConfigMap,v1/Secret,apps/v1,apps/v1/Deployment,networking.k8s.io/v1,\
networking.k8s.io/v1/Ingress,cert-manager.io/v1,cert-manager.io/v1/Certificate,bitnami.com/v1alpha1,\
bitnami.com/v1alpha1/SealedSecret,argoproj.io/v1alpha1,argoproj.io/v1alpha1/Application";

/// A copy of the repository as the cmp-server makes it (`/tmp/_cmp_server/<uuid>`, no .git).
pub fn repository_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("_cmp_server").join("3f2c1d9e");
    for folder in [
        "overlays/minicloud",
        "overlays/dev",
        "overlays/prod",
        "base/templates",
    ] {
        std::fs::create_dir_all(root.join(folder)).unwrap();
        for entry in std::fs::read_dir(repo().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, root.join(folder).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    std::fs::copy(
        repo().join("base/environment.yaml"),
        root.join("base/environment.yaml"),
    )
    .unwrap();
    (dir, root)
}

/// The variables the cmp-server sets for the minicloud app, with `extra` added or replaced.
pub fn cmp_variables<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut variables: BTreeMap<&str, &str> = BTreeMap::from([
        ("ARGOCD_APP_NAME", "backstage-minicloud-stagehand"),
        ("ARGOCD_APP_NAMESPACE", "backstage"),
        ("ARGOCD_APP_PROJECT_NAME", "default"),
        (
            "ARGOCD_APP_REVISION",
            "8c3f1e2a9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e",
        ),
        ("ARGOCD_APP_REVISION_SHORT", "8c3f1e2"),
        ("ARGOCD_APP_REVISION_SHORT_8", "8c3f1e2a"),
        ("ARGOCD_APP_SOURCE_PATH", SOURCE_PATH),
        (
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://github.com/andrelair-platform/minicloud-gitops.git",
        ),
        ("ARGOCD_APP_SOURCE_TARGET_REVISION", "main"),
        ("KUBE_VERSION", "1.29.3"),
        ("KUBE_API_VERSIONS", ALL_APIS),
    ]);
    for (key, value) in extra {
        variables.insert(key, value);
    }
    variables.into_iter().collect()
}

pub fn generate(root: &Path, extra: &[(&str, &str)]) -> crate::support::Run {
    Stagehand::new(["generate"])
        .current_dir(&root.join(SOURCE_PATH))
        .only_env(&cmp_variables(extra))
        .run()
}

#[test]
fn generate_prints_the_render_stream_and_writes_nothing_into_the_repository() {
    let (_dir, root) = repository_copy();
    let before = snapshot(&root);
    let run = generate(&root, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = root.join(SOURCE_PATH).join("environment.yaml");
    assert_eq!(
        run.stdout,
        Stagehand::new(["render".as_ref(), file.as_os_str()]).succeeds()
    );
    for object in parse_stream(&run.stdout) {
        assert!(
            object["kind"].is_string() && object["apiVersion"].is_string(),
            "{object}"
        );
    }
    assert_eq!(
        snapshot(&root),
        before,
        "generate changed the repository copy"
    );
}

#[test]
fn a_missing_api_fails_cleanly_naming_what_to_install() {
    let (_dir, root) = repository_copy();
    let without_cert_manager = "v1,networking.k8s.io/v1,bitnami.com/v1alpha1,argoproj.io/v1alpha1";
    let run = generate(&root, &[("KUBE_API_VERSIONS", without_cert_manager)]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: cert-manager.io/v1 is not served by this cluster: install cert-manager (needed by Certificate)\n"
    );
    let run = generate(
        &root,
        &[(
            "KUBE_API_VERSIONS",
            "v1,cert-manager.io/v1,argoproj.io/v1alpha1",
        )],
    );
    assert_eq!(run.stdout, "");
    assert_contains(
        &run.stderr,
        "bitnami.com/v1alpha1 is not served by this cluster: install the sealed-secrets controller",
    );
    assert_contains(&run.stderr, "networking.k8s.io/v1 is not served");
}

#[test]
fn an_old_kubernetes_fails() {
    let (_dir, root) = repository_copy();
    let run = generate(&root, &[("KUBE_VERSION", "1.18.20")]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(&run.stderr, "Kubernetes 1.18.20 is too old");
}

#[test]
fn a_base_outside_the_repository_copy_is_refused() {
    let (dir, root) = repository_copy();
    let outside = dir.path().join("elsewhere");
    std::fs::create_dir_all(outside.join("templates")).unwrap();
    std::fs::copy(
        repo().join("base/environment.yaml"),
        outside.join("environment.yaml"),
    )
    .unwrap();
    let file = root.join(SOURCE_PATH).join("environment.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace(
            "kind: Environment\n",
            "kind: Environment\nbase: ../../../../elsewhere\n",
        ),
    )
    .unwrap();
    let run = generate(&root, &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(&run.stderr, "outside the repository");
    // The same base inside the copy is accepted.
    std::fs::write(
        &file,
        text.replace(
            "kind: Environment\n",
            "kind: Environment\nbase: ../../base\n",
        ),
    )
    .unwrap();
    let run = generate(&root, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn an_environment_file_named_by_argocd_env_must_stay_inside_the_repository() {
    let (dir, root) = repository_copy();
    std::fs::copy(
        root.join("overlays/dev/environment.yaml"),
        root.join(SOURCE_PATH).join("dev.yaml"),
    )
    .unwrap();
    let run = generate(&root, &[("ARGOCD_ENV_ENVIRONMENT", "dev.yaml")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(&run.stdout, "host: backstage-dev.10.0.0.200.nip.io");
    std::fs::copy(
        repo().join("overlays/dev/environment.yaml"),
        dir.path().join("outside.yaml"),
    )
    .unwrap();
    let run = generate(
        &root,
        &[("ARGOCD_ENV_ENVIRONMENT", "../../../../outside.yaml")],
    );
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(&run.stderr, "must lie inside the repository");
}

#[test]
fn a_failing_environment_gives_a_short_message_and_no_output() {
    let (_dir, root) = repository_copy();
    let file = root.join(SOURCE_PATH).join("environment.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let broken = text
        .replace("namespace: backstage", "namespace: Backstage")
        .replace("replicas: 1", "replicas: 1\n  releaseName: Bad_Name")
        .replace(
            "issuer: { name: minicloud-ca",
            "issuer: { name: Minicloud_CA",
        )
        .replace("className: nginx", "className: NGINX")
        .replace("duration: 2160h", "duration: 2160 h")
        .replace("renewBefore: 720h", "renewBefore: 720 h")
        .replace("version: 2.7.0", "version: latest");
    std::fs::write(&file, broken).unwrap();
    let run = generate(&root, &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 6, "{}", run.stderr);
    // Named as in the repository (not the cmp-server's temporary copy), line and field.
    assert_eq!(
        lines[0],
        "error: overlays/minicloud/environment.yaml:8: spec.namespace: must be lower case"
    );
    assert_eq!(
        lines[5],
        "... and 2 more; run `stagehand generate --explain` with the same variables to see all"
    );
}

#[test]
fn explain_shows_the_inputs_and_a_reproduction_command() {
    let (_dir, root) = repository_copy();
    let run = Stagehand::new(["generate", "--explain"])
        .current_dir(&root.join(SOURCE_PATH))
        .only_env(&cmp_variables(&[(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name":"replicas","string":"2"}]"#,
        )]))
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        &format!("repository root:   {}", root.display()),
    );
    assert_contains(&run.stderr, "base:              <built-in base>");
    assert_contains(
        &run.stderr,
        "parameters:        replicas=2 (from ARGOCD_APP_PARAMETERS)",
    );
    assert_contains(&run.stderr, "KUBE_API_VERSIONS: 13 entries");
    assert_contains(&run.stderr, "ARGOCD_APP_SOURCE_PATH='overlays/minicloud'");
    assert!(
        run.stdout
            .starts_with("---\napiVersion: bitnami.com/v1alpha1")
    );
}

/// A tree as the cmp-server receives it with `--plugin-use-manifest-generate-paths`: only
/// `folders` (repository paths) below their common parent, the working directory being the
/// app folder inside it.
fn received_subtree(parent: &str, folders: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let (dir, full) = repository_copy();
    let received = dir.path().join("_cmp_server").join("9a8b7c6d");
    for folder in folders {
        let relative = Path::new(folder).strip_prefix(parent).unwrap();
        std::fs::create_dir_all(received.join(relative)).unwrap();
        for entry in std::fs::read_dir(full.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(
                    &path,
                    received.join(relative).join(path.file_name().unwrap()),
                )
                .unwrap();
            }
        }
    }
    std::fs::remove_dir_all(&full).unwrap();
    (dir, received)
}

fn generate_in(dir: &Path, extra: &[(&str, &str)]) -> crate::support::Run {
    Stagehand::new(["generate"])
        .current_dir(dir)
        .only_env(&cmp_variables(extra))
        .run()
}

#[test]
fn generate_renders_in_the_subtree_sent_for_manifest_generate_paths() {
    // Annotation `.`: the common parent is the app folder; the working directory is the
    // received root, and ends with none of ARGOCD_APP_SOURCE_PATH.
    let (_dir, received) = received_subtree(SOURCE_PATH, &[SOURCE_PATH]);
    let run = generate_in(&received, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = received.join("environment.yaml");
    assert_eq!(
        run.stdout,
        Stagehand::new(["render".as_ref(), file.as_os_str()]).succeeds()
    );
    // Annotation `../dev`: the common parent is `overlays`; the working directory ends
    // with `minicloud` only.
    let (_dir, received) = received_subtree("overlays", &[SOURCE_PATH, "overlays/dev"]);
    let run = generate_in(&received.join("minicloud"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_base_outside_the_sent_subtree_names_the_annotation_to_add() {
    let (_dir, received) = received_subtree("overlays", &[SOURCE_PATH]);
    let with_base = |file: &Path| {
        replace_in_file(
            file,
            "kind: Environment\n",
            "kind: Environment\nbase: ../../base\n",
        );
    };
    with_base(&received.join("minicloud/environment.yaml"));
    let run = generate_in(&received.join("minicloud"), &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        "error: overlays/minicloud/environment.yaml:5: base: base folder `../../base` does not exist \
         (ArgoCD sent only the repository's `overlays` folder (its repo-server runs with \
         --plugin-use-manifest-generate-paths): add the base's folder to the Application's \
         argocd.argoproj.io/manifest-generate-paths annotation, e.g. `.;../../base`)\n"
    );
    // With the base sent too (annotation `.;../../base`: the common parent is the root),
    // the same file renders.
    let (_dir, received) = received_subtree("", &[SOURCE_PATH, "base", "base/templates"]);
    with_base(&received.join(SOURCE_PATH).join("environment.yaml"));
    let run = generate_in(&received.join(SOURCE_PATH), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn an_application_that_would_render_itself_is_refused() {
    let (_dir, root) = repository_copy();
    for parent in ["backstage-minicloud", "argocd_backstage-minicloud"] {
        let run = generate(&root, &[("ARGOCD_APP_NAME", parent)]);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{parent}");
        assert_eq!(
            run.stderr,
            "error: the rendered Application `backstage-minicloud` in `argocd` is the Application \
             running this plugin (ARGOCD_APP_NAME): ArgoCD would replace it with its own child; set \
             spec.argocd.applicationName to another name, or rename the parent Application\n"
        );
    }
    // Another namespace's Application of that name is another Application.
    let run = generate(&root, &[("ARGOCD_APP_NAME", "team-a_backstage-minicloud")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The field the message names resolves it.
    let file = root.join(SOURCE_PATH).join("environment.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{text}  argocd: {{ applicationName: backstage-minicloud-chart }}\n")
            .replace("patches: []\n", ""),
    )
    .unwrap();
    let run = generate(&root, &[("ARGOCD_APP_NAME", "backstage-minicloud")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(&run.stdout, "  name: backstage-minicloud-chart\n");
}

#[test]
fn an_unknown_plugin_env_name_is_a_typo_with_a_suggestion() {
    let (_dir, root) = repository_copy();
    let run = generate(&root, &[("ARGOCD_ENV_ENVIROMENT", "dev.yaml")]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        "error: plugin.env `ENVIROMENT` (ARGOCD_ENV_ENVIROMENT) is not read by stagehand \
         (did you mean `ENVIRONMENT`?); it reads only: ENVIRONMENT\n"
    );
}

#[test]
fn without_kube_api_versions_one_note_says_apis_were_not_checked() {
    let (_dir, root) = repository_copy();
    let variables: Vec<(&str, &str)> = cmp_variables(&[])
        .into_iter()
        .filter(|(name, _)| *name != "KUBE_API_VERSIONS")
        .collect();
    let run = Stagehand::new(["generate"])
        .current_dir(&root.join(SOURCE_PATH))
        .only_env(&variables)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "note: KUBE_API_VERSIONS is not set (not run by ArgoCD?): whether the cluster serves \
         every apiVersion printed was not checked\n"
    );
    assert_eq!(
        generate(&root, &[]).stderr,
        "",
        "ArgoCD's own runs print no note"
    );
}

#[test]
fn a_variable_that_is_not_utf8_never_panics_and_is_never_shown() {
    let (_dir, root) = repository_copy();
    let folder = root.join(SOURCE_PATH);
    let made_up = b"\xffghp_madeUpTokenForThisTest0123456789";
    let plugin = |command: &str, name: &[u8]| {
        Stagehand::new([command])
            .current_dir(&folder)
            .only_env(&cmp_variables(&[]))
            .env_bytes(name, made_up)
            .run()
    };
    // Another program's variable is none of ours: ignored.
    for command in ["generate", "parameters", "discover"] {
        let run = plugin(command, b"JUNK");
        assert_eq!(run.code, 0, "{command}: {}", run.stderr);
        assert!(!run.stdout.is_empty(), "{command}");
    }
    let generated = plugin("generate", b"JUNK").stdout;
    assert_eq!(generated, generate(&root, &[]).stdout);
    // One of ArgoCD's: exit 2, named, its bytes never shown.
    for (command, name) in [
        ("generate", &b"ARGOCD_ENV_ENVIRONMENT"[..]),
        ("parameters", b"PARAM_HOSTNAME"),
        ("discover", b"KUBE_VERSION"),
        ("generate", b"ARGOCD_APP_\xfe"),
    ] {
        let run = plugin(command, name);
        assert_eq!((command, run.code), (command, 2), "{}", run.stderr);
        assert_eq!(run.stdout, "");
        let shown = String::from_utf8_lossy(name).escape_debug().to_string();
        assert_eq!(
            run.stderr,
            format!(
                "error: the environment variable {shown} is not UTF-8 text; ArgoCD sets its variables as UTF-8 (check the Application's plugin env and parameters)\n"
            )
        );
        assert!(!run.stderr.contains("ghp_"), "{}", run.stderr);
    }
}

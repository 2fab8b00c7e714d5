//! The `argocd-cmp/` install files (plugin.yaml, the sidecar, the Dockerfile, the example
//! Application and the ApplicationSet), and discovery, as ArgoCD and Kubernetes read them.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::argocd::{ALL_APIS, SOURCE_PATH, generate, repository_copy};
use crate::argocd_parameters::stagehand_parameter_names;
use crate::support::{Need, Stagehand, available, read_yaml, repo, shared};

/// Violations of the Pod Security "restricted" level's rules by the container or init
/// container `name` of `pod` (a pod spec): privilege, escalation, capabilities, user,
/// seccomp, host access.
pub fn restricted_violations(pod: &Value, name: &str) -> Vec<String> {
    let mut found = Vec::new();
    let container = ["containers", "initContainers"]
        .iter()
        .filter_map(|list| pod[*list].as_array())
        .flatten()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or_default();
    if container.is_null() {
        return vec![format!("no container {name}")];
    }
    let context = &container["securityContext"];
    let pod_context = &pod["securityContext"];
    if context["privileged"] == true {
        found.push("privileged".to_string());
    }
    if context["allowPrivilegeEscalation"] != false {
        found.push("allowPrivilegeEscalation must be false".to_string());
    }
    let dropped = context["capabilities"]["drop"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !dropped.contains(&Value::from("ALL")) {
        found.push("capabilities.drop must hold ALL".to_string());
    }
    let added = context["capabilities"]["add"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if added.iter().any(|c| c != "NET_BIND_SERVICE") {
        found.push(format!(
            "capabilities.add may hold only NET_BIND_SERVICE: {added:?}"
        ));
    }
    let non_root = match context.get("runAsNonRoot") {
        Some(value) => value == true,
        None => pod_context["runAsNonRoot"] == true,
    };
    if !non_root {
        found.push("runAsNonRoot must be true".to_string());
    }
    if context["runAsUser"] == 0 || pod_context["runAsUser"] == 0 {
        found.push("runAsUser must not be 0".to_string());
    }
    let seccomp = context["seccompProfile"]["type"]
        .as_str()
        .or(pod_context["seccompProfile"]["type"].as_str());
    if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
        found.push("seccompProfile.type must be RuntimeDefault or Localhost".to_string());
    }
    for port in container["ports"].as_array().into_iter().flatten() {
        if port["hostPort"].as_u64().is_some_and(|p| p != 0) {
            found.push("hostPort is not allowed".to_string());
        }
    }
    for flag in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[flag] == true {
            found.push(format!("{flag} is not allowed"));
        }
    }
    const ALLOWED_VOLUMES: [&str; 8] = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for volume in pod["volumes"].as_array().into_iter().flatten() {
        for key in volume.as_object().into_iter().flatten().map(|(k, _)| k) {
            if key != "name" && !ALLOWED_VOLUMES.contains(&key.as_str()) {
                found.push(format!("volume type {key} is not allowed"));
            }
        }
    }
    found
}

/// Errors of `application` against ArgoCD's Application schema.
fn application_schema_errors(application: &Value) -> Vec<String> {
    let path = shared().join("schemas/application-argoproj-v1alpha1.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(application)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn the_argo_cd_chart_values_hold_the_same_plugin_and_sidecar_as_the_kustomization() {
    let values = read_yaml(&repo().join("argocd-cmp/argo-cd-values.yaml"));
    let plugin = read_yaml(&repo().join("argocd-cmp/plugin.yaml"));
    // The chart's argocd-cmp-cm template writes, per configs.cmp.plugins key, a
    // ConfigManagementPlugin named by the key with the value as its spec.
    assert_eq!(values["configs"]["cmp"]["create"], true);
    let plugins = values["configs"]["cmp"]["plugins"].as_object().unwrap();
    assert_eq!(plugins.len(), 1);
    let (key, spec) = plugins.iter().next().unwrap();
    let generated = serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ConfigManagementPlugin",
        "metadata": {"name": key},
        "spec": spec,
    });
    assert_eq!(generated, plugin);
    // The sidecar is the kustomization's, with the chart's ConfigMap key as plugin.yaml.
    let patch = read_yaml(&repo().join("argocd-cmp/repo-server-patch.yaml"));
    let mut expected = patch["spec"]["template"]["spec"]["containers"][0].clone();
    let kustomization = read_yaml(&repo().join("argocd-cmp/kustomization.yaml"));
    let image = &kustomization["images"][0];
    expected["image"] = format!(
        "{}:{}",
        image["newName"].as_str().unwrap(),
        image["newTag"].as_str().unwrap()
    )
    .into();
    for mount in expected["volumeMounts"].as_array_mut().unwrap() {
        if mount["name"] == "stagehand-cmp-plugin" {
            mount["name"] = "argocd-cmp-cm".into();
            mount["subPath"] = format!("{key}.yaml").into();
        }
    }
    let containers = values["repoServer"]["extraContainers"].as_array().unwrap();
    assert_eq!(containers, &vec![expected]);
    // Each mount is a volume the chart's repo-server pod has, or one the values add.
    let added: Vec<&str> = values["repoServer"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        values["repoServer"]["volumes"][0]["configMap"]["name"],
        "argocd-cmp-cm"
    );
    for mount in containers[0]["volumeMounts"].as_array().unwrap() {
        let name = mount["name"].as_str().unwrap();
        assert!(
            ["var-files", "plugins"].contains(&name) || added.contains(&name),
            "{name} is no volume of the pod"
        );
    }
}

#[test]
fn kustomize_builds_the_plugin_config_map_and_the_sidecar() {
    if !available(&[Need::Kubectl]) {
        return;
    }
    let objects = crate::support::kustomize(&repo().join("argocd-cmp"));
    let config_map = objects.iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    assert_eq!(config_map["metadata"]["name"], "stagehand-cmp-plugin");
    assert_eq!(config_map["metadata"]["namespace"], "argocd");
    let plugin: Value =
        serde_yaml::from_str(config_map["data"]["plugin.yaml"].as_str().unwrap()).unwrap();
    assert_eq!(plugin, read_yaml(&repo().join("argocd-cmp/plugin.yaml")));

    let deployment = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    assert_eq!(deployment["metadata"]["name"], "argocd-repo-server");
    let pod = &deployment["spec"]["template"]["spec"];
    let sidecar = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "stagehand")
        .unwrap();
    assert_eq!(
        sidecar["command"],
        serde_json::json!(["/var/run/argocd/argocd-cmp-server"])
    );
    assert_eq!(sidecar["securityContext"]["runAsNonRoot"], true);
    assert_eq!(sidecar["securityContext"]["runAsUser"], 999);
    assert_eq!(
        sidecar["image"],
        "ghcr.io/andrelair-platform/stagehand-cmp:0.1.0"
    );
    let mounts: Vec<(String, String, Option<String>)> = sidecar["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["mountPath"].as_str().unwrap().to_string(),
                m["subPath"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        mounts,
        vec![
            ("var-files".into(), "/var/run/argocd".into(), None),
            (
                "plugins".into(),
                "/home/argocd/cmp-server/plugins".into(),
                None
            ),
            (
                "stagehand-cmp-plugin".into(),
                "/home/argocd/cmp-server/config/plugin.yaml".into(),
                Some("plugin.yaml".into())
            ),
            ("stagehand-cmp-tmp".into(), "/tmp".into(), None),
        ]
    );
    let volumes = pod["volumes"].as_array().unwrap();
    let tmp = volumes
        .iter()
        .find(|v| v["name"] == "stagehand-cmp-tmp")
        .unwrap();
    assert!(
        tmp["emptyDir"].is_object(),
        "the sidecar's /tmp must be its own emptyDir"
    );
    let plugin_volume = volumes
        .iter()
        .find(|v| v["name"] == "stagehand-cmp-plugin")
        .unwrap();
    assert_eq!(plugin_volume["configMap"]["name"], "stagehand-cmp-plugin");
    assert_eq!(
        restricted_violations(pod, "stagehand"),
        Vec::<String>::new(),
        "the sidecar fails Pod Security \"restricted\""
    );
    assert_eq!(
        sidecar["securityContext"]["readOnlyRootFilesystem"], true,
        "upstream's repo-server containers run with a read-only root"
    );
}

#[test]
fn plugin_yaml_has_the_fields_the_cmp_server_reads() {
    let plugin = read_yaml(&repo().join("argocd-cmp/plugin.yaml"));
    assert_eq!(plugin["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(plugin["metadata"]["name"], "stagehand");
    let spec = plugin["spec"].as_object().unwrap();
    let known = [
        "version",
        "init",
        "generate",
        "discover",
        "parameters",
        "preserveFileMode",
        "provideGitCreds",
    ];
    for key in spec.keys() {
        assert!(
            known.contains(&key.as_str()),
            "spec.{key} is not a ConfigManagementPlugin field"
        );
    }
    assert_eq!(spec["version"], "v1");
    assert_eq!(
        spec["generate"]["command"],
        serde_json::json!(["stagehand", "generate"])
    );
    assert_eq!(
        spec["discover"],
        serde_json::json!({ "find": { "command": ["stagehand", "discover"] } })
    );
    assert_eq!(
        spec["parameters"]["dynamic"]["command"],
        serde_json::json!(["stagehand", "parameters"])
    );
    let dynamic_names: Vec<String> = stagehand_parameter_names();
    for announcement in spec["parameters"]["static"].as_array().unwrap() {
        let name = announcement["name"].as_str().unwrap();
        assert!(
            announcement["title"].is_string() && announcement["tooltip"].is_string(),
            "{name}"
        );
        assert!(
            !dynamic_names.contains(&name.to_string()),
            "static `{name}` would hide the dynamic announcement's current value"
        );
        // Static names are accepted by generate too.
        let (_dir, root) = repository_copy();
        let parameters = format!(r#"[{{"name":"{name}","string":"Portal X"}}]"#);
        assert_eq!(
            generate(&root, &[("ARGOCD_APP_PARAMETERS", &parameters)]).code,
            0,
            "{name}"
        );
    }
}

#[test]
fn the_example_application_names_the_plugin_and_is_a_valid_application() {
    if !available(&[Need::Shared("schemas")]) {
        return;
    }
    let application = read_yaml(&repo().join("argocd-cmp/example-application.yaml"));
    let plugin = read_yaml(&repo().join("argocd-cmp/plugin.yaml"));
    let expected_name = format!(
        "{}-{}",
        plugin["metadata"]["name"].as_str().unwrap(),
        plugin["spec"]["version"].as_str().unwrap()
    );
    assert_eq!(
        application["spec"]["source"]["plugin"]["name"],
        expected_name.as_str()
    );
    assert_eq!(application["spec"]["source"]["path"], SOURCE_PATH);
    assert_eq!(
        application_schema_errors(&application),
        Vec::<String>::new()
    );
}

/// `stagehand discover` in `dir`, as the cmp-server runs `discover.find.command`.
fn discover(dir: &Path, extra: &[(&str, &str)]) -> crate::support::Run {
    Stagehand::new(["discover"])
        .current_dir(dir)
        .only_env(extra)
        .run()
}

#[test]
fn discovery_claims_stagehand_environments_and_nothing_else() {
    let (dir, root) = repository_copy();
    let minicloud = root.join(SOURCE_PATH);
    let run = discover(&minicloud, &[("ARGOCD_APP_SOURCE_PATH", SOURCE_PATH)]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "environment.yaml\n"));

    // A Conda environment.yaml, and a base's defaults (kind: Base), are not claimed.
    let conda = root.join("analysis");
    std::fs::create_dir_all(&conda).unwrap();
    std::fs::write(
        conda.join("environment.yaml"),
        "name: analysis\nchannels: [conda-forge]\ndependencies: [python=3.11, numpy]\n",
    )
    .unwrap();
    for folder in [&conda, &root.join("base"), &root] {
        let run = discover(folder, &[]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, ""),
            "{}",
            folder.display()
        );
    }

    // Layouts a YAML generator writes: quoted keys, one flow mapping. What validate reads
    // as an environment, discovery claims.
    for (name, text) in [
        (
            "quoted",
            "\"apiVersion\": \"stagehand/v1alpha1\"\n\"kind\": \"Environment\"\n\"metadata\": {\"name\": \"q\"}\n\"spec\": {\"hostname\": \"q.example.org\", \"tls\": {\"issuer\": {\"name\": \"ca\", \"kind\": \"ClusterIssuer\"}}}\n",
        ),
        (
            "flow",
            "{apiVersion: stagehand/v1alpha1, kind: Environment, metadata: {name: f}, spec: {hostname: f.example.org, tls: {issuer: {name: ca, kind: ClusterIssuer}}}}\n",
        ),
    ] {
        let folder = root.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("environment.yaml"), text).unwrap();
        let valid = Stagehand::new(["validate".as_ref(), folder.as_os_str()]).run();
        assert_eq!(valid.code, 0, "{name}: {}", valid.stderr);
        let run = discover(&folder, &[("ARGOCD_APP_SOURCE_PATH", name)]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, "environment.yaml\n"),
            "{name}"
        );
    }

    // An environment file symlinked from outside the tree is not read.
    let outside = dir.path().join("outside.yaml");
    std::fs::copy(minicloud.join("environment.yaml"), &outside).unwrap();
    let linked = root.join("linked");
    std::fs::create_dir_all(&linked).unwrap();
    std::os::unix::fs::symlink(&outside, linked.join("environment.yaml")).unwrap();
    let run = discover(&linked, &[("ARGOCD_APP_SOURCE_PATH", "linked")]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
}

#[test]
fn an_environment_named_by_plugin_env_is_discovered_and_rendered() {
    let (_dir, root) = repository_copy();
    let folder = root.join("overlays/staging");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(
        root.join("overlays/dev/environment.yaml"),
        folder.join("other.yaml"),
    )
    .unwrap();
    let variables = [
        ("ARGOCD_APP_SOURCE_PATH", "overlays/staging"),
        ("ARGOCD_ENV_ENVIRONMENT", "other.yaml"),
    ];
    let run = discover(&folder, &variables);
    assert_eq!((run.code, run.stdout.as_str()), (0, "other.yaml\n"));
    // Without the variable the folder has no environment.yaml: not claimed.
    assert_eq!(discover(&folder, &variables[..1]).stdout, "");
    let run = Stagehand::new(["generate"])
        .current_dir(&folder)
        .only_env(&[
            ("ARGOCD_APP_NAME", "backstage-staging-stagehand"),
            ("ARGOCD_APP_SOURCE_PATH", "overlays/staging"),
            ("ARGOCD_ENV_ENVIRONMENT", "other.yaml"),
            ("ARGOCD_APP_PARAMETERS", "null"),
            ("KUBE_API_VERSIONS", ALL_APIS),
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("host: backstage-dev.10.0.0.200.nip.io"));
}

/// The images' Dockerfile: the ArgoCD sidecar (its default target) and the CI image (its
/// `ci` target), both from one build stage.
const DOCKERFILE: &str = "argocd-cmp/Dockerfile";

/// What a Dockerfile's build stage copies into the image: `COPY` sources before the
/// second `FROM`.
fn dockerfile_build_sources() -> Vec<String> {
    let dockerfile = std::fs::read_to_string(repo().join(DOCKERFILE)).unwrap();
    // The header, the build stage, the final stage: the second piece is the build.
    let build_stage = dockerfile.split("\nFROM ").nth(1).unwrap_or_default();
    build_stage
        .lines()
        .filter_map(|line| line.strip_prefix("COPY "))
        .filter(|rest| !rest.starts_with("--from"))
        .flat_map(|rest| {
            let words: Vec<&str> = rest.split_whitespace().collect();
            words[..words.len() - 1]
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_image_is_built_from_pinned_images_with_the_dist_profile() {
    let dockerfile = std::fs::read_to_string(repo().join(DOCKERFILE)).unwrap();
    let stages: Vec<(&str, &str)> = dockerfile
        .lines()
        .filter_map(|line| line.strip_prefix("FROM "))
        .filter_map(|rest| {
            let mut words = rest.split_whitespace();
            Some((words.next()?, words.nth(1).unwrap_or("")))
        })
        .collect();
    let names: Vec<&str> = stages.iter().map(|(_, name)| *name).collect();
    // The default (last) target is the sidecar; the release workflow builds these by name.
    assert_eq!(names, ["build", "binary", "helm", "ci", "sidecar"]);
    for (image, _) in stages {
        // `scratch` is no image; every other one names X.Y (or more) or a digest.
        let tag = image.rsplit_once(':').map(|(_, tag)| tag).unwrap_or("");
        let literal = tag.split('-').next().unwrap_or("");
        let pinned = image == "scratch"
            || image.contains("@sha256:")
            || (literal.split('.').count() >= 2
                && literal
                    .split('.')
                    .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit())));
        assert!(pinned, "FROM {image} is not pinned to a version");
    }
    assert!(dockerfile.contains("cargo build --profile dist --locked"));
}

/// Copies the file or folder `from` to `to`, leaving out paths ending in an `ignored` entry.
pub fn copy_tree(from: &Path, to: &Path, ignored: &[String]) {
    if ignored.iter().any(|pattern| from.ends_with(pattern)) {
        return;
    }
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()), ignored);
        }
    } else {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
}

#[test]
fn the_dockerfile_build_context_holds_everything_the_build_reads() {
    // No Docker daemon here: copy exactly what the build stage copies (after .dockerignore)
    // into an empty folder and compile it there, offline. `cargo check` reads the manifest
    // (every named target must exist) and expands every include_str!, as the build does.
    let ignored: Vec<String> = std::fs::read_to_string(repo().join(".dockerignore"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect();
    let context = tempfile::tempdir().unwrap();
    let sources = dockerfile_build_sources();
    assert!(sources.contains(&"Cargo.toml".to_string()), "{sources:?}");
    for source in &sources {
        assert!(
            !ignored.contains(source),
            ".dockerignore drops `{source}`, which the Dockerfile copies"
        );
        copy_tree(&repo().join(source), &context.path().join(source), &ignored);
    }
    let target: PathBuf = repo().join("target/docker-context-check");
    let output = std::process::Command::new(env!("CARGO"))
        .args(["check", "--release", "--locked", "--offline", "--quiet"])
        .current_dir(context.path())
        .env("CARGO_TARGET_DIR", &target)
        // cargo runs this test with the package's own build-script output in OUT_DIR; a
        // child build must not see it, or a context without build.rs would still compile.
        .env_remove("OUT_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the image's build would fail with only {sources:?}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The Applications ArgoCD's git directory generator makes from `applicationset.yaml` for
/// this repository: one per folder matching the generator's path, with `{{path}}` and
/// `{{path.basename}}` filled in (the default, non-Go templating).
fn expand_application_set() -> Vec<(String, Value)> {
    let set = read_yaml(&repo().join("argocd-cmp/applicationset.yaml"));
    let generator = &set["spec"]["generators"][0]["git"];
    let pattern = generator["directories"][0]["path"].as_str().unwrap();
    assert_eq!(pattern, "overlays/*");
    let parent = pattern.trim_end_matches("/*");
    let mut folders: Vec<String> = std::fs::read_dir(repo().join(parent))
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    folders.sort();
    folders
        .into_iter()
        .map(|basename| {
            let path = format!("{parent}/{basename}");
            let template = serde_json::to_string(&set["spec"]["template"])
                .unwrap()
                .replace("{{path.basename}}", &basename)
                .replace("{{path}}", &path);
            let template: Value = serde_json::from_str(&template).unwrap();
            let mut metadata = template["metadata"].clone();
            metadata["namespace"] = set["metadata"]["namespace"].clone();
            let application = serde_json::json!({
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": metadata,
                "spec": template["spec"],
            });
            (path, application)
        })
        .collect()
}

#[test]
fn the_application_set_makes_one_valid_application_per_overlay_that_renders() {
    if !available(&[Need::Shared("schemas")]) {
        return;
    }
    let applications = expand_application_set();
    let paths: Vec<&str> = applications.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["overlays/dev", "overlays/minicloud", "overlays/prod"]
    );
    let (_dir, root) = repository_copy();
    let mut names = Vec::new();
    for (path, application) in &applications {
        assert_eq!(
            application_schema_errors(application),
            Vec::<String>::new(),
            "{path}"
        );
        assert_eq!(application["spec"]["source"]["path"], path.as_str());
        assert_eq!(
            application["spec"]["source"]["plugin"]["name"],
            "stagehand-v1"
        );
        let name = application["metadata"]["name"].as_str().unwrap();
        names.push(name.to_string());
        // As the repo-server runs the plugin for this Application: no parameters.
        let run = Stagehand::new(["generate"])
            .current_dir(&root.join(path))
            .only_env(&[
                ("ARGOCD_APP_NAME", name),
                ("ARGOCD_APP_SOURCE_PATH", path),
                ("ARGOCD_APP_PARAMETERS", "null"),
                ("KUBE_VERSION", "1.29.3"),
                ("KUBE_API_VERSIONS", ALL_APIS),
            ])
            .run();
        assert_eq!(run.code, 0, "{path}: {}", run.stderr);
        let child = crate::support::parse_stream(&run.stdout)
            .into_iter()
            .find(|object| object["kind"] == "Application")
            .unwrap();
        names.push(child["metadata"]["name"].as_str().unwrap().to_string());
    }
    let unique: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "Application names collide: {names:?}"
    );
}

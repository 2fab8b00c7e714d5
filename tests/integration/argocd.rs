//! The ArgoCD plugin: `generate` and `parameters` run with the cmp-server's exact inputs
//! (a working directory inside a fresh repository copy, the ARGOCD_*, KUBE_*, PARAM_*
//! variables), and the `argocd-cmp/` install files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Stagehand, assert_contains, parse_stream, read_yaml, repo, shared, snapshot};

const SOURCE_PATH: &str = "overlays/minicloud";
const ALL_APIS: &str = "v1,v1/ConfigMap,v1/Secret,apps/v1,apps/v1/Deployment,networking.k8s.io/v1,\
networking.k8s.io/v1/Ingress,cert-manager.io/v1,cert-manager.io/v1/Certificate,bitnami.com/v1alpha1,\
bitnami.com/v1alpha1/SealedSecret,argoproj.io/v1alpha1,argoproj.io/v1alpha1/Application";

/// A copy of the repository as the cmp-server makes it (`/tmp/_cmp_server/<uuid>`, no .git).
fn repository_copy() -> (tempfile::TempDir, PathBuf) {
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
fn cmp_variables<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
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

fn generate(root: &Path, extra: &[(&str, &str)]) -> crate::support::Run {
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
    assert_eq!(
        run.stdout,
        Stagehand::new(["render", "overlays/minicloud"]).succeeds()
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
fn a_hostname_parameter_moves_the_ingress_certificate_and_base_urls() {
    let (_dir, root) = repository_copy();
    let parameters = r#"[{"name":"hostname","string":"portal.example.org"},
        {"name":"resources.backstage","map":{"limits.memory":"2Gi","requests.cpu":"200m"}},
        {"name":"image.tag","string":"1.30"}]"#;
    let run = generate(&root, &[("ARGOCD_APP_PARAMETERS", parameters)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let objects = parse_stream(&run.stdout);
    assert_eq!(objects[2]["spec"]["rules"][0]["host"], "portal.example.org");
    assert_eq!(
        objects[2]["spec"]["tls"][0]["hosts"][0],
        "portal.example.org"
    );
    assert_eq!(objects[1]["spec"]["dnsNames"][0], "portal.example.org");
    let values = &objects[3]["spec"]["source"]["helm"]["valuesObject"]["backstage"];
    assert_eq!(
        values["appConfig"]["app"]["baseUrl"],
        "https://portal.example.org"
    );
    assert_eq!(values["resources"]["limits"]["memory"], "2Gi");
    assert_eq!(values["resources"]["requests"]["cpu"], "200m");
    assert_eq!(values["image"]["tag"], "1.30");
}

#[test]
fn param_variables_work_when_argocd_app_parameters_is_absent() {
    let (_dir, root) = repository_copy();
    let run = generate(
        &root,
        &[
            ("PARAM_HOSTNAME", "portal.example.org"),
            ("PARAM_RESOURCES_POSTGRESQL_LIMITS_MEMORY", "1Gi"),
            ("PARAM_REPLICAS", "2"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let objects = parse_stream(&run.stdout);
    assert_eq!(objects[2]["spec"]["rules"][0]["host"], "portal.example.org");
    let values = &objects[3]["spec"]["source"]["helm"]["valuesObject"];
    assert_eq!(
        values["postgresql"]["primary"]["resources"]["limits"]["memory"],
        "1Gi"
    );
    assert_eq!(values["backstage"]["replicas"], 2);
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
        repo().join("overlays/dev/environment.yaml"),
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
fn unknown_parameters_are_errors_listing_the_known_ones() {
    let (_dir, root) = repository_copy();
    let run = generate(
        &root,
        &[(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name":"hostnam","string":"x.example.org"}]"#,
        )],
    );
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        "error: unknown parameter `hostnam` (did you mean `hostname`?); known parameters: hostname, image.tag, \
         replicas, resources.backstage, resources.postgresql, app.title, app.organization\n"
    );
    let run = generate(&root, &[("PARAM_COLOUR", "blue")]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(&run.stderr, "unknown parameter variable PARAM_COLOUR");
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
    assert!(lines[5].starts_with("... and "), "{}", run.stderr);
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

#[test]
fn parameters_announce_current_values_in_the_shape_argocd_reads() {
    let (_dir, root) = repository_copy();
    let run = Stagehand::new(["parameters"])
        .current_dir(&root.join(SOURCE_PATH))
        .only_env(&[
            ("ARGOCD_APP_NAME", "x"),
            ("ARGOCD_APP_SOURCE_PATH", SOURCE_PATH),
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let announcements: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    let allowed = [
        "name",
        "title",
        "tooltip",
        "required",
        "itemType",
        "collectionType",
        "string",
        "array",
        "map",
    ];
    for announcement in &announcements {
        for key in announcement.as_object().unwrap().keys() {
            assert!(
                allowed.contains(&key.as_str()),
                "unknown announcement field {key}"
            );
        }
        let collection = announcement["collectionType"].as_str().unwrap();
        assert!(
            announcement.get(collection).is_some(),
            "{announcement} lacks its {collection} value"
        );
    }
    let by_name = |name: &str| {
        announcements
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("hostname")["string"], "backstage.10.0.0.200.nip.io");
    assert_eq!(by_name("image.tag")["string"], "latest");
    assert_eq!(by_name("replicas")["string"], "1");
    assert_eq!(
        by_name("resources.backstage")["map"]["limits.memory"],
        "1Gi"
    );
    assert_eq!(
        by_name("resources.postgresql")["map"]["requests.cpu"],
        "50m"
    );

    // Every announced name works as a parameter in generate, with the announced value.
    let values: Vec<Value> = announcements
        .iter()
        .map(|a| {
            let collection = a["collectionType"].as_str().unwrap();
            serde_json::json!({ "name": a["name"], collection: a[collection] })
        })
        .collect();
    let as_parameters = serde_json::to_string(&values).unwrap();
    let run = generate(&root, &[("ARGOCD_APP_PARAMETERS", &as_parameters)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, generate(&root, &[]).stdout);
}

#[test]
fn kustomize_builds_the_plugin_config_map_and_the_sidecar() {
    if !crate::support::available(&[crate::support::Need::Kubectl]) {
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
    assert_eq!(spec["discover"]["fileName"], "./environment.yaml");
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

fn stagehand_parameter_names() -> Vec<String> {
    let output = Stagehand::new(["parameters"])
        .current_dir(&repo().join(SOURCE_PATH))
        .succeeds();
    let announcements: Vec<Value> = serde_json::from_str(&output).unwrap();
    announcements
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_example_application_names_the_plugin_and_is_a_valid_application() {
    if !crate::support::available(&[crate::support::Need::Shared("schemas")]) {
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
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(shared().join("schemas/application-argoproj-v1alpha1.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&application)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

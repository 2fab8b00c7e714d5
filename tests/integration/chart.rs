//! `--expand-chart` with the real Helm on the real chart (backstage/backstage 2.7.0 with its
//! dependencies, `../shared/charts/backstage-2.7.0.tgz`): the values the chart honours,
//! the expanded output and its order, the rules across objects, `diff --expand-chart`; and,
//! with stand-in helm programs, what is asked of helm and how its absence reads.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{
    Need, Stagehand, assert_contains, available, environment_with, parse_stream, read_yaml, shared,
    temp_environment,
};

const CHART: &str = "charts/backstage-2.7.0.tgz";

fn chart() -> PathBuf {
    shared().join(CHART)
}

fn real_helm() -> bool {
    available(&[Need::Helm, Need::Shared(CHART)])
}

/// `render ENV --expand-chart --chart <the packaged chart>` with `extra` arguments.
fn expand(environment: &Path, extra: &[&str]) -> crate::support::Run {
    Stagehand::new(["render".as_ref(), environment.as_os_str()])
        .args(["--expand-chart", "--chart"])
        .arg(chart())
        .args(extra)
        .run()
}

fn minicloud() -> PathBuf {
    crate::support::repo().join("overlays/minicloud")
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name}"))
}

#[test]
fn the_whole_deployment_in_a_fixed_order_each_object_in_its_namespace() {
    if !real_helm() {
        return;
    }
    let run = expand(&minicloud(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let again = expand(&minicloud(), &[]);
    assert_eq!(again.stdout, run.stdout, "two runs differ");
    let objects = parse_stream(&run.stdout);
    let ids: Vec<String> = objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            "SealedSecret/backstage-postgres-secret",
            "Certificate/backstage-tls",
            "Ingress/backstage",
            "ConfigMap/backstage-app-config",
            "Service/backstage",
            "Service/backstage-postgresql",
            "Service/backstage-postgresql-hl",
            "Deployment/backstage",
            "StatefulSet/backstage-postgresql",
            "Job/backstage-database-password",
        ]
    );
    for object in &objects {
        assert_eq!(
            object["metadata"]["namespace"], "backstage",
            "{}",
            object["kind"]
        );
    }
    let json: Value = serde_json::from_str(
        &Stagehand::new(["render".as_ref(), minicloud().as_os_str()])
            .args(["--expand-chart", "-o", "json", "--chart"])
            .arg(chart())
            .succeeds(),
    )
    .unwrap();
    assert_eq!(json["items"].as_array().unwrap(), &objects);
}

#[test]
fn the_chart_sets_each_postgres_variable_once_with_the_seeds_values() {
    if !real_helm() {
        return;
    }
    let objects = parse_stream(&expand(&minicloud(), &[]).stdout);
    let deployment = find(&objects, "Deployment", "backstage");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let env = container["env"].as_array().unwrap();
    let names: Vec<&str> = env.iter().map(|e| e["name"].as_str().unwrap()).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "an env name twice: {names:?}");
    let value = |name: &str| env.iter().find(|e| e["name"] == name).unwrap().clone();
    assert_eq!(value("POSTGRES_HOST")["value"], "backstage-postgresql");
    assert_eq!(value("POSTGRES_PORT")["value"], "5432");
    assert_eq!(value("POSTGRES_USER")["value"], "bn_backstage");
    assert_eq!(
        value("POSTGRES_PASSWORD")["valueFrom"]["secretKeyRef"],
        serde_json::json!({"name": "backstage-postgres-secret", "key": "password"})
    );
}

#[test]
fn one_backend_port_everywhere_the_chart_uses_it() {
    if !real_helm() {
        return;
    }
    let run = expand(&minicloud(), &["--set", "spec.backendPort=8080"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let objects = parse_stream(&run.stdout);
    let service = find(&objects, "Service", "backstage");
    assert_eq!(service["spec"]["ports"][0]["port"], 8080);
    let ingress = find(&objects, "Ingress", "backstage");
    assert_eq!(
        ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"],
        8080
    );
    let container =
        &find(&objects, "Deployment", "backstage")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["ports"][0]["containerPort"], 8080);
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
        assert_eq!(container[probe]["httpGet"]["port"], 8080, "{probe}");
        assert_eq!(
            container[probe]["httpGet"]["scheme"], "HTTP",
            "{probe} keeps the chart's rest"
        );
    }
}

#[test]
fn out_dir_holds_the_chart_objects_in_place_of_the_application() {
    if !real_helm() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("minicloud");
    let run = Stagehand::new([
        "render".as_ref(),
        minicloud().as_os_str(),
        "--out-dir".as_ref(),
        out.as_os_str(),
    ])
    .args(["--expand-chart", "--chart"])
    .arg(chart())
    .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.join("chart-objects.yaml").is_file());
    assert!(!out.join("application.yaml").exists());
    assert_eq!(
        read_yaml(&out.join("kustomization.yaml"))["resources"],
        serde_json::json!([
            "sealed-secret.yaml",
            "certificate.yaml",
            "ingress.yaml",
            "chart-objects.yaml"
        ])
    );
    assert_contains(
        &crate::support::checksums_pass(&out),
        "chart-objects.yaml: OK",
    );
    if available(&[Need::Kubectl]) {
        // kustomize drops some null fields (`annotations:` left empty by the chart) and
        // keeps others; the API server drops them all: compare without them.
        let mut built: Vec<Value> = crate::support::kustomize(&out)
            .into_iter()
            .map(without_nulls)
            .collect();
        let mut streamed: Vec<Value> = parse_stream(&expand(&minicloud(), &[]).stdout)
            .into_iter()
            .map(without_nulls)
            .collect();
        let key = |o: &Value| format!("{}/{}", o["kind"], o["metadata"]["name"]);
        built.sort_by_key(key);
        streamed.sort_by_key(key);
        assert_eq!(built.len(), streamed.len());
        for (from_kustomize, from_stream) in built.iter().zip(&streamed) {
            assert!(
                from_kustomize == from_stream,
                "{} differs",
                key(from_stream)
            );
        }
    }
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, item)| !item.is_null())
                .map(|(key, item)| (key, without_nulls(item)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[test]
fn rules_across_objects_report_every_problem_by_object_and_field() {
    if !real_helm() {
        return;
    }
    let dir = temp_environment(&format!(
        "{}patches:\n  - target: {{ kind: HelmValues }}\n    ops:\n      \
         - {{ op: add, path: /fullnameOverride, value: portal }}\n      \
         - {{ op: add, path: /backstage/podSecurityContext, value: {{ runAsNonRoot: true, fsGrup: 1000 }} }}\n      \
         - {{ op: add, path: /backstage/initContainers/0/env/-, value: {{ name: PGHOST, value: other }} }}\n",
        environment_with("")
    ));
    let run = expand(dir.path(), &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(
        errors,
        [
            "error: Ingress/backstage: spec.rules[0].http.paths[0].backend.service.name: names the Service `backstage`, which no rendered object is",
            "error: Deployment/portal: spec.template.spec.initContainers[0].env[5].name: container `wait-for-postgres` sets the env var PGHOST a second time (the API server keeps the last; ArgoCD's diff and server-side apply fail on it)",
            "error: Deployment/portal: spec.template.spec.securityContext.fsGrup: unknown field `fsGrup` for apps/v1 Deployment",
        ]
    );
}

#[test]
fn an_external_secret_says_which_keys_it_must_hold() {
    if !real_helm() {
        return;
    }
    let dir = temp_environment(&environment_with("  database: { secret: external }\n"));
    let run = expand(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        "spec.database.secret: the Secret `backstage-postgres-secret` is external, so its keys cannot be checked: it must hold password (read by Deployment/backstage), password (read by Job/backstage-database-password), password (read by StatefulSet/backstage-postgresql), postgres-password (read by Job/backstage-database-password), postgres-password (read by StatefulSet/backstage-postgresql)",
    );
}

#[test]
fn a_chart_that_is_not_spec_chart_and_a_helm_error_are_named() {
    if !real_helm() {
        return;
    }
    // The same chart unpacked, with another version in its Chart.yaml.
    let dir = tempfile::tempdir().unwrap();
    let unpacked = std::process::Command::new("tar")
        .args(["-xzf"])
        .arg(chart())
        .arg("-C")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(unpacked.success());
    let folder = dir.path().join("backstage");
    crate::support::replace_in_file(
        &folder.join("Chart.yaml"),
        "version: 2.7.0",
        "version: 2.8.0",
    );
    let run = Stagehand::new([
        "render".as_ref(),
        minicloud().as_os_str(),
        "--expand-chart".as_ref(),
        "--chart".as_ref(),
        folder.as_os_str(),
    ])
    .run();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        format!(
            "error: --chart {}: is chart backstage 2.8.0, but spec.chart is backstage 2.7.0; give the chart the environment installs, or change spec.chart\n",
            folder.display()
        )
    );
    // Values the chart's schema refuses: helm's message, and the environment file.
    let env = temp_environment(&format!(
        "{}patches:\n  - target: {{ kind: HelmValues }}\n    ops: [{{ op: add, path: /backstage/replicaz, value: 2 }}]\n",
        environment_with("")
    ));
    let run = expand(env.path(), &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(
        run.stderr.starts_with(&format!(
            "error: {}/environment.yaml: spec.chart: helm template failed: ",
            env.path().display()
        )),
        "{}",
        run.stderr
    );
    assert_contains(&run.stderr, "replicaz");
}

#[test]
fn diff_shows_what_the_chart_makes_of_a_change() {
    if !real_helm() {
        return;
    }
    let repository = crate::diff::GitRepo::with_overlays(&["minicloud", "prod"]);
    repository.edit(
        "overlays/minicloud/environment.yaml",
        "limits: { cpu: 1000m, memory: 1Gi }",
        "limits: { cpu: 1000m, memory: 2Gi }",
    );
    repository.edit(
        "overlays/minicloud/environment.yaml",
        "limits: { cpu: 500m, memory: 512Mi }",
        "limits: { cpu: 500m, memory: 768Mi }",
    );
    repository.edit(
        "overlays/prod/environment.yaml",
        "hostname: backstage.example.org",
        "hostname: portal.example.org",
    );
    let chart = chart();
    let run = repository.diff(&[
        "--base",
        "HEAD",
        "--expand-chart",
        "--chart",
        chart.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let section = |path: &str| {
        let start = run.stdout.find(&format!("<summary><code>{path}")).unwrap();
        let end = run.stdout[start..].find("</details>").unwrap();
        run.stdout[start..start + end].to_string()
    };
    let minicloud = section("overlays/minicloud");
    assert_contains(&minicloud, "**Deployment backstage/backstage** (changed)");
    assert_contains(
        &minicloud,
        "-              memory: 1Gi\n+              memory: 2Gi",
    );
    assert_contains(
        &minicloud,
        "**StatefulSet backstage/backstage-postgresql** (changed)",
    );
    assert_contains(&minicloud, "+              memory: 768Mi");
    assert!(!minicloud.contains("Application"), "{minicloud}");
    let prod = section("overlays/prod");
    let config_map = prod
        .split("**ConfigMap backstage-prod/backstage-app-config** (changed)")
        .nth(1)
        .unwrap_or_else(|| panic!("the app-config ConfigMap changed: {prod}"));
    let config_map = config_map.split("**").next().unwrap_or_default();
    // The app-config is a multi-line string: it diffs line by line.
    assert_contains(
        config_map,
        "-      baseUrl: https://backstage.example.org\n+      baseUrl: https://portal.example.org",
    );
}

/// A stand-in helm in `dir`: answers `version` with `version`, and for `template` records
/// its arguments and stdin and prints one ConfigMap.
fn fake_helm(dir: &Path, version: &str) -> PathBuf {
    let program = dir.join("helm");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nif [ \"$1\" = version ]; then printf '{version}'; exit 0; fi\n\
             printf '%s\\n' \"$@\" > '{args}'\ncat > '{stdin}'\n\
             printf -- '---\\n# Source: x\\napiVersion: v1\\nkind: Service\\nmetadata:\\n  name: backstage\\nspec:\\n  ports:\\n    - port: 7007\\n---\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: made\\n'\n",
            args = dir.join("args").display(),
            stdin = dir.join("stdin").display(),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    program
}

#[test]
fn helm_gets_the_applications_release_namespace_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let helm = fake_helm(dir.path(), "v3.17.2");
    let run = Stagehand::new(["render", "overlays/minicloud", "--expand-chart"])
        .env("STAGEHAND_HELM", helm.to_str().unwrap())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let arguments = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(
        arguments.lines().collect::<Vec<_>>(),
        [
            "template",
            "backstage",
            "--repo",
            "https://backstage.github.io/charts",
            "--version",
            "2.7.0",
            "--name-template",
            "backstage",
            "--namespace",
            "backstage",
            "--values",
            "-",
            "--include-crds"
        ]
    );
    let values: Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.path().join("stdin")).unwrap()).unwrap();
    let rendered = parse_stream(&Stagehand::new(["render", "overlays/minicloud"]).succeeds());
    assert_eq!(
        values,
        rendered[3]["spec"]["source"]["helm"]["valuesObject"]
    );
    // The chart's objects follow ours, in install order, each given the release namespace.
    let objects = parse_stream(&run.stdout);
    let chart_objects: Vec<String> = objects[3..]
        .iter()
        .map(|o| {
            let metadata = &o["metadata"];
            format!(
                "{}/{}/{}",
                o["kind"].as_str().unwrap(),
                metadata["namespace"].as_str().unwrap(),
                metadata["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        chart_objects,
        ["ConfigMap/backstage/made", "Service/backstage/backstage"]
    );
    assert!(!run.stdout.contains("kind: Application"));
}

#[test]
fn no_helm_or_an_old_one_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let old = fake_helm(dir.path(), "v3.7.2");
    let run = Stagehand::new(["render", "overlays/minicloud", "--expand-chart"])
        .env("STAGEHAND_HELM", old.to_str().unwrap())
        .run();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        format!(
            "error: {} is Helm v3.7.2, older than 3.8: install Helm 3.8 or later (https://helm.sh/docs/intro/install/), or set STAGEHAND_HELM to its path\n",
            old.display()
        )
    );
    let empty = tempfile::tempdir().unwrap();
    let run = Stagehand::new(["render", "overlays/minicloud", "--expand-chart"])
        .env("PATH", empty.path().to_str().unwrap())
        .run();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        "error: helm is not installed (no helm on PATH), and --expand-chart runs `helm template`: install Helm 3.8 or later (https://helm.sh/docs/intro/install/), or set STAGEHAND_HELM to its path\n"
    );
    let run = Stagehand::new(["render", "overlays/minicloud", "--expand-chart"])
        .env("STAGEHAND_HELM", "/nonexistent/helm")
        .run();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(
        &run.stderr,
        "STAGEHAND_HELM=/nonexistent/helm: no such program",
    );
}

/// The objects `expand` prints; the render must succeed.
fn expanded(environment: &Path, extra: &[&str]) -> Vec<Value> {
    let run = expand(environment, extra);
    assert_eq!(run.code, 0, "{}", run.stderr);
    parse_stream(&run.stdout)
}

/// The pod specs of the workloads in an expanded render, by `Kind/name`.
fn pod_specs(objects: &[Value]) -> Vec<(String, Value)> {
    objects
        .iter()
        .filter(|o| {
            ["Deployment", "StatefulSet", "Job", "DaemonSet"]
                .contains(&o["kind"].as_str().unwrap_or(""))
        })
        .map(|o| {
            (
                format!(
                    "{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                ),
                o["spec"]["template"]["spec"].clone(),
            )
        })
        .collect()
}

#[test]
fn every_pod_of_every_overlay_meets_pod_security_restricted() {
    if !real_helm() {
        return;
    }
    for overlay in ["minicloud", "dev", "prod"] {
        let objects = expanded(&crate::support::repo().join("overlays").join(overlay), &[]);
        let pods = pod_specs(&objects);
        let kinds: Vec<&str> = pods
            .iter()
            .map(|(id, _)| id.split('/').next().unwrap())
            .collect();
        assert_eq!(kinds, ["Deployment", "StatefulSet", "Job"], "{overlay}");
        for (id, pod) in &pods {
            for list in ["initContainers", "containers"] {
                for container in pod[list].as_array().into_iter().flatten() {
                    let name = container["name"].as_str().unwrap();
                    assert_eq!(
                        crate::argocd_install::restricted_violations(pod, name),
                        Vec::<String>::new(),
                        "{overlay}: {id} {name}"
                    );
                }
            }
        }
        // The Backstage container: the image's `node` user, read-only root, /tmp writable.
        let (_, backstage) = &pods[0];
        let main = &backstage["containers"][0];
        assert_eq!(main["securityContext"]["runAsUser"], 1000);
        assert_eq!(main["securityContext"]["readOnlyRootFilesystem"], true);
        assert!(
            main["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["mountPath"] == "/tmp")
        );
        assert!(
            backstage["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v["emptyDir"].is_object())
        );
    }
}

#[test]
fn the_security_context_can_be_relaxed_for_a_custom_image() {
    if !real_helm() {
        return;
    }
    let deployment = |extra: &[&str]| {
        let objects = expanded(&minicloud(), extra);
        pod_specs(&objects).remove(0).1
    };
    let writable = deployment(&["--set", "spec.security.readOnlyRootFilesystem=false"]);
    assert_eq!(
        writable["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
        false
    );
    assert!(
        !writable["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "tmp")
    );
    let own_user = deployment(&["--set", "spec.security.runAsUser=1234"]);
    assert_eq!(own_user["securityContext"]["runAsUser"], 1234);
    assert_eq!(
        own_user["containers"][0]["securityContext"]["runAsUser"],
        1234
    );
    let root = deployment(&["--set", "spec.security.restricted=false"]);
    assert!(
        root["securityContext"].is_null(),
        "{}",
        root["securityContext"]
    );
    assert!(root["containers"][0]["securityContext"].is_null());
    let run = Stagehand::new([
        "validate",
        "overlays/minicloud",
        "--set",
        "spec.security.runAsUser=0",
    ])
    .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(&run.stderr, "spec.security.runAsUser");
}

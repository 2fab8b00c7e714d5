//! Rendered artifacts against the real public schemas in ../shared/schemas (read from
//! there, never copied), and environment files against `stagehand schema`.

use std::ffi::OsStr;
use std::path::Path;

use serde_json::Value;

use crate::support::{Stagehand, read_yaml, shared};

fn schema(name: &str) -> Value {
    let path = shared().join("schemas").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn assert_valid(schema: &Value, instance: &Value, what: &str) {
    let validator =
        jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("{what}: schema: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is invalid:\n{}",
        errors.join("\n")
    );
}

fn render_to(environment: &str, dir: &Path) {
    Stagehand::new([
        OsStr::new("render"),
        OsStr::new(environment),
        OsStr::new("--out-dir"),
        dir.as_os_str(),
    ])
    .succeeds();
}

#[test]
fn every_overlay_renders_artifacts_valid_against_the_public_schemas() {
    if !crate::support::available(&[crate::support::Need::Shared("schemas")]) {
        return;
    }
    let values_schema = schema("backstage-chart-values.schema.json");
    let checks = [
        (
            "certificate.yaml",
            schema("certificate-cert-manager-v1.json"),
        ),
        ("ingress.yaml", schema("k8s-ingress-networking-v1.json")),
        (
            "sealed-secret.yaml",
            schema("sealedsecret-bitnami-v1alpha1.json"),
        ),
        (
            "application.yaml",
            schema("application-argoproj-v1alpha1.json"),
        ),
    ];
    for overlay in ["overlays/minicloud", "overlays/dev", "overlays/prod"] {
        let dir = tempfile::tempdir().unwrap();
        render_to(overlay, dir.path());
        let values = read_yaml(&dir.path().join("values.yaml"));
        assert_valid(&values_schema, &values, &format!("{overlay} values.yaml"));
        for (file, file_schema) in &checks {
            let object = read_yaml(&dir.path().join(file));
            assert_valid(file_schema, &object, &format!("{overlay} {file}"));
        }
        // The values inside the Application are the chart's values too.
        let application = read_yaml(&dir.path().join("application.yaml"));
        assert_valid(
            &values_schema,
            &application["spec"]["source"]["helm"]["valuesObject"],
            &format!("{overlay} valuesObject"),
        );
    }
}

#[test]
fn the_values_schema_would_catch_a_misspelt_key() {
    if !crate::support::available(&[crate::support::Need::Shared("schemas")]) {
        return;
    }
    // Guards the test above: the chart's schema must be strict enough to matter.
    let values_schema = schema("backstage-chart-values.schema.json");
    let validator = jsonschema::validator_for(&values_schema).unwrap();
    let wrong = serde_json::json!({ "backstage": { "replicaz": 1 } });
    assert!(!validator.is_valid(&wrong));
}

#[test]
fn environment_files_validate_against_the_published_schema() {
    let published: Value = serde_json::from_str(&Stagehand::new(["schema"]).succeeds()).unwrap();
    for overlay in ["overlays/minicloud", "overlays/dev", "overlays/prod"] {
        let environment = read_yaml(
            &crate::support::repo()
                .join(overlay)
                .join("environment.yaml"),
        );
        assert_valid(&published, &environment, overlay);
    }
    let validator = jsonschema::validator_for(&published).unwrap();
    let misspelt = serde_json::json!({
        "apiVersion": "stagehand/v1alpha1", "kind": "Environment",
        "metadata": { "name": "x" }, "spec": { "hostnam": "a.example.org" }
    });
    assert!(
        !validator.is_valid(&misspelt),
        "the schema must reject unknown fields"
    );
    let without_hostname = serde_json::json!({
        "apiVersion": "stagehand/v1alpha1", "kind": "Environment",
        "metadata": { "name": "x" }, "spec": { "tls": { "issuer": { "name": "ca", "kind": "Issuer" } } }
    });
    assert!(
        !validator.is_valid(&without_hostname),
        "hostname has no default: it is required"
    );
}

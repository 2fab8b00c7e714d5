//! The check stage: the rules of PRODUCT.md verified on the final documents.
//!
//! The templates satisfy these rules by construction; patches and custom base templates
//! can break them. Checking the output (not the input) means no route around them: one
//! hostname everywhere, one TLS secret, one backend port, one database secret, string env
//! values, the chart's Ingress off, every location host readable.

use serde_json::{Value, json};

use crate::artifacts::RenderedEnvironment;
use crate::context::service_name;
use crate::environment::{Environment, TargetKind};
use crate::error::Finding;
use crate::field_path::FieldPath;
use crate::reading_allow;

/// Env names the chart 2.7.0 sets in the Backstage container itself.
const CHART_ENV: [&str; 1] = ["APP_CONFIG_backend_listen_port"];

/// The same, with the chart's Postgres enabled (`backstage-deployment.yaml`).
const CHART_ENV_WITH_POSTGRES: [&str; 5] = [
    "APP_CONFIG_backend_listen_port",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
];

/// Findings about rules the rendered documents break.
pub fn check_rendered(environment: &Environment, rendered: &RenderedEnvironment) -> Vec<Finding> {
    let spec = &environment.spec;
    let hostname = json!(spec.hostname);
    let base_url = json!(format!("https://{}", spec.hostname));
    let service = service_name(&spec.release_name, &spec.chart.name);
    let tls_secret = json!(format!("{service}-tls"));
    let port = json!(spec.backend_port);
    let database_secret = json!(spec.database.secret_name);

    let mut check = Checker::default();
    for object in rendered.kubernetes_objects() {
        check.identity(object);
    }
    // Every namespaced object stays where the environment says (a patch cannot move one).
    let namespace = json!(spec.namespace);
    for target in [
        TargetKind::SealedSecret,
        TargetKind::Certificate,
        TargetKind::Ingress,
    ] {
        let object = rendered.document(target);
        if !object.is_null() {
            check.equal(
                &format!("the {target:?}'s metadata.namespace"),
                at(object, "/metadata/namespace"),
                &namespace,
                "spec.namespace",
            );
        }
    }
    let sealed = rendered.document(TargetKind::SealedSecret);
    if !sealed.is_null() {
        check.equal(
            "the SealedSecret's template namespace",
            at(sealed, "/spec/template/metadata/namespace"),
            &namespace,
            "spec.namespace",
        );
    }
    let application = rendered.document(TargetKind::Application);
    check.equal(
        "the Application's metadata.namespace",
        at(application, "/metadata/namespace"),
        &json!(spec.argocd.namespace),
        "spec.argocd.namespace",
    );
    check.equal(
        "the Application's destination namespace",
        at(application, "/spec/destination/namespace"),
        &namespace,
        "spec.namespace",
    );
    let ingress = rendered.document(TargetKind::Ingress);
    check.typed_ingress(ingress);
    check.all_equal(
        "the Ingress rule hosts",
        &pointers(ingress, "/spec/rules", "/host"),
        &hostname,
        "spec.hostname",
    );
    check.all_equal(
        "the Ingress TLS hosts",
        &pointers(ingress, "/spec/tls", "/hosts"),
        &json!([spec.hostname]),
        "spec.hostname",
    );
    check.all_equal(
        "the Ingress TLS secretName",
        &pointers(ingress, "/spec/tls", "/secretName"),
        &tls_secret,
        "the Certificate",
    );
    let backends = pointers(ingress, "/spec/rules", "/http/paths");
    let backend_services: Vec<Option<&Value>> = backends
        .iter()
        .flat_map(|paths| paths.and_then(Value::as_array).into_iter().flatten())
        .map(|path| at(path, "/backend/service/port/number"))
        .collect();
    check.all_equal(
        "the Ingress backend port",
        &backend_services,
        &port,
        "spec.backendPort",
    );

    let certificate = rendered.document(TargetKind::Certificate);
    check.equal(
        "the Certificate dnsNames",
        at(certificate, "/spec/dnsNames"),
        &json!([spec.hostname]),
        "spec.hostname",
    );
    check.equal(
        "the Certificate secretName",
        at(certificate, "/spec/secretName"),
        &tls_secret,
        "the Ingress TLS secret",
    );

    let values = rendered.document(TargetKind::HelmValues);
    let app_config = "/backstage/appConfig";
    for (what, pointer) in [
        ("app.baseUrl", "/app/baseUrl"),
        ("backend.baseUrl", "/backend/baseUrl"),
        ("backend.cors.origin", "/backend/cors/origin"),
    ] {
        let found = at(values, &format!("{app_config}{pointer}"));
        check.equal(what, found, &base_url, "spec.hostname");
    }
    check.equal(
        "backstage.containerPorts.backend",
        at(values, "/backstage/containerPorts/backend"),
        &port,
        "spec.backendPort",
    );
    check.equal(
        "backend.listen.port",
        at(values, &format!("{app_config}/backend/listen/port")),
        &port,
        "spec.backendPort",
    );
    check.equal(
        "the chart's service.ports.backend",
        at(values, "/service/ports/backend"),
        &port,
        "spec.backendPort",
    );
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
        check.equal(
            &format!("backstage.{probe} port"),
            at(values, &format!("/backstage/{probe}/httpGet/port")),
            &port,
            "spec.backendPort",
        );
    }
    for (key, expected) in [
        ("userPasswordKey", "password"),
        ("adminPasswordKey", "postgres-password"),
    ] {
        check.equal(
            &format!("postgresql.auth.secretKeys.{key}"),
            at(values, &format!("/postgresql/auth/secretKeys/{key}")),
            &json!(expected),
            "the database Secret's keys",
        );
    }
    check.equal(
        "the chart's ingress.enabled",
        at(values, "/ingress/enabled"),
        &json!(false),
        "stagehand's own Ingress",
    );
    check.equal(
        "postgresql.auth.existingSecret",
        at(values, "/postgresql/auth/existingSecret"),
        &database_secret,
        "spec.database.secretName",
    );
    let sealed_secret = rendered.document(TargetKind::SealedSecret);
    if !sealed_secret.is_null() {
        check.equal(
            "the SealedSecret name",
            at(sealed_secret, "/metadata/name"),
            &database_secret,
            "spec.database.secretName",
        );
    }
    check.env_values(values);
    // As Backstage matches them: an entry that does not parse lets nothing through.
    let allowed: Vec<reading_allow::Entry> =
        at(values, &format!("{app_config}/backend/reading/allow"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.get("host").and_then(Value::as_str))
            .filter_map(|host| reading_allow::Entry::parse(host).ok())
            .collect();
    for text in &spec.catalog.locations {
        let Ok(location) = reading_allow::location(text) else {
            continue;
        };
        if !allowed.iter().any(|entry| entry.allows(&location)) {
            check.fail(format!(
                "no backend.reading.allow entry lets Backstage read the catalog location `{}` (it needs `{}`), so the catalog cannot read it",
                crate::quote::shorten(text),
                reading_allow::entry_for(&location)
            ));
        }
    }
    let pod_annotations = at(values, "/backstage/podAnnotations").and_then(Value::as_object);
    if pod_annotations.is_some_and(|map| map.keys().any(|key| key.starts_with("checksum/"))) {
        check.fail("backstage.podAnnotations holds a checksum: the chart already rolls the pod on app-config changes".to_string());
    }
    check.0
}

/// The value at a JSON pointer. The pointers here have no `~` escapes, so the steps are
/// looked up as they are: serde_json's `pointer` makes two strings per step, and the check
/// stage follows about thirty pointers per render.
fn at<'a>(document: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() || pointer.contains('~') {
        return document.pointer(pointer);
    }
    let mut steps = pointer.strip_prefix('/')?.split('/');
    steps.try_fold(document, |node, step| match node {
        Value::Object(map) => map.get(step),
        // As JSON pointers read an index: digits only, no leading zero.
        Value::Array(items) if step == "0" || !step.starts_with(['0', '+']) => {
            items.get(step.parse::<usize>().ok()?)
        }
        _ => None,
    })
}

/// Values at `item_pointer` inside each element of the array at `array_pointer`.
fn pointers<'a>(
    document: &'a Value,
    array_pointer: &str,
    item_pointer: &str,
) -> Vec<Option<&'a Value>> {
    match at(document, array_pointer).and_then(Value::as_array) {
        Some(items) if !items.is_empty() => {
            items.iter().map(|item| at(item, item_pointer)).collect()
        }
        _ => vec![None],
    }
}

#[derive(Default)]
struct Checker(Vec<Finding>);

impl Checker {
    fn fail(&mut self, message: String) {
        self.0.push(
            Finding::error(FieldPath::root().key("patches"), message)
                .with_hint("a patch or a custom base template broke a rule stagehand enforces: change the spec field instead"),
        );
    }

    fn equal(&mut self, what: &str, found: Option<&Value>, expected: &Value, source: &str) {
        if found != Some(expected) {
            let shown = found.map_or_else(|| "missing".to_string(), ToString::to_string);
            self.fail(format!(
                "{what} is {shown}, but {source} requires {expected}"
            ));
        }
    }

    fn all_equal(&mut self, what: &str, found: &[Option<&Value>], expected: &Value, source: &str) {
        if found.is_empty() {
            self.equal(what, None, expected, source);
        }
        for item in found {
            self.equal(what, *item, expected, source);
        }
    }

    fn identity(&mut self, object: &Value) {
        if crate::artifacts::ObjectId::of(object).is_none() {
            self.fail("a rendered object lacks apiVersion, kind or metadata.name".to_string());
        }
    }

    fn typed_ingress(&mut self, ingress: &Value) {
        if let Err(error) =
            <k8s_openapi::api::networking::v1::Ingress as serde::Deserialize>::deserialize(ingress)
        {
            self.fail(format!(
                "the Ingress is not a valid networking.k8s.io/v1 Ingress: {error}"
            ));
        }
    }

    /// Env values must be strings: Kubernetes rejects `value: 5432`.
    fn env_values(&mut self, values: &Value) {
        let lists = [
            at(values, "/backstage/extraEnvVars"),
            at(values, "/backstage/initContainers/0/env"),
        ];
        for item in lists
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
        {
            if let Some(value) = item.get("value")
                && !value.is_string()
            {
                let name = item.get("name").and_then(Value::as_str).unwrap_or("?");
                self.fail(format!(
                    "env var {name} has the value `{value}`, which is not a string"
                ));
            }
        }
        // Every env name once: the chart sets these itself when its Postgres is enabled.
        let chart_sets: &[&str] = if at(values, "/postgresql/enabled") == Some(&json!(true)) {
            &CHART_ENV_WITH_POSTGRES
        } else {
            &CHART_ENV
        };
        let mut seen = Vec::new();
        for item in at(values, "/backstage/extraEnvVars")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = item.get("name").and_then(Value::as_str).unwrap_or("?");
            if chart_sets.contains(&name) {
                self.fail(format!(
                    "backstage.extraEnvVars sets {name}, which the chart 2.7.0 sets itself: the container would get it twice"
                ));
            } else if seen.contains(&name) {
                self.fail(format!("backstage.extraEnvVars sets {name} twice"));
            }
            seen.push(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn at_finds_what_serde_json_pointer_finds() {
        let document = json!({"a": [10, {"b": true}], "c/d": 1, "e": {"": 2}, "0": 3});
        for pointer in [
            "",
            "/",
            "/a",
            "/a/0",
            "/a/1/b",
            "/a/01",
            "/a/+1",
            "/a/-",
            "/a/2",
            "/a/x",
            "/c~1d",
            "/e/",
            "/0",
            "/a/0/b",
            "a",
            "/missing/deeper",
        ] {
            assert_eq!(
                at(&document, pointer),
                document.pointer(pointer),
                "{pointer:?}"
            );
        }
    }
}

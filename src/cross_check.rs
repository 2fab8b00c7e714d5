//! Rules across objects, checked on the whole deployment (`--expand-chart`), where the
//! chart's objects are known: every Ingress backend is a Service port that exists; every
//! key read from the database Secret is one the SealedSecret provides; no container has
//! an env name twice; every object of a kind `k8s-openapi` knows reads as that type with
//! no unknown field. Each problem is located by object (`Deployment/backstage`) and field.

use std::collections::BTreeSet;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::artifacts::RenderedEnvironment;
use crate::environment::{SecretSource, TargetKind};
use crate::error::{Origin, Problem};
use crate::field_path::FieldPath;

/// Every problem of the expanded objects of `rendered` (errors, and a warning where the
/// database Secret is external and its keys cannot be seen).
pub fn check_expanded(rendered: &RenderedEnvironment) -> Vec<Problem> {
    let objects: Vec<&Value> = rendered.kubernetes_objects().collect();
    let mut problems = Vec::new();
    for object in &objects {
        ingress_backends(object, &objects, &mut problems);
        duplicate_env(object, &mut problems);
        typed(object, &mut problems);
    }
    database_secret_keys(rendered, &objects, &mut problems);
    problems
}

/// `Kind/name`, as problems name an object.
fn label(object: &Value) -> String {
    format!(
        "{}/{}",
        object["kind"].as_str().unwrap_or("?"),
        object["metadata"]["name"].as_str().unwrap_or("?")
    )
}

fn error(object: &Value, field: FieldPath, message: String) -> Problem {
    Problem::error(Origin::new(label(object), None), Some(field), message)
}

/// The path of a JSON pointer (`/spec/rules/0`) as a field path.
fn field_of(pointer: &str) -> FieldPath {
    let mut path = FieldPath::root();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        path = match part.parse::<usize>() {
            Ok(index) => path.index(index),
            Err(_) => path.key(&part),
        };
    }
    path
}

fn ingress_backends(object: &Value, objects: &[&Value], problems: &mut Vec<Problem>) {
    if object["kind"] != "Ingress" {
        return;
    }
    let namespace = &object["metadata"]["namespace"];
    let mut backends = Vec::new();
    if object.pointer("/spec/defaultBackend/service").is_some() {
        backends.push("/spec/defaultBackend/service".to_string());
    }
    for (rule, value) in object["spec"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (path, _) in value["http"]["paths"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            backends.push(format!(
                "/spec/rules/{rule}/http/paths/{path}/backend/service"
            ));
        }
    }
    for pointer in backends {
        let backend = object.pointer(&pointer).unwrap_or(&Value::Null);
        let name = backend["name"].as_str().unwrap_or_default();
        let service = objects.iter().find(|candidate| {
            candidate["kind"] == "Service"
                && candidate["metadata"]["name"] == name
                && &candidate["metadata"]["namespace"] == namespace
        });
        let Some(service) = service else {
            problems.push(error(
                object,
                field_of(&pointer).key("name"),
                format!("names the Service `{name}`, which no rendered object is"),
            ));
            continue;
        };
        let wanted = &backend["port"];
        let ports: Vec<&Value> = service["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let found = ports
            .iter()
            .any(|port| match (&wanted["number"], &wanted["name"]) {
                (number @ Value::Number(_), _) => &port["port"] == number,
                (_, name @ Value::String(_)) => &port["name"] == name,
                _ => false,
            });
        if !found {
            let offered: Vec<String> = ports.iter().map(|port| port["port"].to_string()).collect();
            problems.push(error(
                object,
                field_of(&pointer).key("port"),
                format!(
                    "the Service `{name}` has no port {}; it offers {}",
                    if wanted["number"].is_null() {
                        &wanted["name"]
                    } else {
                        &wanted["number"]
                    },
                    offered.join(", ")
                ),
            ));
        }
    }
}

/// The pod template of a workload (or the pod itself), with its JSON pointer.
fn pod_spec(object: &Value) -> Option<(&Value, &'static str)> {
    let pointer = match object["kind"].as_str()? {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => "/spec/template/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        "Pod" => "/spec",
        _ => return None,
    };
    Some((object.pointer(pointer)?, pointer))
}

/// Every container and init container of a pod spec, with its JSON pointer.
fn containers<'a>(pod: &'a Value, at: &str) -> Vec<(&'a Value, String)> {
    ["initContainers", "containers"]
        .iter()
        .flat_map(|list| {
            pod[*list]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(move |(index, container)| (container, format!("{at}/{list}/{index}")))
        })
        .collect()
}

fn duplicate_env(object: &Value, problems: &mut Vec<Problem>) {
    let Some((pod, at)) = pod_spec(object) else {
        return;
    };
    for (container, pointer) in containers(pod, at) {
        let mut seen = BTreeSet::new();
        for (index, entry) in container["env"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let name = entry["name"].as_str().unwrap_or_default();
            if !seen.insert(name) {
                problems.push(error(
                    object,
                    field_of(&format!("{pointer}/env/{index}/name")),
                    format!(
                        "container `{}` sets the env var {name} a second time (the API server \
                         keeps the last; ArgoCD's diff and server-side apply fail on it)",
                        container["name"].as_str().unwrap_or("?")
                    ),
                ));
            }
        }
    }
}

fn database_secret_keys(
    rendered: &RenderedEnvironment,
    objects: &[&Value],
    problems: &mut Vec<Problem>,
) {
    let database = &rendered.environment.spec.database;
    let secret = database.secret_name.as_str();
    let namespace = rendered.environment.spec.namespace.as_str();
    let provided: BTreeSet<String> = rendered
        .document(TargetKind::SealedSecret)
        .pointer("/spec/encryptedData")
        .and_then(Value::as_object)
        .map(|data| data.keys().cloned().collect())
        .unwrap_or_default();
    let mut read = BTreeSet::new();
    for object in objects {
        if object["metadata"]["namespace"] != namespace {
            continue;
        }
        let Some((pod, at)) = pod_spec(object) else {
            continue;
        };
        for (container, pointer) in containers(pod, at) {
            for (index, entry) in container["env"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let reference = &entry["valueFrom"]["secretKeyRef"];
                if reference["name"] != secret {
                    continue;
                }
                let key = reference["key"].as_str().unwrap_or_default();
                read.insert(format!("{key} (read by {})", label(object)));
                if database.secret == SecretSource::Sealed && !provided.contains(key) {
                    problems.push(error(
                        object,
                        field_of(&format!("{pointer}/env/{index}/valueFrom/secretKeyRef/key")),
                        format!(
                            "reads the key `{key}` of the Secret `{secret}`, which the SealedSecret \
                             does not provide (it has: {})",
                            provided.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
        }
    }
    if database.secret == SecretSource::External && !read.is_empty() {
        problems.push(Problem::warning(
            Origin::new(rendered.file.clone(), None),
            Some(FieldPath::root().key("spec").key("database").key("secret")),
            format!(
                "the Secret `{secret}` is external, so its keys cannot be checked: it must hold {}",
                read.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
}

/// Objects of kinds `k8s-openapi` knows must read as their type, with no unknown field.
fn typed(object: &Value, problems: &mut Vec<Problem>) {
    use k8s_openapi::api::{apps, autoscaling, batch, core, networking, policy, rbac};
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    let outcome = match (api_version, kind) {
        ("v1", "ConfigMap") => round_trip::<core::v1::ConfigMap>(object),
        ("v1", "Secret") => round_trip::<core::v1::Secret>(object),
        ("v1", "Service") => round_trip::<core::v1::Service>(object),
        ("v1", "ServiceAccount") => round_trip::<core::v1::ServiceAccount>(object),
        ("v1", "PersistentVolumeClaim") => round_trip::<core::v1::PersistentVolumeClaim>(object),
        ("v1", "Pod") => round_trip::<core::v1::Pod>(object),
        ("apps/v1", "Deployment") => round_trip::<apps::v1::Deployment>(object),
        ("apps/v1", "StatefulSet") => round_trip::<apps::v1::StatefulSet>(object),
        ("apps/v1", "DaemonSet") => round_trip::<apps::v1::DaemonSet>(object),
        ("batch/v1", "Job") => round_trip::<batch::v1::Job>(object),
        ("batch/v1", "CronJob") => round_trip::<batch::v1::CronJob>(object),
        ("networking.k8s.io/v1", "Ingress") => round_trip::<networking::v1::Ingress>(object),
        ("networking.k8s.io/v1", "NetworkPolicy") => {
            round_trip::<networking::v1::NetworkPolicy>(object)
        }
        ("policy/v1", "PodDisruptionBudget") => {
            round_trip::<policy::v1::PodDisruptionBudget>(object)
        }
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            round_trip::<autoscaling::v2::HorizontalPodAutoscaler>(object)
        }
        ("rbac.authorization.k8s.io/v1", "Role") => round_trip::<rbac::v1::Role>(object),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
            round_trip::<rbac::v1::RoleBinding>(object)
        }
        _ => return,
    };
    match outcome {
        Ok(unknown) => {
            for path in unknown {
                let key = path.last_key().unwrap_or_default().to_string();
                problems.push(error(
                    object,
                    path,
                    format!(
                        "unknown field `{}` for {api_version} {kind}",
                        crate::quote::shorten(&key)
                    ),
                ));
            }
        }
        Err(why) => problems.push(error(
            object,
            FieldPath::root(),
            format!("is not a valid {api_version} {kind}: {why}"),
        )),
    }
}

/// The fields of `object` that do not survive reading it as `T` and writing it back.
fn round_trip<T: DeserializeOwned + Serialize>(object: &Value) -> Result<Vec<FieldPath>, String> {
    let typed: T = serde_json::from_value(object.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    let mut unknown = Vec::new();
    lost_fields(object, &back, &mut FieldPath::root(), &mut unknown);
    Ok(unknown)
}

fn lost_fields(original: &Value, back: &Value, path: &mut FieldPath, lost: &mut Vec<FieldPath>) {
    match (original, back) {
        (Value::Object(map), Value::Object(kept)) => {
            for (key, value) in map {
                if value.is_null() {
                    continue;
                }
                path.push(crate::field_path::Segment::Key(key.clone()));
                match kept.get(key) {
                    Some(inner) => lost_fields(value, inner, path, lost),
                    None => lost.push(path.clone()),
                }
                path.pop();
            }
        }
        (Value::Array(items), Value::Array(kept)) => {
            for (index, (item, inner)) in items.iter().zip(kept).enumerate() {
                path.push(crate::field_path::Segment::Index(index));
                lost_fields(item, inner, path, lost);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_found_by_a_typed_round_trip() {
        let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "labelz": {}},
                             "spec": {"ports": [{"port": 80, "nodePort": null, "protocl": "TCP"}]}});
        let mut problems = Vec::new();
        typed(&service, &mut problems);
        let fields: Vec<String> = problems
            .iter()
            .map(|p| p.field.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["metadata.labelz", "spec.ports[0].protocl"]);
        assert_eq!(problems[0].origin.file, "Service/s");
    }
}

//! The minicloud render against the seed's reference YAML, object by object: every value
//! of the seed is present at the same place, and every addition is listed with its reason.

use std::collections::BTreeMap;
use std::ffi::OsStr;

use serde_json::Value;

use crate::support::{Stagehand, read_yaml, shared};

/// Leaf values by JSON pointer (`/backstage/image/tag`).
fn leaves(value: &Value) -> BTreeMap<String, Value> {
    fn walk(value: &Value, pointer: String, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, item) in map {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    walk(item, format!("{pointer}/{escaped}"), out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, format!("{pointer}/{index}"), out);
                }
            }
            leaf => {
                out.insert(pointer, leaf.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(value, String::new(), &mut out);
    out
}

/// Asserts every seed leaf is in `rendered` with the same value, except under the
/// `dropped` prefixes (each with its reason, and each really gone), and that the leaves
/// `rendered` adds all start with one of the `justified` prefixes.
fn assert_matches_seed(
    name: &str,
    seed: &Value,
    rendered: &Value,
    justified: &[(&str, &str)],
    dropped: &[(&str, &str)],
) {
    let seed_leaves = leaves(seed);
    let rendered_leaves = leaves(rendered);
    for (prefix, _reason) in dropped {
        assert!(
            seed_leaves
                .keys()
                .any(|pointer| pointer.starts_with(prefix)),
            "{name}: the seed has nothing at {prefix}: drop it from the list"
        );
        assert!(
            !rendered_leaves
                .keys()
                .any(|pointer| pointer.starts_with(prefix)),
            "{name}: {prefix} is rendered again"
        );
    }
    for (pointer, expected) in seed_leaves.iter().filter(|(pointer, _)| {
        !dropped
            .iter()
            .any(|(prefix, _)| pointer.starts_with(prefix))
    }) {
        assert_eq!(
            rendered_leaves.get(pointer),
            Some(expected),
            "{name}: the seed's value at {pointer} is missing or different"
        );
    }
    let unexplained: Vec<&String> = rendered_leaves
        .keys()
        .filter(|pointer| !seed_leaves.contains_key(*pointer))
        .filter(|pointer| {
            !justified
                .iter()
                .any(|(prefix, _)| pointer.starts_with(prefix))
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "{name}: additions without a justification: {unexplained:?}"
    );
    for (prefix, _reason) in justified {
        assert!(
            rendered_leaves
                .keys()
                .any(|pointer| pointer.starts_with(prefix)),
            "{name}: the justified addition {prefix} is no longer rendered: drop it from the list"
        );
    }
}

/// Additions every Kubernetes object gets.
const OBJECT_ADDITIONS: [(&str, &str); 2] = [
    (
        "/metadata/labels/app.kubernetes.io~1managed-by",
        "marks objects stagehand owns, so `kubectl get -l app.kubernetes.io/managed-by=stagehand` finds them",
    ),
    (
        "/metadata/annotations/argocd.argoproj.io~1sync-wave",
        "orders the ArgoCD sync: the SealedSecret (-1) before the Certificate, Ingress and Application (0)",
    ),
];

fn rendered_minicloud() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("minicloud");
    Stagehand::new([
        OsStr::new("render"),
        OsStr::new("overlays/minicloud"),
        OsStr::new("--out-dir"),
        out.as_os_str(),
    ])
    .succeeds();
    (dir, out)
}

#[test]
fn values_hold_every_seed_value_plus_the_wait_for_postgres_init_container() {
    if !crate::support::available(&[crate::support::Need::Shared("seed/reference")]) {
        return;
    }
    let (_dir, out) = rendered_minicloud();
    let seed = read_yaml(&shared().join("seed/reference/backstage-values.yaml"));
    let rendered = read_yaml(&out.join("values.yaml"));
    assert_matches_seed(
        "values.yaml",
        &seed,
        &rendered,
        &[
            (
                "/backstage/initContainers",
                "seed gotcha 1: Backstage never retries its first database connection, so the pod waits for PostgreSQL",
            ),
            (
                "/backstage/readinessProbe/httpGet/port",
                "the chart's probes name port 7007 by number: they follow spec.backendPort",
            ),
            (
                "/backstage/livenessProbe/httpGet/port",
                "the chart's probes name port 7007 by number: they follow spec.backendPort",
            ),
            (
                "/backstage/startupProbe/httpGet/port",
                "the chart's probes name port 7007 by number: they follow spec.backendPort",
            ),
            (
                "/service/ports/backend",
                "the chart's Service port follows spec.backendPort, so the Ingress backend port exists",
            ),
            (
                "/backstage/podAnnotations/stagehand~1database-credentials",
                "a digest of the sealed values: a rotation changes the pod template, so Backstage restarts with the new password",
            ),
            (
                "/backstage/podSecurityContext/",
                "Pod Security restricted for the Backstage pod (spec.security): non-root as the image's node user, RuntimeDefault seccomp",
            ),
            (
                "/backstage/containerSecurityContext/",
                "Pod Security restricted for the Backstage container: no privilege escalation, every capability dropped, read-only root",
            ),
            (
                "/backstage/extraVolumes/0/",
                "an emptyDir for /tmp, since the root filesystem is read-only",
            ),
            (
                "/backstage/extraVolumeMounts/0/",
                "mounts that emptyDir at /tmp",
            ),
            (
                "/extraDeploy/0/",
                "the database password Job (an ArgoCD Sync hook): PostgreSQL applies the Secret only at its first boot, so a rotated password must be set in the running database",
            ),
        ],
        &[(
            "/backstage/extraEnvVars",
            "every env name once: chart 2.7.0 sets POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER and \
             POSTGRES_PASSWORD itself from postgresql.* (chart.rs checks the values it gives them)",
        )],
    );
}

#[test]
fn certificate_and_ingress_equal_the_seed_plus_label_and_sync_wave() {
    if !crate::support::available(&[crate::support::Need::Shared("seed/reference")]) {
        return;
    }
    let (_dir, out) = rendered_minicloud();
    for file in ["certificate.yaml", "ingress.yaml"] {
        let seed = read_yaml(&shared().join("seed/reference").join(file));
        let rendered = read_yaml(&out.join(file));
        assert_matches_seed(file, &seed, &rendered, &OBJECT_ADDITIONS, &[]);
    }
}

#[test]
fn sealed_secret_replaces_the_out_of_band_secret_without_any_value() {
    if !crate::support::available(&[crate::support::Need::Shared("seed/reference")]) {
        return;
    }
    let (_dir, out) = rendered_minicloud();
    let seed = read_yaml(&shared().join("seed/reference/postgres-secret.yaml"));
    let sealed = read_yaml(&out.join("sealed-secret.yaml"));
    assert_eq!(sealed["kind"], "SealedSecret");
    assert_eq!(sealed["metadata"]["name"], seed["metadata"]["name"]);
    assert_eq!(
        sealed["metadata"]["namespace"],
        seed["metadata"]["namespace"]
    );
    assert_eq!(sealed["spec"]["template"]["type"], seed["type"]);
    let seed_keys: Vec<&String> = seed["stringData"].as_object().unwrap().keys().collect();
    let mut sealed_keys: Vec<&String> = sealed["spec"]["encryptedData"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    sealed_keys.sort();
    let mut expected = seed_keys.clone();
    expected.sort();
    assert_eq!(sealed_keys, expected);
    // Sealed for the test certificate, whose key nobody has: ciphertexts, no plaintext.
    for (key, value) in sealed["spec"]["encryptedData"].as_object().unwrap() {
        use base64::Engine;
        let value = value.as_str().unwrap();
        assert_ne!(Some(value), seed["stringData"][key].as_str(), "{key}");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value)
            .unwrap();
        // sealed-secrets' layout: the RSA block's length (2048 bits), the block, AES-GCM.
        assert_eq!(u16::from_be_bytes([bytes[0], bytes[1]]), 256, "{key}");
        assert!(bytes.len() > 2 + 256 + 16, "{key}");
    }
}

#[test]
fn location_entity_lists_the_seed_catalog_targets() {
    if !crate::support::available(&[crate::support::Need::Shared("seed/reference")]) {
        return;
    }
    let (_dir, out) = rendered_minicloud();
    let seed = read_yaml(&shared().join("seed/reference/backstage-values.yaml"));
    let location = read_yaml(&out.join("catalog-locations.yaml"));
    let seed_targets: Vec<&Value> = seed["backstage"]["appConfig"]["catalog"]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["target"])
        .collect();
    let targets: Vec<&Value> = location["spec"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(location["kind"], "Location");
    assert_eq!(location["apiVersion"], "backstage.io/v1alpha1");
    assert_eq!(targets, seed_targets);
}

#[test]
fn application_installs_chart_2_7_0_with_the_same_values() {
    let (_dir, out) = rendered_minicloud();
    let application = read_yaml(&out.join("application.yaml"));
    let values = read_yaml(&out.join("values.yaml"));
    let source = &application["spec"]["source"];
    assert_eq!(source["repoURL"], "https://backstage.github.io/charts");
    assert_eq!(source["chart"], "backstage");
    assert_eq!(source["targetRevision"], "2.7.0");
    assert_eq!(source["helm"]["valuesObject"], values);
    assert_eq!(application["spec"]["destination"]["namespace"], "backstage");
}

#[test]
fn golden_out_dir_matches_byte_for_byte() {
    // The golden files were reviewed against ../shared/seed/reference (see the tests above
    // for the object-by-object comparison); this pins the exact bytes.
    let (_dir, out) = rendered_minicloud();
    let golden = crate::support::repo().join("tests/golden/minicloud");
    let mut names: Vec<String> = std::fs::read_dir(&golden)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut rendered_names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    rendered_names.sort();
    assert_eq!(rendered_names, names);
    for name in names {
        let expected = std::fs::read_to_string(golden.join(&name)).unwrap();
        let actual = std::fs::read_to_string(out.join(&name)).unwrap();
        assert_eq!(
            actual, expected,
            "{name} differs from tests/golden/minicloud/{name}"
        );
    }
}

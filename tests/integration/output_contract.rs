//! The output contract: YAML 1.1 readers read the output back unchanged, no value from the
//! environment file changes the structure, and the bytes do not depend on locale, time
//! zone or key order.

use serde_json::Value;

use crate::support::{Stagehand, environment_with, parse_stream, temp_environment};

/// Strings a YAML 1.1 reader (PyYAML, Go's yaml.v2) would take for something else.
const AMBIGUOUS: [&str; 14] = [
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "~",
    "null",
    "5432",
    "0777",
    "1e3",
    "2001-12-14",
    "12:30",
    "1:20:30",
];

/// One stream through PyYAML, as a JSON list of its documents.
fn load_with_pyyaml(stream: &str) -> Value {
    Value::from(crate::support::load_with_pyyaml(&[stream.to_string()]).remove(0))
}

fn ambiguous_environment() -> String {
    let annotations: Vec<String> = AMBIGUOUS
        .iter()
        .enumerate()
        .map(|(index, value)| format!("      example.org/k{index}: {value:?}"))
        .collect();
    environment_with(&format!(
        "  app: {{ title: \"yes\", organization: \"2001-12-14\" }}\n  image: {{ tag: \"1.30\" }}\n  \
         ingress:\n    annotations:\n{}\n",
        annotations.join("\n")
    ))
}

#[test]
fn a_yaml_1_1_reader_reads_every_value_back_as_the_same_string() {
    if !crate::support::available(&[crate::support::Need::PyYaml]) {
        return;
    }
    let dir = temp_environment(&ambiguous_environment());
    let yaml = Stagehand::new(["render", "."])
        .current_dir(dir.path())
        .succeeds();
    let json = Stagehand::new(["render", ".", "-o", "json"])
        .current_dir(dir.path())
        .succeeds();
    let from_pyyaml = load_with_pyyaml(&yaml);
    let list: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        from_pyyaml, list["items"],
        "PyYAML reads the YAML differently from the JSON"
    );
    let ingress = &list["items"][2];
    for (index, value) in AMBIGUOUS.iter().enumerate() {
        assert_eq!(
            ingress["metadata"]["annotations"][format!("example.org/k{index}")],
            *value
        );
    }
    let values = &list["items"][3]["spec"]["source"]["helm"]["valuesObject"];
    assert_eq!(values["backstage"]["appConfig"]["app"]["title"], "yes");
    assert_eq!(values["backstage"]["image"]["tag"], "1.30");
    assert_eq!(
        values["backstage"]["initContainers"][0]["env"][1]["value"],
        "5432"
    );
}

#[test]
fn a_hostile_title_stays_one_string_and_adds_nothing() {
    if !crate::support::available(&[crate::support::Need::PyYaml]) {
        return;
    }
    let hostile = "evil\n---\nkind: Secret\nmetadata: {name: x}\n# comment: \"quoted\" 'single' {{ .Values.x }}";
    let plain_dir = temp_environment(&environment_with(
        "  app: { title: plain, organization: o }\n",
    ));
    let hostile_dir = temp_environment(&environment_with(&format!(
        "  app: {{ title: {}, organization: o }}\n",
        serde_json::to_string(hostile).unwrap()
    )));
    let plain = parse_stream(
        &Stagehand::new(["render", "."])
            .current_dir(plain_dir.path())
            .succeeds(),
    );
    let stream = Stagehand::new(["render", "."])
        .current_dir(hostile_dir.path())
        .succeeds();
    let objects = parse_stream(&stream);
    assert_eq!(objects.len(), 4, "the title added a document");
    assert_eq!(load_with_pyyaml(&stream).as_array().unwrap().len(), 4);
    let kinds: Vec<&Value> = objects.iter().map(|o| &o["kind"]).collect();
    let plain_kinds: Vec<&Value> = plain.iter().map(|o| &o["kind"]).collect();
    assert_eq!(kinds, plain_kinds);
    let title = objects[3]["spec"]["source"]["helm"]["valuesObject"]["backstage"]["appConfig"]["app"]["title"]
        .as_str()
        .unwrap();
    // Helm's tpl would evaluate `{{`; it is escaped so tpl prints it literally.
    assert_eq!(title, hostile.replace("{{", "{{ \"{{\" }}"));
    let keys = |object: &Value| -> Vec<String> {
        let values = &object["spec"]["source"]["helm"]["valuesObject"]["backstage"]["appConfig"];
        values.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(
        keys(&objects[3]),
        keys(&plain[3]),
        "the title added keys to appConfig"
    );
}

#[test]
fn output_is_byte_identical_across_locale_time_zone_and_key_order() {
    let reference = Stagehand::new(["render", "overlays/minicloud"]).succeeds();
    let localized = Stagehand::new(["render", "overlays/minicloud"])
        .env("LC_ALL", "de_DE.UTF-8")
        .env("LANG", "tr_TR.UTF-8")
        .env("TZ", "Pacific/Chatham")
        .succeeds();
    assert_eq!(localized, reference);

    // The same environment with every mapping's keys in reverse order.
    let original = crate::support::read_yaml(
        &crate::support::repo().join("overlays/minicloud/environment.yaml"),
    );
    fn reversed(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), reversed(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
            other => other.clone(),
        }
    }
    let shuffled = reversed(&original);
    assert_ne!(
        serde_json::to_string(&shuffled).unwrap(),
        serde_json::to_string(&original).unwrap()
    );
    let dir = temp_environment(&serde_json::to_string_pretty(&shuffled).unwrap());
    let from_shuffled = Stagehand::new(["render", "."])
        .current_dir(dir.path())
        .succeeds();
    assert_eq!(from_shuffled, reference);
}

#[test]
fn user_annotations_are_sorted_by_key() {
    let dir = temp_environment(&environment_with(
        "  ingress:\n    annotations: { z.example/b: \"1\", a.example/c: \"2\", m.example/a: \"3\" }\n",
    ));
    let objects = parse_stream(
        &Stagehand::new(["render", "."])
            .current_dir(dir.path())
            .succeeds(),
    );
    let keys: Vec<&String> = objects[2]["metadata"]["annotations"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        keys,
        [
            "a.example/c",
            "argocd.argoproj.io/sync-wave",
            "m.example/a",
            "z.example/b"
        ]
    );
}

#[test]
fn a_lone_environment_file_renders_exactly_as_in_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::support::repo().join("overlays/minicloud/environment.yaml"),
        dir.path().join("environment.yaml"),
    )
    .unwrap();
    let lone = Stagehand::new(["render", "environment.yaml"])
        .current_dir(dir.path())
        .succeeds();
    assert_eq!(
        lone,
        Stagehand::new(["render", "overlays/minicloud"]).succeeds()
    );
}

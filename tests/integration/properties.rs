//! Property tests over arbitrary strings: the YAML writer never leaves a string that a
//! YAML 1.1 reader would take for something else, and no string in the environment can
//! change which objects or keys are rendered.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use regex::Regex;
use serde_json::Value;
use stagehand::load::SourceFile;
use stagehand::pipeline::render_source;
use stagehand::yaml::write::string_text;

use crate::support::environment_with;

/// PyYAML's implicit resolvers (resolver.py), which define how YAML 1.1 types plain scalars;
/// plus `y`/`n`, which Go's yaml.v2 also reads as booleans.
fn yaml_1_1_resolvers() -> Vec<Regex> {
    [
        r"^(?:y|Y|n|N|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
        r"^(?:<<)$",
        r"^(?:~|null|Null|NULL|)$",
        r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
        r"^(?:=)$",
    ]
    .iter()
    .map(|pattern| Regex::new(pattern).unwrap())
    .collect()
}

/// Strings biased toward YAML's troublemakers, plus anything at all.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-+.:0-9eExXoObB_ tTzZ~]{0,12}",
        "(y|n|yes|no|on|off|true|false|null|Yes|NO|On|OFF|~|=|<<)",
        "[a-z{}\\[\\]#&*!|>'\"%@`,?:\\- \n\t]{0,16}",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2})?",
    ]
}

#[test]
fn the_writer_never_leaves_a_string_a_yaml_1_1_reader_would_retype() {
    let resolvers = yaml_1_1_resolvers();
    let mut runner = TestRunner::new(Config {
        cases: 4096,
        ..Config::default()
    });
    runner
        .run(&tricky_string(), |text| {
            let written = string_text(&text);
            if !written.starts_with('"') {
                for resolver in &resolvers {
                    prop_assert!(
                        !resolver.is_match(&written),
                        "{text:?} left plain matches {resolver}"
                    );
                }
            }
            let read: Value = serde_yaml::from_str(&format!("k: {written}\n")).unwrap();
            prop_assert_eq!(
                &read["k"],
                &Value::from(text.clone()),
                "written as {}",
                written
            );
            Ok(())
        })
        .unwrap();
}

/// Every key path of the rendered documents, with array positions and values left out.
fn structure(rendered: &stagehand::artifacts::RenderedEnvironment) -> BTreeSet<String> {
    fn walk(value: &Value, path: String, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    walk(item, format!("{path}/{key}"), out);
                }
            }
            Value::Array(items) => items
                .iter()
                .for_each(|item| walk(item, format!("{path}[]"), out)),
            _ => {
                out.insert(path);
            }
        }
    }
    let mut out = BTreeSet::new();
    for (index, document) in rendered.documents.iter().enumerate() {
        walk(document, format!("{index}"), &mut out);
    }
    out
}

fn render_with(
    title: &str,
    organization: &str,
    annotation: &str,
) -> Option<stagehand::artifacts::RenderedEnvironment> {
    let spec = format!(
        "  app: {{ title: {}, organization: {} }}\n  ingress:\n    annotations: {{ example.org/note: {} }}\n",
        serde_json::to_string(title).unwrap(),
        serde_json::to_string(organization).unwrap(),
        serde_json::to_string(annotation).unwrap()
    );
    render_source(
        &SourceFile::new("p.yaml".into(), environment_with(&spec)),
        None,
        &[],
    )
    .ok()
}

#[test]
fn no_string_in_the_environment_changes_which_objects_or_keys_are_rendered() {
    let baseline = structure(&render_with("t", "o", "a").unwrap());
    let mut runner = TestRunner::new(Config {
        cases: 512,
        ..Config::default()
    });
    runner
        .run(
            &(tricky_string(), tricky_string(), tricky_string()),
            |(title, organization, annotation)| {
                // Blank titles are refused by validation; every other string must render.
                let rendered = render_with(&title, &organization, &annotation);
                let blank = title.trim().is_empty() || organization.trim().is_empty();
                prop_assert_eq!(rendered.is_none(), blank);
                if let Some(rendered) = rendered {
                    prop_assert_eq!(structure(&rendered), baseline.clone());
                    prop_assert_eq!(rendered.kubernetes_objects().count(), 4);
                }
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn rendered_streams_read_back_unchanged_by_pyyaml() {
    if !crate::support::available(&[crate::support::Need::PyYaml]) {
        return;
    }
    // One PyYAML process for all renders.
    let mut runner = TestRunner::deterministic();
    let strategy = (tricky_string(), tricky_string());
    let mut streams = Vec::new();
    let mut expected = Vec::new();
    for _ in 0..300 {
        let (title, annotation) = strategy.new_tree(&mut runner).unwrap().current();
        let Some(rendered) = render_with(&format!("x{title}"), "o", &annotation) else {
            continue;
        };
        streams.push(stagehand::emit::yaml_stream(&rendered));
        expected.push(
            rendered
                .kubernetes_objects()
                .cloned()
                .collect::<Vec<Value>>(),
        );
    }
    let read = crate::support::load_with_pyyaml(&streams);
    assert!(
        expected.len() > 250,
        "too few inputs rendered: {}",
        expected.len()
    );
    assert_eq!(read.len(), expected.len());
    for (index, (from_pyyaml, objects)) in read.iter().zip(&expected).enumerate() {
        assert_eq!(from_pyyaml, objects, "stream {index}: {}", streams[index]);
    }
}

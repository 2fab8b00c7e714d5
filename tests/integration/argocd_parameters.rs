//! ArgoCD parameters exactly as argo-cd's Go code sends them: `ARGOCD_APP_PARAMETERS` is
//! `json.Marshal` of the Application's parameter slice (`null` when the plugin block has
//! none; each entry a Go map, so its keys come out sorted, with `<`, `>` and `&` escaped),
//! and `PARAM_*` are derived from it. The literal strings below are what that code prints.

use serde_json::Value;

use crate::argocd::{SOURCE_PATH, generate, repository_copy};
use crate::support::{Stagehand, assert_contains, parse_stream, repo};

/// The values of the rendered Application (the chart's values).
fn values(stream: &str) -> Value {
    parse_stream(stream)[3]["spec"]["source"]["helm"]["valuesObject"].clone()
}

/// `stagehand parameters` run as the cmp-server runs it, with `extra` variables.
fn announce(root: &std::path::Path, extra: &[(&str, &str)]) -> crate::support::Run {
    let mut variables = vec![
        ("ARGOCD_APP_NAME", "backstage-minicloud-stagehand"),
        ("ARGOCD_APP_SOURCE_PATH", SOURCE_PATH),
    ];
    variables.extend_from_slice(extra);
    Stagehand::new(["parameters"])
        .current_dir(&root.join(SOURCE_PATH))
        .only_env(&variables)
        .run()
}

#[test]
fn an_application_without_parameters_syncs_with_null_empty_or_unset() {
    let (_dir, root) = repository_copy();
    let file = root.join(SOURCE_PATH).join("environment.yaml");
    let expected = Stagehand::new(["render".as_ref(), file.as_os_str()]).succeeds();
    let announced = announce(&root, &[]).stdout;
    for extra in [
        vec![("ARGOCD_APP_PARAMETERS", "null")],
        vec![("ARGOCD_APP_PARAMETERS", "[]")],
        vec![],
        // A name alone, and an empty map: nothing set.
        vec![("ARGOCD_APP_PARAMETERS", r#"[{"name":"replicas"}]"#)],
        vec![(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"map":{},"name":"resources.backstage"}]"#,
        )],
    ] {
        let run = generate(&root, &extra);
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{extra:?}");
        assert_eq!(run.stdout, expected, "{extra:?}");
        let parameters = announce(&root, &extra);
        assert_eq!(parameters.code, 0, "{extra:?}: {}", parameters.stderr);
        assert_eq!(parameters.stdout, announced, "{extra:?}");
    }
}

#[test]
fn string_and_map_parameters_with_their_param_variables() {
    let (_dir, root) = repository_copy();
    let run = generate(
        &root,
        &[
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"hostname","string":"portal.example.org"},{"map":{"limits.memory":"2Gi","requests.cpu":"200m"},"name":"resources.backstage"},{"name":"image.tag","string":"1.30"}]"#,
            ),
            ("PARAM_HOSTNAME", "portal.example.org"),
            ("PARAM_RESOURCES_BACKSTAGE_LIMITS_MEMORY", "2Gi"),
            ("PARAM_RESOURCES_BACKSTAGE_REQUESTS_CPU", "200m"),
            ("PARAM_IMAGE_TAG", "1.30"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let objects = parse_stream(&run.stdout);
    assert_eq!(objects[2]["spec"]["rules"][0]["host"], "portal.example.org");
    assert_eq!(
        objects[2]["spec"]["tls"][0]["hosts"][0],
        "portal.example.org"
    );
    assert_eq!(objects[1]["spec"]["dnsNames"][0], "portal.example.org");
    let backstage = &values(&run.stdout)["backstage"];
    assert_eq!(
        backstage["appConfig"]["app"]["baseUrl"],
        "https://portal.example.org"
    );
    assert_eq!(backstage["resources"]["limits"]["memory"], "2Gi");
    assert_eq!(backstage["resources"]["requests"]["cpu"], "200m");
    assert_eq!(backstage["resources"]["limits"]["cpu"], "1000m");
    assert_eq!(backstage["image"]["tag"], "1.30");
}

#[test]
fn the_static_parameters_change_the_rendered_app_config() {
    let (_dir, root) = repository_copy();
    // Go escapes `&`, `<` and `>` in JSON strings; PARAM_* holds the plain text.
    let run = generate(
        &root,
        &[
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"app.title","string":"R\u0026D \u003cportal\u003e"},{"name":"app.organization","string":"Example Org"}]"#,
            ),
            ("PARAM_APP_TITLE", "R&D <portal>"),
            ("PARAM_APP_ORGANIZATION", "Example Org"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let app_config = &values(&run.stdout)["backstage"]["appConfig"];
    assert_eq!(app_config["app"]["title"], "R&D <portal>");
    assert_eq!(app_config["organization"]["name"], "Example Org");
}

#[test]
fn param_variables_alone_work_when_the_json_is_absent() {
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
    let values = values(&run.stdout);
    assert_eq!(
        values["postgresql"]["primary"]["resources"]["limits"]["memory"],
        "1Gi"
    );
    assert_eq!(values["backstage"]["replicas"], 2);
}

#[test]
fn param_variables_that_disagree_with_the_json_are_refused_without_their_values() {
    let (_dir, root) = repository_copy();
    let json = r#"[{"name":"hostname","string":"portal.example.org"}]"#;
    let run = generate(
        &root,
        &[
            ("ARGOCD_APP_PARAMETERS", json),
            ("PARAM_HOSTNAME", "elsewhere.example.org"),
        ],
    );
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr.lines().next(),
        Some(
            "error: PARAM_HOSTNAME holds another value than ARGOCD_APP_PARAMETERS gives its parameter"
        )
    );
    assert!(!run.stderr.contains("elsewhere"), "{}", run.stderr);
    let stray = generate(
        &root,
        &[("ARGOCD_APP_PARAMETERS", "null"), ("PARAM_REPLICAS", "3")],
    );
    assert_eq!((stray.code, stray.stdout.as_str()), (2, ""));
    assert_contains(
        &stray.stderr,
        "error: PARAM_REPLICAS is set, but ARGOCD_APP_PARAMETERS has no parameter it comes from",
    );
}

#[test]
fn an_array_for_a_string_parameter_is_an_error_about_that_parameter() {
    let (_dir, root) = repository_copy();
    let run = generate(
        &root,
        &[
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"array":["1.30","1.31"],"name":"image.tag"}]"#,
            ),
            ("PARAM_IMAGE_TAG_0", "1.30"),
            ("PARAM_IMAGE_TAG_1", "1.31"),
        ],
    );
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        "error: parameter image.tag: takes a string, but the Application gives it an array\n"
    );
    // The announcement does not depend on the values set: it still answers.
    let parameters = announce(
        &root,
        &[(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"array":["1.30","1.31"],"name":"image.tag"}]"#,
        )],
    );
    assert_eq!(parameters.code, 0, "{}", parameters.stderr);
}

#[test]
fn a_bad_parameter_value_is_reported_as_that_parameter() {
    let (_dir, root) = repository_copy();
    let run = generate(
        &root,
        &[
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"replicas","string":"500"}]"#,
            ),
            ("PARAM_REPLICAS", "500"),
        ],
    );
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        "error: parameter replicas: spec.replicas: 500 is out of range (use a whole number between 0 and 100)\n"
    );
}

#[test]
fn a_secret_looking_parameter_value_is_refused_as_a_parameter() {
    let (_dir, root) = repository_copy();
    let token = format!("ghp_{}", "a1B2c3D4".repeat(5));
    let json = format!(r#"[{{"name":"app.title","string":"{token}"}}]"#);
    let run = generate(&root, &[("ARGOCD_APP_PARAMETERS", &json)]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(
        run.stderr.starts_with(
            "error: parameter app.title: spec.app.title: looks like a secret value: an Application's \
             parameters are stored in the Application"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("environment file"), "{}", run.stderr);
    assert!(!run.stderr.contains(&token), "{}", run.stderr);
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
    let run = generate(
        &root,
        &[(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"map":{"limits.memroy":"2Gi"},"name":"resources.backstage"}]"#,
        )],
    );
    assert_eq!(
        run.stderr,
        "error: parameter resources.backstage: unknown key `limits.memroy` (did you mean `limits.memory`?); \
         known keys: requests.cpu, requests.memory, limits.cpu, limits.memory\n"
    );
}

#[test]
fn parameters_announce_current_values_in_the_shape_argocd_reads() {
    let (_dir, root) = repository_copy();
    let run = announce(&root, &[("ARGOCD_APP_PARAMETERS", "null")]);
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

/// The parameter names `stagehand parameters` announces for the minicloud overlay.
pub fn stagehand_parameter_names() -> Vec<String> {
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
fn a_parameter_given_twice_is_refused_naming_it() {
    let (_dir, root) = repository_copy();
    let twice = r#"[{"name":"replicas","string":"2"},{"name":"hostname","string":"a.example.org"},{"name":"replicas","string":"3"}]"#;
    let run = generate(&root, &[("ARGOCD_APP_PARAMETERS", twice)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_contains(
        &run.stderr,
        "ARGOCD_APP_PARAMETERS: parameter replicas is set twice",
    );
}

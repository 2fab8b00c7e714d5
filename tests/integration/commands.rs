//! The commands and flags: `render` outputs and overrides, `validate`, `schema`, `--help`.

use serde_json::Value;

use crate::support::{
    Stagehand, assert_contains, environment_with, parse_stream, temp_environment,
};

#[test]
fn render_prints_the_four_kubernetes_objects_sealed_secret_first() {
    let stream = Stagehand::new(["render", "overlays/minicloud"]).succeeds();
    let objects = parse_stream(&stream);
    let kinds: Vec<&str> = objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["SealedSecret", "Certificate", "Ingress", "Application"]
    );
    let waves: Vec<&str> = objects
        .iter()
        .map(|o| {
            o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(waves, ["-1", "0", "0", "0"]);
    assert!(stream.starts_with("---\napiVersion: bitnami.com/v1alpha1\n"));
}

#[test]
fn render_json_prints_a_v1_list_of_the_same_objects() {
    let json: Value = serde_json::from_str(
        &Stagehand::new(["render", "overlays/minicloud", "-o", "json"]).succeeds(),
    )
    .unwrap();
    assert_eq!(json["apiVersion"], "v1");
    assert_eq!(json["kind"], "List");
    let yaml = parse_stream(&Stagehand::new(["render", "overlays/minicloud"]).succeeds());
    assert_eq!(json["items"].as_array().unwrap(), &yaml);
}

#[test]
fn one_hostname_feeds_all_six_places_and_set_moves_them_all() {
    for (args, host) in [
        (
            vec!["render", "overlays/minicloud"],
            "backstage.10.0.0.200.nip.io",
        ),
        (
            vec![
                "render",
                "overlays/minicloud",
                "--set",
                "spec.hostname=portal.example.org",
            ],
            "portal.example.org",
        ),
    ] {
        let objects = parse_stream(&Stagehand::new(args).succeeds());
        let ingress = &objects[2];
        assert_eq!(ingress["spec"]["rules"][0]["host"], host);
        assert_eq!(ingress["spec"]["tls"][0]["hosts"][0], host);
        assert_eq!(objects[1]["spec"]["dnsNames"][0], host);
        let app_config =
            &objects[3]["spec"]["source"]["helm"]["valuesObject"]["backstage"]["appConfig"];
        let url = format!("https://{host}");
        assert_eq!(app_config["app"]["baseUrl"], url);
        assert_eq!(app_config["backend"]["baseUrl"], url);
        assert_eq!(app_config["backend"]["cors"]["origin"], url);
    }
}

#[test]
fn set_overrides_resources_and_values_are_typed() {
    let objects = parse_stream(
        &Stagehand::new([
            "render",
            "overlays/dev",
            "--set",
            "spec.replicas=3",
            "--set",
            "spec.resources.backstage.limits.memory=2Gi",
        ])
        .succeeds(),
    );
    let backstage = &objects[3]["spec"]["source"]["helm"]["valuesObject"]["backstage"];
    assert_eq!(backstage["replicas"], 3);
    assert_eq!(backstage["resources"]["limits"]["memory"], "2Gi");
}

#[test]
fn the_database_secret_name_is_shared_by_the_sealed_secret_and_the_chart_values() {
    let dir = temp_environment(&environment_with(
        "  database: { secretName: pg-credentials }\n",
    ));
    let objects = parse_stream(
        &Stagehand::new(["render", "."])
            .current_dir(dir.path())
            .succeeds(),
    );
    assert_eq!(objects[0]["metadata"]["name"], "pg-credentials");
    let values = &objects[3]["spec"]["source"]["helm"]["valuesObject"];
    assert_eq!(
        values["postgresql"]["auth"]["existingSecret"],
        "pg-credentials"
    );
    // The chart reads POSTGRES_PASSWORD from existingSecret itself (chart.rs checks it).
    assert_eq!(values["backstage"].get("extraEnvVars"), None);
    assert_eq!(
        values["postgresql"]["auth"]["secretKeys"]["userPasswordKey"],
        "password"
    );
    assert_eq!(
        values["postgresql"]["auth"]["secretKeys"]["adminPasswordKey"],
        "postgres-password"
    );
}

#[test]
fn guest_auth_renders_the_dangerous_flag_only_when_asked() {
    let provider = |spec: &str| {
        let dir = temp_environment(&environment_with(spec));
        let objects = parse_stream(
            &Stagehand::new(["render", "."])
                .current_dir(dir.path())
                .succeeds(),
        );
        objects[3]["spec"]["source"]["helm"]["valuesObject"]["backstage"]["appConfig"]["auth"]
            .clone()
    };
    assert_eq!(provider(""), Value::Null);
    assert_eq!(
        provider("  auth: { guest: { enabled: true } }\n"),
        serde_json::json!({ "providers": { "guest": {} } })
    );
    assert_eq!(
        provider("  auth: { guest: { enabled: true, allowOutsideDevelopment: true } }\n"),
        serde_json::json!({ "providers": { "guest": { "dangerouslyAllowOutsideDevelopment": true } } })
    );
}

#[test]
fn the_wait_for_postgres_init_container_can_be_turned_off() {
    let values = |spec: &str| {
        let dir = temp_environment(&environment_with(spec));
        let objects = parse_stream(
            &Stagehand::new(["render", "."])
                .current_dir(dir.path())
                .succeeds(),
        );
        objects[3]["spec"]["source"]["helm"]["valuesObject"]["backstage"].clone()
    };
    let on = values("");
    assert_eq!(on["initContainers"][0]["name"], "wait-for-postgres");
    assert_eq!(
        on["initContainers"][0]["image"],
        "docker.io/library/postgres:16.4-alpine"
    );
    assert!(
        on["initContainers"][0]["command"][2]
            .as_str()
            .unwrap()
            .contains("until psql")
    );
    let off = values("  database: { waitForReady: false }\n");
    assert_eq!(off.get("initContainers"), None);
}

#[test]
fn patches_reach_the_values_the_application_and_the_objects() {
    let dir = temp_environment(&format!(
        "{}patches:\n  - target: {{ kind: HelmValues }}\n    ops: [{{ op: add, path: /backstage/podLabels, value: {{ team: platform }} }}]\n  \
         - target: {{ kind: Certificate, name: backstage-tls }}\n    ops: [{{ op: replace, path: /spec/duration, value: 4320h }}]\n",
        environment_with("")
    ));
    let out = tempfile::tempdir().unwrap();
    let objects = parse_stream(
        &Stagehand::new(["render", "."])
            .current_dir(dir.path())
            .succeeds(),
    );
    assert_eq!(objects[1]["spec"]["duration"], "4320h");
    let values = &objects[3]["spec"]["source"]["helm"]["valuesObject"];
    assert_eq!(values["backstage"]["podLabels"]["team"], "platform");
    Stagehand::new([
        "render".as_ref(),
        ".".as_ref(),
        "--out-dir".as_ref(),
        out.path().join("x").as_os_str(),
    ])
    .current_dir(dir.path())
    .succeeds();
    let file = crate::support::read_yaml(&out.path().join("x/values.yaml"));
    assert_eq!(&file, values);
}

#[test]
fn validate_reports_every_problem_of_every_file_and_warnings() {
    let bad = temp_environment(&environment_with(
        "  replicas: 101\n  namespace: Backstage\n  chart: { version: two }\n",
    ));
    let run = Stagehand::new([
        "validate",
        "overlays/minicloud",
        bad.path().to_str().unwrap(),
        "overlays/prod",
    ])
    .run();
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "ok: overlays/minicloud\nok: overlays/prod\n");
    assert_contains(&run.stderr, "spec.replicas: 101 is out of range");
    assert_contains(
        &run.stderr,
        "warning: overlays/minicloud/environment.yaml:38: spec.auth.guest.allowOutsideDevelopment",
    );
    assert!(run.stderr.contains(
        "warning: overlays/minicloud/environment.yaml:11: spec.image.tag: the image tag `latest`"
    ));
    // Shape problems stop before the format rules, so fix replicas and look again.
    let bad_formats = temp_environment(&environment_with(
        "  namespace: Backstage\n  chart: { version: two }\n",
    ));
    let run = Stagehand::new(["validate", bad_formats.path().to_str().unwrap()]).run();
    assert_contains(&run.stderr, "spec.namespace: must be lower case");
    assert_contains(
        &run.stderr,
        "spec.chart.version: `two` is not a semantic version",
    );
    assert!(
        run.stderr.ends_with("2 error(s), 2 warning(s)\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn validate_exits_0_with_only_warnings() {
    let run = Stagehand::new([
        "validate",
        "overlays/minicloud",
        "overlays/dev",
        "overlays/prod",
    ])
    .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.ends_with("0 error(s), 4 warning(s)\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_reader_that_went_away_changes_no_exit_code() {
    // As under `stagehand ... 2>&1 | head -1`: stdout and stderr are pipes nobody reads.
    // Each command still exits with its own code (warnings, errors, `ok` lines,
    // --explain), not a panic's 101.
    let bad = temp_environment(&environment_with("  replicas: 101\n"));
    let bad = bad.path().to_str().unwrap();
    let external = temp_environment(&environment_with("  database: {secret: external}\n"));
    let plugin = [
        ("ARGOCD_APP_NAME", "q"),
        ("ARGOCD_APP_NAMESPACE", "argocd"),
        ("ARGOCD_APP_SOURCE_PATH", "."),
    ];
    let repo = crate::support::repo();
    for (args, dir, code) in [
        (vec!["render", "overlays/minicloud"], repo.as_path(), 0),
        (vec!["render", bad], &repo, 2),
        (vec!["render", "no/such/folder"], &repo, 2),
        (
            vec!["validate", "overlays/minicloud", "overlays/dev"],
            &repo,
            0,
        ),
        (vec!["validate", "overlays/minicloud", bad], &repo, 2),
        (vec!["generate", "--explain"], external.path(), 0),
        // Sealed (for the test certificate): rendered.
        (
            vec!["generate", "--explain"],
            &repo.join("overlays/minicloud"),
            0,
        ),
    ] {
        let code_seen = Stagehand::new(&args)
            .current_dir(dir)
            .only_env(&plugin)
            .exit_code_with_readers_gone();
        assert_eq!(code_seen, code, "{args:?} in {}", dir.display());
    }
}

#[test]
fn quiet_silences_warnings_and_notes_on_every_command_but_never_errors() {
    // Renders, with a warning (the image tag `latest`); generate also notes that it ran
    // without KUBE_API_VERSIONS.
    let dir = temp_environment(&environment_with("  database: {secret: external}\n"));
    let folder = dir.path().to_str().unwrap();
    let plugin = [
        ("ARGOCD_APP_NAME", "q"),
        ("ARGOCD_APP_NAMESPACE", "argocd"),
        ("ARGOCD_APP_SOURCE_PATH", "."),
    ];
    for (args, warned) in [
        (vec!["render", folder], "warning: "),
        (vec!["validate", folder], "warning: "),
        (vec!["generate"], "note: "),
    ] {
        let loud = Stagehand::new(&args)
            .current_dir(dir.path())
            .only_env(&plugin)
            .run();
        assert_eq!(loud.code, 0, "{args:?}: {}", loud.stderr);
        assert_contains(&loud.stderr, warned);
        for flag in ["-q", "--quiet"] {
            let quiet = Stagehand::new(&args)
                .arg(flag)
                .current_dir(dir.path())
                .only_env(&plugin)
                .run();
            assert_eq!(quiet.code, 0, "{args:?} {flag}: {}", quiet.stderr);
            assert_eq!(quiet.stdout, loud.stdout, "{args:?} {flag}");
            // validate's summary still counts them.
            assert!(
                !quiet.stderr.contains("warning: ") && !quiet.stderr.contains("note: "),
                "{args:?} {flag}: {}",
                quiet.stderr
            );
        }
    }
    // render --out-dir ends with one summary line, which -q silences too.
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("rendered");
    let into = ["render", "overlays/minicloud", "overlays/dev", "--out-dir"];
    let loud = Stagehand::new(into).arg(&target).run();
    assert_eq!(loud.code, 0, "{}", loud.stderr);
    assert_eq!(
        loud.stderr.lines().last().unwrap(),
        format!(
            "wrote 2 environments (16 files) into {}, 4 warnings",
            target.display()
        )
    );
    assert_eq!(loud.stderr.matches("warning: ").count(), 4);
    let quiet = Stagehand::new(into).arg(&target).arg("-q").run();
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""));
    let one = Stagehand::new(["render", "overlays/minicloud", "-q", "--out-dir"])
        .arg(out.path().join("one"))
        .run();
    assert_eq!((one.code, one.stderr.as_str()), (0, ""));
    let one = Stagehand::new(["render", "overlays/minicloud", "--out-dir"])
        .arg(out.path().join("one"))
        .run();
    assert!(
        one.stderr.ends_with(&format!(
            "\nwrote environment minicloud (8 files) into {}, 2 warnings\n",
            out.path().join("one").display()
        )),
        "{}",
        one.stderr
    );
    // Errors are printed whatever the flag says.
    let broken = temp_environment(&environment_with("  replicas: 101\n"));
    let run = Stagehand::new(["-q", "render", "."])
        .current_dir(broken.path())
        .run();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(&run.stderr, "error: ./environment.yaml:");
}

#[test]
fn schema_is_json_schema_with_descriptions() {
    let schema: Value = serde_json::from_str(&Stagehand::new(["schema"]).succeeds()).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let spec = &schema["properties"]["spec"];
    assert!(
        spec["properties"]["hostname"]["description"]
            .as_str()
            .unwrap()
            .contains("hostname")
    );
    // Everything else has a default in the built-in base.
    assert_eq!(spec["required"], serde_json::json!(["hostname"]));
    assert_eq!(
        spec["properties"]["tls"]["required"],
        serde_json::json!(["issuer"])
    );
    assert_eq!(spec["additionalProperties"], false);
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let help = Stagehand::new(["--help"]).succeeds();
    assert!(help.contains("stagehand render overlays/minicloud --out-dir out"));
    assert!(
        help.contains(
            "Exit codes: 0 ok; 1 differences (diff, render --check); 2 usage or input error."
        ),
        "{help}"
    );
    for command in [
        "render",
        "validate",
        "diff",
        "seal",
        "schema",
        "generate",
        "parameters",
        "discover",
    ] {
        assert!(
            help.contains(&format!("  {command} ")),
            "{command} is not listed:\n{help}"
        );
    }
    let render_help = Stagehand::new(["render", "--help"]).succeeds();
    assert!(render_help.contains("--set spec.hostname=portal.example.org"));
}

/// The examples of `stagehand [COMMAND] --help`, as written (not wrapped).
fn written_examples() -> Vec<(Vec<String>, String)> {
    use clap::CommandFactory;
    let top = stagehand::cli::Cli::command();
    let mut all = vec![(vec![], top.get_after_help().unwrap().to_string())];
    for command in top.get_subcommands() {
        if let Some(text) = command.get_after_help() {
            all.push((vec![command.get_name().to_string()], text.to_string()));
        }
    }
    all
}

#[test]
fn help_examples_stay_whole_at_80_columns_and_at_the_default_width() {
    let examples = written_examples();
    assert_eq!(examples.len(), 12, "every command has examples");
    for (command, text) in examples {
        // Each line fits in 80 columns as written, so pasting one runs it whole.
        for line in text.lines() {
            assert!(line.chars().count() <= 79, "{command:?}: {line}");
        }
        for columns in [Some("80"), None] {
            let mut run = Stagehand::new(&command).arg("--help");
            run = match columns {
                Some(width) => run.env("COLUMNS", width),
                None => run.only_env(&[]),
            };
            let help = run.succeeds();
            assert!(
                help.trim_end().ends_with(text.trim_end()),
                "{command:?} at {columns:?} columns: the examples wrapped:\n{help}"
            );
            if columns.is_some() {
                for line in help.lines() {
                    assert!(line.chars().count() <= 80, "{command:?}: {line}");
                }
            }
        }
    }
}

#[test]
fn usage_errors_exit_2_with_nothing_on_stdout() {
    for (args, message) in [
        (
            vec!["render", "overlays/dev", "overlays/prod"],
            "error: render prints one environment; give --out-dir DIR to render several\n",
        ),
        (
            vec!["render", "overlays/dev", "--check"],
            "error: the following required arguments were not provided:\n  --out-dir <DIR>",
        ),
        (
            vec!["render", "overlays/dev", "--set", "spec.replicas"],
            "error: --set spec.replicas: expected PATH=VALUE, e.g. --set spec.hostname=backstage.example.org\n",
        ),
        (
            vec!["render", "--bogus"],
            "error: unexpected argument '--bogus' found",
        ),
        (
            vec!["render", "no/such/folder"],
            "error: no/such/folder: no such file or folder (give an environment file or a folder holding environment.yaml)\n",
        ),
    ] {
        let run = Stagehand::new(&args).run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.starts_with(message), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn a_folder_argument_and_the_current_folder_find_environment_yaml() {
    let from_folder = Stagehand::new(["render", "overlays/minicloud"]).succeeds();
    let from_file = Stagehand::new(["render", "overlays/minicloud/environment.yaml"]).succeeds();
    let from_cwd = Stagehand::new(["render"])
        .current_dir(&crate::support::repo().join("overlays/minicloud"))
        .succeeds();
    assert_eq!(from_folder, from_file);
    assert_eq!(from_folder, from_cwd);
}

#[test]
fn a_base_folder_inside_the_repository_replaces_defaults_and_templates() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join(".git")).unwrap();
    std::fs::create_dir_all(repo.path().join("base/templates")).unwrap();
    std::fs::create_dir_all(repo.path().join("envs/a")).unwrap();
    let defaults = std::fs::read_to_string(crate::support::repo().join("base/environment.yaml"))
        .unwrap()
        .replace("namespace: backstage", "namespace: portal");
    std::fs::write(repo.path().join("base/environment.yaml"), defaults).unwrap();
    // A custom template may use minijinja's built-in filters (`lower`).
    let ingress =
        std::fs::read_to_string(crate::support::repo().join("base/templates/ingress.yaml.j2"))
            .unwrap()
            .replace("path: /", "path: {{ '/PORTAL' | lower }}");
    std::fs::write(repo.path().join("base/templates/ingress.yaml.j2"), ingress).unwrap();
    std::fs::write(
        repo.path().join("envs/a/environment.yaml"),
        environment_with("").replace(
            "kind: Environment\n",
            "kind: Environment\nbase: ../../base\n",
        ),
    )
    .unwrap();
    let objects = parse_stream(
        &Stagehand::new(["render", "envs/a"])
            .current_dir(repo.path())
            .succeeds(),
    );
    assert_eq!(objects[2]["metadata"]["namespace"], "portal");
    assert_eq!(
        objects[2]["spec"]["rules"][0]["http"]["paths"][0]["path"],
        "/portal"
    );
}

#[test]
fn a_base_outside_the_repository_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::support::repo().join("base/environment.yaml"),
        outside.path().join("environment.yaml"),
    )
    .unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join(".git")).unwrap();
    let base = outside.path().to_str().unwrap();
    std::fs::write(
        repo.path().join("environment.yaml"),
        environment_with("").replace(
            "kind: Environment\n",
            &format!("kind: Environment\nbase: {base}\n"),
        ),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("linked-base")).unwrap();
    for reference in [base, "linked-base", "../../../../../../.."] {
        let text = std::fs::read_to_string(repo.path().join("environment.yaml")).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("base:"))
            .unwrap()
            .to_string();
        std::fs::write(
            repo.path().join("environment.yaml"),
            text.replace(&line, &format!("base: {reference}")),
        )
        .unwrap();
        let run = Stagehand::new(["render", "."])
            .current_dir(repo.path())
            .run();
        assert_eq!(run.code, 2, "{reference}");
        assert_eq!(run.stdout, "");
        assert!(
            run.stderr
                .starts_with("error: ./environment.yaml:3: base: base folder"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("outside the repository"),
            "{reference}: {}",
            run.stderr
        );
    }
}

#[test]
fn the_committed_schema_is_what_schemars_derives_and_stagehand_schema_prints() {
    let committed =
        std::fs::read_to_string(crate::support::repo().join("environment.schema.json")).unwrap();
    assert_eq!(committed, Stagehand::new(["schema"]).succeeds());
    assert_eq!(
        committed,
        stagehand::cmd::schema::published_schema_text().unwrap(),
        "environment.schema.json is stale: run `cargo run -- schema > environment.schema.json`"
    );
}

#[test]
fn version_names_the_commit_and_the_chart_the_built_in_base_supports() {
    let version = Stagehand::new(["--version"]).succeeds();
    assert!(
        version.starts_with(&format!("stagehand {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    assert!(
        version
            .trim_end()
            .ends_with("; built-in base for backstage chart 2.7.0)"),
        "{version}"
    );
    let commit = version
        .split("(commit ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert!(
        commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())
            || commit.starts_with("unknown"),
        "{commit}"
    );
}

#[test]
fn completions_for_each_shell_and_a_manual_page() {
    let bash = Stagehand::new(["completions", "bash"]).succeeds();
    assert!(bash.contains("complete -F _stagehand"), "{bash}");
    for command in [
        "render",
        "validate",
        "diff",
        "seal",
        "generate",
        "completions",
        "man",
    ] {
        assert!(bash.contains(command), "bash completion lacks {command}");
    }
    let syntax = std::process::Command::new("bash")
        .args(["-n", "-c", &bash])
        .status()
        .expect("bash runs");
    assert!(
        syntax.success(),
        "the bash completion script is not valid bash"
    );
    for (shell, marker) in [
        ("zsh", "#compdef stagehand"),
        ("fish", "complete -c stagehand"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = Stagehand::new(["completions", shell]).succeeds();
        assert!(script.contains(marker), "{shell}: {script}");
    }
    let run = Stagehand::new(["completions", "tcsh"]).run();
    assert_eq!(run.code, 2);
    assert_contains(&run.stderr, "invalid value 'tcsh'");
    let page = Stagehand::new(["man"]).succeeds();
    assert!(
        page.contains(".TH stagehand 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    for section in ["STAGEHAND RENDER", "STAGEHAND SEAL", "STAGEHAND DIFF"] {
        assert!(page.contains(section), "the manual page lacks {section}");
    }
    assert!(
        page.contains("\\-\\-rotate"),
        "seal's --rotate is not in the manual page"
    );
}

#[test]
fn new_writes_an_environment_that_validates_and_never_replaces_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::copy(
        crate::support::repo().join("environment.schema.json"),
        dir.path().join("environment.schema.json"),
    )
    .unwrap();
    let new = |args: &[&str]| Stagehand::new(args).current_dir(dir.path()).run();
    let run = new(&[
        "new",
        "overlays/qa",
        "--hostname",
        "qa.example.org",
        "--issuer",
        "ca",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_contains(
        &run.stderr,
        "wrote overlays/qa/environment.yaml; next: stagehand seal overlays/qa --cert cert.pem",
    );
    let file = dir.path().join("overlays/qa/environment.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# yaml-language-server: $schema=../../environment.schema.json\n"),
        "{text}"
    );
    let written = crate::support::read_yaml(&file);
    assert_eq!(written["metadata"]["name"], "qa");
    assert_eq!(written["spec"]["namespace"], "backstage-qa");
    assert_eq!(
        written["spec"]["tls"]["issuer"],
        serde_json::json!({"name": "ca", "kind": "ClusterIssuer"})
    );
    let valid = new(&["validate", "overlays/qa"]);
    assert_eq!(valid.code, 0, "{}", valid.stderr);

    // An existing file: exit 2, unchanged.
    let again = new(&[
        "init",
        "overlays/qa",
        "--hostname",
        "other.example.org",
        "--issuer",
        "x",
    ]);
    assert_eq!(again.code, 2);
    assert_contains(
        &again.stderr,
        "overlays/qa/environment.yaml: exists already; nothing was changed",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    // A value that does not validate: exit 2 naming the new file, and nothing is left.
    let bad = new(&[
        "new",
        "deep/a/b",
        "--hostname",
        "Not_A_Host",
        "--issuer",
        "ca",
    ]);
    assert_eq!(bad.code, 2);
    assert_contains(
        &bad.stderr,
        "error: deep/a/b/environment.yaml:8: spec.hostname:",
    );
    assert!(!dir.path().join("deep").exists());

    // From another environment: its settings, a new place, no sealed values.
    let dev = dir.path().join("overlays/dev");
    std::fs::create_dir_all(&dev).unwrap();
    std::fs::copy(
        crate::support::repo().join("overlays/dev/environment.yaml"),
        dev.join("environment.yaml"),
    )
    .unwrap();
    let run = new(&[
        "new",
        "overlays/dev2",
        "--hostname",
        "dev2.example.org",
        "--issuer",
        "ca",
        "--issuer-kind",
        "Issuer",
        "--from",
        "overlays/dev",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let copy = crate::support::read_yaml(&dir.path().join("overlays/dev2/environment.yaml"));
    let original = crate::support::read_yaml(&dev.join("environment.yaml"));
    assert_eq!(copy["spec"]["resources"], original["spec"]["resources"]);
    assert_eq!(copy["spec"]["namespace"], "backstage-dev2");
    assert_eq!(copy["spec"]["tls"]["issuer"]["kind"], "Issuer");
    assert!(copy["spec"]["database"].get("encryptedData").is_none());
    assert!(copy["spec"]["database"].get("sealedFor").is_none());
    let together = new(&["validate", "overlays/dev", "overlays/dev2", "overlays/qa"]);
    assert_eq!(together.code, 0, "{}", together.stderr);
}

#[test]
fn validate_json_gives_the_problems_in_the_order_the_text_report_prints_them() {
    let case = "tests/fixtures/errors/required-field-misspelt-beside-rule-problems";
    let text = Stagehand::new(["validate", case]).run();
    let json = Stagehand::new(["validate", case, "-o", "json"]).run();
    assert_eq!((text.code, json.code), (2, 2), "{}", text.stderr);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON on stdout");
    let from_json: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    // `error: FILE:LINE: FIELD: message`: the field is the third `: `-separated part.
    let from_text: Vec<&str> = text
        .stderr
        .lines()
        .filter_map(|line| line.split(": ").nth(2))
        .collect();
    assert_eq!(from_json, from_text);
    assert_eq!(
        from_json[..4],
        [
            "metadata.name",
            "spec.tls.issuer.kind",
            "spec.tls.issuer.nam",
            "spec.resources.backstage.limits.memory"
        ]
    );
}

#[test]
fn validate_json_lists_every_problem_on_stdout_even_when_it_exits_2() {
    let run = Stagehand::new([
        "validate",
        "tests/fixtures/errors/every-problem-at-once",
        "overlays/dev",
        "-o",
        "json",
    ])
    .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(report["valid"], serde_json::json!(["overlays/dev"]));
    assert_eq!(report["errors"], 3);
    let problems = report["problems"].as_array().unwrap();
    let replicas = problems.iter().find(|p| p["field"] == "spec.replicas");
    assert_eq!(
        replicas.unwrap(),
        &serde_json::json!({
            "file": "tests/fixtures/errors/every-problem-at-once/environment.yaml",
            "line": 8,
            "field": "spec.replicas",
            "severity": "error",
            "message": "101 is out of range",
            "hint": "use a whole number between 0 and 100"
        })
    );
    let severities: Vec<&str> = problems
        .iter()
        .map(|p| p["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        severities.iter().filter(|s| **s == "error").count(),
        3,
        "{severities:?}"
    );
    assert!(severities.contains(&"warning"));
    let clean = Stagehand::new(["validate", "overlays/minicloud", "-o", "json"]).run();
    assert_eq!(clean.code, 0);
    let report: serde_json::Value = serde_json::from_str(&clean.stdout).unwrap();
    assert_eq!(
        (report["errors"].clone(), report["valid"].clone()),
        (0.into(), serde_json::json!(["overlays/minicloud"]))
    );
}

#[test]
fn every_line_of_an_error_carries_its_prefix_and_no_path_is_printed_twice() {
    let dir = tempfile::tempdir().unwrap();
    // The admin-password refusal is a procedure of several lines.
    let (file, run) = crate::support::admin_password_rotation_refused(dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.lines().count() >= 7, "{}", run.stderr);
    for line in run.stderr.lines() {
        assert!(line.starts_with("error: "), "{line}");
    }
    let missing = dir.path().join("nowhere");
    let run = Stagehand::new(["diff".as_ref(), missing.as_os_str(), file.as_os_str()]).run();
    assert_eq!(run.code, 2);
    let shown = missing.display().to_string();
    assert_eq!(run.stderr.matches(&shown).count(), 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!("error: {shown}: no such file or folder\n")
    );
}

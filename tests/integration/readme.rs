//! The README's set-up block and CI cannot drift apart: `.ci/run` runs the README's test
//! command, and the README's first command renders through the built binary. What the
//! README tells a stranger agrees with the binary and the files it points at.

use crate::support::{Stagehand, parse_stream, repo};

/// The commands of the README's first ```sh block, without their comments.
fn setup_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a ```sh set-up block");
    block
        .lines()
        .map(|line| {
            line.split('#')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn the_readme_gives_exactly_two_setup_commands() {
    let commands = setup_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(commands[0].starts_with("cargo run"), "{commands:?}");
    assert!(commands[1].starts_with("cargo test"), "{commands:?}");
}

#[test]
fn ci_runs_the_readme_test_command_exactly() {
    let test_command = &setup_commands()[1];
    let ci = std::fs::read_to_string(repo().join(".ci/run")).expect(".ci/run");
    assert!(
        ci.lines().any(|line| line.trim() == test_command),
        ".ci/run has no line `{test_command}` (the README's test command)"
    );
}

#[test]
fn the_readme_main_command_renders_the_seed_environment() {
    let main_command = &setup_commands()[0];
    let (_, arguments) = main_command
        .split_once(" -- ")
        .expect("the main command passes arguments after `--`");
    let arguments: Vec<&str> = arguments.split_whitespace().collect();
    assert_eq!(arguments, ["render", "overlays/minicloud"]);
    let stream = Stagehand::new(&arguments).succeeds();
    let kinds: Vec<String> = parse_stream(&stream)
        .iter()
        .map(|object| object["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        kinds,
        ["SealedSecret", "Certificate", "Ingress", "Application"]
    );
}

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).expect("README.md")
}

#[test]
fn every_file_the_readme_links_is_in_the_repository() {
    let readme = readme();
    let links: Vec<&str> = readme
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| !target.contains("://") && !target.starts_with('#'))
        .collect();
    assert!(links.len() >= 5, "{links:?}");
    for link in links {
        let path = link.split('#').next().unwrap_or(link);
        assert!(
            repo().join(path).exists(),
            "README links {link}, which is missing"
        );
    }
}

#[test]
fn the_readme_uses_no_in_house_word_and_points_at_no_outside_notes() {
    let readme = readme().to_lowercase();
    for word in ["the seed", "seed's", "gotcha", "product.md", "phase 1"] {
        assert!(!readme.contains(word), "README says `{word}`");
    }
}

#[test]
fn the_readme_admin_password_procedure_is_the_one_seal_prints() {
    let dir = tempfile::tempdir().unwrap();
    let (_, run) = crate::support::admin_password_rotation_refused(dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    let printed = run
        .stderr
        .lines()
        .map(|line| {
            line.strip_prefix("error:")
                .expect("every line has the prefix")
        })
        .find(|line| line.trim_start().starts_with("kubectl "))
        .expect("the procedure's kubectl line")
        .trim()
        .replace("-n backstage ", "-n NAMESPACE ")
        .replace("backstage-postgresql-0", "RELEASE-postgresql-0");
    assert!(
        readme().contains(&format!("`{printed}`")),
        "the README lacks `{printed}`"
    );
}

#[test]
fn the_readme_and_the_examples_name_the_repository_url_to_change() {
    let readme = readme();
    assert!(readme.contains("change `repoURL` in"), "README");
    for example in ["example-application.yaml", "applicationset.yaml"] {
        assert!(
            readme.contains(&format!("argocd-cmp/{example}")),
            "{example}"
        );
        let text = std::fs::read_to_string(repo().join("argocd-cmp").join(example)).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains("repoURL:")).collect();
        assert!(!lines.is_empty(), "{example}");
        for line in lines {
            assert!(
                line.contains("# change: your GitOps repository"),
                "{example}: {line}"
            );
        }
    }
}

//! The README's set-up block and CI cannot drift apart: `.ci/run` runs the README's test
//! command, and the README's first command renders through the built binary.

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

//! One folder per user error under `tests/fixtures/errors/`: `environment.yaml` (the bad
//! input), optional `args` (extra arguments, one per line) and `stderr` (the exact
//! message). Each must exit 2 with nothing on stdout. A new error case is a new folder;
//! `STAGEHAND_BLESS=1 cargo test` writes missing or changed `stderr` files for review, and
//! then fails the run, so a blessing is never mistaken for a pass (CI cannot bless).

use std::path::Path;

use crate::support::{Stagehand, repo};

fn check_case(case: &Path) -> Result<(), String> {
    let mut args = vec!["render".to_string(), "environment.yaml".to_string()];
    if let Ok(extra) = std::fs::read_to_string(case.join("args")) {
        args.extend(extra.lines().filter(|l| !l.is_empty()).map(str::to_string));
    }
    let run = Stagehand::new(&args).current_dir(case).run();
    let name = case.file_name().unwrap().to_string_lossy();
    let expected = std::fs::read_to_string(case.join("stderr")).unwrap_or_default();
    let bless = std::env::var_os("STAGEHAND_BLESS").is_some();
    assert!(
        !(bless && crate::support::in_ci()),
        "STAGEHAND_BLESS is set under CI: fixtures are blessed by a person, never by CI"
    );
    if bless && run.stderr != expected {
        std::fs::write(case.join("stderr"), &run.stderr).unwrap();
        return Err(format!(
            "{name}: stderr written for review (STAGEHAND_BLESS); run again without it"
        ));
    }
    let mut failures = Vec::new();
    if run.code != 2 {
        failures.push(format!("exit code {} instead of 2", run.code));
    }
    if !run.stdout.is_empty() {
        failures.push(format!("stdout is not empty: {:?}", run.stdout));
    }
    if run.stderr != expected {
        failures.push(format!("stderr:\n{}\nexpected:\n{}", run.stderr, expected));
    }
    if run.stderr.contains("panicked") || run.stderr.contains("RUST_BACKTRACE") {
        failures.push("panicked".to_string());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}: {}", failures.join("; ")))
    }
}

#[test]
fn every_error_fixture_fails_with_its_exact_message() {
    let root = repo().join("tests/fixtures/errors");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 30,
        "expected the fixture folders under {}",
        root.display()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| check_case(case).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn no_error_message_repeats_a_secret_value() {
    let root = repo().join("tests/fixtures/errors");
    for case in [
        "secret-password-in-spec",
        "secret-token-annotation",
        "secret-in-set",
        "secret-in-patch",
        "secret-source-holds-a-password",
    ] {
        let stderr = std::fs::read_to_string(root.join(case).join("stderr")).unwrap();
        assert!(
            !stderr.contains("not-a-real-secret"),
            "{case} echoes the value: {stderr}"
        );
    }
}

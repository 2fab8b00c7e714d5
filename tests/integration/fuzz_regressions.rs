//! Inputs the fuzzer found (`tests/fixtures/fuzz/*.yaml`), rendered on every test run. Each
//! states its exit code in `tests/fixtures/fuzz/EXPECTED`; none may panic, print a partial
//! result on failure, or run longer than [`LIMIT`] (a hang guard, not a benchmark). It
//! starts with inputs found by hand while hardening (a 100-deep patch value that once got
//! through, huge numbers, a YAML tag).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::{Stagehand, repo};

/// Longest a finding may take.
const LIMIT: Duration = Duration::from_secs(10);

/// `name → exit code`, from the EXPECTED file.
fn expected_codes() -> BTreeMap<String, i32> {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/fuzz/EXPECTED"))
        .expect("tests/fixtures/fuzz/EXPECTED");
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (name, code) = line.split_once(' ').expect("`name exit` lines");
            (name.to_string(), code.trim().parse().expect("an exit code"))
        })
        .collect()
}

#[test]
fn fuzz_findings_end_as_expected_without_panic_or_hang() {
    let folder = repo().join("tests/fixtures/fuzz");
    let mut cases: Vec<String> = std::fs::read_dir(&folder)
        .expect("tests/fixtures/fuzz")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    cases.sort();
    let expected = expected_codes();
    assert_eq!(
        cases,
        expected.keys().cloned().collect::<Vec<_>>(),
        "every finding states its exit code in EXPECTED, and only findings do"
    );
    for case in cases {
        let run = Stagehand::new(["render"])
            .arg(folder.join(&case))
            .run_within(LIMIT);
        let stderr = &run.stderr;
        assert_eq!(run.code, expected[&case], "{case}: {stderr}");
        assert!(!stderr.contains("panicked"), "{case}: {stderr}");
        if expected[&case] != 0 {
            assert!(run.stdout.is_empty(), "{case}: output on failure");
        }
    }
}

//! Inputs the fuzzer found (`tests/fixtures/fuzz/*.yaml`), rendered on every test run: each
//! must end with exit 0 or 2 and never panic. It starts with inputs found by hand while
//! hardening (a 100-deep patch value that once got through, huge numbers, a YAML tag).

use crate::support::{Stagehand, repo};

#[test]
fn fuzz_findings_neither_panic_nor_hang() {
    let folder = repo().join("tests/fixtures/fuzz");
    let mut cases: Vec<_> = std::fs::read_dir(&folder)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    cases.sort();
    assert!(
        !cases.is_empty(),
        "no regression inputs in {}",
        folder.display()
    );
    for case in cases
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let run = Stagehand::new(["render".as_ref(), case.as_os_str()]).run();
        assert!(
            matches!(run.code, 0 | 2),
            "{}: exit {}: {}",
            case.display(),
            run.code,
            run.stderr
        );
        assert!(
            !run.stderr.contains("panicked"),
            "{}: {}",
            case.display(),
            run.stderr
        );
        if run.code == 2 {
            assert_eq!(run.stdout, "", "{}", case.display());
        }
    }
}

//! Integration tests: they drive the real `stagehand` binary.
//!
//! Where a new test goes: rendered output compared with the seed → `seed_reference.rs`;
//! schemas → `schemas.rs`; output safety (YAML 1.1, injection, determinism) →
//! `output_contract.rs`; `--out-dir`, `--check`, kustomize → `out_dir.rs`; a user error →
//! a new folder under `tests/fixtures/errors/` (picked up by `error_fixtures.rs`);
//! commands and flags → `commands.rs`; the ArgoCD plugin → `argocd.rs` (`generate`),
//! `argocd_parameters.rs` (parameters), `argocd_install.rs` (install files, discovery); `diff` → `diff.rs`; environments sharing a cluster, sealed values that moved, chart
//! versions, cascading deletes → `day_two.rs`; `--expand-chart` and
//! the real chart → `chart.rs`; the CI workflow files and templates → `ci_files.rs`; the rendered deployment run in a real Backstage backend and
//! PostgreSQL → `backstage.rs` (its servers under `backstage/`);
//! `stagehand seal` and the SealedSecret → `seal.rs`;
//! properties over arbitrary strings (proptest) → `properties.rs`;
//! input too big, too odd or too clever for a fixture file → `hostile_input.rs` (the
//! generated megabyte inputs are in `benches/hostile_corpus.rs`, shared with the
//! benchmark); the
//! README's set-up commands and `.ci/run` → `readme.rs`; the source layout (imports run one
//! way) → `layout.rs`.
//!
//! A test that needs something from outside the project (`../shared`, PyYAML, kubectl,
//! helm) starts with `if !support::available(&[...]) { return; }`: it skips with a notice,
//! or fails when `CI` is set.

mod argocd;
mod argocd_install;
mod argocd_parameters;
mod backstage;
mod chart;
mod ci_files;
mod commands;
mod day_two;
mod diff;
mod error_fixtures;
mod fuzz_regressions;
#[path = "../../benches/hostile_corpus.rs"]
mod hostile_corpus;
mod hostile_input;
mod layout;
mod out_dir;
mod output_contract;
mod properties;
mod readme;
mod schemas;
mod seal;
mod seed_reference;
mod support;

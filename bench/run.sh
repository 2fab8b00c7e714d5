#!/usr/bin/env bash
# The benchmark, in one command: bash bench/run.sh
# Builds stagehand (the `dist` profile, fat LTO, and `release`, thin LTO) and the minimal
# writer it is compared with, runs the
# per-stage criterion bench and the hostile-input corpus, then measures whole processes
# side by side (bench/measure.py) and writes BENCHMARKS.md (also printed). Needs kubectl;
# the --expand-chart comparison also needs helm and ../shared/charts (skipped without).
# BENCH_RUNS (default 200) and BENCH_MANY_RUNS (default 7) set the number of runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked --quiet --bench stages -- --warm-up-time 1 --measurement-time 3 > /dev/null
cargo bench --locked --quiet --bench hostile > /dev/null
# After the benches: `cargo bench` leaves its own build of the binary in target/release (the
# bench profile); the one measured is the release build.
cargo build --profile dist --locked --quiet
cargo build --release --locked --quiet
cargo build --release --locked --quiet --example minimal_writer
# The ArgoCD image's binary is a musl build (argocd-cmp/Dockerfile builds on Alpine): it is
# measured beside the glibc one when the musl target is installed
# (rustup target add x86_64-unknown-linux-musl).
if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
  cargo build --profile dist --locked --quiet --target x86_64-unknown-linux-musl
  export STAGEHAND_BENCH_MUSL=target/x86_64-unknown-linux-musl/dist/stagehand
fi
python3 bench/measure.py "$@"

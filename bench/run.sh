#!/usr/bin/env bash
# The benchmark, in one command: bash bench/run.sh
# Builds stagehand (release), builds an equivalent kustomize tree, measures both whole
# processes interleaved, runs the per-stage criterion bench, times 1/10/100/1000
# environments, and writes BENCHMARKS.md (also printed).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
cargo bench --locked --quiet --bench stages -- --warm-up-time 1 --measurement-time 3 > /dev/null
python3 bench/measure.py "$@"

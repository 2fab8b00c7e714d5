#!/usr/bin/env bash
# Seeds the corpus with every environment in the repository, then fuzzes for $1 seconds
# (default 600). Crashes land in fuzz/artifacts/render/; copy each into
# tests/fixtures/fuzz/ as a regression case.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
mkdir -p corpus/render
i=0
for file in ../overlays/*/environment.yaml ../tests/fixtures/errors/*/environment.yaml ../tests/fixtures/fuzz/*.yaml; do
  [ -f "$file" ] || continue
  cp "$file" "corpus/render/seed-$i.yaml"; i=$((i + 1))
done
# cargo fuzz needs nightly features; the stable toolchain accepts them with RUSTC_BOOTSTRAP.
RUSTC_BOOTSTRAP=1 cargo fuzz run render corpus/render -- \
  -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1

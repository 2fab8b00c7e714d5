#!/usr/bin/env bash
# Seeds the corpus, then fuzzes one target for $1 seconds (default 600).
#   fuzz/run.sh [SECONDS] [TARGET]
# TARGET is `render` (default: arbitrary environment files through the whole pipeline) or
# `lines` (the quick YAML readers against yaml-rust2 and serde_yaml). The corpus starts
# with every environment file of the repository; `lines` also gets every other YAML file
# under tests/ and the golden output. Crashes land in fuzz/artifacts/TARGET/; copy each
# into tests/fixtures/fuzz/ as a regression case.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
target="${2:-render}"
case "$target" in
  render) seeds=(../overlays/*/environment.yaml ../tests/fixtures/errors/*/environment.yaml ../tests/fixtures/fuzz/*.yaml) ;;
  lines) mapfile -t seeds < <(find ../overlays ../base ../tests -name '*.yaml' | sort) ;;
  *) echo "unknown fuzz target: $target (render or lines)" >&2; exit 2 ;;
esac
mkdir -p "corpus/$target"
i=0
for file in "${seeds[@]}"; do
  [ -f "$file" ] || continue
  cp "$file" "corpus/$target/seed-$i.yaml"; i=$((i + 1))
done
# cargo fuzz needs nightly features; the stable toolchain accepts them with RUSTC_BOOTSTRAP.
RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" -- \
  -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1

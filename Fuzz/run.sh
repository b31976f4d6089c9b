#!/usr/bin/env bash
# Builds the libFuzzer target for the configuration language and runs it.
#   Fuzz/run.sh [SECONDS]   (default 600)
# The corpus in Fuzz/corpus/config grows in place; crashes land in Fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
out=.build/fuzz
mkdir -p "$out" Fuzz/artifacts Fuzz/corpus/config
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name VigilConfigFuzz \
  Sources/VigilConfig/*.swift Sources/VigilConfig/Model/*.swift Fuzz/ConfigFuzz.swift \
  -o "$out/config-fuzz"
# Seed with the examples and the compatibility corpus (libFuzzer dedups by coverage).
"$out/config-fuzz" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix=Fuzz/artifacts/ -print_final_stats=1 \
  Fuzz/corpus/config etc Tests/Compat/corpus Tests/VigilConfigTests/Fixtures

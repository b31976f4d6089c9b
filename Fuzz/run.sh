#!/usr/bin/env bash
# The libFuzzer target for configurations (Fuzz/PlanFuzz): a configuration `vigil run`
# accepts must start.
#   Fuzz/run.sh [SECONDS]   (default 600)
# Each input is first the configuration language on its own (ConfigLanguage.swift: every
# diagnostic located, the dump reads back to the same model), then loaded, validated and
# planned exactly as `vigil run` does it (PlanSource.load: `vigil check --host`'s load and
# validation, then DaemonPlan.make) against a fixed in-memory host (StaticPlanningHost: eth0
# 192.0.2.11/24, eth1, bond0, lo, dummy0, users root and nobody, a few script files;
# PlanFuzz.swift), planned again without eth1 (a replan), and what the daemon
# builds from the plan at start is built and driven without sockets or children: VirtualRouter
# per instance (primed, started, timers, adverts encoded, a peer heard, tracked objects down
# and up), the sync group coordinators, the strict-mode drop sets, the vrrp_script health,
# the process monitor's first count, the IPVS tables and their differences. A planning error
# is a refusal (fine); a trap or a sanitizer report is a finding.
# The corpus in Fuzz/corpus/config grows in place (seeded with etc/, the compatibility
# corpus and the test fixtures); crashes land in Fuzz/artifacts/. Reproduce one with
#   .build/fuzz-spm/release/vigil-plan-fuzz Fuzz/artifacts/crash-…
#
# How it is built, and why. Planning lives in VigilPlan and what is driven from it in
# VigilDaemon (swift-log, swift-prometheus, and through HealthCheck swift-nio, swift-crypto,
# swift-nio-ssl), so the former
# one-line `swiftc -sanitize=fuzzer,address` over VigilConfig's sources cannot build it.
# SwiftPM can: `swift build --sanitize=fuzzer --sanitize=address` instruments every module
# and links libFuzzer, whose main() calls LLVMFuzzerTestOneInput (the target has no main of
# its own: -parse-as-library). The executable target `vigil-plan-fuzz` is declared in
# Package.swift only when VIGIL_FUZZ is set, since it links only with the fuzzer runtime;
# a plain `swift build` never sees it. The build has its own scratch path (.build/fuzz-spm)
# so that the sanitized build and the normal debug build do not invalidate each other's
# cache. Release (-O: about 2.5 times the executions per second of a debug build, 65/s
# against 26/s over the seed corpus) with -enable-testing: the target reaches the daemon's
# internal pieces (Daemon.syncGroups, TrackProcessMonitor …) through @testable import.
# First build 4 to 8 minutes on 2 cores, about 20 s after a change in VigilConfig; the
# linker's "Cannot export local symbol '__asan_…'" warnings are filtered out (ASan's
# runtime with gold, harmless).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
scratch=.build/fuzz-spm
mkdir -p Fuzz/artifacts Fuzz/corpus/config
# swiftc keeps only the last -sanitize= it is given, and SwiftPM passes --sanitize=fuzzer
# --sanitize=address as two flags in no fixed order: a build had either coverage or ASan
# in the Swift code, never both. The -Xswiftc flag comes after SwiftPM's and has both.
VIGIL_FUZZ=1 swift build -c release --scratch-path "$scratch" --sanitize=fuzzer --sanitize=address \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing --product vigil-plan-fuzz 2>&1 | { grep -v "Cannot export local symbol '__asan" || true; }
fuzzer="$scratch/release/vigil-plan-fuzz"
[ -x "$fuzzer" ] || { echo "Fuzz/run.sh: $fuzzer was not built" >&2; exit 1; }
# Seed with the examples and the compatibility corpus (libFuzzer dedups by coverage).
"$fuzzer" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix=Fuzz/artifacts/ -print_final_stats=1 \
  Fuzz/corpus/config etc Tests/Compat/corpus Tests/VigilConfigTests/Fixtures

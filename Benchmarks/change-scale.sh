#!/usr/bin/env bash
# One real server's change at 200 virtual servers x 50 real servers: the time it takes to
# reach the kernel, and the time from start to the whole table programmed, on a real IPVS
# kernel (Debian's, in the qemu guest of Tests/IPVS/harness.sh; under software emulation,
# so compare the binaries rather than read the absolute times).
#   Benchmarks/change-scale.sh [TRIALS] [BINARY...]   (root; default: the release build)
cd "$(dirname "$0")/.."
trials=${1:-10}; shift || true
[ $# -gt 0 ] || set -- "$(pwd)/.build/release/vigil"
IPVS_TIMEOUT=${IPVS_TIMEOUT:-1200} exec Tests/IPVS/harness.sh Benchmarks/guest-change-scale.sh "$(pwd)" "$trials" "$@"

#!/usr/bin/env bash
# Health-check load: N real servers (default 1,000) checked with TCP_CHECK every
# delay_loop 1 s by vigil, then by keepalived's checker, on the same lab, in the qemu IPVS
# guest (keepalived's checker needs IPVS to start; this machine's kernel has none).
# Prints checks served per second (~N/s means not falling behind) and CPU s/s of each.
# Numbers are under software emulation (TCG): compare the two, not with bare metal.
# PROFILE=1 adds each daemon's top frames (perf, 10 s).
# Binaries after the arguments are measured too (an earlier build, to compare).
#   Benchmarks/checkers.sh [N] [WINDOW_SECONDS] [VIGIL_BINARY...]      (root; make release first)
cd "$(dirname "$0")/.."
exec Tests/IPVS/harness.sh Benchmarks/guest-checkers.sh "$(pwd)" "${1:-1000}" "${2:-20}" "${PROFILE:-0}" "${@:3}"

#!/usr/bin/env bash
# Health-check load on this machine's own kernel and CPU (no emulation): N real servers
# (default 1,000) TCP_CHECKed every delay_loop 1 s by vigil, in network namespaces.
# keepalived cannot run beside it here (its checker needs IPVS, which this kernel lacks);
# Benchmarks/checkers.sh compares the two in the qemu IPVS guest.
# Prints checks served per second (~N/s means not falling behind) and vigil's CPU s/s.
#   Benchmarks/checkers-host.sh [N] [WINDOW_SECONDS]      (root; make release first)
cd "$(dirname "$0")/.."
exec Benchmarks/guest-checkers.sh "$(pwd)" "${1:-1000}" "${2:-20}"

#!/usr/bin/env bash
# Time from a real server's death to its removal from IPVS, vigil beside keepalived, on a
# real IPVS kernel (Debian's, in the qemu guest of Tests/IPVS/harness.sh). HTTP_GET with
# delay_loop 1 s, connect_timeout 1 s, retry 0: the bound is delay_loop + connect_timeout.
# Times are under software emulation (TCG): compare the two daemons.
#   Benchmarks/removal.sh [TRIALS]      (root; make release first)
cd "$(dirname "$0")/.."
exec Tests/IPVS/harness.sh Benchmarks/guest-removal.sh "$(pwd)" "${1:-10}"

#!/usr/bin/env bash
# Time from start to a programmed IPVS table (one virtual server), Vigil beside keepalived's
# checker, then with a director's configuration (a VRRP instance beside it) each daemon as
# its unit runs it, on a real IPVS kernel (Debian's, in the qemu guest of
# Tests/IPVS/harness.sh; under software emulation: compare the two, and run it more than
# once: medians move by 10-15% between runs). Vigil runs stripped, as the package ships it.
#   Benchmarks/start-table.sh [TRIALS]      (root; make release first)
cd "$(dirname "$0")/.."
bin=.build/release/vigil; [ -x "$bin" ] || { echo "build the release first (swift build -c release)" >&2; exit 2; }
mkdir -p .build/bench
strip --strip-unneeded --remove-section=.comment --remove-section=.note -o .build/bench/vigil "$bin"
# About 10 s of guest time per trial (four starts and two --version runs under emulation):
# the harness's 600 s default is too short beyond 50 trials or so.
trials=${1:-5}
export IPVS_TIMEOUT=${IPVS_TIMEOUT:-$(( trials * 15 > 540 ? trials * 15 + 60 : 600 ))}
exec Tests/IPVS/harness.sh Benchmarks/guest-start-table.sh "$(pwd)" "$trials" "$(pwd)/.build/bench/vigil"

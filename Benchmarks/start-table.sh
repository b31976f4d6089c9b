#!/usr/bin/env bash
# Time from start to a programmed IPVS table (one virtual server), Vigil beside keepalived's
# checker, on a real IPVS kernel (Debian's, in the qemu guest of Tests/IPVS/harness.sh;
# under software emulation: compare the two). Vigil runs stripped, as the package ships it.
#   Benchmarks/start-table.sh [TRIALS]      (root; make release first)
cd "$(dirname "$0")/.."
bin=.build/release/vigil; [ -x "$bin" ] || { echo "build the release first (swift build -c release)" >&2; exit 2; }
mkdir -p .build/bench
strip --strip-unneeded --remove-section=.comment --remove-section=.note -o .build/bench/vigil "$bin"
exec Tests/IPVS/harness.sh Benchmarks/guest-start-table.sh "$(pwd)" "${1:-5}" "$(pwd)/.build/bench/vigil"

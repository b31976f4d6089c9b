#!/usr/bin/env bash
# Runs every integration drill (root: network namespaces) and prints a summary.
#   Tests/Integration/run.sh [VIGIL_BINARY]
# Each drill builds its own lab (own namespace prefix), cleans up on exit, and exits 1 if
# any of its checks failed.
cd "$(dirname "$0")"
export VIGIL=${1:-${VIGIL:-$(cd ../.. && pwd)/.build/debug/vigil}}
drills=(
    "vigil-pair.sh VERSION=2"
    "vigil-pair.sh VERSION=3"
    "vigil-options.sh"
    "one-per-box.sh"
    "guard.sh"
    "dynamic-interfaces.sh"
    "mixed-pair.sh VERSION=2"
    "mixed-pair.sh VERSION=3"
    "checksum-compat.sh"
    "startup-delay.sh"
    "garp-extra-if.sh"
    "bad-adverts.sh"
    "tracking.sh"
    "sync-group.sh"
    "ipv6.sh"
    "vmac.sh"
    "virtual-routes.sh"
    "address-options.sh"
    "strict-mode.sh"
    "reload.sh"
    "metrics.sh"
    "exhaustion.sh"
    "faults.sh"
    "handover.sh"
    "signals.sh"
    "drop-in.sh"
    "checkers.sh"
    "alerts.sh"
    "announce.sh"
    "announce-bgp.sh"
)
failed=()
for d in "${drills[@]}"; do
    read -r script vars <<< "$d"
    [ -x "$script" ] || continue
    echo "==> $d"
    start=$(date +%s)
    if env $vars timeout 600 "./$script"; then :; else failed+=("$d"); fi
    echo "    ($(( $(date +%s) - start )) s)"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "==> integration: ${#failed[@]} drill(s) failed: ${failed[*]}"
    exit 1
fi
echo "==> integration: all drills passed"

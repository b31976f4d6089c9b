#!/usr/bin/env bash
# Connections that survive a director's crash, with and without lvs_sync_daemon, on a
# real IPVS kernel (Debian's, in the qemu guest of Tests/IPVS/harness.sh): two Vigil
# directors (VRRPv3 at 0.1 s, LVS-DR, rr over two real servers), 20 TCP connections held
# through the VIP, the master killed. Runs Tests/IPVS/guest-sync-daemon.sh and prints its
# rounds: sync (the sync daemon following VI_1), none (no sync daemon), sloppy (none, with
# net.ipv4.vs.sloppy_tcp = 1).
#   Benchmarks/connection-survival.sh      (root; build first)
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
IPVS_OUT=$out Tests/IPVS/harness.sh Tests/IPVS/guest-sync-daemon.sh "$(pwd)" | grep -E "ROUND|SUMMARY|FAIL"
echo "round  held  went-on  broke"
awk '{ printf "%-6s %5s %8s %6s\n", $1, $2, $3, $4 }' "$out/sync-daemon-rounds.txt"

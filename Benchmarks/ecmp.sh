#!/usr/bin/env bash
# Active directors behind ECMP, on a real IPVS kernel (Debian's, in the qemu guest of
# Tests/IPVS/harness.sh): Tests/IPVS/guest-ecmp.sh TRIALS times, each a fresh VM and lab
# (three directors with Vigil, IPVS mh and FRR; a router with FRR, ECMP and BFD 100 ms x 3;
# two real servers; a client). Prints each trial's figures, then the median, min and max of
# each time and the connection figures of every trial:
#   check_withdraw_ms   Vigil's 'withdrawn' log line (its checks failed) to the router's FIB
#                       without that director
#   check_announce_ms   Vigil's 'announced' log line (checks pass again) to the FIB with it
#   kill_ms             SIGKILL of a director's Vigil to the FIB without it
#   bfd_ms              a director's link cut (the whole box dead) to the FIB without it: BFD
#   rejoin_ms           the restarted director's 'announced' to the FIB with it
#   conns60, servers60  60 connections over d1/d2/d3 and over r1/r2
#   fnat60              60 connections to the FNAT service over d1/d2/d3 (all answered,
#                       each through the director whose pool address its real server saw)
#   kill_kept           held connections (20, each asked a line every 100 ms) that stayed
#                       on their director across the SIGKILL: alive/all
#   kill_moved          those moved to another director: alive/all (mh + sloppy_tcp)
#   death_kept, death_moved  the same across the whole director's death
#   held_end, bfd_downs the held connections alive at the end; the router's BFD sessions
#                       that went down (1: the dead director's; more: a flap)
# Times are under software emulation (TCG, two CPUs, as make ipvs-test runs the drill):
# FRR's and Vigil's work is slowed with everything else; compare runs with each other, not
# with the host drill's figures.
#   Benchmarks/ecmp.sh [TRIALS]      (root; build first: the debug build, as make ipvs-test;
#                                     VIGIL_BIN=.build/release/vigil for the release one)
cd "$(dirname "$0")/.." || exit 1
TRIALS=${1:-5}
BIN=${VIGIL_BIN:-.build/debug/vigil}
[ -x "$BIN" ] || { echo "no $BIN: build first" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
for ((i = 1; i <= TRIALS; i++)); do
    mkdir -p "$out/$i"
    t0=$SECONDS
    IPVS_SMP=${IPVS_SMP:-2} IPVS_OUT=$out/$i Tests/IPVS/harness.sh Tests/IPVS/guest-ecmp.sh "$(pwd)" "$(pwd)/$BIN" > "$out/$i/console.txt" 2>&1
    rc=$?
    [ "$rc" = 0 ] || failed=$((failed + 1))
    echo "trial $i: status $rc, $((SECONDS - t0)) s: $(tr '\n' ' ' < "$out/$i/ecmp.txt" 2>/dev/null)"
    [ "$rc" = 0 ] || grep -E '^ +\| +FAIL' "$out/$i/console.txt"
done
echo
echo "figure             median      min      max   (of the trials that reported it)"
for key in check_withdraw_ms check_announce_ms kill_ms bfd_ms rejoin_ms; do
    cat "$out"/*/ecmp.txt 2>/dev/null | awk -F= -v k="$key" '$1 == k && $2 != "" { print $2 }' | sort -n |
        awk -v k="$key" '{ v[NR] = $1 } END {
            if (NR == 0) { printf "%-16s %8s\n", k, "-"; exit }
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%-16s %8.1f %8.1f %8.1f   (%d)\n", k, m, v[1], v[NR], NR }'
done
for key in conns60 servers60 fnat60 kill_kept kill_moved death_kept death_moved held_end bfd_downs; do
    printf '%-16s %s\n' "$key" "$(cat "$out"/*/ecmp.txt 2>/dev/null | awk -F= -v k="$key" '$1 == k { printf "%s  ", $2 }')"
done
echo "trials: $TRIALS, failed: $failed"
[ "$failed" = 0 ]

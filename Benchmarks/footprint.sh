#!/usr/bin/env bash
# Idle footprint as master, Vigil beside keepalived, at 1 and at 200 VRRP instances (root).
#
#   Benchmarks/footprint.sh [WINDOW_SECONDS]     (default 20)
#   VIGIL=path/to/vigil  (default .build/release/vigil, else .build/debug/vigil); an
#        unstripped binary is measured as a stripped copy, stripped as
#        packaging/deb/build-deb.sh strips the one the package ships
#
# One box alone on a bridge runs N instances (VRIDs 1..N, VRRPv2, advert_int 1, one VIP
# each from 198.18.0.0/15), so every instance becomes master. Once all VIPs are up and the
# gratuitous ARP bursts are over, it samples:
#   RSS  VmRSS summed over the daemon's processes (keepalived: parent, VRRP and checker
#        children; vigil: one process), and its two parts: File (RssFile: pages of the
#        binary and the shared libraries mapped in, shared with the page cache) and Anon
#        (RssAnon: heap, stacks, relocated data — the process's own)
#   CPU  utime + stime of those processes over the window, in CPU-seconds per second
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VIGIL=${VIGIL:-$ROOT/.build/release/vigil}
[ -x "$VIGIL" ] || VIGIL=$ROOT/.build/debug/vigil
source "$ROOT/Tests/Integration/lib.sh"
set +e
WINDOW=${1:-20}
[ "$(id -u)" = 0 ] || { echo "footprint: needs root (network namespaces)"; exit 2; }
TICK=$(getconf CLK_TCK)

lab_switch
lab_box lb1 192.0.2.11/24

instances_conf() {  # N -> path
    awk -v n="$1" 'BEGIN {
        print "global_defs {\n    router_id lb1\n    vrrp_garp_master_delay 1\n}"
        for (i = 1; i <= n; i++) {
            printf "vrrp_instance VI_%d {\n    state BACKUP\n    interface eth0\n    virtual_router_id %d\n", i, i
            printf "    priority 100\n    advert_int 1\n    virtual_ipaddress {\n        198.18.%d.%d/32\n    }\n}\n", int(i / 250), i % 250 + 1
        }
    }' > "$LABDIR/n$1.conf"
    echo "$LABDIR/n$1.conf"
}
pids_of() {  # NAME
    if [ "${KIND[$1]}" = keepalived ]; then keepalived_pids "$1" | sort -u; else echo "${PID[$1]}"; fi
}
status_kb() {  # FIELD (VmRSS, RssFile, RssAnon) -> kB summed over the processes
    local p t=0; for p in $(pids_of lb1); do t=$(( t + $(awk -v f="$1:" '$1 == f { print $2 }' /proc/$p/status) )); done; echo $t
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
threads() { local p t=0; for p in $(pids_of lb1); do t=$(( t + $(awk '/^Threads:/ { print $2 }' /proc/$p/status) )); done; echo $t; }
ticks()  { local p t=0; for p in $(pids_of lb1); do t=$(( t + $(awk '{ print $14 + $15 }' /proc/$p/stat) )); done; echo $t; }
vips()   { ip -n "${LAB}lb1" -4 -o addr show dev eth0 | grep -c " 198\.1[89]\." ; }
vips_at_least() { [ "$(vips)" -ge "$1" ]; }
no_vips() { [ "$(vips)" -eq 0 ]; }

SHOWN=$VIGIL
if file -b "$VIGIL" | grep -q 'not stripped'; then
    SHOWN="$VIGIL (measured stripped, as packaged)"
    cp "$VIGIL" "$LABDIR/vigil"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$LABDIR/vigil"
    VIGIL=$LABDIR/vigil
fi
echo "Idle footprint as master (window ${WINDOW} s). vigil: $SHOWN; keepalived: $(keepalived --version 2>&1 | head -1)"
kbin=$(command -v keepalived)
echo "binaries: vigil $(mb $(( $(stat -c %s "$VIGIL") / 1024 ))) MB ($(file -b "$VIGIL" | grep -o 'not stripped\|stripped')); keepalived $(mb $(( $(stat -c %s "$kbin") / 1024 ))) MB"
printf '%-12s %-10s %-8s %-8s %-8s %-10s %-10s %-8s\n' daemon instances RSS_MB File_MB Anon_MB CPU-s/s processes threads
for n in 1 200; do
    conf=$(instances_conf $n)
    for daemon in vigil keepalived; do
        "${daemon}_start" lb1 "$conf"
        if ! wait_until 30000 vips_at_least "$n"; then
            echo "$daemon: only $(vips) of $n instances became master within 30 s"; daemon_stop lb1; continue
        fi
        sleep 3   # the gratuitous ARP bursts (garp_master_delay 1, repeat 5) end
        t0=$(ticks); s0=$(date +%s%N)
        sleep "$WINDOW"
        t1=$(ticks); s1=$(date +%s%N)
        cpu=$(awk -v d=$(( t1 - t0 )) -v hz="$TICK" -v w=$(( s1 - s0 )) 'BEGIN { printf "%.4f", d / hz / (w / 1e9) }')
        printf '%-12s %-10s %-8s %-8s %-8s %-10s %-10s %-8s\n' "$daemon" "$n" "$(mb "$(status_kb VmRSS)")" \
            "$(mb "$(status_kb RssFile)")" "$(mb "$(status_kb RssAnon)")" "$cpu" "$(pids_of lb1 | wc -l)" "$(threads)"
        daemon_stop lb1
        wait_until 10000 no_vips
    done
done

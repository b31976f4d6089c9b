#!/usr/bin/env bash
# A flood of bogus adverts at a backup, Vigil beside keepalived: 100,000 adverts per second
# for 10 s (wrong password, priority 0 — a takeover if one were believed) at the backup of
# a pair (a Vigil master, priority 150, advert_int 1; sent to 224.0.0.18, so the master
# reads them too). Prints, per backup daemon: the CPU it spent, whether it took over (a
# false takeover: the master never stopped), and what the kernel dropped at its full
# socket buffer (/proc/net/raw), which is where genuine adverts get lost.
#   Benchmarks/flood.sh [RATE] [SECONDS]        (root; VIGIL=.build/release/vigil by default)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VIGIL=${VIGIL:-$ROOT/.build/release/vigil}
source "$ROOT/Tests/Integration/lib.sh"
INJECT=${INJECT:-$(dirname "$VIGIL")/vrrp-inject}
RATE=${1:-100000}
SECONDS_=${2:-10}
COUNT=$((RATE * SECONDS_))
VIP=192.0.2.100
# Multicast, as adverts travel: keepalived filters its socket (BPF) and never sees unicast
# adverts unless it has unicast peers; both daemons then read every one.
DEST=${DEST:-224.0.0.18}
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks=$(getconf CLK_TCK)
printf '| backup | adverts sent | rate achieved | backup CPU-s | per advert | took over | kernel drops |\n| --- | --- | --- | --- | --- | --- | --- |\n'
for daemon in vigil keepalived; do
    LAB=vf$$${daemon:0:1}
    lab_switch
    lab_box lb1 192.0.2.11/24
    lab_box lb2 192.0.2.12/24
    lab_box bad 192.0.2.66/24
    vigil_start lb1 "$(vrrp_conf lb1 150)"
    wait_until 6000 has_vip lb1 $VIP || { echo "lb1 did not become master"; exit 1; }
    if [ $daemon = vigil ]; then
        vigil_start lb2 "$(vrrp_conf lb2 100)"
        sleep 1
        pid=${PID[lb2]}
    else
        keepalived_start lb2 "$(vrrp_conf lb2 100)"
        wait_until 5000 test -s "$LABDIR/lb2.vrrp.pid"
        sleep 1
        pid=$(cat "$LABDIR/lb2.vrrp.pid")
    fi
    before=$(cpu "$pid")
    in_box bad "$INJECT" eth0 auth_password version=2 vrid=51 vip=$VIP priority=0 source=192.0.2.66 dest=$DEST \
        count=$COUNT rate=$RATE > "$LABDIR/flood.txt" 2>&1 &
    flood=$!
    took=no
    while kill -0 $flood 2>/dev/null; do has_vip lb2 $VIP && took=YES; sleep 0.1; done
    after=$(cpu "$pid")
    achieved=$(sed -n 's/.*(\([0-9]*\) per second).*/\1/p' "$LABDIR/flood.txt")
    dropped=$(in_box lb2 awk '$2 ~ /:0070$/ { d += $NF } END { print d + 0 }' /proc/net/raw)
    awk -v d=$daemon -v n=$COUNT -v r="$achieved" -v a=$before -v b=$after -v t=$ticks -v took=$took -v dr=$dropped \
        'BEGIN { c = (b - a) / t; printf "| %s | %d | %d/s | %.2f | %.1f µs | %s | %d |\n", d, n, r, c, c * 1e6 / n, took, dr }'
    daemon_stop lb2
    daemon_stop lb1
    for ((i = ${#NAMESPACES[@]} - 1; i >= 0; i--)); do ip netns del "${NAMESPACES[$i]}" 2>/dev/null; done
    NAMESPACES=()
done

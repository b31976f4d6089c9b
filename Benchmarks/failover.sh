#!/usr/bin/env bash
# Failover time, Vigil beside keepalived, same topology, same run (root).
#
#   Benchmarks/failover.sh [TRIALS]        (default 5 trials per row)
#   VIGIL=path/to/vigil  (default .build/release/vigil, else .build/debug/vigil)
#
# Per row a pair of the same daemon (lb1 priority 100 master, lb2 priority 90 backup), a
# client pinging the VIP every 5 ms, then the event: SIGTERM to the master, or a crash
# (SIGKILL plus its link cut); then the planned handovers: `vigil resign VI_1` on the
# master (Vigil only: keepalived has no resign; `vigil priority VI_1 reset` brings lb1
# back between trials), and "preempt": lb1, stopped, is started again while lb2 is master
# and takes the VIP back. SIGTERM, crash and resign are fired just after one of the
# master's adverts (a one-packet tcpdump in immediate mode waits for it), so that a
# crash's takeover is the whole Master_Down_Interval, as in the keepalived baselines
# measured beside it.
# Printed per row, medians over the trials:
#   takeover  event -> VIP added on the new master (the kernel's address event, ip monitor);
#             for preempt the event is lb1's start, so it includes the daemon's start-up
#   protocol  the master's last advert on the wire -> VIP added on lb2: what RFC 3768 /
#             RFC 5798 bound by Skew_Time (after a priority-0 advert) or
#             Master_Down_Interval (after silence); the goal is limit + 5 ms at most.
#             Not for preempt, whose limit is lb1's own Master_Down_Interval from its start
#   outage    the client's longest silence between two ping replies
#   lost      ping replies lost (of ~200 a second), by sequence number
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VIGIL=${VIGIL:-$ROOT/.build/release/vigil}
[ -x "$VIGIL" ] || VIGIL=$ROOT/.build/debug/vigil
source "$ROOT/Tests/Integration/lib.sh"
set +e
TRIALS=${1:-5}
VIP=192.0.2.100
[ "$(id -u)" = 0 ] || { echo "failover: needs root (network namespaces)"; exit 2; }
command -v keepalived > /dev/null || { echo "failover: keepalived is not installed"; exit 2; }

lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box client 192.0.2.50/24
watch_addresses lb1
watch_addresses lb2
spawn "$LABDIR/adverts" ip netns exec "${LAB}sw" tcpdump -tt -l -nn -i br0 "vrrp and src host 192.0.2.11"
HELPERS+=($!)

# vip_added_ns NAME T0: VIP added on the box after T0 (ns since the epoch), or empty.
vip_added_ns() {
    local stamp t
    while read -r stamp; do
        t=$(date -d "$stamp" +%s%N)
        [ "$t" -ge "$2" ] && { echo "$t"; return; }
    done < <(grep -v Deleted "$LABDIR/$1.addr" | grep " inet $VIP/" | sed -n 's/^\[\([^]]*\)\].*/\1/p')
}
# The master's last advert on the wire before T (ns), as ns since the epoch.
last_advert_ns() {
    awk -v t="$1" '{ split($1, p, "."); ns = p[1] * 1e9 + p[2] * 1e3; if (ns < t) last = ns } END { printf "%.0f", last }' "$LABDIR/adverts"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m }'; }
range() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%.0f-%.0f", lo, hi }'; }

start_pair_member() {  # DAEMON NAME CONF
    "${1}_start" "$2" "$3"
}

ctl() { local box=$1; shift; ip netns exec "${LAB}$box" "$VIGIL" "$@" --socket "$LABDIR/$box.sock"; }
on_only() { has_vip "$1" $VIP && lacks_vip "$2" $VIP; }

# row DAEMON VERSION ADVERT EVENT -> appends "takeover protocol outage lost" lines to
# $LABDIR/row (protocol "-" for preempt)
row() {
    local daemon=$1 version=$2 advert=$3 event=$4 mdi_ms wait_ms new=lb2 old=lb1
    mdi_ms=$(awk -v a="$advert" 'BEGIN { printf "%d", (3 * a + (256 - 90) * a / 256) * 1000 }')
    wait_ms=$(( mdi_ms * 2 + 3000 ))
    [ "$event" = preempt ] && { new=lb1; old=lb2; }
    local c1 c2
    c1=$(vrrp_conf lb1 100 version="$version" advert="$advert")
    c2=$(vrrp_conf lb2 90 version="$version" advert="$advert")
    : > "$LABDIR/row"
    start_pair_member "$daemon" lb2 "$c2"
    start_pair_member "$daemon" lb1 "$c1"
    for ((trial = 1; trial <= TRIALS; trial++)); do
        if ! wait_until "$wait_ms" has_vip lb1 $VIP || ! wait_until 3000 lacks_vip lb2 $VIP; then
            echo "    trial $trial: the pair did not settle with lb1 as master; skipped"; continue
        fi
        if [ "$event" = preempt ]; then  # lb1 stops first: lb2 is master when lb1 returns
            daemon_stop lb1
            if ! wait_until "$wait_ms" on_only lb2 lb1; then
                echo "    trial $trial: lb2 did not take over from the stopped lb1; skipped"
                start_pair_member "$daemon" lb1 "$c1"; continue
            fi
        fi
        sleep 0.3
        ping_start client $VIP
        sleep 0.3
        [ "$event" = preempt ] ||
            ip netns exec "${LAB}sw" timeout 5 tcpdump --immediate-mode -i br0 -c 1 -nn "vrrp and src host 192.0.2.11" > /dev/null 2>&1
        local t=$(now_ns)
        case $event in
            sigterm) kill -TERM "${PID[lb1]}" ;;
            crash) daemon_kill lb1; cut_link lb1 ;;
            resign) ctl lb1 resign VI_1 > /dev/null 2>&1 ;;
            preempt) start_pair_member "$daemon" lb1 "$c1" ;;
        esac
        if [ "$event" = crash ]; then wait_until "$wait_ms" has_vip lb2 $VIP; else wait_until "$wait_ms" on_only $new $old; fi
        sleep 0.2
        ping_stop
        [ "$event" = sigterm ] && daemon_stop lb1
        local added=$(vip_added_ns $new "$t")
        if [ -z "$added" ]; then echo "    trial $trial: $new never took over"; else
            local protocol=-
            [ "$event" = preempt ] || protocol=$(( (added - $(last_advert_ns "$added")) / 1000 ))
            echo "$(( (added - t) / 1000 )) $protocol $(ping_outage_ms client) $(ping_lost client)" >> "$LABDIR/row"
        fi
        # Back to the start: lb1 returns (a crashed box's VIP removed, as after a reboot),
        # or gets its priority back and preempts.
        case $event in
            crash) ip -n "${LAB}lb1" addr del "$VIP/24" dev eth0 2> /dev/null; restore_link lb1; start_pair_member "$daemon" lb1 "$c1" ;;
            sigterm) start_pair_member "$daemon" lb1 "$c1" ;;
            resign) ctl lb1 priority VI_1 reset > /dev/null 2>&1 ;;
        esac
    done
    daemon_stop lb1
    daemon_stop lb2
}

# bash forks command substitutions with this script's EXIT trap and then reports
# "wait_for: No record of process" on some of them: noise, filtered.
exec 2> >(grep -v "wait_for: No record of process" >&2)

printf '%s\n' "Failover, $TRIALS trials per row (medians; ms). vigil: $VIGIL; keepalived: $(keepalived --version 2>&1 | head -1)"
printf '%-26s %-9s %-11s %-24s %-24s %-14s %-6s\n' "setting / event" "limit" "daemon" "takeover (range)" "protocol (range)" "client outage" "lost"
for setting in "2 1" "3 0.1" "3 0.01"; do
    read -r version advert <<< "$setting"
    for event in sigterm crash resign preempt; do
        # Skew_Time of the backup (90) after a priority-0 advert; Master_Down_Interval of
        # the backup after a crash, of the returning lb1 (100) when it preempts.
        limit=$(awk -v a="$advert" -v e="$event" 'BEGIN { s = (256 - 90) * a / 256; if (e == "crash") s += 3 * a; if (e == "preempt") s = 3 * a + (256 - 100) * a / 256; printf "%.1f", s * 1000 }')
        for daemon in vigil keepalived; do
            if [ "$event" = resign ] && [ "$daemon" = keepalived ]; then
                printf '%-26s %-9s %-11s %s\n' "v$version advert_int $advert $event" "$limit" "$daemon" "n/a: keepalived has no resign"
                continue
            fi
            row "$daemon" "$version" "$advert" "$event"
            to=$(awk '{ print $1 / 1000 }' "$LABDIR/row"); pr=$(awk '$2 != "-" { print $2 / 1000 }' "$LABDIR/row")
            protocol="$(echo "$pr" | median) ($(echo "$pr" | range))"
            [ "$event" = preempt ] && protocol=-
            printf '%-26s %-9s %-11s %-24s %-24s %-14s %-6s\n' "v$version advert_int $advert $event" "$limit" "$daemon" \
                "$(echo "$to" | median) ($(echo "$to" | range))" "$protocol" \
                "$(awk '{ print $3 }' "$LABDIR/row" | median)" "$(awk '{ print $4 }' "$LABDIR/row" | median)"
        done
    done
done

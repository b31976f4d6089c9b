#!/usr/bin/env bash
# The guard on a master's own state: another program removing the master's VIP
# (`ip addr del`, as a DHCP client or NetworkManager would) is noticed from netlink at
# once; Vigil puts it back with a fresh gratuitous ARP, logs one line, counts it in
# `vigil status`. A client pinging the VIP every 5 ms loses at most one reply per removal.
# A VIP added by another program on the backup is reported and left in place. The same
# for the master's virtual routes and rules (`ip route del`, `ip rule del`) and for the
# vrrp_strict table (`nft delete table inet vigil`, `nft flush ruleset`): put back, the
# VIP still silent to the client.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
TRIALS=10
echo "guard: what another program removes from a master is restored"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box cli 192.0.2.50/24

c1=$(vrrp_conf lb1 100 version=3 advert=0.1)
c2=$(vrrp_conf lb2 90 version=3 advert=0.1)
vigil_start lb1 "$c1"
vigil_start lb2 "$c2"
check "lb1 becomes master" wait_until 3000 has_vip lb1 $VIP
check "lb2 stays backup" settled_for 1000 500 lacks_vip lb2 $VIP

watch_addresses lb1
ping_start cli $VIP
check "the client reaches the VIP" wait_until 2000 sh -c "grep -q 'bytes from' '$LABDIR/cli.ping'"
sleep 0.3
for ((t = 1; t <= TRIALS; t++)); do
    ip -n "${LAB}lb1" addr del $VIP/24 dev eth0
    wait_until 2000 has_vip lb1 $VIP || break
    sleep 0.3
done
sleep 0.2
ping_stop
# Restoration time: each "Deleted" of the VIP to the next add, from the kernel's own events.
grep " inet $VIP/" "$LABDIR/lb1.addr" | sed -n 's/^\[\([^]]*\)\] *\(Deleted\)\{0,1\}.*/\1 \2/p' | while read -r stamp deleted; do
    echo "$(date -d "$stamp" +%s%N) ${deleted:-Added}"
done | awk '$2 == "Deleted" { d = $1; next } d != "" { printf "%.2f\n", ($1 - d) / 1e6; d = "" }' > "$LABDIR/restore-ms"
n=$(grep -c . "$LABDIR/restore-ms")
median=$(sort -n "$LABDIR/restore-ms" | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
worst=$(sort -n "$LABDIR/restore-ms" | tail -1)
read -r received sent <<< "$(ping_counts cli | tr / ' ')"
lost=$(( ${sent:-0} - ${received:-0} ))
echo "       $n removals: restored after median ${median:-?} ms, worst ${worst:-?} ms (ip monitor, Deleted -> added)"
echo "       client: $received/$sent replies, $lost lost over $TRIALS removals; longest silence $(ping_outage_ms cli) ms"
check "every removal was seen and restored ($n of $TRIALS)" test "$n" = $TRIALS
check "median restoration under 50 ms" awk -v m="${median:-999}" 'BEGIN { exit !(m < 50) }'
check "the client lost at most one reply per removal ($lost)" test "$lost" -le $TRIALS
check "the client's replies were counted (>= 200)" test "${received:-0}" -ge 200
check "one log line per removal" test "$(grep -c "was removed from eth0 by another program; restored" "$LABDIR/lb1.log")" = $TRIALS
check "lb1 stayed master (no transition after the first)" test "$(grep -c -- '-> MASTER' "$LABDIR/lb1.log")" = 1
check "lb2 never took the VIP" lacks_vip lb2 $VIP
in_box lb1 "$VIGIL" status --socket "$LABDIR/lb1.sock" > "$LABDIR/status.txt" 2>&1
check "vigil status counts the restorations (address=$TRIALS)" grep -Eq "^VI_1 .* address=$TRIALS\$" "$LABDIR/status.txt"
in_box lb1 "$VIGIL" status --json --socket "$LABDIR/lb1.sock" > "$LABDIR/status.json" 2>&1
check "vigil status --json has them" grep -q "\"address\" : $TRIALS" "$LABDIR/status.json"

# Someone adds the VIP on the backup: reported, not removed.
ip -n "${LAB}lb2" addr add $VIP/24 dev eth0
check "a VIP added on the backup is reported" wait_until 2000 log_has lb2 "was added to eth0 by another program while this box is BACKUP"
check "and left in place" holds_for 500 has_vip lb2 $VIP
in_box lb2 "$VIGIL" status --socket "$LABDIR/lb2.sock" > "$LABDIR/status2.txt" 2>&1
check "vigil status on the backup counts it (foreign=1)" grep -q "foreign=1" "$LABDIR/status2.txt"
ip -n "${LAB}lb2" addr del $VIP/24 dev eth0

daemon_stop lb1
check "SIGTERM: lb1 exits 0" test "$STATUS" = 0
check "its own removal at stop is not restored" lacks_vip lb1 $VIP
check "lb2 takes over" wait_until 2000 has_vip lb2 $VIP
daemon_stop lb2

# Virtual routes and rules, and the strict table, on the master.
TABLE="inet vigil"
routes="    virtual_routes {
        198.51.100.0/24 via 192.0.2.1 dev eth0
        blackhole 203.0.113.0/24
    }
    virtual_rules {
        from 192.0.2.100 table 100 priority 1000
    }"
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 pass=none global="    vrrp_strict" extra="$routes")
c2=$(vrrp_conf lb2 90 version=3 advert=0.1 pass=none global="    vrrp_strict" extra="$routes")
: > "$LABDIR/lb1.log"
vigil_start lb1 "$c1"
vigil_start lb2 "$c2"
has_route()  { ip -n "${LAB}$1" route show "$2" proto 18 2>/dev/null | grep -q .; }
has_rule()   { ip -n "${LAB}$1" rule show 2>/dev/null | grep -q "^1000:.*from 192.0.2.100 lookup 100"; }
has_table()  { ip netns exec "${LAB}$1" nft list table $TABLE >/dev/null 2>&1; }
drops_vip()  { ip netns exec "${LAB}$1" nft list set $TABLE vips4 2>/dev/null | grep -q "elements = { $VIP }"; }
silent()     { ! in_box cli ping -n -c 2 -i 0.2 -W 1 $VIP >/dev/null 2>&1; }
check "strict + routes: lb1 master with its routes, rule and table" \
    wait_until 3000 sh -c "$(declare -f has_route has_rule has_table); LAB=$LAB TABLE='$TABLE'; has_route lb1 198.51.100.0/24 && has_rule lb1 && has_table lb1"
check "the VIP is silent to the client (no_accept)" silent
# elapsed_ms T0_NS: milliseconds since T0 (the polls' own cost, a few ms, included).
elapsed_ms() { echo $(( ($(now_ns) - $1) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
# Ten route deletions, timed by the kernel's own events (ip monitor: Deleted -> added).
spawn "$LABDIR/lb1.routes" ip -n "${LAB}lb1" -tshort monitor route
HELPERS+=($!)
sleep 0.2
restored=0
for ((t = 1; t <= TRIALS; t++)); do
    ip -n "${LAB}lb1" route del 198.51.100.0/24
    wait_until 500 has_route lb1 198.51.100.0/24 && restored=$((restored + 1))
    sleep 0.1
done
grep " 198.51.100.0/24 " "$LABDIR/lb1.routes" | sed -n 's/^\[\([^]]*\)\] *\(Deleted\)\{0,1\}.*/\1 \2/p' | while read -r stamp deleted; do
    echo "$(date -d "$stamp" +%s%N) ${deleted:-Added}"
done | awk '$2 == "Deleted" { d = $1; next } d != "" { printf "%.2f\n", ($1 - d) / 1e6; d = "" }' > "$LABDIR/route-ms"
echo "       $(grep -c . "$LABDIR/route-ms") route deletions: back after median $(median < "$LABDIR/route-ms") ms, worst $(sort -n "$LABDIR/route-ms" | tail -1) ms (ip monitor)"
check "ip route del: the route is restored ($restored of $TRIALS)" test "$restored" = $TRIALS
check "median route restoration under 50 ms" awk -v m="$(median < "$LABDIR/route-ms")" 'BEGIN { exit !(m != "" && m < 50) }'
ip -n "${LAB}lb1" route del blackhole 203.0.113.0/24
check "ip route del blackhole: restored" wait_until 500 has_route lb1 203.0.113.0/24
ip -n "${LAB}lb1" rule del priority 1000
check "ip rule del: the rule is restored" wait_until 500 has_rule lb1
check "each logged once" sh -c "[ \$(grep -c 'route .* was removed by another program; restored' '$LABDIR/lb1.log') = $((TRIALS + 1)) ] && [ \$(grep -c 'rule .* was removed by another program; restored' '$LABDIR/lb1.log') = 1 ]"
# Ten table deletions, timed by polling the set (each poll is an nft run of a few ms).
: > "$LABDIR/table-ms"; restored=0
for ((t = 1; t <= TRIALS; t++)); do
    t0=$(now_ns); ip netns exec "${LAB}lb1" nft delete table $TABLE
    if wait_until 1000 drops_vip lb1; then restored=$((restored + 1)); elapsed_ms $t0 >> "$LABDIR/table-ms"; fi
    sleep 0.1
done
echo "       $TRIALS table deletions: back after median $(median < "$LABDIR/table-ms") ms, worst $(sort -n "$LABDIR/table-ms" | tail -1) ms (polled; Vigil's two nft runs included)"
check "nft delete table: the table is back, dropping the VIP ($restored of $TRIALS)" test "$restored" = $TRIALS
check "median table restoration under 50 ms" awk -v m="$(median < "$LABDIR/table-ms")" 'BEGIN { exit !(m != "" && m < 50) }'
check "logged naming the process" wait_until 500 log_has lb1 "nftables table $TABLE was changed by process [0-9]* (nft); restoring it"
ip netns exec "${LAB}lb1" nft flush ruleset
check "nft flush ruleset: the table is back" wait_until 1000 drops_vip lb1
check "the VIP is still silent to the client" silent
in_box lb1 "$VIGIL" status --socket "$LABDIR/lb1.sock" > "$LABDIR/status3.txt" 2>&1
check "vigil status counts them (route=$((TRIALS + 1)), rule=1, strict table=$((TRIALS + 1)))" grep -q "route=$((TRIALS + 1)),rule=1,strict table=$((TRIALS + 1))" "$LABDIR/status3.txt"
check "lb1 stayed master throughout" test "$(grep -c -- '-> MASTER' "$LABDIR/lb1.log")" = 1
check "its own nft runs did not set the guard off ($((TRIALS + 1)) restorations logged)" test "$(grep -c "nftables table $TABLE was changed" "$LABDIR/lb1.log")" = $((TRIALS + 1))
check "the backup has none of it" sh -c "$(declare -f has_route has_table); LAB=$LAB TABLE='$TABLE'; ! has_route lb2 198.51.100.0/24 && ! has_table lb2"
daemon_stop lb1
check "stop: its own removals are not undone (no route, no table on lb1)" \
    sh -c "$(declare -f has_route has_table); LAB=$LAB TABLE='$TABLE'; ! has_route lb1 198.51.100.0/24 && ! has_table lb1"
check "lb2 takes over with the routes and the table" wait_until 2000 sh -c "$(declare -f has_route has_table); LAB=$LAB TABLE='$TABLE'; has_route lb2 198.51.100.0/24 && has_table lb2"
daemon_stop lb2
finish

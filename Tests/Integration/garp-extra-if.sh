#!/usr/bin/env bash
# garp_extra_if all SECONDS: a master whose instance runs on eth0 (LAN 1) and holds an
# excluded address on eth1 (LAN 2) announces that address on LAN 2 again every SECONDS,
# the first garp_master_delay + SECONDS after it became master, timed by a client on LAN 2
# capturing ARP (tcpdump). Without 'all' nothing is sent there after the takeover burst,
# as keepalived (it would send only on macvlans made for single addresses).
source "$(dirname "$0")/lib.sh"
lab_switch
lab_bridge br1
lab_box lb1 192.0.2.11/24
lab_link lb1 eth1 br1 198.51.100.11/24
lab_box client 198.51.100.50/24 br1
EXTRA=198.51.100.100

# capture: the client timestamps every ARP for the extra address (epoch seconds).
capture() {
    : > "$LABDIR/client.arp"
    spawn "$LABDIR/client.arp" ip netns exec "${LAB}client" tcpdump -n -l -tt -i eth0 arp and host $EXTRA
    CAPTURE=$!
    HELPERS+=($CAPTURE)
    wait_until 3000 grep -q "listening on" "$LABDIR/client.arp"
}
# arp_times T0_MS: milliseconds from T0 of each ARP for the extra address, one per line.
arp_times() { awk -v t0="$1" '/ARP/ { printf "%d\n", $1 * 1000 - t0 }' "$LABDIR/client.arp"; }
# later_than MS: ARPs captured more than MS after T0 (the takeover burst is over by then).
later_than() { arp_times "$T0" | awk -v ms="$1" '$1 > ms' | wc -l; }

# conf EXTRA_LINE: the owner (255) with garp_master_delay 1 and the address on eth1.
conf() {
    vrrp_conf lb1 255 state=MASTER extra="    garp_master_delay 1
    garp_master_repeat 1
    virtual_ipaddress_excluded {
        $EXTRA/24 dev eth1
    }
$1"
}

# 1. garp_extra_if all 2: rounds at about 1 + 2, 5, 7 s after the takeover.
capture
c1=$(conf "    garp_extra_if all 2")
T0=$(now_ms)
vigil_start lb1 "$c1"
check "all 2: lb1 is master with the extra address" wait_until 3000 has_vip lb1 $EXTRA
wait_until 9000 bash -c "[ \$(awk '/ARP/' $LABDIR/client.arp | wc -l) -ge 5 ]"
times=$(arp_times "$T0" | paste -sd' ' -)
echo "       ARPs for $EXTRA on LAN 2 at [$times] ms"
rounds=$(later_than 2500)
check "all 2: rounds on LAN 2 after the takeover and the delayed burst ($rounds in the first 9 s, expected ≥ 3)" \
    test "$rounds" -ge 3
gaps=$(arp_times "$T0" | awk '$1 > 2500' | awk 'NR > 1 { g = $1 - last; if (g < 1800 || g > 2400) bad++ } { last = $1 } END { print bad + 0 }')
check "all 2: 2 s apart (gaps outside 1.8–2.4 s: $gaps)" test "$gaps" = 0
daemon_stop lb1
kill -TERM "$CAPTURE" 2>/dev/null; wait "$CAPTURE" 2>/dev/null

# 2. The control: garp_extra_if 2 without 'all' sends nothing after the takeover's bursts.
capture
: > "$LABDIR/lb1.log"
c1=$(conf "    garp_extra_if 2")
T0=$(now_ms)
vigil_start lb1 "$c1"
check "without all: lb1 is master with the extra address" wait_until 3000 has_vip lb1 $EXTRA
sleep 7
rounds=$(later_than 2500)
echo "       ARPs for $EXTRA on LAN 2 at [$(arp_times "$T0" | paste -sd' ' -)] ms"
check "without all: no round on LAN 2 after the takeover's bursts ($rounds)" test "$rounds" = 0
daemon_stop lb1
kill -TERM "$CAPTURE" 2>/dev/null; wait "$CAPTURE" 2>/dev/null
finish

#!/usr/bin/env bash
# Boot order and interfaces that come and go (global_defs dynamic_interfaces):
# - lb1's instance runs on eth1, which does not exist when vigil starts (as a VLAN or bond
#   the network service creates later): `vigil check --host` warns, `vigil run` starts
#   with the instance in FAULT; eth1 created 5 s later -> it joins and becomes master;
# - eth1 deleted -> FAULT, lb2 takes over; re-created (a new ifindex) -> lb1 is back,
#   timed from the `ip link add` (goal: within one Master_Down_Interval, 0.36 s here);
# - without dynamic_interfaces a missing interface still stops the start, saying how.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
MDI_MS=360
echo "dynamic_interfaces: an interface created after the start, deleted and re-created"
lab_switch
lab_box lb2 192.0.2.12/24
ip netns add "${LAB}lb1" && NAMESPACES+=("${LAB}lb1")
ip -n "${LAB}lb1" link set lo up

# eth1 of lb1, plugged into the switch as lab_box plugs eth0.
attach_eth1() {
    ip link add "${LAB}lb1b" type veth peer name eth1 netns "${LAB}lb1"
    ip link set "${LAB}lb1b" netns "${LAB}sw"
    ip -n "${LAB}sw" link set "${LAB}lb1b" master br0 up
    ip -n "${LAB}lb1" addr add 192.0.2.11/24 dev eth1
    ip -n "${LAB}lb1" link set eth1 up
}
has_vip_on_eth1() { ip -n "${LAB}lb1" -4 -o addr show dev eth1 2>/dev/null | grep -q " $VIP/"; }

c1=$(vrrp_conf lb1 100 version=3 advert=0.1 global="    dynamic_interfaces")
sed -i 's/interface eth0/interface eth1/' "$c1"
c2=$(vrrp_conf lb2 90 version=3 advert=0.1)
vigil_start lb2 "$c2"
check "lb2 alone becomes master" wait_until 3000 has_vip lb2 $VIP

in_box lb1 "$VIGIL" check --host -f "$c1" > "$LABDIR/check.txt" 2>&1; rc=$?
check "vigil check --host: a warning, exit 0 (got $rc)" sh -c "[ $rc = 0 ] && grep -q \"warning: vrrp_instance VI_1: interface 'eth1' does not exist on this host (dynamic_interfaces\" '$LABDIR/check.txt'"

vigil_start lb1 "$c1"
check "lb1 starts with eth1 missing, VI_1 in FAULT" wait_until 3000 log_has lb1 "interface eth1 does not exist yet: FAULT until it appears"
check "lb1's daemon keeps running" holds_for 1000 sh -c "kill -0 ${PID[lb1]}"
in_box lb1 "$VIGIL" status --socket "$LABDIR/lb1.sock" > "$LABDIR/status.txt" 2>&1
check "vigil status: VI_1 on eth1 in FAULT" grep -Eq "^VI_1 +eth1 +51 +FAULT" "$LABDIR/status.txt"
check "lb2 stays master meanwhile" holds_for 3900 has_vip lb2 $VIP
attach_eth1
t0=$(now_ms)
check "eth1 created 5 s after the start: lb1 joins and becomes master" wait_until 3000 has_vip_on_eth1
echo "       eth1 created -> VIP on lb1: $(( $(now_ms) - t0 )) ms"
check "lb2 releases the VIP" wait_until 1000 lacks_vip lb2 $VIP

ip -n "${LAB}lb1" link del eth1
check "eth1 deleted: lb2 takes over" wait_until 2000 has_vip lb2 $VIP
check "lb1 logs the interface gone" wait_until 1000 log_has lb1 "interface eth1 removed"
sleep 0.5
attach_eth1
t0=$(now_ns)
ok=0; wait_until 3000 has_vip_on_eth1 && ok=1
back=$(( ($(now_ns) - t0) / 1000000 ))
echo "       eth1 re-created (new index $(ip -n "${LAB}lb1" -o link show eth1 | cut -d: -f1)) -> VIP on lb1: $back ms (Master_Down_Interval $MDI_MS ms)"
check "eth1 re-created: lb1 master again" test $ok = 1
# A returning backup must let Master_Down_Interval run out before it preempts a lower
# priority (RFC 5798 6.4.2; keepalived alike): from the link being up, that is the limit.
up_to_master=$(awk '/interface eth1 is up/ { split($1, a, "T"); up = a[2] } /BACKUP -> MASTER/ && up { split($1, b, "T"); m = b[2] }
    END { split(up, u, ":"); split(m, v, ":"); if (up && m) printf "%d", ((v[2] * 60 + v[3]) - (u[2] * 60 + u[3])) * 1000 }' "$LABDIR/lb1.log")
echo "       from eth1 up to MASTER (lb1's log): ${up_to_master:-?} ms"
check "master within one Master_Down_Interval of eth1 up (+20 ms)" test "${up_to_master:-9999}" -le $((MDI_MS + 20))
check "no error while the interface went and came" sh -c "! grep -q ' error ' '$LABDIR/lb1.log'"
check "lb2 releases the VIP again" wait_until 1000 lacks_vip lb2 $VIP
check "lb1 re-announced the VIP on the new eth1 (sent adverts from it)" sh -c "ip netns exec ${LAB}sw timeout 3 tcpdump -i br0 -nn -c 3 vrrp 2>/dev/null | grep -q '192.0.2.11 > 224.0.0.18: VRRPv3'"
daemon_stop lb1
check "SIGTERM: exit 0" test "$STATUS" = 0
check "the VIP is gone from lb1" sh -c "! ip -n ${LAB}lb1 -4 -o addr show dev eth1 | grep -q ' $VIP/'"

# Without dynamic_interfaces: refused at start, naming the option.
sed -i '/dynamic_interfaces/d; s/interface eth1/interface eth9/' "$c1"
in_box lb1 "$VIGIL" run -f "$c1" --control-socket "" > "$LABDIR/refused.txt" 2>&1; rc=$?
echo "       without dynamic_interfaces: exit $rc: $(grep -m1 eth9 "$LABDIR/refused.txt")"
check "without dynamic_interfaces a missing interface stops the start (exit 1)" sh -c "[ $rc = 1 ] && grep -q \"interface 'eth9'\" '$LABDIR/refused.txt'"
daemon_stop lb2
finish

#!/usr/bin/env bash
# use_vmac with two Vigil directors (VRRPv3, advert_int 0.1): the VIP lives on a macvlan
# with the virtual MAC 00:00:5e:00:01:33 (VRID 51), so a client's neighbour entry for the
# VIP names that MAC and stays right across a failover; the macvlan is created at start
# and removed at exit, and one left by a crash is replaced.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
VMAC=00:00:5e:00:01:33
echo "use_vmac: the VIP answers from the virtual MAC"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box client 192.0.2.50/24
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 extra="    use_vmac")
c2=$(vrrp_conf lb2 90 version=3 advert=0.1 extra="    use_vmac")
has_vmac() { ip -n "${LAB}$1" -o link show vrrp.51 2>/dev/null | grep -q "link/ether $VMAC"; }
lacks_vmac() { ! ip -n "${LAB}$1" link show vrrp.51 > /dev/null 2>&1; }
vip_on_vmac() { ip -n "${LAB}$1" -4 -o addr show dev vrrp.51 2>/dev/null | grep -q " $VIP/"; }
client_pings() { in_box client ping -c 1 -W 1 $VIP > /dev/null 2>&1; }
client_sees_vmac() { in_box client ip neigh show $VIP dev eth0 | grep -q "lladdr $VMAC"; }

vigil_start lb1 "$c1"
vigil_start lb2 "$c2"
check "lb1 becomes master with the VIP on vrrp.51" wait_until 3000 vip_on_vmac lb1
check "both boxes have vrrp.51 with MAC $VMAC (bridge mode)" bash -c "ip -n ${LAB}lb1 -d link show vrrp.51 | grep -q 'macvlan mode bridge' && ip -n ${LAB}lb2 -o link show vrrp.51 | grep -q $VMAC"
# (Started together, lb2's timer may run out first: it is master for a moment and, hearing
# lb1, keeps the VIP 20 ms more — make-before-break. Waited out.)
check "lb2 holds no VIP" wait_until 1000 lacks_vip lb2 $VIP
check "the client reaches the VIP" wait_until 2000 client_pings
check "the client's neighbour entry for the VIP is the virtual MAC" client_sees_vmac
ip netns exec "${LAB}sw" timeout 3 tcpdump -i br0 -nn -e -c 3 -l vrrp > "$LABDIR/vmac.txt" 2>/dev/null
check "adverts leave from the virtual MAC" grep -q "^[0-9:. ]*$VMAC > 01:00:5e:00:00:12" "$LABDIR/vmac.txt"
# A live reload keeps the macvlan: unchanged, then with a new priority (a changed
# instance reuses the macvlan of the same name; its VIP stays on it, the client's entry too).
index() { ip -n "${LAB}$1" -o link show vrrp.51 | cut -d: -f1; }
before=$(index lb1)
kill -HUP "${PID[lb1]}"
check "reload (unchanged): the instance runs on" wait_until 2000 log_has lb1 "1 unchanged, 0 changed"
sed -i 's/priority 100/priority 110/' "$c1"
kill -HUP "${PID[lb1]}"
check "reload (priority 110): the instance changed and carries on as master" wait_until 2000 log_has lb1 "0 unchanged, 1 changed"
check "  the same vrrp.51 (ifindex $before), not a new one" test "$(index lb1)" = "$before"
check "  the VIP is on it" wait_until 1000 vip_on_vmac lb1
check "  and lb2 never took it" lacks_vip lb2 $VIP
sed -i 's/priority 110/priority 100/' "$c1"
daemon_stop lb1
check "SIGTERM on lb1: lb2 takes the VIP on its vrrp.51" wait_until 2000 vip_on_vmac lb2
check "  lb1's vrrp.51 is removed on exit" lacks_vmac lb1
check "  the client still reaches the VIP" wait_until 2000 client_pings
check "  with the same MAC in its neighbour entry (no ARP change needed)" client_sees_vmac
vigil_start lb1 "$c1"
check "lb1 back: it preempts, VIP on its vrrp.51" wait_until 3000 vip_on_vmac lb1
check "  lb2 released the VIP" wait_until 1000 lacks_vip lb2 $VIP
daemon_kill lb1
check "SIGKILL leaves lb1's vrrp.51 behind" has_vmac lb1
restore_link lb1
check "lb2 takes over after the crash" wait_until 2000 vip_on_vmac lb2
vigil_start lb1 "$c1"
check "restart: the leftover vrrp.51 is replaced" wait_until 2000 log_has lb1 "deleted vrrp.51 left from an earlier run"
check "  and lb1 is master again on it" wait_until 3000 vip_on_vmac lb1
check "  the client reaches the VIP" wait_until 2000 client_pings
daemon_stop lb1
daemon_stop lb2
check "no vrrp.51 left on either box" bash -c "! ip -n ${LAB}lb1 link show vrrp.51 2>/dev/null && ! ip -n ${LAB}lb2 link show vrrp.51 2>/dev/null"

# IPv6 (VRID 61): vrrp6.61 with 00:00:5e:00:02:3d carrying the parent's link-local
# address, so adverts keep their source; the client's neighbour entry is the virtual MAC.
VIP6=2001:db8::100
VMAC6=00:00:5e:00:02:3d
lab_ipv6 lb1 lb2 client
in_box client ip -6 addr add 2001:db8::50/64 dev eth0 nodad
conf6() {
    cat > "$LABDIR/$1-v6.conf" <<CONF
vrrp_instance VI_6 {
    interface eth0
    virtual_router_id 61
    priority $2
    advert_int 0.1
    use_vmac
    virtual_ipaddress {
        $VIP6/64
    }
}
CONF
    echo "$LABDIR/$1-v6.conf"
}
vip6_on_vmac() { ip -n "${LAB}$1" -6 -o addr show dev vrrp6.61 2>/dev/null | grep -q " $VIP6/"; }
client_pings6() { in_box client ping -6 -c 1 -W 1 $VIP6 > /dev/null 2>&1; }
client_sees_vmac6() { in_box client ip -6 neigh show $VIP6 dev eth0 | grep -q "lladdr $VMAC6"; }
same_link_local() {
    local base vmac
    base=$(ip -n "${LAB}lb1" -6 -o addr show dev eth0 scope link | awk '{print $4}')
    vmac=$(ip -n "${LAB}lb1" -6 -o addr show dev vrrp6.61 scope link | awk '{print $4}')
    [ -n "$base" ] && [ "$base" = "$vmac" ]
}
vigil_start lb1 "$(conf6 lb1 100)"
vigil_start lb2 "$(conf6 lb2 90)"
check "IPv6: lb1 becomes master with the VIP on vrrp6.61" wait_until 3000 vip6_on_vmac lb1
check "  vrrp6.61 has MAC $VMAC6 and the parent's link-local address (and no other)" \
    bash -c "ip -n ${LAB}lb1 -o link show vrrp6.61 | grep -q $VMAC6 && [ \$(ip -n ${LAB}lb1 -6 -o addr show dev vrrp6.61 scope link | wc -l) = 1 ]"
check "  same link-local as eth0" same_link_local
check "  lb2 holds no VIP" wait_until 1000 bash -c "! ip -n ${LAB}lb2 -6 -o addr | grep -q ' $VIP6/'"
check "  the client reaches the VIP" wait_until 2000 client_pings6
check "  the client's neighbour entry for the VIP is the virtual MAC" client_sees_vmac6
daemon_stop lb1
check "  SIGTERM on lb1: lb2 takes the VIP on its vrrp6.61" wait_until 2000 vip6_on_vmac lb2
check "  the client still reaches it, same MAC" wait_until 2000 client_pings6
check "  (neighbour entry still $VMAC6)" client_sees_vmac6
daemon_stop lb2

# A link of that name that is not a leftover macvlan (a bridge, a VLAN) is not Vigil's:
# refused at start with the use_vmac line, the link untouched.
ip -n "${LAB}lb1" link add vrrp.51 type bridge
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 extra="    use_vmac")
in_box lb1 "$VIGIL" run -f "$c1" --control-socket "" > "$LABDIR/bridge.txt" 2>&1; rc=$?
echo "       $(grep -m1 'use_vmac' "$LABDIR/bridge.txt")"
check "a bridge named vrrp.51: start refused (exit $rc), located at the use_vmac line" \
    sh -c "[ $rc = 1 ] && grep -q '$c1:[0-9]*:[0-9]*: error: (VI_1) use_vmac: a link named vrrp.51 already exists and is a bridge' '$LABDIR/bridge.txt'"
check "the bridge is still there" sh -c "ip -n ${LAB}lb1 -d link show vrrp.51 | grep -q bridge"
ip -n "${LAB}lb1" link del vrrp.51
finish

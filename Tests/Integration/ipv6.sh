#!/usr/bin/env bash
# VRRPv3 over IPv6 (advert_int 0.1): Vigil beside Debian's keepalived 2.2.7, each as
# master with the other as backup; adverts to ff02::12 with hop limit 255 from the
# link-local address; the new master's unsolicited neighbour advertisement moves a
# client's neighbour entry for the VIP to its MAC at once. Addresses: 192.0.2.0/24 and
# the documentation prefix 2001:db8::/32 (RFC 3849), inside the lab's namespaces only.
source "$(dirname "$0")/lib.sh"
VIP=2001:db8::100
MDI=400
echo "IPv6 VRRPv3: Vigil and keepalived $(keepalived --version 2>&1 | head -1 | awk '{print $2}')"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box client 192.0.2.50/24
lab_ipv6 lb1 lb2 client
in_box client ip -6 addr add 2001:db8::50/64 dev eth0 nodad

has_vip6() { ip -n "${LAB}$1" -6 -o addr show 2>/dev/null | grep -q " $2/"; }
lacks_vip6() { ! has_vip6 "$@"; }
# The client's neighbour entry for the VIP carries MAC $2 (it is only refreshed by the
# NA: the client sends nothing to the VIP meanwhile).
client_pings() { in_box client ping -6 -c 1 -W 2 $VIP > /dev/null 2>&1; }
client_sees() { in_box client ip -6 neigh show "$VIP" dev eth0 | grep -q "lladdr $1"; }

conf6() {
    local name=$1 prio=$2
    cat > "$LABDIR/$name.conf" <<CONF
global_defs {
    router_id $name
    vrrp_version 3
}
vrrp_instance VI_6 {
    state BACKUP
    interface eth0
    virtual_router_id 61
    priority $prio
    advert_int 0.1
    virtual_ipaddress {
        $VIP/64
    }
}
CONF
    echo "$LABDIR/$name.conf"
}

drill() {
    local k1=$1 k2=$2 tag="$1 master / $2 backup"
    ${k2}_start lb2 "$(conf6 lb2 90)"
    ${k1}_start lb1 "$(conf6 lb1 100)"
    check "$tag: lb1 ($k1) wins the election" wait_until 5000 has_vip6 lb1 $VIP
    check "$tag: lb2 ($k2) holds back" wait_until 2000 lacks_vip6 lb2 $VIP
    check "$tag: the election is stable" holds_for $((3 * MDI)) lacks_vip6 lb2 $VIP
    check "$tag: the client reaches the VIP" client_pings
    check "$tag: the client's neighbour entry is lb1's MAC" client_sees "$(mac_of lb1)"
    daemon_stop lb1
    check "$tag: SIGTERM on lb1 ($k1): lb2 ($k2) takes over" wait_until 3000 has_vip6 lb2 $VIP
    check "$tag: the client's neighbour entry moved to lb2's MAC (unsolicited NA)" wait_until 2000 client_sees "$(mac_of lb2)"
    check "$tag: the client reaches the VIP on lb2" client_pings
    ${k1}_start lb1 "$(conf6 lb1 100)"
    check "$tag: lb1 ($k1) restarted fails back" wait_until 5000 has_vip6 lb1 $VIP
    check "$tag: lb2 ($k2) releases on failback" wait_until 2000 lacks_vip6 lb2 $VIP
    check "$tag: the client's neighbour entry is back on lb1's MAC" wait_until 2000 client_sees "$(mac_of lb1)"
    daemon_kill lb1
    cut_link lb1
    check "$tag: crash of lb1 ($k1): lb2 ($k2) takes over" wait_until $((MDI + 2000)) has_vip6 lb2 $VIP
    ip -n "${LAB}lb1" -6 addr del "$VIP/64" dev eth0 2>/dev/null
    restore_link lb1
    daemon_stop lb2
}

drill vigil keepalived

# What Vigil puts on the wire: VRRPv3 to ff02::12, hop limit 255, from fe80::.
vigil_start lb1 "$(conf6 lb1 100)"
check "vigil alone becomes master" wait_until 3000 has_vip6 lb1 $VIP
ip netns exec "${LAB}sw" timeout 5 tcpdump -i br0 -nn -v -c 3 -l ip6 proto 112 > "$LABDIR/v6.txt" 2>/dev/null
check "adverts go from fe80:: to ff02::12 as VRRPv3" grep -q "fe80::[0-9a-f:]* > ff02::12: VRRPv3, Advertisement, vrid 61, prio 100" "$LABDIR/v6.txt"
check "with hop limit 255" grep -q "hlim 255" "$LABDIR/v6.txt"
daemon_stop lb1
check "SIGTERM exits 0" test "$STATUS" = 0
check "no VIP left" lacks_vip6 lb1 $VIP

drill keepalived vigil
finish

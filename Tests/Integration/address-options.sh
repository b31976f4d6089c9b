#!/usr/bin/env bash
# A virtual address line's options as the kernel holds them, and the interfaces they make
# the instance track, as keepalived does:
#   - `noprefixroute` on an IPv4 VIP: the kernel's address carries the flag;
#   - `preferred_lft 0` on an IPv6 (excluded) address: the kernel holds it deprecated, so
#     it is never chosen as a source; `preferred_lft forever`: not deprecated;
#   - a VIP on another interface (`dev eth1`): eth1 going down puts the instance in FAULT,
#     eth1 back brings it back to MASTER; after a reload with `no_track` on that line,
#     eth1 going down changes nothing.
source "$(dirname "$0")/lib.sh"
echo "address options: noprefixroute, preferred_lft, a VIP's interface tracked, no_track"
lab_switch
lab_bridge br1
lab_box lb1 192.0.2.11/24
lab_link lb1 eth1 br1 198.51.100.11/24
conf_for() {  # conf_for TRACK(yes|no)
    vrrp_conf lb1 100 version=3 advert=0.1 pass=none state=MASTER \
        vip="192.0.2.100/24 noprefixroute
        198.51.100.100/24 dev eth1$([ "$1" = no ] && echo " no_track")" \
        extra="    virtual_ipaddress_excluded {
        2001:db8::100/64 preferred_lft 0
        2001:db8::101/64 preferred_lft forever
    }" > /dev/null
}
conf_for yes
vigil_start lb1 "$LABDIR/lb1.conf"
check "lb1 becomes master" wait_until 5000 has_vip lb1 192.0.2.100
v4=$(in_box lb1 ip -o -4 addr show dev eth0 | grep " 192.0.2.100/24")
check "noprefixroute: the kernel's address carries the flag ($v4)" sh -c "echo '$v4' | grep -q noprefixroute"
check "preferred_lft 0: 2001:db8::100 is deprecated" wait_until 3000 sh -c "ip -n ${LAB}lb1 -o -6 addr show dev eth0 | grep ' 2001:db8::100/64' | grep -q deprecated"
check "preferred_lft forever: 2001:db8::101 is not" sh -c "ip -n ${LAB}lb1 -o -6 addr show dev eth0 | grep ' 2001:db8::101/64' | grep -vq deprecated"
in_box lb1 ip link set eth1 down
check "eth1 (a VIP's interface) down: FAULT" wait_until 3000 log_has lb1 "MASTER -> FAULT"
in_box lb1 ip link set eth1 up
check "eth1 up: MASTER again" wait_until 5000 sh -c "grep -c -- '-> MASTER' '$LABDIR/lb1.log' | grep -qv '^1$'"
conf_for no
kill -HUP "${PID[lb1]}"
check "reloaded with no_track on the eth1 line" wait_until 5000 log_has lb1 "reload"
faults=$(grep -c -- "-> FAULT" "$LABDIR/lb1.log")
in_box lb1 ip link set eth1 down
check "no_track: eth1 down changes nothing (MASTER, no new FAULT, for 2 s)" \
    holds_for 2000 sh -c "[ \$(grep -c -- '-> FAULT' '$LABDIR/lb1.log') = $faults ] && ip -n ${LAB}lb1 -o addr show | grep -q ' 192.0.2.100/'"
daemon_stop lb1
finish

#!/usr/bin/env bash
# virtual_routes and virtual_rules follow the instance's state, with two Vigil directors
# (VRRPv3, advert_int 0.1): present on the master only, moved by SIGTERM, and the ones a
# SIGKILL leaves behind removed when the box starts again.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
echo "virtual_routes / virtual_rules"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
extra="    virtual_routes {
        198.51.100.0/24 via 192.0.2.1 dev eth0
        blackhole 203.0.113.0/24
        src 192.0.2.100 to 198.18.0.0/15 via 192.0.2.1 table 100 metric 7
    }
    virtual_rules {
        from 192.0.2.100 table 100 priority 1000
    }"
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 extra="$extra")
c2=$(vrrp_conf lb2 90 version=3 advert=0.1 extra="$extra")
routes_on() {
    ip -n "${LAB}$1" route show 198.51.100.0/24 | grep -q "via 192.0.2.1 dev eth0 proto keepalived" &&
    ip -n "${LAB}$1" route show type blackhole | grep -q "203.0.113.0/24" &&
    ip -n "${LAB}$1" route show table 100 | grep -q "198.18.0.0/15 via 192.0.2.1 dev eth0 proto keepalived src 192.0.2.100 metric 7" &&
    ip -n "${LAB}$1" rule show | grep -q "^1000:.*from 192.0.2.100 lookup 100"
}
none_on() {
    ! ip -n "${LAB}$1" route show 198.51.100.0/24 | grep -q . &&
    ! ip -n "${LAB}$1" route show type blackhole | grep -q . &&
    ! ip -n "${LAB}$1" route show table 100 2>/dev/null | grep -q . &&
    ! ip -n "${LAB}$1" rule show | grep -q "lookup 100"
}
vigil_start lb1 "$c1"
vigil_start lb2 "$c2"
check "lb1 becomes master" wait_until 3000 has_vip lb1 $VIP
check "  its routes (main, blackhole, table 100 with src and metric) and rule are in" wait_until 1000 routes_on lb1
check "  the backup has none" holds_for 1000 none_on lb2
daemon_stop lb1
check "SIGTERM: lb2 takes over with the routes and the rule" wait_until 2000 routes_on lb2
check "  lb1 removed them all" none_on lb1
vigil_start lb1 "$c1"
check "lb1 back: it preempts and has them again" wait_until 3000 routes_on lb1
check "  lb2 removed them" wait_until 1000 none_on lb2
daemon_kill lb1
check "SIGKILL leaves lb1's routes behind" routes_on lb1
check "lb2 takes over with its own" wait_until 2000 routes_on lb2
: > "$LABDIR/lb1.log"
vigil_start lb1 "$c2"   # priority 90 now: it stays backup next to lb2
check "restart as backup: the leftovers are removed, saying so" wait_until 2000 log_has lb1 "removed route 198.51.100.0/24 via 192.0.2.1"
check "  none remain on lb1" holds_for 1000 none_on lb1
daemon_stop lb1
daemon_stop lb2
check "both stopped: nothing left" bash -c "$(declare -f none_on); LAB=$LAB; none_on lb1 && none_on lb2"
finish

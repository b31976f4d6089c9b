#!/usr/bin/env bash
# virtual_routes and virtual_rules follow the instance's state, with two Vigil directors
# (VRRPv3, advert_int 0.1): present on the master only, moved by SIGTERM, and the ones a
# SIGKILL leaves behind removed when the box starts again. static_routes / static_rules
# are on both boxes from start to exit.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
echo "virtual_routes / virtual_rules / static_routes / static_rules"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
extra="    virtual_routes {
        198.51.100.0/24 via 192.0.2.1 dev eth0
        blackhole 203.0.113.0/24
        src 192.0.2.100 to 198.18.0.0/15 via 192.0.2.1 table 100 metric 7
        throw 198.18.128.0/17 table 100
    }
    virtual_rules {
        from 192.0.2.100 table 100 priority 1000
        not to 192.0.2.0/24 fwmark 0x10/0xff lookup 100 priority 1001
    }"
statics="static_routes {
    198.19.5.0/24 via 192.0.2.1 dev eth0
}
static_rules {
    from 198.19.5.0/24 table 200 priority 2000
}"
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 extra="$extra"); echo "$statics" >> "$c1"
c2=$(vrrp_conf lb2 90 version=3 advert=0.1 extra="$extra"); echo "$statics" >> "$c2"
routes_on() {
    ip -n "${LAB}$1" route show 198.51.100.0/24 | grep -q "^198.51.100.0/24 via 192.0.2.1 dev eth0 proto keepalived" &&
    ip -n "${LAB}$1" route show type blackhole | grep -q "203.0.113.0/24 proto keepalived" &&
    ip -n "${LAB}$1" route show table 100 | grep -q "^198.18.0.0/15 via 192.0.2.1 dev eth0 proto keepalived src 192.0.2.100 metric 7" &&
    ip -n "${LAB}$1" route show table 100 | grep -q "^throw 198.18.128.0/17 proto keepalived" &&
    ip -n "${LAB}$1" rule show | grep -q "^1000:.*from 192.0.2.100 lookup 100 proto keepalived" &&
    ip -n "${LAB}$1" rule show | grep -q "^1001:.*not from all to 192.0.2.0/24 fwmark 0x10/0xff lookup 100 proto keepalived"
}
none_on() {
    ! ip -n "${LAB}$1" route show 198.51.100.0/24 | grep -q . &&
    ! ip -n "${LAB}$1" route show type blackhole | grep -q . &&
    ! ip -n "${LAB}$1" route show table 100 2>/dev/null | grep -q . &&
    ! ip -n "${LAB}$1" rule show | grep -q "lookup 100"
}
statics_on() {
    ip -n "${LAB}$1" route show 198.19.5.0/24 | grep -q "via 192.0.2.1 dev eth0 proto keepalived" &&
    ip -n "${LAB}$1" rule show | grep -q "^2000:.*from 198.19.5.0/24 lookup 200 proto keepalived"
}
no_statics_on() {
    ! ip -n "${LAB}$1" route show 198.19.5.0/24 | grep -q . &&
    ! ip -n "${LAB}$1" rule show | grep -q "lookup 200"
}
vigil_start lb1 "$c1"
vigil_start lb2 "$c2"
check "lb1 becomes master" wait_until 3000 has_vip lb1 $VIP
check "  its routes (main, blackhole, table 100 with src and metric, throw) and rules (plain, not + fwmark) are in" wait_until 1000 routes_on lb1
check "  the backup has none" settled_for 1000 1000 none_on lb2
check "  static_routes / static_rules are on both" bash -c "$(declare -f statics_on); LAB=$LAB; statics_on lb1 && statics_on lb2"
daemon_stop lb1
check "SIGTERM: lb2 takes over with the routes and the rules" wait_until 2000 routes_on lb2
check "  lb1 removed them all" none_on lb1
check "  and its static ones; lb2 keeps its own" bash -c "$(declare -f statics_on no_statics_on); LAB=$LAB; no_statics_on lb1 && statics_on lb2"
vigil_start lb1 "$c1"
check "lb1 back: it preempts and has them again" wait_until 3000 routes_on lb1
check "  lb2 removed them" wait_until 1000 none_on lb2
check "  lb1's static ones are back" wait_until 1000 statics_on lb1
daemon_kill lb1
check "SIGKILL leaves lb1's routes and rules behind" routes_on lb1
check "lb2 takes over with its own" wait_until 2000 routes_on lb2
: > "$LABDIR/lb1.log"
vigil_start lb1 "$c2"   # priority 90 now: it stays backup next to lb2
check "restart as backup: the leftovers are removed, saying so" wait_until 2000 log_has lb1 "removed rule 1000: from 192.0.2.100/32 lookup 100, rule 1001: not from all to 192.0.2.0/24 fwmark 16/255 lookup 100, route 198.51.100.0/24 via 192.0.2.1"
check "  none remain on lb1" holds_for 1000 none_on lb1
check "  the static ones left by the kill are taken as they are (no error)" bash -c "$(declare -f statics_on); LAB=$LAB; statics_on lb1 && ! grep -q error $LABDIR/lb1.log"
daemon_stop lb1
daemon_stop lb2
check "both stopped: nothing left" bash -c "$(declare -f none_on no_statics_on); LAB=$LAB; none_on lb1 && none_on lb2 && no_statics_on lb1 && no_statics_on lb2"
finish

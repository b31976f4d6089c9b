#!/usr/bin/env bash
# vrrp_sync_group and notify_fifo with two Vigil directors (VRRPv3, advert_int 0.1), and
# the active-active pair of etc/ (two VIPs, each box master of one).
source "$(dirname "$0")/lib.sh"
VIP1=192.0.2.100
VIP2=192.0.2.101
echo "vigil sync group, notify_fifo, active-active"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
# Outside and inside of each director: eth0 on the segment, a second link trk0 that
# VI_2 tracks (a veth pair inside the box).
for b in lb1 lb2; do
    in_box $b ip link add trk0 type veth peer name trk0p
    in_box $b ip link set trk0p up
    in_box $b ip link set trk0 up
done
mkdir -p "$LABDIR/bin"
cat > "$LABDIR/bin/fifo-reader" <<'SCRIPT'
#!/bin/sh
# notify_fifo_script: gets the FIFO's path; copies each line to FIFO.lines.
while read -r line; do echo "$line" >> "$1.lines"; done < "$1"
SCRIPT
chmod 755 "$LABDIR/bin/fifo-reader"

group_conf() {
    local name=$1 prio=$2
    cat > "$LABDIR/$name.conf" <<CONF
global_defs {
    router_id $name
    vrrp_version 3
    notify_fifo $LABDIR/$name.fifo
    notify_fifo_script $LABDIR/bin/fifo-reader
}
vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority $prio
    advert_int 0.1
    virtual_ipaddress {
        $VIP1/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority $prio
    advert_int 0.1
    track_interface {
        trk0
    }
    virtual_ipaddress {
        $VIP2/24
    }
}
CONF
    echo "$LABDIR/$name.conf"
}
fifo_has() { grep -qxF -- "$2" "$LABDIR/$1.fifo.lines" 2>/dev/null; }
both_on() { has_vip "$1" $VIP1 && has_vip "$1" $VIP2; }
neither_on() { lacks_vip "$1" $VIP1 && lacks_vip "$1" $VIP2; }

vigil_start lb1 "$(group_conf lb1 100)"
vigil_start lb2 "$(group_conf lb2 90)"
check "sync group: lb1 holds both VIPs" wait_until 3000 both_on lb1
check "  lb2 holds neither" settled_for 1000 1000 neither_on lb2
check "notify_fifo: INSTANCE \"VI_1\" MASTER 100 on lb1's FIFO" wait_until 2000 fifo_has lb1 'INSTANCE "VI_1" MASTER 100'
check "notify_fifo: GROUP \"G1\" MASTER 0" fifo_has lb1 'GROUP "G1" MASTER 0'
check "notify_fifo: lb2 wrote INSTANCE \"VI_2\" BACKUP 90 and GROUP \"G1\" BACKUP 0" \
    bash -c "grep -qxF 'INSTANCE \"VI_2\" BACKUP 90' '$LABDIR/lb2.fifo.lines' && grep -qxF 'GROUP \"G1\" BACKUP 0' '$LABDIR/lb2.fifo.lines'"

# Only VI_2 tracks trk0, but the group moves as one: both VIPs go to lb2.
in_box lb1 ip link set trk0 down
check "VI_2's tracked link down on lb1: lb2 takes both VIPs" wait_until 2000 both_on lb2
check "  lb1 releases both (VI_1 follows its group into FAULT)" wait_until 1000 neither_on lb1
check "  lb1 logs VI_1's fault as its group's" log_has lb1 "(VI_1) MASTER -> FAULT: a member of sync group G1 is in fault"
check "  GROUP \"G1\" FAULT 0 on lb1's FIFO" wait_until 1000 fifo_has lb1 'GROUP "G1" FAULT 0'
check "  the VIPs stay together on lb2" holds_for 1000 both_on lb2
in_box lb1 ip link set trk0 up
check "link back: lb1 takes both VIPs back" wait_until 3000 both_on lb1
check "  lb2 releases both" wait_until 1000 neither_on lb2
# A live reload of the same file: the group and both members run on untouched.
lines=$(wc -l < "$LABDIR/lb1.log")
kill -HUP "${PID[lb1]}"
check "reload: both members unchanged" wait_until 2000 log_has lb1 "2 unchanged, 0 changed, 0 added, 0 removed"
ip netns exec "${LAB}lb1" "$VIGIL" status --socket "$LABDIR/lb1.sock" > "$LABDIR/status.txt" 2>&1
check "vigil status shows the group: G1 MASTER with VI_1 and VI_2 (kept through the reload)" grep -Eq "^G1 +MASTER +VI_1,VI_2$" "$LABDIR/status.txt"
check "  no transition, no group change, the VIPs stay" sh -c "holds() { ip -n ${LAB}lb1 -4 -o addr | grep -q ' 192.0.2.100/' && ip -n ${LAB}lb1 -4 -o addr | grep -q ' 192.0.2.101/'; }; holds && ! tail -n +$((lines + 1)) '$LABDIR/lb1.log' | grep -q -- '->'"
daemon_stop lb1
check "SIGTERM: lb2 takes both" wait_until 2000 both_on lb2
check "  lb1's FIFO (created by vigil) is removed on exit" test ! -e "$LABDIR/lb1.fifo"
reader_gone() {
    local f
    for f in /proc/[0-9]*/cmdline; do
        tr '\0' ' ' < "$f" 2>/dev/null | grep -qF "fifo-reader $LABDIR/lb1.fifo" && return 1
    done
    return 0
}
check "  lb1's notify_fifo_script is stopped on exit" reader_gone
daemon_stop lb2

# Active-active: etc/active-active-lb1.conf and -lb2.conf as shipped (VRIDs 61/62).
A=192.0.2.100
B=192.0.2.101
vigil_start lb1 "$ROOT/etc/active-active-lb1.conf"
vigil_start lb2 "$ROOT/etc/active-active-lb2.conf"
check "active-active: lb1 holds A" wait_until 5000 has_vip lb1 $A
check "active-active: lb2 holds B" wait_until 5000 has_vip lb2 $B
check "  and neither holds the other's" bash -c "! ip -n ${LAB}lb1 -o addr | grep -q ' $B/' && ! ip -n ${LAB}lb2 -o addr | grep -q ' $A/'"
daemon_kill lb1
cut_link lb1
check "lb1 crashes: lb2 holds A and B" wait_until 5000 has_vip lb2 $A
check "  and still B" has_vip lb2 $B
restore_link lb1
vigil_start lb1 "$ROOT/etc/active-active-lb1.conf"
check "lb1 back: first it removes the A its crash left behind" wait_until 2000 log_has lb1 "(VI_A) removed $A/24 left from an earlier run"
a_back_on_lb1() { has_vip lb1 $A && lacks_vip lb2 $A; }
check "  then preempts A: A on lb1 only" wait_until 6000 a_back_on_lb1
check "  lb2 keeps B, lb1 does not take it" holds_for 1000 bash -c "ip -n ${LAB}lb2 -o addr | grep -q ' $B/' && ! ip -n ${LAB}lb1 -o addr | grep -q ' $B/'"
daemon_stop lb1
daemon_stop lb2
finish

#!/usr/bin/env bash
# Two Vigil directors, VRRPv3 advert_int 0.1 (fast), for the options that shape an
# election: nopreempt, preempt_delay, unicast peers instead of multicast; and the
# notify scripts.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
MDI=400
echo "vigil options: nopreempt, preempt_delay, unicast"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24

# nopreempt: a higher priority arriving later leaves the current master alone.
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 extra="    nopreempt")
c2=$(vrrp_conf lb2 90 version=3 advert=0.1 extra="    nopreempt")
vigil_start lb2 "$c2"
check "nopreempt: lb2 alone becomes master" wait_until 2000 has_vip lb2 $VIP
vigil_start lb1 "$c1"
check "nopreempt: lb1 (priority 100) does not take over for 10 x Master_Down_Interval" holds_for $((10 * MDI)) lacks_vip lb1 $VIP
check "nopreempt: lb2 keeps the VIP" has_vip lb2 $VIP
daemon_stop lb2
check "nopreempt: lb1 takes over when lb2 stops" wait_until 2000 has_vip lb1 $VIP
daemon_stop lb1

# preempt_delay 2: lb1 waits 2 s after its start before it preempts lb2.
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 extra="    preempt_delay 2")
c2=$(vrrp_conf lb2 90 version=3 advert=0.1)
vigil_start lb2 "$c2"
check "preempt_delay: lb2 alone becomes master" wait_until 2000 has_vip lb2 $VIP
t0=$(now_ms)
vigil_start lb1 "$c1"
check "preempt_delay: lb1 does not preempt during its 2 s delay" holds_for 1800 lacks_vip lb1 $VIP
check "preempt_delay: lb1 preempts once the delay is over" wait_until 2000 has_vip lb1 $VIP
echo "       lb1 preempted $(( $(now_ms) - t0 )) ms after its start (preempt_delay 2 s)"
check "preempt_delay: lb2 releases the VIP" wait_until 1000 lacks_vip lb2 $VIP
daemon_stop lb1; daemon_stop lb2

# Unicast: adverts go to the peer's address, not to 224.0.0.18.
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 extra="    unicast_src_ip 192.0.2.11
    unicast_peer {
        192.0.2.12
    }")
c2=$(vrrp_conf lb2 90 version=3 advert=0.1 extra="    unicast_src_ip 192.0.2.12
    unicast_peer {
        192.0.2.11
    }")
vigil_start lb1 "$c1"
vigil_start lb2 "$c2"
check "unicast: lb1 becomes master" wait_until 2000 has_vip lb1 $VIP
# Started together, both may claim the VIP for a moment (their Master_Down timers can end
# within a few ms of each other): lb2 must give it up at once and then stay backup.
check "unicast: lb2 stays backup" settled_for 1000 $((3 * MDI)) lacks_vip lb2 $VIP
ip netns exec "${LAB}sw" timeout 5 tcpdump -i br0 -nn -c 5 -l vrrp > "$LABDIR/unicast.txt" 2>/dev/null
check "unicast: the adverts on the wire go 192.0.2.11 > 192.0.2.12" grep -q "192.0.2.11 > 192.0.2.12: VRRPv3" "$LABDIR/unicast.txt"
check "unicast: no advert goes to 224.0.0.18" bash -c "! grep -q 224.0.0.18 '$LABDIR/unicast.txt'"
daemon_kill lb1
check "unicast: lb2 takes over when lb1 crashes" wait_until 2000 has_vip lb2 $VIP
daemon_stop lb2

# notify scripts: keepalived's arguments; a slow script does not hold the election up.
cat > "$LABDIR/notify.sh" <<NOTIFY
#!/bin/sh
echo "\$*" >> "$LABDIR/notify.txt"
[ "\$1" = backup ] && exec sleep 20
exit 0
NOTIFY
chmod +x "$LABDIR/notify.sh"
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 extra="    notify_master \"$LABDIR/notify.sh master\"
    notify_backup \"$LABDIR/notify.sh backup\"
    notify_stop \"$LABDIR/notify.sh stop\"
    notify $LABDIR/notify.sh")
notified() { grep -qx -- "$1" "$LABDIR/notify.txt" 2>/dev/null; }
vigil_start lb1 "$c1"
check "notify_backup runs on the way to BACKUP" wait_until 2000 notified backup
check "notify gets INSTANCE VI_1 BACKUP 100" wait_until 2000 notified "INSTANCE VI_1 BACKUP 100"
check "the election goes on while notify_backup sleeps: lb1 becomes master" wait_until 2000 has_vip lb1 $VIP
check "notify_master runs" wait_until 2000 notified master
check "notify gets INSTANCE VI_1 MASTER 100" wait_until 2000 notified "INSTANCE VI_1 MASTER 100"
daemon_stop lb1
check "SIGTERM still exits 0 with a script running" test "$STATUS" = 0
check "notify_stop ran" notified stop
check "notify gets INSTANCE VI_1 STOP 100" notified "INSTANCE VI_1 STOP 100"
finish

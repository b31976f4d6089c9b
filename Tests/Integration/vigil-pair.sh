#!/usr/bin/env bash
# Two Vigil directors, VRRPv2 with PASS (advert_int 1) or VRRPv3 (VERSION=3, advert_int
# 0.1): election by priority, graceful failover, preemption back, crash failover (SIGKILL
# plus link cut) with the stale VIP removed on restart, link down on the master -> Fault.
source "$(dirname "$0")/lib.sh"
VERSION=${VERSION:-2}
if [ "$VERSION" = 3 ]; then ADVERT=0.1; MDI=400; else ADVERT=1; MDI=3700; fi
VIP=192.0.2.100
echo "vigil pair, VRRPv$VERSION advert_int $ADVERT"

lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
c1=$(vrrp_conf lb1 100 version=$VERSION advert=$ADVERT)
c2=$(vrrp_conf lb2 90 version=$VERSION advert=$ADVERT)

spawn "$LABDIR/arp.txt" ip netns exec "${LAB}sw" tcpdump -l -nn -e -i br0 arp
HELPERS+=($!)
sleep 0.5   # tcpdump is listening
vigil_start lb2 "$c2"
check "lb2 alone becomes master after Master_Down_Interval" wait_until $((MDI + 2000)) has_vip lb2 $VIP
mac2=$(ip -n "${LAB}lb2" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
garps() { grep -c "$mac2 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has $VIP (ff:ff:ff:ff:ff:ff) tell $VIP" "$LABDIR/arp.txt"; }
at_least_garps() { [ "$(garps)" -ge "$1" ]; }
check "takeover: tcpdump decodes lb2's gratuitous ARPs for the VIP (broadcast request, sender = target = VIP, target MAC broadcast as keepalived)" wait_until 1000 at_least_garps 1
check "takeover: garp_master_repeat (5) of them at once, 5 more after vrrp_garp_master_delay 1 s" wait_until 3000 at_least_garps 10
vigil_start lb1 "$c1"
check "lb1 (priority 100) preempts lb2 (90)" wait_until $((MDI + 2000)) has_vip lb1 $VIP
check "lb2 releases the VIP" wait_until 2000 lacks_vip lb2 $VIP
check "lb2 logs its move to Backup with a reason" log_has lb2 "MASTER -> BACKUP: advertisement from 192.0.2.11 with higher priority"
check "the election stays put" holds_for $((MDI)) has_vip lb1 $VIP

t0=$(now_ms)
daemon_stop lb1
check "SIGTERM: lb1 exits 0 (got $STATUS)" test "$STATUS" = 0
check "SIGTERM: lb1 removed its VIP" lacks_vip lb1 $VIP
check "SIGTERM: lb2 takes over (Skew_Time after the priority-0 advert)" wait_until 3000 has_vip lb2 $VIP
echo "       graceful takeover seen after $(( $(now_ms) - t0 )) ms"

vigil_start lb1 "$c1"
check "lb1 comes back and preempts" wait_until $((MDI + 2000)) has_vip lb1 $VIP
check "lb2 releases the VIP again" wait_until 2000 lacks_vip lb2 $VIP

t0=$(now_ms)
daemon_kill lb1
cut_link lb1
check "crash: lb2 takes over after Master_Down_Interval" wait_until $((MDI + 2000)) has_vip lb2 $VIP
echo "       crash takeover seen after $(( $(now_ms) - t0 )) ms"
check "crash: the killed lb1 left its VIP behind (as any SIGKILLed daemon)" has_vip lb1 $VIP
restore_link lb1
vigil_start lb1 "$c1"
check "restart: lb1 removes the stale VIP before electing" wait_until 2000 log_has lb1 "left from an earlier run"
check "restart: lb1 preempts back" wait_until $((MDI + 2000)) has_vip lb1 $VIP
check "restart: exactly one box holds the VIP" wait_until 2000 lacks_vip lb2 $VIP

cut_link lb1
check "link down: lb1 goes to Fault" wait_until 2000 log_has lb1 "MASTER -> FAULT"
check "link down: lb1 removes its VIP" wait_until 1000 lacks_vip lb1 $VIP
check "link down: lb2 takes over" wait_until $((MDI + 2000)) has_vip lb2 $VIP
restore_link lb1
check "link up: lb1 back to Backup" wait_until 2000 log_has lb1 "FAULT -> BACKUP"
check "link up: lb1 preempts" wait_until $((MDI + 2000)) has_vip lb1 $VIP
check "link up: lb2 released" wait_until 2000 lacks_vip lb2 $VIP

daemon_stop lb2
check "lb2 exits 0 on SIGTERM" test "$STATUS" = 0
daemon_stop lb1
check "lb1 exits 0 on SIGTERM" test "$STATUS" = 0
check "lb1 leaves no VIP behind" lacks_vip lb1 $VIP
finish

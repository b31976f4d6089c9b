#!/usr/bin/env bash
# vrrp_startup_delay: Vigil sends no advert and takes no VIP before the delay has run
# out, timed from its start to the first advert another box captures (tcpdump) and to
# the VIP. The address owner (255), which takes over at once, shows the delay alone; a
# backup (100) waits Master_Down_Interval after it, as keepalived's timers run from the
# delayed start. A reload during the delay keeps it.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24

# capture: lb2 timestamps every VRRP packet it sees (epoch seconds, microseconds).
capture() {
    : > "$LABDIR/lb2.vrrp"
    spawn "$LABDIR/lb2.vrrp" ip netns exec "${LAB}lb2" tcpdump -n -l -tt -i eth0 ip proto 112
    CAPTURE=$!
    HELPERS+=($CAPTURE)
    wait_until 3000 grep -q "listening on" "$LABDIR/lb2.vrrp"
}
# first_advert_ms T0_MS: milliseconds from T0 to the first VRRP packet captured from lb1.
first_advert_ms() {
    awk -v t0="$1" '/192\.0\.2\.11 > / { printf "%d", $1 * 1000 - t0; exit }' "$LABDIR/lb2.vrrp"
}
ms_at_least() { [ -n "$1" ] && [ "$1" -ge "$2" ]; }
ms_below() { [ -n "$1" ] && [ "$1" -lt "$2" ]; }

# 1. The owner with vrrp_startup_delay 2: nothing before 2 s, then at once.
capture
c1=$(vrrp_conf lb1 255 state=MASTER global="    vrrp_startup_delay 2")
t0=$(now_ms)
vigil_start lb1 "$c1"
check "owner, delay 2 s: the VIP comes" wait_until 6000 has_vip lb1 $VIP
t_vip=$(( $(now_ms) - t0 ))
wait_until 2000 grep -q '192\.0\.2\.11 > ' "$LABDIR/lb2.vrrp"
first=$(first_advert_ms "$t0")
echo "       first advert after ${first:-?} ms, VIP seen after $t_vip ms"
check "owner, delay 2 s: the first advert leaves after 2 s (${first:-?} ms)" ms_at_least "$first" 2000
check "owner, delay 2 s: and soon after it (${first:-?} ms < 3000)" ms_below "$first" 3000
check "owner, delay 2 s: the VIP not before 2 s ($t_vip ms)" ms_at_least "$t_vip" 2000
check "the delay is logged" log_has lb1 "vrrp_startup_delay: the VRRP instances start in 2 s"
daemon_stop lb1
kill -TERM "$CAPTURE" 2>/dev/null; wait "$CAPTURE" 2>/dev/null

# 2. The control: the owner without the delay adverts within a second.
capture
: > "$LABDIR/lb1.log"
c1=$(vrrp_conf lb1 255 state=MASTER)
t0=$(now_ms)
vigil_start lb1 "$c1"
check "owner, no delay: the VIP comes" wait_until 3000 has_vip lb1 $VIP
wait_until 2000 grep -q '192\.0\.2\.11 > ' "$LABDIR/lb2.vrrp"
first=$(first_advert_ms "$t0")
echo "       first advert after ${first:-?} ms"
check "owner, no delay: the first advert within 1 s (${first:-?} ms)" ms_below "$first" 1000
daemon_stop lb1
kill -TERM "$CAPTURE" 2>/dev/null; wait "$CAPTURE" 2>/dev/null

# 3. A backup (priority 100, advert_int 1: Master_Down_Interval 3.61 s) with delay 2:
#    master after 2 + 3.61 s, not 3.61 s.
capture
: > "$LABDIR/lb1.log"
c1=$(vrrp_conf lb1 100 global="    vrrp_startup_delay 2")
t0=$(now_ms)
vigil_start lb1 "$c1"
check "backup, delay 2 s: it becomes master" wait_until 9000 has_vip lb1 $VIP
wait_until 2000 grep -q '192\.0\.2\.11 > ' "$LABDIR/lb2.vrrp"
first=$(first_advert_ms "$t0")
echo "       first advert after ${first:-?} ms"
check "backup, delay 2 s: the first advert after 2 + 3.61 s (${first:-?} ms)" ms_at_least "$first" 5600
daemon_stop lb1
kill -TERM "$CAPTURE" 2>/dev/null; wait "$CAPTURE" 2>/dev/null

# 4. A reload (SIGHUP) half-way through the delay keeps it: no advert before 3 s.
capture
: > "$LABDIR/lb1.log"
c1=$(vrrp_conf lb1 255 state=MASTER global="    vrrp_startup_delay 3")
t0=$(now_ms)
vigil_start lb1 "$c1"
wait_until 3000 log_has lb1 "vrrp_startup_delay"
sleep 1
kill -HUP "${PID[lb1]}"
check "reload during the delay: the VIP comes" wait_until 6000 has_vip lb1 $VIP
wait_until 2000 grep -q '192\.0\.2\.11 > ' "$LABDIR/lb2.vrrp"
first=$(first_advert_ms "$t0")
echo "       first advert after ${first:-?} ms"
check "reload during the delay: the first advert after 3 s (${first:-?} ms)" ms_at_least "$first" 3000
daemon_stop lb1
kill -TERM "$CAPTURE" 2>/dev/null; wait "$CAPTURE" 2>/dev/null
finish

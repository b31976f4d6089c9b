#!/usr/bin/env bash
# announce (Vigil's own block): the host route FRR redistributes, over the announce device
# vigil0 with protocol 250, is in the kernel while the virtual server it follows has its
# quorum and gone when not; a SIGKILL takes the device and the route with it at once (the
# kernel's doing: nothing is left announced by a dead daemon), the local route the next
# start removes, a stop removes everything. keepalived 2.2.7 reads the same file: the
# block's lines carry '@vigil', which only Vigil selects.
source "$(dirname "$0")/lib.sh"
echo "announce: a host route for FRR while the virtual server has its quorum"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box rs 192.0.2.20/24
VIP=203.0.113.10
# A second address, following a virtual server whose only checker is a FILE_CHECK: its
# verdict comes from a file, not from a connection's result.
VIP2=203.0.113.11

web_start() {
    spawn "$LABDIR/web.log" ip netns exec "${LAB}rs" python3 -m http.server 80 --bind 192.0.2.20 --directory "$LABDIR"
    WEB=$!
    HELPERS+=($!)
}
announced() { in_box lb1 ip route show table main proto 250 | grep -q "^$VIP dev vigil0 "; }
local_route() { in_box lb1 ip route show table local proto 250 | grep -q "^local $VIP dev lo "; }
device() { in_box lb1 ip link show vigil0 > /dev/null 2>&1; }
withdrawn() { ! announced && ! local_route; }
gone() { ! announced && ! device; }
nothing_of_ours() { [ -z "$(in_box lb1 ip route show table all proto 250)" ] && ! device; }

conf=$(vrrp_conf lb1 100)
cat >> "$conf" <<EOF
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.0.2.20 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
@vigil announce $VIP {
@vigil     virtual_server $VIP 80
@vigil }
track_file maint {
    file $LABDIR/maint
}
virtual_server $VIP2 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.0.2.20 80 {
        FILE_CHECK {
            track_file maint
            weight 0
        }
    }
}
@vigil announce $VIP2 {
@vigil     virtual_server $VIP2 80
@vigil }
EOF
echo 0 > "$LABDIR/maint"

check "keepalived 2.2.7 takes the file (keepalived -t exit 0: the @vigil lines are not its)" keepalived -t -f "$conf"
sed 's/^@vigil //' "$conf" > "$LABDIR/plain.conf"
check "  the control: the same block without @vigil is an error to it (Unknown keyword 'announce')" \
    bash -c "! keepalived -t -f '$LABDIR/plain.conf' > /dev/null 2>&1"
check "vigil check reads the announce block: no error, no warning" bash -c "'$VIGIL' check -f '$conf' | grep -q ' 0 errors, 0 warnings'"

web_start
vigil_start lb1 "$conf"
check "announced while the real server passes: $VIP dev vigil0 proto 250 (main table)" wait_until 5000 announced
check "  and the address is local for IPVS (table local, on lo)" local_route
check "  the log says why" log_has lb1 "announce: $VIP announced (virtual_server $VIP:80 has its quorum)"
status_line() { in_box lb1 "$VIGIL" status --socket "$LABDIR/lb1.sock" | grep "^$VIP "; }
check "  vigil status shows it: $(status_line | tr -s ' ')" bash -c "$(declare -f status_line in_box); LAB=$LAB VIP=$VIP VIGIL=$VIGIL LABDIR=$LABDIR; status_line | grep -q 'announced .*virtual_server $VIP:80 has its quorum'"

kill "$WEB"; wait "$WEB" 2>/dev/null
check "the real server down: the route and the local route are withdrawn" wait_until 6000 withdrawn
check "  the log says why" wait_until 2000 log_has lb1 "announce: $VIP withdrawn (virtual_server $VIP:80 lacks its quorum)"
check "  vigil status shows it: $(status_line | tr -s ' ')" bash -c "$(declare -f status_line in_box); LAB=$LAB VIP=$VIP VIGIL=$VIGIL LABDIR=$LABDIR; status_line | grep -q 'withdrawn .*lacks its quorum'"

web_start
check "the real server back: announced again" wait_until 6000 announced

announced2() { in_box lb1 ip route show table main proto 250 | grep -q "^$VIP2 dev vigil0 "; }
check "a FILE_CHECK's virtual server: $VIP2 announced while the track file reads 0" wait_until 3000 announced2
echo 1 > "$LABDIR/maint"
check "  the file reads 1: withdrawn (no other check result needed to notice)" wait_until 3000 bash -c "$(declare -f announced2 in_box); LAB=$LAB VIP2=$VIP2; ! announced2"
check "  $VIP stays announced" announced
echo 0 > "$LABDIR/maint"
check "  0 again: announced" wait_until 3000 announced2

daemon_kill lb1
check "SIGKILL: the device and its route are gone at once" wait_until 500 gone
check "  (the local route stays until the next start)" local_route

: > "$LABDIR/lb1.log"
vigil_start lb1 "$conf"
check "restarted: the leftover local route is removed and said" wait_until 5000 log_has lb1 "removed a route an earlier run left: local $VIP/32"
check "  and the route is announced again" wait_until 5000 announced

cp "$conf" "$LABDIR/with-announce.conf"
grep -v '^@vigil' "$LABDIR/with-announce.conf" > "$conf"
kill -HUP "${PID[lb1]}"
check "reload without the block: withdrawn" wait_until 5000 withdrawn
check "  the log says why" wait_until 2000 log_has lb1 "announce: $VIP withdrawn (no longer in the configuration)"
cp "$LABDIR/with-announce.conf" "$conf"
kill -HUP "${PID[lb1]}"
check "reload with it again: announced" wait_until 5000 announced

daemon_stop lb1
check "SIGTERM: exit 0" test "$STATUS" = 0
check "  nothing of protocol 250 left, no vigil0" nothing_of_ours
check "  the log says the stop withdrew it" log_has lb1 "announce: $VIP withdrawn (vigil stops)"
finish

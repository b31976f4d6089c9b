#!/usr/bin/env bash
# Live reload and the control socket, with a client pinging a VIP throughout.
#   - systemd's protocol: READY=1 at start, RELOADING=1 then READY=1 around a reload,
#     STOPPING=1 at SIGTERM, STATUS lines (a fake NOTIFY_SOCKET records them);
#   - an unchanged instance keeps running through reloads: no address event for its VIP,
#     no advert gap beyond advert_int, no gratuitous ARP, no ping lost;
#   - a changed instance (a VIP added) goes on as master with the new VIP;
#   - an added instance starts; a removed one hands over at once (priority 0) and
#     releases its VIPs, and the peer takes them;
#   - an invalid configuration is refused with file:line:col, the running one stays, and
#     `vigil status` says so;
#   - `vigil status` (table and JSON), `vigil resign` (the peer takes over within Skew_Time
#     plus a little) and `vigil priority … reset` (preempts back).
source "$(dirname "$0")/lib.sh"
echo "live reload and control socket (advert_int 0.1, VRRPv3)"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box client 192.0.2.50/24

# instance NAME VRID PRIORITY VIPS...: one vrrp_instance block (VRRPv3, advert_int 0.1).
instance() {
    local name=$1 vrid=$2 prio=$3; shift 3
    printf 'vrrp_instance %s {\n    state BACKUP\n    interface eth0\n    virtual_router_id %s\n    priority %s\n    advert_int 0.1\n    virtual_ipaddress {\n' "$name" "$vrid" "$prio"
    local v; for v in "$@"; do printf '        %s\n' "$v"; done
    printf '    }\n}\n'
}
global='global_defs {
    vrrp_version 3
    vrrp_garp_master_delay 0
    vrrp_garp_master_repeat 1
}'
conf1=$LABDIR/lb1.conf
{ echo "$global"; instance VI_1 51 150 192.0.2.100/24; instance VI_2 52 150 192.0.2.101/24; } > "$conf1"
{ echo "$global"; instance VI_1 51 100 192.0.2.100/24; instance VI_2 52 100 192.0.2.101/24; } > "$LABDIR/lb2.conf"

# A fake systemd: records every datagram lb1 sends to NOTIFY_SOCKET.
python3 -u - "$LABDIR/notify.sock" > "$LABDIR/notify.txt" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(300)
while True:
    data = s.recv(4096).decode()
    print(data.replace("\n", " | "), flush=True)
PY
HELPERS+=($!)
for _ in $(seq 100); do [ -S "$LABDIR/notify.sock" ] && break; sleep 0.02; done

NOTIFY_SOCKET=$LABDIR/notify.sock WATCHDOG_USEC=400000 vigil_start lb1 "$conf1"
vigil_start lb2 "$LABDIR/lb2.conf"
check "lb1 (150) is master of VI_1 and VI_2" wait_until 3000 sh -c "ip -n ${LAB}lb1 -o addr | grep -q 192.0.2.100/ && ip -n ${LAB}lb1 -o addr | grep -q 192.0.2.101/"
check "lb2 holds neither" wait_until 2000 lacks_vip lb2 192.0.2.100
notified() { grep -q -- "$1" "$LABDIR/notify.txt"; }
check "systemd hears READY=1 with a STATUS line" wait_until 2000 notified "READY=1 | STATUS=2 instance(s)"
check "the STATUS line follows the election (2 MASTER)" wait_until 2000 notified "STATUS=2 instance(s): 2 MASTER"
check "WatchdogSec=0.4 s: WATCHDOG=1 every 0.2 s" wait_until 2000 sh -c "[ \$(grep -c '^WATCHDOG=1' '$LABDIR/notify.txt') -ge 3 ]"

ctl() { ip netns exec "${LAB}lb1" "$VIGIL" "$@" --socket "$LABDIR/lb1.sock"; }
ctl status > "$LABDIR/status.txt" 2>&1
check "vigil status: a table with both instances as MASTER" sh -c "grep -Eq '^VI_1 +eth0 +51 +MASTER +150 +this box' '$LABDIR/status.txt' && grep -Eq '^VI_2 +eth0 +52 +MASTER' '$LABDIR/status.txt'"
json_counts() {
    ctl status --json > "$LABDIR/status.json" 2>&1 && python3 -c "
import json,sys; r=json.load(open('$LABDIR/status.json'))
i={x['name']:x for x in r['instances']}
sys.exit(0 if i['VI_1']['advertsSent']>5 and i['VI_1']['state']=='MASTER' and i['VI_1']['becameMaster']==1 and i['VI_1']['master']=='this box' else 1)"
}
check "vigil status --json: state, master and adverts sent (counted)" wait_until 2000 json_counts

# Watchers for the reloads: the client pings VI_1's VIP every 5 ms; lb1's address events;
# every VRRP advert and ARP on the wire, timestamped.
watch_addresses lb1
spawn "$LABDIR/wire.txt" ip netns exec "${LAB}sw" tcpdump -l -nn -tt -e -i br0 'vrrp or arp'
HELPERS+=($!)
sleep 0.5
ping_start client 192.0.2.100
sleep 1

# Reload 1: the same file (SIGHUP), then VI_2 gains a VIP (vigil reload).
t_reload=$(date +%s.%N)
kill -HUP "${PID[lb1]}"
check "SIGHUP: reload logged, both instances unchanged" wait_until 3000 log_has lb1 "2 unchanged, 0 changed, 0 added, 0 removed"
check "systemd hears RELOADING=1 then READY=1" wait_until 2000 sh -c "grep -n 'RELOADING=1' '$LABDIR/notify.txt' | head -1 | cut -d: -f1 | { read r; [ -n \"\$r\" ] && tail -n +\$r '$LABDIR/notify.txt' | grep -q 'READY=1'; }"
# VI_2 gains a VIP and lb1 a lower priority; both boxes reload (their VIP lists must
# match, or each refuses the other's adverts), the backup first.
{ echo "$global"; instance VI_1 51 150 192.0.2.100/24; instance VI_2 52 140 192.0.2.101/24 192.0.2.102/24; } > "$conf1"
{ echo "$global"; instance VI_1 51 100 192.0.2.100/24; instance VI_2 52 100 192.0.2.101/24 192.0.2.102/24; } > "$LABDIR/lb2.conf"
ip netns exec "${LAB}lb2" "$VIGIL" reload --socket "$LABDIR/lb2.sock" > "$LABDIR/reload2b.txt" 2>&1
ctl reload > "$LABDIR/reload2.txt" 2>&1
check "vigil reload on lb2 (backup): VI_2 changed ($(cat "$LABDIR/reload2b.txt"))" grep -q "1 unchanged, 1 changed" "$LABDIR/reload2b.txt"
check "vigil reload on lb1: VI_1 unchanged, VI_2 changed ($(cat "$LABDIR/reload2.txt"))" grep -q "1 unchanged, 1 changed" "$LABDIR/reload2.txt"
check "the changed VI_2 is master with its new VIP" wait_until 2000 has_vip lb1 192.0.2.102
check "VI_2 kept its old VIP" has_vip lb1 192.0.2.101
check "lb1 logs VI_2 carrying on as master" log_has lb1 "(VI_2) INIT -> MASTER: configuration reloaded"
check "VI_2 stays on lb1 (140 > 100): lb2 never takes it" holds_for 1000 lacks_vip lb2 192.0.2.101
# Between the two reloads (tens of ms) lb2 may see an advert with the old VIP list and
# refuse it, as keepalived would; no more than that.
refused=$(ip netns exec "${LAB}lb2" "$VIGIL" status --json --socket "$LABDIR/lb2.sock" | python3 -c "
import json,sys; r=json.load(sys.stdin); print(sum(sum(i['rejections'].values()) for i in r['instances']))")
check "lb2 refused at most the adverts sent between the two reloads ($refused, advert_int 100 ms)" test "$refused" -le 2

# Reload 2: VI_2 removed from lb1, VI_3 added.
{ echo "$global"; instance VI_1 51 150 192.0.2.100/24; instance VI_3 53 150 192.0.2.103/24; } > "$conf1"
t_remove=$(now_ms)
ctl reload > "$LABDIR/reload3.txt" 2>&1
check "vigil reload: VI_1 unchanged, VI_3 added, VI_2 removed" grep -q "1 unchanged, 0 changed, 1 added, 1 removed" "$LABDIR/reload3.txt"
check "removed VI_2: lb1 releases its VIPs" wait_until 1000 sh -c "! ip -n ${LAB}lb1 -o addr | grep -Eq '192.0.2.10[12]/'"
check "removed VI_2: lb2 takes 192.0.2.101 (priority-0 advert, Skew_Time)" wait_until 2000 has_vip lb2 192.0.2.101
echo "       lb2 took VI_2 $(( $(now_ms) - t_remove )) ms after the reload was asked"
check "added VI_3 comes up (alone, after Master_Down_Interval)" wait_until 2000 has_vip lb1 192.0.2.103

# Reload 3: an invalid file is refused; nothing changes.
cp "$conf1" "$LABDIR/good.conf"
printf 'vrrp_instance VI_9 {\n    priority 300\n' >> "$conf1"
ctl reload > "$LABDIR/reload4.txt" 2>&1; rc=$?
check "invalid file: vigil reload exits 1 (got $rc)" test "$rc" = 1
check "invalid file: the error is located ($(head -1 "$LABDIR/reload4.txt"))" grep -Eq "lb1.conf:[0-9]+:[0-9]+: error" "$LABDIR/reload4.txt"
check "invalid file: the daemon logs the refusal and keeps running" sh -c "grep -q 'reload refused' '$LABDIR/lb1.log' && kill -0 ${PID[lb1]}"
check "invalid file: systemd's STATUS says the reload was refused" wait_until 1000 notified "last reload refused"
ctl status > "$LABDIR/status2.txt" 2>&1
cat "$LABDIR/status2.txt" | sed 's/^/       /'
check "invalid file: vigil status shows the refusal and the running instances" sh -c "grep -q 'last reload: refused' '$LABDIR/status2.txt' && grep -Eq '^VI_3 .* MASTER' '$LABDIR/status2.txt'"
cp "$LABDIR/good.conf" "$conf1"

sleep 0.5
t_end=$(date +%s.%N)
check "VI_1's VIP was never removed or re-added on lb1 during the reloads" sh -c "! grep -q '192.0.2.100/' '$LABDIR/lb1.addr'"
mac1=$(mac_of lb1)
# The window's captures must hold something before their silence means anything: VI_1's
# adverts (every 100 ms) and the client's replies (every 5 ms), half of what is due at least.
window=$(awk -v a="$t_reload" -v b="$t_end" 'BEGIN { printf "%d", (b - a) * 1000 }')
adverts=$(awk -v a="$t_reload" -v b="$t_end" -v mac="$mac1" '$0 ~ mac && /vrid 51/ && $1 >= a && $1 <= b' "$LABDIR/wire.txt" | wc -l)
replies=$(sed -n 's/^\[\([0-9.]*\)\] .* bytes from.*/\1/p' "$LABDIR/client.ping" | awk -v a="$t_reload" -v b="$t_end" '$1 >= a && $1 <= b' | wc -l)
check "the captures cover the reloads ($window ms): $adverts of VI_1's adverts on the wire, $replies ping replies" \
    test "$window" -gt 500 -a "$adverts" -ge $((window / 200)) -a "$replies" -ge $((window / 10))
gap=$(awk -v a="$t_reload" -v b="$t_end" -v mac="$mac1" '$0 ~ mac && /vrid 51/ && $1 >= a && $1 <= b { if (last) { g = $1 - last; if (g > max) max = g }; last = $1 } END { printf "%.0f", max * 1000 }' "$LABDIR/wire.txt")
check "VI_1's adverts never paused: longest gap ${gap} ms (advert_int 100 ms)" test "${gap:-9999}" -le 150
garps=$(awk -v a="$t_reload" -v b="$t_end" -v mac="$mac1" '$0 ~ mac && /ARP/ && /who-has 192.0.2.100 / && / tell 192.0.2.100/ && $1 >= a && $1 <= b' "$LABDIR/wire.txt" | wc -l)
check "no gratuitous ARP for VI_1's VIP during the reloads (saw $garps)" test "$garps" = 0
silence=$(sed -n 's/^\[\([0-9.]*\)\] .* bytes from.*/\1/p' "$LABDIR/client.ping" |
    awk -v a="$t_reload" -v b="$t_end" '$1 >= a && $1 <= b { if (last) { g = $1 - last; if (g > max) max = g }; last = $1 } END { printf "%.0f", max * 1000 }')
check "the client pinging VI_1's VIP every 5 ms never waited more than 50 ms across the reloads (longest ${silence} ms)" test "${silence:-9999}" -le 50

# Resign and priority.
ctl resign VI_1 > "$LABDIR/resign.txt" 2>&1
check "vigil resign VI_1: lb1 hands over ($(tail -1 "$LABDIR/resign.txt"))" wait_until 1000 lacks_vip lb1 192.0.2.100
check "vigil resign VI_1: lb2 takes the VIP within Skew_Time (+ margin)" wait_until 1000 has_vip lb2 192.0.2.100
check "resigned lb1 stays backup (priority 1)" holds_for 1000 lacks_vip lb1 192.0.2.100
ctl priority VI_1 reset > /dev/null 2>&1
check "vigil priority VI_1 reset: lb1 (150) preempts back" wait_until 2000 has_vip lb1 192.0.2.100
check "lb2 releases it" wait_until 1000 lacks_vip lb2 192.0.2.100
ctl priority VI_9 50 > "$LABDIR/prio.txt" 2>&1; rc=$?
check "vigil priority on an unknown instance: exit 1 naming the instances" sh -c "[ $rc = 1 ] && grep -q 'no vrrp_instance VI_9; there are: VI_1, VI_3' '$LABDIR/prio.txt'"

ping_stop
outage=$(ping_outage_ms client)
echo "       client: $(ping_counts client) replies; longest silence ${outage} ms (it spans the resign handover)"
daemon_stop lb1
check "SIGTERM: systemd hears STOPPING=1" wait_until 1000 notified "STOPPING=1"
check "SIGTERM: the control socket is gone" test ! -e "$LABDIR/lb1.sock"
finish

#!/usr/bin/env bash
# Fault drills, each asserting that nothing is lost:
#   - a notify script that hangs is killed at its timeout (30 s) while the protocol runs on;
#   - 100,000 bogus adverts per second for 10 s at the backup (wrong password, priority 0:
#     a takeover if one were believed): no false takeover, every one counted, CPU reported;
#   - kill -9 of the master and a restart: the stale VIP goes before the election, the
#     VIP is never on both boxes once it is back, the peer only steps back to BACKUP;
#   - netlink refusing the VIP twice (injected NLE_BUSY): retried, reported, installed;
#   - the master's link flapping 50 times in a minute: no stuck state, the VIP ends on
#     exactly one box;
#   - an unwritable pid file and a full disk: a clear error, exit 2, nothing touched.
source "$(dirname "$0")/lib.sh"
INJECT=${INJECT:-$(dirname "$VIGIL")/vrrp-inject}
VIP=192.0.2.100
echo "fault drills (VRRPv2, advert_int 1)"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box bad 192.0.2.66/24

cat > "$LABDIR/hang.sh" <<'EOF'
#!/bin/sh
echo $$ > "$(dirname "$0")/hang.pid"
exec sleep 1000
EOF
chmod 755 "$LABDIR/hang.sh"
c1=$(vrrp_conf lb1 150 extra="    notify_master $LABDIR/hang.sh")
c2=$(vrrp_conf lb2 100)
vigil_start lb1 "$c1"
vigil_start lb2 "$c2"
check "lb1 (150) is master" wait_until 6000 has_vip lb1 $VIP
t_hang=$(now_ms)
check "its notify_master script hangs" wait_until 2000 test -s "$LABDIR/hang.pid"
hang_pid=$(cat "$LABDIR/hang.pid")

# --- the flood ---------------------------------------------------------------------------
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # clock ticks
vigil2=$(pgrep -P "${PID[lb2]}" -x vigil || echo "${PID[lb2]}")
ticks=$(getconf CLK_TCK)
# An instance's advert counter from its status: sent (lb1) or received (lb2).
adverts() {
    ip netns exec "${LAB}$1" "$VIGIL" status --json --socket "$LABDIR/$1.sock" |
        python3 -c "import json, sys; print(json.load(sys.stdin)['instances'][0]['$2'])"
}
sent0=$(adverts lb1 advertsSent)
heard0=$(adverts lb2 advertsReceived)
before=$(cpu "$vigil2")
t0=$(now_ms)
in_box bad "$INJECT" eth0 auth_password version=2 vrid=51 vip=$VIP priority=0 source=192.0.2.66 dest=192.0.2.12 \
    count=1000000 rate=100000 > "$LABDIR/flood.txt" 2>&1 &
flood=$!
HELPERS+=($flood)
takeover=0
while kill -0 $flood 2>/dev/null && [ $(( $(now_ms) - t0 )) -lt 30000 ]; do
    has_vip lb2 $VIP && takeover=1
    sleep 0.1
done
wait $flood
after=$(cpu "$vigil2")
sent=$(( $(adverts lb1 advertsSent) - sent0 ))
heard=$(( $(adverts lb2 advertsReceived) - heard0 ))
elapsed=$(( $(now_ms) - t0 ))
cpu_s=$(awk -v a="$before" -v b="$after" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')
echo "       $(cat "$LABDIR/flood.txt" | sed 's/vrrp-inject: //')"
echo "       the backup's CPU during the flood: ${cpu_s} s in $(awk -v e="$elapsed" 'BEGIN { printf "%.1f", e / 1000 }') s"
echo "$cpu_s $elapsed" > "$LABDIR/flood-cpu.txt"
check "flood: the backup never took the VIP" test "$takeover" = 0
check "flood: the master kept it" has_vip lb1 $VIP
check "flood: no state change on either box" sh -c "! grep -q 'MASTER -> \|BACKUP -> MASTER' '$LABDIR/lb2.log' && ! grep -q 'MASTER -> ' '$LABDIR/lb1.log'"
# The kernel's screen queues the master's adverts apart from the flood: none is lost
# behind it, however far the backup falls behind (the status reads bracket the flood, so
# one advert may fall between them on either side).
check "flood: the backup heard every advert the master sent meanwhile ($heard of $sent)" \
    sh -c "[ $sent -ge 5 ] && [ $heard -ge $((sent - 1)) ]"
# The counts once the backup has read what is still queued (/proc/net/raw's rx_queue, the
# fifth column's second half, for the protocol-112 sockets: local port 0070).
queued() {
    local n=0 h
    for h in $(in_box lb2 awk '$2 ~ /:0070$/ { split($5, q, ":"); print q[2] }' /proc/net/raw); do n=$((n + 16#$h)); done
    echo $n
}
wait_until 10000 test "$(queued)" = 0 || echo "       (still queued after 10 s: $(queued) bytes)"
ip netns exec "${LAB}lb2" "$VIGIL" status --json --socket "$LABDIR/lb2.sock" > "$LABDIR/lb2.json"
counted=$(python3 -c "import json; r=json.load(open('$LABDIR/lb2.json')); print(r['instances'][0]['rejections'].get('auth_password', 0))")
# The kernel's count of what it dropped at a full receive buffer: /proc/net/raw's last
# column, for the protocol-112 sockets (local port 0070).
dropped=$(in_box lb2 awk '$2 ~ /:0070$/ { d += $NF } END { print d + 0 }' /proc/net/raw)
echo "       the backup rejected and counted $counted bogus adverts (auth_password); the kernel dropped $dropped at the full socket buffer"
echo "$counted $dropped" >> "$LABDIR/flood-cpu.txt"
# Nothing vanishes: each bogus advert was read and counted, or dropped by the kernel at the
# full queue. The sum comes out a few above the flood at this rate (0 to 7 over 1,000,000
# in runs with every advert of the master heard, so not those; exact at 300,000): one of
# the two counts runs slightly over, for a reason not found.
check "flood: every bogus advert is accounted for: counted by Vigil + dropped by the kernel = 1,000,000 + $((counted + dropped - 1000000))" \
    sh -c "[ $((counted + dropped)) -ge 1000000 ] && [ $((counted + dropped)) -le 1000015 ]"
# How much of the flood the daemon reads depends on the machine and its load (printed
# above); what must hold whatever it is: the master's adverts all heard, no takeover.
check "flood: the log stays bounded (one line per reason per 10 s)" test "$(grep -c 'auth_password' "$LABDIR/lb2.log")" -le 4

# --- the hanging notify script (started with the takeover above) ------------------------
left=$(( 33000 - ($(now_ms) - t_hang) ))
[ $left -gt 0 ] && sleep $((left / 1000)).$((left % 1000 / 100))
check "hang: notify_master killed at its timeout (30 s), said in the log" wait_until 3000 log_has lb1 "still running after 30 s; killed"
check "hang: the script's process is gone" sh -c "! kill -0 $hang_pid 2>/dev/null"
check "hang: the protocol was unaffected (lb1 master throughout)" sh -c "has() { ip -n ${LAB}lb1 -4 -o addr | grep -q ' $VIP/'; }; has && ! grep -q 'MASTER -> ' '$LABDIR/lb1.log'"

# --- kill -9 and restart, with netlink refusing the VIP twice -----------------------------
daemon_kill lb1
check "kill -9: lb2 takes over after Master_Down_Interval" wait_until 6000 has_vip lb2 $VIP
check "kill -9: the dead lb1 left its VIP behind" has_vip lb1 $VIP
rm -f "$LABDIR/hang.pid"
c1=$(vrrp_conf lb1 150)
VIGIL_FAULT_ADDRESS_ADD=2 vigil_start lb1 "$c1"
check "restart: lb1 removes the stale VIP before electing" wait_until 2000 log_has lb1 "left from an earlier run"
both=0
t0=$(now_ms)
while [ $(( $(now_ms) - t0 )) -lt 7000 ]; do
    has_vip lb1 $VIP && has_vip lb2 $VIP && both=$((both + 1))
    sleep 0.02
done
check "restart: lb1 preempts back" has_vip lb1 $VIP
# Make-before-break: lb2 keeps the VIP 20 ms after lb1's first advert (its ARPs went first),
# so one to three samples may see it on both; more would be two masters.
check "restart: the VIP on both boxes only for the hand-back (samples every 20 ms for 7 s: $both, at most 5)" test "$both" -le 5
check "restart: lb2 stepped back to BACKUP once, nothing else" sh -c "[ \$(grep -c 'MASTER -> BACKUP' '$LABDIR/lb2.log') = 1 ] && ! grep -q FAULT '$LABDIR/lb2.log'"
check "netlink refused the VIP twice: each failure logged with a retry" sh -c "[ \$(grep -c 'injected by VIGIL_FAULT_ADDRESS_ADD.*; retrying' '$LABDIR/lb1.log') = 2 ]"
check "  and the third attempt installed it, said in the log" log_has lb1 "added 192.0.2.100/24 at attempt 3"

# --- 50 link flaps in a minute on the master ------------------------------------------------
t0=$(now_ms)
for i in $(seq 50); do cut_link lb1; sleep 0.6; restore_link lb1; sleep 0.6; done
echo "       50 flaps in $(( ($(now_ms) - t0) / 1000 )) s"
faults=$(grep -c -- '-> FAULT' "$LABDIR/lb1.log")
echo "       lb1 logged $faults transitions to FAULT"
check "flaps: lb1 saw them (at least 45 FAULTs logged)" test "$faults" -ge 45
check "flaps: the VIP ends on lb1 (preempt, 150)" wait_until 6000 has_vip lb1 $VIP
check "flaps: and on exactly one box" wait_until 2000 lacks_vip lb2 $VIP
state() { ip netns exec "${LAB}$1" "$VIGIL" status --json --socket "$LABDIR/$1.sock" | python3 -c "import json,sys; print(json.load(sys.stdin)['instances'][0]['state'])"; }
check "flaps: no stuck state (lb1 $(state lb1), lb2 $(state lb2))" sh -c "[ '$(state lb1)' = MASTER ] && [ '$(state lb2)' = BACKUP ]"
check "flaps: it holds" holds_for 3000 sh -c "ip -n ${LAB}lb1 -4 -o addr | grep -q ' $VIP/' && ! ip -n ${LAB}lb2 -4 -o addr | grep -q ' $VIP/'"

# --- pid file: unwritable, disk full ---------------------------------------------------------
# (In a box of its own: beside lb2's daemon the instance lock would refuse it first.)
in_box bad "$VIGIL" run -f "$c2" --pid-file /proc/vigil-no/vigil.pid --control-socket "" > "$LABDIR/pid1.txt" 2>&1; rc=$?
check "unwritable pid file: exit 2 with the path and the reason ($(head -1 "$LABDIR/pid1.txt"))" sh -c "[ $rc = 2 ] && grep -q 'the pid file /proc/vigil-no/vigil.pid: .*No such file or directory' '$LABDIR/pid1.txt'"
mkdir -p "$LABDIR/full"
unshare -m sh -c "mount -t tmpfs -o size=8k vigil-full '$LABDIR/full' && dd if=/dev/zero of='$LABDIR/full/fill' bs=4k count=16 2>/dev/null; ip netns exec ${LAB}bad '$VIGIL' run -f '$c2' --pid-file '$LABDIR/full/vigil.pid' --control-socket ''" > "$LABDIR/pid2.txt" 2>&1; rc=$?
check "full disk: exit 2 saying so ($(head -1 "$LABDIR/pid2.txt"))" sh -c "[ $rc = 2 ] && grep -q 'No space left on device' '$LABDIR/pid2.txt'"
check "  nothing was started: no VIP on the box it ran in" lacks_vip bad $VIP
finish

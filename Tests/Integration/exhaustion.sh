#!/usr/bin/env bash
# A monitoring system gone wild against a busy box: while lb1 is master at advert_int 0.1
# and checks 200 real servers (TCP_CHECK, delay_loop 1), 2,000 idle connections and a
# slow-header client hit metrics_listen. No real server may be marked down, no advert gap
# may exceed 2 x advert_int, the daemon's memory and descriptors stay bounded (reported).
# Then the daemon is squeezed to its descriptor limit (prlimit) and clients knock on the
# control socket: accept fails with EMFILE, and the loop must not spin on it; with the
# limit back, the control socket answers again.
source "$(dirname "$0")/lib.sh"
echo "descriptor exhaustion: metrics flood against 200 checked real servers and VRRP at 0.1 s"
command -v prlimit >/dev/null || { echo "prlimit is needed (util-linux)"; exit 1; }
lab_switch
lab_box lb1 192.0.2.11/24
lab_box bad 192.0.2.66/24
lab_box web 192.0.2.20/24
# 200 real servers: one process listening on 200 ports, accepting and closing.
cat > "$LABDIR/servers.py" <<'PY'
import asyncio, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
async def serve(reader, writer):
    writer.close()
async def main():
    servers = [await asyncio.start_server(serve, "192.0.2.20", 8000 + i, backlog=64) for i in range(200)]
    print("listening", len(servers), flush=True)
    await asyncio.sleep(600)
asyncio.run(main())
PY
spawn "$LABDIR/servers.log" ip netns exec "${LAB}web" python3 "$LABDIR/servers.py"
HELPERS+=($!)
wait_until 5000 grep -q "listening 200" "$LABDIR/servers.log" || echo "  (the real servers did not start)"
conf=$(vrrp_conf lb1 100 version=3 advert=0.1 pass=none global="    metrics_listen 192.0.2.11:9100")
{
    echo "virtual_server 192.0.2.100 80 {"
    echo "    delay_loop 1"
    echo "    lb_kind NAT"
    echo "    protocol TCP"
    for i in $(seq 0 199); do
        printf '    real_server 192.0.2.20 %d {\n        TCP_CHECK {\n            connect_timeout 2\n        }\n    }\n' $((8000 + i))
    done
    echo "}"
} >> "$conf"
spawn "$LABDIR/wire.txt" ip netns exec "${LAB}sw" tcpdump -l -nn -tt -e -i br0 'ip proto 112'
HELPERS+=($!)
vigil_start lb1 "$conf"
check "lb1 becomes master" wait_until 5000 has_vip lb1 192.0.2.100
healthy() {
    in_box lb1 "$VIGIL" status --json --socket "$LABDIR/lb1.sock" 2>/dev/null |
        python3 -c "import json,sys; r=json.load(sys.stdin); print(sum(s['healthy'] for v in r['virtualServers'] for s in v['realServers']))" 2>/dev/null
}
check "all 200 real servers are up" wait_until 10000 sh -c "[ \"\$($(declare -f healthy in_box); LAB=$LAB VIGIL=$VIGIL LABDIR=$LABDIR healthy)\" = 200 ]"
pid=${PID[lb1]}
fds() { ls /proc/$pid/fd 2>/dev/null | wc -l; }
# The daemon's descriptors that are TCP sockets on the metrics port (9100 = 0x238C): the
# listener and the connections it holds.
metrics_fds() {
    local inodes
    inodes=$(ls -l /proc/$pid/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]/\1/p' | sort -u)
    awk -v inodes="$(echo $inodes)" 'BEGIN { n = split(inodes, a, " "); for (i = 1; i <= n; i++) mine[a[i]] = 1 }
        NR > 1 && $2 ~ /:238C$/ && ($10 in mine) { c++ } END { print c + 0 }' /proc/$pid/net/tcp /proc/$pid/net/tcp6
}
rss() { awk '/^VmRSS/ { print $2 }' /proc/$pid/status; }
# The baseline is the most seen over 3 s: 200 checkers at delay_loop 1 hold a few
# connections at any instant, so one sample can land low.
fd0=0; rss0=$(rss)
for _ in 1 2 3 4 5 6; do f=$(fds); [ "$f" -gt "$fd0" ] && fd0=$f; sleep 0.5; done

# The flood: 2,000 idle connections held 12 s, and one client sending its request line a
# byte every 0.5 s.
cat > "$LABDIR/flood.py" <<'PY'
import resource, socket, sys, time, threading
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
def slow():
    s = socket.create_connection(("192.0.2.11", 9100), timeout=30)
    start = time.time()
    try:
        for b in b"GET /metrics HTTP/1.1\r\nHost: x\r\n":
            s.send(bytes([b])); time.sleep(0.5)
        s.settimeout(30); s.recv(1)
    except OSError:
        pass
    print("slow client closed after %.1f s" % (time.time() - start), flush=True)
t = threading.Thread(target=slow); t.start()
held = []
for _ in range(2000):
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect(("192.0.2.11", 9100)); held.append(s)
    except OSError:
        s.close()
print("connected", len(held), flush=True)
time.sleep(12)
t.join(30)
PY
t0=$(date +%s.%N)
spawn "$LABDIR/flood.txt" ip netns exec "${LAB}bad" python3 "$LABDIR/flood.py"
flood=$!; HELPERS+=($flood)
minimum=200; fdmax=$fd0; rssmax=$rss0; metricsmax=0
for _ in $(seq 14); do
    h=$(healthy); [ -n "$h" ] && [ "$h" -lt "$minimum" ] && minimum=$h
    f=$(fds); [ "$f" -gt "$fdmax" ] && fdmax=$f
    m=$(metrics_fds); [ "$m" -gt "$metricsmax" ] && metricsmax=$m
    r=$(rss); [ "$r" -gt "$rssmax" ] && rssmax=$r
    sleep 1
done
wait $flood
t1=$(date +%s.%N)
mac=$(mac_of lb1)
gap=$(awk -v a="$t0" -v b="$t1" -v mac="$mac" '$2 == mac && /vrid 51/ && $1 >= a && $1 <= b { n++; if (last) { g = $1 - last; if (g > max) max = g }; last = $1 } END { if (n > 1) printf "%.0f", max * 1000 }' "$LABDIR/wire.txt")
echo "       $(grep connected "$LABDIR/flood.txt"); $(grep slow "$LABDIR/flood.txt")"
echo "       during the flood: real servers up at least $minimum/200, longest advert gap ${gap:-none} ms, descriptors $fd0 -> at most $fdmax (at most $metricsmax on the metrics port), VmRSS $((rss0 / 1024)) -> at most $((rssmax / 1024)) MiB"
check "no real server was marked down (at least $minimum of 200 up throughout)" test "$minimum" = 200
check "adverts were captured during the flood" test -n "$gap"
check "no advert gap beyond 2 x advert_int (${gap:-none} ms <= 200 ms)" test "${gap:-9999}" -le 200
# The endpoint's own: its listener, at most 16 connections it keeps, and the few it has
# just accepted over that limit and is closing (a read of the listener accepts up to 4).
# The total moves with the checkers' connections in flight too (one socket each while it
# connects), more of them while the flood takes the CPU: bounded well below the 2,000 the
# flood opens.
check "the metrics endpoint held at most its listener + 16 + 4 being closed ($metricsmax)" test "$metricsmax" -le 21
check "  and some (the flood reached it)" test "$metricsmax" -ge 2
check "the daemon's descriptors stayed bounded ($fdmax <= $fd0 + 40)" test "$fdmax" -le $((fd0 + 40))
check "its memory stayed bounded (VmRSS grew at most 32 MiB: $((rss0 / 1024)) -> $((rssmax / 1024)) MiB)" test $((rssmax - rss0)) -le 32768
check "the slow-header client was closed within 11 s" sh -c "grep -Eq 'slow client closed after ([0-9]|10|11)\.' '$LABDIR/flood.txt'"
check "lb1 stayed master (one transition to MASTER)" sh -c "[ \$(grep -c -- '-> MASTER' '$LABDIR/lb1.log') = 1 ]"

daemon_stop lb1
check "SIGTERM: exit 0" test "$STATUS" = 0

# Squeezed: a daemon with VRRP alone (no checker competing for descriptors) at its
# descriptor limit, then clients on the control socket. The
# main thread's CPU over 2 s says whether the loop spins on EMFILE.
vigil_start lb1 "$(vrrp_conf lb1 100 version=3 advert=0.1 pass=none)"
check "lb1 (VRRP only) is master" wait_until 5000 has_vip lb1 192.0.2.100
pid=${PID[lb1]}
main_ticks() { awk '{ print $14 + $15 }' /proc/$pid/task/$pid/stat; }
b0=$(main_ticks); sleep 2; b1=$(main_ticks); baseline=$((b1 - b0))
hard=$(prlimit --pid "$pid" --nofile --raw --noheadings | awk '{ print $3 }')
# The soft limit at its lowest free descriptor: every new one fails (descriptors it holds
# above that, such as one inherited from the shell, stay usable; ppoll only needs the
# limit above the number it polls).
free=0; while [ -e /proc/$pid/fd/$free ]; do free=$((free + 1)); done
prlimit --pid "$pid" --nofile="$free:$hard"
cat > "$LABDIR/knock.py" <<'PY'
import socket, sys, time
held = []
for _ in range(20):   # past the listen backlog a connect waits: bounded
    s = socket.socket(socket.AF_UNIX); s.settimeout(1)
    try:
        s.connect(sys.argv[1]); s.send(b"status\n"); held.append(s)
    except OSError:
        s.close()
time.sleep(3)
PY
python3 "$LABDIR/knock.py" "$LABDIR/lb1.sock" & knock=$!; HELPERS+=($knock)
sleep 0.5
c0=$(main_ticks); sleep 2; c1=$(main_ticks)
wait $knock
prlimit --pid "$pid" --nofile="$hard:$hard"
ticks=$((c1 - c0)); hz=$(getconf CLK_TCK)
echo "       at the descriptor limit ($free) with 20 control clients waiting: main thread used $ticks of $((2 * hz)) ticks in 2 s ($baseline before)"
check "the loop does not spin on EMFILE (main thread within 10% of a core of its usual $baseline ticks)" test "$ticks" -le $((baseline + 2 * hz / 10))
check "EMFILE is logged" wait_until 2000 log_has lb1 "control socket: accept"
check "with the limit back, vigil status answers" wait_until 3000 sh -c "ip netns exec ${LAB}lb1 '$VIGIL' status --socket '$LABDIR/lb1.sock' | grep -q VI_1"
check "lb1 is still master" has_vip lb1 192.0.2.100
daemon_stop lb1
check "SIGTERM: exit 0" test "$STATUS" = 0
finish

#!/bin/bash
# Guest side of Benchmarks/checkers.sh (runs in the qemu IPVS guest): N real servers
# (addresses 198.18.x.y on one namespace's lo, one TCP listener counting accepts),
# TCP_CHECK every delay_loop 1 s, first by vigil, then by keepalived's checker, each for
# WINDOW seconds after a warm-up. Also run on the host by Benchmarks/checkers-host.sh
# (vigil alone: keepalived's checker needs IPVS, which this machine's kernel lacks). Prints the checks served per second (not falling
# behind: ~N/s) and the daemon's CPU seconds per second.
# With PROFILE=1, after each measurement: 10 s of perf (cpu-clock samples, whole process)
# and its top frames.
# More Vigil binaries to compare (an earlier build) may follow, each measured in turn.
# N may be N,H: H more real servers (the first H addresses, port 8080) with HTTP_GET,
# answered by a small HTTP server that counts requests; CPU per check is then over both.
#   guest-checkers.sh REPO [N[,H]] [WINDOW] [PROFILE] [VIGIL_BINARY...]
REPO=${1:-/work/main}; N=${2:-1000}; WINDOW=${3:-20}; PROFILE=${4:-0}; shift 4 2>/dev/null || shift $#
H=0; case $N in *,*) H=${N#*,}; N=${N%,*} ;; esac
VIGIL=$REPO/.build/release/vigil; [ -x "$VIGIL" ] || VIGIL=$REPO/.build/debug/vigil
W=$(mktemp -d /tmp/checkers.XXXXXX)
P=ck$$
source "$REPO/Tests/IPVS/guest-lib.sh"
ip netns add ${P}d; ip netns add ${P}r
ip link add ${P}a type veth peer name ${P}b
ip link set ${P}a netns ${P}d; ip link set ${P}b netns ${P}r
ip -n ${P}d addr add 192.0.2.1/24 dev ${P}a; ip -n ${P}d link set ${P}a up; ip -n ${P}d link set lo up
ip -n ${P}r addr add 192.0.2.2/24 dev ${P}b; ip -n ${P}r link set ${P}b up; ip -n ${P}r link set lo up
ip -n ${P}d route add 198.18.0.0/15 via 192.0.2.2
addr() { echo "198.18.$(( $1 / 250 )).$(( $1 % 250 + 1 ))"; }
for ((i = 0; i < N; i++)); do echo "address add $(addr $i)/32 dev lo"; done | ip -n ${P}r -batch -
# The real servers: one listener on all addresses; it counts accepted connections.
ip netns exec ${P}r python3 - "$W/accepts" <<'PY' &
import socket, sys, time, os
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80)); s.listen(4096)
n = 0; last = time.time()
while True:
    c, _ = s.accept(); c.close(); n += 1
    if time.time() - last >= 1:
        with open(sys.argv[1], "w") as f: f.write(str(n))
        last = time.time()
PY
PIDS+=($!)
# The HTTP real servers: one asyncio server on all addresses answering 200 "ok" and closing;
# it counts the requests.
if [ "$H" -gt 0 ]; then
    ip netns exec ${P}r python3 - "$W/requests" <<'PY' &
import asyncio, sys, time
n = 0
async def serve(reader, writer):
    global n
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        n += 1
    except Exception:
        pass
    writer.close()
async def count():
    while True:
        await asyncio.sleep(1)
        with open(sys.argv[1], "w") as f: f.write(str(n))
async def main():
    server = await asyncio.start_server(serve, "0.0.0.0", 8080, backlog=4096)
    await count()
asyncio.run(main())
PY
    PIDS+=($!)
fi
{
    if [ "$H" -gt 0 ]; then
        echo "virtual_server 192.0.2.101 8080 {"
        echo "    delay_loop 1"; echo "    lb_algo rr"; echo "    lb_kind NAT"; echo "    protocol TCP"
        for ((i = 0; i < H; i++)); do
            echo "    real_server $(addr $i) 8080 {"; echo "        HTTP_GET {"; echo "            url {"
            echo "                path /"; echo "            }"; echo "            connect_timeout 3"
            echo "        }"; echo "    }"
        done
        echo "}"
    fi
    echo "virtual_server 192.0.2.100 80 {"
    echo "    delay_loop 1"; echo "    lb_algo rr"; echo "    lb_kind NAT"; echo "    protocol TCP"
    for ((i = 0; i < N; i++)); do
        echo "    real_server $(addr $i) 80 {"; echo "        TCP_CHECK {"; echo "            connect_timeout 3"
        echo "        }"; echo "    }"
    done
    echo "}"
} > "$W/checkers.conf"
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
accepts() { echo $(( $(cat "$W/accepts" 2>/dev/null || echo 0) + $(cat "$W/requests" 2>/dev/null || echo 0) )); }
measure() {  # NAME PID: after 10 s of warm-up, checks/s and CPU-s/s over WINDOW
    sleep 10
    local a0 c0 a1 c1 hz
    hz=$(getconf CLK_TCK); a0=$(accepts); c0=$(cpu_ticks $2)
    sleep "$WINDOW"
    a1=$(accepts); c1=$(cpu_ticks $2)
    awk -v n="$1" -v a=$((a1 - a0)) -v c=$((c1 - c0)) -v w="$WINDOW" -v hz="$hz" -v N=$((N + H)) -v what="$N TCP_CHECK + $H HTTP_GET" \
        'BEGIN { printf "%-10s %s: %7.1f checks/s served (%5.1f%% of N/s), CPU %.3f s/s, %.3f ms per check\n", n, what, a / w, 100 * a / w / N, c / hz / w, (a > 0 ? 1000 * c / hz / a : 0) }'
}
profile() {  # NAME PID
    [ "$PROFILE" = 1 ] || return 0
    perf record -q -F 499 -e cpu-clock -g -p $2 -o "$W/$1.perf" -- sleep 10 > /dev/null 2>&1
    echo "$1: where the time goes (self time by object, 10 s of cpu-clock samples)"
    perf report -i "$W/$1.perf" --stdio --no-children --sort dso -g none --percent-limit 1 2>/dev/null |
        grep -v '^#' | grep -v '^$' | head -8
    echo "$1: top frames"
    perf report -i "$W/$1.perf" --stdio --no-children --sort dso,sym -g none --percent-limit 1 2>/dev/null |
        grep -v '^#' | grep -v '^$' | head -25 | cut -c1-150
}
for BIN in "$VIGIL" "$@"; do
    name=vigil; [ "$BIN" = "$VIGIL" ] || name=$(basename "$BIN")
    ip netns exec ${P}d "$BIN" run -f "$W/checkers.conf" > "$W/vigil.log" 2>&1 & V=$!; PIDS+=($V)
    measure "$name" $V
    profile "$name" $V
    kill -TERM $V; wait $V
done
# keepalived's checker cannot start without IPVS (on this machine's own kernel).
if [ ! -e /proc/net/ip_vs ]; then
    echo "keepalived skipped: no IPVS in this kernel (its checker needs it)"
    grep -i "error\|warn" "$W/vigil.log" | grep -v "IPVS is not available" | head -3
    exit 0
fi
ip netns exec ${P}d keepalived -n -l -C -f "$W/checkers.conf" -p "$W/k.pid" -c "$W/kc.pid" > "$W/keepalived.log" 2>&1 & K=$!; PIDS+=($K)
wait_until 10000 test -s "$W/kc.pid"
KC=$(cat "$W/kc.pid")
measure keepalived $KC
profile keepalived $KC
kill -TERM $K; wait $K
grep -i "error\|warn" "$W/vigil.log" | head -3
exit 0

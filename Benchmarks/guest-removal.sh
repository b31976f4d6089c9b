#!/bin/bash
# Guest side of Benchmarks/removal.sh (runs in the qemu IPVS guest): how long a dead real
# server stays in IPVS. LVS-NAT, two real python HTTP servers, HTTP_GET (delay_loop 1,
# connect_timeout 1, retry 0); TRIALS times: r2's server is killed at a random point of
# the check period and /proc/net/ip_vs (the director's namespace) is read every 5 ms
# until r2 is gone; then r2 is restarted and awaited. First vigil, then keepalived's
# checker on the same lab and configuration. Prints each daemon's median, min and max.
#   guest-removal.sh REPO [TRIALS]
REPO=${1:-/work/main}; TRIALS=${2:-10}
VIGIL=$REPO/.build/release/vigil; [ -x "$VIGIL" ] || VIGIL=$REPO/.build/debug/vigil
W=$(mktemp -d /tmp/removal.XXXXXX)
P=rm$$
source "$REPO/Tests/IPVS/guest-lib.sh"
switch back
port d eth1 back 198.51.100.1/24
port r1 eth0 back 198.51.100.11/24
port r2 eth0 back 198.51.100.12/24
ip -n ${P}d addr add 192.0.2.100/32 dev lo
serve r1; serve r2
for n in r1 r2; do wait_until 15000 serving $n || { echo "the HTTP server on $n did not start"; exit 1; }; done
cat > "$W/lvs.conf" <<CONF
virtual_server 192.0.2.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
CONF
for rs in 11 12; do cat >> "$W/lvs.conf" <<CONF
    real_server 198.51.100.$rs 80 {
        HTTP_GET {
            url {
                path /
            }
            connect_timeout 1
            retry 0
        }
    }
CONF
done
echo "}" >> "$W/lvs.conf"
in_ipvs() { ip netns exec ${P}d grep -qi "C633640C:0050" /proc/net/ip_vs; }  # 198.51.100.12:80
# kill PID, then ms until r2 leaves /proc/net/ip_vs (bounded: 10 s)
removal() {
    ip netns exec ${P}d python3 - "$1" <<'PY'
import os, signal, sys, time
pid = int(sys.argv[1])
os.kill(pid, signal.SIGKILL)
t0 = time.monotonic()
while time.monotonic() - t0 < 10:
    with open("/proc/net/ip_vs") as f:
        if "C633640C:0050" not in f.read().upper():
            print(round((time.monotonic() - t0) * 1000)); sys.exit(0)
    time.sleep(0.005)
print("timeout")
PY
}
trials() {  # NAME: TRIALS removals, then median/min/max
    local i ms all=()
    for ((i = 0; i < TRIALS; i++)); do
        wait_until 15000 in_ipvs || { echo "$1: r2 is not in IPVS"; return; }
        sleep "0.$((RANDOM % 10))$((RANDOM % 10))"     # a random point of the check period
        ms=$(removal "$SERVER_r2")
        all+=("$ms")
        serve r2; wait_until 15000 serving r2
    done
    printf '%s\n' "${all[@]}" | sort -n | awk -v n="$1" '
        { v[NR] = $1 } END { printf "%-10s removal after the real server died, ms over %d trials: median %d, min %d, max %d\n", n, NR, v[int((NR + 1) / 2)], v[1], v[NR] }'
}
ip netns exec ${P}d "$VIGIL" run -f "$W/lvs.conf" > "$W/vigil.log" 2>&1 & V=$!; PIDS+=($V)
trials vigil
kill -TERM $V; wait $V
ip netns exec ${P}d keepalived -n -l -C -f "$W/lvs.conf" -p "$W/k.pid" -c "$W/kc.pid" > "$W/keepalived.log" 2>&1 & K=$!; PIDS+=($K)
trials keepalived
kill -TERM $K; wait $K
exit 0

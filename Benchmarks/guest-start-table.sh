#!/bin/bash
# Guest side of Benchmarks/start-table.sh (runs in the qemu IPVS guest): the time from a
# daemon's start to its IPVS table programmed — one virtual server, two real servers, no
# checker — for Vigil (the binary given) and keepalived's checker (-C), TRIALS times each,
# alternating. Then the same with a director's configuration (a VRRP instance beside the
# virtual server), each daemon as its unit runs it: keepalived (no -C, as Debian's
# keepalived.service) forks a VRRP child beside the checker that programs the table.
# A poller started first execs nothing but the daemon and reads /proc/net/ip_vs of its
# namespace every 2 ms.
#   guest-start-table.sh REPO TRIALS VIGIL_BINARY
REPO=${1:-/work/main}; TRIALS=${2:-5}; VIGIL=${3:-$REPO/.build/release/vigil}
W=$(mktemp -d /tmp/start-table.XXXXXX)
P=st$$
source "$REPO/Tests/IPVS/guest-lib.sh"
ip netns add ${P}d; ip -n ${P}d link set lo up
ip -n ${P}d link add eth0 type dummy; ip -n ${P}d addr add 192.0.2.11/24 dev eth0; ip -n ${P}d link set eth0 up
cat > "$W/lvs.conf" <<CONF
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
    }
    real_server 198.51.100.12 80 {
    }
}
CONF
cat > "$W/time.py" <<'PY'
import os, signal, subprocess, sys, time
t0 = time.monotonic()
daemon = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
elapsed = None
while time.monotonic() - t0 < 60:
    with open("/proc/net/ip_vs") as f:
        if sum(1 for line in f if line.lstrip().startswith("-> C6336")) == 2:
            elapsed = time.monotonic() - t0
            break
    time.sleep(0.002)
daemon.send_signal(signal.SIGTERM)
try:
    daemon.wait(30)
except subprocess.TimeoutExpired:
    daemon.kill()
print("%.0f" % (elapsed * 1000) if elapsed is not None else "none", flush=True)
PY
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "median %d ms (min %d, max %d, %d trials)", a[int((NR + 1) / 2)], a[1], a[NR], NR; else printf "none" }'; }
{ cat <<CONF
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.100/24
    }
}
CONF
cat "$W/lvs.conf"; } > "$W/director.conf"
: > "$W/vigil.ms"; : > "$W/keepalived.ms"; : > "$W/vigil-director.ms"; : > "$W/keepalived-director.ms"
# timed NAME COMMAND...: one start from an emptied table, its time appended to NAME.ms.
timed() { local name=$1; shift; ip netns exec ${P}d ipvsadm -C; ip netns exec ${P}d python3 "$W/time.py" "$@" >> "$W/$name.ms"; }
for ((i = 1; i <= TRIALS; i++)); do
    timed vigil "$VIGIL" run -f "$W/lvs.conf" --control-socket "" --pid-file "$W/v.pid"
    timed keepalived keepalived -n -l -C -f "$W/lvs.conf" -p "$W/k.pid" -c "$W/kc.pid"
done
for ((i = 1; i <= TRIALS; i++)); do
    timed vigil-director "$VIGIL" run -f "$W/director.conf" --control-socket "" --pid-file "$W/v.pid"
    timed keepalived-director keepalived -n -l -f "$W/director.conf" -p "$W/k.pid" -c "$W/kc.pid" -r "$W/kr.pid"
done
# The process start alone (exec to exit of --version / -v), for comparison.
: > "$W/vigil-v.ms"; : > "$W/keepalived-v.ms"
for ((i = 1; i <= TRIALS; i++)); do
    t0=$(date +%s%N); "$VIGIL" --version > /dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )) >> "$W/vigil-v.ms"
    t0=$(date +%s%N); keepalived -v > /dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )) >> "$W/keepalived-v.ms"
done
echo "vigil ($(du -m "$VIGIL" | cut -f1) MB binary): start to the table programmed: $(grep -v none "$W/vigil.ms" | median); the process alone (--version): $(median < "$W/vigil-v.ms")"
echo "keepalived $(keepalived -v 2>&1 | head -1 | awk '{print $2}'): start to the table programmed: $(grep -v none "$W/keepalived.ms" | median); the process alone (-v): $(median < "$W/keepalived-v.ms")"
echo "a director's configuration (VRRP instance + the virtual server), each as its unit runs it:"
echo "  vigil run: $(grep -v none "$W/vigil-director.ms" | median)"
echo "  keepalived (VRRP and checker children): $(grep -v none "$W/keepalived-director.ms" | median)"
grep -q none "$W/vigil.ms" "$W/keepalived.ms" "$W/vigil-director.ms" "$W/keepalived-director.ms" && fail "a daemon did not program its table within 60 s"
exit $FAILED

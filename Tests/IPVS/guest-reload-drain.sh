#!/bin/bash
# Runs inside the qemu guest (real IPVS): live reload and drain against the kernel's table.
#   guest-reload-drain.sh REPO
# Proves: a reload applies only the difference (a service edited in place, a real server
# added, a removed service deleted, an unchanged one untouched) and an established
# connection through the edited service survives it; an invalid reload changes nothing;
# `vigil drain` puts weight 0 in the kernel, the established connection goes on and new
# ones go elsewhere; `vigil undrain` restores the weight; `vigil status` shows the pool.
REPO=${1:-/work/main}
VIGIL=$REPO/.build/debug/vigil
W=$(mktemp -d /tmp/reload.XXXXXX)
P=rd$$
source "$(dirname "$0")/guest-lib.sh"

switch front back
port c eth0 front 192.0.2.50/24
port d eth0 front 192.0.2.1/24
port d eth1 back 198.51.100.1/24
ip -n ${P}c route add default via 192.0.2.1
ip -n ${P}d addr add 192.0.2.100/24 dev eth0            # the VIP (VRRP is not the subject here)
ip netns exec ${P}d sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
for n in 1 2 3; do
    port r$n eth0 back 198.51.100.1$n/24
    ip -n ${P}r$n route add default via 198.51.100.1
    serve r$n
    # A line server on 9000: answers each line with "rN: line" on the same connection.
    ip netns exec ${P}r$n python3 -c "
import socketserver
class H(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(b'r$n: ' + line); self.wfile.flush()
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(('0.0.0.0', 9000), H).serve_forever()" > /dev/null 2>&1 &
    PIDS+=($!)
done
for n in 1 2 3; do wait_until 15000 serving r$n || fail "the HTTP server on r$n did not start"; done

rs() {  # ADDRESS PORT
    printf '    real_server %s %s {\n        TCP_CHECK {\n            connect_timeout 1\n        }\n    }\n' "$1" "$2"
}
vs() {  # PORT SCHEDULER REAL-SERVER-LINES...
    local port=$1 algo=$2; shift 2
    printf 'virtual_server 192.0.2.100 %s {\n    delay_loop 1\n    lb_algo %s\n    lb_kind NAT\n    protocol TCP\n' "$port" "$algo"
    printf '%s' "$@"
    printf '}\n'
}
metrics='global_defs {
    metrics_listen 192.0.2.1:9100
}
'
{ echo "$metrics"; vs 80 rr "$(rs 198.51.100.11 80)" "$(rs 198.51.100.12 80)"
  vs 81 rr "$(rs 198.51.100.11 80)"
  vs 9000 rr "$(rs 198.51.100.11 9000)" "$(rs 198.51.100.12 9000)"; } > "$W/vigil.conf"
ip netns exec ${P}d "$VIGIL" run -f "$W/vigil.conf" --control-socket "$W/vigil.sock" > "$W/vigil.log" 2>&1 &
VPID=$!; PIDS+=($VPID)
table() { ip netns exec ${P}d ipvsadm -Sn | sort; }
ctl() { ip netns exec ${P}d "$VIGIL" "$@" --socket "$W/vigil.sock"; }
programmed() { [ "$(table | wc -l)" = 8 ]; }
check "vigil programs 3 services, 5 real servers" wait_until 15000 programmed

# An established connection through the VIP to port 9000, held open by a coprocess that
# sends one line whenever asked and prints the answer.
coproc CONN { ip netns exec ${P}c python3 -u -c "
import socket, sys
s = socket.create_connection(('192.0.2.100', 9000), timeout=5)
f = s.makefile('rb')
for line in sys.stdin:
    try:
        s.sendall(line.encode()); print(f.readline().decode().strip())
    except Exception as e:
        print('error', e)
"; }
PIDS+=($CONN_PID)
ask() { echo "$1" >&"${CONN[1]}"; local answer; read -r -t 10 answer <&"${CONN[0]}"; echo "$answer"; }
first=$(ask one)
server=${first%%:*}
check "the held connection is answered ($first)" [ "$first" = "$server: one" ]
echo "       held connection to $server; ipvs connections:"; ip netns exec ${P}d ipvsadm -Lnc | sed 's/^/         /'

# Reload: port 9000 gains r3 and becomes wrr (edited in place), port 81 goes, port 80 stays.
{ echo "$metrics"; vs 80 rr "$(rs 198.51.100.11 80)" "$(rs 198.51.100.12 80)"
  vs 9000 wrr "$(rs 198.51.100.11 9000)" "$(rs 198.51.100.12 9000)" "$(rs 198.51.100.13 9000)"; } > "$W/vigil.conf"
table > "$W/before"
ctl reload > "$W/reload.txt" 2>&1; rc=$?
check "vigil reload succeeds ($(cat "$W/reload.txt"))" [ "$rc" = 0 ]
reloaded() { table | grep -q -- "-A -t 192.0.2.100:9000 -s wrr" && table | grep -q -- "-r 198.51.100.13:9000"; }
check "the kernel has the new table: 9000 is wrr with r3" wait_until 5000 reloaded
check "  port 81 is gone" bash -c "! ip netns exec ${P}d ipvsadm -Sn | grep -q 192.0.2.100:81"
check "  port 80 is exactly as before" [ "$(grep 192.0.2.100:80 "$W/before")" = "$(table | grep 192.0.2.100:80)" ]
check "  the log names the reload: 2 virtual servers, 1 removed" grep -q "virtual servers: 0 added, 1 removed" "$W/vigil.log"
second=$(ask two)
check "the established connection survived the reload ($second)" [ "$second" = "$server: two" ]

# An invalid reload changes nothing.
table > "$W/before"
printf 'virtual_server 192.0.2.100 9001 {\n    lb_algo nosuch\n}\n' >> "$W/vigil.conf"
ctl reload > "$W/bad.txt" 2>&1; rc=$?
check "an invalid file is refused (exit $rc) with its location" grep -qE "vigil.conf:[0-9]+:[0-9]+: error" "$W/bad.txt"
sleep 1
check "  and the table is unchanged" [ "$(cat "$W/before")" = "$(table)" ]

# Drain the server the held connection uses.
ip=198.51.100.1${server#r}
ctl drain 192.0.2.100:9000 $ip:9000 > "$W/drain.txt" 2>&1
drained() { table | grep -q -- "-a -t 192.0.2.100:9000 -r $ip:9000 -m -w 0"; }
check "vigil drain: weight 0 for $ip:9000 in the kernel ($(cat "$W/drain.txt"))" wait_until 3000 drained
third=$(ask three)
check "  the established connection goes on ($third)" [ "$third" = "$server: three" ]
news=$(for i in 1 2 3 4 5 6; do ip netns exec ${P}c python3 -c "
import socket; s = socket.create_connection(('192.0.2.100', 9000), timeout=5); s.sendall(b'x\n'); print(s.makefile('rb').readline().decode().split(':')[0])"; done | sort | uniq -c | tr '\n' ' ')
check "  new connections avoid $server ($news)" bash -c "! echo '$news' | grep -q ' $server\$\| $server '"
ctl status > "$W/status.txt" 2>&1
check "vigil status shows the drained real server, its held connection active (ACT/INACT 1/…)" grep -qE "^  $ip:9000 +up \(drained\) +0/1 +1/[0-9]+ +[0-9]+ " "$W/status.txt"
cat "$W/status.txt" | sed 's/^/       /'
ctl undrain 192.0.2.100:9000 $ip:9000 > /dev/null 2>&1
undrained() { table | grep -q -- "-a -t 192.0.2.100:9000 -r $ip:9000 -m -w 1"; }
check "vigil undrain: weight 1 again" wait_until 3000 undrained
ctl drain 192.0.2.100:9000 198.51.100.99:9000 > "$W/drain2.txt" 2>&1; rc=$?
check "draining an unknown real server: exit 1 naming the real servers" bash -c "[ $rc = 1 ] && grep -q 'has no real server 198.51.100.99:9000' '$W/drain2.txt'"

# The kernel's IPVS counters on metrics_listen.
ip netns exec ${P}c python3 -c "import urllib.request; print(urllib.request.urlopen('http://192.0.2.1:9100/metrics', timeout=5).read().decode())" > "$W/metrics.txt" 2>&1
value() { awk -v m="$1" 'index($0, m " ") == 1 { print $NF }' "$W/metrics.txt"; }
conns=$(value 'vigil_ipvs_service_connections_total{service="TCP 192.0.2.100:9000"}')
check "metrics: the 9000 service's connections_total counts the 7 connections made (got $conns)" [ "${conns:-0}" -ge 7 ]
active=$(value "vigil_ipvs_real_server_active_connections{service=\"TCP 192.0.2.100:9000\",real_server=\"$ip:9000\"}")
check "metrics: the held connection is active on $ip (got $active)" [ "${active%.*}" = 1 ]
inbytes=$(value "vigil_ipvs_real_server_in_bytes_total{service=\"TCP 192.0.2.100:9000\",real_server=\"$ip:9000\"}")
check "metrics: bytes in through $ip are counted (got $inbytes)" [ "${inbytes:-0}" -gt 0 ]
grep '^vigil_ipvs' "$W/metrics.txt" | head -20 | sed 's/^/       /'

kill -TERM $VPID; wait $VPID; STATUS=$?
check "SIGTERM: vigil exits 0" [ "$STATUS" = 0 ]
check "  the services are removed" [ -z "$(table)" ]
echo "--- vigil log"; cat "$W/vigil.log"
exit $FAILED

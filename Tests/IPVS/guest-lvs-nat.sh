#!/bin/bash
# Runs inside the qemu guest (real IPVS): LVS-NAT with two real HTTP servers and a sorry
# server, lb_algo wrr with weights 3:1, HTTP_GET health checks.
#   guest-lvs-nat.sh REPO
# Proves: the table is the configured one; 20 client requests through the VIP land 15:5;
# a real server whose HTTP server stops leaves the pool within delay_loop +
# connect_timeout and traffic all goes to the other; back, it returns; all down, the
# sorry server answers; SIGTERM removes the service.
REPO=${1:-/work/main}
VIGIL=$REPO/.build/debug/vigil
W=$(mktemp -d /tmp/lvs-nat.XXXXXX)
P=ln$$
source "$(dirname "$0")/guest-lib.sh"

# Client c and director d on 192.0.2.0/24 (bridge in sw), real servers behind d on
# 198.51.100.0/24 (another bridge).
switch front back
box() {  # NAME BRIDGE ADDRESS [GATEWAY]
    ip netns add $P$1
    ip link add $P$1x type veth peer name eth0 netns $P$1
    ip link set $P$1x netns ${P}sw
    ip -n ${P}sw link set $P$1x master $2 up
    ip -n $P$1 link set lo up
    ip -n $P$1 addr add $3 dev eth0
    ip -n $P$1 link set eth0 up
    [ -n "${4:-}" ] && ip -n $P$1 route add default via $4
}
box c front 192.0.2.50/24
box d front 192.0.2.1/24
ip link add ${P}dy type veth peer name eth1 netns ${P}d
ip link set ${P}dy netns ${P}sw
ip -n ${P}sw link set ${P}dy master back up
ip -n ${P}d addr add 198.51.100.1/24 dev eth1
ip -n ${P}d link set eth1 up
ip -n ${P}d addr add 192.0.2.100/24 dev eth0            # the VIP (VRRP is not the subject here)
ip netns exec ${P}d sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
box r1 back 198.51.100.11/24 198.51.100.1
box r2 back 198.51.100.12/24 198.51.100.1
box s back 198.51.100.13/24 198.51.100.1

serve r1; serve r2; serve s
for n in r1 r2 s; do wait_until 15000 serving $n || fail "the HTTP server on $n did not start"; done

cat > "$W/vigil.conf" <<CONF
virtual_server 192.0.2.100 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    sorry_server 198.51.100.13 80
    real_server 198.51.100.11 80 {
        weight 3
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 0
        }
    }
    real_server 198.51.100.12 80 {
        weight 1
        HTTP_GET {
            url {
                path /
            }
            connect_timeout 1
            retry 0
        }
    }
}
CONF
ip netns exec ${P}d "$VIGIL" run -f "$W/vigil.conf" > "$W/vigil.log" 2>&1 &
VPID=$!; PIDS+=($VPID)
table() { ip netns exec ${P}d ipvsadm -Sn | sort; }
has_rs() { table | grep -q -- "-r $1:80"; }
lacks_rs() { ! has_rs "$1"; }
check "vigil programs the service with both real servers" wait_until 10000 bash -c "$(declare -f table has_rs); P=$P; has_rs 198.51.100.11 && has_rs 198.51.100.12"
printf '%s\n' "-A -t 192.0.2.100:80 -s wrr" "-a -t 192.0.2.100:80 -r 198.51.100.11:80 -m -w 3" \
    "-a -t 192.0.2.100:80 -r 198.51.100.12:80 -m -w 1" | sort > "$W/expected"
table > "$W/table"
if cmp -s "$W/expected" "$W/table"; then ok "ipvsadm shows exactly the configured table"; else
    fail "ipvsadm shows exactly the configured table"; diff "$W/expected" "$W/table"; fi

# 20 requests, each a new connection, through the VIP.
requests() {  # prints the answers, one per line
    ip netns exec ${P}c python3 - <<'PY'
import urllib.request
for _ in range(20):
    try:
        print(urllib.request.urlopen("http://192.0.2.100/", timeout=3).read().decode().strip())
    except Exception as e:
        print("error", e)
PY
}
requests > "$W/run1"
n1=$(grep -cx r1 "$W/run1"); n2=$(grep -cx r2 "$W/run1")
echo "       20 requests: r1 $n1, r2 $n2"
check "wrr 3:1: the 20 requests land 15:5" [ "$n1" = 15 -a "$n2" = 5 ]

kill -KILL $SERVER_r2; t0=$(now_ms)
check "r2's server stops: r2 leaves the pool" wait_until 10000 lacks_rs 198.51.100.12
t1=$(now_ms)
echo "       removed $((t1 - t0)) ms after its HTTP server died (delay_loop 1 s + connect_timeout 1 s = 2000 ms bound)"
check "  within delay_loop + connect_timeout (+0.5 s for the guest's slowness)" [ $((t1 - t0)) -le 2500 ]
# Refused; or, a check in flight when the server died: closed before a full response, or
# reset (its handshake had completed into the dying server's accept queue).
check "  the reason is logged" grep -qE "198.51.100.12 80\) down: (connection refused|connection closed before a complete response|cannot connect to 198.51.100.12:80: Connection reset by peer)" "$W/vigil.log"
requests > "$W/run2"
check "  all 20 requests go to r1" [ "$(grep -cx r1 "$W/run2")" = 20 ]
serve r2
check "r2 back: it returns to the pool" wait_until 15000 has_rs 198.51.100.12
kill -KILL $SERVER_r1 $SERVER_r2
check "all real servers down: the sorry server joins" wait_until 10000 has_rs 198.51.100.13
requests > "$W/run3"
check "  and answers the client" [ "$(grep -cx s "$W/run3")" = 20 ]
kill -TERM $VPID; wait $VPID; STATUS=$?
check "SIGTERM: vigil exits 0" [ "$STATUS" = 0 ]
check "  the service is removed" [ -z "$(table)" ]
echo "--- vigil log"; cat "$W/vigil.log"
exit $FAILED

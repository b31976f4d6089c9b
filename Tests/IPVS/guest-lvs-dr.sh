#!/bin/bash
# Runs inside the qemu guest (real IPVS): LVS-DR. The real servers carry the VIP on lo
# (arp_ignore 1, arp_announce 2, so only the director answers ARP for it) and answer the
# client directly; the director only forwards the requests.
#   guest-lvs-dr.sh REPO
REPO=${1:-/work/main}
VIGIL=$REPO/.build/debug/vigil
W=$(mktemp -d /tmp/lvs-dr.XXXXXX)
P=dr$$
source "$(dirname "$0")/guest-lib.sh"
VIP=192.0.2.100

switch lan
port c eth0 lan 192.0.2.50/24
port d eth0 lan 192.0.2.11/24
ip -n ${P}d addr add $VIP/24 dev eth0
for r in r1 r2; do
    port $r eth0 lan 192.0.2.$([ $r = r1 ] && echo 21 || echo 22)/24
    ip -n $P$r addr add $VIP/32 dev lo
    ip netns exec $P$r sh -c 'for i in all eth0; do echo 1 > /proc/sys/net/ipv4/conf/$i/arp_ignore; echo 2 > /proc/sys/net/ipv4/conf/$i/arp_announce; done'
    serve $r
done
for r in r1 r2; do wait_until 15000 serving $r || fail "the HTTP server on $r did not start"; done
cat > "$W/vigil.conf" <<CONF
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 192.0.2.21 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 192.0.2.22 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF
ip netns exec ${P}d "$VIGIL" run -f "$W/vigil.conf" > "$W/vigil.log" 2>&1 & VPID=$!; PIDS+=($VPID)
routed() { [ "$(ip netns exec ${P}d ipvsadm -Sn | grep -c -- '-g -w 1')" = 2 ]; }
check "the director has both real servers with direct routing (-g)" wait_until 10000 routed
ip netns exec ${P}c python3 - > "$W/answers" <<'PY'
import urllib.request
for _ in range(20):
    try:
        print(urllib.request.urlopen("http://192.0.2.100/", timeout=3).read().decode().strip())
    except Exception as e:
        print("error", e)
PY
n1=$(grep -cx r1 "$W/answers"); n2=$(grep -cx r2 "$W/answers")
echo "       20 requests: r1 $n1, r2 $n2"
check "clients get answers from both real servers (rr: 10 and 10)" [ "$n1" = 10 -a "$n2" = 10 ]
check "the client's ARP entry for the VIP is the director's MAC (the real servers keep quiet)" \
    bash -c "ip -n ${P}c neigh show $VIP | grep -q \"\$(ip -n ${P}d -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')\""
kill -TERM $VPID; wait $VPID
check "SIGTERM: the service is removed" [ -z "$(ip netns exec ${P}d ipvsadm -Sn)" ]
exit $FAILED

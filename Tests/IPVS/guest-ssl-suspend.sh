#!/bin/bash
# Runs inside the qemu guest (real IPVS): SSL_GET, ha_suspend and a GUE tunnel.
#   guest-ssl-suspend.sh REPO
# Proves: `vigil genhash` reads an https page; an `alpha` real server checked by SSL_GET
# (a python TLS server with a self-signed certificate) enters IPVS only after a check
# passed; with `ha_suspend` the checks wait while the VIP is not on the director (before
# the VRRP instance is master, and while it is in FAULT) and run while it is; the TLS
# server stopping takes the real server out; `lvs_method TUN type gue port 6080 csum`
# reaches the kernel (ipvsadm --tun-info).
REPO=${1:-/work/main}
VIGIL=$REPO/.build/debug/vigil
W=$(mktemp -d /tmp/ssl-suspend.XXXXXX)
P=ss$$
source "$(dirname "$0")/guest-lib.sh"
FIX=$REPO/Tests/HealthCheckTests/Fixtures

switch front back
port d eth0 front 192.0.2.1/24; port d eth1 back 198.51.100.1/24
port r1 eth0 back 198.51.100.11/24
ip -n ${P}d link add trk type dummy; ip -n ${P}d link set trk up
# The TLS real server: every request it answers is a line in $W/r1.log.
mkdir -p "$W/www"; echo "r1 over TLS" > "$W/www/index.html"
tls_server() {
    ip netns exec ${P}r1 python3 - "$FIX/server.crt" "$FIX/server.key" "$W/www" "$W/r1.log" <<'PY' &
import functools, http.server, ssl, sys
cert, key, root, log = sys.argv[1:5]
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        with open(log, "a") as f: f.write(self.path + "\n")
server = http.server.HTTPServer(("0.0.0.0", 443), functools.partial(Handler, directory=root))
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
    TLS=$!; PIDS+=($TLS)
}
tls_server
genhash() { ip netns exec ${P}d "$VIGIL" genhash --url https://198.51.100.11/ --timeout 3 2>&1; }
check "vigil genhash reads the https page" wait_until 15000 bash -c "$(declare -f genhash); P=$P VIGIL=$VIGIL; genhash | grep -q MD5SUM"
DIGEST=$(genhash | awk '/MD5SUM/ { print $3 }')
EXPECTED=$(md5sum < "$W/www/index.html" | cut -d' ' -f1)
check "  its digest is the page's MD5 ($EXPECTED)" [ "$DIGEST" = "$EXPECTED" ]
: > "$W/r1.log"

cat > "$W/vigil.conf" <<CONF
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 61
    priority 100
    advert_int 1
    track_interface {
        trk
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
virtual_server 192.0.2.100 443 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    ha_suspend
    real_server 198.51.100.11 443 {
        alpha
        SSL_GET {
            url {
                path /index.html
                digest $DIGEST
            }
            connect_timeout 2
            retry 0
        }
    }
}
virtual_server 192.0.2.101 80 {
    lb_algo rr
    protocol TCP
    lvs_method TUN type gue port 6080 csum
    real_server 198.51.100.11 80 {
    }
}
CONF
ip netns exec ${P}d "$VIGIL" run -f "$W/vigil.conf" > "$W/vigil.log" 2>&1 &
VPID=$!; PIDS+=($VPID)
table() { ip netns exec ${P}d ipvsadm -Sn; }
has_rs() { table | grep -q -- "-r 198.51.100.11:443"; }
lacks_rs() { ! has_rs; }
requests() { wc -l < "$W/r1.log"; }
vip_here() { ip -n ${P}d addr show dev eth0 | grep -q "192.0.2.100/"; }
check "ha_suspend: checks suspended at start (the VIP is not here yet)" \
    wait_until 10000 grep -q "health checks suspended: its address is not on this box (ha_suspend)" "$W/vigil.log"
check "  the instance becomes master" wait_until 15000 vip_here
check "  checks resume with the VIP" grep -q "health checks resumed" "$W/vigil.log"
check "alpha + SSL_GET: the real server enters IPVS after a passed check" wait_until 10000 has_rs
check "  the TLS server saw the checker's request" grep -q "/index.html" "$W/r1.log"

ip -n ${P}d link set trk down
check "track_interface down: FAULT, the VIP leaves" wait_until 10000 bash -c "! ip -n ${P}d addr show dev eth0 | grep -q 192.0.2.100/"
check "  checks suspended" wait_until 5000 grep -q "health checks suspended: its address left this box" "$W/vigil.log"
sleep 0.5; before=$(requests); sleep 3; after=$(requests)
echo "       requests at the real server in 3 s while suspended: $((after - before))"
check "  no check reaches the real server while suspended" [ "$((after - before))" = 0 ]
ip -n ${P}d link set trk up
check "trk up: master again, the VIP is back" wait_until 15000 vip_here
check "  checks resume and reach the real server" wait_until 10000 bash -c "[ \$(wc -l < $W/r1.log) -gt $after ]"

kill -KILL $TLS
check "the TLS server stops: the real server leaves IPVS" wait_until 10000 lacks_rs
check "  with the reason logged" grep -q "198.51.100.11 443) down: connection refused" "$W/vigil.log"

ip netns exec ${P}d ipvsadm -Ln --tun-info > "$W/tun" 2>&1
cat "$W/tun" | grep -A1 "192.0.2.101"
# ipvsadm writes the tunnel as TYPE:PORT:FLAGS, +c for csum.
check "GUE tunnel: type, port and checksum flag in the kernel" grep -Eq "198.51.100.11:80 +Tunnel +gue:6080:\+c " "$W/tun"

kill -TERM $VPID; wait $VPID; STATUS=$?
check "SIGTERM: vigil exits 0" [ "$STATUS" = 0 ]
check "  its services are removed" [ -z "$(table)" ]
echo "--- vigil log"; cat "$W/vigil.log"
exit $FAILED

#!/bin/sh
# Runs inside the qemu guest (real IPVS): `vigil run` programs the table of its
# virtual_server blocks, exactly (IPv4, IPv6 with a /64 persistence granularity, fwmark); adopts a matching service left by someone else (edits
# it in place), leaves a foreign service alone, and removes what it manages on SIGTERM; a
# start that fails after its table went in takes it out again.
#   guest-vigil-table.sh REPO
# IPVS tables are per network namespace; everything happens in namespace vgt.
REPO=${1:-/work/main}
VIGIL=$REPO/.build/debug/vigil
W=$(mktemp -d /tmp/vigil-table.XXXXXX)
NS=vgt
FAILED=0
ok()   { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; FAILED=1; }
check() { what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
in_ns() { ip netns exec $NS "$@"; }
cleanup() {
    [ -n "${PID:-}" ] && kill -KILL "$PID" 2>/dev/null
    ip netns del $NS 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT

ip netns add $NS
in_ns ip link set lo up
cat > "$W/vigil.conf" <<CONF
virtual_server 192.0.2.100 80 {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.1 80 {
        weight 3
    }
    real_server 198.51.100.2 80 {
        weight 1
    }
}
virtual_server 192.0.2.100 53 {
    lb_algo sh
    sh-port
    lb_kind DR
    persistence_timeout 300
    real_server 198.51.100.3 53 {
        weight 2
    }
}
virtual_server 192.0.2.100 8080 {
    delay_loop 1
    lb_algo rr
    protocol TCP
    real_server 198.51.100.4 8080 {
        MISC_CHECK {
            misc_path "/bin/sh -c 'exit \$(cat $W/misc-status)'"
            misc_dynamic
            retry 0
        }
    }
}
virtual_server 2001:db8::100 443 {
    lb_algo wlc
    lb_kind DR
    protocol TCP
    persistence_timeout 60
    persistence_granularity ffff:ffff:ffff:ffff::
    real_server 2001:db8::1 443 {
        weight 2
    }
    real_server 2001:db8::2 443 {
        weight 1
    }
}
virtual_server fwmark 7 {
    lb_algo rr
    lb_kind TUN
    real_server 203.0.113.7 0 {
    }
}
CONF
# Someone else's service (must survive), and ours with a wrong scheduler and a stale
# real server (must be edited, not recreated).
echo 12 > "$W/misc-status"     # misc_dynamic: exit 12 = up with weight 10
in_ns ipvsadm -A -t 203.0.113.50:443 -s rr
in_ns ipvsadm -A -t 192.0.2.100:80 -s lc
in_ns ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.9:80 -m -w 5

# Not through in_ns: a function in the background is a subshell, and $! would be its PID.
ip netns exec $NS "$VIGIL" run -f "$W/vigil.conf" > "$W/vigil.log" 2>&1 &
PID=$!
programmed() { in_ns ipvsadm -Sn | grep -q -- "-a -f 7 -r 203.0.113.7:0 -i" && in_ns ipvsadm -Sn | grep -q -- "-r 198.51.100.4:8080 -m -w 10"; }
i=0; while [ $i -lt 100 ] && ! programmed; do sleep 0.1; i=$((i + 1)); done
in_ns ipvsadm -Sn | sort > "$W/table"
sort > "$W/expected" <<TABLE
-A -t 203.0.113.50:443 -s rr
-A -t 192.0.2.100:80 -s wrr
-a -t 192.0.2.100:80 -r 198.51.100.1:80 -m -w 3
-a -t 192.0.2.100:80 -r 198.51.100.2:80 -m -w 1
-A -u 192.0.2.100:53 -s sh -p 300 -b sh-port
-a -u 192.0.2.100:53 -r 198.51.100.3:53 -g -w 2
-A -f 7 -s rr
-a -f 7 -r 203.0.113.7:0 -i -w 1 --tun-type ipip
-A -t 192.0.2.100:8080 -s rr
-a -t 192.0.2.100:8080 -r 198.51.100.4:8080 -m -w 10
-A -t [2001:db8::100]:443 -s wlc -p 60 -M 64
-a -t [2001:db8::100]:443 -r [2001:db8::1]:443 -g -w 2
-a -t [2001:db8::100]:443 -r [2001:db8::2]:443 -g -w 1
TABLE
if cmp -s "$W/table" "$W/expected"; then
    ok "ipvsadm -Sn shows exactly the configured table (plus the foreign service)"
else
    fail "the table differs from the configuration"; diff "$W/expected" "$W/table"
fi
check "the stale real server 198.51.100.9 was removed, the service kept (edited in place)" \
    sh -c "! ip netns exec $NS ipvsadm -Sn | grep -q 198.51.100.9"
check "vigil logged what it did" grep -q "IPVS: programmed 5 virtual service(s)" "$W/vigil.log"
echo 1 > "$W/misc-status"
gone() { ! in_ns ipvsadm -Sn | grep -q -- "-r 198.51.100.4:8080"; }
i=0; while [ $i -lt 50 ] && ! gone; do sleep 0.1; i=$((i + 1)); done
check "MISC_CHECK exit 1: the real server leaves the pool (reason logged)" sh -c "! ip netns exec $NS ipvsadm -Sn | grep -q 198.51.100.4 && grep -q 'MISC_CHECK exit status 1' '$W/vigil.log'"
kill -TERM $PID
i=0; while [ $i -lt 100 ] && kill -0 $PID 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
wait $PID; STATUS=$?; PID=
check "SIGTERM: vigil exits 0" [ "$STATUS" = 0 ]
# The table holds the foreign service and nothing else.
only_foreign() { [ "$(in_ns ipvsadm -Sn)" = '-A -t 203.0.113.50:443 -s rr' ]; }
check "SIGTERM: its services are removed, the foreign one stays" only_foreign
# The table goes in before the VRRP side is set up; a start that fails after it (here
# use_vmac's name is a bridge's, not Vigil's to take) takes the table out again and exits 1.
in_ns ip link add vgt0 type dummy
in_ns ip addr add 192.0.2.11/24 dev vgt0
in_ns ip link set vgt0 up
in_ns ip link add vgtvmac type bridge
cat > "$W/fails.conf" <<CONF
vrrp_instance VI_1 {
    interface vgt0
    virtual_router_id 51
    priority 100
    use_vmac vgtvmac
    virtual_ipaddress {
        192.0.2.200/24
    }
}
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.1 80 {
    }
}
CONF
timeout 60 ip netns exec $NS "$VIGIL" run -f "$W/fails.conf" > "$W/vigil-fails.log" 2>&1; STATUS=$?
check "a start whose VRRP side fails (use_vmac on a bridge's name) exits 1" [ "$STATUS" = 1 ]
check "  it had programmed its table first" grep -q "IPVS: programmed 1 virtual service(s)" "$W/vigil-fails.log"
check "  and took it out again, saying why it stopped" \
    sh -c "grep -q 'IPVS: removed 1 virtual service(s)' '$W/vigil-fails.log' && grep -q 'cannot start: .*vgtvmac' '$W/vigil-fails.log'"
check "  only the foreign service is left" only_foreign
check "  the bridge is untouched" sh -c "ip -n $NS -d link show vgtvmac | grep -q bridge"
# keepalived's --dont-release-ipvs: the table outlives the daemon.
ip netns exec $NS "$VIGIL" run -I -f "$W/vigil.conf" > "$W/vigil-keep.log" 2>&1 &
PID=$!
ours() { in_ns ipvsadm -Sn | grep -q -- "-a -t 192.0.2.100:80 -r 198.51.100.1:80 -m -w 3"; }
i=0; while [ $i -lt 100 ] && ! ours; do sleep 0.1; i=$((i + 1)); done
kill -TERM $PID; wait $PID; PID=
check "--dont-release-ipvs: SIGTERM leaves its services in the kernel" ours
check "  and says so" grep -q "IPVS: left 5 virtual service(s) in place (--dont-release-ipvs)" "$W/vigil-keep.log"
echo "--- vigil log"; cat "$W/vigil.log"
echo "--- the failed start's log"; cat "$W/vigil-fails.log"
exit $FAILED

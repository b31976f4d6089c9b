#!/bin/bash
# Runs inside the qemu guest (real IPVS): FNAT (lb_kind FNAT) on the stock kernel, three
# active directors behind a router's ECMP, real servers on another subnet whose default
# route is the router — none of the directors.
#
#   client 198.51.100.100-131 ── router ──┬── d1 .11  d2 .12  d3 .13     (Vigil + IPVS, eth0)
#        (eth1 198.51.100.1)   (eth0 .1)   │   192.0.2.0/24
#                              (eth2 .1) ──┴── d1 .11  d2 .12  d3 .13     (eth1: pools)
#                                              r1 .21  r2 .22             198.18.0.0/24
#   pools: d1 198.18.0.101-103, d2 .111-113, d3 .121-123 (one file: @d1/@d2/@d3 lines)
#   IPv6 beside it: client 2001:db8:2::100-11f, directors 2001:db8:1::1N and 2001:db8:18::1N,
#   real servers 2001:db8:18::21/22, VIP 2001:db8:3::10, pools 2001:db8:18::101-103 etc.
#
# The router holds the VIP as a multipath route over the three directors (hash on
# addresses and ports). Each director runs Vigil with one FNAT service (lb_algo mh, two
# real servers with TCP_CHECK); the VIP is on its lo. Without the source translation a
# real server would answer the client straight through the router, from its own address:
# the client resets, so a missing translation is loud.
#
# Proves, each a check: Vigil turns net.ipv4.vs.conntrack on and makes its nftables table
# with this director's pool; 60 connections from 32 client addresses are all answered, and
# each real server saw a pool address (never a client's), of the director whose IPVS table
# holds the connection; all three directors and both real servers carry some; every
# director's rule counted; with the translation removed on d2 (its table deleted by hand)
# connections through d2 fail and the others do not, and `vigil reload` mends it; a
# SIGTERM leaves no table and the sysctl as it was found. What FNAT loses is printed: the
# real servers never see the client's address. The same 60 connections over IPv6 (a second
# service, each director's IPv6 pool in the same group): all answered, each from the pool
# of the director holding it, through all three.
#   guest-fullnat.sh REPO [VIGIL_BINARY]
REPO=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
VIGIL=${2:-$REPO/.build/debug/vigil}
W=$(mktemp -d /tmp/fullnat.XXXXXX)
P=fn$$
source "$(dirname "$0")/guest-lib.sh"
echo "guest-fullnat: three FNAT directors behind ECMP, real servers routed through the router"
[ -x "$VIGIL" ] || { fail "no vigil at $VIGIL: build it first"; exit 1; }
command -v nft > /dev/null || { fail "nft is not installed in the guest (nftables)"; exit 1; }
VIP=203.0.113.10
VIP6=2001:db8:3::10
declare -A VPID=()

# N connections one after the other from 32 addresses in turn (IPv6 with "6"); each
# prints "SRC:PORT SERVER PEER" or "SRC:PORT none -" (refused, reset or no answer within
# 3 s); an IPv6 SRC as ipvsadm writes it, [ADDRESS]:PORT.
cat > "$W/client.py" <<'PY'
import socket, sys
six = sys.argv[2:] == ["6"]
VIP = "2001:db8:3::10" if six else "203.0.113.10"
ADDRS = [("2001:db8:2::%x" if six else "198.51.100.%d") % (0x100 + i if six else 100 + i) for i in range(32)]
for i in range(int(sys.argv[1])):
    key, who, peer = "-", "none", "-"
    try:
        s = socket.socket(socket.AF_INET6 if six else socket.AF_INET)
        s.settimeout(3)
        s.bind((ADDRS[i % 32], 0))
        key = ("[%s]:%d" if six else "%s:%d") % s.getsockname()[:2]
        s.connect((VIP, 80))
        s.sendall(b"hello\n")
        words = s.makefile("rb").readline().split()
        if len(words) >= 2:
            who, peer = words[0].decode(), words[1].decode()
        s.close()
    except OSError:
        pass
    print(key, who, peer, flush=True)
PY

# --- the lab ----------------------------------------------------------------------------

switch lan srv out
port rt eth0 lan 192.0.2.1/24
port rt eth1 out 198.51.100.1/24
port rt eth2 srv 198.18.0.1/24
port cl eth0 out 198.51.100.100/24
for i in $(seq 101 131); do echo "address add 198.51.100.$i/24 dev eth0"; done | ip -n ${P}cl -batch -
ip -n ${P}cl route add default via 198.51.100.1
# A SYN sent again keeps its flow's hash, so the router keeps it on the same director (by
# default TCP picks a new hash after a retransmission timeout, and a connection whose
# first SYN went to a director without its translation would escape to another).
ip netns exec ${P}cl sysctl -qw net.core.txrehash=0 || fail "net.core.txrehash (Linux 6.0) cannot be set in the client"
ip netns exec ${P}rt sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
ip -n ${P}rt route add $VIP/32 nexthop via 192.0.2.11 nexthop via 192.0.2.12 nexthop via 192.0.2.13
# IPv6 (no duplicate address detection: the addresses are usable at once).
v6() { ip -n $P$1 -6 addr add "$3" dev "$2" nodad; }
v6 rt eth0 2001:db8:1::1/64; v6 rt eth1 2001:db8:2::1/64; v6 rt eth2 2001:db8:18::1/64
for i in $(seq 256 287); do echo "address add 2001:db8:2::$(printf %x $i)/64 dev eth0 nodad"; done | ip -n ${P}cl -batch -
ip -n ${P}cl -6 route add default via 2001:db8:2::1
ip netns exec ${P}rt sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.fib_multipath_hash_policy=1
ip -n ${P}rt -6 route add $VIP6/128 nexthop via 2001:db8:1::11 dev eth0 nexthop via 2001:db8:1::12 dev eth0 nexthop via 2001:db8:1::13 dev eth0
declare -A POOL=([d1]=101 [d2]=111 [d3]=121)
for d in d1 d2 d3; do
    n=${d#d}
    port $d eth0 lan 192.0.2.1$n/24
    port $d eth1 srv 198.18.0.1$n/24
    for k in 0 1 2; do ip -n $P$d addr add 198.18.0.$((POOL[$d] + k))/24 dev eth1; done
    ip -n $P$d addr add $VIP/32 dev lo
    ip -n $P$d route add default via 192.0.2.1
    v6 $d eth0 2001:db8:1::1$n/64; v6 $d eth1 2001:db8:18::1$n/64
    for k in 0 1 2; do v6 $d eth1 2001:db8:18::$((POOL[$d] + k))/64; done
    v6 $d lo $VIP6/128
    ip -n $P$d -6 route add default via 2001:db8:1::1
    # The replies are forwarded (real server -> client): IPVS NAT needs forwarding on.
    ip netns exec $P$d sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done
for r in r1 r2; do
    port $r eth0 srv 198.18.0.2${r#r}/24
    ip -n $P$r route add default via 198.18.0.1
    v6 $r eth0 2001:db8:18::2${r#r}/64
    ip -n $P$r -6 route add default via 2001:db8:18::1
    line_server $r 80 both   # answers "NAME PEER LINE": the real server's view of the source
done
for r in r1 r2; do wait_until 30000 grep -q listening "$W/$r.out" || fail "the server on $r did not start"; done
check "the real servers route to the router, not to any director" \
    sh -c "ip -n ${P}r1 route show default | grep -q '^default via 198.18.0.1 '"

# One file for the three directors: each reads its own pool line (@NAME, its config id).
cat > "$W/vigil.conf" <<CONF
local_address_group lip {
@d1 198.18.0.101-103
@d2 198.18.0.111-113
@d3 198.18.0.121-123
@d1 2001:db8:18::101-103
@d2 2001:db8:18::111-113
@d3 2001:db8:18::121-123
}
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo mh
    lb_kind FNAT
    laddr_group_name lip
    protocol TCP
    real_server 198.18.0.21 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.18.0.22 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server $VIP6 80 {
    delay_loop 1
    lb_algo mh
    lb_kind FNAT
    laddr_group_name lip
    protocol TCP
    real_server 2001:db8:18::21 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 2001:db8:18::22 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF
conntrack() { ip netns exec $P$1 cat /proc/sys/net/ipv4/vs/conntrack 2>/dev/null; }
rules() { ip netns exec $P$1 nft list table inet vigil_fullnat 2>/dev/null | grep snat; }
table() { ip netns exec $P$1 ipvsadm -Sn; }
start() {
    ip netns exec $P$1 "$VIGIL" run -f "$W/vigil.conf" --config-id $1 --pid-file "$W/$1.pid" \
        --control-socket "$W/$1.sock" >> "$W/$1.log" 2>&1 &
    VPID[$1]=$!; PIDS+=($!)
}
for d in d1 d2 d3; do
    echo "$(conntrack $d)" > "$W/$d.conntrack-before"
    start $d
done
for d in d1 d2 d3; do
    check "$d: both real servers in its IPVS table, IPv4 and IPv6" wait_until 20000 sh -c "ip netns exec $P$d ipvsadm -Sn | grep -c -- '-r \(198.18.0.2[12]\|\[2001:db8:18::2[12]\]\):80 -m' | grep -qx 4"
    check "$d: net.ipv4.vs.conntrack is 1 (was $(cat "$W/$d.conntrack-before"))" [ "$(conntrack $d)" = 1 ]
    p=${POOL[$d]}
    check "$d: its table translates to its own pool (198.18.0.$p-198.18.0.$((p + 2)))" \
        wait_until 20000 sh -c "ip netns exec $P$d nft list table inet vigil_fullnat | grep -q 'ct original ip daddr $VIP ct original proto-dst 80 counter .* snat ip to 198.18.0.$p-198.18.0.$((p + 2))'"
    check "$d: and IPv6 to its own (2001:db8:18::$p-2001:db8:18::$((p + 2)))" \
        wait_until 20000 sh -c "ip netns exec $P$d nft list table inet vigil_fullnat | grep -q 'ct original ip6 daddr $VIP6 ct original proto-dst 80 counter .* snat ip6 to 2001:db8:18::$p-2001:db8:18::$((p + 2))'"
done

# --- 60 connections ---------------------------------------------------------------------

# Which director's pool an address lies in.
pool_of() { local last=${1##*[.:]}; case $last in 10[123]) echo d1 ;; 11[123]) echo d2 ;; 12[123]) echo d3 ;; *) echo "-" ;; esac; }
# The clients' SRC:PORT of the director's IPVS connections (ipvsadm -Lnc: pro expire state
# source virtual destination).
conns() { ip netns exec $P$1 ipvsadm -Lnc | awk 'NR > 2 { print $4 }'; }
# sixty RUN [6]: 60 connections (IPv6 with 6), then the checks on where they went.
sixty() {
    local run=$1 family=${2:+IPv6 } d key who peer
    ip netns exec ${P}cl python3 "$W/client.py" 60 ${2:-} > "$W/$run"
    for d in d1 d2 d3; do conns $d > "$W/$d.conns"; done
    answered=$(awk '$2 != "none"' "$W/$run" | wc -l)
    declare -A VIA=([d1]=0 [d2]=0 [d3]=0) RS=([r1]=0 [r2]=0)
    clientseen=0; mismatch=0; unknown=0
    while read -r key who peer; do
        [ "$who" = none ] && continue
        RS[$who]=$((${RS[$who]:-0} + 1))
        case $peer in 198.51.100.*|2001:db8:2:*) clientseen=$((clientseen + 1)); continue ;; esac
        d=$(pool_of "$peer")
        [ "$d" = "-" ] && { unknown=$((unknown + 1)); continue; }
        VIA[$d]=$((VIA[$d] + 1))
        grep -qxF "$key" "$W/$d.conns" || mismatch=$((mismatch + 1))
    done < "$W/$run"
    echo "       60 ${family}connections: $answered answered; through d1 ${VIA[d1]}, d2 ${VIA[d2]}, d3 ${VIA[d3]}; r1 ${RS[r1]}, r2 ${RS[r2]}"
    check "all 60 ${family}connections answered" [ "$answered" = 60 ]
    check "  no real server saw a client address (FNAT: the client's address is lost to them)" [ "$clientseen" = 0 ]
    check "  every real server's peer was a director's pool address" [ "$unknown" = 0 ]
    check "  each connection came from the pool of the director whose IPVS table holds it" [ "$mismatch" = 0 ]
    check "  all three directors carried connections" [ "${VIA[d1]}" -gt 0 -a "${VIA[d2]}" -gt 0 -a "${VIA[d3]}" -gt 0 ]
    check "  both real servers got some" [ "${RS[r1]}" -gt 0 -a "${RS[r2]}" -gt 0 ]
}
sixty run1
sixty run1v6 6
for d in d1 d2 d3; do
    check "$d's rules counted its connections (IPv4 and IPv6)" sh -c "[ \$(ip netns exec $P$d nft list table inet vigil_fullnat | grep -c 'counter packets [1-9]') = 2 ]"
done

# --- the control: d2 without its translation ---------------------------------------------

# (30 connections: each one through d2 waits out the client's 3 s; about a third go there.)
ip netns exec ${P}d2 nft delete table inet vigil_fullnat
ip netns exec ${P}cl python3 "$W/client.py" 30 > "$W/run2"
for d in d1 d2 d3; do conns $d > "$W/$d.conns2"; done
# An answer names the director by its pool address; a failure is d2's when d2's IPVS table
# has it.
failed_d2=0; ok_d2=0; failed_other=0; ok_other=0
while read -r key who peer; do
    if [ "$who" != none ]; then
        if [ "$(pool_of "$peer")" = d2 ]; then ok_d2=$((ok_d2 + 1)); else ok_other=$((ok_other + 1)); fi
    elif grep -qx "$key" "$W/d2.conns2"; then
        failed_d2=$((failed_d2 + 1))
    else
        failed_other=$((failed_other + 1))
    fi
done < "$W/run2"
echo "       without d2's table: through d2 $failed_d2 failed, $ok_d2 answered; through d1 and d3: $ok_other answered, $failed_other failed"
check "without the translation, connections through d2 fail (the real server answers past it)" [ "$failed_d2" -gt 0 -a "$ok_d2" = 0 ]
check "  and those through d1 and d3 are all answered" [ "$failed_other" = 0 -a "$ok_other" -gt 0 ]
check "vigil reload on d2 answers" ip netns exec ${P}d2 "$VIGIL" reload --socket "$W/d2.sock"
check "vigil reload makes d2's table again" wait_until 10000 sh -c "ip netns exec ${P}d2 nft list table inet vigil_fullnat 2>/dev/null | grep -q 'snat ip to 198.18.0.111-198.18.0.113'"
ip netns exec ${P}cl python3 "$W/client.py" 60 > "$W/run3"
check "  all 60 connections answered again" [ "$(awk '$2 != "none"' "$W/run3" | wc -l)" = 60 ]

# --- a clean stop --------------------------------------------------------------------------

kill -TERM "${VPID[d3]}"; wait "${VPID[d3]}"; status=$?
check "d3: SIGTERM, exit 0" [ "$status" = 0 ]
check "d3: no vigil_fullnat table left" sh -c "! ip netns exec ${P}d3 nft list table inet vigil_fullnat > /dev/null 2>&1"
check "d3: net.ipv4.vs.conntrack as found ($(cat "$W/d3.conntrack-before"))" [ "$(conntrack d3)" = "$(cat "$W/d3.conntrack-before")" ]
check "d3: its service removed" [ -z "$(table d3)" ]
for d in d1 d2 d3; do
    grep -q "FNAT: " "$W/$d.log" || fail "$d's log says nothing of FNAT"
done
if [ "$FAILED" != 0 ]; then for d in d1 d2 d3; do echo "--- $d log"; tail -30 "$W/$d.log"; done; fi
exit $FAILED

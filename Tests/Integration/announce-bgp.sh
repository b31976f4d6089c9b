#!/usr/bin/env bash
# announce-bgp (Vigil + FRR, end to end): two directors run Vigil and FRR (zebra, bfdd,
# bgpd with the shipped etc/frr/director-bgpd.conf), a router runs FRR with the shipped
# etc/frr/router-bgpd.conf, a client behind the router connects to 203.0.113.10. The
# router's kernel FIB holds one nexthop per director whose check passes, connections
# spread over both; a failing check, a SIGKILL of Vigil and a restart move the router's
# FIB within the bounds below, and connections through the other director are untouched;
# the same for an IPv6 service address over the examples' IPv6 sessions; a restart of the
# router's bgpd brings both sessions and nexthops back within 30 s; an address tied to a
# VRRP instance follows its MASTER, and a planned handover never leaves the router without
# a next hop for it.
# No IPVS: each director's address is local through Vigil's local-table route, so a
# listener bound to it in the director's namespace answers in IPVS's place.
#
# FRR runs per namespace with its own paths (config, pid files, zserv socket, vty
# sockets, logs under the lab's directory), never the system's: a system-wide frr.service
# (Debian starts zebra and staticd in the host's namespace on install) is not touched and
# does not see these namespaces.
source "$(dirname "$0")/lib.sh"
echo "announce-bgp: Vigil announces, FRR carries it by BGP, the router's ECMP follows"
FRR=/usr/lib/frr
if ! [ -x "$FRR/zebra" ] || ! [ -x "$FRR/bgpd" ] || ! [ -x "$FRR/bfdd" ] || ! command -v vtysh > /dev/null; then
    echo "  SKIP FRR is not installed ($FRR/zebra, bgpd, bfdd, vtysh): apt-get install frr (make deps)"
    # Under CI every layer must run (make test installs frr).
    [ "${CI:-}" = true ] && { echo "  FAIL under CI a drill may not be skipped"; exit 1; }
    exit 0
fi
VIP=203.0.113.10
LB1=192.0.2.11 LB2=192.0.2.12 RS=192.0.2.20
BOTH="$LB1,$LB2"
# IPv6: the examples' addresses (the router 2001:db8:1::1 on the directors' LAN).
VIP6=2001:db8:3::10 RS6=2001:db8:1::20

lab_switch
lab_box router 192.0.2.1/24
lab_box lb1 $LB1/24
lab_box lb2 $LB2/24
lab_box rs $RS/24
lab_bridge br1
lab_link router eth1 br1 198.51.100.1/24
lab_box client 198.51.100.100/24 br1
in_box router sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
in_box client ip route add default via 198.51.100.1
for b in lb1 lb2; do in_box "$b" ip route add default via 192.0.2.1; done
lab_ipv6 router lb1 lb2 rs
in_box router ip -6 addr add 2001:db8:1::1/64 dev eth0 nodad
in_box router ip -6 addr add 2001:db8:2::1/64 dev eth1 nodad
in_box router sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.fib_multipath_hash_policy=1
in_box lb1 ip -6 addr add 2001:db8:1::11/64 dev eth0 nodad
in_box lb2 ip -6 addr add 2001:db8:1::12/64 dev eth0 nodad
in_box rs ip -6 addr add $RS6/64 dev eth0 nodad
for b in lb1 lb2; do in_box "$b" ip -6 route add default via 2001:db8:1::1; done
in_box client ip -6 addr add 2001:db8:2::100/64 dev eth0 nodad
in_box client ip -6 route add default via 2001:db8:2::1
chmod o+x "$LABDIR"   # FRR's daemons run as frr: they reach their own directory inside

# --- the programs: a listener per director, the client, the router's FIB watcher --------

cat > "$LABDIR/listener.py" <<'EOF'
# Stands in for IPVS on a director: answers on VIP:80 (IPv4 or IPv6) with the director's
# name, then echoes each line it is sent; logs one line per connection.
import socket, socketserver, sys
name, addr = sys.argv[1], sys.argv[2]
class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        print(f"conn {self.client_address[0]}:{self.client_address[1]}", flush=True)
        self.wfile.write(f"{name}\n".encode())
        for line in self.rfile:
            self.wfile.write(name.encode() + b" " + line)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IP, 15, 1)  # IP_FREEBIND: local only once Vigil announces
        super().server_bind()
Server((addr, 80), Handler).serve_forever()
EOF
cat > "$LABDIR/client.py" <<'EOF'
# count N: N connections in turn (each its own source port), prints who answered each.
# hold K ROUNDS DIR: keeps K connections answered by lb2 open; for each round r waits
# (60 s at most) for DIR/probe<r>, sends a line on each, prints how many echoed it.
import os, socket, sys, time
vip = os.environ.get("VIP", "203.0.113.10")
def readline(s):
    out = b""
    while not out.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            break
        out += b
    return out.decode().strip()
def connect():
    s = socket.create_connection((vip, 80), timeout=2)
    return s, readline(s)
if sys.argv[1] == "count":
    for _ in range(int(sys.argv[2])):
        try:
            s, name = connect(); s.close(); print(name or "none")
        except OSError:
            print("none")
else:
    k, rounds, d = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    held, tries = [], 0
    while len(held) < k and tries < 60:
        tries += 1
        try:
            s, name = connect()
        except OSError:
            continue
        if name == "lb2": held.append(s)
        else: s.close()
    print(f"held {len(held)} of {tries}", flush=True)
    for r in range(1, rounds + 1):
        deadline = time.time() + 60
        while not os.path.exists(f"{d}/probe{r}") and time.time() < deadline:
            time.sleep(0.02)
        ok = 0
        for s in held:
            try:
                s.sendall(b"ping\n"); ok += readline(s) == "lb2 ping"
            except OSError:
                pass
        print(f"round {r} answered {ok}/{len(held)}", flush=True)
EOF
cat > "$LABDIR/fibwatch.py" <<'EOF'
# The router's FIB entry for the address, as a timeline: "<ns> <gateways>" each time the
# set of nexthops changes (the time is that of the monitor event that showed it).
# ADDRESS=NAME arguments name gateways (IPv6: a director's link-local or global address).
import json, subprocess, sys, time
ns, prefix = sys.argv[1], sys.argv[2]
names = dict(a.split("=", 1) for a in sys.argv[3:])
def gateways():
    family = "-6" if ":" in prefix else "-4"   # ip does not infer it from the prefix
    out = subprocess.run(["ip", "-n", ns, family, "-j", "route", "show", prefix],
                         capture_output=True, text=True).stdout or "[]"
    gws = []
    for r in json.loads(out):
        for nh in r.get("nexthops", [r]):
            if "gateway" in nh: gws.append(names.get(nh["gateway"], nh["gateway"]))
    return ",".join(sorted(gws)) or "-"
mon = subprocess.Popen(["ip", "-n", ns, "monitor", "route", "nexthop"], stdout=subprocess.PIPE, text=True)
time.sleep(0.2)
last = gateways()
print(f"{time.time_ns()} {last}", flush=True)
for line in mon.stdout:
    t = time.time_ns()
    g = gateways()
    if g != last:
        print(f"{t} {g}", flush=True)
        last = g
EOF

gateways() { ip -n "${LAB}router" -j route show "$VIP/32" | python3 -c '
import json, sys
print(",".join(sorted(nh["gateway"] for r in json.load(sys.stdin) for nh in r.get("nexthops", [r]) if "gateway" in nh)) or "-")'; }
nexthops_are() { [ "$(gateways)" = "$1" ]; }
both_directors_in_both_fibs() { nexthops6_are lb1,lb2 && nexthops_are "$BOTH"; }
# nexthops6_are NAMES: the router's FIB for the IPv6 VIP has exactly these directors (the
# last line of fib6.txt, which names them).
nexthops6_are() { [ "$(tail -1 "$LABDIR/fib6.txt" | awk '{ print $2 }')" = "$1" ]; }
# fib_at T0_NS GATEWAYS [FILE]: when (ns) the router's FIB (fib.txt: the IPv4 VIP's;
# fib6.txt: the IPv6 VIP's) first showed GATEWAYS at or after T0.
fib_at() { awk -v t0="$1" -v g="$2" '$1 >= t0 && $2 == g { print $1; exit }' "$LABDIR/${3:-fib.txt}"; }
# log_at NAME PATTERN: the time (ns) of the box's last log line with PATTERN (Vigil also
# logs the address withdrawn when it starts, before the first check).
log_at() { local s; s=$(grep -- "$2" "$LABDIR/$1.log" | tail -1 | awk '{ print $1 }'); [ -n "$s" ] && date -d "$s" +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
below() { awk -v v="$1" -v max="$2" 'BEGIN { exit !(v != "" && v + 0 < max) }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
conns() { cat "$LABDIR/listen${2:-}-$1.log" 2>/dev/null | awk '/^conn / { n++ } END { print n + 0 }'; }

# --- FRR per namespace: zebra, bfdd, bgpd with their own paths; the shipped file loaded
# as the integrated configuration (vtysh -b, as Debian's frr.service does) ---------------

# frr_up NAME FRR_CONF: starts the three daemons in the box, then loads FRR_CONF.
frr_up() {
    local name=$1 d=$LABDIR/frr-$1 dm
    mkdir -p "$d"
    cp "$2" "$d/frr.conf"
    : > "$d/vtysh.conf"
    for dm in zebra bfdd bgpd; do : > "$d/$dm.conf"; done
    chown -R frr:frr "$d"
    for dm in zebra bfdd bgpd; do frr_daemon "$name" $dm || return 1; done
    frr_boot "$name"
}
# frr_daemon NAME DAEMON: starts one FRR daemon in the box, waits for its vty socket.
frr_daemon() {
    local name=$1 dm=$2 d=$LABDIR/frr-$1
    rm -f "$d/$dm.vty"
    # shellcheck disable=SC2046
    spawn "$d/$dm.out" ip netns exec "${LAB}$name" "$FRR/$dm" -f "$d/$dm.conf" -i "$d/$dm.pid" \
        -z "$d/zserv.api" --vty_socket "$d" -u frr -g frr --log "file:$d/$dm.log" \
        $([ "$dm" = bfdd ] && echo --bfdctl "$d/bfdd.sock")
    HELPERS+=($!)
    wait_until 5000 test -S "$d/$dm.vty" || { fail "$name: FRR's $dm did not start"; return 1; }
}
# frr_boot NAME: loads the box's frr.conf into its daemons (vtysh -b); no output is success.
frr_boot() {
    local d=$LABDIR/frr-$1
    vtysh --config_dir "$d" --vty_socket "$d" -b > "$d/boot.out" 2>&1 && ! [ -s "$d/boot.out" ]
}
vty() { local name=$1; shift; local a=() c; for c in "$@"; do a+=(-c "$c"); done
        timeout 10 vtysh --vty_socket "$LABDIR/frr-$name" "${a[@]}"; }
# established_peers [FAMILY]: the router's established sessions of FAMILY (ipv4Unicast,
# ipv6Unicast) over that family's addresses, by peer address. (The summary lists every
# member of the listen ranges under each family, the other family's as not negotiated.)
established_peers() { vty router 'show bgp summary json' | python3 -c '
import json, sys
family = sys.argv[1]
peers = json.load(sys.stdin).get(family, {}).get("peers", {})
print(",".join(sorted(a for a, p in peers.items()
                      if p.get("state") == "Established" and (":" in a) == (family == "ipv6Unicast"))))' "${1:-ipv4Unicast}"; }
# established [FAMILY]: both directors' sessions of FAMILY are up (IPv4 sessions for
# ipv4Unicast, IPv6 ones for ipv6Unicast: each family on its own session).
established() {
    case "${1:-ipv4Unicast}" in
        ipv4Unicast) [ "$(established_peers ipv4Unicast)" = "192.0.2.11,192.0.2.12" ] ;;
        *) [ "$(established_peers ipv6Unicast)" = "2001:db8:1::11,2001:db8:1::12" ] ;;
    esac
}
listening_179() { in_box router ss -Hltn 'sport = :179' | grep -q LISTEN; }

t_lab=$(now_ms)
check "the router's FRR takes etc/frr/router-bgpd.conf as shipped (vtysh -b: no error)" frr_up router "$ROOT/etc/frr/router-bgpd.conf"
check "  and listens for the directors (bgp listen range)" wait_until 5000 listening_179
sed 's/^hostname director-1$/hostname lb1/' "$ROOT/etc/frr/director-bgpd.conf" > "$LABDIR/lb1-frr.conf"
sed -e 's/^hostname director-1$/hostname lb2/' -e 's/bgp router-id 192\.0\.2\.11$/bgp router-id 192.0.2.12/' \
    "$ROOT/etc/frr/director-bgpd.conf" > "$LABDIR/lb2-frr.conf"
check "the directors' FRR takes etc/frr/director-bgpd.conf (only hostname and router-id changed)" \
    bash -c "grep -q '^ bgp router-id 192.0.2.12$' '$LABDIR/lb2-frr.conf' && [ \$(diff '$LABDIR/lb1-frr.conf' '$LABDIR/lb2-frr.conf' | grep -c '^[<>]') = 4 ]"
check "  lb1: vtysh -b, no error" frr_up lb1 "$LABDIR/lb1-frr.conf"
check "  lb2: vtysh -b, no error" frr_up lb2 "$LABDIR/lb2-frr.conf"
wait_until 30000 established
t_bgp=$(( $(now_ms) - t_lab ))
check "both BGP sessions established ($t_bgp ms from the first daemon's start; IPv4 unicast: $(established_peers))" established
check "  and both IPv6 sessions" wait_until 30000 established ipv6Unicast

spawn "$LABDIR/fib.txt" python3 "$LABDIR/fibwatch.py" "${LAB}router" "$VIP/32"
HELPERS+=($!)
# The directors' IPv6 addresses the router may use as next hops, by name.
six_names=()
for b in lb1 lb2; do
    for a in $(in_box $b ip -6 -o addr show dev eth0 | awk '{ split($4, p, "/"); print p[1] }'); do six_names+=("$a=$b"); done
done
spawn "$LABDIR/fib6.txt" python3 "$LABDIR/fibwatch.py" "${LAB}router" "$VIP6/128" "${six_names[@]}"
HELPERS+=($!)
wait_until 3000 test -s "$LABDIR/fib.txt" -a -s "$LABDIR/fib6.txt"
for b in lb1 lb2; do
    spawn "$LABDIR/listen-$b.log" ip netns exec "${LAB}$b" python3 -u "$LABDIR/listener.py" "$b" "$VIP"
    HELPERS+=($!)
    spawn "$LABDIR/listen6-$b.log" ip netns exec "${LAB}$b" python3 -u "$LABDIR/listener.py" "$b" "$VIP6"
    HELPERS+=($!)
done
spawn "$LABDIR/web.log" ip netns exec "${LAB}rs" python3 -m http.server 80 --bind $RS --directory "$LABDIR"
HELPERS+=($!)
spawn "$LABDIR/web6.log" ip netns exec "${LAB}rs" python3 -m http.server 80 --bind $RS6 --directory "$LABDIR"
HELPERS+=($!)

# --- Vigil on each director: etc/ecmp-director.conf's service, one TCP_CHECK real server

for b in lb1 lb2; do
    cat > "$LABDIR/$b.conf" <<EOF
global_defs {
    router_id $b
}
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo mh
    lb_kind DR
    protocol TCP
    # Down until its first check passes: a director that starts is not announced before.
    alpha
    real_server $RS 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
@vigil announce $VIP {
@vigil     virtual_server $VIP 80
@vigil }
virtual_server $VIP6 80 {
    delay_loop 1
    lb_algo mh
    lb_kind DR
    protocol TCP
    alpha
    real_server $RS6 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
}
@vigil announce $VIP6 {
@vigil     virtual_server $VIP6 80
@vigil }
EOF
    vigil_start "$b" "$LABDIR/$b.conf"
done
# lb1's view of the real server: an unreachable route in lb1 only fails its check at once.
block_rs()   { in_box lb1 ip route add unreachable $RS/32; }
unblock_rs() { in_box lb1 ip route del unreachable $RS/32; }

# 1 --------------------------------------------------------------------------------------
check "1. both directors announce: the router's FIB has two nexthops" wait_until 15000 nexthops_are "$BOTH"
ip -n "${LAB}router" route show $VIP | sed 's/^/       router: /'
count() {   # count N: prints "lb1 lb2 none" for N new connections from the client
    local a1 a2 out; a1=$(conns lb1); a2=$(conns lb2)
    out=$(in_box client timeout 60 python3 "$LABDIR/client.py" count "$1")
    echo "$(( $(conns lb1) - a1 )) $(( $(conns lb2) - a2 )) $(grep -c none <<< "$out")"
}
read -r n1 n2 none <<< "$(count 40)"
check "  40 connections from the client: lb1 $n1, lb2 $n2 (listeners' logs), $none unanswered" \
    test "$n1" -gt 0 -a "$n2" -gt 0 -a "$none" = 0 -a $(( n1 + n2 )) = 40

# 2 --------------------------------------------------------------------------------------
block_rs
check "2. lb1's check fails: the router's FIB drops lb1's nexthop" wait_until 10000 nexthops_are "$LB2"
t_log=$(log_at lb1 "announce: $VIP withdrawn")
t_fib=$(fib_at "${t_log:-0}" "$LB2")
withdraw_ms=$(ms "$t_log" "$t_fib")
check "  from Vigil's 'withdrawn' log line to the router's FIB: $withdraw_ms ms (< 3000)" below "$withdraw_ms" 3000
read -r n1 n2 none <<< "$(count 40)"
check "  40 new connections: lb1 $n1, lb2 $n2, $none unanswered" test "$n1" = 0 -a "$n2" = 40 -a "$none" = 0

# 3 --------------------------------------------------------------------------------------
t0=$(now_ns)
unblock_rs
check "3. the check passes again: two nexthops" wait_until 10000 nexthops_are "$BOTH"
t_log=$(log_at lb1 "announce: $VIP announced")
announce_ms=$(ms "$t_log" "$(fib_at "$t0" "$BOTH")")
check "  from Vigil's 'announced' log line to the router's FIB: $announce_ms ms (< 3000)" below "$announce_ms" 3000

# 4 --------------------------------------------------------------------------------------
spawn "$LABDIR/hold.out" ip netns exec "${LAB}client" python3 -u "$LABDIR/client.py" hold 5 2 "$LABDIR"
HOLD=$!
HELPERS+=($HOLD)
check "4. 5 connections through lb2 held open" wait_until 10000 grep -q "^held 5 " "$LABDIR/hold.out"
kills=() early=0
for i in 1 2 3; do
    t0=$(now_ns)
    daemon_kill lb1
    wait_until 5000 nexthops_are "$LB2"
    kills+=("$(ms "$t0" "$(fib_at "$t0" "$LB2")")")
    if [ "$i" = 1 ]; then
        touch "$LABDIR/probe1"
        check "  SIGKILL of lb1's vigil: the FIB drops lb1 in ${kills[0]} ms; the held connections still answer" \
            wait_until 5000 grep -q "^round 1 answered 5/5" "$LABDIR/hold.out"
    fi
    : > "$LABDIR/lb1.log"
    t0=$(now_ns)
    vigil_start lb1 "$LABDIR/lb1.conf"
    wait_until 10000 nexthops_are "$BOTH"
    t_log=$(log_at lb1 "announce: $VIP announced")
    t_fib=$(fib_at "$t0" "$BOTH")
    { [ -n "$t_log" ] && [ -n "$t_fib" ] && [ "$t_fib" -ge "$t_log" ]; } || early=1
done
kill_ms=$(median "${kills[@]}")
check "  SIGKILL to the router's FIB change: median $kill_ms ms of ${kills[*]} (< 2000)" below "$kill_ms" 2000
check "  each restart: two nexthops again, never before Vigil logged 'announced'" test "$early" = 0
touch "$LABDIR/probe2"
check "  the held connections still answer after the three kills and restarts" \
    wait_until 5000 grep -q "^round 2 answered 5/5" "$LABDIR/hold.out"

# 5 --------------------------------------------------------------------------------------
daemon_stop lb1
wait_until 5000 nexthops_are "$LB2"
block_rs
: > "$LABDIR/lb1.log"
t0=$(now_ns)
vigil_start lb1 "$LABDIR/lb1.conf"
check "5. restarted while its check fails (alpha): 3 s, no nexthop for lb1" holds_for 3000 nexthops_are "$LB2"
check "  and Vigil has not announced" bash -c "! grep -q 'announce: $VIP announced' '$LABDIR/lb1.log'"
unblock_rs
check "  the check passes: two nexthops" wait_until 10000 nexthops_are "$BOTH"
t_log=$(log_at lb1 "announce: $VIP announced")
t_fib=$(fib_at "$t0" "$BOTH")
check "  the first FIB entry with lb1 came $(ms "$t_log" "$t_fib") ms after Vigil's 'announced' (not before)" \
    test -n "$t_log" -a -n "$t_fib" -a "${t_fib:-0}" -ge "${t_log:-1}"

# 6 --------------------------------------------------------------------------------------
# IPv6: the same service address story over the IPv6 sessions (the router's FIB names the
# directors by their link-local or global addresses).
check "6. IPv6: both directors announce $VIP6: the router's FIB has two nexthops" \
    wait_until 15000 nexthops6_are "lb1,lb2"
ip -n "${LAB}router" -6 route show $VIP6 | sed 's/^/       router: /'
a1=$(conns lb1 6); a2=$(conns lb2 6)
out=$(in_box client env VIP=$VIP6 timeout 60 python3 "$LABDIR/client.py" count 40)
n1=$(( $(conns lb1 6) - a1 )); n2=$(( $(conns lb2 6) - a2 )); none=$(grep -c none <<< "$out")
check "  40 IPv6 connections from the client: lb1 $n1, lb2 $n2, $none unanswered" \
    test "$n1" -gt 0 -a "$n2" -gt 0 -a "$none" = 0 -a $(( n1 + n2 )) = 40
in_box lb1 ip -6 route add unreachable $RS6/128
check "  lb1's IPv6 check fails: the router's FIB drops lb1's IPv6 nexthop" wait_until 10000 nexthops6_are lb2
t_log=$(log_at lb1 "announce: $VIP6 withdrawn")
withdraw6_ms=$(ms "$t_log" "$(fib_at "${t_log:-0}" lb2 fib6.txt)")
check "  from Vigil's 'withdrawn' log line to the router's FIB: $withdraw6_ms ms (< 3000)" below "$withdraw6_ms" 3000
check "  while the IPv4 address stays on both directors" nexthops_are "$BOTH"
t0=$(now_ns)
in_box lb1 ip -6 route del unreachable $RS6/128
check "  the check passes again: two IPv6 nexthops" wait_until 10000 nexthops6_are "lb1,lb2"
t_log=$(log_at lb1 "announce: $VIP6 announced")
announce6_ms=$(ms "$t_log" "$(fib_at "$t0" "lb1,lb2" fib6.txt)")
check "  from Vigil's 'announced' log line to the router's FIB: $announce6_ms ms (< 3000)" below "$announce6_ms" 3000
t0=$(now_ns)
daemon_kill lb1
wait_until 5000 nexthops6_are lb2
kill6_ms=$(ms "$t0" "$(fib_at "$t0" lb2 fib6.txt)")
check "  SIGKILL of lb1's vigil: the IPv6 FIB drops lb1 in $kill6_ms ms (< 2000)" below "$kill6_ms" 2000
: > "$LABDIR/lb1.log"
vigil_start lb1 "$LABDIR/lb1.conf"
check "  restarted: both directors in both FIBs again" \
    wait_until 10000 both_directors_in_both_fibs

# 7 --------------------------------------------------------------------------------------
# The router's bgpd restarts after 5 s down (an upgrade, a crash and its restart delay).
# It only listens (bgp listen range), so the directors must connect again: their first
# try, about a second after the session dropped, finds nobody listening, and FRR's
# connect-retry timer decides the next (120 s under `frr defaults traditional`); the
# example sets `timers connect 5`.
rpid=$(cat "$LABDIR/frr-router/bgpd.pid" 2> /dev/null)
t0=$(now_ms)
[ -n "$rpid" ] && kill -TERM "$rpid"
wait_until 10000 bash -c "! kill -0 $rpid 2> /dev/null"
check "7. the router's bgpd stopped (SIGTERM)" bash -c "! kill -0 $rpid 2> /dev/null"
sleep 5
t0=$(now_ms)
router_bgpd_again() { frr_daemon router bgpd && frr_boot router; }
check "  started again and took its configuration (vtysh -b: no error)" router_bgpd_again
check "  both directors' sessions back within 30 s of its start" wait_until 30000 established
check "  and both IPv6 sessions" wait_until 30000 established ipv6Unicast
wait_until 10000 nexthops_are "$BOTH"
wait_until 10000 nexthops6_are "lb1,lb2"
t_rebgp=$(( $(now_ms) - t0 ))
check "  and the router's FIBs have both nexthops again, IPv4 and IPv6 ($t_rebgp ms after bgpd started again)" \
    both_directors_in_both_fibs

# 7b -------------------------------------------------------------------------------------
# The other side: lb1's own FRR stops (its three daemons, SIGTERM, as `systemctl restart
# frr` does) and starts again while Vigil runs and does nothing. The route stays in the
# kernel; zebra reads it at its start and bgpd announces it again.
n_ann=$(grep -c "announce: $VIP announced" "$LABDIR/lb1.log")
frr_pids=$(cat "$LABDIR"/frr-lb1/{bgpd,bfdd,zebra}.pid 2> /dev/null)
# shellcheck disable=SC2086
kill -TERM $frr_pids
frr_gone() { local p; for p in $frr_pids; do kill -0 "$p" 2> /dev/null && return 1; done; [ -n "$frr_pids" ]; }
check "7b. lb1's FRR stopped (zebra, bfdd, bgpd: SIGTERM)" wait_until 10000 frr_gone
check "  the router's FIB drops lb1" wait_until 10000 nexthops_are "$LB2"
check "  Vigil's route stays in lb1's kernel meanwhile" \
    bash -c "ip -n ${LAB}lb1 route show table main proto 250 | grep -q '^$VIP '"
t0=$(now_ms)
lb1_frr_again() { local dm; for dm in zebra bfdd bgpd; do frr_daemon lb1 $dm || return 1; done; frr_boot lb1; }
check "  lb1's FRR started again (vtysh -b: no error)" lb1_frr_again
wait_until 30000 nexthops_are "$BOTH"; got=$?
t_refrr=$(( $(now_ms) - t0 ))
check "  the router's FIB has lb1 again, $t_refrr ms after its FRR started (zebra read the kernel's route)" test $got = 0
check "  and Vigil did nothing meanwhile (no new 'announced' line)" \
    test "$(grep -c "announce: $VIP announced" "$LABDIR/lb1.log")" = "$n_ann"
both_families_established() { established && established ipv6Unicast; }
check "  both of lb1's sessions (IPv4, IPv6) established again" wait_until 30000 both_families_established

# 8 --------------------------------------------------------------------------------------
# Active/standby by VRRP instead of health: 203.0.113.20 is announced by VI_1's MASTER
# only (`announce ... { vrrp_instance VI_1 }`), added to both directors by a reload. A
# planned handover is make-before-break at the router too: the old master keeps its route
# while it holds its VIPs and for a grace after (the new master's route meanwhile reaches
# the router), so the router's FIB always has a next hop for it; a crash leaves none until
# the backup's Master_Down_Interval.
VIP20=203.0.113.20
spawn "$LABDIR/fib20.txt" python3 "$LABDIR/fibwatch.py" "${LAB}router" "$VIP20/32"
HELPERS+=($!)
wait_until 3000 test -s "$LABDIR/fib20.txt"
nexthops20_are() { [ "$(tail -1 "$LABDIR/fib20.txt" | awk '{ print $2 }')" = "$1" ]; }
# never_empty_since T0_NS: the FIB timeline of 203.0.113.20 since T0 never lost every next hop.
never_empty_since() { awk -v t0="$1" '$1 >= t0 && $2 == "-" { bad = 1 } END { exit bad }' "$LABDIR/fib20.txt"; }
# moved_with_a_next_hop T0_NS GATEWAY: the address is on GATEWAY alone now, and never lost
# every next hop since T0.
moved_with_a_next_hop() { never_empty_since "$1" && nexthops20_are "$2"; }
timeline_since() { awk -v t0="$1" '$1 >= t0 { printf "%s%.0f ms %s", sep, ($1 - t0) / 1e6, $2; sep = ", " }' "$LABDIR/fib20.txt"; }
vrrp_block() {
    printf '%s\n' "vrrp_instance VI_1 {" "    state BACKUP" "    interface eth0" "    virtual_router_id 51" \
        "    priority $1" "    advert_int 1" "    virtual_ipaddress {" "        192.0.2.100/24" "    }" "}" \
        "@vigil announce $VIP20 {" "@vigil     vrrp_instance VI_1" "@vigil }"
}
vrrp_block 100 >> "$LABDIR/lb1.conf"
vrrp_block 90 >> "$LABDIR/lb2.conf"
for b in lb1 lb2; do kill -HUP "${PID[$b]}"; done
check "8. VRRP-tied (a reload adds VI_1 and the block): only the master lb1 announces $VIP20" \
    wait_until 15000 nexthops20_are "$LB1"
check "  and it stays so" holds_for 2000 nexthops20_are "$LB1"
t0=$(now_ns)
daemon_stop lb1
wait_until 10000 nexthops20_are "$LB2"
check "  SIGTERM of lb1: lb2 takes over, the router always had a next hop ($(timeline_since "$t0"))" \
    moved_with_a_next_hop "$t0" "$LB2"
: > "$LABDIR/lb1.log"
t0=$(now_ns)
vigil_start lb1 "$LABDIR/lb1.conf"
wait_until 15000 nexthops20_are "$LB1"
check "  lb1 back (preempts): the router moved back with a next hop all along ($(timeline_since "$t0"))" \
    moved_with_a_next_hop "$t0" "$LB1"
t0=$(now_ns)
daemon_kill lb1
wait_until 10000 nexthops20_are "$LB2"
crash20_ms=$(ms "$t0" "$(fib_at "$t0" "$LB2" fib20.txt)")
check "  SIGKILL of lb1: lb2's route in the FIB $crash20_ms ms later (Master_Down_Interval 3.6 s; < 6000) ($(timeline_since "$t0"))" \
    below "$crash20_ms" 6000
vigil_start lb1 "$LABDIR/lb1.conf"

check "no FRR daemon warned of a missing eBGP policy (the examples' in and out route-maps)" \
    bash -c "! grep -q 'policy not properly setup' '$LABDIR'/frr-*/bgpd.log"
echo "  times: withdraw (log to FIB) $withdraw_ms ms, announce (log to FIB) $announce_ms ms, SIGKILL to FIB median $kill_ms ms (${kills[*]}), BGP up in $t_bgp ms, again after the router's bgpd restarted in $t_rebgp ms; IPv6: withdraw $withdraw6_ms ms, announce $announce6_ms ms, SIGKILL to FIB $kill6_ms ms; VRRP-tied: SIGKILL of the master to the backup's route $crash20_ms ms"
finish

#!/bin/bash
# Runs inside the qemu guest (real IPVS): active directors behind a router's ECMP, end to
# end. Three directors each run Vigil (IPVS, lb_algo mh, LVS-DR, `announce` for the VIP)
# and FRR (zebra, bfdd, bgpd with etc/frr/director-bgpd.conf); a router runs FRR with
# etc/frr/router-bgpd.conf (maximum-paths, BFD 100 ms x 3) and hashes flows on addresses
# and ports (fib_multipath_hash_policy 1); two real servers; a client behind the router.
#
#   client 198.51.100.100-131 ── router ──┬── d1 .11  d2 .12  d3 .13   (Vigil + FRR + IPVS)
#        (eth1 198.51.100.1)   (eth0 .1)  └── r1 .21  r2 .22           (VIP on lo)
#                                          192.0.2.0/24, one segment
#
# Why LVS-DR: the directors, the real servers and the router share one segment, so a
# director only rewrites the frame's destination MAC; the real servers answer the client
# straight through the router. No director sees a reply, so a flow the router moves to
# another director needs nothing from the first one: with `mh` (Maglev hashing, the same
# table on every director from the same real servers) and net.ipv4.vs.sloppy_tcp = 1 (a
# mid-stream segment is scheduled like a SYN), the new director picks the same real server,
# which still holds the connection. `mh` hashes the client's address, so the client uses
# 32 addresses (many clients) and the real servers both get flows.
#
# Proves, each step a check: 1. three directors announce, the router's FIB holds three
# nexthops, 60 connections land on all three directors (their IPVS connection tables) and
# both real servers; 1b. the same with a second VIP served by FNAT (IPVS NAT + Vigil's
# source translation to each director's own pool address): 60 connections over all three
# directors, every one answered, each real server seeing the pool address of the director
# that holds the connection (the answers come back through it, not through the router,
# which is the real servers' default route); 2. d2's checks fail (nftables drops its check traffic, the data path
# untouched): withdrawn, new connections avoid it, back when the checks pass; 3. SIGKILL of
# d1's Vigil: its nexthop goes, held connections that stay on their director all answer
# on, and those moved to another director are counted (K of N: mh + sloppy_tcp); 4. d3
# dies whole (link cut, all its processes killed): BFD takes it out of the router's FIB;
# 5. d3 comes back (FRR, then Vigil with `alpha` while its checks still fail): no nexthop
# until Vigil logs `announced`. Times are printed (under TCG: not asserted); they and the
# connection figures also go to $VIGIL_SHARE/ecmp.txt for Benchmarks/ecmp.sh.
#
# Which director a held connection goes through is read from IPVS, not from the router's
# `ip route get`: across veth a packet keeps the hash its sending socket gave it, and the
# router's multipath choice uses that hash (a physical NIC's receive hash in real life),
# which a route lookup from the command line does not reproduce (measured: 14 of 20 flows
# elsewhere). Every packet resets a connection entry's timer, so the director whose entry
# expires last is the one the flow goes through now; the entry a director keeps for a flow
# that left it only counts down. (TCP also picks a new hash after a retransmission
# timeout, so a flow can change director on its own; mh + sloppy_tcp covers that too.)
#
# Run it with two emulated CPUs (IPVS_SMP=2, as make ipvs-test does): on one, starting a
# process as big as the debug vigil stalled the whole guest past BFD's 300 ms (all three
# of the router's sessions expired together, twice in one run, each time as a Vigil
# started). With two, the guest still stalls about 200 ms a few times a run and the router's
# sessions now and then flap: counted and printed at the end, with the stalls measured.
#   guest-ecmp.sh REPO [VIGIL_BINARY]
REPO=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
VIGIL=${2:-$REPO/.build/debug/vigil}
W=$(mktemp -d /tmp/ecmp.XXXXXX)
P=ec$$
source "$(dirname "$0")/guest-lib.sh"
echo "guest-ecmp: three Vigil directors announce one VIP by BGP; the router's ECMP follows"
FRR=/usr/lib/frr
for x in "$FRR/zebra" "$FRR/bgpd" "$FRR/bfdd" "$(command -v vtysh)"; do
    # make ipvs-test builds through make deps, which installs frr.
    [ -x "$x" ] || { fail "FRR is not installed ($x): apt-get install frr (make deps)"; exit 1; }
done
[ -x "$VIGIL" ] || { fail "no vigil at $VIGIL: build it first"; exit 1; }
# Vigil's announcement is a route over its tun device; the guest's /dev gets /dev/net/tun
# only once the module is in.
modprobe -d "$VIGIL_KMOD_ROOT" tun 2>/dev/null
[ -c /dev/net/tun ] || { fail "no /dev/net/tun in the guest (modprobe tun)"; exit 1; }
T_START=$(now_ms)
# Vigil's binary and libraries read once into the guest's page cache (over 9p) before BFD
# runs, so that no later start fetches 165 MB over 9p while the sessions are up.
# shellcheck disable=SC2046
cat "$VIGIL" $(ldd "$VIGIL" | awk '$3 ~ /^\// { print $3 }') > /dev/null
"$VIGIL" --version > /dev/null || fail "$VIGIL --version"
# Late wake-ups (a process that sleeps 50 ms and finds it slept far longer: the guest
# stalled or its CPUs were all busy), printed at the end: under emulation they, not the
# network, are what can outlast BFD's 300 ms.
cat > "$W/stalls.py" <<'PY'
import time
while True:
    t = time.monotonic()
    time.sleep(0.05)
    late = time.monotonic() - t - 0.05
    if late > 0.15:
        print("%.3f %d" % (time.time(), late * 1000), flush=True)
PY
python3 "$W/stalls.py" > "$W/stalls.txt" 2>&1 & PIDS+=($!)

VIP=203.0.113.10
FNAT_VIP=203.0.113.20   # the FNAT service's; each director dN translates to 192.0.2.10N
D1=192.0.2.11 D2=192.0.2.12 D3=192.0.2.13
ALL="$D1,$D2,$D3"
HOLD=${ECMP_HOLD:-20}
declare -A VPID=() FRRPIDS=()
RESULTS=$W/results.txt
: > "$RESULTS"
result() { echo "$1=$2" >> "$RESULTS"; }

# --- the programs -----------------------------------------------------------------------

# The client, from 32 addresses in turn (mh hashes the source address).
#   count N [VIP]: N connections one after the other; prints "SRC:PORT SERVER PEER" each
#     (SERVER none if unanswered; PEER: the address the real server saw).
#   hold N DIR: N connections kept open, each asked a line every 100 ms; a reset, a close,
#     20 s of silence or another server's answer breaks one. Writes DIR/held ("SRC:PORT
#     SERVER"). For each DIR/ask-NAME that appears it writes DIR/report-NAME once at least
#     6 s have passed and every connection has either broken or answered again from 2 s
#     after the ask (30 s at most): "SRC:PORT SERVER alive|silent|broken ANSWERS WHY" (silent:
#     not broken, no answer since). Ends at DIR/stop (or after 500 s).
cat > "$W/client.py" <<'PY'
import asyncio, os, socket, sys, time
VIP = "203.0.113.10"
ADDRS = ["198.51.100.%d" % (100 + i) for i in range(32)]
def count(n, vip):
    for i in range(n):
        key, who, peer = "-", "none", "-"
        try:
            s = socket.create_connection((vip, 80), timeout=3, source_address=(ADDRS[i % 32], 0))
            key = "%s:%d" % s.getsockname()[:2]
            s.sendall(b"hello\n")
            who, peer = [w.decode() for w in s.makefile("rb").readline().split()[:2]]
            s.close()
        except (OSError, ValueError):
            pass
        print(key, who, peer, flush=True)
async def hold(n, work):
    conns = {}
    async def ping(key, r, w):
        st = conns[key]
        try:
            while not os.path.exists(work + "/stop"):
                await asyncio.sleep(0.1)
                w.write(b"ping\n")
                await w.drain()
                line = await asyncio.wait_for(r.readline(), 20)
                if not line:
                    raise ConnectionError("closed")
                if line.split()[0].decode() != st["rs"]:
                    raise ConnectionError("another server answered")
                st["ok"] += 1
                st["last"] = time.time()
        except (OSError, ConnectionError, asyncio.TimeoutError) as e:
            st["alive"], st["why"] = False, type(e).__name__
    tasks = []
    for i in range(n):
        r, w = await asyncio.wait_for(asyncio.open_connection(VIP, 80, local_addr=(ADDRS[i % 32], 0)), 10)
        key = "%s:%d" % w.get_extra_info("sockname")[:2]
        w.write(b"hello\n")
        await w.drain()
        who = (await asyncio.wait_for(r.readline(), 10)).split()[0].decode()
        conns[key] = {"rs": who, "alive": True, "ok": 0, "why": "-", "last": time.time()}
        tasks.append(asyncio.ensure_future(ping(key, r, w)))
    with open(work + "/held.tmp", "w") as f:
        for key, st in conns.items():
            f.write("%s %s\n" % (key, st["rs"]))
    os.rename(work + "/held.tmp", work + "/held")
    asked, end = {}, time.time() + 500
    def state(st, t0):
        return "broken" if not st["alive"] else "alive" if st["last"] >= t0 + 2 else "silent"
    while time.time() < end and not os.path.exists(work + "/stop"):
        await asyncio.sleep(0.1)
        for name in [f[4:] for f in os.listdir(work) if f.startswith("ask-")]:
            t0 = asked.setdefault(name, time.time())
            if t0 is None:
                continue
            now = time.time()
            settled = all(state(st, t0) != "silent" for st in conns.values())
            if (now >= t0 + 6 and settled) or now >= t0 + 30:
                with open(work + "/report.tmp", "w") as f:
                    for key, st in conns.items():
                        f.write("%s %s %s %d %s\n" % (key, st["rs"], state(st, t0), st["ok"], st["why"]))
                os.rename(work + "/report.tmp", work + "/report-" + name)
                asked[name] = None
    for t in tasks:
        t.cancel()
if sys.argv[1] == "count":
    count(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else VIP)
else:
    asyncio.run(hold(int(sys.argv[2]), sys.argv[3]))
PY

# The router's FIB entry for the VIP as a timeline: "<ns> <gateways> <read-ns>" each time
# the set of nexthops changes. The first time is the arrival of the monitor event whose
# reading found the change (the figures); the change itself may come later, during the
# reading (another route's event, such as the FNAT VIP's, can be the one whose reading
# finds it), and is certainly in by <read-ns>, when the reading returned: orders ("not
# before Vigil's line") are asserted with that one, which is never too early.
cat > "$W/fibwatch.py" <<'PY'
import json, subprocess, sys, time
ns, prefix = sys.argv[1], sys.argv[2]
def gateways():
    out = subprocess.run(["ip", "-n", ns, "-j", "route", "show", prefix], capture_output=True, text=True).stdout or "[]"
    return ",".join(sorted(nh["gateway"] for r in json.loads(out) for nh in r.get("nexthops", [r]) if "gateway" in nh)) or "-"
mon = subprocess.Popen(["ip", "-n", ns, "monitor", "route", "nexthop"], stdout=subprocess.PIPE, text=True)
time.sleep(0.3)
last = gateways()
t = time.time_ns()
print(t, last, t, flush=True)
for line in mon.stdout:
    t = time.time_ns()
    g = gateways()
    if g != last:
        print(t, g, time.time_ns(), flush=True)
        last = g
PY

# The figures, from the client's lines and the directors' IPVS connection tables ("SRC:PORT
# DEST:PORT STATE EXPIRE_S" per entry).
#   spread CLIENT NAME=TABLE...: where the client's connections went; with POOLS set
#     ("NAME=ADDRESS,..."), also the connections whose real server saw an address other
#     than the pool address of a director whose table holds them (wrongpeer).
#   current HELD NAME=TABLE...: the director each held connection goes through now: the one
#     whose entry for it expires last (each packet resets the timer; the entry a director
#     keeps for a flow that left it only counts down).
#   moves REPORT_BEFORE REPORT_AFTER CURRENT_BEFORE CURRENT_AFTER: of the connections alive
#     before, those that went through another director after (moved) and those that stayed
#     (kept), and how many of each are alive after.
cat > "$W/flows.py" <<'PY'
import os, sys
RS = {"192.0.2.21:80": "r1", "192.0.2.22:80": "r2"}
def rows(path):
    with open(path) as f:
        return [line.split() for line in f if line.strip()]
def tables(args):
    return {a.split("=")[0]: {r[0]: r[1:] for r in rows(a.split("=")[1])} for a in args}
cmd = sys.argv[1]
if cmd == "spread":
    client, dirs = rows(sys.argv[2]), tables(sys.argv[3:])
    n = {d: 0 for d in dirs}
    n.update(r1=0, r2=0, none=0, unmatched=0, multi=0, disagree=0)
    pools = dict(p.split("=") for p in os.environ.get("POOLS", "").split(",") if p)
    if pools:
        n["wrongpeer"] = 0
    for key, who, peer in client:
        n[who if who in ("r1", "r2") else "none"] += 1
        if who not in ("r1", "r2"):
            continue
        seen = [d for d in dirs if key in dirs[d]]
        n["unmatched"] += not seen
        n["multi"] += len(seen) > 1
        if pools:
            n["wrongpeer"] += peer not in [pools[d] for d in seen]
        for d in seen:
            n[d] += 1
            n["disagree"] += RS.get(dirs[d][key][0]) != who
    print(" ".join("%s=%d" % kv for kv in n.items()))
elif cmd == "current":
    dirs = tables(sys.argv[3:])
    for key, *_ in rows(sys.argv[2]):
        seen = sorted((int(dirs[d][key][2]), d) for d in dirs if key in dirs[d])
        print(key, seen[-1][1] if seen else "-")
elif cmd == "moves":
    before = {r[0]: r for r in rows(sys.argv[2])}
    after = {r[0]: r for r in rows(sys.argv[3])}
    c0, c1 = dict(rows(sys.argv[4])), dict(rows(sys.argv[5]))
    n = dict(considered=0, kept=0, kept_alive=0, moved=0, moved_alive=0, unseen=0)
    for key, r in before.items():
        if r[2] != "alive":
            continue
        n["considered"] += 1
        alive = after.get(key, [None] * 3)[2] == "alive"
        if c0.get(key, "-") == "-" or c1.get(key, "-") == "-":
            n["unseen"] += 1
        elif c0[key] == c1[key]:
            n["kept"] += 1
            n["kept_alive"] += alive
        else:
            n["moved"] += 1
            n["moved_alive"] += alive
    print(" ".join("%s=%d" % kv for kv in n.items()))
PY

# --- the lab ----------------------------------------------------------------------------

switch lan out
port rt eth0 lan 192.0.2.1/24
port rt eth1 out 198.51.100.1/24
port cl eth0 out 198.51.100.100/24
for i in $(seq 101 131); do echo "address add 198.51.100.$i/24 dev eth0"; done | ip -n ${P}cl -batch -
ip -n ${P}cl route add default via 198.51.100.1
ip netns exec ${P}rt sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
for d in d1 d2 d3; do
    port $d eth0 lan 192.0.2.1${d#d}/24
    ip -n $P$d addr add 192.0.2.10${d#d}/24 dev eth0   # the FNAT pool (an operator's address)
    ip -n $P$d route add default via 192.0.2.1
    # FNAT's answers, translated back to the client's address, are forwarded (LVS-NAT).
    ip netns exec $P$d sysctl -qw net.ipv4.ip_forward=1
    # A segment of a flow this director never saw (the router moved it here) is scheduled.
    ip netns exec $P$d sysctl -qw net.ipv4.vs.sloppy_tcp=1
done
for r in r1 r2; do
    port $r eth0 lan 192.0.2.2${r#r}/24
    ip -n $P$r addr add $VIP/32 dev lo
    ip netns exec $P$r sh -c 'for i in all eth0; do echo 1 > /proc/sys/net/ipv4/conf/$i/arp_ignore; echo 2 > /proc/sys/net/ipv4/conf/$i/arp_announce; done'
    ip -n $P$r route add default via 192.0.2.1
    line_server $r 80   # a real server: "NAME PEER LINE" for each line
done
for r in r1 r2; do wait_until 30000 grep -q listening "$W/$r.out" || fail "the line server on $r did not start"; done
chmod o+x "$W"   # FRR's daemons run as frr: they reach their own directory inside

# --- FRR per namespace: zebra, bfdd, bgpd with their own paths (never the system's); the
# file loaded as the integrated configuration (vtysh -b, as Debian's frr.service does) ----

frr_up() {   # NAME FRR_CONF: starts the three daemons in the box, then loads FRR_CONF
    local name=$1 d=$W/frr-$1 dm
    mkdir -p "$d"
    cp "$2" "$d/frr.conf"
    : > "$d/vtysh.conf"
    for dm in zebra bfdd bgpd; do : > "$d/$dm.conf"; rm -f "$d/$dm.vty"; done
    rm -f "$d/zserv.api" "$d/bfdd.sock"
    chown -R frr:frr "$d"
    FRRPIDS[$name]=""
    for dm in zebra bfdd bgpd; do
        # shellcheck disable=SC2046
        ip netns exec $P$name "$FRR/$dm" -f "$d/$dm.conf" -i "$d/$dm.pid" -z "$d/zserv.api" --vty_socket "$d" \
            -u frr -g frr --log "file:$d/$dm.log" $([ $dm = bfdd ] && echo --bfdctl "$d/bfdd.sock") >> "$d/$dm.out" 2>&1 &
        PIDS+=($!); FRRPIDS[$name]+=" $!"
        wait_until 30000 test -S "$d/$dm.vty" || { echo "       $name: FRR's $dm did not start"; sed 's/^/       /' "$d/$dm.out"; return 1; }
    done
    vtysh --config_dir "$d" --vty_socket "$d" -b > "$d/boot.out" 2>&1 && ! [ -s "$d/boot.out" ] ||
        { sed 's/^/       vtysh -b: /' "$d/boot.out"; return 1; }
}
vty() { local name=$1; shift; local a=() c; for c in "$@"; do a+=(-c "$c"); done
        timeout 20 vtysh --vty_socket "$W/frr-$name" "${a[@]}"; }
# Polled every 0.5 s: a vtysh start is not free on the emulated CPU, and BFD's 300 ms shares it.
wait_slow() { local deadline=$(( $(now_ms) + $1 )); shift
              while [ "$(now_ms)" -lt "$deadline" ]; do "$@" && return 0; sleep 0.5; done; "$@"; }
established() { [ "$(vty rt 'show bgp summary json' | grep -o '"state":"Established"' | wc -l)" = "$1" ]; }
bfd_up() { [ "$(vty rt 'show bfd peers json' | grep -o '"status":"up"' | wc -l)" = "$1" ]; }

check "the router's FRR takes etc/frr/router-bgpd.conf as shipped (vtysh -b: no error)" frr_up rt "$REPO/etc/frr/router-bgpd.conf"
# Debugging only (not configuration): the router's logs say why a session went down.
vty rt 'debug bgp bfd' 'debug bfd peer' > /dev/null
for d in d1 d2 d3; do
    sed -e "s/^hostname director-1\$/hostname $d/" -e "s/bgp router-id 192\.0\.2\.11\$/bgp router-id 192.0.2.1${d#d}/" \
        "$REPO/etc/frr/director-bgpd.conf" > "$W/$d-frr.conf"
done
check "the directors' FRR file is etc/frr/director-bgpd.conf with only hostname and router-id changed" \
    bash -c "grep -q '^ bgp router-id 192.0.2.13$' '$W/d3-frr.conf' && [ \$(diff '$REPO/etc/frr/director-bgpd.conf' '$W/d3-frr.conf' | grep -c '^[<>]') = 4 ]"
for d in d1 d2 d3; do check "  $d: vtysh -b, no error" frr_up $d "$W/$d-frr.conf"; done
t0=$(now_ms)
check "three BGP sessions established at the router" wait_slow 120000 established 3
check "  and three BFD sessions up (100 ms x 3)" wait_slow 60000 bfd_up 3
echo "       BGP and BFD up $(( $(now_ms) - t0 )) ms after the last FRR start"
ip netns exec ${P}rt python3 "$W/fibwatch.py" ${P}rt $VIP/32 > "$W/fib.txt" 2>&1 & PIDS+=($!)
wait_until 10000 test -s "$W/fib.txt"

now_ns() { date +%s%N; }
# The router's nexthops for the VIP now: the watcher's last line (no process to start).
nexthops_are() { local t g r last=; while read -r t g r; do last=$g; done < "$W/fib.txt"; [ "$last" = "$1" ]; }
# fib_at T0_NS GATEWAYS: when (ns) the router's FIB first showed GATEWAYS at or after T0;
# fib_read_at: when that reading returned (the change was certainly in by then).
fib_at() { awk -v t0="$1" -v g="$2" '$1 >= t0 && $2 == g { print $1; exit }' "$W/fib.txt"; }
fib_read_at() { awk -v t0="$1" -v g="$2" '$1 >= t0 && $2 == g { print $3; exit }' "$W/fib.txt"; }
# log_at NAME PATTERN: the time (ns) of the director's last Vigil log line with PATTERN.
log_at() { local s; s=$(grep -- "$2" "$W/$1.log" | tail -1 | awk '{ print $1 }'); [ -n "$s" ] && date -d "$s" +%s%N; }
ms() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

# --- Vigil on each director: etc/ecmp-director.conf's service with this lab's real servers
# and TCP_CHECK (the real servers speak lines, not HTTP) --------------------------------

for d in d1 d2 d3; do
    cat > "$W/$d.conf" <<EOF
global_defs {
    router_id $d
}
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo mh
    lb_kind DR
    protocol TCP
    alpha
    real_server 192.0.2.21 80 {
        weight 1
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 2
            retry 1
            delay_before_retry 1
        }
    }
    real_server 192.0.2.22 80 {
        weight 1
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 2
            retry 1
            delay_before_retry 1
        }
    }
}
@vigil announce $VIP {
@vigil     virtual_server $VIP 80
@vigil }
local_address_group pool {
    192.0.2.10${d#d}
}
virtual_server $FNAT_VIP 80 {
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    laddr_group_name pool
    protocol TCP
    real_server 192.0.2.21 80 {
        TCP_CHECK {
            connect_timeout 2
        }
    }
    real_server 192.0.2.22 80 {
        TCP_CHECK {
            connect_timeout 2
        }
    }
}
announce $FNAT_VIP {
    virtual_server $FNAT_VIP 80
}
EOF
done
vigil_start() {
    echo "$(date +%T.%3N) vigil started on $1" >> "$W/events.txt"
    ip netns exec $P$1 "$VIGIL" run -f "$W/$1.conf" --pid-file "$W/$1.pid" --control-socket "$W/$1.sock" >> "$W/$1.log" 2>&1 &
    VPID[$1]=$!; PIDS+=($!)
}
vigil_kill() { echo "$(date +%T.%3N) vigil killed on $1" >> "$W/events.txt"; kill -KILL "${VPID[$1]}"; wait "${VPID[$1]}" 2>/dev/null; }
# A director's checks fail while its data path is untouched: its own connections to the
# real servers (destination a real server's address) are dropped; IPVS's direct-routing
# frames keep the VIP as their destination and pass.
block_checks()   { ip netns exec $P$1 nft -f - <<'NFT'
table ip ecmp_drill {
    chain output {
        type filter hook output priority 0;
        ip daddr { 192.0.2.21, 192.0.2.22 } tcp dport 80 drop
    }
}
NFT
}
unblock_checks() { ip netns exec $P$1 nft delete table ip ecmp_drill; }
# flows DIRECTOR [VIP]: "SRC:PORT DEST:PORT STATE EXPIRE_S" for each IPVS connection entry to the VIP.
flows() { ip netns exec $P$1 ipvsadm -Lnc | awk -v v="${2:-$VIP}:80" '$1 == "TCP" && $5 == v { split($2, t, ":"); print $4, $6, $3, t[1] * 60 + t[2] }'; }
snapshot() { local d; for d in d1 d2 d3; do flows $d "${2:-}" > "$W/$1-$d.txt"; done; }
tabs() { local d; for d in d1 d2 d3; do printf ' %s=%s' $d "$W/$1-$d.txt"; done; }
# count TAG N [VIP]: N connections from the client, then where they went (flows.py spread).
count() {
    ip netns exec ${P}cl timeout 120 python3 "$W/client.py" count "$2" ${3:-} > "$W/$1.txt"
    snapshot "$1" "${3:-}"
    # shellcheck disable=SC2046
    python3 "$W/flows.py" spread "$W/$1.txt" $(tabs "$1")
}
# current TAG: snapshot TAG, then the director each held connection goes through (TAG.cur).
current() {
    snapshot "$1"
    # shellcheck disable=SC2046
    python3 "$W/flows.py" current "$W/held" $(tabs "$1") > "$W/$1.cur"
}
on() { grep -c " $1\$" "$W/$2.cur"; }
# report NAME: the client's report NAME (6 to 30 s after it was asked).
report() { touch "$W/ask-$1"; wait_until 60000 test -s "$W/report-$1"; }
alive() { grep -c ' alive ' "$W/report-$1"; }
field() { tr ' ' '\n' <<< "$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
# Real servers in service (inhibit_on_failure keeps a failing one in the table at weight 0).
real_servers() { ip netns exec $P$1 ipvsadm -Sn | grep -- '-a -t' | grep -vc -- '-w 0$'; }
full_pools() { local d; for d in d1 d2 d3; do [ "$(real_servers $d)" = 2 ] || return 1; done; }

for d in d1 d2 d3; do vigil_start $d; done

# 1 --------------------------------------------------------------------------------------
check "1. all three directors announce: the router's FIB has three nexthops" wait_until 60000 nexthops_are "$ALL"
ip -n ${P}rt route show $VIP | sed 's/^/       router: /'
for d in d1 d2 d3; do check "  $d holds both real servers in IPVS (mh, -g)" wait_until 20000 bash -c "[ \$(ip netns exec $P$d ipvsadm -Sn | grep -c -- '-a -t $VIP:80 -r 192.0.2.2[12]:80 -g -w 1') = 2 ]"; done
s=$(count c1 60)
echo "       60 connections: $s (multi: in two directors' tables, a SYN resent on another path)"
check "  60 connections answered, each in a director's IPVS table, to the server that answered" \
    test "$(field "$s" none)" = 0 -a "$(field "$s" unmatched)" = 0 -a "$(field "$s" disagree)" = 0
check "  they land on all three directors (d1 $(field "$s" d1), d2 $(field "$s" d2), d3 $(field "$s" d3))" \
    test "$(field "$s" d1)" -gt 0 -a "$(field "$s" d2)" -gt 0 -a "$(field "$s" d3)" -gt 0
check "  and on both real servers (r1 $(field "$s" r1), r2 $(field "$s" r2))" test "$(field "$s" r1)" -gt 0 -a "$(field "$s" r2)" -gt 0
result conns60 "$(field "$s" d1)/$(field "$s" d2)/$(field "$s" d3)"
result servers60 "$(field "$s" r1)/$(field "$s" r2)"

# 1b -------------------------------------------------------------------------------------
fnat_nexthops() { [ "$(ip -n ${P}rt route show $FNAT_VIP | grep -c nexthop)" = 3 ]; }
check "1b. FNAT: the second VIP ($FNAT_VIP) announced by all three directors too" wait_until 60000 fnat_nexthops
for d in d1 d2 d3; do
    check "  $d: IPVS NAT to both real servers, and its translation to 192.0.2.10${d#d} in table inet vigil_fullnat" \
        wait_until 20000 bash -c "[ \$(ip netns exec $P$d ipvsadm -Sn | grep -c -- '-a -t $FNAT_VIP:80 -r 192.0.2.2[12]:80 -m') = 2 ] &&
            ip netns exec $P$d nft list table inet vigil_fullnat | grep -q 'snat ip to 192.0.2.10${d#d}'"
done
s=$(POOLS=d1=192.0.2.101,d2=192.0.2.102,d3=192.0.2.103 count f1 60 $FNAT_VIP)
echo "       60 FNAT connections: $s"
check "  60 connections answered (none timed out), each in a director's IPVS table, to the server that answered" \
    test "$(field "$s" none)" = 0 -a "$(field "$s" unmatched)" = 0 -a "$(field "$s" disagree)" = 0
check "  completed through every director (d1 $(field "$s" d1), d2 $(field "$s" d2), d3 $(field "$s" d3)) and both real servers (r1 $(field "$s" r1), r2 $(field "$s" r2))" \
    test "$(field "$s" d1)" -gt 0 -a "$(field "$s" d2)" -gt 0 -a "$(field "$s" d3)" -gt 0 -a "$(field "$s" r1)" -gt 0 -a "$(field "$s" r2)" -gt 0
check "  each real server saw the pool address of the director holding the connection (wrong: $(field "$s" wrongpeer))" \
    test "$(field "$s" wrongpeer)" = 0
result fnat60 "$(field "$s" d1)/$(field "$s" d2)/$(field "$s" d3)"

# 2 --------------------------------------------------------------------------------------
block_checks d2
check "2. d2's checks fail (nftables drops them): the router's FIB drops d2" wait_until 60000 nexthops_are "$D1,$D3"
t_log=$(log_at d2 "announce: $VIP withdrawn")
withdraw_ms=$(ms "$t_log" "$(fib_at "${t_log:-0}" "$D1,$D3")")
check "  from Vigil's 'withdrawn' log line to the router's FIB: ${withdraw_ms:-?} ms" test -n "$withdraw_ms"
result check_withdraw_ms "$withdraw_ms"
grep "announce: $VIP withdrawn" "$W/d2.log" | tail -1 | sed 's/^/       d2: /'
s=$(count c2 30)
echo "       30 new connections: $s"
check "  30 new connections: none reaches d2, all answered (d1 $(field "$s" d1), d3 $(field "$s" d3))" \
    test "$(field "$s" d2)" = 0 -a "$(field "$s" none)" = 0 -a "$(field "$s" unmatched)" = 0 -a "$(field "$s" d1)" -gt 0 -a "$(field "$s" d3)" -gt 0
t0=$(now_ns)
unblock_checks d2
check "  the checks pass again: three nexthops" wait_until 60000 nexthops_are "$ALL"
t_log=$(log_at d2 "announce: $VIP announced")
t_fib=$(fib_at "$t0" "$ALL"); t_read=$(fib_read_at "$t0" "$ALL")
announce_ms=$(ms "$t_log" "$t_fib")
check "  from Vigil's 'announced' log line to the router's FIB: ${announce_ms:-?} ms (not before)" \
    test -n "$announce_ms" -a "${t_read:-0}" -ge "${t_log:-1}"
result check_announce_ms "$announce_ms"

# 3 --------------------------------------------------------------------------------------
wait_until 30000 full_pools
ip netns exec ${P}cl python3 "$W/client.py" hold "$HOLD" "$W" > "$W/hold.out" 2>&1 & PIDS+=($!)
check "3. the client holds $HOLD connections, each answering every 100 ms" wait_until 60000 test -s "$W/held"
report 0
check "  all $HOLD answer ($(alive 0) alive)" test "$(alive 0)" = "$HOLD"
current h0
echo "       they go through d1 $(on d1 h0), d2 $(on d2 h0), d3 $(on d3 h0) (the director whose IPVS entry for each was refreshed last)"
check "  each goes through a director" test $(( $(on d1 h0) + $(on d2 h0) + $(on d3 h0) )) = "$HOLD"
# mh gives every director the same table only from the same real servers in the same
# order (the kernel fills Maglev's table in list order, and a server joins at the head);
# inhibit_on_failure keeps that order: a failing server stays in its place at weight 0
# (mh gives it no slot) instead of leaving and rejoining at the head.
order() { ip netns exec $P$1 ipvsadm -Sn | grep -- '-a -t' | awk '{ print $5 }' | paste -sd' ' -; }
same_order=no
[ "$(order d1)" = "$(order d2)" ] && [ "$(order d2)" = "$(order d3)" ] && same_order=yes
echo "       real servers in the kernel's order: d1 [$(order d1)], d2 [$(order d2)], d3 [$(order d3)]: same order $same_order"
check "  the real servers are in the same order on every director, after d2's failed and came back (inhibit_on_failure)" \
    test "$same_order" = yes
t0=$(now_ns)
vigil_kill d1
check "  SIGKILL of d1's Vigil: the router's FIB drops d1" wait_until 30000 nexthops_are "$D2,$D3"
kill_ms=$(ms "$t0" "$(fib_at "$t0" "$D2,$D3")")
check "  from the SIGKILL to the router's FIB: ${kill_ms:-?} ms" test -n "$kill_ms"
result kill_ms "$kill_ms"
check "  the client reports (each held connection answered since, or broke)" report 1
current h1
s=$(python3 "$W/flows.py" moves "$W/report-0" "$W/report-1" "$W/h0.cur" "$W/h1.cur")
echo "       held connections across the kill: $s"
check "  every held connection went through a director before and after" \
    test "$(field "$s" considered)" = "$HOLD" -a "$(field "$s" unseen)" = 0
check "  none goes through d1 any more ($(on d1 h1)); d1's $(on d1 h0) moved with the others ($(field "$s" moved))" \
    test "$(on d1 h1)" = 0 -a "$(field "$s" moved)" -ge "$(on d1 h0)"
check "  connections that stayed on their director are undisturbed: $(field "$s" kept_alive) of $(field "$s" kept)" \
    test "$(field "$s" kept_alive)" = "$(field "$s" kept)"
echo "       connections moved to another director that keep working (mh + sloppy_tcp): $(field "$s" moved_alive) of $(field "$s" moved)"
check "  with the same real servers in the same order on every director, every moved one keeps working" \
    test "$(field "$s" moved_alive)" = "$(field "$s" moved)"
result kill_kept "$(field "$s" kept_alive)/$(field "$s" kept)"
result kill_moved "$(field "$s" moved_alive)/$(field "$s" moved)"
result same_order "$same_order"
t0=$(now_ns)
vigil_start d1
check "  d1's Vigil restarted: three nexthops again" wait_until 60000 nexthops_are "$ALL"
t_log=$(log_at d1 "announce: $VIP announced")
t_fib=$(fib_at "$t0" "$ALL"); t_read=$(fib_read_at "$t0" "$ALL")
check "  and not before Vigil logged 'announced' ($(ms "$t_log" "$t_fib") ms after it; read $(ms "$t_log" "$t_read") ms after it)" \
    test -n "$t_log" -a -n "$t_fib" -a "${t_read:-0}" -ge "${t_log:-1}"

# 4 --------------------------------------------------------------------------------------
wait_until 30000 full_pools
report 2
current h2
echo "       before d3 dies: $(alive 2) held connections alive, through d1 $(on d1 h2), d2 $(on d2 h2), d3 $(on d3 h2)"
t0=$(now_ns)
ip -n ${P}sw link set ${P}d3eth0 down        # the box is gone from the wire ...
vigil_kill d3
for pid in ${FRRPIDS[d3]}; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done   # ... and dead
check "4. d3 dies whole (link cut, Vigil and FRR killed): the router's FIB drops d3" wait_until 30000 nexthops_are "$D1,$D2"
bfd_ms=$(ms "$t0" "$(fib_at "$t0" "$D1,$D2")")
check "  from the link cut to the router's FIB: ${bfd_ms:-?} ms" test -n "$bfd_ms"
result bfd_ms "$bfd_ms"
check "  the router's BFD session with d3 expired (bfdd: up -> down, control-expired)" \
    grep -q "peer:$D3 .*up -> down reason:control-expired" "$W/frr-rt/bfdd.log"
check "  and bgpd took the BFD verdict for its session with d3 (bfd state Up -> Down)" \
    grep -q "neighbor $D3 .*bfd state Up -> Down" "$W/frr-rt/bgpd.log"
report 3
current h3
s=$(python3 "$W/flows.py" moves "$W/report-2" "$W/report-3" "$W/h2.cur" "$W/h3.cur")
echo "       held connections across d3's death: $s"
check "  none goes through d3 any more ($(on d3 h3)); d3's $(on d3 h2) moved with the others ($(field "$s" moved))" \
    test "$(on d3 h3)" = 0 -a "$(field "$s" moved)" -ge "$(on d3 h2)" -a "$(field "$s" unseen)" = 0
check "  connections that stayed on d1 and d2 are undisturbed: $(field "$s" kept_alive) of $(field "$s" kept)" \
    test "$(field "$s" kept_alive)" = "$(field "$s" kept)"
echo "       connections moved off the dead director (or between the others) that keep working: $(field "$s" moved_alive) of $(field "$s" moved)"
result death_kept "$(field "$s" kept_alive)/$(field "$s" kept)"
result death_moved "$(field "$s" moved_alive)/$(field "$s" moved)"

# 5 --------------------------------------------------------------------------------------
ip -n ${P}sw link set ${P}d3eth0 up
block_checks d3     # before Vigil starts: its first checks fail
check "5. d3 is back: FRR restarted (vtysh -b, no error)" frr_up d3 "$W/d3-frr.conf"
check "  its BGP session established at the router" wait_slow 120000 established 3
: > "$W/d3.log"
vigil_start d3
# The FIB timeline since T0_NS never held ADDRESS (whatever else it held: a BFD flap of
# the other sessions under emulation is not d3 being announced).
never_since() { awk -v t0="$1" -v a="$2" '$1 >= t0 && index($2, a) { bad = 1 } END { exit bad }' "$W/fib.txt"; }
t0=$(now_ns)
check "  Vigil restarted while its checks fail (alpha): 5 s without a nexthop for d3" holds_for 5000 never_since "$t0" "$D3"
check "  and the FIB still has d1 and d2 (its last change: $(tail -1 "$W/fib.txt" | cut -d' ' -f2))" nexthops_are "$D1,$D2"
check "  and Vigil has not announced" bash -c "! grep -q 'announce: $VIP announced' '$W/d3.log'"
t0=$(now_ns)
unblock_checks d3
check "  the checks pass: three nexthops" wait_until 60000 nexthops_are "$ALL"
t_log=$(log_at d3 "announce: $VIP announced")
t_fib=$(fib_at "$t0" "$ALL"); t_read=$(fib_read_at "$t0" "$ALL")
check "  the first FIB entry with d3 came $(ms "$t_log" "$t_fib") ms after Vigil's 'announced' (not before; read $(ms "$t_log" "$t_read") ms after it)" \
    test -n "$t_log" -a -n "$t_fib" -a "${t_read:-0}" -ge "${t_log:-1}"
result rejoin_ms "$(ms "$t_log" "$t_fib")"
report 4
echo "       held connections still answering at the end: $(alive 4) of $HOLD"
result held_end "$(alive 4)/$HOLD"
touch "$W/stop"

# BFD sessions that went down besides d3's: under emulation the whole guest now and then
# stalls for about 200 ms (the stall probe's lines), which with 100 ms of send jitter
# outlasts 300 ms of detection, and the router drops every director at once for the few
# seconds BGP takes to come back. Counted, not asserted: the checks above read the FIB's
# history and the connections' answers, which such a flap does not fake.
downs=$(grep -c 'up -> down' "$W/frr-rt/bfdd.log")
echo "       the router's BFD sessions went down $downs time(s) in all (1: d3's death; more: flaps, see the stalls below)"
result bfd_downs "$downs"
result drill_s $(( ($(now_ms) - T_START) / 1000 ))
echo "       times: check withdrawal (log to FIB) ${withdraw_ms:-?} ms, check announce ${announce_ms:-?} ms, SIGKILL to FIB ${kill_ms:-?} ms, link cut (BFD) to FIB ${bfd_ms:-?} ms"
echo "       ECMP-RESULTS $(paste -sd' ' "$RESULTS")"
echo "       late wake-ups over 150 ms (stalls): $(wc -l < "$W/stalls.txt"), the longest $(sort -k2 -n "$W/stalls.txt" | tail -3 | awk '{ printf "%d ms at %s, ", $2, strftime("%H:%M:%S", $1) }')memory available $(awk '/MemAvailable/ { print int($2 / 1024) " MB" }' /proc/meminfo)"
echo "       CPU seconds by program: $(ps -eo comm=,times= | awk '{ t[$1] += $2 } END { for (c in t) if (t[c] >= 1) printf "%s %d, ", c, t[c] }')load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${VIGIL_SHARE:-}" ]; then
    cp "$RESULTS" "$VIGIL_SHARE/ecmp.txt" 2>/dev/null
    [ "$FAILED" != 0 ] && tar -C "$W" -czf "$VIGIL_SHARE/ecmp-logs.tgz" --exclude='*.vty' --exclude='*.api' --exclude='*.sock' . 2>/dev/null
fi
if [ "$FAILED" != 0 ]; then
    for d in d1 d2 d3; do echo "  --- $d's Vigil"; tail -15 "$W/$d.log" | sed 's/^/      /'; done
    echo "  --- the router's FIB timeline"; sed 's/^/      /' "$W/fib.txt"
    echo "  --- the router's BFD state changes"; grep 'state-change' "$W/frr-rt/bfdd.log" | sed 's/^/      /'
    echo "  --- Vigil starts and kills"; sed 's/^/      /' "$W/events.txt"
    echo "  --- guest stalls (time, ms late)"; awk '{ printf "      %s %d\n", strftime("%H:%M:%S", $1), $2 }' "$W/stalls.txt"
fi
exit $FAILED

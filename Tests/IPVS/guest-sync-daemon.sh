#!/bin/bash
# Runs inside the qemu guest (real IPVS): connections that survive a director's crash.
# Two directors run vigil with VRRP (VRRPv3, advert_int 0.1) and the same LVS-DR service
# (rr over two real servers that hold the VIP on lo). A client holds 20 TCP connections
# through the VIP, each answering a line every half second; the master director is killed
# (SIGKILL, links cut) and the client counts the connections that still answer through the
# new master. Three rounds, the same lab each time:
#   sync      lvs_sync_daemon eth0 VI_1: the backup's kernel holds the master's connection
#             entries, so every held connection finds its real server there;
#   none      no sync daemon: the new master has no entry for a connection in mid-stream;
#             IPVS schedules only a SYN, so each later segment reaches the director's own
#             stack, which resets it;
#   sloppy    no sync daemon, net.ipv4.vs.sloppy_tcp = 1 on the directors: the new master
#             schedules a mid-stream segment like a new connection (rr), so a connection
#             survives only when it lands on the real server that already holds it.
# Prints one line per round: held, survived, broken.
#   guest-sync-daemon.sh REPO
REPO=${1:-/work/main}
VIGIL=$REPO/.build/debug/vigil
W=$(mktemp -d /tmp/sync-daemon.XXXXXX)
P=sd$$
source "$(dirname "$0")/guest-lib.sh"
VIP=192.0.2.100
N=20

# The client: N connections, each asked a line every 0.5 s until $W/stop appears (at most
# 90 s); a connection that is reset, closed or silent for 5 s is broken. At the end, one
# line per connection: "conn I FIRST_SERVER alive|broken ANSWERS_AFTER_THE_CRASH".
cat > "$W/client.py" <<'PY'
import os, random, socket, sys, time
vip, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conns, first, alive, after = [], [], [], []
for i in range(n):
    s = socket.create_connection((vip, 7000), timeout=10)
    s.sendall(b"hello %d\n" % i)
    first.append(s.makefile("rb").readline().split()[0].decode())
    s.settimeout(5)
    conns.append(s); alive.append(True); after.append(0)
open(work + "/ready", "w").close()
end = time.time() + 90
while time.time() < end and not os.path.exists(work + "/stop"):
    crashed = os.path.exists(work + "/crashed")
    # After the crash in a random order: in the sloppy round, a connection's first segment
    # through the new master is scheduled like a new one (rr), and asking in the order the
    # connections were made would replay d1's rr order and land each on its own server.
    order = list(range(n))
    if crashed:
        random.shuffle(order)
    for i in order:
        s = conns[i]
        if not alive[i]:
            continue
        try:
            s.sendall(b"ping %d\n" % i)
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(100)
                if not chunk:
                    raise ConnectionError("closed")
                data += chunk
            if crashed:
                after[i] += 1
        except (OSError, ConnectionError):
            alive[i] = False
    time.sleep(0.5)
for i in range(n):
    print("conn %d %s %s %d" % (i, first[i], "alive" if alive[i] else "broken", after[i]), flush=True)
PY

switch lan
port c eth0 lan 192.0.2.50/24
port d1 eth0 lan 192.0.2.11/24
port d2 eth0 lan 192.0.2.12/24
for r in r1 r2; do
    port $r eth0 lan 192.0.2.$([ $r = r1 ] && echo 21 || echo 22)/24
    ip -n $P$r addr add $VIP/32 dev lo
    ip netns exec $P$r sh -c 'for i in all eth0; do echo 1 > /proc/sys/net/ipv4/conf/$i/arp_ignore; echo 2 > /proc/sys/net/ipv4/conf/$i/arp_announce; done'
    line_server $r 7000   # "NAME PEER LINE" for each line
done
for r in r1 r2; do wait_until 20000 grep -q listening "$W/$r.out" || fail "the line server on $r did not start"; done

conf() {  # NAME PRIORITY SYNC(yes|no)
    {
        echo "global_defs {"
        echo "    router_id $1"
        [ "$3" = yes ] && echo "    lvs_sync_daemon eth0 VI_1"
        echo "}"
        cat <<CONF
vrrp_instance VI_1 {
    interface eth0
    version 3
    virtual_router_id 51
    priority $2
    advert_int 0.1
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
}
virtual_server $VIP 7000 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 192.0.2.21 7000 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 192.0.2.22 7000 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF
    } > "$W/$1.conf"
    echo "$W/$1.conf"
}
has_vip() { ip -n $P$1 -4 -o addr show | grep -q " $VIP/"; }
full_pool() { [ "$(ip netns exec $P$1 ipvsadm -Sn | grep -c -- "-r 192.0.2.2[12]:7000")" = 2 ]; }
daemons() { ip netns exec $P$1 ipvsadm -L --daemon 2>/dev/null; }
entries() { ip netns exec $P$1 ipvsadm -Lnc 2>/dev/null | grep "$VIP:7000" | grep -c ESTABLISHED; }

round() {  # NAME SYNC(yes|no) SLOPPY(0|1)
    local name=$1 sync=$2 sloppy=$3
    echo "--- round '$name': lvs_sync_daemon $sync, sloppy_tcp $sloppy"
    rm -f "$W/ready" "$W/stop" "$W/crashed"
    for d in d1 d2; do
        ip -n ${P}sw link set ${P}${d}eth0 up
        ip netns exec $P$d sh -c "echo $sloppy > /proc/sys/net/ipv4/vs/sloppy_tcp" 2>/dev/null
        # What a crashed round left: the table, and the sync daemons (they run in the kernel).
        ip netns exec $P$d ipvsadm -C
        ip netns exec $P$d ipvsadm --stop-daemon master 2>/dev/null
        ip netns exec $P$d ipvsadm --stop-daemon backup 2>/dev/null
    done
    ip netns exec ${P}d1 "$VIGIL" run -f "$(conf d1 100 $sync)" --control-socket "" > "$W/$name-d1.log" 2>&1 & local d1=$!; PIDS+=($d1)
    ip netns exec ${P}d2 "$VIGIL" run -f "$(conf d2 90 $sync)" --control-socket "" > "$W/$name-d2.log" 2>&1 & local d2=$!; PIDS+=($d2)
    check "$name: d1 becomes master" wait_until 15000 has_vip d1
    check "$name: both directors hold the pool" wait_until 15000 bash -c "$(declare -f full_pool); P=$P; full_pool d1 && full_pool d2"
    if [ "$sync" = yes ]; then
        check "$name: d1 runs the master sync daemon (ipvsadm: $(daemons d1 | tr '\n' ' '))" \
            wait_until 5000 bash -c "ip netns exec ${P}d1 ipvsadm -L --daemon | grep -q 'master sync daemon (mcast=eth0, syncid=51'"
        check "$name: d2 runs the backup sync daemon ($(daemons d2 | tr '\n' ' '))" \
            bash -c "ip netns exec ${P}d2 ipvsadm -L --daemon | grep -q 'backup sync daemon (mcast=eth0, syncid=51'"
    else
        check "$name: no sync daemon runs" [ -z "$(daemons d1)$(daemons d2)" ]
    fi
    ip netns exec ${P}c python3 "$W/client.py" $VIP $N "$W" > "$W/$name-client.txt" 2>&1 & local client=$!; PIDS+=($client)
    check "$name: the client holds $N connections" wait_until 30000 test -e "$W/ready"
    # The kernel's sync thread sends what it gathered at least every 2 s.
    sleep 3
    local synced; synced=$(entries d2)
    echo "       established connection entries for the VIP: d1 $(entries d1), d2 (backup) $synced"
    if [ "$sync" = yes ]; then
        check "$name: the backup's kernel holds every held connection ($synced >= $N)" [ "$synced" -ge $N ]
    fi
    kill -KILL $d1; wait $d1 2>/dev/null
    ip -n ${P}sw link set ${P}d1eth0 down   # the box is gone
    touch "$W/crashed"
    check "$name: crash of d1: d2 takes the VIP" wait_until 5000 has_vip d2
    if [ "$sync" = yes ]; then
        check "$name: d2 switched to the master sync daemon" \
            wait_until 5000 bash -c "ip netns exec ${P}d2 ipvsadm -L --daemon | grep -q 'master sync daemon' && ! ip netns exec ${P}d2 ipvsadm -L --daemon | grep -q backup"
    fi
    sleep 6   # about 12 rounds of questions through the new master
    touch "$W/stop"
    wait $client
    local lines alive broken
    lines=$(grep -c '^conn ' "$W/$name-client.txt")
    alive=$(awk '$1 == "conn" && $4 == "alive" && $5 > 0' "$W/$name-client.txt" | wc -l)
    broken=$(awk '$1 == "conn" && $4 == "broken"' "$W/$name-client.txt" | wc -l)
    check "$name: the client reported every connection ($lines of $N)" [ "$lines" = $N ]
    echo "       ROUND $name: $N held through the VIP (r1 $(awk '$3 == "r1"' "$W/$name-client.txt" | wc -l), r2 $(awk '$3 == "r2"' "$W/$name-client.txt" | wc -l)); after the crash $alive answered through d2, $broken broke"
    echo "$name $N $alive $broken" >> "$W/rounds"
    kill -TERM $d2; wait $d2
    check "$name: SIGTERM on d2: exit, its service and sync daemon gone" \
        bash -c "[ -z \"\$(ip netns exec ${P}d2 ipvsadm -Sn)\" ] && [ -z \"\$(ip netns exec ${P}d2 ipvsadm -L --daemon)\" ]"
    [ "$FAILED" = 0 ] || { echo "  --- $name-d2.log"; tail -20 "$W/$name-d2.log" | sed 's/^/      /'; }
}

round sync yes 0
check "sync: all $N connections went on through the new master" bash -c "grep -q '^sync $N $N 0$' '$W/rounds'"
round none no 0
check "none: the held connections broke (no entry on the new master)" bash -c "awk '\$1 == \"none\" && \$4 > 0 { ok = 1 } END { exit !ok }' '$W/rounds'"
round sloppy no 1
echo "       SUMMARY $(tr '\n' ';' < "$W/rounds")"
[ -n "$VIGIL_SHARE" ] && cp "$W/rounds" "$VIGIL_SHARE/sync-daemon-rounds.txt" 2>/dev/null
exit $FAILED

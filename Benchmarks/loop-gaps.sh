#!/usr/bin/env bash
# Whether anything the daemon does beside VRRP stalls its adverts: a master at advert_int
# 0.01 (VI_1) while, in the same second, strict mode's nftables table is deleted and
# created again (VI_2, the only instance that drops, goes to FAULT and back through a
# track_file), notify scripts that
# ignore SIGTERM start, a vrrp_script that ignores SIGTERM times out, and the
# configuration is reloaded (SIGHUP, a third instance changed). VI_1's adverts are
# captured on the wire; prints the longest gap between two of them during the events and
# in a quiet second before, over ROUNDS rounds. Goal: under 15 ms.
#   Benchmarks/loop-gaps.sh [ROUNDS]          (root; VIGIL=.build/release/vigil by default)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VIGIL=${VIGIL:-$ROOT/.build/release/vigil}
source "$ROOT/Tests/Integration/lib.sh"
ROUNDS=${1:-5}
command -v nft >/dev/null || { echo "nft is needed (Debian package nftables)"; exit 1; }
lab_switch
lab_box lb1 192.0.2.11/24

# A notify script and a vrrp_script that ignore SIGTERM and linger.
cat > "$LABDIR/stubborn.sh" <<'EOF'
#!/bin/sh
trap '' TERM
sleep "$1"
EOF
chmod 755 "$LABDIR/stubborn.sh"
echo 0 > "$LABDIR/fault"
config() {  # config PRIORITY_OF_VI_3
    cat <<EOF
global_defs {
    router_id lb1
    vrrp_version 3
    vrrp_strict
    enable_script_security
    vrrp_garp_master_delay 0
}
vrrp_script stubborn {
    script "$LABDIR/stubborn.sh 5"
    interval 1
    timeout 0.2
    weight -1
}
track_file fault {
    file "$LABDIR/fault"
    weight 0
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 0.01
    accept
    track_script {
        stubborn
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 150
    advert_int 0.1
    notify_master "$LABDIR/stubborn.sh 3"
    notify_fault "$LABDIR/stubborn.sh 3"
    track_file {
        fault
    }
    virtual_ipaddress {
        192.0.2.101/24
    }
}
vrrp_instance VI_3 {
    state BACKUP
    interface eth0
    virtual_router_id 53
    priority $1
    advert_int 1
    accept
    virtual_ipaddress {
        192.0.2.102/24
    }
}
EOF
}
config 100 > "$LABDIR/lb1.conf"
spawn "$LABDIR/wire.txt" ip netns exec "${LAB}sw" tcpdump -l -nn -tt -e -i br0 'ip proto 112'
HELPERS+=($!)
vigil_start lb1 "$LABDIR/lb1.conf"
wait_until 5000 has_vip lb1 192.0.2.101 || { echo "lb1 did not become master of VI_2"; exit 1; }
wait_until 5000 sh -c "ip netns exec ${LAB}lb1 nft list table inet vigil >/dev/null 2>&1" || { echo "no strict table"; exit 1; }
mac=$(mac_of lb1)
gap_ms() {  # longest VI_1 gap between two instants (seconds, fractional), in ms; empty if no advert
    awk -v a="$1" -v b="$2" -v mac="$mac" '$2 == mac && /vrid 51/ && $1 >= a && $1 <= b { n++; if (last) { g = $1 - last; if (g > max) max = g }; last = $1 } END { if (n > 1) printf "%.1f", max * 1000 }' "$LABDIR/wire.txt"
}
now_s() { awk -v n="$(date +%s%N)" 'BEGIN { printf "%.6f", n / 1e9 }'; }
printf '| round | quiet second: longest gap | events second: longest gap | VI_1 adverts in events second |\n| --- | --- | --- | --- |\n'
worst=0
for round in $(seq "$ROUNDS"); do
    q0=$(now_s); sleep 1; q1=$(now_s)
    t0=$(now_s)
    echo 1 > "$LABDIR/fault"                             # VI_2 to FAULT: table deleted
    sleep 0.2
    config $((100 + round)) > "$LABDIR/lb1.conf"; kill -HUP "${PID[lb1]}"   # reload: VI_3 changed
    sleep 0.2
    echo 0 > "$LABDIR/fault"                             # VI_2 back to master: table created
    sleep 0.6
    t1=$(now_s)
    sleep 0.1
    quiet=$(gap_ms "$q0" "$q1"); busy=$(gap_ms "$t0" "$t1")
    n=$(awk -v a="$t0" -v b="$t1" -v mac="$mac" '$2 == mac && /vrid 51/ && $1 >= a && $1 <= b' "$LABDIR/wire.txt" | wc -l)
    printf '| %d | %s ms | %s ms | %d |\n' "$round" "${quiet:-none}" "${busy:-none}" "$n"
    [ -n "$busy" ] || { echo "no VI_1 advert captured during round $round"; exit 1; }
    worst=$(awk -v a="$worst" -v b="$busy" 'BEGIN { print (b > a) ? b : a }')
done
echo "worst gap during the events: $worst ms (goal < 15 ms; advert_int 10 ms)"
grep -c "firewall: " "$LABDIR/lb1.log" | sed 's/^/nft runs logged: /'
grep -c "reload" "$LABDIR/lb1.log" | sed 's/^/reload lines logged: /'
daemon_stop lb1

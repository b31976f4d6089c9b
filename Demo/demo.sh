#!/usr/bin/env bash
# `make demo`: a failover drill you can watch. Two directors run `vigil run` on the
# configuration embedded below; a client pings the VIP every 5 ms while the master is
# stopped, comes back, is handed over by the operator (`vigil status`, `vigil resign`,
# `vigil priority … reset`), and crashes. Everything lives in network namespaces that this
# script creates and deletes (also on Ctrl-C); addresses are from 192.0.2.0/24.
#
#   Demo/demo.sh [VIGIL_BINARY]      (root)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VIGIL=${1:-$ROOT/.build/debug/vigil}
source "$ROOT/Tests/Integration/lib.sh"
set +e
VIP=192.0.2.100

if [ -t 1 ]; then B=$'\e[1m'; G=$'\e[32m'; Y=$'\e[33m'; R=$'\e[0m'; else B=; G=; Y=; R=; fi
T0=$(now_ms)
say()  { printf '%s[%5.1f s]%s %s\n' "$B" "$(awk -v t="$(( $(now_ms) - T0 ))" 'BEGIN { print t / 1000 }')" "$R" "$*"; }
note() { printf '           %s\n' "$*"; }
die()  { say "${Y}demo failed: $*${R}"; exit 1; }

# The embedded default: the pair of the seeds' typical keepalived.conf, unchanged syntax.
config() {  # NAME PRIORITY
    cat > "$LABDIR/$1.conf" <<EOF
global_defs {
    router_id $1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass demo1234
    }
    virtual_ipaddress {
        $VIP/24
    }
}
EOF
    echo "$LABDIR/$1.conf"
}
state_of() { has_vip "$1" $VIP && echo "MASTER (holds $VIP)" || echo "not holding the VIP"; }

echo "${B}Vigil failover demo${R} — VRRPv2, advert_int 1 s, PASS authentication"
echo "  lb1 192.0.2.11 priority 100 · lb2 192.0.2.12 priority 90 · client 192.0.2.50 · VIP $VIP"
echo "  protocol limits: Skew_Time (90) = 648 ms after a priority-0 advert; Master_Down_Interval = 3648 ms"
echo
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box client 192.0.2.50/24
c1=$(config lb1 100)
c2=$(config lb2 90)
watch_addresses lb1
watch_addresses lb2
say "lab ready: namespaces ${LAB}lb1, ${LAB}lb2, ${LAB}client on bridge br0 (in ${LAB}sw)"
vigil_start lb1 "$c1"
vigil_start lb2 "$c2"
say "started vigil on lb1 (pid ${PID[lb1]}) and lb2 (pid ${PID[lb2]}); both start as BACKUP"
wait_until 8000 has_vip lb1 $VIP || die "no master elected within 8 s"
say "${G}lb1 is MASTER${R} after Master_Down_Interval with no adverts heard; lb2 stays BACKUP"
note "lb1: $(state_of lb1)   lb2: $(state_of lb2)"
ping_start client $VIP
wait_until 2000 grep -q "bytes from" "$LABDIR/client.ping" || die "the client gets no answer from $VIP"
say "client pings $VIP every 5 ms: answered by lb1"
sleep 1
echo
say "${B}1. graceful stop${R}: SIGTERM to lb1 — it sends priority 0, keeps answering until it hears lb2, then removes the VIP and exits"
t=$(now_ns)
daemon_stop lb1
wait_until 3000 has_vip lb2 $VIP || die "lb2 did not take over"
sleep 0.5
ping_stop
say "${G}lb2 is MASTER${R}: VIP added $(vip_added_ms lb2 $VIP "$t") ms after the SIGTERM (Skew_Time 648 ms)"
note "client outage: $(ping_outage_ms client) ms longest silence; $(ping_counts client) pings answered"
echo
ping_start client $VIP
vigil_start lb1 "$c1"
say "${B}2. lb1 comes back${R} (priority 100, preempt): it ignores lb2's lower-priority adverts"
t=$(now_ns)
wait_until 8000 has_vip lb1 $VIP || die "lb1 did not preempt"
wait_until 2000 lacks_vip lb2 $VIP || die "lb2 kept the VIP"
sleep 0.5
ping_stop
say "${G}lb1 is MASTER again${R} after $(vip_added_ms lb1 $VIP "$t") ms (its Master_Down_Interval); lb2 back to BACKUP"
note "client outage during the preemption: $(ping_outage_ms client) ms"
echo
ctl() { local box=$1; shift; ip netns exec "${LAB}$box" "$VIGIL" "$@" --socket "$LABDIR/$box.sock"; }
say "${B}3. the operator${R}: vigil status on lb1 (its control socket)"
ctl lb1 status | sed 's/^/           /'
ping_start client $VIP
sleep 0.5
say "vigil resign VI_1 on lb1 — a maintenance handover without stopping anything"
t=$(now_ns)
note "$(ctl lb1 resign VI_1)"
wait_until 3000 has_vip lb2 $VIP || die "lb2 did not take over after the resign"
sleep 0.5
ping_stop
say "${G}lb2 is MASTER${R}: VIP added $(vip_added_ms lb2 $VIP "$t") ms after the resign (Skew_Time 648 ms)"
note "client outage: $(ping_outage_ms client) ms; lb1 stays BACKUP at priority 1"
ping_start client $VIP
t=$(now_ns)
note "$(ctl lb1 priority VI_1 reset)"
wait_until 8000 has_vip lb1 $VIP || die "lb1 did not preempt after the reset"
wait_until 2000 lacks_vip lb2 $VIP || die "lb2 kept the VIP"
sleep 0.5
ping_stop
say "vigil priority VI_1 reset: ${G}lb1 is MASTER again${R} after $(vip_added_ms lb1 $VIP "$t") ms (it preempts at Master_Down_Interval)"
note "client outage: $(ping_outage_ms client) ms"
echo
ping_start client $VIP
sleep 1
say "${B}4. crash${R}: SIGKILL to lb1 and its link cut — no goodbye advert"
t=$(now_ns)
daemon_kill lb1
cut_link lb1
wait_until 6000 has_vip lb2 $VIP || die "lb2 did not take over after the crash"
sleep 0.5
ping_stop
say "${G}lb2 is MASTER${R}: VIP added $(vip_added_ms lb2 $VIP "$t") ms after the crash"
note "(Master_Down_Interval = 3648 ms after the last advert lb2 heard, which came up to 1 s before the crash)"
note "client outage: $(ping_outage_ms client) ms; $(ping_counts client) pings answered"
echo
daemon_stop lb2
say "lb2 stopped (exit $STATUS); VIP left on lb2: $(has_vip lb2 $VIP && echo yes || echo none)"
say "cleaning up the namespaces — done. The same drills, asserted, run in 'make test'."

#!/usr/bin/env bash
# Prometheus metrics on metrics_listen, scraped over the lab's network: VRRP state,
# priority, transitions, adverts, rejected packets by reason (from vrrp-inject), reloads,
# and checker results and real server health (TCP_CHECK against a live and a dead real
# server, and the live one through bind_if lo; this host has no IPVS, so checks run and only the metrics and logs see them).
# IPVS traffic counters are proved in the guest (Tests/IPVS/guest-reload-drain.sh).
source "$(dirname "$0")/lib.sh"
INJECT=${INJECT:-$(dirname "$VIGIL")/vrrp-inject}
echo "metrics_listen: Prometheus metrics"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box bad 192.0.2.66/24
lab_box web 192.0.2.20/24
spawn "$LABDIR/web.log" ip netns exec "${LAB}web" python3 -m http.server 80 --bind 192.0.2.20 --directory "$LABDIR"
HELPERS+=($!)
# The notify script reports what it inherited: descriptors (the metrics listener and the
# checkers' connections are open by then) and signal state.
cat > "$LABDIR/inherited.sh" <<EOF
#!/bin/sh
ls -l /proc/self/fd > $LABDIR/notify-fds.txt
grep -E '^Sig(Ign|Blk):' /proc/self/status > $LABDIR/notify-signals.txt
EOF
chmod 755 "$LABDIR/inherited.sh"
conf=$(vrrp_conf lb1 100 version=2 advert=1 global="    metrics_listen 192.0.2.11:9100" extra="    notify_master $LABDIR/inherited.sh")
cat >> "$conf" <<EOF
virtual_server 192.0.2.100 80 {
    delay_loop 1
    protocol TCP
    real_server 192.0.2.20 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 192.0.2.21 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF
# A MISC_CHECK whose user does not exist: it must not run (as root), its server is down.
cat >> "$conf" <<EOF
virtual_server 192.0.2.100 82 {
    delay_loop 1
    protocol TCP
    real_server 192.0.2.20 80 {
        MISC_CHECK {
            misc_path /bin/true
            user no-such-user-vigil
        }
    }
}
EOF
# The same live server checked through lo (bind_if): it cannot be reached that way.
cat >> "$conf" <<EOF
virtual_server 192.0.2.100 81 {
    delay_loop 1
    protocol TCP
    real_server 192.0.2.20 80 {
        TCP_CHECK {
            connect_timeout 1
            bind_if lo
        }
    }
}
EOF
vigil_start lb1 "$conf"
check "lb1 becomes master" wait_until 6000 has_vip lb1 192.0.2.100
scrape() {  # PATH: the body (or the HTTP status on an error)
    in_box bad python3 -c "
import urllib.request, urllib.error, sys
try:
    print(urllib.request.urlopen('http://192.0.2.11:9100$1', timeout=3).read().decode(), end='')
except urllib.error.HTTPError as e:
    print('HTTP', e.code)" 2>&1
}
metric() {  # NAME{LABELS} → its value
    scrape /metrics | awk -v m="$1" 'index($0, m " ") == 1 { print $2 }'
}
at_least() { local v; v=$(metric "$1"); [ -n "$v" ] && awk -v v="$v" -v n="$2" 'BEGIN { exit !(v >= n) }'; }
equals() { local v; v=$(metric "$1"); [ -n "$v" ] && awk -v v="$v" -v n="$2" 'BEGIN { exit !(v == n) }'; }
both_dead() {
    equals 'vigil_real_server_healthy{virtual_server="192.0.2.100:80",real_server="192.0.2.21:80"}' 0 &&
        equals 'vigil_real_server_weight{virtual_server="192.0.2.100:80",real_server="192.0.2.21:80"}' -1
}
types() { scrape /metrics | grep -q '^# TYPE vigil_vrrp_adverts_sent_total counter' && scrape /metrics | grep -q '^# TYPE vigil_vrrp_state gauge'; }
gone() { ! scrape /metrics | grep -q vigil_; }

check "vigil_vrrp_state is 2 (MASTER)" wait_until 3000 equals 'vigil_vrrp_state{instance="VI_1"}' 2
check "vigil_build_info names the running version ($("$VIGIL" --version))" equals "vigil_build_info{version=\"$("$VIGIL" --version)\"}" 1
check "vigil_vrrp_master is 1" equals 'vigil_vrrp_master{instance="VI_1"}' 1
check "vigil_vrrp_priority is 100" equals 'vigil_vrrp_priority{instance="VI_1"}' 100
check "one transition to MASTER counted" equals 'vigil_vrrp_transitions_total{instance="VI_1",to="MASTER"}' 1
check "adverts sent are counted" wait_until 3000 at_least 'vigil_vrrp_adverts_sent_total{instance="VI_1"}' 2
in_box bad "$INJECT" eth0 auth_password version=2 vrid=51 vip=192.0.2.100 interval=1 source=192.0.2.66 dest=192.0.2.11 count=7 > /dev/null
check "7 adverts with a wrong password: rejected_packets_total{reason=auth_password} 7" wait_until 2000 equals 'vigil_vrrp_rejected_packets_total{place="VI_1",reason="auth_password"}' 7
in_box bad "$INJECT" eth0 unknown_vrid version=2 vrid=51 vip=192.0.2.100 interval=1 source=192.0.2.66 dest=192.0.2.11 count=3 > /dev/null
check "3 adverts for an unknown VRID, counted on the interface" wait_until 2000 equals 'vigil_vrrp_rejected_packets_total{place="eth0",reason="unknown_vrid"}' 3
check "the notify script ran and listed its descriptors" wait_until 3000 grep -q " 0 -> " "$LABDIR/notify-fds.txt"
check "it inherited no socket of the daemon's ($(grep -c socket: "$LABDIR/notify-fds.txt" 2>/dev/null) found)" sh -c "! grep -q socket: '$LABDIR/notify-fds.txt'"
check "nor any descriptor above 3 (ls's own directory)" sh -c "! grep -qE ' ([4-9]|[1-9][0-9]+) -> ' '$LABDIR/notify-fds.txt'"
check "it started with no signal ignored or blocked" sh -c "[ \$(grep -cE '[[:space:]]0{16}$' '$LABDIR/notify-signals.txt') = 2 ]"
check "a MISC_CHECK whose user does not exist: its server is down (0)" wait_until 5000 equals 'vigil_real_server_healthy{virtual_server="192.0.2.100:82",real_server="192.0.2.20:80"}' 0
check "  said so in the log" log_has lb1 "MISC_CHECK '/bin/true': script user 'no-such-user-vigil' does not exist on this host; it does not run and its real server is down"
check "the live real server is healthy (1)" wait_until 5000 equals 'vigil_real_server_healthy{virtual_server="192.0.2.100:80",real_server="192.0.2.20:80"}' 1
check "the dead real server is not (0), and out of the table (-1)" wait_until 5000 both_dead
check "checker results are counted (down for the dead one)" wait_until 3000 at_least 'vigil_checker_results_total{virtual_server="192.0.2.100:80",real_server="192.0.2.21:80",result="down"}' 1
check "checker results are counted (up for the live one)" wait_until 3000 at_least 'vigil_checker_results_total{virtual_server="192.0.2.100:80",real_server="192.0.2.20:80",result="up"}' 2
check "bind_if lo: the same live server is down through lo (the option is applied)" wait_until 5000 \
    equals 'vigil_real_server_healthy{virtual_server="192.0.2.100:81",real_server="192.0.2.20:80"}' 0
grep -o "(192.0.2.100:81 real server 192.0.2.20 80) down: .*" "$LABDIR/lb1.log" | head -1 | sed 's/^/       /'
kill -HUP "${PID[lb1]}"
check "a reload is counted" wait_until 3000 equals 'vigil_reloads_total{result="ok"}' 1
check "TYPE lines for counters and gauges" types
check "another path: 404" test "$(scrape /other)" = "HTTP 404"
scrape /metrics > "$LABDIR/metrics.txt"
echo "       $(grep -vc '^#' "$LABDIR/metrics.txt") series exposed"
# 2,000 connections that send nothing (a monitoring system gone wild): at most 16 are
# kept, none lives past 10 s, the daemon's descriptors stay bounded, VRRP is untouched.
fds() { ls /proc/"${PID[lb1]}"/fd | wc -l; }
before=$(fds)
cat > "$LABDIR/flood.py" <<'PY'
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
held = []
for _ in range(2000):
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect(("192.0.2.11", 9100)); held.append(s)
    except OSError:
        s.close()
time.sleep(2)
open_now = 0
for s in held:   # a server-side close reads as EOF (b"") or a reset
    s.setblocking(False)
    try:
        if s.recv(1) == b"": continue
    except BlockingIOError:
        open_now += 1
    except OSError:
        continue
print(len(held), open_now)
sys.stdout.flush()
time.sleep(11)   # past the 10 s lifetime
alive = 0
for s in held:
    s.setblocking(False)
    try:
        if s.recv(1) != b"": alive += 1
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
print(alive)
PY
in_box bad python3 "$LABDIR/flood.py" > "$LABDIR/flood.txt" 2>&1 & flood=$!; HELPERS+=($flood)
sleep 2
peak=$(fds)
in_box lb1 ss -tnH state established '( sport = :9100 )' | wc -l > "$LABDIR/established"
wait $flood
read -r connected open_now <<< "$(sed -n 1p "$LABDIR/flood.txt")"
alive=$(sed -n 2p "$LABDIR/flood.txt")
echo "       2,000 idle connections: $connected accepted by the kernel, ${open_now:-?} kept open by Vigil, ${alive:-?} left after 11 s; daemon descriptors $before before, $peak during; established at the server: $(cat "$LABDIR/established")"
established=$(cat "$LABDIR/established")
check "the server holds at most 16 of them (and some: the flood reached it)" sh -c "[ $established -ge 1 ] && [ $established -le 16 ]"
check "none outlives 10 s" test "${alive:-999}" = 0
check "the daemon's descriptors stay bounded (during: $peak <= $before + 20)" test "$peak" -le $((before + 20))
check "VRRP untouched: lb1 still master, one transition" sh -c "[ \$(grep -c -- '-> MASTER' '$LABDIR/lb1.log') = 1 ]"
check "a scrape after the flood answers" wait_until 3000 sh -c "$(declare -f scrape in_box); LAB=$LAB; scrape /metrics | grep -q vigil_vrrp_state"

daemon_stop lb1
check "SIGTERM: the endpoint closes with the daemon" gone
finish

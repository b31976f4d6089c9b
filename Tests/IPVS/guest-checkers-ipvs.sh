#!/bin/bash
# Runs inside the qemu guest (real IPVS): the checkers' verdicts in the kernel's table.
#   guest-checkers-ipvs.sh REPO
# Tests/Integration/checkers.sh proves UDP_CHECK, DNS_CHECK, SMTP_CHECK, PING_CHECK and
# FILE_CHECK against real servers on a host without IPVS, where only `vigil status` shows
# the verdicts. Here the same servers run in two real-server namespaces (r1, r2) behind a
# director running `vigil run`, one virtual server per checker kind with both real servers:
#   UDP_CHECK (an echo server) and DNS_CHECK (dnsmasq) on UDP services, SMTP_CHECK
#   (aiosmtpd), PING_CHECK, FILE_CHECK (inhibit_on_failure on r1, a weighted track_file on
#   r2), and two HTTP_GETs, one with `url { regex }` and one with `regex_no_match`.
# Proves, against `ipvsadm -Sn` in the director's namespace (the kernel's table, not
# Vigil's status): the 12 network-checked real servers (`alpha`) enter once their checks
# pass, the FILE_CHECK ones at start, each with its weight (r1 2, r2 1); then, one kind
# at a time, r1 is taken down the way checkers.sh does (the echo server, dnsmasq,
# aiosmtpd stopped; echo requests ignored by sysctl; a non-zero number in the track file;
# the page changed so the regex no longer matches, or so the forbidden one does) and
# leaves that service — with inhibit_on_failure it stays at weight 0 — while every other
# entry of the table stays as it was; brought back, it returns with its own weight. The weighted track file moves r2's weight in the kernel (3 + 5 × 2 = 13; at
# -5, 3 - 10 is held at 0 and r2 stays).
# SIGTERM removes every service. The whole table is compared at every step.
REPO=${1:-/work/main}
VIGIL=$REPO/.build/debug/vigil
W=$(mktemp -d /tmp/checkers-ipvs.XXXXXX)
P=ck$$
source "$(dirname "$0")/guest-lib.sh"

# The guest runs the host's binaries: the servers checkers.sh uses must be installed for
# the python3 on the guest's PATH (Debian's; make ipvs-deps installs them).
missing=
command -v dnsmasq >/dev/null || missing="$missing dnsmasq (dnsmasq-base)"
command -v ipvsadm >/dev/null || missing="$missing ipvsadm"
python3 -c "import aiosmtpd" 2>/dev/null || missing="$missing aiosmtpd for $(command -v python3) (python3-aiosmtpd)"
[ -x "$VIGIL" ] || missing="$missing $VIGIL (build it on the host first)"
if [ -n "$missing" ]; then fail "the guest has the tools:$missing"; exit 1; fi
ok "the guest has dnsmasq, aiosmtpd ($(command -v python3)), ipvsadm and vigil"

# The director d and the real servers r1, r2 on 198.51.100.0/24. The checks leave d by
# eth1; no client: the subject is the table, not the traffic.
switch back
port d eth1 back 198.51.100.1/24
port r1 eth0 back 198.51.100.11/24
port r2 eth0 back 198.51.100.12/24

cat > "$W/udp.py" <<'PY'
import socket, sys
# udp.py ADDRESS PORT: echoes every datagram back.
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
PY
declare -A PID_OF     # "r1 udp" -> PID
addr() { echo "198.51.100.1${1#r}"; }
weight_of() { if [ "$1" = r1 ]; then echo 2; else echo 1; fi; }   # the configured weight
start() {  # start rN udp|dns|smtp|http (the command itself is the job: its PID is the server's)
    local a cmd; a=$(addr "$1")
    case $2 in
        udp)  cmd=(python3 "$W/udp.py" "$a" 5001) ;;
        dns)  cmd=(dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces
                   --listen-address="$a" --port=53 --address=/example.test/203.0.113.7 -u root --log-facility=-) ;;
        smtp) cmd=(python3 -m aiosmtpd -n -l "$a:25") ;;
        http) cmd=(python3 -m http.server 80 --bind "$a" --directory "$W/www-$1") ;;
    esac
    ip netns exec $P$1 "${cmd[@]}" > "$W/$1-$2.log" 2>&1 &
    PID_OF[$1 $2]=$!; PIDS+=($!)
}
stop() { kill -TERM "${PID_OF[$1 $2]}"; wait "${PID_OF[$1 $2]}" 2>/dev/null; }
page() {  # page rN FILE TEXT: replaced whole (rename), so no check reads half of it
    printf '%s\n' "$3" > "$W/www-$1/.$2"; mv "$W/www-$1/.$2" "$W/www-$1/$2"
}
for r in r1 r2; do
    mkdir -p "$W/www-$r"
    page $r index.html "Status: OK"
    page $r errors.html "no errors"
    for s in udp dns smtp http; do start $r $s; done
done
echo 0 > "$W/maint"
echo 0 > "$W/boost"

# Every network checker at delay_loop 1, connect_timeout 1, retry 0; `alpha`: a real
# server enters the kernel only after its first passed check. r1 has weight 2, r2 weight 1:
# a real server that comes back must come back with its own weight, not a default.
vs() {  # vs PORT PROTOCOL RS-PORT CHECKER BODY
    local r
    echo "virtual_server 192.0.2.100 $1 {"
    printf '    delay_loop 1\n    lb_algo wrr\n    lb_kind NAT\n    protocol %s\n' "$2"
    for r in r1 r2; do
        cat <<EOF
    real_server $(addr $r) $3 {
        weight $(weight_of $r)
        alpha
        $4 {
            connect_timeout 1
            retry 0
$5
        }
    }
EOF
    done
    echo "}"
}
{
    vs 5001 UDP 5001 UDP_CHECK "            require_reply"
    vs 53 UDP 53 DNS_CHECK "            type A
            name example.test"
    vs 25 TCP 25 SMTP_CHECK "            helo_name d.example.test"
    vs 8001 TCP 8001 PING_CHECK ""
    vs 80 TCP 80 HTTP_GET "            url {
                path /index.html
                regex \"Status: (OK|DEGRADED)\"
            }"
    vs 81 TCP 80 HTTP_GET "            url {
                path /errors.html
                regex \"panic|fatal\"
                regex_no_match
            }"
    cat <<EOF
track_file maint {
    file $W/maint
}
track_file boost {
    file $W/boost
    weight 2
}
virtual_server 192.0.2.100 9001 {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server $(addr r1) 9001 {
        weight 3
        inhibit_on_failure
        FILE_CHECK {
            track_file maint
            weight 0
        }
    }
    real_server $(addr r2) 9001 {
        weight 3
        FILE_CHECK {
            track_file boost
        }
    }
}
EOF
} > "$W/vigil.conf"

# The expected table: "PROTO SERVICE REAL" -> weight; a real server out has no key.
declare -A EXPECT
for r in r1 r2; do
    a=$(addr $r) w=$(weight_of $r)
    EXPECT[u 192.0.2.100:5001 $a:5001]=$w
    EXPECT[u 192.0.2.100:53 $a:53]=$w
    EXPECT[t 192.0.2.100:25 $a:25]=$w
    EXPECT[t 192.0.2.100:8001 $a:8001]=$w
    EXPECT[t 192.0.2.100:80 $a:80]=$w
    EXPECT[t 192.0.2.100:81 $a:80]=$w
    EXPECT[t 192.0.2.100:9001 $a:9001]=3
done
expect() {  # expect PROTO SERVICE REAL WEIGHT|out
    if [ "$4" = out ]; then unset "EXPECT[$1 $2 $3]"; else EXPECT[$1 $2 $3]=$4; fi
}
expected() {
    local k; for k in "${!EXPECT[@]}"; do set -- $k; echo "-a -$1 $2 -r $3 -m -w ${EXPECT[$k]}"; done | sort
}
table() { ip netns exec ${P}d ipvsadm -Sn; }
actual() { table | grep -- '^-a' | sort; }
table_is() { [ "$(actual)" = "$(expected)" ]; }
T0=0
mark() { T0=$(now_ms); }
settles() {  # settles DESCRIPTION MS: the kernel's whole table becomes the expected one
    if wait_until "$2" table_is; then ok "$1 ($(( $(now_ms) - T0 )) ms)"; else
        # Files, not <(...): the guest's devtmpfs has no /dev/fd.
        fail "$1"; expected > "$W/expected"; actual > "$W/actual"
        diff "$W/expected" "$W/actual" | sed 's/^/         /'; fi
}

ip netns exec ${P}d "$VIGIL" run -f "$W/vigil.conf" > "$W/vigil.log" 2>&1 &
VPID=$!; PIDS+=($VPID)
mark
check "vigil programs the 7 services" wait_until 20000 bash -c "[ \$(ip netns exec ${P}d ipvsadm -Sn | grep -c -- '^-A') = 7 ]"
settles "the 12 real servers with alpha enter the kernel once their checks pass, the 2 FILE_CHECK ones at start, each with its weight" 30000
table | grep -- '^-a' | sort | sed 's/^/         /'

R1=$(addr r1) R2=$(addr r2)
mark; stop r1 udp; expect u 192.0.2.100:5001 $R1:5001 out
settles "UDP_CHECK: r1's echo server stopped: r1 leaves the UDP service, nothing else changes" 8000
mark; start r1 udp; expect u 192.0.2.100:5001 $R1:5001 2
settles "  the echo server back: r1 returns with its weight 2" 15000

mark; stop r1 dns; expect u 192.0.2.100:53 $R1:53 out
settles "DNS_CHECK: r1's dnsmasq stopped: r1 leaves the port-53 UDP service" 8000
mark; start r1 dns; expect u 192.0.2.100:53 $R1:53 2
settles "  dnsmasq back: r1 returns with its weight 2" 15000

mark; stop r1 smtp; expect t 192.0.2.100:25 $R1:25 out
settles "SMTP_CHECK: r1's aiosmtpd stopped: r1 leaves the SMTP service" 8000
mark; start r1 smtp; expect t 192.0.2.100:25 $R1:25 2
settles "  aiosmtpd back: r1 returns with its weight 2" 15000

mark; ip netns exec ${P}r1 sysctl -qw net.ipv4.icmp_echo_ignore_all=1; expect t 192.0.2.100:8001 $R1:8001 out
settles "PING_CHECK: r1 ignores echo requests: r1 leaves the PING_CHECK service" 8000
mark; ip netns exec ${P}r1 sysctl -qw net.ipv4.icmp_echo_ignore_all=0; expect t 192.0.2.100:8001 $R1:8001 2
settles "  answers again: r1 returns with its weight 2" 8000

mark; echo 1 > "$W/maint"; expect t 192.0.2.100:9001 $R1:9001 0
settles "FILE_CHECK weight 0, inhibit_on_failure: the track file reads 1: r1 stays at weight 0" 8000
mark; echo 0 > "$W/maint"; expect t 192.0.2.100:9001 $R1:9001 3
settles "  reads 0: r1 back at weight 3" 8000
mark; echo 5 > "$W/boost"; expect t 192.0.2.100:9001 $R2:9001 13
settles "FILE_CHECK with the track_file's weight 2: reads 5: r2's weight in the kernel is 3 + 5 × 2 = 13" 8000
mark; echo -5 > "$W/boost"; expect t 192.0.2.100:9001 $R2:9001 0
settles "  reads -5: 3 - 10 is held at weight 0, r2 stays in the table (keepalived's floor)" 8000
mark; echo 0 > "$W/boost"; expect t 192.0.2.100:9001 $R2:9001 3
settles "  reads 0: weight 3 again" 8000

mark; page r1 index.html "Status: FAIL"; expect t 192.0.2.100:80 $R1:80 out
settles "HTTP_GET regex 'Status: (OK|DEGRADED)': r1's page says FAIL: r1 leaves port 80, stays on 81" 8000
mark; page r1 index.html "Status: DEGRADED"; expect t 192.0.2.100:80 $R1:80 2
settles "  the page says DEGRADED: r1 returns with its weight 2" 8000

mark; page r1 errors.html "fatal: disk full"; expect t 192.0.2.100:81 $R1:80 out
settles "HTTP_GET regex_no_match 'panic|fatal': r1's page says fatal: r1 leaves port 81, stays on 80" 8000
mark; page r1 errors.html "no errors"; expect t 192.0.2.100:81 $R1:80 2
settles "  the page clean again: r1 returns with its weight 2" 8000

grep -E "\) (down|up)" "$W/vigil.log" | sed 's/^/         /' | head -40
kill -TERM $VPID; wait $VPID; STATUS=$?
check "SIGTERM: vigil exits 0" [ "$STATUS" = 0 ]
check "  its services are removed" [ -z "$(table)" ]
[ "$FAILED" = 0 ] || { echo "--- vigil log"; cat "$W/vigil.log"; }
exit $FAILED

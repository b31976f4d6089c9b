#!/usr/bin/env bash
# UDP_CHECK, DNS_CHECK, SMTP_CHECK and PING_CHECK against real servers in their own
# namespace, and FILE_CHECK on track files (this host has no IPVS: the checks run and
# `vigil status` shows each real server's health and weight):
#   - an echo server: up, with and without require_reply, and with a reply pattern;
#   - the echo server stopped: the kernel's ICMP port unreachable makes it down at once;
#   - a server that never answers: up without require_reply (keepalived's rule), down with it;
#   - a reply that does not match the pattern: down;
#   - dnsmasq: a name it knows is up (NOERROR), one it refuses down (rcode 5), a port
#     with no DNS server down (port unreachable); dnsmasq stopped: down;
#   - aiosmtpd (Python's SMTP server): SMTP_CHECK up, with a deprecated host block too;
#     a port without it down (connection refused); aiosmtpd stopped: down;
#   - PING_CHECK: the real server's namespace answers echo requests: up; an address
#     nobody holds: down; the server set to ignore echo requests: down. The director's
#     net.ipv4.ping_group_range is widened to 0 while Vigil runs and put back at its stop;
#   - FILE_CHECK: weight 0, a non-zero number takes the real server down and 0 brings it
#     back; with a weight, the number moves the real server's weight;
#   - lvs_notify_fifo: keepalived's RS and VS lines as the echo server goes and comes back,
#     and no VRRP line;
#   - fwmark: the real server's second address is a blackhole in the director's routing
#     table, reachable only by policy routing of mark 7: TCP_CHECK, HTTP_GET and UDP_CHECK
#     with fwmark 7 are up, the same TCP_CHECK without it down.
# The IPVS side — these verdicts taking real servers out of the kernel's table and back,
# UDP services included — is proved in the qemu guest by Tests/IPVS/guest-checkers-ipvs.sh.
source "$(dirname "$0")/lib.sh"
echo "checkers: UDP_CHECK, DNS_CHECK, SMTP_CHECK, PING_CHECK, FILE_CHECK and fwmark"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box rs 192.0.2.20/24
# fwmark: 203.0.113.20 (on the real server) is a blackhole for the director, except for
# packets marked 7, which table 7 routes to the real server.
in_box rs ip addr add 203.0.113.20/32 dev lo
in_box lb1 ip route add blackhole 203.0.113.20/32
in_box lb1 ip route add 203.0.113.20/32 via 192.0.2.20 table 7
in_box lb1 ip rule add fwmark 7 lookup 7

cat > "$LABDIR/udp.py" <<'EOF'
import socket, sys
# udp.py PORT MODE [ADDRESS]: echo | silent | fixed (answers "nope"), on 192.0.2.20 by default
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[3] if len(sys.argv) > 3 else "192.0.2.20", port))
for _ in range(100000):
    data, peer = s.recvfrom(2048)
    if mode == "echo": s.sendto(data, peer)
    elif mode == "fixed": s.sendto(b"nope", peer)
EOF
udp_server() {  # udp_server PORT MODE: started in rs, its PID in UDP[PORT]
    spawn "$LABDIR/udp-$1.log" ip netns exec "${LAB}rs" python3 "$LABDIR/udp.py" "$1" "$2"
    UDP[$1]=$!
    HELPERS+=($!)
}
declare -A UDP
udp_server 5001 echo
udp_server 5002 echo
udp_server 5003 silent
udp_server 5004 silent
udp_server 5005 fixed
spawn "$LABDIR/dnsmasq.log" ip netns exec "${LAB}rs" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
    --bind-interfaces --listen-address=192.0.2.20 --port=53 --address=/example.test/198.51.100.7 -u root --log-facility=-
DNSMASQ=$!
HELPERS+=($!)
spawn "$LABDIR/smtp.log" ip netns exec "${LAB}rs" python3 -m aiosmtpd -n -l 192.0.2.20:25
SMTPD=$!
HELPERS+=($!)
mkdir -p "$LABDIR/www"; echo ok > "$LABDIR/www/index.html"
spawn "$LABDIR/http.log" ip netns exec "${LAB}rs" python3 -m http.server 8080 --bind 203.0.113.20 --directory "$LABDIR/www"
HELPERS+=($!)
spawn "$LABDIR/udp-marked.log" ip netns exec "${LAB}rs" python3 "$LABDIR/udp.py" 5101 echo 203.0.113.20
HELPERS+=($!)

# keepalived's LVS lines go to lvs_notify_fifo; its script appends what it reads to a file.
printf '#!/bin/sh\ncat "$1" >> %s/lvs-lines.txt\n' "$LABDIR" > "$LABDIR/fifo-reader.sh"
chmod 755 "$LABDIR/fifo-reader.sh"
conf=$(vrrp_conf lb1 100 global="    lvs_notify_fifo $LABDIR/lvs.fifo
    lvs_notify_fifo_script $LABDIR/fifo-reader.sh")
vs() {  # vs PORT CHECKER BODY [REAL-SERVER-PORT] [PROTOCOL]
    cat >> "$conf" <<EOF
virtual_server 192.0.2.100 $1 {
    delay_loop 1
    protocol ${5:-UDP}
    real_server 192.0.2.20 ${4:-$1} {
        $2 {
            connect_timeout 1
$3
        }
    }
}
EOF
}
vs 5001 UDP_CHECK "            require_reply"
vs 5002 UDP_CHECK "            payload 68656c6c6f
            require_reply 68 65 6c xx 6f"
vs 5003 UDP_CHECK ""
vs 5004 UDP_CHECK "            require_reply"
vs 5005 UDP_CHECK "            require_reply 68656c6c6f"
vs 6001 DNS_CHECK "            type A
            name example.test" 53
vs 6002 DNS_CHECK "            type A
            name unknown.invalid" 53
vs 6003 DNS_CHECK "" 5353
vs 7001 SMTP_CHECK "            helo_name lb1.example.test" 25 TCP
vs 7002 SMTP_CHECK "            helo_name lb1.example.test" 2525 TCP
# Only a host block: its address and port are the check's (keepalived's rule).
cat >> "$conf" <<EOF
virtual_server 192.0.2.100 7003 {
    delay_loop 1
    protocol TCP
    real_server 192.0.2.20 2525 {
        SMTP_CHECK {
            host {
                connect_port 25
                connect_timeout 1
            }
        }
    }
}
EOF
vs 8001 PING_CHECK "" 80 TCP
# An address nobody on the link holds.
cat >> "$conf" <<EOF
virtual_server 192.0.2.100 8002 {
    delay_loop 1
    protocol TCP
    real_server 192.0.2.29 80 {
        PING_CHECK {
            connect_timeout 1
        }
    }
}
EOF
for check in "9101 TCP_CHECK 7" "9102 TCP_CHECK -" "9103 HTTP_GET 7"; do
    set -- $check
    cat >> "$conf" <<EOF
virtual_server 192.0.2.100 $1 {
    delay_loop 1
    protocol TCP
    real_server 203.0.113.20 8080 {
        $2 {
            connect_timeout 1
$([ "$3" = - ] || echo "            fwmark $3")
$([ "$2" = HTTP_GET ] && printf '            url {\n                path /\n            }')
        }
    }
}
EOF
done
cat >> "$conf" <<EOF
virtual_server 192.0.2.100 9104 {
    delay_loop 1
    protocol UDP
    real_server 203.0.113.20 5101 {
        UDP_CHECK {
            connect_timeout 1
            require_reply
            fwmark 7
        }
    }
}
EOF
echo 0 > "$LABDIR/maint"
echo 0 > "$LABDIR/boost"
cat >> "$conf" <<EOF
track_file maint {
    file $LABDIR/maint
}
track_file boost {
    file $LABDIR/boost
    weight 2
}
virtual_server 192.0.2.100 9001 {
    protocol TCP
    real_server 192.0.2.20 80 {
        weight 3
        FILE_CHECK {
            track_file maint
            weight 0
        }
    }
}
virtual_server 192.0.2.100 9002 {
    protocol TCP
    real_server 192.0.2.20 80 {
        weight 3
        FILE_CHECK {
            track_file boost
        }
    }
}
EOF
range_before=$(in_box lb1 cat /proc/sys/net/ipv4/ping_group_range | tr -s ' \t' ' ')
vigil_start lb1 "$conf"

healthy() {  # healthy PORT true|false: what vigil status says of the real server
    in_box lb1 "$VIGIL" status --json --socket "$LABDIR/lb1.sock" 2>/dev/null | python3 -c "
import json, sys
r = json.load(sys.stdin)
vs = [v for v in r['virtualServers'] if v['name'].endswith(':$1')]
sys.exit(0 if vs and str(vs[0]['realServers'][0]['healthy']).lower() == '$2' else 1)"
}
weight_is() {  # weight_is PORT N: the real server's weight in the table, as vigil status says
    in_box lb1 "$VIGIL" status --json --socket "$LABDIR/lb1.sock" 2>/dev/null | python3 -c "
import json, sys
r = json.load(sys.stdin)
vs = [v for v in r['virtualServers'] if v['name'].endswith(':$1')]
sys.exit(0 if vs and vs[0]['realServers'][0].get('weight') == $2 else 1)"
}
check "an echo server, require_reply: up" wait_until 5000 healthy 5001 true
check "an echo server, payload 'hello' and the reply pattern 'hel?o' (a wildcard byte): up" wait_until 5000 healthy 5002 true
check "a silent server, no require_reply: up (keepalived's rule)" settled_for 5000 2500 healthy 5003 true
check "a silent server, require_reply: down" settled_for 5000 2500 healthy 5004 false
check "  its reason: no UDP reply within 1 s" log_has lb1 "no UDP reply within 1 s"
check "a wrong reply ('nope' for 'hello'): down" wait_until 5000 healthy 5005 false
check "  its reason: UDP reply data mismatch" log_has lb1 "UDP reply data mismatch at byte 0"
kill "${UDP[5001]}"
check "the echo server stopped: down (ICMP port unreachable)" wait_until 4000 healthy 5001 false
check "  its reason: port unreachable" log_has lb1 "port unreachable"
check "  lvs_notify_fifo: 'RS [192.0.2.20]:udp:5001 [192.0.2.100]:udp:5001 DOWN' and 'VS [192.0.2.100]:udp:5001 DOWN'" \
    wait_until 2000 sh -c "grep -qx 'RS \\[192.0.2.20\\]:udp:5001 \\[192.0.2.100\\]:udp:5001 DOWN' '$LABDIR/lvs-lines.txt' && grep -qx 'VS \\[192.0.2.100\\]:udp:5001 DOWN' '$LABDIR/lvs-lines.txt'"
udp_server 5001 echo
check "the echo server back: up again" wait_until 5000 healthy 5001 true
check "  lvs_notify_fifo: its RS and VS lines say UP" \
    wait_until 2000 sh -c "grep -qx 'RS \\[192.0.2.20\\]:udp:5001 \\[192.0.2.100\\]:udp:5001 UP' '$LABDIR/lvs-lines.txt' && grep -qx 'VS \\[192.0.2.100\\]:udp:5001 UP' '$LABDIR/lvs-lines.txt'"
check "  and no VRRP line went to it" sh -c "! grep -q '^INSTANCE' '$LABDIR/lvs-lines.txt'"
check "DNS_CHECK type A example.test against dnsmasq: up" wait_until 5000 healthy 6001 true
check "DNS_CHECK type A unknown.invalid, which dnsmasq refuses: down" wait_until 8000 healthy 6002 false
check "  its reason: rcode 5 (REFUSED)" log_has lb1 "DNS A unknown.invalid: rcode 5 (REFUSED)"
check "DNS_CHECK on a port with no DNS server: down" wait_until 8000 healthy 6003 false
kill "$DNSMASQ"
check "dnsmasq stopped: the DNS_CHECK that was up goes down (after its 3 retries)" wait_until 10000 healthy 6001 false
check "SMTP_CHECK against aiosmtpd: up (220, HELO lb1.example.test 250, QUIT)" wait_until 5000 healthy 7001 true
check "SMTP_CHECK on a port without a server: down" wait_until 5000 healthy 7002 false
check "  its reason: connection refused" log_has lb1 "192.0.2.20 2525) down: connection refused"
check "SMTP_CHECK with a host block (port 25 for a real server on 2525): up" wait_until 5000 healthy 7003 true
kill "$SMTPD"
check "aiosmtpd stopped: down" wait_until 5000 healthy 7001 false
check "PING_CHECK of the real server: up" wait_until 5000 healthy 8001 true
check "  ping_group_range in the director's namespace widened to 0 (was '$range_before')" \
    sh -c "ip netns exec '${LAB}lb1' cat /proc/sys/net/ipv4/ping_group_range | grep -q '^0'"
check "PING_CHECK of an address nobody holds: down" wait_until 8000 healthy 8002 false
in_box rs sysctl -qw net.ipv4.icmp_echo_ignore_all=1
check "the real server ignoring echo requests: down" wait_until 5000 healthy 8001 false
check "  its reason: no echo reply within 1 s" log_has lb1 "no echo reply within 1 s"
check "FILE_CHECK weight 0, the file reads 0: up" wait_until 3000 healthy 9001 true
echo 1 > "$LABDIR/maint"
check "  the file reads 1: down" wait_until 3000 healthy 9001 false
check "  its reason: track_file maint reads 1" log_has lb1 "track_file maint reads 1"
echo 0 > "$LABDIR/maint"
check "  the file reads 0 again: up" wait_until 3000 healthy 9001 true
check "FILE_CHECK with the track_file's weight 2, the file reads 0: weight 3" wait_until 3000 weight_is 9002 3
echo 5 > "$LABDIR/boost"
check "  the file reads 5: weight 3 + 5 × 2 = 13, still up" wait_until 3000 weight_is 9002 13
check "fwmark 7, TCP_CHECK to an address only policy routing reaches: up" wait_until 5000 healthy 9101 true
check "  the same TCP_CHECK without fwmark: down" wait_until 5000 healthy 9102 false
check "fwmark 7, HTTP_GET: up" wait_until 5000 healthy 9103 true
check "fwmark 7, UDP_CHECK with require_reply: up" wait_until 5000 healthy 9104 true
daemon_stop lb1
check "Vigil stopped: ping_group_range is '$range_before' again" \
    test "$(in_box lb1 cat /proc/sys/net/ipv4/ping_group_range | tr -s ' \t' ' ')" = "$range_before"
finish

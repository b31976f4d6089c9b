#!/usr/bin/env bash
# SMTP alerts, keepalived's: an aiosmtpd server in its own namespace saves every mail it
# takes; lb1 sends keepalived's alerts to two notification_email addresses.
#   - Debian's keepalived and Vigil on lb1 with the same configuration: their BACKUP and
#     MASTER mails are the same, byte for byte but the Date (HELO, envelope, headers, body);
#   - VI_1 (smtp_alert on): BACKUP at start, MASTER, BACKUP when lb2 (priority 150)
#     preempts, MASTER again when lb2 stops, and "Stopping" when lb1 stops: keepalived's
#     subjects and bodies, its headers, every address a RCPT TO and in To, the HELO name;
#   - VI_2 (no smtp_alert of its own, global smtp_alert off): no mail at all;
#   - a real server (TCP_CHECK) whose listener stops and starts again: its DOWN and UP
#     mails, and its virtual server's quorum mails (smtp_alert on the virtual server);
#     a real server with two checkers: a mail for each checker's change, as keepalived
#     (the second failing, the first recovering while the second still fails: "DOWN"
#     with "succeed"), then UP;
#     another one with smtp_alert off (smtp_alert_checker on): no mail for it (its
#     virtual server's quorum mails come, smtp_alert_checker being on);
#   - the SMTP server blackholed (its SYNs dropped, smtp_connect_timeout 2), then not
#     listening at all: one logged line per run, whatever the number of alerts, and the
#     master's adverts keep their pace (tcpdump on the bridge, longest gap reported).
source "$(dirname "$0")/lib.sh"
echo "alerts: keepalived's SMTP alerts to aiosmtpd; a dead SMTP server costs one log line"
python3 -c "import aiosmtpd" 2>/dev/null || { echo "aiosmtpd is needed (python3 -m pip install aiosmtpd)"; exit 1; }
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box rs 192.0.2.20/24
lab_box mail 192.0.2.25/24
mkdir -p "$LABDIR/mail"

# aiosmtpd's handler: each mail into its own file, with the HELO name and the envelope.
cat > "$LABDIR/savemail.py" <<'PY'
import itertools, os
counter = itertools.count(1)
class SaveMail:
    async def handle_DATA(self, server, session, envelope):
        path = os.path.join(os.environ["MAILDIR"], "%03d.eml" % next(counter))
        with open(path + ".tmp", "wb") as f:
            f.write(b"X-Helo: " + (session.host_name or "").encode() + b"\r\n")
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 OK"
PY
smtpd_start() {
    spawn "$LABDIR/smtpd.log" env PYTHONPATH="$LABDIR" MAILDIR="$LABDIR/mail" \
        ip netns exec "${LAB}mail" python3 -m aiosmtpd -n -l 192.0.2.25:25 -c savemail.SaveMail
    SMTPD=$!
    HELPERS+=($!)
    wait_until 5000 in_box mail sh -c "ss -ltn | grep -q '192.0.2.25:25 '"
}
# The real servers: one listener per port, started and stopped by PID.
cat > "$LABDIR/listen.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.20", int(sys.argv[1])))
s.listen(16)
for _ in range(100000):
    c, _ = s.accept()
    c.close()
PY
declare -A LISTENER
listener() { spawn "$LABDIR/listen-$1.log" ip netns exec "${LAB}rs" python3 "$LABDIR/listen.py" "$1"; LISTENER[$1]=$!; HELPERS+=($!); }

lb1_conf() {  # lb1_conf CONNECT-TIMEOUT: lb1's configuration, its path printed
    cat > "$LABDIR/lb1.conf" <<EOF
global_defs {
    router_id lb1
    notification_email {
        ops@example.test
        oncall@example.test
    }
    notification_email_from vigil@lb1.example.test
    smtp_server 192.0.2.25
    smtp_helo_name lb1.example.test
    smtp_connect_timeout $1
    smtp_alert off
    smtp_alert_checker on
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    smtp_alert on
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.101/24
    }
}
virtual_server 192.0.2.100 80 {
    delay_loop 1
    protocol TCP
    smtp_alert
    real_server 192.0.2.20 8080 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server 192.0.2.100 83 {
    delay_loop 1
    protocol TCP
    real_server 192.0.2.20 8083 {
        TCP_CHECK {
            connect_timeout 1
        }
        TCP_CHECK {
            connect_port 8084
            connect_timeout 1
        }
    }
}
virtual_server 192.0.2.100 82 {
    delay_loop 1
    protocol TCP
    real_server 192.0.2.20 8082 {
        smtp_alert off
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
EOF
    echo "$LABDIR/lb1.conf"
}

mails() { ls "$LABDIR/mail" 2>/dev/null | grep -c '\.eml$'; }
# mail_with SUBJECT BODY: a saved mail has exactly this subject and this body line.
mail_with() {
    local f
    for f in "$LABDIR"/mail/*.eml; do
        [ -e "$f" ] || continue
        tr -d '\r' < "$f" | grep -qxF "Subject: $1" && tr -d '\r' < "$f" | grep -qxF -- "$2" && return 0
    done
    return 1
}
# mail_file SUBJECT: the first saved mail with this subject.
mail_file() { grep -lxF "Subject: $1"$'\r' "$LABDIR"/mail/*.eml 2>/dev/null | head -1; }
subjects() { cat "$LABDIR"/mail/*.eml 2>/dev/null | tr -d '\r' | sed -n 's/^Subject: //p'; }

smtpd_start
# The same mails from keepalived and from Vigil, on the same configuration.
simple=$(vrrp_conf lb1 100 global="    notification_email {
        ops@example.test
        oncall@example.test
    }
    notification_email_from vigil@lb1.example.test
    smtp_server 192.0.2.25
    smtp_helo_name lb1.example.test
    smtp_alert")
compare_run() {  # compare_run vigil|keepalived: its BACKUP and MASTER mails into $LABDIR/$1-mails
    local i
    "$1_start" lb1 "$simple"
    wait_until 8000 sh -c "[ \$(ls '$LABDIR/mail' | grep -c eml) -ge 2 ]" || echo "  ($1 sent fewer than 2 mails)"
    daemon_stop lb1
    mkdir -p "$LABDIR/$1-mails"
    for i in 1 2; do
        grep -lF "Subject: [lb1] VRRP Instance VI_1 - Entering $([ $i = 1 ] && echo BACKUP || echo MASTER) state" "$LABDIR"/mail/*.eml |
            head -1 | xargs -r sed '/^Date: /d' > "$LABDIR/$1-mails/$i"
    done
    rm -f "$LABDIR"/mail/*.eml
    mv "$LABDIR/lb1.log" "$LABDIR/lb1-$1.log"
}
compare_run keepalived
compare_run vigil
check "keepalived's BACKUP mail and Vigil's: the same but the Date" \
    sh -c "[ -s '$LABDIR/keepalived-mails/1' ] && cmp -s '$LABDIR/keepalived-mails/1' '$LABDIR/vigil-mails/1'"
check "keepalived's MASTER mail and Vigil's: the same but the Date" \
    sh -c "[ -s '$LABDIR/keepalived-mails/2' ] && cmp -s '$LABDIR/keepalived-mails/2' '$LABDIR/vigil-mails/2'"
listener 8080
listener 8082
listener 8083
listener 8084
conf=$(lb1_conf 5)
vigil_start lb1 "$conf"
check "VI_1 at start: '[lb1] VRRP Instance VI_1 - Entering BACKUP state'" \
    wait_until 5000 mail_with "[lb1] VRRP Instance VI_1 - Entering BACKUP state" "=> VRRP Instance is no longer owning VRRP VIPs <="
check "VI_1 master: '[lb1] VRRP Instance VI_1 - Entering MASTER state'" \
    wait_until 8000 mail_with "[lb1] VRRP Instance VI_1 - Entering MASTER state" "=> VRRP Instance is now owning VRRP VIPs <="
f=$(mail_file "[lb1] VRRP Instance VI_1 - Entering MASTER state")
check "  HELO lb1.example.test, MAIL FROM the sender, a RCPT TO for each address" \
    sh -c "tr -d '\r' < '$f' | grep -qx 'X-Helo: lb1.example.test' && tr -d '\r' < '$f' | grep -qx 'X-Envelope-From: vigil@lb1.example.test' && tr -d '\r' < '$f' | grep -qx 'X-Envelope-To: ops@example.test, oncall@example.test'"
check "  keepalived's headers: From, To (both addresses), X-Mailer: Keepalived, a Date" \
    sh -c "tr -d '\r' < '$f' | grep -qx 'From: vigil@lb1.example.test' && tr -d '\r' < '$f' | grep -qx 'To: ops@example.test, oncall@example.test' && tr -d '\r' < '$f' | grep -qx 'X-Mailer: Keepalived' && tr -d '\r' < '$f' | grep -qE '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} [0-9:]{8} [-+][0-9]{4}$'"
echo "       the MASTER mail as aiosmtpd saved it:"; tr -d '\r' < "$f" | sed 's/^/         | /'
kill "${LISTENER[8080]}" "${LISTENER[8082]}"; wait "${LISTENER[8080]}" "${LISTENER[8082]}" 2>/dev/null
check "real server 8080 down: '[lb1] Realserver [192.0.2.20]:tcp:8080 of virtual server [192.0.2.100]:tcp:80 - DOWN'" \
    wait_until 8000 mail_with "[lb1] Realserver [192.0.2.20]:tcp:8080 of virtual server [192.0.2.100]:tcp:80 - DOWN" "=> TCP CHECK failed on service <="
check "  its virtual server: '[lb1] Virtualserver [192.0.2.100]:tcp:80 - DOWN', '=> Lost quorum 1+0=1 <= 0 <='" \
    wait_until 3000 mail_with "[lb1] Virtualserver [192.0.2.100]:tcp:80 - DOWN" "=> Lost quorum 1+0=1 <= 0 <="
listener 8080
listener 8082
check "real server 8080 back: its UP mail ('=> TCP CHECK succeed on service <=')" \
    wait_until 8000 mail_with "[lb1] Realserver [192.0.2.20]:tcp:8080 of virtual server [192.0.2.100]:tcp:80 - UP" "=> TCP CHECK succeed on service <="
check "  its virtual server: UP, '=> Gained quorum 1+0=1 <= 1 <='" \
    wait_until 3000 mail_with "[lb1] Virtualserver [192.0.2.100]:tcp:80 - UP" "=> Gained quorum 1+0=1 <= 1 <="
# Two checkers on one real server, each mailing its own change.
rs83="[lb1] Realserver [192.0.2.20]:tcp:8083 of virtual server [192.0.2.100]:tcp:83"
kill "${LISTENER[8084]}"; wait "${LISTENER[8084]}" 2>/dev/null
check "two checkers, the second fails: '$rs83 - DOWN', TCP CHECK failed" \
    wait_until 8000 mail_with "$rs83 - DOWN" "=> TCP CHECK failed on service <="
kill "${LISTENER[8083]}"; wait "${LISTENER[8083]}" 2>/dev/null
check "  the first fails too: a second DOWN mail (the server was down already)" \
    wait_until 8000 sh -c "[ \$(cat '$LABDIR'/mail/*.eml | tr -d '\r' | grep -cxF 'Subject: $rs83 - DOWN') = 2 ]"
listener 8083
check "  the first recovers, the second still fails: DOWN with 'TCP CHECK succeed' (keepalived's words)" \
    wait_until 8000 mail_with "$rs83 - DOWN" "=> TCP CHECK succeed on service <="
listener 8084
check "  the second recovers: '$rs83 - UP'" wait_until 8000 mail_with "$rs83 - UP" "=> TCP CHECK succeed on service <="
conf2=$(vrrp_conf lb2 150)
vigil_start lb2 "$conf2"
check "lb2 (priority 150) preempts VI_1: '[lb1] VRRP Instance VI_1 - Entering BACKUP state' again" \
    wait_until 8000 sh -c "[ \$(cat '$LABDIR'/mail/*.eml | tr -d '\r' | grep -cxF 'Subject: [lb1] VRRP Instance VI_1 - Entering BACKUP state') -ge 2 ]"
daemon_stop lb2
check "lb2 stopped: VI_1 MASTER again (its second MASTER mail)" \
    wait_until 8000 sh -c "[ \$(cat '$LABDIR'/mail/*.eml | tr -d '\r' | grep -cxF 'Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state') -ge 2 ]"
daemon_stop lb1
check "lb1 stopped: '[lb1] VRRP Instance VI_1 - Stopping', '=> VRRP Instance stopping <='" \
    wait_until 3000 mail_with "[lb1] VRRP Instance VI_1 - Stopping" "=> VRRP Instance stopping <="
check "no mail about VI_2 (global smtp_alert off) nor about real server 8082 (its smtp_alert off)" \
    sh -c "! cat '$LABDIR'/mail/*.eml | grep -qE 'VI_2|:8082'"
echo "       $(mails) mails, every one to both addresses:"; subjects | sed 's/^/         /'
to_both() { cat "$LABDIR"/mail/*.eml | tr -d '\r' | grep -cx 'X-Envelope-To: ops@example.test, oncall@example.test'; }
check "every mail went to both addresses" test "$(to_both)" = "$(mails)"

# A dead SMTP server: VRRP must not notice. lb1 alone: BACKUP, MASTER, a real server
# down and up, all while its adverts are captured.
spawn "$LABDIR/wire.txt" ip netns exec "${LAB}sw" tcpdump -l -nn -tt -e -i br0 'ip proto 112'
HELPERS+=($!)
dead_run() {  # dead_run WHAT: lb1 through its alerts against the dead server
    local what=$1 before t0 t1 mac gap lines
    before=$(mails)
    mv "$LABDIR/lb1.log" "$LABDIR/lb1-before-$what.log" 2>/dev/null
    vigil_start lb1 "$(lb1_conf 2)"
    wait_until 8000 has_vip lb1 192.0.2.100 || echo "  (lb1 did not become master)"
    t0=$(date +%s.%N)
    kill "${LISTENER[8080]}"; wait "${LISTENER[8080]}" 2>/dev/null
    wait_until 8000 log_has lb1 "192.0.2.20 8080) down" || echo "  (8080 was not seen down)"
    listener 8080
    wait_until 8000 log_has lb1 "192.0.2.20 8080) up" || echo "  (8080 was not seen up)"
    sleep 3   # the alerts' 2 s timeouts run out
    t1=$(date +%s.%N)
    mac=$(mac_of lb1)
    gap=$(awk -v a="$t0" -v b="$t1" -v mac="$mac" '$2 == mac && /vrid 51/ && $1 >= a && $1 <= b { n++; if (last) { g = $1 - last; if (g > max) max = g }; last = $1 } END { if (n > 1) printf "%.0f", max * 1000 }' "$LABDIR/wire.txt")
    lines=$(grep -c "SMTP alert .* not sent" "$LABDIR/lb1.log")
    echo "       $what: $(grep -c 'SMTP alert' "$LABDIR/lb1.log") SMTP log line(s), longest advert gap ${gap:-none} ms over $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
    grep "SMTP alert" "$LABDIR/lb1.log" | sed 's/^/         /'
    check "$what: one logged line for the six failed alerts (BACKUP, MASTER, a real server and its virtual server DOWN and UP)" test "$lines" = 1
    check "$what: no mail arrived" test "$(mails)" = "$before"
    check "$what: adverts were captured" test -n "$gap"
    check "$what: no advert gap beyond advert_int + 20% (${gap:-none} ms <= 1200 ms)" test "${gap:-9999}" -le 1200
    daemon_stop lb1
}
# Blackholed: SYNs to port 25 dropped, so each connection waits smtp_connect_timeout.
in_box mail nft -f - <<'EOF'
table inet blackhole {
    chain input {
        type filter hook input priority 0;
        tcp dport 25 drop
    }
}
EOF
dead_run "blackholed (smtp_connect_timeout 2)"
check "  its reason: no connection within 2 s" log_has lb1 "timeout after 2 s"
in_box mail nft delete table inet blackhole
kill "$SMTPD"; wait "$SMTPD" 2>/dev/null
dead_run "nothing listening"
check "  its reason: connection refused" log_has lb1 "connection refused"
finish

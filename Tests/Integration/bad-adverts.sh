#!/usr/bin/env bash
# Bad adverts from a test sender (vrrp-inject) at a Vigil master, one receive check of RFC
# 3768 §7.1 / RFC 5798 §7.1 broken per case: each is dropped, counted and logged by
# reason, and the master stays master. A flood is logged at most once per reason per
# 10 s. Last, a valid higher-priority advert does move the master to Backup: the proof
# that the injected packets reach it at all.
#
# Not injectable over a real interface, because the kernel drops them before any raw
# socket sees them: a malformed IPv4 header and a truncated IP packet (both covered by the
# unit tests of the codec).
source "$(dirname "$0")/lib.sh"
INJECT=${INJECT:-$(dirname "$VIGIL")/vrrp-inject}
VIP=192.0.2.100
echo "bad adverts at a Vigil master (v2 PASS and v3)"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box bad 192.0.2.66/24
# One master at a time, and probes sent unicast to it, so that every reason's first log
# line (the log is rate-limited per reason) is the probe's own.
vigil_start lb1 "$(vrrp_conf lb1 100 version=2 advert=1)"
check "v2 lb1 is master" wait_until 6000 has_vip lb1 $VIP

# probe BOX VERSION CASE [key=value ...]
probe() {
    local box=$1 version=$2 kind=$3; shift 3
    local vrid=51 vip=$VIP interval=1 dest=192.0.2.11
    [ "$version" = 3 ] && { vrid=52; vip=192.0.2.102; interval=0.1; dest=192.0.2.12; }
    in_box bad "$INJECT" eth0 "$kind" version=$version vrid=$vrid vip=$vip interval=$interval \
        source=192.0.2.66 dest=$dest count=5 "$@" > /dev/null
    check "v$version $kind: dropped and logged by reason" wait_until 2000 log_has $box "dropped packet \[$kind\]"
}
for kind in ttl version type checksum too_short count_mismatch unknown_vrid auth_type auth_password advert_interval address_list; do
    probe lb1 2 "$kind"
done
# Our own address as the source: the kernel drops such packets as martians unless the
# interface accepts local sources, which a looped-back multicast advert would be.
in_box lb1 sh -c 'echo 1 > /proc/sys/net/ipv4/conf/eth0/accept_local; echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 0 > /proc/sys/net/ipv4/conf/eth0/rp_filter'
probe lb1 2 own_advert own=192.0.2.11
check "no state change on the v2 master" bash -c "! grep -q 'MASTER ->' '$LABDIR/lb1.log'"
check "v2 master still holds its VIP" has_vip lb1 $VIP

vigil_start lb2 "$(vrrp_conf lb2 100 version=3 advert=0.1 vrid=52 vip=192.0.2.102/24)"
check "v3 lb2 is master" wait_until 3000 has_vip lb2 192.0.2.102
for kind in ttl checksum too_short count_mismatch address_list; do
    probe lb2 3 "$kind"
done
in_box bad "$INJECT" eth0 valid version=2 vrid=52 vip=192.0.2.102 source=192.0.2.66 dest=192.0.2.12 count=5 > /dev/null
check "v3 version (a v2 advert for a v3 instance): dropped and logged" wait_until 2000 log_has lb2 "dropped packet \[version\]: version 2, expected 3"
# Max Adver Int 0 at priority 255: accepted, it would make the master step down and its
# Master_Down_Interval 0 (MASTER -> BACKUP -> MASTER per packet). 1,000 at 1,000/s. The
# decoder refuses it before any instance sees it: counted on the interface.
probe lb2 3 advert_interval_zero priority=255
in_box bad "$INJECT" eth0 advert_interval_zero version=3 vrid=52 vip=192.0.2.102 interval=0.1 priority=255 \
    source=192.0.2.66 dest=224.0.0.18 count=1000 rate=1000 > "$LABDIR/zero.txt"
sleep 0.3
zero=$(in_box lb2 "$VIGIL" status --json --socket "$LABDIR/lb2.sock" | python3 -c "import json,sys; print(json.load(sys.stdin)['interfaceRejections']['eth0'].get('advert_interval_zero', 0))")
echo "       $(cat "$LABDIR/zero.txt"); counted as advert_interval_zero: $zero; transitions: $(grep -c -- 'MASTER ->' "$LABDIR/lb2.log")"
check "1,000 zero-interval adverts at priority 255: all counted (>= 1005 with the probe's 5)" test "${zero:-0}" -ge 1005
check "and not one transition" bash -c "! grep -q 'MASTER ->' '$LABDIR/lb2.log'"
check "no state change on the v3 master" bash -c "! grep -q 'MASTER ->' '$LABDIR/lb2.log'"
check "v3 master still holds its VIP" has_vip lb2 192.0.2.102

before=$(grep -c "dropped packet \[ttl\]" "$LABDIR/lb1.log")
in_box bad "$INJECT" eth0 ttl vrid=51 count=20000 > /dev/null
sleep 0.5   # let the receiver drain its queue before counting lines
after=$(grep -c "dropped packet \[ttl\]" "$LABDIR/lb1.log")
check "a flood of 20,000 bad adverts adds at most one log line (added $((after - before)))" test $((after - before)) -le 1
check "the flood changed nothing: lb1 is still master" bash -c "! grep -q 'MASTER ->' '$LABDIR/lb1.log'"
check "vigil is still running after the flood" kill -0 "${PID[lb1]}"

in_box bad "$INJECT" eth0 valid vrid=51 priority=254 count=1 > /dev/null
check "control: a valid priority-254 advert does move lb1 to Backup" wait_until 2000 log_has lb1 "MASTER -> BACKUP: advertisement from 192.0.2.66 with higher priority 254"
check "control: lb1 released its VIP" wait_until 1000 lacks_vip lb1 $VIP
daemon_stop lb1; daemon_stop lb2

# Unicast with check_unicast_src and a peer's TTL bounds (v3, VRID 53 on lb3): a routed
# host that is not a unicast_peer, and a peer's address arriving with another TTL, are
# dropped; without them either could make the master step down.
lab_box lb3 192.0.2.13/24
c3=$(vrrp_conf lb3 100 version=3 advert=0.1 vrid=53 vip=192.0.2.103/24 extra="    check_unicast_src
    unicast_src_ip 192.0.2.13
    unicast_peer {
        192.0.2.14 min_ttl 255
    }")
vigil_start lb3 "$c3"
check "unicast lb3 is master" wait_until 3000 has_vip lb3 192.0.2.103
in_box bad "$INJECT" eth0 valid version=3 vrid=53 vip=192.0.2.103 interval=0.1 priority=254 \
    source=192.0.2.66 dest=192.0.2.13 count=20 > /dev/null
check "20 priority-254 adverts from a host that is not a unicast_peer: dropped [unicast_src]" \
    wait_until 2000 log_has lb3 "dropped packet \[unicast_src\]: 192.0.2.66 is not a unicast_peer"
in_box bad "$INJECT" eth0 ttl version=3 vrid=53 vip=192.0.2.103 interval=0.1 priority=254 \
    source=192.0.2.14 dest=192.0.2.13 count=20 > /dev/null
check "20 from the peer's address with TTL 64 (min_ttl 255): dropped [ttl]" \
    wait_until 2000 log_has lb3 "dropped packet \[ttl\]: TTL 64, expected 255…255 from this unicast peer"
check "lb3 stayed master" bash -c "! grep -q 'MASTER ->' '$LABDIR/lb3.log' && ip -n ${LAB}lb3 -o addr show | grep -q ' 192.0.2.103/'"
in_box bad "$INJECT" eth0 valid version=3 vrid=53 vip=192.0.2.103 interval=0.1 priority=254 \
    source=192.0.2.14 dest=192.0.2.13 count=1 > /dev/null
check "control: the peer's address with TTL 255 does move lb3 to Backup" wait_until 2000 log_has lb3 "MASTER -> BACKUP: advertisement from 192.0.2.14 with higher priority 254"
daemon_stop lb3

# A flapping master and its notify scripts (v3, VRID 54 on lb4): valid priority-255
# adverts with Max Adver Int 1 cs, one every 40 ms for 2 s, make the master step down and
# take over again ~25 times a second (VRRP has no defence against a higher priority; what
# must hold is the box). Each notify script lasts 0.3 s and logs its start: one
# transition's scripts run at a time, the newest state wins, the last one announced is the
# real one.
lab_box lb4 192.0.2.14/24
cat > "$LABDIR/note.sh" <<EOF
#!/bin/sh
echo "\$*" >> $LABDIR/notified.txt
sleep 0.3
EOF
chmod 755 "$LABDIR/note.sh"
c4=$(vrrp_conf lb4 100 version=3 advert=0.1 vrid=54 vip=192.0.2.104/24 extra="    notify_master \"$LABDIR/note.sh master\"
    notify_backup \"$LABDIR/note.sh backup\"
    notify $LABDIR/note.sh")
vigil_start lb4 "$c4"
check "lb4 is master" wait_until 3000 has_vip lb4 192.0.2.104
children_of() { in_box lb4 "$VIGIL" status --json --socket "$LABDIR/lb4.sock" | python3 -c "import json,sys; r=json.load(sys.stdin); c=r.get('children') or {}; print(c.get('$1', -1))"; }
wait_until 3000 sh -c "[ \$(wc -l < '$LABDIR/notified.txt') -ge 2 ]"
before=$(wc -l < "$LABDIR/notified.txt")
in_box bad "$INJECT" eth0 valid version=3 vrid=54 vip=192.0.2.104 interval=0.01 priority=255 \
    source=192.0.2.66 dest=224.0.0.18 count=50 rate=25 > "$LABDIR/flap.txt"
wait_until 5000 has_vip lb4 192.0.2.104
wait_until 5000 sh -c "[ \"\$(ip netns exec ${LAB}lb4 '$VIGIL' status --json --socket '$LABDIR/lb4.sock' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"children\"][\"running\"])')\" = 0 ]"
# From vigil status: the log itself is rate-limited (30 transition lines per 10 s).
transitions=$(in_box lb4 "$VIGIL" status --json --socket "$LABDIR/lb4.sock" | python3 -c "import json,sys; print(json.load(sys.stdin)['instances'][0]['transitions'])")
spawned=$(( $(wc -l < "$LABDIR/notified.txt") - before ))
echo "       $(cat "$LABDIR/flap.txt"); lb4: $transitions transitions, $spawned notify scripts started, at most $(children_of peak) at once, $(children_of notifyChainsSkipped) transitions' scripts skipped"
check "the attack flapped the master (>= 20 transitions)" test "$transitions" -ge 20
check "notify scripts started: at most 2 per 0.6 s chain, not 2 per transition ($spawned for $transitions)" test "$spawned" -le 20
check "never more than one transition's two scripts at a time" test "$(children_of peak)" -le 2
check "the last state announced is the real one (master)" sh -c "tail -2 '$LABDIR/notified.txt' | grep -q '^INSTANCE VI_1 MASTER'"
check "lb4 is master again with its VIP" has_vip lb4 192.0.2.104
daemon_stop lb4
finish

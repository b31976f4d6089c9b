#!/usr/bin/env bash
# VRRPv3 unicast beside Debian's keepalived 2.2.7 (built with OLD_CHKSUM_COMPAT): the
# checksum forms on the wire. keepalived before 1.3.6 summed a unicast advert over a
# pseudo-header with the multicast group; old_unicast_checksum sends that form, a default
# instance turns to it on hearing it, 'never' refuses it, and an advert without the
# pseudo-header (v3_checksum_as_v2, which 2.2.7 does not know) is a bad checksum to a
# default keepalived — the control showing that keepalived checks what it is sent.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
MDI=1500   # advert_int 0.1: Master_Down_Interval under 0.4 s; room for a slow start
echo "VRRPv3 unicast checksum forms with keepalived $(keepalived --version 2>&1 | head -1 | awk '{print $2}')"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24

# conf NAME PRIORITY PEER LINES: a unicast VRRPv3 instance (advert_int 0.1) with LINES added.
conf() {
    vrrp_conf "$1" "$2" version=3 advert=0.1 pass=none extra="    unicast_src_ip $3
    unicast_peer {
        $4
    }
$5"
}

# 1. Vigil sends the old form; keepalived takes it (and says it turns to it).
c1=$(conf lb1 150 192.0.2.11 192.0.2.12 "    old_unicast_checksum")
c2=$(conf lb2 100 192.0.2.12 192.0.2.11 "")
keepalived_start lb2 "$c2"
vigil_start lb1 "$c1"
check "old_unicast_checksum: vigil (lb1, 150) is master" wait_until $((2 * MDI + 3000)) has_vip lb1 $VIP
# keepalived starts first and may be master before Vigil is up; if it took the old form it
# yields to the higher priority and stays backup, if it dropped it it would keep the VIP.
check "old_unicast_checksum: keepalived (lb2, 100) is backup: it accepts the old form" \
    settled_for 3000 2000 lacks_vip lb2 $VIP
check "old_unicast_checksum: keepalived turns to the old form on hearing it" \
    log_has lb2 "Setting unicast VRRPv3 checksum to old version"
check "old_unicast_checksum: keepalived logs no bad checksum" bash -c "! grep -q 'Invalid VRRPv3 checksum' $LABDIR/lb2.log"
daemon_stop lb1; daemon_stop lb2

# 2. keepalived sends the old form; a default Vigil takes it and turns to it.
: > "$LABDIR/lb1.log"; : > "$LABDIR/lb2.log"
c1=$(conf lb1 100 192.0.2.11 192.0.2.12 "")
c2=$(conf lb2 150 192.0.2.12 192.0.2.11 "    old_unicast_checksum")
vigil_start lb1 "$c1"
keepalived_start lb2 "$c2"
check "default vigil: keepalived (lb2, 150, old_unicast_checksum) is master" wait_until $((2 * MDI + 5000)) has_vip lb2 $VIP
check "default vigil: vigil (lb1, 100) is backup: it accepts the old form" settled_for 3000 2000 lacks_vip lb1 $VIP
check "default vigil: vigil says it turns to the old form" \
    log_has lb1 "sends the old unicast VRRPv3 checksum"
check "default vigil: no checksum drop" bash -c "! grep -q 'dropped packet \[checksum\]' $LABDIR/lb1.log"
daemon_stop lb1; daemon_stop lb2

# 3. 'old_unicast_checksum never': Vigil refuses the old form, so both are master.
: > "$LABDIR/lb1.log"; : > "$LABDIR/lb2.log"
c1=$(conf lb1 100 192.0.2.11 192.0.2.12 "    old_unicast_checksum never")
vigil_start lb1 "$c1"
keepalived_start lb2 "$c2"
check "never: keepalived (lb2, 150) is master" wait_until $((2 * MDI + 5000)) has_vip lb2 $VIP
check "never: vigil (lb1) is master too: it drops the old form" wait_until $((2 * MDI + 3000)) has_vip lb1 $VIP
check "never: vigil logs the drop as a bad checksum" wait_until 3000 log_has lb1 "dropped packet \[checksum\]"
daemon_stop lb1; daemon_stop lb2

# 4. The control: without the pseudo-header (v3_checksum_as_v2), keepalived 2.2.7 drops
#    Vigil's adverts as bad checksums and takes over too.
: > "$LABDIR/lb1.log"; : > "$LABDIR/lb2.log"
c1=$(conf lb1 150 192.0.2.11 192.0.2.12 "    v3_checksum_as_v2")
c2=$(conf lb2 100 192.0.2.12 192.0.2.11 "")
keepalived_start lb2 "$c2"
vigil_start lb1 "$c1"
check "v3_checksum_as_v2: vigil (lb1, 150) is master" wait_until $((2 * MDI + 3000)) has_vip lb1 $VIP
check "v3_checksum_as_v2: keepalived 2.2.7 (lb2) is master too" wait_until $((2 * MDI + 3000)) has_vip lb2 $VIP
check "v3_checksum_as_v2: keepalived logs the bad checksum" wait_until 3000 log_has lb2 "Invalid VRRPv3 checksum"
daemon_stop lb1; daemon_stop lb2

# 5. Two Vigils with v3_checksum_as_v2 agree (each sends without the pseudo-header).
: > "$LABDIR/lb1.log"; : > "$LABDIR/lb2.log"
c2=$(conf lb2 100 192.0.2.12 192.0.2.11 "    v3_checksum_as_v2")
vigil_start lb2 "$c2"
vigil_start lb1 "$c1"
check "two vigils, v3_checksum_as_v2: lb1 (150) is master" wait_until $((2 * MDI + 3000)) has_vip lb1 $VIP
check "two vigils, v3_checksum_as_v2: lb2 (100) is backup" settled_for 3000 2000 lacks_vip lb2 $VIP
daemon_stop lb1; daemon_stop lb2
finish

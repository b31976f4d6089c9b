#!/usr/bin/env bash
# Vigil beside Debian's keepalived 2.2.7 on one LAN, VRRPv2 with PASS (advert_int 1) or
# VRRPv3 (VERSION=3, advert_int 0.1): each as master with the other as backup — election,
# graceful and crash failover, failback. With VERSION=2, mismatched passwords too.
source "$(dirname "$0")/lib.sh"
VERSION=${VERSION:-2}
if [ "$VERSION" = 3 ]; then ADVERT=0.1; MDI=400; else ADVERT=1; MDI=3700; fi
VIP=192.0.2.100
echo "mixed pair with keepalived $(keepalived --version 2>&1 | head -1 | awk '{print $2}'), VRRPv$VERSION advert_int $ADVERT"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24

# drill MASTER_KIND BACKUP_KIND: lb1 (priority 100) runs MASTER_KIND, lb2 (90) BACKUP_KIND.
drill() {
    local k1=$1 k2=$2 tag="$1 master / $2 backup"
    local c1 c2
    c1=$(vrrp_conf lb1 100 version=$VERSION advert=$ADVERT)
    c2=$(vrrp_conf lb2 90 version=$VERSION advert=$ADVERT)
    ${k2}_start lb2 "$c2"
    ${k1}_start lb1 "$c1"
    check "$tag: lb1 ($k1) wins the election" wait_until $((2 * MDI + 3000)) has_vip lb1 $VIP
    check "$tag: lb2 ($k2) holds back" wait_until 2000 lacks_vip lb2 $VIP
    check "$tag: the election is stable" holds_for $MDI bash -c "ip -n ${LAB}lb1 -4 -o addr | grep -q ' $VIP/' && ! ip -n ${LAB}lb2 -4 -o addr | grep -q ' $VIP/'"

    daemon_stop lb1
    check "$tag: SIGTERM on lb1 ($k1): lb2 ($k2) takes over" wait_until 3000 has_vip lb2 $VIP
    check "$tag: lb1 ($k1) released the VIP" lacks_vip lb1 $VIP
    ${k1}_start lb1 "$c1"
    check "$tag: lb1 ($k1) restarted fails back" wait_until $((2 * MDI + 3000)) has_vip lb1 $VIP
    check "$tag: lb2 ($k2) releases on failback" wait_until 2000 lacks_vip lb2 $VIP

    daemon_kill lb1
    cut_link lb1
    check "$tag: crash of lb1 ($k1): lb2 ($k2) takes over" wait_until $((MDI + 2000)) has_vip lb2 $VIP
    ip -n "${LAB}lb1" addr del "$VIP/24" dev eth0 2>/dev/null   # what the dead box left behind
    restore_link lb1
    ${k1}_start lb1 "$c1"
    check "$tag: lb1 ($k1) back from the crash fails back" wait_until $((2 * MDI + 3000)) has_vip lb1 $VIP
    check "$tag: lb2 ($k2) releases after the crash failback" wait_until 2000 lacks_vip lb2 $VIP
    daemon_stop lb1; daemon_stop lb2
    check "$tag: no VIP left on either box" bash -c "! ip -n ${LAB}lb1 -4 -o addr | grep -q ' $VIP/' && ! ip -n ${LAB}lb2 -4 -o addr | grep -q ' $VIP/'"
}

drill vigil keepalived
drill keepalived vigil

if [ "$VERSION" = 2 ]; then
    # Different passwords: neither accepts the other's adverts, so both end up master
    # (the split brain an operator must see in the logs).
    c1=$(vrrp_conf lb1 100 pass=alpha)
    c2=$(vrrp_conf lb2 90 pass=bravo)
    : > "$LABDIR/lb1.log"; : > "$LABDIR/lb2.log"
    vigil_start lb1 "$c1"
    keepalived_start lb2 "$c2"
    check "passwords differ: vigil (lb1) is master" wait_until $((MDI + 3000)) has_vip lb1 $VIP
    check "passwords differ: keepalived (lb2) is master too: it ignores vigil's adverts" wait_until $((MDI + 3000)) has_vip lb2 $VIP
    check "passwords differ: vigil logs the rejection by reason" wait_until 3000 log_has lb1 "dropped packet \[auth_password\]"
    check "passwords differ: keepalived logs it too" wait_until 3000 log_has lb2 "received an invalid passwd"
    daemon_stop lb1; daemon_stop lb2
fi
finish

#!/bin/bash
# Runs in the qemu guest booted with systemd as PID 1 (Tests/IPVS/harness.sh, IPVS_INIT=systemd):
# the shipped unit and the Debian package under a real systemd, beside a peer Vigil.
#
#   guest-systemd.sh DEB NEXT_DEB     (NEXT_DEB: the same source built as a higher version)
#
# The box under test is the guest's root network namespace: its eth0 is a veth on a bridge
# (namespace ${P}sw) shared with ${P}peer, where a second Vigil (priority 100, the binary from
# DEB, not under systemd) runs from the start, and ${P}client, which pings the VIP every 5 ms
# while the VIP moves on purpose (stop, restart, upgrade). The box's Vigil is the package's, run by systemd, configured
# in /etc/vigil/vigil.conf. VRRPv2, virtual_router_id 51, advert_int 5: the peer's
# Master_Down_Interval is 3 x 5 + 0.61 = 15.6 s from the last advert it heard, so it takes
# over 10.6 to 15.6 s after a kill: longer than a restart here (RestartSec=2s and the start;
# a killed master's stale VIP went 11.2 s after the kill on a machine whose emulation was
# three times slower than the one advert_int 3 had been enough for), so a killed master's
# stale VIP is gone before the peer takes over.
#
# Phases: package install (not started), start/READY/status/journal, reload (applied,
# refused), stop (exit 0, peer at Skew_Time from the wire, no ping reply lost), restart after
# kill -9 (stale VIP removed, never on both boxes), watchdog (SIGSTOP), exposure, restart while
# master (no reply lost there and back), script_user with the drop-in, upgrade (the VIP
# sampled every 20 ms: never on neither box), purge (nothing left). Every wait is bounded.
DEB=$(realpath -e "${1:?usage: guest-systemd.sh DEB NEXT_DEB}") || exit 125
NEXT=$(realpath -e "${2:?usage: guest-systemd.sh DEB NEXT_DEB}") || exit 125
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/system.XXXXXX)
P=sy$$
source "$HERE/../IPVS/guest-lib.sh"
export DEBIAN_FRONTEND=noninteractive SYSTEMD_PAGER= SYSTEMD_COLORS=0
VIP=192.0.2.100
VIP2=192.0.2.101
CONF=/etc/vigil/vigil.conf
PEER=${P}peer
SKEW_MS=609            # VRRPv2 Skew_Time of the peer: (256 - 100) / 256 s
STOPFILE=$W/sampler.stop

cleanup() {
    touch "$STOPFILE"
    # For the host (IPVS_OUT=DIR keeps the share): the unit's journal, and the whole boot's.
    journalctl -u vigil.service -o short-monotonic --no-pager > "$VIGIL_SHARE/vigil.journal" 2>&1
    journalctl -u vigil.service -o verbose --no-pager > "$VIGIL_SHARE/vigil.verbose" 2>&1
    journalctl -b -o short-monotonic --no-pager > "$VIGIL_SHARE/boot.journal" 2>&1
    if [ "$FAILED" != 0 ]; then
        echo "== failed: the last lines of the vigil.service journal"
        tail -40 "$VIGIL_SHARE/vigil.journal" | sed 's/^/       | /'
    fi
    systemctl stop vigil 2>/dev/null
    [ -n "${PEER_PID:-}" ] && kill -TERM "$PEER_PID" 2>/dev/null && timeout 10 tail --pid="$PEER_PID" -f /dev/null
    lab_cleanup 2>/dev/null
}
trap cleanup EXIT

ms_since() { echo $(( $(now_ms) - $1 )); }
T_PHASE=$(now_ms)
TIMES=()
phase_end() {   # NAME: the phase's wall time, printed and kept for the summary
    local t; t=$(ms_since "$T_PHASE")
    TIMES+=("$1 $t")
    printf '  -- %s: %d.%01d s\n' "$1" $((t / 1000)) $((t % 1000 / 100))
    T_PHASE=$(now_ms)
}
prop() { systemctl show -p "$1" --value vigil.service; }
main_pid() { prop MainPID; }
has_vip_here() { ip -4 -o addr show | grep -q " $1/"; }
has_vip_peer() { ip -n $PEER -4 -o addr show | grep -q " $1/"; }
lacks_vip_here() { ! has_vip_here "$1"; }
# The unit's journal, messages only. What a step logged is found by counting a message before
# and after it (journalctl --after-cursor with -u missed entries of PID 1 here).
journal() { journalctl -u vigil.service --no-pager -o cat "$@"; }
jcount() { journal | grep -c -- "$1"; }
jgrew() { [ "$(jcount "$1")" -gt "$2" ]; }   # PATTERN COUNT_BEFORE
sampler_start() {   # OUT: samples the VIP here and in the peer every 20 ms (vip-sampler.py)
    rm -f "$STOPFILE"
    python3 "$HERE/vip-sampler.py" $VIP $PEER "$1" "$STOPFILE" 90 2> "$1.err" &
    SAMPLER=$!; PIDS+=($SAMPLER)
    wait_until 10000 grep -q "sampler ready" "$1.err" || fail "the VIP sampler did not start: $(cat "$1.err")"
}
sampler_stop() { touch "$STOPFILE"; wait "$SAMPLER" 2>/dev/null; }
# The client pings the VIP every 5 ms (replies timestamped) while a step runs: a planned
# move of the VIP (stop, restart, upgrade) must lose no reply.
pinger_start() {   # OUT
    ip netns exec $CLIENT ping -n -D -i 0.005 $VIP > "$1" 2>&1 &
    PINGER=$!; PIDS+=($PINGER)
    wait_until 5000 grep -q "bytes from" "$1"
}
pinger_stop() { kill -INT "$PINGER" 2>/dev/null; wait "$PINGER" 2>/dev/null; }
# FILE -> "sent received longest-silence-ms"
pinger_figures() {
    awk '/^\[[0-9.]*\] .* bytes from/ { t = substr($1, 2, length($1) - 2); if (n++ && t - last > gap) gap = t - last; last = t }
         /packets transmitted/ { sent = $1; got = $4 }
         END { printf "%d %d %.1f", sent, got, gap * 1000 }' "$1"
}
# longest run (ms) of samples matching an awk condition on $2 (here) and $3 (peer)
longest() { awk "{ if ($2) { if (!s) s = \$1; if (\$1 - s > m) m = \$1 - s } else s = 0 } END { printf \"%d\", m * 1000 }" "$1"; }
count() { awk "$2 { n++ } END { print n + 0 }" "$1"; }
export -f prop main_pid has_vip_here has_vip_peer journal jcount jgrew
export PEER VIP VIP2 CONF
# A VRRP configuration for this box (eth0) or the peer: PRIORITY "VIPS" [global lines] [instance lines]
vrrp_conf() {
    cat <<CONF
global_defs {
    router_id $5
$3
}
$6
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority $1
    advert_int 5
$4
    virtual_ipaddress {
$(for a in $2; do echo "        $a/24"; done)
    }
}
CONF
}

echo "== systemd $(systemctl --version | head -1 | cut -d' ' -f2) as PID 1 ($(cat /proc/1/comm)), virtualization $(systemd-detect-virt), $(uname -r)"
check "PID 1 is systemd" [ "$(cat /proc/1/comm)" = systemd ]
check "the guest is a VM to systemd, not a container ($(systemd-detect-virt))" bash -c '! systemd-detect-virt -c -q'
check "no Vigil on the box yet (not installed, no unit, no configuration)" \
    bash -c "! dpkg -s vigil >/dev/null 2>&1 && [ \"\$(systemctl show -p LoadState --value vigil.service)\" = not-found ] && [ ! -e /etc/vigil ]"
echo "       boot: $(systemd-analyze time 2>/dev/null | head -1)"

# --- the lab: eth0 here, the peer and a client beside it on one bridge ---------------------
switch br0
ip link add eth0 type veth peer name ${P}here netns ${P}sw
ip -n ${P}sw link set ${P}here master br0 up
ip addr add 192.0.2.11/24 dev eth0; ip link set eth0 up
port peer eth0 br0 192.0.2.12/24
port client eth0 br0 192.0.2.50/24
CLIENT=${P}client
# A real server for a FNAT virtual server (from the reload on): on the client's own subnet,
# so only the source translation brings its answers back through this box (untranslated,
# it would answer the client directly and the connection would fail). 192.0.2.70 is this
# box's translation pool, configured as an operator would; forwarding on for the answers.
port rs eth0 br0 192.0.2.60/24
line_server rs 80
wait_until 30000 grep -q listening "$W/rs.out" || fail "the line server on rs did not start"
ip addr add 192.0.2.70/24 dev eth0
sysctl -qw net.ipv4.ip_forward=1
mkdir -p "$W/peer-root"
dpkg-deb -x "$DEB" "$W/peer-root"
PEER_VIGIL=$W/peer-root/usr/sbin/vigil
# The peer accepts adverts whatever their address list (vrrp_skip_check_adv_addr): this box's
# list changes during the drill, the peer's stays.
vrrp_conf 100 "$VIP $VIP2" "    vrrp_skip_check_adv_addr" "" peer > "$W/peer.conf"
ip netns exec $PEER "$PEER_VIGIL" run -f "$W/peer.conf" --pid-file "$W/peer.pid" --control-socket "$W/peer.sock" > "$W/peer.log" 2>&1 &
PEER_PID=$!; PIDS+=($PEER_PID)
phase_end "lab (veth, the peer started)"

# --- 1. install: nothing enabled, nothing started ------------------------------------------
t0=$(now_ms)
timeout 180 apt-get install -y -q --no-install-recommends "$DEB" > "$W/apt-install.txt" 2>&1; rc=$?
t_install=$(ms_since $t0)
check "apt install ./$(basename "$DEB"): exit 0 in $t_install ms" test $rc = 0 || tail -5 "$W/apt-install.txt"
check "  installed: $(dpkg-query -W -f='${Package} ${Version} ${Status}' vigil 2>&1)" \
    bash -c "dpkg-query -W -f='\${Status}' vigil | grep -q 'install ok installed'"
dpkg -L vigil > "$W/files.txt"
check "  dpkg -L lists $(wc -l < "$W/files.txt") paths, the unit among them" grep -qx /lib/systemd/system/vigil.service "$W/files.txt"
check "  the example configuration is all comments (no active line)" bash -c "! grep -Ev '^[[:space:]]*(#|\$)' $CONF"
check "  not enabled ($(systemctl is-enabled vigil 2>&1)) and not started ($(systemctl is-active vigil 2>&1))" \
    bash -c "[ \"\$(systemctl is-enabled vigil)\" = disabled ] && ! systemctl is-active -q vigil && [ \"\$(prop ExecMainPID)\" = 0 ]"
# How the package decides: its postinst only reloads systemd on a first install and
# try-restarts on an upgrade; it never enables (no deb-systemd-helper enable).
check "  the postinst enables nothing (daemon-reload; try-restart only when upgrading)" \
    bash -c "sed 's/#.*//' /var/lib/dpkg/info/vigil.postinst > $W/postinst.code && grep -q 'try-restart' $W/postinst.code && ! grep -Eq 'deb-systemd-helper|enable' $W/postinst.code"
check "the peer is master meanwhile (alone)" wait_until 15000 has_vip_peer $VIP
check "ip_vs is not loaded yet (as on a fresh box: the unit loads it)" bash -c "! grep -q '^ip_vs ' /proc/modules"
phase_end "install (apt, fresh)"

# --- 2. start: READY=1, the VIP, status, journal priorities ---------------------------------
# priority 255: this box is master from its start (RFC: no wait for Master_Down_Interval),
# so the VIP must be there once READY=1 is in. A script without enable_script_security
# makes a warning (as keepalived's SECURITY VIOLATION), and 255 without owning the address
# another.
vrrp_conf 255 "$VIP" "" "    track_script {
        chk_true
    }" sys-a "vrrp_script chk_true {
    script /bin/true
    interval 2
}" > $CONF
check "systemctl enable vigil ($(systemctl enable vigil 2>&1 | tail -1))" bash -c "[ \"\$(systemctl is-enabled vigil)\" = enabled ]"
t0=$(now_ms)
timeout 60 systemctl start vigil; rc=$?
t_start=$(ms_since $t0)
has_vip_here $VIP; vip_at_return=$?
state_at_return=$(prop ActiveState)/$(prop SubState)
status_at_return=$(prop StatusText)
check "systemctl start vigil: exit $rc in $t_start ms, $state_at_return at return" bash -c "[ $rc = 0 ] && [ $state_at_return = active/running ]"
check "  the VIP was already up when it returned" test $vip_at_return = 0
check "  READY=1 came with its STATUS (\"$status_at_return\")" bash -c 'grep -q MASTER <<< "$1"' _ "$status_at_return"
# Type=notify: the unit became active at READY=1, not at the exec (Type=simple would have
# both at once); systemd's own timestamps, monotonic clock.
ready_after=$(( ($(prop ActiveEnterTimestampMonotonic) - $(prop ExecMainStartTimestampMonotonic)) / 1000 ))
check "  active at READY=1, $ready_after ms after the exec (systemd's timestamps)" test "$ready_after" -gt 0
systemctl status vigil --no-pager -n 0 > "$W/status.txt" 2>&1
sed 's/^/       | /' "$W/status.txt" | head -12
check "systemctl status vigil shows the STATUS= line" grep -q "Status: \".*MASTER" "$W/status.txt"
# journalctl -p warning, each entry with its PRIORITY and PID (the daemon's lines carry journald's <N>).
entries() {   # [journalctl options]: "PRIORITY PID MESSAGE" per entry of the unit
    journalctl -u vigil.service --no-pager -o json "$@" |
        python3 -c 'import json, sys; [print(e.get("PRIORITY"), e.get("_PID"), e.get("MESSAGE")) for e in map(json.loads, sys.stdin)]'
}
entries -p warning > "$W/warn.txt"
entries > "$W/all.txt"
echo "       journalctl -u vigil -p warning (PRIORITY PID MESSAGE):"; sed 's/^/       | /' "$W/warn.txt"
mainpid=$(main_pid)
check "journalctl -p warning: the configuration's warning with its file:line:col, PRIORITY=4, from the daemon (pid $mainpid)" \
    grep -Eq "^4 $mainpid $CONF:[0-9]+:[0-9]+: warning: scripts will run as root" "$W/warn.txt"
check "  and its own warning about enable_script_security, PRIORITY=4" grep -Eq "^4 $mainpid warning: scripts run as root without enable_script_security" "$W/warn.txt"
check "  an info line (the transition) is not among them, and is in the journal at PRIORITY=6" \
    bash -c "! grep -q -- '-> MASTER' '$W/warn.txt' && grep -Eq '^6 $mainpid .*-> MASTER' '$W/all.txt'"
check "the peer stepped back (VIP only here)" wait_until 5000 bash -c "! ip -n $PEER -4 -o addr show | grep -q ' $VIP/'"
check "ip_vs loaded by the unit's ExecStartPre (no virtual server yet)" grep -q '^ip_vs ' /proc/modules
phase_end "start (READY, status, journal)"

# --- 3. reload: applied; refused ---------------------------------------------------------------
pid_before=$(main_pid)
# With Vigil's own announce block (on @vigil lines): the unit must let it hold its tun device.
ANNOUNCED=203.0.113.50
# And a FNAT virtual server (Vigil's words): IPVS and its source translation under the sandbox.
{ vrrp_conf 150 "$VIP $VIP2" "" "" sys-a
  printf '@vigil announce %s {\n@vigil     vrrp_instance VI_1\n@vigil }\n' $ANNOUNCED
  cat <<FNAT
local_address_group pool {
    192.0.2.70
}
virtual_server $VIP 80 {
    delay_loop 2
    lb_algo rr
    lb_kind FNAT
    laddr_group_name pool
    protocol TCP
    real_server 192.0.2.60 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
FNAT
} > $CONF
announced_here() { ip route show table main proto 250 | grep -q "^$ANNOUNCED dev vigil0 "; }
# FNAT: N connections from the client through the VIP, each a line; prints "answered" and
# the peers the real server saw (it answers "rs PEER LINE").
fnat_requests() {   # N
    ip netns exec $CLIENT python3 - "$1" "$VIP" <<'PY'
import socket, sys
n, vip, answered, peers = int(sys.argv[1]), sys.argv[2], 0, set()
for i in range(n):
    try:
        with socket.create_connection((vip, 80), timeout=2) as s:
            s.sendall(b"hello-%d\n" % i)
            words = s.makefile("rb").readline().split()
            if words[:1] == [b"rs"] and words[2:] == [b"hello-%d" % i]:
                answered += 1; peers.add(words[1].decode())
    except OSError:
        pass
print(answered, ",".join(sorted(peers)) or "-")
PY
}
fnat_service() { ipvsadm -Sn | grep -q -- "-a -t $VIP:80 -r 192.0.2.60:80 -m"; }
fnat_table() { nft list table inet vigil_fullnat 2>/dev/null | grep -q "snat ip to 192.0.2.70"; }
n=$(jcount "reloaded $CONF"); t0=$(now_ms)
timeout 60 systemctl reload vigil; rc=$?
wait_until 10000 has_vip_here $VIP2; got=$?
t_reload=$(ms_since $t0)
check "systemctl reload (priority 150, a second VIP): exit $rc, $VIP2 up $t_reload ms after the call" bash -c "[ $rc = 0 ] && [ $got = 0 ]"
check "  same process ($pid_before), still active, $VIP kept" bash -c "[ \"\$(prop MainPID)\" = $pid_before ] && systemctl is-active -q vigil && ip -4 -o addr | grep -q ' $VIP/'"
check "  the journal says reloaded" wait_until 5000 jgrew "reloaded $CONF" $n
check "  announce under the unit's sandbox: $ANNOUNCED dev vigil0 proto 250 while master ($(ip route show table main proto 250 | head -1))" \
    wait_until 5000 announced_here
# FRR as Debian runs it (frr.service) with the shipped director file, as its comment says
# to install it: its bgpd takes Vigil's route from the kernel. (The harness masks the
# units the host enabled: frr.service is unmasked first.)
if [ -x /usr/lib/frr/bgpd ]; then
    cp "$HERE/../../etc/frr/director-bgpd.conf" /etc/frr/frr.conf
    sed -i 's/^bgpd=no/bgpd=yes/; s/^bfdd=no/bfdd=yes/' /etc/frr/daemons
    systemctl unmask frr.service > /dev/null 2>&1
    timeout 120 systemctl restart frr.service; rc=$?
    in_bgp() { timeout 20 vtysh -c "show ip bgp $ANNOUNCED/32" 2> /dev/null | grep -q "$ANNOUNCED/32"; }
    check "  Debian's frr.service with etc/frr/director-bgpd.conf (bgpd, bfdd): restart exit $rc" test $rc = 0
    check "    bgpd has $ANNOUNCED/32 from the kernel, redistributed from vigil0 (show ip bgp)" wait_until 30000 in_bgp
    FRR_SERVICE=yes
else
    fail "FRR is not installed (make deps installs it): the announcement under Debian's frr.service is not proved"
fi
check "  FNAT under the unit's sandbox: the IPVS service with its real server (masquerade)" wait_until 10000 fnat_service
check "    net.ipv4.vs.conntrack set to 1 (\"$(journal | grep -o 'FNAT: net.ipv4.vs.conntrack.*' | tail -1)\")" \
    bash -c "[ \"\$(cat /proc/sys/net/ipv4/vs/conntrack)\" = 1 ]"
check "    table inet vigil_fullnat translates to the pool (\"$(journal | grep -o 'FNAT: [0-9]* source translation.*' | tail -1)\")" fnat_table
check "    no FNAT error in the journal" bash -c "! journal -p err | grep -q FNAT"
read -r answered peers <<< "$(fnat_requests 10)"
check "    10 connections through the VIP: $answered answered, the real server saw $peers (the pool, never the client)" \
    bash -c "[ '$answered' = 10 ] && [ '$peers' = 192.0.2.70 ]"
cp $CONF "$W/good.conf"
{ cat "$W/good.conf"; printf 'vrrp_instance VI_2 {\n    interface eth0\n    priority nonsense\n'; } > $CONF
n=$(jcount "reload refused")
timeout 60 systemctl reload vigil; rc=$?
wait_until 10000 jgrew "reload refused" $n
refused=$(journal | grep -E "reload refused: $CONF:[0-9]+:[0-9]+: error" | tail -1)
check "a broken file: systemctl reload exit $rc, the journal has file:line:col (${refused#reload refused: })" test -n "$refused"
check "  the unit stays active, same process, the running configuration stays ($VIP and $VIP2 up)" \
    bash -c "systemctl is-active -q vigil && [ \"\$(prop MainPID)\" = $pid_before ] && ip -4 -o addr | grep -q ' $VIP/' && ip -4 -o addr | grep -q ' $VIP2/'"
check "  STATUS says the reload was refused ($(prop StatusText))" bash -c "systemctl show -p StatusText --value vigil | grep -q refused"
cp "$W/good.conf" $CONF
phase_end "reload (applied, refused)"

# --- 4. stop: exit 0, VIPs gone, the peer at Skew_Time -------------------------------------------
ip netns exec $PEER tcpdump -i eth0 -nn -tt -l -Z root 'ip proto 112' > "$W/adverts.txt" 2> "$W/tcpdump.err" &
TCPDUMP=$!; PIDS+=($TCPDUMP)
wait_until 15000 grep -q "listening on" "$W/tcpdump.err" || fail "tcpdump did not start"
wait_until 8000 grep -q "192.0.2.11 > 224.0.0.18" "$W/adverts.txt"
pinger_start "$W/stop.ping"
t0=$(now_ms)
timeout 60 systemctl stop vigil; rc=$?
t_stop=$(ms_since $t0)
wait_until 5000 has_vip_peer $VIP; sleep 0.3
pinger_stop
read -r sent got silence <<< "$(pinger_figures "$W/stop.ping")"
check "  a client pinging the VIP every 5 ms: $got of $sent replies, longest silence $silence ms (make-before-break: none lost)" \
    bash -c "[ $sent -gt 100 ] && [ $sent = $got ]"
check "systemctl stop vigil: exit $rc in $t_stop ms; ExecMainCode=$(prop ExecMainCode) (1: exited) ExecMainStatus=$(prop ExecMainStatus), $(prop ActiveState)" \
    bash -c "[ $rc = 0 ] && [ \"\$(prop ExecMainStatus)\" = 0 ] && [ \"\$(prop ExecMainCode)\" = 1 ] && [ \"\$(prop ActiveState)\" = inactive ]"
check "  both VIPs gone from this box" bash -c "! ip -4 -o addr | grep -q ' $VIP/\| $VIP2/'"
check "  the announcement withdrawn, vigil0 gone, nothing of protocol 250 left" \
    bash -c "! ip link show vigil0 > /dev/null 2>&1 && [ -z \"\$(ip route show table all proto 250)\" ]"
if [ "${FRR_SERVICE:-}" = yes ]; then
    check "  and frr.service's bgpd no longer has $ANNOUNCED/32" wait_until 15000 eval '! in_bgp'
    timeout 60 systemctl stop frr.service
fi
check "  FNAT: the IPVS service and table inet vigil_fullnat gone, net.ipv4.vs.conntrack back to $(cat /proc/sys/net/ipv4/vs/conntrack) (was 0)" \
    bash -c "[ -z \"\$(ipvsadm -Sn)\" ] && ! nft list table inet vigil_fullnat > /dev/null 2>&1 && [ \"\$(cat /proc/sys/net/ipv4/vs/conntrack)\" = 0 ]"
check "  the peer is master" wait_until 5000 has_vip_peer $VIP
sleep 0.5; kill $TCPDUMP 2>/dev/null; wait $TCPDUMP 2>/dev/null
takeover=$(awk '/192.0.2.11 > 224.0.0.18.* prio 0,/ && !z { z = $1 } z && /192.0.2.12 > 224.0.0.18/ { printf "%d", ($1 - z) * 1000; exit }' "$W/adverts.txt")
check "  on the wire: priority-0 advert -> the peer's first advert in ${takeover:-?} ms (Skew_Time $SKEW_MS ms; allowed +300 for the emulated CPU)" \
    bash -c "[ -n '$takeover' ] && [ '$takeover' -ge $((SKEW_MS - 20)) ] && [ '$takeover' -le $((SKEW_MS + 300)) ]"
phase_end "stop (Skew_Time)"

# --- 5. start again as a backup; kill -9; Restart=on-failure ----------------------------------
t0=$(now_ms)
timeout 60 systemctl start vigil; rc=$?
t_start2=$(ms_since $t0)
wait_until 25000 has_vip_here $VIP; got=$?
t_master=$(ms_since $t0)
check "systemctl start (priority 150, the peer master): exit $rc in $t_start2 ms; READY as a backup, master by preemption $t_master ms after the call" \
    bash -c "[ $rc = 0 ] && [ $got = 0 ]"
check "  the peer stepped back" wait_until 5000 bash -c "! ip -n $PEER -4 -o addr show | grep -q ' $VIP/'"
old=$(main_pid); restarts=$(prop NRestarts)
sampler_start "$W/kill.samples"
n_kill=$(jcount 'status=9/KILL'); n_sched=$(jcount 'Scheduled restart job'); n_stale=$(jcount 'left from an earlier run')
t0=$(now_ms); t_kill=$(cut -d' ' -f1 /proc/uptime)   # CLOCK_BOOTTIME: the sampler's clock (no suspend here)
kill -9 "$old"
wait_until 20000 bash -c "p=\$(systemctl show -p MainPID --value vigil); [ \"\$p\" != 0 ] && [ \"\$p\" != $old ] && systemctl is-active -q vigil"; got=$?
t_restart=$(ms_since $t0)
check "kill -9 $old: Restart=on-failure brought pid $(main_pid) back, active $t_restart ms after the kill (NRestarts $restarts -> $(prop NRestarts))" \
    bash -c "[ $got = 0 ] && [ \"\$(prop NRestarts)\" = $((restarts + 1)) ]"
check "  the journal: killed, restart scheduled" bash -c "jgrew 'status=9/KILL' $n_kill && jgrew 'Scheduled restart job' $n_sched"
check "  the stale VIP removed before the election (\"left from an earlier run\")" \
    jgrew 'left from an earlier run' $n_stale
check "  master again" wait_until 25000 bash -c "ip -4 -o addr | grep -q ' $VIP/' && ! ip -n $PEER -4 -o addr | grep -q ' $VIP/'"
check "  the restart removed the crash's leftover local route (\"$(journal | grep -o 'removed a route an earlier run left: .*' | tail -1)\") and announces again" \
    bash -c "$(declare -f journal announced_here); ANNOUNCED=$ANNOUNCED; journal | grep -q 'removed a route an earlier run left: local $ANNOUNCED/32' && announced_here"
read -r answered peers <<< "$(fnat_requests 10)"
check "  FNAT after the restart: 10 connections, $answered answered through the pool ($peers)" \
    bash -c "$(declare -f fnat_table); [ '$answered' = 10 ] && [ '$peers' = 192.0.2.70 ] && fnat_table"
sampler_stop
s=$W/kill.samples
n=$(wc -l < "$s")
# From the kill, the VIP stays here (the dead daemon's, stale) until the new daemon removes it:
# the leading run of samples with it here. The peer must not hold it then.
stale_ms=$(awk -v k="$t_kill" '!$2 { print int(($1 - k) * 1000); exit }' "$s")
stale_both=$(awk '!$2 { exit } $3 { b++ } END { print b + 0 }' "$s")
peer_had=$(count "$s" '$3'); neither=$(longest "$s" '!$2 && !$3')
check "  never a duplicate VIP while the stale one was here: $n samples at 20 ms from the kill; the stale VIP here until ${stale_ms:-?} ms after the kill, on both boxes in $stale_both" \
    bash -c "[ $n -gt 100 ] && [ -n '$stale_ms' ] && [ $stale_both = 0 ]"
handback=$(awk 'gone && $2 && $3 { b++ } !$2 { gone = 1 } END { print b + 0 }' "$s")
echo "       then: on neither box for at most $neither ms, the peer held it in $peer_had samples, and took it back from the peer"
# The hand-back by preemption overlaps for a moment, as VRRP does: the returning master adds
# its VIPs, then advertises, and the peer drops them when the advert arrives (under TCG some
# tens of ms, 220 ms seen on a slower emulation: strict mode's advert waits for the drop
# rules). A peer that kept them would show here as a long run: an advert interval (5 s) at
# least, ten times the bound.
check "  the hand-back (preemption) overlaps in $handback samples of 20 ms (<= 25: the returning master adds its VIPs, then advertises; the peer drops them on receipt)" \
    test "$handback" -le 25
phase_end "kill -9 (restart)"

# --- 6. watchdog: a stalled daemon -----------------------------------------------------------
check "the shipped unit sets WatchdogSec (WatchdogUSec=$(prop WatchdogUSec))" bash -c "[ \"\$(prop WatchdogUSec)\" = 10s ]"
old=$(main_pid); n_wd=$(jcount 'Watchdog timeout'); n_sched=$(jcount 'Scheduled restart job'); n_stale=$(jcount 'left from an earlier run')
t0=$(now_ms)
kill -STOP "$old"
wait_until 40000 bash -c "p=\$(systemctl show -p MainPID --value vigil); [ \"\$p\" != 0 ] && [ \"\$p\" != $old ] && systemctl is-active -q vigil"; got=$?
t_wd=$(ms_since $t0)
check "SIGSTOP $old: a new MAINPID $(main_pid), active $t_wd ms after the stop" test $got = 0
check "  the journal: watchdog timeout, then the restart" bash -c "jgrew 'Watchdog timeout' $n_wd && jgrew 'Scheduled restart job' $n_sched"
journal | grep -E "Watchdog timeout|Killing process|Main process exited|Failed with|Scheduled restart" | tail -5 | sed 's/^/       | /'
check "  the new daemon removed the stale VIP (\"left from an earlier run\")" wait_until 5000 jgrew 'left from an earlier run' $n_stale
check "  the VIP back here" wait_until 25000 bash -c "has_vip_here $VIP && ! has_vip_peer $VIP"
t_wd_vip=$(ms_since $t0)
echo "       VIP back $t_wd_vip ms after the SIGSTOP"
phase_end "watchdog (SIGSTOP)"

# --- 7. exposure of the running unit ---------------------------------------------------------
timeout 120 systemd-analyze security vigil.service --no-pager > "$W/security.txt" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for vigil.service: \([0-9.]*\).*/\1/p' "$W/security.txt")
echo "       $(grep 'Overall exposure' "$W/security.txt")"
check "systemd-analyze security vigil.service (online): ${exposure:-?} <= 2.5" \
    bash -c "[ -n '$exposure' ] && awk 'BEGIN { exit !($exposure <= 2.5) }'"
phase_end "security"

# --- 7b. restart while master: the VIP goes to the peer and comes back, no reply lost ---------
# The stop hands over make-before-break (this box keeps the VIP until the peer's first advert),
# the new daemon starts as backup and preempts the peer (priority 150 > 100) after
# Master_Down_Interval; the peer, hearing it, lets go only then.
old=$(main_pid)
pinger_start "$W/restart.ping"
sampler_start "$W/restart.samples"
t0=$(now_ms)
timeout 60 systemctl restart vigil; rc=$?
t_restart_cmd=$(ms_since $t0)
check "systemctl restart while master: exit $rc in $t_restart_cmd ms, pid $old -> $(main_pid)" bash -c "[ $rc = 0 ] && [ \"\$(prop MainPID)\" != $old ]"
check "  the peer took the VIP meanwhile" bash -c "awk '\$3' '$W/restart.samples' | grep -q ."
check "  master again (preempted back)" wait_until 25000 bash -c "has_vip_here $VIP && ! has_vip_peer $VIP"
sleep 0.3
pinger_stop; sampler_stop
read -r sent got silence <<< "$(pinger_figures "$W/restart.ping")"
s=$W/restart.samples; neither=$(count "$s" '!$2 && !$3'); both=$(count "$s" '$2 && $3')
echo "       restart: $got of $sent ping replies, longest silence $silence ms; $(wc -l < "$s") samples at 20 ms: on neither box $neither, on both $both"
check "  a client pinging the VIP every 5 ms through the restart and the return lost no reply ($got of $sent)" \
    bash -c "[ $sent -gt 1000 ] && [ $sent = $got ]"
check "  the VIP was never on neither box (sampled every 20 ms)" test "$neither" = 0
t_restart_silence=$silence
phase_end "restart (make-before-break)"

# --- 8. script_user with the drop-in; strict mode and a VMAC for what follows ------------------
install -D -m 0644 /usr/share/doc/vigil/examples/vigil-script-user.conf /etc/systemd/system/vigil.service.d/script-user.conf
systemctl daemon-reload
cat > /etc/vigil/uid.sh <<'EOF'
#!/bin/sh
id -u > /tmp/vigil-notify-uid
EOF
chmod 0755 /etc/vigil/uid.sh
vrrp_conf 150 "$VIP $VIP2" "    script_user nobody
    enable_script_security
    vrrp_strict" "    use_vmac
    notify_master /etc/vigil/uid.sh" sys-a > $CONF
t0=$(now_ms)
timeout 60 systemctl restart vigil; rc=$?
check "script_user nobody + the drop-in: systemctl restart exit $rc" test $rc = 0
check "  master again (on the macvlan vrrp.51)" wait_until 25000 bash -c "ip -4 -o addr show dev vrrp.51 | grep -q ' $VIP/'"
# The unit's /tmp is private (PrivateTmp): read it in the daemon's mount namespace.
uid_of() { nsenter -t "$(main_pid)" -m cat /tmp/vigil-notify-uid 2>/dev/null; }
wait_until 10000 bash -c "[ -n \"\$(nsenter -t $(main_pid) -m cat /tmp/vigil-notify-uid 2>/dev/null)\" ]"
check "  notify_master ran as nobody: id -u wrote $(uid_of) (the unit's private /tmp)" test "$(uid_of)" = "$(id -u nobody)"
check "  vrrp_strict: table inet vigil is there" nft list table inet vigil > /dev/null
timeout 120 systemd-analyze security vigil.service --no-pager 2>/dev/null | grep 'Overall exposure' | sed 's/^/       with the drop-in: /'
phase_end "script_user (drop-in)"

# --- 9. upgrade while master ---------------------------------------------------------------------
old=$(main_pid); old_version=$(dpkg-query -W -f='${Version}' vigil)
sampler_start "$W/upgrade.samples"
t0=$(now_ms)
timeout 180 apt-get install -y -q --no-install-recommends "$NEXT" > "$W/apt-upgrade.txt" 2>&1; rc=$?
t_upgrade=$(ms_since $t0)
check "apt install ./$(basename "$NEXT"): exit $rc in $t_upgrade ms ($old_version -> $(dpkg-query -W -f='${Version}' vigil))" \
    bash -c "[ $rc = 0 ] && [ \"\$(/usr/sbin/vigil --version)\" = \"\$(dpkg-query -W -f='\${Version}' vigil)\" ]" || tail -5 "$W/apt-upgrade.txt"
check "  the running service was restarted onto it (pid $old -> $(main_pid)), still enabled, configuration kept" \
    bash -c "[ \"\$(prop MainPID)\" != $old ] && systemctl is-active -q vigil && [ \"\$(systemctl is-enabled vigil)\" = enabled ] && grep -q 'script_user nobody' $CONF"
check "  master again" wait_until 25000 bash -c "ip -4 -o addr | grep -q ' $VIP/' && ! ip -n $PEER -4 -o addr | grep -q ' $VIP/'"
sleep 0.3
sampler_stop
s=$W/upgrade.samples
n=$(wc -l < "$s"); away=$(longest "$s" '!$2'); gap=$(longest "$s" '!$2 && !$3'); peer_had=$(count "$s" '$3'); both=$(count "$s" '$2 && $3')
echo "       upgrade: $n samples at 20 ms; the VIP left this box for $away ms, the peer held it in $peer_had samples;"
echo "       held by neither box for at most $gap ms; on both in $both samples (the hand-overs)"
check "  the VIP moved to the peer and came back (try-restart = stop + start), never on neither box (make-before-break)" \
    bash -c "[ $n -gt 100 ] && [ $peer_had -gt 0 ] && [ $(count "$s" '!$2 && !$3') = 0 ]"
phase_end "upgrade"

# --- 10. purge: nothing left ---------------------------------------------------------------------
check "before the purge: the macvlan and table inet vigil exist" bash -c "ip -o link show type macvlan | grep -q vrrp.51 && nft list table inet vigil >/dev/null"
dpkg -L vigil > "$W/files.txt"
t0=$(now_ms)
timeout 180 apt-get purge -y -q vigil > "$W/apt-purge.txt" 2>&1; rc=$?
t_purge=$(ms_since $t0)
check "apt purge vigil: exit $rc in $t_purge ms; dpkg knows no vigil" bash -c "[ $rc = 0 ] && ! dpkg -s vigil >/dev/null 2>&1" || tail -5 "$W/apt-purge.txt"
check "  nothing running: unit $(prop LoadState)/$(prop ActiveState), no /usr/sbin/vigil process" \
    bash -c "! systemctl is-active -q vigil && ! pgrep -f '^/usr/sbin/vigil' >/dev/null"
check "  no VIP on this box" bash -c "! ip -4 -o addr | grep ' $VIP/\| $VIP2/'"
check "  no macvlan" bash -c "[ -z \"\$(ip -o link show type macvlan)\" ]"
check "  no table inet vigil" bash -c "! nft list table inet vigil 2>/dev/null"
left=$(while read -r f; do [ -e "$f" ] && [ ! -d "$f" ] && echo "$f"; [ -d "$f" ] && case $f in *vigil*) echo "$f/" ;; esac; done < "$W/files.txt")
check "  none of the package's $(wc -l < "$W/files.txt") paths left${left:+: $left}" test -z "$left"
left=$(ls -d /etc/vigil /etc/systemd/system/vigil.service.d /run/vigil/vigil.sock /run/vigil/vigil.pid 2>/dev/null; find /etc/systemd/system -name 'vigil.service*')
check "  no configuration, drop-in, enable link, socket or pid file left${left:+: $left}" test -z "$left"
check "  the peer took over" wait_until 10000 has_vip_peer $VIP
phase_end "purge"

echo "== times: $(printf '%s; ' "${TIMES[@]}")"
echo "== start $t_start ms (VIP up at return), reload $t_reload ms, stop $t_stop ms, takeover ${takeover:-?} ms (Skew_Time $SKEW_MS),"
echo "   restart after kill -9 $t_restart ms, watchdog restart $t_wd ms (VIP back $t_wd_vip ms), exposure ${exposure:-?},"
echo "   restart while master $t_restart_cmd ms (longest ping silence $t_restart_silence ms),"
echo "   upgrade $t_upgrade ms (VIP away $away ms, on neither box $gap ms), install $t_install ms, purge $t_purge ms"
exit $FAILED

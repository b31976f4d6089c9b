#!/usr/bin/env bash
# One daemon per box, and the credentials it needs, checked before anything is touched:
# - a second `vigil run` in the same network namespace (same file, its own pid file and
#   control socket) exits 2 naming the running PID, and the first one's VIP is present in
#   every sample taken every 20 ms meanwhile;
# - a daemon in another namespace is not refused (each namespace is its own box);
# - after kill -9 of the first, a new daemon starts (the kernel released the lock);
# - `vigil run` without CAP_NET_RAW (or CAP_NET_ADMIN) exits 2 naming it, VIP untouched;
# - `vigil --version` prints the build's version, `vigil status` shows it.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
echo "one daemon per box; capabilities checked at start"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24

c1=$(vrrp_conf lb1 100 version=3 advert=0.1 state=MASTER)
vigil_start lb1 "$c1"
check "lb1 becomes master" wait_until 3000 has_vip lb1 $VIP
first=${PID[lb1]}
check "the lock file names lb1's daemon" sh -c "grep -qx '$first' /run/vigil/vigil-net-*.lock 2>/dev/null"

# Sample the VIP every 20 ms while a second daemon tries to start beside the first.
sampler() { local i; for ((i = 0; i < 150; i++)); do if has_vip lb1 $VIP; then echo 1; else echo 0; fi; sleep 0.02; done; }
sampler > "$LABDIR/samples" & sampling=$!; HELPERS+=($sampling)
sleep 0.3
in_box lb1 timeout 20 "$VIGIL" run -f "$c1" --pid-file "$LABDIR/second.pid" --control-socket "$LABDIR/second.sock" \
    > "$LABDIR/second.txt" 2>&1; rc=$?
wait $sampling
samples=$(grep -c . "$LABDIR/samples"); missing=$(grep -c '^0$' "$LABDIR/samples")
echo "       second daemon: exit $rc: $(head -1 "$LABDIR/second.txt")"
echo "       lb1's VIP sampled every 20 ms: missing in $missing of $samples samples"
check "a second daemon in the same namespace exits 2" test "$rc" = 2
check "it names the running daemon's pid ($first)" grep -q "another vigil (pid $first) runs in this network namespace" "$LABDIR/second.txt"
check "it wrote no pid file" test ! -e "$LABDIR/second.pid"
check "the VIP was sampled (>= 100 samples)" test "$samples" -ge 100
check "lb1's VIP present in every sample" test "$missing" = 0
check "lb1's daemon still runs, its pid file intact" sh -c "kill -0 $first && grep -qx '$first' '$LABDIR/lb1.pid'"
check "no removal logged by anyone" sh -c "! grep -q 'left from an earlier run' '$LABDIR/lb1.log' '$LABDIR/second.txt'"

# Another namespace is another box: not refused.
c2=$(vrrp_conf lb2 90 version=3 advert=0.1)
vigil_start lb2 "$c2"
check "a daemon in another namespace starts (lb2 backup)" holds_for 1000 sh -c "kill -0 ${PID[lb2]}"
check "lb2 stays backup" lacks_vip lb2 $VIP
daemon_stop lb2

# kill -9: the lock dies with the process; the next daemon starts and cleans up.
daemon_kill lb1
check "the VIP is left behind by kill -9" has_vip lb1 $VIP
vigil_start lb1 "$c1"
check "a new daemon starts after kill -9 (stale VIP removed, master again)" \
    wait_until 3000 sh -c "grep -q 'left from an earlier run' '$LABDIR/lb1.log' && ip -n ${LAB}lb1 -o addr show | grep -q ' $VIP/'"
check "the lock names the new daemon" sh -c "grep -qx '${PID[lb1]}' /run/vigil/vigil-net-*.lock 2>/dev/null"

# Capabilities: without CAP_NET_RAW (bounding set), exit 2 naming it, before anything.
for cap in net_raw net_admin; do
    in_box lb1 setpriv --bounding-set -$cap timeout 20 "$VIGIL" run -f "$c1" --control-socket "" > "$LABDIR/caps.txt" 2>&1; rc=$?
    name=$(echo "CAP_$cap" | tr a-z A-Z)
    echo "       without $name: exit $rc: $(head -1 "$LABDIR/caps.txt")"
    check "without $name: exit 2 naming $name" sh -c "[ $rc = 2 ] && grep -q 'missing capabilities $name' '$LABDIR/caps.txt'"
    check "without $name: refused before the lock (no 'another vigil')" sh -c "! grep -q 'another vigil' '$LABDIR/caps.txt'"
done
check "the running master kept its VIP" has_vip lb1 $VIP

# The version: from git, in --version and in vigil status.
version=$("$VIGIL" --version)
echo "       vigil --version: $version"
check "vigil --version prints a version" sh -c "echo '$version' | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+|^unknown$'"
in_box lb1 "$VIGIL" status --socket "$LABDIR/lb1.sock" > "$LABDIR/status.txt" 2>&1
check "vigil status shows the version" grep -q "^vigil $version pid ${PID[lb1]}" "$LABDIR/status.txt"
daemon_stop lb1
check "SIGTERM: exit 0" test "$STATUS" = 0

# A reload is held to the same rule: a configuration whose scripts need capabilities this
# process lacks (script_user nobody: CAP_SETUID/SETGID/KILL) is refused, and the running
# one stays.
cp "$c1" "$LABDIR/caps.conf"
spawn "$LABDIR/lb1.log" ip netns exec "${LAB}lb1" setpriv --bounding-set -setuid,-setgid,-kill \
    "$VIGIL" run -f "$LABDIR/caps.conf" --pid-file "$LABDIR/lb1.pid" --control-socket "$LABDIR/lb1.sock"
PID[lb1]=$!
KIND[lb1]=vigil
check "without the script capabilities a configuration without scripts runs (master)" wait_until 3000 has_vip lb1 $VIP
sed -i 's/^global_defs {/global_defs {\n    script_user nobody\n    enable_script_security/' "$LABDIR/caps.conf"
sed -i 's|^vrrp_instance VI_1 {|vrrp_instance VI_1 {\n    notify_master /bin/true|' "$LABDIR/caps.conf"
kill -HUP "${PID[lb1]}"
check "a reload needing CAP_SETUID (script_user nobody) is refused, naming it" \
    wait_until 3000 log_has lb1 "reload refused: missing capabilities CAP_SETUID"
check "the running configuration stays (master, VIP held)" has_vip lb1 $VIP
daemon_stop lb1
check "SIGTERM: exit 0" test "$STATUS" = 0
finish

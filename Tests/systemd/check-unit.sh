#!/usr/bin/env bash
# make install into a scratch root, then the unit checked as systemd would: it parses
# (systemd-analyze verify), its exposure score is at most 2.5 ("OK") and is printed beside
# Debian's keepalived.service, and with the script-user drop-in too. No root needed.
#   Tests/systemd/check-unit.sh [VIGIL_BINARY]
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-.build/debug/vigil}
root=$(mktemp -d /tmp/vigil-install.XXXXXX)
trap 'rm -rf "$root"' EXIT
failed=0
ok()   { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; failed=1; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

make -s install DESTDIR="$root" BIN="$BIN" PREFIX=/usr/local > "$root.log" 2>&1 || { cat "$root.log"; fail "make install"; }
rm -f "$root.log"
check "make install: the binary" test -x "$root/usr/local/sbin/vigil"
check "make install: the unit" test -f "$root/etc/systemd/system/vigil.service"
check "make install: the example configuration (0640)" test "$(stat -c %a "$root/etc/vigil/vigil.conf")" = 640
check "make install: the script-user drop-in" test -f "$root/usr/local/share/vigil/vigil-script-user.conf"
check "the installed configuration passes vigil check" "$root/usr/local/sbin/vigil" check -f "$root/etc/vigil/vigil.conf"
make -s install DESTDIR="$root" BIN="$BIN" > "$root.log" 2>&1
check "a second make install keeps the operator's configuration" grep -q "kept the existing" "$root.log"
rm -f "$root.log"
sed 's|/usr/local/sbin/vigil|'"$root"'/usr/local/sbin/vigil|g; s|/etc/vigil/vigil.conf|'"$root"'/etc/vigil/vigil.conf|g' \
    "$root/etc/systemd/system/vigil.service" > "$root/vigil.service"
verify=$(systemd-analyze verify "$root/vigil.service" 2>&1 | grep -v "^$")
check "systemd-analyze verify: no complaint${verify:+ ($verify)}" test -z "$verify"

# The unit's own command lines, run as systemd would run them (paths moved into the
# scratch root), in a namespace that has the example's eth0: ExecStart must start and stop
# cleanly on SIGTERM, and refuse a broken file before touching anything, saying where, as
# `vigil check --host` would (the unit has no ExecStartPre check) (root only: a network
# namespace).
if [ "$(id -u)" = 0 ]; then
    ns=vgunit$$
    ip netns add $ns && ip -n $ns link add eth0 type veth peer name eth1 && ip -n $ns addr add 192.0.2.11/24 dev eth0 &&
        ip -n $ns link set eth1 up && ip -n $ns link set eth0 up && ip -n $ns link set lo up
    trap 'ip netns del '$ns' 2>/dev/null; rm -rf "$root"' EXIT
    mkdir -p "$root/run/vigil"
    command_of() { sed -n "s|^$1=||p" "$root/vigil.service" | sed "s|/run/vigil/|$root/run/vigil/|g"; }
    check "ExecStartPre only loads ip_vs, outside the sandbox, failure ignored (no check: vigil run checks the file itself)" \
        test "$(command_of ExecStartPre)" = "-+/sbin/modprobe -q ip_vs"
    start=$(command_of ExecStart)
    cp "$root/etc/vigil/vigil.conf" "$root/example.conf"
    printf 'vrrp_instance VI_BROKEN {\n    interface eth0\n    virtual_router_id 300\n}\n' >> "$root/etc/vigil/vigil.conf"
    ip netns exec $ns $start --control-socket "$root/run/vigil/vigil.sock" > "$root/broken.txt" 2>&1; rc=$?
    located=$(grep -m1 -E "vigil.conf:[0-9]+:[0-9]+: error" "$root/broken.txt")
    check "ExecStart refuses a broken file: exit $rc, ${located:-no file:line:col error}" test $rc = 1 -a -n "$located"
    check "  and touched nothing: no VIP, no pid file" \
        bash -c "! ip -n $ns -o addr show dev eth0 | grep -q ' 192.0.2.100/' && ! test -e '$root/run/vigil/vigil.pid'"
    cp "$root/example.conf" "$root/etc/vigil/vigil.conf"
    ip netns exec $ns $start --control-socket "$root/run/vigil/vigil.sock" > "$root/start.txt" 2>&1 &
    daemon=$!
    for _ in $(seq 50); do [ -s "$root/run/vigil/vigil.pid" ] && break; sleep 0.1; done
    check "ExecStart runs the daemon (pid file written)" test -s "$root/run/vigil/vigil.pid"
    kill -TERM $daemon; wait $daemon; rc=$?
    check "  and SIGTERM stops it with exit 0 (got $rc)" test $rc = 0

    # The whole job, confined as the unit confines it (capabilities, no_new_privs, the
    # system call filter; Tests/systemd/confine.py): VRRP master with its VIP and
    # gratuitous ARP, a notify script and a track script run, health checks on SwiftNIO
    # threads, the metrics endpoint, the control socket, a live reload, SIGTERM.
    ip netns exec $ns python3 -m http.server 8080 --bind 127.0.0.1 --directory "$root" > /dev/null 2>&1 &
    web=$!
    cat > "$root/confined.conf" <<CONF
global_defs {
    vrrp_version 3
    metrics_listen 127.0.0.1:9100
}
vrrp_script up {
    script "/bin/true"
    interval 1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.1
    track_script {
        up
    }
    notify_master "/bin/sh -c 'echo master > $root/notified'"
    virtual_ipaddress {
        192.0.2.100/24
    }
}
virtual_server 192.0.2.100 80 {
    delay_loop 1
    protocol TCP
    real_server 127.0.0.1 8080 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF
    ip netns exec $ns setpriv --bounding-set -all,+net_admin,+net_raw \
        python3 Tests/systemd/confine.py systemd/vigil.service \
        "$root/usr/local/sbin/vigil" run -f "$root/confined.conf" --control-socket "$root/run/vigil/vigil.sock" \
        > "$root/confined.log" 2>&1 &
    daemon=$!
    has_vip() { ip -n $ns -4 -o addr show dev eth0 | grep -q " 192.0.2.100/"; }
    for _ in $(seq 100); do has_vip && break; sleep 0.1; done
    check "confined: master with its VIP" has_vip
    for _ in $(seq 50); do [ -s "$root/notified" ] && break; sleep 0.1; done
    check "confined: notify_master ran" test -s "$root/notified"
    scrape() { ip netns exec $ns python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9100/metrics', timeout=3).read().decode())" 2>/dev/null; }
    for _ in $(seq 50); do scrape 2>/dev/null | grep -q 'vigil_real_server_healthy{.*} 1' && break; sleep 0.2; done
    check "confined: a health check passed and the metrics endpoint answers" sh -c "$(declare -f scrape); ns=$ns; scrape | grep -q 'vigil_real_server_healthy{.*} 1'"
    kill -HUP $daemon
    for _ in $(seq 50); do grep -q "reloaded" "$root/confined.log" && break; sleep 0.1; done
    check "confined: a live reload" grep -q "reloaded .*1 unchanged" "$root/confined.log"
    ip netns exec $ns "$root/usr/local/sbin/vigil" status --socket "$root/run/vigil/vigil.sock" > "$root/status.txt" 2>&1
    check "confined: vigil status over the control socket" grep -Eq "^VI_1 +eth0 +51 +MASTER" "$root/status.txt"
    kill -TERM $daemon; wait $daemon; rc=$?
    check "confined: SIGTERM, exit 0 (got $rc)" test $rc = 0
    check "confined: the VIP is removed" sh -c "! ip -n $ns -4 -o addr show dev eth0 | grep -q ' 192.0.2.100/'"
    refused=$(grep -v "^confine.py:" "$root/confined.log" | grep -ci "operation not permitted\|EPERM")
    check "confined: no call refused by the sandbox ($refused in the log)" test "$refused" = 0
    [ $failed = 0 ] || sed 's/^/      /' "$root/confined.log" | tail -20
    kill $web 2>/dev/null; wait $web 2>/dev/null

    # script_user: refused without the drop-in's capabilities, working with them.
    sed "s|^global_defs {|global_defs {\n    script_user nobody|; s|echo master > $root/notified|id -u > $root/drop/uid|" \
        "$root/confined.conf" > "$root/user.conf"
    mkdir -p "$root/drop" && chmod 1777 "$root/drop" && chmod 755 "$root"
    ip netns exec $ns setpriv --bounding-set -all,+net_admin,+net_raw \
        python3 Tests/systemd/confine.py systemd/vigil.service \
        "$root/usr/local/sbin/vigil" run -f "$root/user.conf" --control-socket "" > "$root/user1.log" 2>&1; rc=$?
    check "script_user without the drop-in: refused at start, saying what to install (exit $rc)" \
        sh -c "[ $rc = 2 ] && grep -q 'vigil-script-user.conf' '$root/user1.log'"
    ip netns exec $ns setpriv --bounding-set -all,+net_admin,+net_raw,+setuid,+setgid,+kill \
        python3 Tests/systemd/confine.py systemd/vigil.service:systemd/vigil-script-user.conf \
        "$root/usr/local/sbin/vigil" run -f "$root/user.conf" --control-socket "" > "$root/user2.log" 2>&1 &
    daemon=$!
    for _ in $(seq 100); do [ -s "$root/drop/uid" ] && break; sleep 0.1; done
    check "script_user with the drop-in: notify_master runs as nobody (uid $(cat "$root/drop/uid" 2>/dev/null))" \
        test "$(cat "$root/drop/uid" 2>/dev/null)" = "$(id -u nobody)"
    kill -TERM $daemon; wait $daemon
fi

score() { systemd-analyze security --offline=true "$@" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'; }
vigil=$(score "$root/etc/systemd/system/vigil.service")
mkdir -p "$root/dropin/vigil.service.d"
cp "$root/etc/systemd/system/vigil.service" "$root/dropin/"
cp systemd/vigil-script-user.conf "$root/dropin/vigil.service.d/script-user.conf"
with_dropin=$(cd "$root/dropin" && score vigil.service)
keepalived=""
[ -f /lib/systemd/system/keepalived.service ] && keepalived=$(score /lib/systemd/system/keepalived.service)
echo "       exposure: vigil.service $vigil; with the script-user drop-in $with_dropin; Debian's keepalived.service ${keepalived:-n/a}"
check "vigil.service exposure $vigil <= 2.5 (OK)" awk -v s="${vigil:-99}" 'BEGIN { exit !(s <= 2.5) }'
check "the capability set is CAP_NET_ADMIN CAP_NET_RAW only" grep -qx "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW" systemd/vigil.service
check "Type=notify with ExecReload" sh -c "grep -qx 'Type=notify' systemd/vigil.service && grep -q '^ExecReload=' systemd/vigil.service"
exit $failed

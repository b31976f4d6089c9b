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
# scratch root), in a namespace that has the example's eth0: ExecStartPre must pass,
# ExecStart must start and stop cleanly on SIGTERM (root only: a network namespace).
if [ "$(id -u)" = 0 ]; then
    ns=vgunit$$
    ip netns add $ns && ip -n $ns link add eth0 type veth peer name eth1 && ip -n $ns addr add 192.0.2.11/24 dev eth0 &&
        ip -n $ns link set eth1 up && ip -n $ns link set eth0 up
    trap 'ip netns del '$ns' 2>/dev/null; rm -rf "$root"' EXIT
    mkdir -p "$root/run/vigil"
    command_of() { sed -n "s|^$1=||p" "$root/vigil.service" | sed "s|/run/vigil/|$root/run/vigil/|g"; }
    pre=$(command_of ExecStartPre)
    ip netns exec $ns $pre > "$root/pre.txt" 2>&1; rc=$?
    check "ExecStartPre passes on the installed example ($(tail -1 "$root/pre.txt"))" test $rc = 0
    start=$(command_of ExecStart)
    ip netns exec $ns $start --control-socket "$root/run/vigil/vigil.sock" > "$root/start.txt" 2>&1 &
    daemon=$!
    for _ in $(seq 50); do [ -s "$root/run/vigil/vigil.pid" ] && break; sleep 0.1; done
    check "ExecStart runs the daemon (pid file written)" test -s "$root/run/vigil/vigil.pid"
    kill -TERM $daemon; wait $daemon; rc=$?
    check "  and SIGTERM stops it with exit 0 (got $rc)" test $rc = 0
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

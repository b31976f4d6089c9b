#!/usr/bin/env bash
# Vigil invoked as `keepalived` (a symlink), as keepalived's users and tools call it:
#   - `keepalived -t -f FILE` beside Debian's keepalived -t: 0 on a clean file, 5 on an
#     unknown keyword, both; a missing file is 4 for Vigil (keepalived says 0 without -e);
#   - Debian's unit line `keepalived -n -l -D -f FILE` with -p/-r/-c pid files: master, the
#     pid in each pid file, argv[0]'s basename `keepalived` in ps (what an exporter looks
#     for), `--signum=JSON` then that signal gives keepalived.json, `-v` gives a version an
#     exporter parses, `--version` says --enable-json; SIGTERM: exit 0, pid files gone.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
echo "drop-in: Vigil as keepalived"
command -v keepalived > /dev/null || { echo "  keepalived is not installed"; exit 1; }
mkdir -p "$LABDIR/bin" "$LABDIR/tmp"
ln -s "$VIGIL" "$LABDIR/bin/keepalived"
KA="$LABDIR/bin/keepalived"

lab_switch
lab_box lb1 192.0.2.11/24
conf=$(vrrp_conf lb1 100)
sed 's/virtual_router_id 51/virtual_router_id 51\n    frobnicate 1/' "$conf" > "$LABDIR/unknown.conf"

status_of() { "$@" > /dev/null 2>&1; echo $?; }
for case in "clean:$conf:0" "unknown keyword:$LABDIR/unknown.conf:5"; do
    IFS=: read -r what file want <<< "$case"
    theirs=$(status_of in_box lb1 keepalived -t -f "$file")
    ours=$(status_of in_box lb1 "$KA" -t -f "$file")
    check "keepalived -t, $what: Debian's keepalived exits $theirs, Vigil as keepalived $ours (both $want)" \
        test "$theirs" = "$want" -a "$ours" = "$want"
done
theirs=$(status_of in_box lb1 keepalived -t -f "$LABDIR/missing.conf")
ours=$(status_of in_box lb1 "$KA" -t -f "$LABDIR/missing.conf")
check "keepalived -t, a missing file: Vigil exits 4 (keepalived: $theirs, 4 only with -e)" test "$ours" = 4
check "keepalived -t=LOG appends the check to LOG" sh -c "'$KA' -t'$LABDIR/t.log' -f '$conf'; grep -q '0 errors' '$LABDIR/t.log'"

check "keepalived -v: an exporter reads version 2.2.7 from stderr's first line" \
    sh -c "'$KA' -v 2>&1 >/dev/null | head -1 | awk '{print \$2}' | grep -qx v2.2.7"
check "keepalived --version mentions --enable-json (JSON mode of exporters)" sh -c "'$KA' --version 2>&1 | grep -q -- --enable-json"
check "keepalived --signum=DATA/STATS/JSON: 10, 12, 36" \
    test "$("$KA" --signum=DATA) $("$KA" --signum=STATS) $("$KA" --signum=JSON)" = "10 12 36"

export TMPDIR=$LABDIR/tmp
spawn "$LABDIR/lb1.log" ip netns exec "${LAB}lb1" "$KA" -n -l -D -f "$conf" -p "$LABDIR/k.pid" -r "$LABDIR/v.pid" -c "$LABDIR/c.pid"
pid=$!
PID[lb1]=$pid
KIND[lb1]=vigil
unset TMPDIR
check "keepalived -n -l -D -f FILE: master" wait_until 6000 has_vip lb1 $VIP
check "  -p, -r, -c each hold its pid ($pid)" sh -c "for f in k v c; do [ \"\$(cat '$LABDIR/'\$f.pid)\" = $pid ] || exit 1; done"
check "  ps shows argv[0] as .../keepalived" sh -c "ps -o args= -p $pid | awk '{print \$1}' | grep -q '/keepalived\$'"
kill -s "$("$KA" --signum=JSON)" "$(cat "$LABDIR/k.pid")"
check "  kill -\$(keepalived --signum=JSON) \$(cat PIDFILE): keepalived.json, MASTER" \
    wait_until 2000 sh -c "grep -q '\"state\":2' '$LABDIR/tmp/keepalived.json'"
daemon_stop lb1
check "  SIGTERM: exit 0 (got $STATUS)" test "$STATUS" = 0
check "  the pid files are gone" sh -c "! ls '$LABDIR'/[kvc].pid 2>/dev/null | grep -q ."
finish

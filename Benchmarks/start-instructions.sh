#!/usr/bin/env bash
# Instructions a start costs, counted by valgrind's callgrind (repeatable for the same
# binary and input, whatever else the machine does — unlike a time under the qemu guest's
# emulation, where Benchmarks/start-table.sh measures the start to a programmed table):
# `vigil --version` against `keepalived -v`, `vigil check` against `keepalived -t` on one
# virtual server with two real servers, and `vigil run` on it from exec to its table
# (programmed, or refused on a kernel without IPVS) plus a second of its loop.
# The binary is the release build with its debug sections stripped (valgrind 3.19 cannot
# read the toolchain's DWARF; the symbol table stays for the top frames).
#   Benchmarks/start-instructions.sh [VIGIL_BINARY]     (root for `run`; make release first)
set -u
cd "$(dirname "$0")/.."
VIGIL=${1:-.build/release/vigil}
command -v valgrind > /dev/null || { echo "valgrind is needed (apt-get install valgrind)"; exit 1; }
[ -x "$VIGIL" ] || { echo "no $VIGIL: make release first"; exit 1; }
W=$(mktemp -d /tmp/start-instructions.XXXXXX)
NS=si$$
cleanup() { ip netns del $NS 2> /dev/null; rm -rf "$W"; }
trap cleanup EXIT
strip --strip-debug -o "$W/vigil" "$VIGIL"
cat > "$W/lvs.conf" <<'CONF'
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
    }
    real_server 198.51.100.12 80 {
    }
}
CONF
# instructions OUT COMMAND...: the I refs callgrind counts for the command (all its threads).
instructions() {
    local out=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$W/$out.cg" "$@" > "$W/$out.log" 2>&1
    awk '/I *refs:/ { gsub(",", "", $NF); print $NF }' "$W/$out.log"
}
printf "%-34s %15s\n" "what" "instructions"
printf "%-34s %15s\n" "vigil --version" "$(instructions vv "$W/vigil" --version)"
if command -v keepalived > /dev/null; then
    printf "%-34s %15s\n" "keepalived -v" "$(instructions kv "$(command -v keepalived)" -v)"
fi
printf "%-34s %15s\n" "vigil check" "$(instructions vc "$W/vigil" check -f "$W/lvs.conf")"
if command -v keepalived > /dev/null; then
    printf "%-34s %15s\n" "keepalived -t" "$(instructions kt "$(command -v keepalived)" -t -f "$W/lvs.conf")"
fi
if [ "$(id -u)" = 0 ]; then
    ip netns add $NS && ip -n $NS link set lo up
    ip netns exec $NS valgrind --tool=callgrind --callgrind-out-file="$W/run.cg" "$W/vigil" run -f "$W/lvs.conf" \
        --control-socket "" --pid-file "$W/v.pid" > "$W/run.log" 2>&1 &
    pid=$!
    # Its table, programmed or refused (a kernel without IPVS), then one more second.
    for _ in $(seq 600); do grep -q "IPVS\|virtual server" "$W/run.log" && break; sleep 0.1; done
    sleep 1
    pkill -TERM -f "callgrind-out-file=$W/run.cg"
    wait $pid
    printf "%-34s %15s\n" "vigil run: exec to its table + 1 s" "$(awk '/I *refs:/ { gsub(",", "", $NF); print $NF }' "$W/run.log")"
    if [ -n "${TOP:-}" ]; then
        echo "top frames of the run (inclusive):"
        callgrind_annotate --inclusive=yes "$W/run.cg" 2> /dev/null | grep -v "^-\|^$" | sed -n '/PROGRAM TOTALS/,$p' |
            sed -n 2,"$((TOP + 1))"p | { swift demangle --simplified 2> /dev/null || cat; } | cut -c1-160
    fi
fi

#!/bin/bash
# Guest side of Benchmarks/change-scale.sh (runs in the qemu IPVS guest): how long one real
# server's change takes to reach the kernel when the table is large. 200 virtual servers x
# 50 real servers (LVS-NAT; 198.18.0.1-200:80, real servers 198.19.V.1-50:80), no health
# checks except one FILE_CHECK on the first real server of the first virtual server.
# For each binary given: the time from start to the whole table programmed; then TRIALS
# times a drain and an undrain (`vigil drain`) and, where the binary has FILE_CHECK, the
# track file set to 1 and back to 0 (a check result, the common case), each timed by the
# daemon's own log lines (the change decided -> "IPVS: ... change(s)").
#   guest-change-scale.sh REPO TRIALS BINARY...
REPO=${1:-/work/main}; TRIALS=${2:-10}; shift 2
W=$(mktemp -d /tmp/change-scale.XXXXXX)
P=cs$$
source "$REPO/Tests/IPVS/guest-lib.sh"
ip netns add ${P}d; ip -n ${P}d link set lo up
ip -n ${P}d link add eth0 type dummy; ip -n ${P}d addr add 192.0.2.11/24 dev eth0; ip -n ${P}d link set eth0 up
echo 0 > "$W/probe"
{
    echo "track_file probe {"; echo "    file $W/probe"; echo "}"
    for ((v = 1; v <= 200; v++)); do
        echo "virtual_server 198.18.0.$v 80 {"; echo "    lb_algo wrr"; echo "    lb_kind NAT"; echo "    protocol TCP"
        for ((r = 1; r <= 50; r++)); do
            if [ $v = 1 ] && [ $r = 1 ]; then
                echo "    real_server 198.19.$v.$r 80 {"; echo "        FILE_CHECK {"; echo "            track_file probe"
                echo "        }"; echo "    }"
            else
                echo "    real_server 198.19.$v.$r 80 {"; echo "    }"
            fi
        done
        echo "}"
    done
} > "$W/scale.conf"
ms() {  # the log line's time of day in ms
    sed -n 's/^[0-9-]*T\([0-9]*\):\([0-9]*\):\([0-9]*\)\.\([0-9]*\)Z.*/\1 \2 \3 \4/p' | awk '{ print (($1 * 60 + $2) * 60 + $3) * 1000 + $4 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%d ms (min %d, max %d, %d trials)", a[int((NR + 1) / 2)], a[1], a[NR], NR; else printf "none" }'; }
dests() { ip netns exec ${P}d ipvsadm -Ln | grep -c -- "->.*Masq"; }
for BIN in "$@"; do
    name=$(basename "$BIN")
    ip netns exec ${P}d ipvsadm -C
    log="$W/$name.log"; sock="$W/$name.sock"
    t0=$(now_ms)
    ip netns exec ${P}d "$BIN" run -f "$W/scale.conf" --control-socket "$sock" > "$log" 2>&1 & V=$!; PIDS+=($V)
    if ! wait_until 300000 grep -q "IPVS: programmed" "$log"; then fail "$name: the table was not programmed"; tail -5 "$log"; kill -KILL $V; continue; fi
    t1=$(now_ms)
    echo "$name: table of $(dests) real servers programmed $((t1 - t0)) ms after the start (the log: $(grep -o 'IPVS: programmed.*' "$log"))"
    : > "$W/drain.ms"; : > "$W/file.ms"
    for ((i = 1; i <= TRIALS; i++)); do
        v=$(( (i * 37) % 200 + 1 )); r=$(( (i * 11) % 50 + 1 ))
        for on in drain undrain; do
            before=$(wc -l < "$log")
            ip netns exec ${P}d "$BIN" $on --socket "$sock" 198.18.0.$v:80 198.19.$v.$r:80 > /dev/null
            wait_until 20000 bash -c "tail -n +$((before + 1)) '$log' | grep -q 'IPVS: .*drained'"
            a=$(tail -n +$((before + 1)) "$log" | grep -m1 "by the operator" | ms)
            b=$(tail -n +$((before + 1)) "$log" | grep -m1 "IPVS: .*drained" | ms)
            [ -n "$a" ] && [ -n "$b" ] && echo $((b - a)) >> "$W/drain.ms"
        done
        if ! grep -q "FILE_CHECK.*kept out of the pool\|which Vigil does not run yet" "$log"; then
            for value in 1 0; do
                before=$(wc -l < "$log")
                echo $value > "$W/probe"
                wait_until 20000 bash -c "tail -n +$((before + 1)) '$log' | grep -q 'IPVS: updated'"
                a=$(tail -n +$((before + 1)) "$log" | grep -m1 "real server 198.19.1.1 80)" | ms)
                b=$(tail -n +$((before + 1)) "$log" | grep -m1 "IPVS: updated" | ms)
                [ -n "$a" ] && [ -n "$b" ] && echo $((b - a)) >> "$W/file.ms"
            done
        fi
    done
    echo "$name: drain/undrain, decided -> in the kernel: $(median < "$W/drain.ms")"
    echo "$name: FILE_CHECK result, decided -> in the kernel: $(median < "$W/file.ms")"
    kill -TERM $V; wait $V
done
exit $FAILED

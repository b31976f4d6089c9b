#!/usr/bin/env bash
# `vigil check --host` against `keepalived -t` on one large generated configuration:
# 255 vrrp_instances (VRIDs 1-255 on eth0, one VIP each from 198.18.0.0/15) and
# 200 virtual_servers x 50 real_servers (198.19.x.x / 198.18.x.x, a TCP_CHECK each).
# Prints the median wall time of 5 runs of each tool as a small table.
#
# Usage: Benchmarks/check-scale.sh      (root: keepalived -t runs in a namespace with eth0)
# Binary: $VIGIL, else .build/release/vigil, else .build/debug/vigil.
# Goal: vigil under 0.5 s and not slower than keepalived.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vigil=${VIGIL:-$root/.build/release/vigil}
[ -x "$vigil" ] || vigil=$root/.build/debug/vigil
[ -x "$vigil" ] || { echo "check-scale: no vigil binary (set VIGIL or build first)" >&2; exit 2; }
command -v keepalived >/dev/null || { echo "check-scale: keepalived is not installed" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "check-scale: needs root (network namespace)" >&2; exit 2; }

work=$(mktemp -d); ns="vigbench-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
conf=$work/scale.conf

# The configuration, written with awk (no other tool needed).
awk 'BEGIN {
    for (i = 1; i <= 255; i++) {
        printf "vrrp_instance VI_%d {\n    state BACKUP\n    interface eth0\n", i
        printf "    virtual_router_id %d\n    priority 100\n    advert_int 1\n", i
        printf "    virtual_ipaddress {\n        198.18.0.%d/32 dev eth0\n    }\n}\n", i
    }
    for (v = 0; v < 200; v++) {
        printf "virtual_server 198.19.%d.%d 80 {\n", int(v / 250), v % 250 + 1
        printf "    delay_loop 5\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n"
        for (r = 0; r < 50; r++) {
            n = v * 50 + r
            printf "    real_server 198.18.%d.%d 8080 {\n", 100 + int(n / 250), n % 250 + 1
            printf "        weight 1\n        TCP_CHECK {\n            connect_timeout 3\n"
            printf "        }\n    }\n"
        }
        printf "}\n"
    }
}' >"$conf"

ip netns add "$ns"
# The dummy link type is missing on some kernels; a veth pair gives eth0 too.
ip -n "$ns" link add eth0 type dummy 2>/dev/null ||
    ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 up

# Both tools once, untimed: they must have read the file (vigil: no errors).
set +e
timeout 120 ip netns exec "$ns" "$vigil" check --host -f "$conf" >"$work/v.out" 2>&1; vexit=$?
timeout 120 ip netns exec "$ns" keepalived -t -f "$conf" >"$work/k.out" 2>&1; kexit=$?
set -e
if [ "$vexit" != 0 ]; then
    echo "check-scale: vigil check exited $vexit on the generated file:" >&2
    head -5 "$work/v.out" >&2; exit 1
fi

median() {  # command... -> median wall seconds of 5 runs (each bounded by timeout 120)
    local t=() s e
    for _ in 1 2 3 4 5; do
        s=$(date +%s%N)
        timeout 120 "$@" >/dev/null 2>&1 || true
        e=$(date +%s%N)
        t+=("$(( (e - s) / 1000 ))")
    done
    printf '%s\n' "${t[@]}" | sort -n | sed -n 3p | awk '{ printf "%.3f", $1 / 1e6 }'
}
v=$(median ip netns exec "$ns" "$vigil" check --host -f "$conf")
k=$(median ip netns exec "$ns" keepalived -t -f "$conf")

printf '%-28s %s\n' "config lines" "$(wc -l <"$conf")"
printf '%-28s %s\n' "vrrp_instances" 255
printf '%-28s %s\n' "virtual/real servers" "200 / 10000"
printf '%-28s %s s   (%s, exit %s)\n' "vigil check --host" "$v" "${vigil#"$root"/}" "$vexit"
printf '%-28s %s s   (exit %s: %s message lines)\n' "keepalived -t" "$k" "$kexit" "$(wc -l <"$work/k.out")"
awk -v v="$v" -v k="$k" 'BEGIN {
    if (v > 0) printf "%-28s %.2f  (keepalived / vigil; above 1 = vigil faster)\n", "ratio", k / v }'

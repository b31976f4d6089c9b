#!/usr/bin/env bash
# `vigil check` against `keepalived -t` on one large generated configuration:
# 255 vrrp_instances and 200 virtual_servers x 50 real_servers (TCP_CHECK each).
# Prints the median wall time of 5 runs of each. Needs root (keepalived -t runs in a
# namespace that has eth0). Goal (issue 2): vigil under 0.5 s and faster than keepalived.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vigil=${VIGIL:-$root/.build/release/vigil}
[ -x "$vigil" ] || vigil=$root/.build/debug/vigil
work=$(mktemp -d); ns="vigbench-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
conf=$work/scale.conf
python3 - "$conf" <<'PY'
import sys
out = []
for i in range(1, 256):
    out += [f"vrrp_instance VI_{i} {{", "    interface eth0", f"    virtual_router_id {i}", "    priority 100",
            "    advert_int 1", "    virtual_ipaddress {", f"        198.18.{i // 256}.{i % 256}/32", "    }", "}"]
for v in range(200):
    out += [f"virtual_server 198.19.{v // 250}.{v % 250 + 1} 80 {{", "    delay_loop 5", "    lb_algo wrr", "    lb_kind NAT"]
    for r in range(50):
        n = v * 50 + r
        out += [f"    real_server 198.18.{100 + n // 250}.{n % 250 + 1} 8080 {{", "        weight 1",
                "        TCP_CHECK {", "            connect_timeout 3", "        }", "    }"]
    out.append("}")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
ip netns add "$ns"
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 up
median() {  # command... -> median seconds of 5 runs
    local t=()
    for _ in 1 2 3 4 5; do
        local s=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || true
        t+=("$(echo "$(date +%s.%N) - $s" | bc)")
    done
    printf '%s\n' "${t[@]}" | sort -n | sed -n 3p
}
v=$(median ip netns exec "$ns" "$vigil" check --host -f "$conf")
k=$(median ip netns exec "$ns" keepalived -t -l -n -f "$conf")
printf 'config lines        %s\n' "$(wc -l < "$conf")"
printf 'vigil check --host  %.3f s  (%s)\n' "$v" "$vigil"
printf 'keepalived -t       %.3f s\n' "$k"
printf 'ratio               %.2fx\n' "$(echo "$k / $v" | bc -l)"

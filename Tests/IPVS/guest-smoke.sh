#!/usr/bin/env bash
# Runs INSIDE the IPVS test VM (Tests/IPVS/harness.sh Tests/IPVS/guest-smoke.sh), as root.
# Proves the harness itself: the guest kernel has a working IPVS (through the host's own
# ipvsadm, i.e. generic netlink), every scheduler module accepts a service, IPVS tables are
# per network namespace, and namespaces + veth + bridge carry traffic. Exits 1 on any failure.
# Addresses: documentation ranges only, and the guest has no network device to leave by.
set -u
fails=0
ok()   { echo "ok    $*"; }
bad()  { echo "FAIL  $*"; fails=$((fails + 1)); }
# check DESCRIPTION COMMAND...: run it quietly, show its output only when it fails.
check() {
    local what=$1 out; shift
    if out=$("$@" 2>&1); then ok "$what"; else bad "$what"; printf '      %s\n' "$out"; fi
}

echo "guest kernel: $(uname -r) ($(uname -m)); $(head -1 /proc/net/ip_vs 2>/dev/null || echo 'no /proc/net/ip_vs')"
[ -e /proc/net/ip_vs ] || { bad "IPVS present"; exit 1; }
SCHEDULERS=$(awk '$1 ~ /^ip_vs_/ { sub(/^ip_vs_/, "", $1); print $1 }' /proc/modules | sort | tr '\n' ' ')
echo "ip_vs schedulers loaded: $SCHEDULERS"
echo "ipvsadm: $(ipvsadm --version 2>&1)"

# --- IPVS through ipvsadm ------------------------------------------------------------
VIP=192.0.2.100 RS=198.51.100.1
check "ipvsadm -A -t $VIP:80 -s wrr"                    ipvsadm -A -t $VIP:80 -s wrr
check "ipvsadm -a -t $VIP:80 -r $RS:80 -m -w 3"         ipvsadm -a -t $VIP:80 -r $RS:80 -m -w 3
table=$(ipvsadm -Ln 2>&1)
sed 's/^/      /' <<< "$table"
if grep -Eq "^TCP +$VIP:80 wrr" <<< "$table"; then ok "ipvsadm -Ln shows the wrr service"; else bad "ipvsadm -Ln shows the wrr service"; fi
if grep -Eq -- "-> $RS:80 +Masq +3 " <<< "$table"; then ok "ipvsadm -Ln shows the real server (Masq, weight 3)"; else bad "ipvsadm -Ln shows the real server (Masq, weight 3)"; fi
# The kernel's own view, independent of ipvsadm's decoding (addresses in hex there).
if grep -q "^TCP  C0000264:0050 wrr" /proc/net/ip_vs; then ok "/proc/net/ip_vs agrees"; else bad "/proc/net/ip_vs agrees"; cat /proc/net/ip_vs; fi

# Each scheduler the kernel has: a service on its own port (also proves module autoload
# would not be needed for these; the harness preloaded them).
port=81
for s in $SCHEDULERS; do
    case $s in rr|wrr|lc|wlc|sh|dh|sed|nq|lblc|lblcr|mh|fo|ovf|twos) ;; *) continue ;; esac
    if ipvsadm -A -t $VIP:$port -s "$s" 2>/dev/null && ipvsadm -Ln -t $VIP:$port 2>/dev/null | grep -Eq " $s( |$)"; then
        ok "scheduler $s accepts a service ($VIP:$port)"
    else
        bad "scheduler $s accepts a service ($VIP:$port)"
    fi
    port=$((port + 1))
done
# UDP and a firewall-mark service: the other two service kinds keepalived configures.
check "UDP service $VIP:53 (rr)"        ipvsadm -A -u $VIP:53 -s rr
check "fwmark service 1 (rr)"           ipvsadm -A -f 1 -s rr
check "ipvsadm -C"                      ipvsadm -C
if [ -z "$(ipvsadm -Ln | tail -n +4)" ]; then ok "table empty after -C"; else bad "table empty after -C"; ipvsadm -Ln; fi

# --- namespaces, veth, bridge ----------------------------------------------------------
P=vs$$                                  # this run's prefix for every name we create
NS_A=${P}a NS_B=${P}b NS_C=${P}c BR=${P}br
cleanup() {
    for ns in "$NS_A" "$NS_B" "$NS_C"; do ip netns del "$ns" 2>/dev/null; done
    ip link del "$BR" 2>/dev/null
}
trap cleanup EXIT
check "ip netns add $NS_A $NS_B $NS_C"  sh -c "ip netns add $NS_A && ip netns add $NS_B && ip netns add $NS_C"
for ns in "$NS_A" "$NS_B" "$NS_C"; do ip -n "$ns" link set lo up; done

# A and B joined directly by a veth pair (203.0.113.0/24).
check "veth pair $NS_A <-> $NS_B" sh -c "
    ip link add ${P}ab netns $NS_A type veth peer name ${P}ba netns $NS_B &&
    ip -n $NS_A addr add 203.0.113.1/24 dev ${P}ab && ip -n $NS_A link set ${P}ab up &&
    ip -n $NS_B addr add 203.0.113.2/24 dev ${P}ba && ip -n $NS_B link set ${P}ba up"
# A and C on a bridge in the guest's root namespace (198.51.100.0/24), the shape of the
# project's labs: one bridge, one veth per host.
check "bridge $BR with $NS_A and $NS_C" sh -c "
    ip link add $BR type bridge && ip link set $BR up &&
    ip link add ${P}a0 type veth peer name ${P}a1 netns $NS_A &&
    ip link add ${P}c0 type veth peer name ${P}c1 netns $NS_C &&
    ip link set ${P}a0 master $BR up && ip link set ${P}c0 master $BR up &&
    ip -n $NS_A addr add 198.51.100.11/24 dev ${P}a1 && ip -n $NS_A link set ${P}a1 up &&
    ip -n $NS_C addr add 198.51.100.13/24 dev ${P}c1 && ip -n $NS_C link set ${P}c1 up"

# ping: up to 5 tries each (a bridge port may take a moment to forward).
ping_ok() {  # NS ADDRESS
    local i
    for i in 1 2 3 4 5; do ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0; done
    return 1
}
check "ping $NS_A -> 203.0.113.2 over the veth pair"   ping_ok "$NS_A" 203.0.113.2
check "ping $NS_B -> 203.0.113.1 over the veth pair"   ping_ok "$NS_B" 203.0.113.1
check "ping $NS_A -> 198.51.100.13 across the bridge"  ping_ok "$NS_A" 198.51.100.13
check "ping $NS_C -> 198.51.100.11 across the bridge"  ping_ok "$NS_C" 198.51.100.11
check "no route from $NS_B to 198.51.100.13 (isolated)" sh -c "! ip netns exec $NS_B ping -c 1 -W 1 198.51.100.13"

# IPVS is per network namespace: a service made in A is not in the root namespace's table.
check "ipvsadm inside $NS_A" ip netns exec "$NS_A" ipvsadm -A -t 192.0.2.100:80 -s rr
if ip netns exec "$NS_A" ipvsadm -Ln | grep -q "192.0.2.100:80" && ! ipvsadm -Ln | grep -q "192.0.2.100:80"; then
    ok "IPVS table is per namespace"
else
    bad "IPVS table is per namespace"
fi

# The share is how results reach the host (IPVS_OUT=DIR keeps them).
if echo "schedulers: $SCHEDULERS" > "$VIGIL_SHARE/smoke-result.txt"; then ok "wrote \$VIGIL_SHARE/smoke-result.txt"; else bad "write to \$VIGIL_SHARE"; fi

echo "smoke: $fails failure(s)"
[ "$fails" = 0 ]

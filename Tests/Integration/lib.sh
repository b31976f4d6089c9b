# Shared helpers for the integration drills: a namespace lab, daemons started and
# stopped by PID, waits on observable state (never fixed sleeps), and assertions that
# print the daemons' logs when they fail. Sourced by Tests/Integration/*.sh; the demo and
# the failover benchmark use it too.
#
# Topology: a "switch" namespace ${LAB}sw holds bridge br0; every box is a namespace
# ${LAB}NAME whose eth0 is a veth into the bridge. A drill that needs a second LAN adds a
# bridge (lab_bridge) and more interfaces (lab_link). Nothing is created in the host's own
# namespace, and addresses come from 192.0.2.0/24 (198.51.100.0/24 for a second LAN) only.
#
# Safety: every wait is bounded in time; cleanup (a trap on EXIT) kills only the PIDs this
# script started and deletes only the namespaces it created.

# No pipefail: the checks are `cmd | grep -q …`, and grep -q exits at its first match, so
# a cmd that writes more after that dies of SIGPIPE and pipefail would turn a match into a
# failure (seen: a VIP present read as absent once in a few hundred checks).
set -u

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VIGIL=${VIGIL:-$ROOT/.build/debug/vigil}
LAB=${LAB:-vg$$}
LABDIR=$(mktemp -d "/tmp/vigil-lab.XXXXXX")
declare -A PID=()          # box name -> daemon PID (the one we signal)
declare -A KIND=()         # box name -> vigil | keepalived
HELPERS=()                 # PIDs of monitors and pings we started
NAMESPACES=()
FAILED=0

lab_cleanup() {
    # Only the script itself cleans up: bash runs this trap in subshells too (a command
    # substitution, a daemon being started), and they must not take the lab down.
    [ "$BASHPID" = "$$" ] || return 0
    local name pid
    for name in "${!PID[@]}"; do
        pid=${PID[$name]}
        if [ "${KIND[$name]}" = keepalived ]; then keepalived_pids "$name" | while read -r p; do kill -KILL "$p" 2>/dev/null; done; fi
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for pid in "${HELPERS[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    for ((i = ${#NAMESPACES[@]} - 1; i >= 0; i--)); do ip netns del "${NAMESPACES[$i]}" 2>/dev/null; done
    if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs kept in $LABDIR"; else rm -rf "$LABDIR"; fi
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

# spawn OUTFILE COMMAND...: starts the command in the background, output appended to
# OUTFILE; $! is then the command's own PID (the subshell execs it, so no copy of this
# script's EXIT trap lingers in between).
spawn() {
    local out=$1; shift
    (trap - EXIT INT TERM; exec "$@" >> "$out" 2>&1) &
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- topology ---------------------------------------------------------------------------

lab_switch() {
    ip netns add "${LAB}sw" && NAMESPACES+=("${LAB}sw")
    ip -n "${LAB}sw" link add br0 type bridge
    ip -n "${LAB}sw" link set br0 up
}

# lab_bridge BRIDGE: one more bridge in the switch namespace (a second LAN).
lab_bridge() {
    ip -n "${LAB}sw" link add "$1" type bridge
    ip -n "${LAB}sw" link set "$1" up
}

# lab_box NAME ADDRESS/PREFIX [BRIDGE]: a namespace with eth0 on the bridge (br0).
lab_box() {
    local name=$1 address=$2 bridge=${3:-br0} ns=${LAB}$1
    ip netns add "$ns" && NAMESPACES+=("$ns")
    ip link add "${LAB}$name" type veth peer name eth0 netns "$ns"
    ip link set "${LAB}$name" netns "${LAB}sw"
    ip -n "${LAB}sw" link set "${LAB}$name" master "$bridge" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$address" dev eth0
    ip -n "$ns" link set eth0 up
}

# lab_link NAME IFNAME BRIDGE ADDRESS/PREFIX: one more interface on a box, on that bridge
# (its switch port is ${LAB}NAME.N for ethN).
lab_link() {
    local name=$1 ifname=$2 bridge=$3 address=$4 ns=${LAB}$1 port=${LAB}$1.${2#eth}
    ip link add "$port" type veth peer name "$ifname" netns "$ns"
    ip link set "$port" netns "${LAB}sw"
    ip -n "${LAB}sw" link set "$port" master "$bridge" up
    ip -n "$ns" addr add "$address" dev "$ifname"
    ip -n "$ns" link set "$ifname" up
}

# lab_ipv6 BOX...: IPv6 usable at once on the boxes' eth0 (no Duplicate Address Detection
# in the lab) and their link-local addresses out of the tentative state. Checked, so a
# lab that cannot do IPv6 fails loudly.
lab_ipv6() {
    local b
    for b in "$@"; do
        in_box "$b" sh -c 'echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad'
    done
    for b in "$@"; do check "$b has a usable IPv6 link-local address" wait_until 5000 link_local_ready "$b"; done
}
link_local_ready() { in_box "$1" ip -6 -o addr show dev eth0 scope link | grep -v tentative | grep -q fe80; }

# The box vanishes from the wire (its switch port goes down; its eth0 loses carrier).
cut_link()     { ip -n "${LAB}sw" link set "${LAB}$1" down; }
restore_link() { ip -n "${LAB}sw" link set "${LAB}$1" up; }

in_box() { local name=$1; shift; ip netns exec "${LAB}$name" "$@"; }

# --- configurations ---------------------------------------------------------------------

# vrrp_conf NAME PRIORITY [KEY=VALUE ...] writes $LABDIR/NAME.conf and prints its path.
# Keys: version (2), advert (1), vrid (51), pass (secret; "none" for no authentication),
# vip (192.0.2.100/24), state (BACKUP), extra (lines added to the instance).
vrrp_conf() {
    local name=$1 priority=$2; shift 2
    local version=2 advert=1 vrid=51 pass=secret vip=192.0.2.100/24 state=BACKUP extra="" global=""
    local kv; for kv in "$@"; do local "$kv"; done
    local auth=""
    if [ "$pass" != none ] && [ "$version" = 2 ]; then
        auth="    authentication {
        auth_type PASS
        auth_pass $pass
    }"
    fi
    cat > "$LABDIR/$name.conf" <<EOF
global_defs {
    router_id $name
    vrrp_version $version
    vrrp_garp_master_delay 1
$global
}
vrrp_instance VI_1 {
    state $state
    interface eth0
    virtual_router_id $vrid
    priority $priority
    advert_int $advert
$auth
$extra
    virtual_ipaddress {
        $vip
    }
}
EOF
    echo "$LABDIR/$name.conf"
}

# --- daemons ----------------------------------------------------------------------------

vigil_start() {
    local name=$1 conf=$2
    spawn "$LABDIR/$name.log" ip netns exec "${LAB}$name" "$VIGIL" run -f "$conf" --pid-file "$LABDIR/$name.pid" \
        --control-socket "$LABDIR/$name.sock"
    PID[$name]=$!
    KIND[$name]=vigil
}

keepalived_start() {
    local name=$1 conf=$2
    spawn "$LABDIR/$name.log" ip netns exec "${LAB}$name" keepalived -n -l -D -f "$conf" -p "$LABDIR/$name.pid" \
        -r "$LABDIR/$name.vrrp.pid" -c "$LABDIR/$name.check.pid"
    PID[$name]=$!
    KIND[$name]=keepalived
}

# keepalived's VRRP and checker children, then its parent. A crash kills them in this
# order: children die with the parent's death signalled to them (SIGTERM), which would
# let the VRRP child say goodbye with priority 0 — a graceful stop, not a crash.
keepalived_pids() {
    local name=$1
    [ -s "$LABDIR/$name.vrrp.pid" ] && cat "$LABDIR/$name.vrrp.pid"
    [ -s "$LABDIR/$name.check.pid" ] && cat "$LABDIR/$name.check.pid"
    [ -n "${PID[$name]:-}" ] && echo "${PID[$name]}"
}

# daemon_stop NAME: SIGTERM and wait (at most 10 s, then SIGKILL) for the exit; its
# status lands in $STATUS. (Not for $(...): wait works only on our own children.)
STATUS=""
daemon_stop() {
    local name=$1 pid=${PID[$1]} i
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 1000; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    kill -0 "$pid" 2>/dev/null && { echo "  $name did not exit within 10 s of SIGTERM"; kill -KILL "$pid"; }
    wait "$pid" 2>/dev/null; STATUS=$?
    unset "PID[$name]"
    rm -f "$LABDIR/$name.vrrp.pid" "$LABDIR/$name.check.pid"
}

# daemon_kill NAME: SIGKILL (every process of a keepalived), no cleanup by the daemon.
daemon_kill() {
    local name=$1 p
    if [ "${KIND[$name]}" = keepalived ]; then
        for p in $(keepalived_pids "$name"); do kill -KILL "$p" 2>/dev/null; done
    fi
    kill -KILL "${PID[$name]}" 2>/dev/null
    wait "${PID[$name]}" 2>/dev/null
    unset "PID[$name]"
    rm -f "$LABDIR/$name.vrrp.pid" "$LABDIR/$name.check.pid"
}

# --- observations -----------------------------------------------------------------------

has_vip() { ip -n "${LAB}$1" -o addr show 2>/dev/null | grep -q " ${2%/*}/"; }   # IPv4 or IPv6

# wait_until MILLISECONDS COMMAND...: polls every 10 ms; true if it held in time.
wait_until() {
    local limit=$1; shift
    local deadline=$(( $(now_ms) + limit ))
    while [ "$(now_ms)" -lt "$deadline" ]; do "$@" && return 0; sleep 0.01; done
    "$@"
}

# settled_for WAIT HOLD COMMAND...: the command becomes true within WAIT ms, then stays true
# for HOLD ms. For the first moments of a pair started together: the box whose timer runs
# out first is master for an instant and, hearing the other, keeps the VIP 20 ms more
# (make-before-break) before it settles as backup.
settled_for() { local wait=$1 hold=$2; shift 2; wait_until "$wait" "$@" && holds_for "$hold" "$@"; }

# holds_for MILLISECONDS COMMAND...: the command stays true throughout (polled every 20 ms).
holds_for() {
    local limit=$1; shift
    local deadline=$(( $(now_ms) + limit ))
    while [ "$(now_ms)" -lt "$deadline" ]; do "$@" || return 1; sleep 0.02; done
}

lacks_vip() { ! has_vip "$@"; }
mac_of() { ip -n "${LAB}$1" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
log_has() { grep -q -- "$2" "$LABDIR/$1.log" 2>/dev/null; }

# --- timing (for the demo and Benchmarks/) ---------------------------------------------

now_ns() { date +%s%N; }

# watch_addresses NAME: records the box's address changes with timestamps (ip monitor),
# so a takeover is timed by the kernel's own event, not by a polling loop.
watch_addresses() {
    spawn "$LABDIR/$1.addr" ip -n "${LAB}$1" -tshort monitor address
    HELPERS+=($!)
}

# vip_added_ms NAME VIP T0_NS: milliseconds (3 decimals) from T0 to the first time VIP was
# added on the box after T0; empty if it was not.
vip_added_ms() {
    local name=$1 vip=${2%/*} t0=$3 stamp t
    while read -r stamp; do
        t=$(date -d "$stamp" +%s%N)
        if [ "$t" -ge "$t0" ]; then awk -v a="$t" -v b="$t0" 'BEGIN { printf "%.1f", (a - b) / 1e6 }'; return; fi
    done < <(grep -v Deleted "$LABDIR/$name.addr" | grep " inet $vip/" | sed -n 's/^\[\([^]]*\)\].*/\1/p')
}

# ping_start NAME ADDRESS: the box pings ADDRESS every 5 ms, replies timestamped.
ping_start() {
    : > "$LABDIR/$1.ping"
    spawn "$LABDIR/$1.ping" ip netns exec "${LAB}$1" ping -n -D -i 0.005 "$2"
    PING_PID=$!
    HELPERS+=($PING_PID)
}
ping_stop() { kill -INT "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null; }

# ping_outage_ms NAME: the longest silence between two replies, in ms (one decimal).
ping_outage_ms() {
    sed -n 's/^\[\([0-9.]*\)\] .* bytes from.*/\1/p' "$LABDIR/$1.ping" |
        awk 'NR > 1 && $1 - last > gap { gap = $1 - last } { last = $1 } END { printf "%.1f", gap * 1000 }'
}
ping_counts() {  # "received/sent"
    awk '/packets transmitted/ { print $4 "/" $1 }' "$LABDIR/$1.ping"
}
# ping_lost NAME: requests that got no reply, by sequence number, after ping_stop. The
# last 3 sent are left out (on their way when ping was stopped), duplicates are not
# replies, and "?" if ping printed no summary (so a check on 0 fails). Sequence numbers
# wrap at 65536: good for runs under 5 minutes at 5 ms.
ping_lost() {
    awk '/ bytes from .*icmp_seq=/ && !/DUP!/ { match($0, /icmp_seq=[0-9]+/); seen[substr($0, RSTART + 9, RLENGTH - 9) + 0] = 1 }
         /packets transmitted/ { sent = $1 }
         END { if (sent == "") { print "?"; exit } lost = 0; for (s = 1; s <= sent - 3; s++) if (!(s in seen)) lost++; print lost }' "$LABDIR/$1.ping"
}
# ping_received NAME: distinct requests answered.
ping_received() {
    awk '/ bytes from .*icmp_seq=/ && !/DUP!/ { match($0, /icmp_seq=[0-9]+/); s = substr($0, RSTART + 9, RLENGTH - 9) + 0; if (!(s in seen)) n++; seen[s] = 1 }
         END { print n + 0 }' "$LABDIR/$1.ping"
}

# --- assertions -------------------------------------------------------------------------

pass() { echo "  ok   $*"; }
fail() {
    echo "  FAIL $*"
    FAILED=1
    local f
    for f in "$LABDIR"/*.log; do
        [ -e "$f" ] || continue
        echo "  --- $(basename "$f") (last 15 lines)"
        tail -n 15 "$f" | sed 's/^/      /'
    done
}

# check DESCRIPTION COMMAND...: runs the command and reports.
check() {
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

# Ends a drill: exit status 1 if any check failed.
finish() { exit "$FAILED"; }

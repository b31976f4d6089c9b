# Shared by the guest scripts that build labs inside the qemu guest (sourced, bash).
# Set P (namespace prefix) and W (work dir) before sourcing; add PIDs to PIDS and
# namespaces are found by prefix at cleanup.
FAILED=0
PIDS=()
ok()   { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; FAILED=1; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_until() {  # MS COMMAND...: polls every 100 ms (the guest is slow), bounded
    local deadline=$(( $(now_ms) + $1 )); shift
    while [ "$(now_ms)" -lt "$deadline" ]; do "$@" && return 0; sleep 0.1; done
    "$@"
}
holds_for() {  # MS COMMAND...: COMMAND holds at every poll (100 ms) for MS, bounded
    local deadline=$(( $(now_ms) + $1 )); shift
    while [ "$(now_ms)" -lt "$deadline" ]; do "$@" || return 1; sleep 0.1; done
}
lab_cleanup() {
    local pid ns
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    for ns in $(ip netns list | awk '{print $1}' | grep "^$P"); do ip netns del "$ns"; done
    rm -rf "$W"
}
trap lab_cleanup EXIT

# switch BRIDGE...: bridges in the switch namespace ${P}sw.
switch() {
    ip netns add ${P}sw 2>/dev/null
    local b; for b in "$@"; do ip -n ${P}sw link add $b type bridge; ip -n ${P}sw link set $b up; done
}
# port NS IFNAME BRIDGE ADDRESS: NS gets IFNAME on BRIDGE with ADDRESS (NS created if new).
port() {
    ip netns list | grep -q "^$P$1\b" || { ip netns add $P$1; ip -n $P$1 link set lo up; }
    local peer=${P}$1$2
    ip link add ${peer:0:15} type veth peer name $2 netns $P$1
    ip link set ${peer:0:15} netns ${P}sw
    ip -n ${P}sw link set ${peer:0:15} master $3 up
    ip -n $P$1 addr add $4 dev $2
    ip -n $P$1 link set $2 up
}
# serve NAME: an HTTP server in namespace NAME answering "NAME" on port 80.
serve() {
    mkdir -p "$W/www-$1"; echo "$1" > "$W/www-$1/index.html"
    ip netns exec $P$1 python3 -m http.server 80 --bind 0.0.0.0 --directory "$W/www-$1" > /dev/null 2>&1 &
    eval "SERVER_$1=$!"; PIDS+=($!)
}
serving() { ip netns exec $P$1 python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1/', timeout=2)" 2>/dev/null; }

# line_server NAME PORT [both]: in namespace NAME, a TCP server on PORT (IPv4; with "both",
# IPv4 and IPv6) answering each line read with "NAME PEER LINE" (PEER: the address its
# socket sees the connection come from); "listening" in $W/NAME.out once it is. Its PID
# joins PIDS.
line_server() {
    [ -f "$W/line-server.py" ] || cat > "$W/line-server.py" <<'PY'
import asyncio, sys
name, port = sys.argv[1].encode(), int(sys.argv[2])
host = None if sys.argv[3:] == ["both"] else "0.0.0.0"   # None: every address of both families
async def serve(reader, writer):
    peer = writer.get_extra_info("peername")[0].encode()
    try:
        while line := await reader.readline():
            writer.write(name + b" " + peer + b" " + line)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()
async def main():
    server = await asyncio.start_server(serve, host, port)
    print("listening", flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
PY
    ip netns exec $P$1 python3 "$W/line-server.py" "$1" "$2" ${3:-} > "$W/$1.out" 2>&1 &
    PIDS+=($!)
}

#!/usr/bin/env bash
# keepalived's signals on a Vigil master, and keepalived's dump files beside the ones
# Debian's keepalived writes for the same configuration in the same namespace.
#   - every signal keepalived answers or ignores, sent to the master (SIGQUIT, SIGALRM,
#     SIGUSR1, SIGUSR2, real-time ones, a kill -ABRT …): the master runs on, keeps its VIP,
#     never sends priority 0 (the backup never takes over), and logs no stop;
#   - SIGUSR1, SIGUSR2, SIGRTMIN+2 write keepalived.data, .stats, .json in $TMPDIR;
#     SIGRTMAX-1 writes the stats and then clears them;
#   - keepalived 2.2.7 and Vigil, each on lb1 with one configuration, alone (MASTER) and
#     beside a Vigil master on lb2 (BACKUP): the lines
#     keepalived exporters parse are the same in both .data files, the .stats files are
#     the same but for the counts, and the JSON has the same keys in the same order with
#     the same values where the state is the same (the rest is reported: keepalived's
#     track_script shows the script's resolved path, /usr/bin/true for /bin/true).
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
echo "signals and keepalived's dump files"
command -v keepalived > /dev/null || { echo "  keepalived is not installed"; exit 1; }

lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24

conf() {  # conf NAME PRIORITY
    cat > "$LABDIR/$1.conf" <<EOF
global_defs {
    router_id $1
    enable_script_security
    script_user root
}
vrrp_script chk_true {
    script "/bin/true"
    interval 1
    weight 10
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret
    }
    track_script {
        chk_true
    }
    virtual_ipaddress {
        $VIP/24
    }
}
EOF
    echo "$LABDIR/$1.conf"
}
c1=$(conf lb1 100)
c2=$(conf lb2 90)

mkdir -p "$LABDIR/tmp1" "$LABDIR/ka" "$LABDIR/vg"
export TMPDIR=$LABDIR/tmp1
vigil_start lb1 "$c1"
unset TMPDIR
sleep 0.5
vigil_start lb2 "$c2"
check "lb1 (priority 100) is master" settled_for 6000 1500 has_vip lb1 $VIP
pid=${PID[lb1]}
lb2_lines=$(wc -l < "$LABDIR/lb2.log")

# Every catchable signal whose default would end the process, and keepalived's own.
signals=(HUP QUIT ALRM USR1 USR2 PIPE PWR VTALRM PROF IO XCPU XFSZ TRAP SYS ABRT STKFLT URG WINCH TSTP TTIN TTOU
         RTMIN RTMIN+1 RTMIN+2 RTMIN+3 RTMIN+8 RTMAX-2 RTMAX-1 RTMAX)
for s in "${signals[@]}"; do kill -s "$s" "$pid" 2>/dev/null; sleep 0.05; done
kill -s CONT "$pid" 2>/dev/null
check "the master survives ${#signals[@]} signals (kill -0)" kill -0 "$pid"
check "  it keeps its VIP" holds_for 1500 has_vip lb1 $VIP
check "  the backup never takes over (no priority-0 advert)" lacks_vip lb2 $VIP
check "  the backup logs no transition since" sh -c "! tail -n +$((lb2_lines + 1)) '$LABDIR/lb2.log' | grep -q -- '-> MASTER'"
check "  the master logs no stop" sh -c "! grep -q 'shutting down' '$LABDIR/lb1.log'"
check "  SIGHUP reloaded it" log_has lb1 "reloaded"

files_there() { [ -s "$1/keepalived.data" ] && [ -s "$1/keepalived.stats" ] && [ -s "$1/keepalived.json" ]; }
check "SIGUSR1/SIGUSR2/SIGRTMIN+2 wrote keepalived.data, .stats, .json in \$TMPDIR" wait_until 2000 files_there "$LABDIR/tmp1"
check "  keepalived.data: VI_1 is MASTER" grep -qx "   State = MASTER" "$LABDIR/tmp1/keepalived.data"
check "  the files are 0600" test "$(stat -c %a "$LABDIR/tmp1/keepalived.json")" = 600
check "  keepalived.json parses: one instance, state 2 (MASTER)" python3 -c "
import json, sys
d = json.load(open('$LABDIR/tmp1/keepalived.json'))
sys.exit(0 if len(d) == 1 and d[0]['data']['state'] == 2 and d[0]['data']['iname'] == 'VI_1' else 1)"
sent_of() { python3 -c "import json; print(json.load(open('$1'))[0]['stats']['advert_sent'])"; }
kill -s USR2 "$pid"; sleep 0.3
kill -s RTMAX-1 "$pid"; sleep 0.3
kill -s RTMIN+2 "$pid"; sleep 0.3
check "SIGRTMAX-1 cleared the counters (adverts sent since: $(sent_of "$LABDIR/tmp1/keepalived.json") ≤ 2)" \
    test "$(sent_of "$LABDIR/tmp1/keepalived.json")" -le 2
daemon_stop lb2
daemon_stop lb1
check "SIGTERM still stops it: exit 0 (got $STATUS)" test "$STATUS" = 0

cat > "$LABDIR/compare.py" <<'EOF'
import json, re, sys
ka, vg = sys.argv[1], sys.argv[2]
def read(d, f): return open(f"{d}/{f}").read()

def parsed(text):
    """The lines keepalived exporters read from keepalived.data, as they read them."""
    out, section, key = [], None, None
    for line in text.split("\n"):
        if line.startswith("------<"):
            section = line
            continue
        if section == "------< VRRP Topology >------":
            if line.startswith(" VRRP Instance = "): out.append(line)
            elif line.startswith("   ") and not line.startswith("    "):
                key = line.split("=")[0].split(":")[0].strip()
                if key in ("State", "Wantstate", "Interface", "Gratuitous ARP delay", "Virtual Router ID") or key.startswith("Virtual IP"):
                    out.append(line)
            elif line.startswith("     ") and key and key.startswith("Virtual IP"):
                out.append(line)
        if section == "------< VRRP Scripts >------":
            if line.startswith(" VRRP Script = ") or line.startswith("   Status = "):
                out.append(line)
            elif line.startswith("   State = "):
                # Whether the script is running at the instant of the dump is the moment's
                # (both daemons run it every interval): either word, as keepalived writes them.
                out.append("   State = idle|running" if line in ("   State = idle", "   State = running") else line)
    return out

ok = True
a, b = parsed(read(ka, "keepalived.data")), parsed(read(vg, "keepalived.data"))
print(f"data: {len(a)} parsed lines from keepalived, {len(b)} from Vigil")
if a != b or not a:
    ok = False
    print("DATA DIFFERS\n  keepalived: " + "\n  keepalived: ".join(a) + "\n  vigil:      " + "\n  vigil:      ".join(b))
def block(text):
    lines = text.split("\n")
    i = lines.index("------< VRRP Topology >------")
    out = []
    for line in lines[i + 1:]:
        if line.startswith("------<"): break
        out.append(re.sub(r"\d", "N", line))
    return out
ka_block, vg_block = block(read(ka, "keepalived.data")), block(read(vg, "keepalived.data"))
only_ka = [l for l in ka_block if l not in vg_block]
only_vg = [l for l in vg_block if l not in ka_block]
print(f"data, the instance block (digits masked): {len(ka_block)} lines from keepalived, {len(vg_block)} from Vigil; "
      f"{len(only_ka)} only in keepalived's, {len(only_vg)} only in Vigil's")
for l in only_ka: print(f"  only keepalived: {l}")
for l in only_vg: print(f"  only vigil:      {l}")

mask = lambda t: [re.sub(r"\d+", "N", l) for l in t.split("\n")]
sa, sb = mask(read(ka, "keepalived.stats")), mask(read(vg, "keepalived.stats"))
print(f"stats: {len(sa)} lines from keepalived, {len(sb)} from Vigil; same but for the counts: {sa == sb}")
if sa != sb or len(sa) < 19: ok = False

ja, jb = json.loads(read(ka, "keepalived.json")), json.loads(read(vg, "keepalived.json"))
for part in ("data", "stats"):
    ka_keys, vg_keys = list(ja[0][part].keys()), list(jb[0][part].keys())
    print(f"json {part}: {len(ka_keys)} keys from keepalived, {len(vg_keys)} from Vigil; same keys in the same order: {ka_keys == vg_keys}")
    if ka_keys != vg_keys:
        ok = False
        print(f"  only keepalived: {[k for k in ka_keys if k not in vg_keys]}\n  only vigil: {[k for k in vg_keys if k not in ka_keys]}")
    for k in ka_keys:
        if k in jb[0][part] and type(ja[0][part][k]) != type(jb[0][part][k]):
            ok = False
            print(f"  {part}.{k}: keepalived {type(ja[0][part][k]).__name__}, vigil {type(jb[0][part][k]).__name__}")
same = ["iname", "ifp_ifname", "vmac_ifname", "vrid", "state", "wantstate", "version", "base_priority", "effective_priority",
        "vipset", "vips", "garp_delay", "garp_rep", "adver_int", "auth_type", "auth_data", "accept", "nopreempt"]
for k in same:
    if ja[0]["data"].get(k) != jb[0]["data"].get(k):
        ok = False
        print(f"  data.{k}: keepalived {ja[0]['data'].get(k)!r}, vigil {jb[0]['data'].get(k)!r}")
others = [k for k in ja[0]["data"] if k not in same and k != "last_transition" and ja[0]["data"][k] != jb[0]["data"].get(k)]
print(f"json data: {len(same)} keys compared by value, all equal: {ok}; other keys that differ (reported): "
      + ", ".join(f"{k} ({ja[0]['data'][k]!r} / {jb[0]['data'].get(k)!r})" for k in others))
print("RESULT", "same" if ok else "differs")
EOF

# The same configuration on lb1, Debian's keepalived then Vigil: alone (MASTER), then with
# a Vigil master of priority 150 on lb2 (BACKUP, naming its master).
dump_all() {  # dump_all PID DIR: the three signals, then wait for the three files
    kill -s USR2 "$1"; kill -s RTMIN+2 "$1"; kill -s USR1 "$1"
    wait_until 3000 files_there "$2"
    sleep 0.3
}
compare_round() {  # compare_round NAME STATE: keepalived, then Vigil, on lb1; compare
    local name=$1 state=$2 daemon
    mkdir -p "$LABDIR/ka-$name" "$LABDIR/vg-$name"
    for daemon in keepalived vigil; do
        local dir=$LABDIR/vg-$name
        [ $daemon = keepalived ] && dir=$LABDIR/ka-$name
        export TMPDIR=$dir
        ${daemon}_start lb1 "$c1"
        unset TMPDIR
        if [ "$state" = MASTER ]; then
            check "$name: $daemon on lb1 becomes master" wait_until 6000 has_vip lb1 $VIP
        else
            check "$name: $daemon on lb1 stays backup" holds_for 4500 lacks_vip lb1 $VIP
        fi
        sleep 1.5
        check "$name: $daemon wrote its three dumps" dump_all "${PID[lb1]}" "$dir"
        daemon_stop lb1
        wait_until 4000 lacks_vip lb1 $VIP
    done
    python3 "$LABDIR/compare.py" "$LABDIR/ka-$name" "$LABDIR/vg-$name" > "$LABDIR/compare-$name.txt"
    sed 's/^/       /' "$LABDIR/compare-$name.txt"
    check "$name: keepalived's and Vigil's dumps agree where exporters read them" grep -qx "RESULT same" "$LABDIR/compare-$name.txt"
    check "$name: both say $state" sh -c "grep -qx '   State = $state' '$LABDIR/ka-$name/keepalived.data' && grep -qx '   State = $state' '$LABDIR/vg-$name/keepalived.data'"
}
compare_round alone MASTER
c2=$(conf lb2 150)
vigil_start lb2 "$c2"
check "lb2 (Vigil, priority 150) is master" wait_until 6000 has_vip lb2 $VIP
compare_round backup BACKUP
finish

#!/usr/bin/env bash
# Two Vigil directors (VRRPv3, advert_int 0.1) and what moves an election besides the
# peer: vrrp_script with a weight and with weight 0 (Fault), track_interface, track_file,
# a hung script killed at its timeout, script_user and enable_script_security.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
echo "vigil tracking: track_script, track_interface, track_file, script timeout and security"
lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
# A second link on lb1 to track (a veth pair inside lb1; this kernel has no dummy driver).
in_box lb1 ip link add trk0 type veth peer name trk0p
in_box lb1 ip link set trk0p up
in_box lb1 ip link set trk0 up
mkdir -p "$LABDIR/bin"

# Scripts: "healthy unless the flag file exists".
for flag in fail down; do
    cat > "$LABDIR/bin/chk-$flag" <<SCRIPT
#!/bin/sh
[ ! -e "$LABDIR/\$1.$flag" ]
SCRIPT
    chmod 755 "$LABDIR/bin/chk-$flag"
done

# tracked_conf NAME PRIORITY: both scripts, trk0 on lb1, a track_file, a slow script.
tracked_conf() {
    local name=$1 prio=$2 trackif=""
    [ "$name" = lb1 ] && trackif="    track_interface {
        trk0
    }"
    cat > "$LABDIR/$name.conf" <<CONF
global_defs {
    router_id $name
    vrrp_version 3
    enable_script_security
}
vrrp_script chk_weighted {
    script "$LABDIR/bin/chk-fail $name"
    interval 1
    weight -20
}
vrrp_script chk_fault {
    script "$LABDIR/bin/chk-down $name"
    interval 1
}
vrrp_script chk_slow {
    script "/bin/sleep 31.$prio"
    interval 2
    timeout 1
    weight -5
}
track_file prio_file {
    file "$LABDIR/$name.prio"
    weight -1
    init_file 0 overwrite
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority $prio
    advert_int 0.1
    track_script {
        chk_weighted
        chk_fault
        chk_slow
    }
    track_file {
        prio_file
    }
$trackif
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
    echo "$LABDIR/$name.conf"
}

vigil_start lb1 "$(tracked_conf lb1 100)"
vigil_start lb2 "$(tracked_conf lb2 90)"
check "lb1 (priority 100) becomes master" wait_until 3000 has_vip lb1 $VIP
# Started together, both may claim the VIP for a moment (their Master_Down timers can end
# within a millisecond of each other): lb2 must give it up at once and then stay backup.
check "lb2 stays backup" settled_for 1000 1000 lacks_vip lb2 $VIP
# chk_slow never finishes in time: it fails at its first timeout (1 s) and stays failed,
# so lb1 runs at 95 from then on (lb2 at 85).
check "chk_slow fails at its timeout: lb1 at 95" wait_until 3000 log_has lb1 "effective priority 100 -> 95"

# Weighted script: 100 - 20 = 80 < 90, the VIP moves; the script recovers, it comes back.
touch "$LABDIR/lb1.fail"
check "track_script weight -20 failing (95 -> 75 < 85): lb2 takes the VIP" wait_until 4000 has_vip lb2 $VIP
check "  lb1 releases it" wait_until 1000 lacks_vip lb1 $VIP
check "  lb1 logs its effective priority 95 -> 75" log_has lb1 "effective priority 95 -> 75"
rm -f "$LABDIR/lb1.fail"
check "  the script recovers: lb1 preempts back" wait_until 4000 has_vip lb1 $VIP
check "  lb1 logs 75 -> 95" log_has lb1 "effective priority 75 -> 95"
check "  lb2 releases it" wait_until 1000 lacks_vip lb2 $VIP

# Weight 0: failing means Fault; the master says goodbye with priority 0.
touch "$LABDIR/lb1.down"
check "track_script weight 0 failing: lb1 goes to FAULT" wait_until 3000 log_has lb1 "MASTER -> FAULT: vrrp_script chk_fault failing"
check "  lb2 takes the VIP" wait_until 2000 has_vip lb2 $VIP
check "  lb1 holds no VIP in FAULT" lacks_vip lb1 $VIP
rm -f "$LABDIR/lb1.down"
check "  recovered: FAULT -> BACKUP" wait_until 3000 log_has lb1 "FAULT -> BACKUP: no fault remains"
check "  and lb1 preempts back" wait_until 3000 has_vip lb1 $VIP
# (lb2 keeps the VIP 20 ms after lb1's advert: make-before-break; the next step waits it out.)
check "  lb2 releases it" wait_until 1000 lacks_vip lb2 $VIP

# track_interface: trk0 down is a Fault of lb1.
in_box lb1 ip link set trk0 down
check "track_interface trk0 down: lb1 goes to FAULT" wait_until 2000 log_has lb1 "MASTER -> FAULT: interface trk0 down"
check "  lb2 takes the VIP" wait_until 2000 has_vip lb2 $VIP
in_box lb1 ip link set trk0 up
check "  trk0 up: lb1 preempts back" wait_until 3000 has_vip lb1 $VIP
# (lb2 keeps the VIP 20 ms after lb1's advert: make-before-break; the next step waits it out.)
check "  lb2 releases it" wait_until 1000 lacks_vip lb2 $VIP

# track_file: the number times weight -1 is added; 50 takes lb1 to 50 < 90.
echo 50 > "$LABDIR/lb1.prio"
check "track_file reads 50 (weight -1, 95 -> 45): lb2 takes the VIP" wait_until 3000 has_vip lb2 $VIP
check "  lb1 logs 95 -> 45" log_has lb1 "effective priority 95 -> 45"
check "  lb1 releases it" wait_until 1000 lacks_vip lb1 $VIP
echo 0 > "$LABDIR/lb1.prio"
check "  back to 0: lb1 preempts back" wait_until 3000 has_vip lb1 $VIP

# The slow script (sleep 31.100, timeout 1) is killed each time; weight -5 keeps lb1 at
# 95 > 90, so the protocol goes on undisturbed.
check "a hung vrrp_script is killed at its timeout (logged)" log_has lb1 "vrrp_script chk_slow timed out after 1 s (ended by signal 15)"
sleeping() { grep -qx "/bin/sleep31.100" < <(for f in /proc/[0-9]*/cmdline; do tr -d '\0' < "$f" 2>/dev/null; echo; done); }
check "  no sleep 31.100 outlives the timeout by 2.5 s" wait_until 2500 bash -c "! $(declare -f sleeping); sleeping"
check "  it runs every 2 s and is killed each time, and lb1 keeps the VIP (95 > 85)" holds_for 2500 has_vip lb1 $VIP
check "  (killed again)" test "$(grep -c 'chk_slow timed out' "$LABDIR/lb1.log")" -ge 3
check "  lb1 logged no FAULT or BACKUP for it" bash -c "[ \$(grep -c 'MASTER -> BACKUP' '$LABDIR/lb1.log') = 2 ]"
daemon_stop lb1
check "SIGTERM: exit 0 with scripts running" test "$STATUS" = 0
daemon_stop lb2

# vrrp_track_process: lb1 needs a process named vgproc$$ (a copy of sleep, so no other
# process on the host matches); terminate_delay 1 s rides out a quick restart.
PROC=vgproc$$
cp "$(command -v sleep)" "$LABDIR/bin/$PROC"
proc_start() { spawn /dev/null "$LABDIR/bin/$PROC" 600; PROC_PID=$!; HELPERS+=($PROC_PID); }
proc_stop() { kill -KILL "$PROC_PID" 2>/dev/null; wait "$PROC_PID" 2>/dev/null; }
proc_conf() {
    cat > "$LABDIR/$1-proc.conf" <<CONF
global_defs {
    vrrp_version 3
}
vrrp_track_process daemon {
    process $PROC
    weight 0
    terminate_delay 1
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int 0.1
    $3
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
    echo "$LABDIR/$1-proc.conf"
}
proc_start
: > "$LABDIR/lb1.log"
vigil_start lb1 "$(proc_conf lb1 100 'track_process {
        daemon
    }')"
vigil_start lb2 "$(proc_conf lb2 90 '')"
check "track_process: with $PROC running lb1 is master" wait_until 3000 has_vip lb1 $VIP
check "  it counted 1 process" log_has lb1 "vrrp_track_process daemon: 1 process(es)"
proc_stop
check "  the exit is seen at once (proc connector)" wait_until 1000 log_has lb1 "vrrp_track_process daemon: 0 process(es)"
proc_start
check "  a restart within terminate_delay (1 s) changes nothing" holds_for 2000 has_vip lb1 $VIP
check "  no FAULT for it" bash -c "! grep -q 'FAULT' '$LABDIR/lb1.log'"
proc_stop
check "  $PROC stopped for good: lb1 goes to FAULT after the delay" wait_until 3000 log_has lb1 "MASTER -> FAULT: vrrp_track_process daemon without quorum"
check "  lb2 takes the VIP" wait_until 2000 has_vip lb2 $VIP
proc_start
check "  $PROC back: lb1 preempts (no fork_delay)" wait_until 3000 has_vip lb1 $VIP
proc_stop
daemon_stop lb1
daemon_stop lb2

# script_user and enable_script_security, lb1 alone.
chmod 755 "$LABDIR"
mkdir -m 1777 "$LABDIR/out"
cat > "$LABDIR/bin/whoami-check" <<SCRIPT
#!/bin/sh
id -u > "$LABDIR/out/uid"
SCRIPT
cp "$LABDIR/bin/whoami-check" "$LABDIR/bin/insecure"
chmod 755 "$LABDIR/bin/whoami-check"
chmod 777 "$LABDIR/bin/insecure"
cat > "$LABDIR/sec.conf" <<CONF
global_defs {
    vrrp_version 3
    enable_script_security
    script_user nobody
}
vrrp_script as_nobody {
    script "$LABDIR/bin/whoami-check"
    interval 1
}
vrrp_script writable {
    script "$LABDIR/bin/insecure"
    interval 1
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.1
    track_script {
        as_nobody
        writable
    }
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
vigil_start lb1 "$LABDIR/sec.conf"
check "script_user nobody: the script runs as nobody's uid" wait_until 3000 bash -c "[ \"\$(cat '$LABDIR/out/uid' 2>/dev/null)\" = $(id -u nobody) ]"
check "enable_script_security: a world-writable script is refused, saying why" \
    wait_until 2000 log_has lb1 "vrrp_script writable refused by enable_script_security: $LABDIR/bin/insecure is writable by everyone"
check "  and the instance still runs (its tracking is dropped): lb1 becomes master" wait_until 3000 has_vip lb1 $VIP
daemon_stop lb1
finish

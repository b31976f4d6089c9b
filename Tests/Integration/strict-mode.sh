#!/usr/bin/env bash
# Strict mode (vrrp_strict, VRRPv3 advert_int 0.1): without `accept`, the master drops
# traffic to its VIP with nftables (table inet vigil) and the backup has no rules; the
# table follows the master on SIGTERM; a SIGKILLed master leaves it behind and a restart
# removes it before the election; with `accept` there is no table and the VIP answers.
source "$(dirname "$0")/lib.sh"
VIP=192.0.2.100
MDI=400
TABLE="inet vigil"
echo "strict mode pair, VRRPv3 advert_int 0.1"
command -v nft >/dev/null || { echo "  FAIL nft is not installed (Debian package nftables)"; exit 1; }

lab_switch
lab_box lb1 192.0.2.11/24
lab_box lb2 192.0.2.12/24
lab_box client 192.0.2.50/24
strict="    vrrp_strict"
c1=$(vrrp_conf lb1 100 version=3 advert=0.1 global="$strict")
c2=$(vrrp_conf lb2 90 version=3 advert=0.1 global="$strict")

has_table()   { in_box "$1" nft list table $TABLE >/dev/null 2>&1; }
lacks_table() { ! has_table "$1"; }
no_ruleset()  { [ -z "$(in_box "$1" nft list ruleset 2>&1)" ]; }
drops_vip()   { in_box "$1" nft list set $TABLE vips4 2>/dev/null | grep -q "elements = { $VIP }"; }
answers()     { in_box client ping -n -c 3 -i 0.2 -W 1 "$1" >/dev/null 2>&1; }
silent()      { ! in_box client ping -n -c 3 -i 0.2 -W 1 "$1" >/dev/null 2>&1; }
# first_line NAME PATTERN FROM: line number of the first match at or after line FROM.
first_line()  { awk -v from="$3" -v pat="$2" 'NR >= from && index($0, pat) { print NR; exit }' "$LABDIR/$1.log"; }
lines()       { wc -l < "$LABDIR/$1.log"; }

check "vigil check warns that traffic to the VIP will be dropped while master" \
    sh -c "'$VIGIL' check -f '$c1' | grep -q 'while it is master, traffic addressed to its virtual addresses (192.0.2.100) will be dropped'"

# lb2 starts once lb1 is master: started together, their master-down timers run out 5 ms
# apart, and a master in strict mode holds its first advert until its drop rules are in
# (one nft run, ~30 ms; keepalived too sends it after its rules), so both could be master
# for a moment.
vigil_start lb1 "$c1"
check "lb1 (priority 100) is master" wait_until $((MDI + 3000)) has_vip lb1 $VIP
vigil_start lb2 "$c2"
check "lb2 is backup" wait_until 2000 lacks_vip lb2 $VIP
check "master: table $TABLE exists on lb1" wait_until 1000 has_table lb1
check "master: its set holds the VIP" drops_vip lb1
check "master: lb1 logs the drop rule" log_has lb1 "firewall: dropping traffic to $VIP"
check "backup: lb2 has no nftables rules at all" no_ruleset lb2
check "control: the client reaches lb1's own address" answers 192.0.2.11
check "a client ping to the VIP gets no answer" silent $VIP

daemon_stop lb1
check "SIGTERM: lb1 exits 0 (got $STATUS)" test "$STATUS" = 0
check "SIGTERM: the table is gone on lb1" lacks_table lb1
check "SIGTERM: no nftables rules left on lb1" no_ruleset lb1
check "SIGTERM: lb2 takes over" wait_until 3000 has_vip lb2 $VIP
check "SIGTERM: the new master lb2 has the table, dropping the VIP" wait_until 1000 drops_vip lb2
check "SIGTERM: the VIP still does not answer" silent $VIP

vigil_start lb1 "$c1"
check "lb1 comes back and preempts" wait_until $((MDI + 3000)) has_vip lb1 $VIP
check "lb2, backup again, removed its table" wait_until 2000 lacks_table lb2
check "lb1 has the table again" wait_until 1000 has_table lb1

daemon_kill lb1
cut_link lb1
check "SIGKILL: the table is left behind on lb1" has_table lb1
check "SIGKILL: lb2 takes over with the table" wait_until $((MDI + 3000)) drops_vip lb2
restore_link lb1
from=$(( $(lines lb1) + 1 ))
vigil_start lb1 "$c1"
check "restart: lb1 logs that it removed the leftover table" \
    wait_until 2000 log_has lb1 "removed nftables table $TABLE left by an earlier run"
check "restart: lb1 preempts back" wait_until $((MDI + 3000)) has_vip lb1 $VIP
removed=$(first_line lb1 "left by an earlier run" "$from")
master=$(first_line lb1 "BACKUP -> MASTER" "$from")
check "restart: the leftover went before lb1 became master (log lines $removed < $master)" \
    test -n "$removed" -a -n "$master" -a "${removed:-0}" -lt "${master:-0}"
check "restart: lb1 drops the VIP again" wait_until 1000 drops_vip lb1
check "restart: lb2 released the VIP and its table" wait_until 2000 lacks_table lb2

daemon_stop lb2
daemon_stop lb1
check "both stopped: no table on either box" sh -c "! ip netns exec '${LAB}lb1' nft list table $TABLE >/dev/null 2>&1 && ! ip netns exec '${LAB}lb2' nft list table $TABLE >/dev/null 2>&1"

a1=$(vrrp_conf lb1 100 version=3 advert=0.1 global="$strict" extra="    accept")
a2=$(vrrp_conf lb2 90 version=3 advert=0.1 global="$strict" extra="    accept")
vigil_start lb1 "$a1"
vigil_start lb2 "$a2"
check "accept: lb1 is master" wait_until $((MDI + 3000)) has_vip lb1 $VIP
check "accept: the client's ping to the VIP answers" wait_until 3000 answers $VIP
check "accept: no nftables rules on the master" no_ruleset lb1
check "accept: none on the backup" no_ruleset lb2
daemon_stop lb1
check "accept: lb1 exits 0 on SIGTERM" test "$STATUS" = 0
daemon_stop lb2

# IPv6 (strict wants a link-local VIP first): the global VIP is dropped, but neighbour
# discovery still gets through, so the client learns the master's MAC for it.
VIP6=2001:db8::100
lab_ipv6 lb1 lb2 client
in_box client ip -6 addr add 2001:db8::50/64 dev eth0 nodad
v6conf() {
    cat > "$LABDIR/$1-v6.conf" <<CONF
global_defs {
    vrrp_strict
}
vrrp_instance VI_6 {
    interface eth0
    virtual_router_id 61
    priority $2
    advert_int 0.1
    virtual_ipaddress {
        fe80::61/64
        $VIP6/64
    }
}
CONF
    echo "$LABDIR/$1-v6.conf"
}
has_vip6() { ip -n "${LAB}$1" -6 -o addr show 2>/dev/null | grep -q " $VIP6/"; }
drops_vip6() { in_box "$1" nft list set $TABLE vips6 2>/dev/null | grep -q "$VIP6"; }
silent6() { ! in_box client ping -6 -n -c 3 -i 0.2 -W 1 "$VIP6" >/dev/null 2>&1; }
resolved() { in_box client ip -6 neigh show "$VIP6" dev eth0 | grep -q "lladdr $(mac_of lb1)"; }
vigil_start lb1 "$(v6conf lb1 100)"
vigil_start lb2 "$(v6conf lb2 90)"
check "IPv6: lb1 is master of $VIP6" wait_until 3000 has_vip6 lb1
check "IPv6: its table drops the VIP (set vips6)" wait_until 1000 drops_vip6 lb1
check "IPv6: the client's ping6 to the VIP gets no answer" silent6
check "IPv6: yet neighbour discovery passes: the client knows lb1's MAC for the VIP" resolved
check "IPv6: the backup has no rules" no_ruleset lb2
daemon_stop lb1
check "IPv6: SIGTERM: no table left on lb1" lacks_table lb1
check "IPv6: lb2 took over with the table" wait_until 2000 drops_vip6 lb2
daemon_stop lb2
finish

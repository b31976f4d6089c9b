#!/usr/bin/env bash
# Runs a guest script inside a qemu VM whose kernel has IPVS, and exits with its status.
#
#   Tests/IPVS/harness.sh GUEST_SCRIPT [ARGS...]        (root)
#
# Why: the project's machines run a kernel without IPVS (CONFIG_IP_VS is not set), so the
# IPVS driver can only be proved against a real kernel in a VM. Debian's stock kernel ships
# the ip_vs modules; we boot it under qemu (TCG: KVM hangs on these machines) with a tiny
# busybox initramfs that mounts the host's root read-only over 9p and chroots into it, so
# the guest script runs the host's own binaries (ipvsadm, ip, python3, the built vigil).
#
# Steps: 1. fetch the kernel once into .build/ipvs-kernel/ (git-ignored), reuse it after;
#        2. build an initramfs (busybox + the needed .ko files + /init) in a temp dir;
#        3. boot, stream the console, read the guest's "VIGIL-GUEST-EXIT=N" marker;
#        4. print timings. Temp dirs are removed on exit; qemu is killed (by PID) if we are.
#
# Environment knobs:
#   IPVS_TIMEOUT=600      hard limit on the VM run, seconds (the guest script gets 60 s
#                         less, or half of it when it is 120 s or less)
#   IPVS_MEM=1024 IPVS_SMP=1
#   IPVS_OUT=DIR          host dir shared read-write with the guest as $VIGIL_SHARE (kept);
#                         default: a temp dir, removed on exit
#   IPVS_KEEP=1           keep the temp dir (initramfs, console.log) and say where
#   IPVS_KERNEL_PKG=linux-image-X-amd64   use this kernel package instead of the cached or
#                         the one linux-image-amd64 depends on
#   IPVS_EXTRA_MODULES="m1 m2"            more modules to load at boot
#   IPVS_INIT=systemd     boot the host's root with systemd as PID 1 instead of chrooting into
#                         it (Tests/IPVS/init-systemd.sh: an overlay with a tmpfs upper layer
#                         makes it writable; the guest script runs as a unit; see Tests/IPVS/README.md)
#
# Guest side (see Tests/IPVS/README.md): the script runs as root in the repo directory with
# VIGIL_REPO, VIGIL_SHARE (=/run/vigil-share), VIGIL_KMOD_ROOT set; / is the host's root,
# read-only; /tmp, /run, /dev/shm are tmpfs. No network device except lo (qemu -nic none).
# With IPVS_INIT=systemd: / is writable (overlay), VIGIL_SHARE=/var/lib/vigil-harness/share.
set -euo pipefail

T0=$EPOCHREALTIME
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
CACHE=$REPO/.build/ipvs-kernel
TIMEOUT=${IPVS_TIMEOUT:-600}
MEM=${IPVS_MEM:-1024}
SMP=${IPVS_SMP:-1}

say() { printf '==> %s\n' "$*"; }
die() { printf 'harness: %s\n' "$*" >&2; exit 125; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }   # between two $EPOCHREALTIMEs

[ $# -ge 1 ] || { echo "usage: $0 GUEST_SCRIPT [ARGS...]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (apt-get download, qemu with a 9p export of /)"
GUEST_SCRIPT=$(realpath -e "$1") || die "no such guest script: $1"
shift
# The guest mounts fresh tmpfs on /tmp and /run: a clone there (CI may make one) is shared
# into the guest on its own and mounted back at the same path.
REPO_MOUNT=
case $REPO in /tmp/*|/run/*) REPO_MOUNT=$REPO ;; esac
case $GUEST_SCRIPT in   # these are fresh tmpfs/devtmpfs mounts in the guest
    "$REPO"/*) ;;
    /tmp/*|/run/*|/dev/*|/proc/*|/sys/*) die "the guest cannot see $GUEST_SCRIPT: keep guest scripts in the repository or outside /tmp, /run, /dev" ;;
esac
for tool in qemu-system-x86_64 busybox cpio depmod modprobe apt-get dpkg flock timeout awk; do
    command -v "$tool" >/dev/null || die "missing $tool (make ipvs-test installs the Debian packages)"
done
# The initramfs has no libc: busybox must be the static build (package busybox-static).
if ldd "$(command -v busybox)" >/dev/null 2>&1; then die "busybox is dynamically linked: install busybox-static"; fi

WORK=$(mktemp -d /tmp/vigil-ipvs.XXXXXX)
QEMU_PIDFILE=$WORK/qemu.pid
cleanup() {
    local rc=$?
    # qemu is the only process we start that can outlive us (timeout would kill it, but not
    # if we are interrupted first); end it by its own PID.
    if [ -s "$QEMU_PIDFILE" ]; then
        local pid; pid=$(cat "$QEMU_PIDFILE")
        kill "$pid" 2>/dev/null && sleep 0.5 && kill -9 "$pid" 2>/dev/null || true
    fi
    # The console reader ends once qemu's output closes; let it, before its files go.
    [ -n "${READER_PID:-}" ] && timeout 5 tail --pid="$READER_PID" -f /dev/null
    [ -n "${FETCH_TMP:-}" ] && rm -rf "$FETCH_TMP"
    if [ "${IPVS_KEEP:-0}" = 1 ]; then echo "harness: kept $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------
# 1. The kernel: the package linux-image-amd64 depends on, extracted once and depmod'ed.
#    Cache layout: .build/ipvs-kernel/<package>/{root/boot/vmlinuz-VER, root/lib/modules/VER,
#    .complete}. The .complete stamp is written last, so an interrupted fetch is redone.
# ---------------------------------------------------------------------------------------
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 900 9 || die "another harness holds $CACHE/.lock for 15 minutes"

resolve_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 ~ /Depends:/ && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
PKG=${IPVS_KERNEL_PKG:-}
if [ -z "$PKG" ]; then
    # Prefer what is cached (runs stay offline and comparable); newest version first.
    PKG=$(ls -d "$CACHE"/linux-image-*/.complete 2>/dev/null | sort -V | tail -1 | xargs -r dirname | xargs -r basename || true)
fi
if [ -z "$PKG" ]; then
    PKG=$(resolve_pkg)
    if [ -z "$PKG" ]; then
        say "apt-get update (the package lists do not know linux-image-amd64)"
        timeout 300 apt-get update -qq >/dev/null
        PKG=$(resolve_pkg)
    fi
    [ -n "$PKG" ] || die "cannot resolve the kernel package linux-image-amd64 depends on"
fi
KVER=${PKG#linux-image-}
KDIR=$CACHE/$PKG
T_FETCH0=$EPOCHREALTIME
if [ -e "$KDIR/.complete" ]; then
    KERNEL_STATE="cached in $KDIR"
else
    say "fetching $PKG into $KDIR (once)"
    FETCH_TMP=$(mktemp -d "$CACHE/.fetch.XXXXXX")
    # APT::Sandbox::User=root: the _apt user cannot write into a root-owned temp dir.
    (cd "$FETCH_TMP" && timeout 600 apt-get -qq -o APT::Sandbox::User=root download "$PKG") ||
        die "apt-get download $PKG failed"
    timeout 300 dpkg -x "$FETCH_TMP"/"$PKG"_*.deb "$FETCH_TMP/root"
    rm -f "$FETCH_TMP"/*.deb
    rm -rf "$FETCH_TMP/root/usr/share/doc"
    [ -f "$FETCH_TMP/root/boot/vmlinuz-$KVER" ] || die "$PKG has no boot/vmlinuz-$KVER"
    timeout 300 depmod -b "$FETCH_TMP/root" "$KVER"
    touch "$FETCH_TMP/.complete"
    rm -rf "$KDIR"
    mv "$FETCH_TMP" "$KDIR"
    FETCH_TMP=
    KERNEL_STATE="downloaded, extracted, depmod'ed into $KDIR"
fi
T_FETCH=$(secs "$T_FETCH0" "$EPOCHREALTIME")
flock -u 9
KROOT=$KDIR/root
MODDIR=$KROOT/lib/modules/$KVER
VMLINUZ=$KROOT/boot/vmlinuz-$KVER

# ---------------------------------------------------------------------------------------
# 2. The initramfs, rebuilt every run (about a second): busybox, the modules with their
#    dependencies in load order, the run description, and /init.
# ---------------------------------------------------------------------------------------
T_INITRD0=$EPOCHREALTIME
IR=$WORK/initramfs
mkdir -p "$IR"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,newroot,vigil,lib/modules/"$KVER"}
cp "$(command -v busybox)" "$IR/bin/busybox"

# The IPVS core and every scheduler this kernel has, what network labs need (veth, bridge,
# conntrack/NAT for LVS-NAT, ipip/ip6_tunnel for LVS-TUN, macvlan for use_vmac, dummy,
# nftables' NAT for FNAT: loaded at boot, as autoloading them under TCG outlasts the 2 s
# an nft run gets), and
# the virtio + 9p stack that reaches the host's root.
WANTED="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_dh ip_vs_sed ip_vs_nq
        ip_vs_lblc ip_vs_lblcr ip_vs_mh ip_vs_fo ip_vs_ovf ip_vs_twos
        veth bridge macvlan dummy nf_conntrack nf_nat ipip ip6_tunnel
        nf_tables nft_chain_nat nft_nat nft_ct
        virtio_pci 9pnet_virtio 9p ${IPVS_EXTRA_MODULES:-}"
INIT_MODE=${IPVS_INIT:-chroot}
case $INIT_MODE in
    chroot) GUEST_SHARE=/run/vigil-share ;;
    # systemd mounts a fresh /run: the harness's files and the share live outside it.
    # IPVS is not loaded at boot there, as on a real box: what loads it (the unit, the
    # kernel's autoload) is part of what the system test proves.
    systemd) GUEST_SHARE=/var/lib/vigil-harness/share
             WANTED="$(for m in $WANTED; do case $m in ip_vs*) ;; *) printf '%s ' "$m" ;; esac; done) overlay"
             cp "$HERE/init-systemd.sh" "$IR/vigil/init-systemd" ;;
    *) die "IPVS_INIT is chroot or systemd, not $INIT_MODE" ;;
esac
declare -A seen=()
LOADED=() MISSING=()
for m in $WANTED; do
    if ! deps=$(modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>/dev/null); then
        MISSING+=("$m"); continue     # e.g. ip_vs_twos only exists from Linux 6.7
    fi
    while read -r verb path _; do
        [ "$verb" = insmod ] || continue          # "builtin NAME": nothing to load
        rel=${path#"$MODDIR"/}
        [ -n "${seen[$rel]:-}" ] && continue
        seen[$rel]=1
        mkdir -p "$IR/lib/modules/$KVER/$(dirname "$rel")"
        cp "$path" "$IR/lib/modules/$KVER/$rel"
        echo "$rel" >> "$IR/vigil/modules.load"
    done <<< "$deps"
    LOADED+=("$m")
done

# The run description. run.sh is bash (it runs inside the chroot, where the host's bash is),
# so printf %q quotes the script path and arguments exactly.
GUEST_TIMEOUT=$(( TIMEOUT > 120 ? TIMEOUT - 60 : TIMEOUT / 2 ))
{
    echo "# generated by Tests/IPVS/harness.sh"
    printf 'export VIGIL_REPO=%q VIGIL_SHARE=%q VIGIL_KMOD_ROOT=%q\n' "$REPO" "$GUEST_SHARE" "$KROOT"
    printf 'export VIGIL_GUEST_SCRIPT=%q\n' "$GUEST_SCRIPT"
    echo 'export HOME=/tmp LANG=C.UTF-8 TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    echo 'cd "$VIGIL_REPO" || exit 125'
    # The guest-side limit ends the script (and lets /init report) before the host's hard
    # limit kills the whole VM without a marker.
    if [ -x "$GUEST_SCRIPT" ]; then run=("$GUEST_SCRIPT" "$@"); else run=(/bin/bash "$GUEST_SCRIPT" "$@"); fi
    printf 'exec timeout -k 10 %s' "$GUEST_TIMEOUT"; printf ' %q' "${run[@]}"; echo
} > "$IR/vigil/run.sh"
printf 'KVER=%s\nKMODDIR=%s\nREPO_MOUNT=%s\n' "$KVER" "$MODDIR" "$REPO_MOUNT" > "$IR/vigil/env"   # plain paths: sourced by ash

cat > "$IR/init" <<'EOF'
#!/bin/busybox sh
# PID 1 of the IPVS test VM (written by Tests/IPVS/harness.sh). Loads the modules, mounts the
# host's root (9p, read-only) at /newroot, makes the usual writable places, runs the guest
# script chrooted there, prints VIGIL-GUEST-EXIT=<status> and powers off.
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
. /vigil/env
note() { echo "VIGIL-INIT: $*"; }
fail() { note "$*"; echo "VIGIL-GUEST-EXIT=125"; sync; poweroff -f; }

while read -r ko; do
    insmod "/lib/modules/$KVER/$ko" 2>/dev/null || note "insmod $ko failed"
done < /vigil/modules.load

R=/newroot
# msize: 9p's default (8 KiB) makes every read crawl; 512 KB is about qemu's maximum.
# cache=loose on the read-only root keeps binaries and libraries in the guest's page cache
# (measured: a second python3 start 2.8 s -> 0.4 s, vigil --help 3.3 s -> 0.5 s). The
# share stays uncached so what the guest writes reaches the host at once.
NINEP=trans=virtio,version=9p2000.L,msize=512000
# IPVS_INIT=systemd: the host's root as an overlay's lower layer, systemd as PID 1 (no return).
[ -f /vigil/init-systemd ] && . /vigil/init-systemd
mount -t 9p -o "$NINEP,cache=loose,ro" hostroot $R || fail "cannot mount the host root over 9p"
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
mount -t tmpfs -o mode=1777 tmp $R/tmp
mount -t tmpfs -o mode=755 run $R/run          # ip netns keeps its mounts in /run/netns
mkdir -p $R/run/vigil $R/run/vigil-share $R/run/lock
cp /vigil/* $R/run/vigil/
mount -t 9p -o "$NINEP" vigilshare $R/run/vigil-share || fail "cannot mount the share"
if [ -n "$REPO_MOUNT" ]; then   # a clone under /tmp or /run, hidden by the tmpfs above
    mkdir -p "$R$REPO_MOUNT"
    mount -t 9p -o "$NINEP,cache=loose,ro" vigilrepo "$R$REPO_MOUNT" || fail "cannot mount the repository"
fi
# Module autoload (ipvsadm -s mh, ip link add type macvlan, nft, ...): the kernel runs
# /sbin/modprobe in PID 1's root, i.e. here, so show busybox modprobe the whole tree.
mount --bind "$R$KMODDIR" "/lib/modules/$KVER" || note "no module autoload"
hostname ipvs-guest
ip link set lo up

echo "VIGIL-GUEST-START uptime=$(cut -d' ' -f1 /proc/uptime)"
chroot $R /usr/bin/env -i /bin/bash /run/vigil/run.sh </dev/console >/dev/console 2>&1
rc=$?
sync
echo "VIGIL-GUEST-EXIT=$rc"
poweroff -f
EOF
chmod +x "$IR/init"
INITRD=$WORK/initrd.cpio   # uncompressed: no gzip to build or to unpack under TCG
(cd "$IR" && find . -print0 | cpio --null -o -H newc --quiet) > "$INITRD"
T_INITRD=$(secs "$T_INITRD0" "$EPOCHREALTIME")

say "kernel $KVER: $KERNEL_STATE"
say "initramfs: ${#LOADED[@]} modules + dependencies ($(wc -l < "$IR/vigil/modules.load") .ko, $(du -k "$INITRD" | cut -f1) KiB) in $T_INITRD s${MISSING[*]:+; not in this kernel: ${MISSING[*]}}"

# ---------------------------------------------------------------------------------------
# 3. Boot. -nic none: the guest has no path to any network, only its own namespaces.
# ---------------------------------------------------------------------------------------
SHARE=${IPVS_OUT:-$WORK/share}
mkdir -p "$SHARE"
LOG=$WORK/console.log
say "booting (TCG, -smp $SMP, -m $MEM, limit $TIMEOUT s, init $INIT_MODE): $GUEST_SCRIPT $*"
T_BOOT0=$EPOCHREALTIME
MARKS=$WORK/marks            # the reader notes "START time uptime" / "EXIT time status" here
: > "$MARKS"
# The whole pipeline runs in the background and we `wait` for it: unlike a foreground
# pipeline, `wait` returns at once on SIGTERM/SIGINT, so the trap can kill qemu by PID.
{
    timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
        -accel tcg -cpu max -smp "$SMP" -m "$MEM" \
        -nographic -no-reboot -nic none -pidfile "$QEMU_PIDFILE" \
        -kernel "$VMLINUZ" -initrd "$INITRD" \
        -append "console=ttyS0 quiet panic=-1" \
        -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
        -virtfs "local,path=$SHARE,mount_tag=vigilshare,security_model=none,multidevs=remap" \
        ${REPO_MOUNT:+-virtfs "local,path=$REPO_MOUNT,mount_tag=vigilrepo,security_model=none,readonly=on,multidevs=remap"} \
        </dev/null 2>&1
    echo "QEMU $? x" >> "$MARKS"
} | sed -u 's/\r$//; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' |   # terminal resets from SeaBIOS
while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line" >> "$LOG"
    if [[ $line =~ VIGIL-GUEST-START\ uptime=([0-9.]+) ]]; then
        echo "START $EPOCHREALTIME ${BASH_REMATCH[1]}" >> "$MARKS"; continue
    elif [[ $line =~ VIGIL-GUEST-EXIT=([0-9]+)$ ]]; then
        echo "EXIT $EPOCHREALTIME ${BASH_REMATCH[1]}" >> "$MARKS"; continue
    elif [[ $line =~ ^(SeaBIOS|Booting\ from\ ROM) ]]; then
        continue
    fi
    printf '    | %s\n' "$line"
done &
READER_PID=$!
wait "$READER_PID" || true
READER_PID=
rm -f "$QEMU_PIDFILE"
T_START= T_EXIT= GUEST_RC= GUEST_UPTIME= QEMU_RC=
while read -r what t v; do
    case $what in
        START) T_START=$t GUEST_UPTIME=$v ;;
        EXIT)  T_EXIT=$t GUEST_RC=$v ;;
        QEMU)  QEMU_RC=$t ;;
    esac
done < "$MARKS"
T_END=$EPOCHREALTIME

# ---------------------------------------------------------------------------------------
# 4. Report.
# ---------------------------------------------------------------------------------------
say "kernel: $T_FETCH s ($KERNEL_STATE)"
say "initramfs build: $T_INITRD s"
if [ -n "$T_START" ]; then
    say "boot to guest script: $(secs "$T_BOOT0" "$T_START") s (guest uptime ${GUEST_UPTIME} s)"
fi
if [ -n "$T_EXIT" ]; then
    say "guest script: $(secs "$T_START" "$T_EXIT") s; VM shutdown: $(secs "$T_EXIT" "$T_END") s"
fi
say "total: $(secs "$T0" "$T_END") s"
[ -n "${IPVS_OUT:-}" ] && say "guest share kept in $SHARE"
if [ -z "$GUEST_RC" ]; then
    if [ "$QEMU_RC" = 124 ] || [ "$QEMU_RC" = 137 ]; then
        die "the VM hit the $TIMEOUT s limit without reporting the guest's status"
    fi
    die "the VM ended (qemu status $QEMU_RC) without reporting the guest's status"
fi
if [ "$GUEST_RC" = 0 ]; then say "guest script passed"; else say "guest script FAILED (status $GUEST_RC)"; fi
exit "$GUEST_RC"

# Sourced by the VM's /init (busybox ash, written by Tests/IPVS/harness.sh) when
# IPVS_INIT=systemd: instead of chrooting into the host's root, boot it with systemd as PID 1.
#
#   - the host's root (9p, read-only) is the lower layer of an overlay whose upper layer is a
#     tmpfs, so the guest can install packages, write /etc, keep a journal; all of it is
#     gone at power-off and the host's files are never touched;
#   - the guest is a VM, not a container: the host's /.dockerenv is hidden (systemd would
#     otherwise say "virtualization docker" and run in container mode: units conditioned on
#     not being in a container skipped, and the shutdown exiting instead of powering off);
#   - so is a container image's policy-rc.d, which would keep maintainer scripts from
#     starting or stopping units;
#   - the units the host enabled (/etc/systemd/system/*.wants: a keepalived speaking VRRP,
#     a database, apt timers) are masked, as are the gettys: the guest boots Debian's
#     vendor defaults and nothing waits for a login;
#   - the guest script runs as vigil-harness.service (after basic.target, output on the
#     console and in the journal), prints VIGIL-GUEST-START / VIGIL-GUEST-EXIT=N as in
#     chroot mode, and its ExecStopPost powers the VM off;
#   - /tmp is a tmpfs (see below);
#   - the early /proc, /sys, /dev are unmounted and busybox switch_root hands PID 1 to
#     /lib/systemd/systemd, which mounts its own /proc, /sys, /dev and a fresh /run.
#
# In: R (the new root, empty), NINEP (9p options), KVER, KMODDIR, REPO_MOUNT; note, fail.
LOWER=/lower
RW=/rw
H=/var/lib/vigil-harness     # outside /run: systemd mounts a fresh one
mkdir -p $LOWER $RW
mount -t 9p -o "$NINEP,cache=loose,ro" hostroot $LOWER || fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=755 rw $RW || fail "cannot mount the overlay's tmpfs"
mkdir -p $RW/upper $RW/work
mount -t overlay -o "lowerdir=$LOWER,upperdir=$RW/upper,workdir=$RW/work" overlay $R ||
    { dmesg | tail -5; fail "cannot mount the overlay (9p lower, tmpfs upper)"; }

# /tmp as a tmpfs, as on many Debian boxes: systemd-tmpfiles would otherwise empty the host's
# /tmp into whiteouts at boot, file by file over 9p (measured: 28 s of a 41 s boot).
mount -t tmpfs -o mode=1777 tmp $R/tmp
mkdir -p $R$H/share
cp /vigil/run.sh $R$H/
mount -t 9p -o "$NINEP" vigilshare $R$H/share || fail "cannot mount the share"
if [ -n "$REPO_MOUNT" ]; then   # a clone in the host's /tmp or /run (see the chroot path)
    mkdir -p "$R$REPO_MOUNT"
    mount -t 9p -o "$NINEP,cache=loose,ro" vigilrepo "$R$REPO_MOUNT" || fail "cannot mount the repository"
fi
# Module autoload: the kernel runs the guest root's /sbin/modprobe (kmod), which looks in
# /lib/modules/$KVER; the host has another kernel's tree there, if any.
mkdir -p "$R/lib/modules/$KVER"
mount --bind "$R$KMODDIR" "$R/lib/modules/$KVER" || note "no module autoload"
rm -f $R/.dockerenv $R/run/.containerenv
# A container image's policy-rc.d ("exit 101": start no service from a package's scripts)
# has no place on a booted box: maintainer scripts must be able to start and stop units.
[ -f $R/usr/sbin/policy-rc.d ] && grep -q 'exit 101' $R/usr/sbin/policy-rc.d && rm -f $R/usr/sbin/policy-rc.d

S=$R/etc/systemd/system
mkdir -p $S/multi-user.target.wants
for link in $LOWER/etc/systemd/system/*.wants/* $LOWER/etc/systemd/system/*.requires/*; do
    [ -L "$link" ] || [ -e "$link" ] || continue
    case ${link##*/} in vigil*) continue ;; esac
    ln -sf /dev/null "$S/${link##*/}"
done
for unit in getty.target serial-getty@ttyS0.service getty@tty1.service console-getty.service; do
    ln -sf /dev/null "$S/$unit"
done

cat > $R$H/unit-main.sh <<EOF
#!/bin/sh
# The guest script's unit (written by Tests/IPVS/init-systemd.sh).
echo "VIGIL-GUEST-START uptime=\$(cut -d' ' -f1 /proc/uptime)"
/usr/bin/env -i /bin/bash $H/run.sh </dev/null
rc=\$?
sync
echo "VIGIL-GUEST-EXIT=\$rc"
EOF
cat > $S/vigil-harness.service <<EOF
[Unit]
Description=Vigil test harness: the guest script
DefaultDependencies=no
After=basic.target

[Service]
Type=exec
ExecStart=/bin/sh $H/unit-main.sh
StandardOutput=journal+console
StandardError=journal+console
ExecStopPost=/bin/systemctl poweroff -f
EOF
ln -sf ../vigil-harness.service $S/multi-user.target.wants/vigil-harness.service

hostname ipvs-guest
note "switch_root: systemd as PID 1 (uptime $(cut -d' ' -f1 /proc/uptime))"
umount /proc /sys /dev 2>/dev/null
exec switch_root $R /lib/systemd/systemd

#!/usr/bin/env bash
# The Debian package, checked without installing it on this machine: contents, control
# fields (Depends from dpkg-shlibdeps, the conffile), lintian, the unit as packaged, the
# manual pages, completions, the binary's version, the example configuration, and the
# maintainer scripts run in a private mount namespace (no systemd there; purge cleans up).
#   Tests/Package/check-deb.sh [PATH.deb]     (without a path: make deb, then its package)
# Root: the maintainer scripts run under unshare -m with tmpfs over the paths they touch.
set -u
cd "$(dirname "$0")/../.."
failed=0
ok()   { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; failed=1; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

deb=${1:-}
if [ -z "$deb" ]; then
    make -s deb || { echo "  FAIL make deb"; exit 1; }
    deb=$(ls -t .build/deb/vigil_*_amd64.deb | head -1)
fi
[ -f "$deb" ] || { echo "  FAIL no package at '$deb'"; exit 1; }
version=$(basename "$deb" | sed -n 's/^vigil_\(.*\)_amd64\.deb$/\1/p')
echo "==> $deb ($(du -h "$deb" | cut -f1), version $version)"
scratch=$(mktemp -d /tmp/vigil-deb.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# Contents.
dpkg-deb -c "$deb" | awk '{ print $1, $NF }' | sed 's| \./| /|; s|/$||' > "$scratch/contents"
count=$(wc -l < "$scratch/contents")
check "dpkg-deb -c lists the package ($count entries)" test "$count" -gt 20
for path in /usr/sbin/vigil /lib/systemd/system/vigil.service /etc/vigil/vigil.conf \
        /usr/share/doc/vigil/copyright /usr/share/doc/vigil/changelog.gz /usr/share/doc/vigil/README.md.gz \
        /usr/share/doc/vigil/examples/vigil-script-user.conf \
        /usr/share/man/man8/vigil.8.gz /usr/share/man/man5/vigil.conf.5.gz \
        /usr/share/bash-completion/completions/vigil /usr/share/zsh/vendor-completions/_vigil \
        /usr/share/fish/vendor_completions.d/vigil.fish /usr/share/lintian/overrides/vigil; do
    check "contains $path" grep -q " $path\$" "$scratch/contents"
done
check "nothing under /usr/local, no active drop-in under /etc/systemd" \
    sh -c "! grep -Eq ' /(usr/local|etc/systemd)' '$scratch/contents'"
check "the binary is -rwxr-xr-x, the configuration -rw-r-----" \
    sh -c "grep -qx -- '-rwxr-xr-x /usr/sbin/vigil' '$scratch/contents' && grep -qx -- '-rw-r----- /etc/vigil/vigil.conf' '$scratch/contents'"

# Control fields.
field() { dpkg-deb -f "$deb" "$1"; }
depends=$(field Depends)
echo "       Depends: $depends"
check "Package vigil, Version $version, Architecture amd64" \
    test "$(field Package) $(field Version) $(field Architecture)" = "vigil $version amd64"
check "Depends names libnl-3-200 and libnl-route-3-200 (from dpkg-shlibdeps)" \
    sh -c "echo '$depends' | grep -q 'libnl-3-200 (>=' && echo '$depends' | grep -q 'libnl-route-3-200 (>='"
check "Depends names libc6 and no Swift runtime (linked statically)" \
    sh -c "echo '$depends' | grep -q 'libc6 (>=' && ! echo '$depends' | grep -qi swift"
dpkg-deb -e "$deb" "$scratch/DEBIAN"
check "conffiles: /etc/vigil/vigil.conf" grep -qx /etc/vigil/vigil.conf "$scratch/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    check "$script: executable, sh -n" sh -c "test -x '$scratch/DEBIAN/$script' && sh -n '$scratch/DEBIAN/$script'"
done

# lintian: no error; the warnings and infos are printed.
lintian --tag-display-limit 0 "$deb" > "$scratch/lintian" 2>&1
errors=$(grep -c '^E:' "$scratch/lintian")
sed 's/^/       lintian: /' "$scratch/lintian"
check "lintian: 0 errors ($errors; $(grep -c '^W:' "$scratch/lintian") warnings)" test "$errors" = 0
check "lintian ran on the package" sh -c "! grep -q 'error\\|cannot' '$scratch/lintian' || grep -q '^[EWIPN]:' '$scratch/lintian'"

# The files themselves.
root=$scratch/root
dpkg-deb -x "$deb" "$root"
bin=$root/usr/sbin/vigil
check "vigil --version says $version" test "$("$bin" --version)" = "$version"
unit=$root/lib/systemd/system/vigil.service
check "the unit runs /usr/sbin/vigil (ExecStart)" \
    sh -c "grep -q '^ExecStart=/usr/sbin/vigil run ' '$unit' && ! grep -q /usr/local '$unit'"
sed "s|/usr/sbin/vigil|$bin|g; s|/etc/vigil/vigil.conf|$root/etc/vigil/vigil.conf|g" "$unit" > "$scratch/vigil.service"
verify=$(systemd-analyze verify "$scratch/vigil.service" 2>&1 | grep -v "^$")
check "systemd-analyze verify of the packaged unit: no complaint${verify:+ ($verify)}" test -z "$verify"

conf=$root/etc/vigil/vigil.conf
active=$(grep -Evc '^[[:space:]]*(#|$)' "$conf")
check "the example configuration has no active line ($active)" test "$active" = 0
out=$("$bin" check -f "$conf"); rc=$?
check "vigil check on it: nothing configured ($out)" \
    sh -c "[ $rc = 0 ] && echo '$out' | grep -q ': 0 VRRP instances, 0 sync groups, 0 virtual servers, 0 real servers'"
sed -E 's/^#([^[:space:]#]|[[:space:]]{2,})/\1/' "$conf" > "$scratch/uncommented.conf"
out=$("$bin" check -f "$scratch/uncommented.conf"); rc=$?
check "with its statements uncommented it is the pair example ($out)" \
    sh -c "[ $rc = 0 ] && echo '$out' | grep -q ': 1 VRRP instance,' && grep -q '192.0.2.100/24' '$scratch/uncommented.conf'"

for page in man8/vigil.8.gz man5/vigil.conf.5.gz; do
    f=$root/usr/share/man/$page
    warnings=$(zcat "$f" | groff -man -Tutf8 -ww -z 2>&1)
    check "$page: groff -man -ww without warnings${warnings:+ ($warnings)}" test -z "$warnings"
    lines=$(MANWIDTH=80 man -l "$f" 2>/dev/null | wc -l)
    check "$page: man -l renders it ($lines lines)" test "$lines" -gt 50
done
MANWIDTH=200 man -l "$root/usr/share/man/man8/vigil.8.gz" 2>/dev/null > "$scratch/vigil.8.txt"
"$bin" --experimental-dump-help | python3 -c '
import json, sys
root = json.load(sys.stdin)["command"]
for sub in root["subcommands"]:
    print("vigil " + sub["commandName"])
    for a in sub.get("arguments", []):
        if a.get("shouldDisplay", True) and a.get("kind") != "positional":
            print("--" + [n["name"] for n in a["names"] if n["kind"] == "long"][0])
' | sort -u > "$scratch/expected-words"
missing=$(while read -r w; do grep -qF -- "$w" "$scratch/vigil.8.txt" || echo "$w"; done < "$scratch/expected-words" | tr '\n' ' ')
check "vigil(8) names every subcommand and flag ($(wc -l < "$scratch/expected-words") words${missing:+; missing: $missing})" \
    sh -c "[ -z '$missing' ] && [ $(wc -l < "$scratch/expected-words") -gt 20 ]"
MANWIDTH=200 man -l "$root/usr/share/man/man5/vigil.conf.5.gz" 2>/dev/null > "$scratch/vigil.conf.5.txt"
supported=$("$bin" check --list-keywords | grep -c $'\tsupported\t')
zcat "$root/usr/share/man/man5/vigil.conf.5.gz" > "$scratch/vigil.conf.5"
listed() { grep -A"$3" "^\.SS \"$1\"" "$scratch/vigil.conf.5" | tail -1 | grep -q "\\\\fB$2\\\\fR"; }
check "vigil.conf(5) lists the keywords ($supported read by Vigil): vrrp_instance's virtual_router_id and SMTP_CHECK's helo_name read, BFD_CHECK's name not" \
    bash -c "[ $supported -gt 100 ] && $(declare -f listed); scratch=$scratch; listed vrrp_instance virtual_router_id 3 && listed SMTP_CHECK helo_name 3 && listed BFD_CHECK name 6 && ! listed BFD_CHECK name 3"

comp=$root/usr/share
check "bash completion: parses, completes vigil" sh -c "bash -n '$comp/bash-completion/completions/vigil' && grep -q 'complete .*vigil' '$comp/bash-completion/completions/vigil'"
check "zsh completion: #compdef vigil" sh -c "head -1 '$comp/zsh/vendor-completions/_vigil' | grep -q '^#compdef vigil'"
check "fish completion: complete -c vigil" grep -Eq "complete -c '?vigil" "$comp/fish/vendor_completions.d/vigil.fish"

# Maintainer scripts, in a mount namespace whose /run is an empty tmpfs (no systemd) and
# whose /etc and /var are overlays writing to a tmpfs (the host's stay as they are): configure (fresh and
# upgrade) must succeed without systemd; purge removes the configuration, /run/vigil,
# the enable symlink and the documented drop-in.
if [ "$(id -u)" = 0 ]; then
    mkdir "$scratch/ov"
    cat > "$scratch/maint.sh" <<SH
set -e
mount -t tmpfs none /run
mount -t tmpfs none $scratch/ov
for d in etc var; do
    mkdir -p $scratch/ov/\$d/up $scratch/ov/\$d/work
    mount -t overlay overlay -o lowerdir=/\$d,upperdir=$scratch/ov/\$d/up,workdir=$scratch/ov/\$d/work /\$d
done
D=$scratch/DEBIAN
sh \$D/postinst configure && echo fresh-configure-ok
sh \$D/postinst configure 0.1.1 && echo upgrade-configure-ok
sh \$D/prerm upgrade 0.1.2 && sh \$D/prerm remove && echo prerm-ok
mkdir -p /etc/vigil && cp $conf /etc/vigil/vigil.conf
mkdir -p /run/vigil /etc/systemd/system/multi-user.target.wants /etc/systemd/system/vigil.service.d
: > /run/vigil/vigil.pid
ln -s /lib/systemd/system/vigil.service /etc/systemd/system/multi-user.target.wants/vigil.service
cp $root/usr/share/doc/vigil/examples/vigil-script-user.conf /etc/systemd/system/vigil.service.d/script-user.conf
sh \$D/postrm remove && test -f /etc/vigil/vigil.conf && echo remove-keeps-config
sh \$D/postrm purge && echo purge-ok
left=""
for p in /etc/vigil /run/vigil /etc/systemd/system/multi-user.target.wants/vigil.service /etc/systemd/system/vigil.service.d; do
    if [ -e \$p ] || [ -L \$p ]; then left="\$left \$p"; fi
done
[ -z "\$left" ] && echo nothing-left || echo "left:\$left"
SH
    DPKG_MAINTSCRIPT_PACKAGE=vigil unshare -m --propagation private sh "$scratch/maint.sh" > "$scratch/maint.log" 2>&1
    for word in fresh-configure-ok upgrade-configure-ok prerm-ok remove-keeps-config purge-ok nothing-left; do
        check "maintainer scripts without systemd: $word" grep -qx "$word" "$scratch/maint.log"
    done
    [ $failed = 0 ] || sed 's/^/       /' "$scratch/maint.log"
else
    echo "  skip maintainer scripts: need root (unshare -m)"
    # Under CI every layer runs: a skip is a failure.
    [ "${CI:-}" = true ] && { echo "  FAIL maintainer scripts skipped under CI"; failed=1; }
fi
exit $failed

#!/usr/bin/env bash
# Turns a staging tree that `make install DESTDIR=STAGE PREFIX=/usr UNITDIR=/lib/systemd/system`
# filled into OUTDIR/vigil_VERSION_amd64.deb (called by `make deb`):
#   - the example /etc/vigil/vigil.conf replaced by an entirely commented-out one (conffile);
#   - the script-user drop-in moved to /usr/share/doc/vigil/examples (documentation, not active);
#   - the binary stripped; Depends from dpkg-shlibdeps on it;
#   - vigil(8) from the argument parser (manpage.py), vigil.conf(5) with its keyword lists
#     from `vigil check --list-keywords`; bash, zsh and fish completions from the parser;
#   - copyright, changelog.gz (the version has no Debian revision: a native package), README, lintian overrides, maintainer scripts.
#
#   packaging/deb/build-deb.sh STAGE VERSION SOURCE_DATE_EPOCH OUTDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
here=packaging/deb
stage=$1 version=$2 epoch=$3 outdir=$4
export SOURCE_DATE_EPOCH=$epoch
bin=$stage/usr/sbin/vigil
doc=$stage/usr/share/doc/vigil
die() { echo "build-deb: $*" >&2; exit 1; }

[ -x "$bin" ] || die "no $bin: run make install into $stage first"
built=$("$bin" --version)
[ "$built" = "$version" ] || die "the binary says version '$built', the package would be '$version'"
[ -f "$stage/lib/systemd/system/vigil.service" ] || die "no unit in $stage/lib/systemd/system"
grep -q "^ExecStart=/usr/sbin/vigil " "$stage/lib/systemd/system/vigil.service" || die "the unit does not run /usr/sbin/vigil"

strip --strip-unneeded --remove-section=.comment --remove-section=.note "$bin"

# The example configuration: etc/pair-master.conf behind a header, its statements
# commented out ('#' in column 1), its own introduction (up to the first blank line) left out.
{
    cat $here/vigil.conf.head
    sed '1,/^$/d' etc/pair-master.conf | sed -E 's/^([[:space:]]*[^#[:space:]])/#\1/'
} > "$stage/etc/vigil/vigil.conf"
chmod 0640 "$stage/etc/vigil/vigil.conf"
if grep -Ev '^[[:space:]]*(#|$)' "$stage/etc/vigil/vigil.conf"; then die "the example configuration has an active line"; fi

# The drop-in is documentation: it widens the unit's capabilities, so it is not installed active.
install -d -m 0755 "$doc/examples"
mv "$stage/usr/share/vigil/vigil-script-user.conf" "$doc/examples/"
rmdir "$stage/usr/share/vigil"

day=$(date -u -d "@$epoch" +%Y-%m-%d)
install -d -m 0755 "$stage/usr/share/man/man8" "$stage/usr/share/man/man5"
$here/manpage.py "$bin" "$version" "$day" > "$stage/usr/share/man/man8/vigil.8"
# vigil.conf(5): the keyword lists, one subsection per block, supported first.
"$bin" check --list-keywords > "$stage/keywords.tsv"
[ "$(wc -l < "$stage/keywords.tsv")" -gt 100 ] || die "vigil check --list-keywords listed too little"
awk -F'\t' '
    function flush() {
        if (block == "") return
        print ".SS \"" (block == "-" ? "top level" : block) "\""
        print ".TP"; print "read by Vigil"; print (yes == "" ? "(none)" : yes)
        print ".TP"; print "recognised, not supported"; print (no == "" ? "(none)" : no)
    }
    $1 != block { flush(); block = $1; yes = ""; no = "" }
    {
        word = "\\fB" $2 "\\fR" ($4 != "" ? " (" $4 ")" : "")
        if ($3 == "supported") yes = yes (yes == "" ? "" : ", ") word
        else no = no (no == "" ? "" : ", ") word
    }
    END { flush() }
' "$stage/keywords.tsv" > "$stage/keywords.roff"
rm "$stage/keywords.tsv"
sed -e "s/@DATE@/$day/; s/@VERSION@/$version/" -e "/^@KEYWORDS@\$/{r $stage/keywords.roff" -e 'd}' \
    $here/vigil.conf.5.in > "$stage/usr/share/man/man5/vigil.conf.5"
rm "$stage/keywords.roff"
gzip -9n "$stage/usr/share/man/man8/vigil.8" "$stage/usr/share/man/man5/vigil.conf.5"

# Shell completions, where Debian's bash-completion, zsh and fish look for them.
install -d -m 0755 "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
    "$stage/usr/share/fish/vendor_completions.d"
# bash-completion sources the file: no #! line.
"$bin" --generate-completion-script bash | sed '1{/^#!/d}' > "$stage/usr/share/bash-completion/completions/vigil"
"$bin" --generate-completion-script zsh > "$stage/usr/share/zsh/vendor-completions/_vigil"
"$bin" --generate-completion-script fish > "$stage/usr/share/fish/vendor_completions.d/vigil.fish"

install -m 0644 $here/copyright "$doc/copyright"
gzip -9n < README.md > "$doc/README.md.gz"
hash=${version##*+g}
{
    echo "vigil ($version) unstable; urgency=medium"
    echo
    echo "  * Built from commit $hash of the Vigil repository (see its history)."
    echo
    echo " -- Vigil maintainers <maintainers@users.noreply.h-seed-b883d5a1.example>  $(date -u -R -d "@$epoch")"
} | gzip -9n > "$doc/changelog.gz"
install -D -m 0644 $here/lintian-overrides "$stage/usr/share/lintian/overrides/vigil"

# Control area. dpkg-shlibdeps wants a debian/control to read; give it a minimal one.
install -d -m 0755 "$stage/DEBIAN"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/debian"
printf 'Source: vigil\n\nPackage: vigil\nArchitecture: amd64\n' > "$scratch/debian/control"
ln -s "$(realpath "$stage")" "$scratch/debian/vigil"
depends=$(cd "$scratch" && dpkg-shlibdeps -O -edebian/vigil/usr/sbin/vigil | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies"
# The release build packs its relative relocations (DT_RELR, Makefile): glibc runs those
# from 2.36 on and the binary says so (GLIBC_ABI_DT_RELR), but dpkg-shlibdeps derives the
# libc6 version from the symbols' versions only.
if readelf -V "$bin" | grep -q GLIBC_ABI_DT_RELR; then
    depends=$(echo "$depends" | sed -E 's/libc6 \(>= [0-9.]+\)/libc6 (>= 2.36)/')
    echo "$depends" | grep -q 'libc6 (>= 2.36)' || die "Depends does not name libc6 (>= 2.36): $depends"
fi
size=$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@DEPENDS@/$depends/" -e "s/@INSTALLED_SIZE@/$size/" $here/control.in > "$stage/DEBIAN/control"
install -m 0644 $here/conffiles "$stage/DEBIAN/conffiles"
install -m 0755 $here/postinst $here/prerm $here/postrm "$stage/DEBIAN/"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"

find "$stage" -type d -exec chmod 0755 {} +
deb=$outdir/vigil_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" > /dev/null
echo "==> $deb ($(du -h "$deb" | cut -f1)); Depends: $depends"

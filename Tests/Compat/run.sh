#!/usr/bin/env bash
# Compatibility of `vigil check --host` with `keepalived -t` (Debian's keepalived 2.2.7)
# on the corpus in Tests/Compat/corpus, inside a network namespace that has eth0 and eth1.
# See Tests/Compat/KEEPALIVED-T.md for how keepalived -t reports problems.
#
# Every corpus/*.conf carries a header the runner reads:
#   # expect-vigil-exit: 0|1          required: vigil's exit status
#   # known-difference: <why>         optional: keepalived misreads this valid config,
#                                     so check (c) below is skipped
#   # expect-vigil-diagnostics: N     optional: vigil prints exactly N diagnostics
#                                     (used where a misreading would only show as a warning)
# Checks, per config:
#   (a) vigil's exit status equals expect-vigil-exit;
#   (b) a config keepalived accepts silently (exit 0, no line-located message) vigil
#       accepts too (exit 0);
#   (c) every line keepalived reports, "(FILE: Line N) ..." or "(Line N) ..." (the latter
#       always means the top-level file), vigil reports a diagnostic on too — for the
#       config itself and for the files it includes — unless known-difference is set.
# Both tools select the config id "compat" for @ID lines (keepalived -i, vigil --config-id).
#
# Usage: Tests/Compat/run.sh [VIGIL_BINARY]   (default: $VIGIL, else .build/debug/vigil)
# Needs root (creates and deletes one network namespace). keepalived's output goes to a
# temporary directory that is removed at exit; nothing is written into the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
vigil=${1:-${VIGIL:-$root/.build/debug/vigil}}
case $vigil in /*) ;; *) vigil=$PWD/$vigil ;; esac
[ -x "$vigil" ] || { echo "compat: no vigil binary at $vigil" >&2; exit 2; }
command -v keepalived >/dev/null || { echo "compat: keepalived is not installed" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "compat: needs root (network namespace)" >&2; exit 2; }

ns="vigcompat-$$"
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
# The dummy link type is missing on some kernels; a veth pair gives eth0 and eth1 too.
if ! ip -n "$ns" link add eth0 type dummy 2>/dev/null; then
    ip -n "$ns" link add eth0 type veth peer name eth1
else
    ip -n "$ns" link add eth1 type dummy
fi
ip -n "$ns" link set lo up
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth1 up

# has_diag OUTPUT FILE LINE: vigil printed an error or warning at FILE:LINE. FILE is the
# top-level path as given, or an included path as keepalived prints it (relative to the
# including file's folder), which vigil prints with that folder in front.
has_diag() {
    awk -v main="$2:$3:" -v inc="/$2:$3:" '
        / (error|warning): / && (index($0, main) == 1 || index($0, inc) > 0) { found = 1 }
        END { exit !found }' "$1"
}

pass=0; fail=0; n=0
for conf in "$here"/corpus/*.conf; do
    n=$((n + 1)); [ "$n" -le 500 ] || { echo "compat: more than 500 configs?" >&2; exit 2; }
    name=$(basename "$conf")
    expect=$(sed -n 's/^# expect-vigil-exit: *\([0-9]\).*/\1/p' "$conf" | head -1)
    ndiag=$(sed -n 's/^# expect-vigil-diagnostics: *\([0-9]*\).*/\1/p' "$conf" | head -1)
    known=$(grep -c '^# known-difference:' "$conf" || true)
    set +e
    timeout 20 ip netns exec "$ns" keepalived -t -i compat -f "$conf" >"$work/k.out" 2>&1
    kexit=$?
    timeout 20 ip netns exec "$ns" "$vigil" check --host --config-id compat -f "$conf" \
        >"$work/v.out" 2>&1
    vexit=$?
    set -e
    # Located messages as "FILE<tab>LINE" pairs; "(Line N)" is the top-level file.
    awk -v main="$conf" '
        match($0, /^\([^()]*: Line [0-9]+\)/) {
            s = substr($0, 2, RLENGTH - 2); i = index(s, ": Line ")
            print substr(s, 1, i - 1) "\t" substr(s, i + 7); next }
        match($0, /^\(Line [0-9]+\)/) { print main "\t" substr($0, 7, RLENGTH - 7) }' \
        "$work/k.out" | sort -u >"$work/k.lines"
    klines=$(awk -F'\t' -v main="$conf" '{ print ($1 == main ? "" : $1 ":") $2 }' "$work/k.lines" |
             paste -sd' ' -)
    reasons=()
    if [ -z "$expect" ]; then
        reasons+=("no '# expect-vigil-exit:' header")
    elif [ "$vexit" != "$expect" ]; then
        reasons+=("vigil exited $vexit, expected $expect")
    fi
    if [ "$kexit" = 0 ] && [ ! -s "$work/k.lines" ] && [ "$vexit" != 0 ]; then
        reasons+=("keepalived accepts it silently, vigil exited $vexit")
    fi
    if [ -n "$ndiag" ]; then
        got=$(grep -cE ' (error|warning): ' "$work/v.out" || true)
        [ "$got" = "$ndiag" ] || reasons+=("vigil printed $got diagnostics, expected $ndiag")
    fi
    if [ "$known" = 0 ]; then
        while IFS=$'\t' read -r file line; do
            [ -n "$file" ] || continue
            if [ "$file" = "$conf" ]; then shown=$name; else shown=$file; fi
            has_diag "$work/v.out" "$file" "$line" ||
                reasons+=("keepalived reports $shown line $line, vigil does not")
        done <"$work/k.lines"
    fi
    if [ ${#reasons[@]} = 0 ]; then
        pass=$((pass + 1))
        printf 'PASS %-34s keepalived exit %s, lines [%s]; vigil exit %s%s\n' \
            "$name" "$kexit" "$klines" "$vexit" "$([ "$known" = 0 ] || echo ' (known difference)')"
    else
        fail=$((fail + 1))
        printf 'FAIL %-34s %s\n' "$name" "$(printf '%s; ' "${reasons[@]}" | sed 's/; $//')"
        sed 's/^/    keepalived: /' "$work/k.out" | head -8
        sed 's/^/    vigil:      /' "$work/v.out" | head -8
    fi
done
echo "compat: $pass passed, $fail failed ($((pass + fail)) configs)"
[ "$fail" = 0 ]

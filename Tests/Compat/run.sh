#!/usr/bin/env bash
# Compatibility of `vigil check --host` with `keepalived -t` (Debian's keepalived 2.2.7)
# on the corpus in Tests/Compat/corpus, inside a network namespace that has eth0 and eth1.
#
# For every corpus/*.conf:
#   (a) vigil's exit status equals the file's `# expect-vigil-exit:` header;
#   (b) a config keepalived accepts silently (exit 0, no located message) vigil accepts (0);
#   (c) every line keepalived reports for the file ("(FILE: Line N) …"), vigil reports a
#       diagnostic on too — unless the file says `# known-difference:`.
# keepalived -t prints its located messages on stderr with -l; exit 0 when clean.
#
# Usage: Tests/Compat/run.sh [VIGIL_BINARY]    (root: creates and deletes a namespace)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
vigil=$(readlink -f "${1:-${VIGIL:-$root/.build/debug/vigil}}")
[ -x "$vigil" ] || { echo "compat: no vigil binary at $vigil" >&2; exit 2; }
command -v keepalived >/dev/null || { echo "compat: keepalived is not installed" >&2; exit 2; }

ns="vigcompat-$$"
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
ip netns add "$ns"
# A veth pair gives the namespace its eth0 and eth1 (the dummy module may be absent).
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth1 up

pass=0; fail=0
for conf in "$here"/corpus/*.conf; do
    name=$(basename "$conf")
    expect=$(sed -n 's/^# expect-vigil-exit: *\([0-9]\).*/\1/p' "$conf" | head -1)
    known=$(grep -c '^# known-difference:' "$conf" || true)
    set +e
    timeout 20 ip netns exec "$ns" keepalived -t -l -n -f "$conf" >"$work/k.out" 2>&1
    kexit=$?
    timeout 20 ip netns exec "$ns" "$vigil" check --host --config-id compat -f "$conf" >"$work/v.out" 2>&1
    vexit=$?
    set -e
    # Lines keepalived reports for this very file.
    # "(FILE: Line N)" names the file; "(Line N)" (include errors) means the main file.
    klines=$( { sed -n "s|^(${conf//|/\\|}: Line \([0-9]*\)).*|\1|p" "$work/k.out"
                sed -n 's|^(Line \([0-9]*\)).*|\1|p' "$work/k.out"; } | sort -un)
    reasons=()
    [ "$vexit" = "$expect" ] || reasons+=("vigil exited $vexit, expected $expect")
    if [ "$kexit" = 0 ] && [ -z "$klines" ] && [ "$vexit" != 0 ]; then
        reasons+=("keepalived accepts it silently, vigil exited $vexit")
    fi
    if [ "$known" = 0 ]; then
        for n in $klines; do
            grep -q "^${conf}:${n}:" "$work/v.out" || reasons+=("keepalived reports line $n, vigil does not")
        done
    fi
    if [ ${#reasons[@]} = 0 ]; then
        pass=$((pass + 1))
        printf 'PASS %-32s keepalived exit %s, lines [%s]; vigil exit %s\n' "$name" "$kexit" "$(echo $klines)" "$vexit"
    else
        fail=$((fail + 1))
        printf 'FAIL %-32s %s\n' "$name" "$(IFS=';'; echo "${reasons[*]}")"
        sed 's/^/    keepalived: /' "$work/k.out" | head -8
        sed 's/^/    vigil:      /' "$work/v.out" | head -8
    fi
done
echo "compat: $pass passed, $fail failed ($((pass + fail)) configs)"
[ "$fail" = 0 ]

#!/usr/bin/env bash
# Builds the libFuzzer target for the VRRP advertisement decoder (and the receive checks of
# VirtualRouter) and runs it.
#   Fuzz/run-advert.sh [SECONDS]   (default 600)
# The corpus in Fuzz/corpus/advert grows in place; crashes land in Fuzz/artifacts/advert-*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
out=.build/fuzz
corpus=Fuzz/corpus/advert
mkdir -p "$out" Fuzz/artifacts "$corpus"

# Seeds: whole IPv4 packets. The first two are the keepalived 2.2.7 captures of
# Tests/VRRPTests/AdvertisementTests.swift; the others are built the same way (VRID 51,
# VIPs 192.0.2.100 and .101, PASS "secret"). Named by SHA-1 as libFuzzer names its own, so
# writing them again is a no-op.
seeds=(
  # v2 PASS, priority 255, 1 s, from 192.0.2.11 to 224.0.0.18 (keepalived)
  45c0002c00010000ff701883c000020be00000122133ff0201011db2c0000264c00002657365637265740000
  # v3, priority 200, 0.5 s (keepalived)
  45c0002400010000ff70188bc000020be00000123133c8020032df2ec0000264c0000265
  # v2 PASS, priority 0 (the master leaving)
  45c0002c00010000ff701883c000020be00000122133000201011cb3c0000264c00002657365637265740000
  # v3, priority 0, 1 s
  45c0002400010000ff70188bc000020be0000012313300020064a6fdc0000264c0000265
  # v2 PASS, priority 100 from 192.0.2.13 (a tie broken by the address)
  45c0002c00010000ff701881c000020de0000012213364020101b8b2c0000264c00002657365637265740000
  # v3 unicast, priority 150, 1 s, from 192.0.2.13 to 192.0.2.12
  45c0002400010000ff70368fc000020dc000020c3133960200642f01c0000264c0000265
  # IPv6 (a header standing for the socket's ancillary data): v3, VRID 51, priority 100,
  # 0.1 s, from fe80::11 to ff02::12, VIP 2001:db8::100; checksum over the IPv6 pseudo-header
  60000000001870fffe800000000000000000000000000011ff02000000000000000000000000001231336401000a3dd920010db8000000000000000000000100
)
for hex in "${seeds[@]}"; do
  tmp=$(mktemp "$corpus/.seed.XXXXXX")
  printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')" >"$tmp"
  mv "$tmp" "$corpus/$(sha1sum "$tmp" | cut -d' ' -f1)"
done

# The shared value types first, as the module VRRP imports; then VRRP and the target.
swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -module-name VigilTypes \
  -emit-module -emit-module-path "$out/VigilTypes.swiftmodule" -emit-library -static -o "$out/libVigilTypes.a" \
  Sources/VigilTypes/*.swift
swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -module-name VigilVRRPFuzz \
  -I "$out" -L "$out" -lVigilTypes \
  Sources/VRRP/*.swift Fuzz/AdvertFuzz.swift \
  -o "$out/advert-fuzz"
"$out/advert-fuzz" -max_total_time="$seconds" -max_len=512 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=Fuzz/artifacts/advert- -print_final_stats=1 \
  "$corpus"

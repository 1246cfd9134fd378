#!/usr/bin/env bash
# systemd-analyze verify accepts the unit (with ExecStart pointing at the built binary) without a
# single warning, and its exposure score stays "OK" (below 4.0) under systemd-analyze security.
# usage: systemd_unit_test.sh TUNESCOPE SOURCE_DIR
set -euo pipefail
tunescope=$(realpath "$1") src=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (package systemd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unit=$src/deploy/systemd/tunescope.service
grep -q '^ExecStart=/usr/sbin/tunescope serve' "$unit" || fail "unexpected ExecStart"
sed "s|^ExecStart=/usr/sbin/tunescope|ExecStart=$tunescope|" "$unit" >"$tmp/tunescope.service"
out=$(systemd-analyze verify "$tmp/tunescope.service" 2>&1) || fail "verify: $out"
[[ -z $out ]] || fail "verify warns: $out"
# The flags in ExecStart must be ones the daemon accepts.
flags=$(sed -n 's|^ExecStart=/usr/sbin/tunescope serve ||p' "$unit")
help=$("$tunescope" serve --help)
for f in $flags; do
  grep -q -- "${f%%=*}" <<<"$help" || fail "ExecStart flag $f is unknown to tunescope serve"
done
for cap in CAP_BPF CAP_PERFMON CAP_NET_ADMIN; do
  grep -q "^CapabilityBoundingSet=.*$cap" "$unit" || fail "bounding set lacks $cap"
done
if grep -E '^(CapabilityBoundingSet|AmbientCapabilities)=.*CAP_SYS_ADMIN' "$unit"; then
  fail "CAP_SYS_ADMIN must not be granted by default"
fi
# The whole help first: `| grep -q` would fail under pipefail when the writer gets SIGPIPE.
analyze_help=$(systemd-analyze security --help 2>/dev/null || true)
if grep -q -- '--offline' <<<"$analyze_help"; then
  score=$(systemd-analyze security --offline=yes "$tmp/tunescope.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for tunescope.service: \([0-9.]*\).*/\1/p')
  [[ -n $score ]] || fail "no exposure score"
  awk -v s="$score" 'BEGIN { exit !(s < 4.0) }' || fail "exposure $score, want < 4.0"
  echo "exposure level $score"
fi
echo PASS

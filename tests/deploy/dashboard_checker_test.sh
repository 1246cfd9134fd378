#!/usr/bin/env bash
# The checker passes the committed dashboards, the committed JSON is what dashboards/src/build.py
# writes, and the checker rejects a fixture that breaks each convention once (among them a panel
# the default daemon leaves empty without a noValue hint naming the flag that fills it).
# usage: dashboard_checker_test.sh SOURCE_DIR
set -euo pipefail
src=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
checker=$src/tests/deploy/check_dashboards.py

python3 "$checker" "$src"/dashboards/*.json || fail "the dashboards break the conventions"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$src/dashboards/src/build.py" --out "$tmp" >/dev/null
for f in "$tmp"/*.json; do
  diff -q "$f" "$src/dashboards/$(basename "$f")" >/dev/null ||
    fail "dashboards/$(basename "$f") differs from dashboards/src/build.py's output: run it"
done
[[ $(ls "$tmp"/*.json | wc -l) -eq $(ls "$src"/dashboards/*.json | wc -l) ]] ||
  fail "dashboards/ holds JSON that dashboards/src/build.py does not write"

rc=0
out=$(python3 "$checker" "$src/tests/deploy/fixtures/bad-dashboard.json" 2>&1) || rc=$?
[[ $rc -eq 1 ]] || fail "checker exit $rc on the bad fixture, want 1"
for want in 'no `datasource` variable' 'no `job` query variable' 'no `instance` query variable' \
  'description missing' 'no unit' 'panel datasource is not ${datasource}' \
  'target datasource is not ${datasource}' 'is not filtered by job' \
  'counter tunescope_softirq_seconds_total is not inside rate()/increase()' \
  'range [5m] is not [$__rate_interval]' "panel 'buckets as lines' A: histogram" \
  'duplicate panel id 3' 'calculate: false' 'lacks format heatmap' \
  "panel 'opt-in probe without hint': can be empty under the default daemon (tunescope_qdisc_packets_total: probe qdisc is opt-in) but its noValue hint does not name --probes=qdisc" \
  "panel 'hint naming the wrong flag': can be empty under the default daemon (tunescope_xcpu_reads_total: probe xcpu runs with a target port) but its noValue hint does not name --target-port" \
  "panel 'undocumented metric': tunescope_mystery_total is not in docs/probes.md's metrics table"; do
  grep -qF -- "$want" <<<"$out" || fail "checker did not report: $want"
done
# A hint naming the flag satisfies the rule.
! grep -qF "hinted opt-in probe" <<<"$out" || fail "checker rejected a panel whose hint names its flag"
echo PASS

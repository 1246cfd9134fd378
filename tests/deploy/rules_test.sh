#!/usr/bin/env bash
# promtool: the rules and the example config load, and every alert's unit tests pass; every
# alert in the rules file has a firing and a not-firing case in the test file.
# usage: rules_test.sh SOURCE_DIR
set -euo pipefail
src=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v promtool >/dev/null || fail "promtool is not installed (package prometheus)"
dir=$src/deploy/prometheus
promtool check rules "$dir/tunescope-rules.yml" "$dir/tunescope-tuning-commands.yml" ||
  fail "promtool check rules"
promtool check config "$dir/prometheus.yml" || fail "promtool check config"
(cd "$dir" && promtool test rules tunescope-rules.test.yml) || fail "promtool test rules"
for alert in $(awk '/^ *- alert:/ {print $3}' "$dir/tunescope-rules.yml"); do
  # Each alert needs an eval with exp_alerts: [] (not firing) and one with alerts (firing).
  python3 - "$dir/tunescope-rules.test.yml" "$alert" <<'PY' || fail "$alert lacks a firing or a not-firing test"
import re, sys
text = open(sys.argv[1]).read()
blocks = re.split(r"\n\s*- eval_time:", text)
name = sys.argv[2]
mine = [b for b in blocks if re.search(r"alertname: %s\n" % name, b)]
silent = any(re.search(r"exp_alerts: \[\]", b) for b in mine)
firing = any(re.search(r"exp_alerts:\n\s*- exp_labels:", b) for b in mine)
sys.exit(0 if silent and firing else 1)
PY
done
echo PASS

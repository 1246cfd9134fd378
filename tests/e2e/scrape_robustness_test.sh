#!/usr/bin/env bash
# 1000 scrapes of /metrics, 16 at a time, while every probe runs under HTTP load: each must be a
# complete 200, and the daemon must still be healthy, clean and exit 0 on SIGTERM afterwards.
# usage: scrape_robustness_test.sh TUNESCOPE REFSERVER SOURCE_DIR
set -euo pipefail
tunescope=$1 refserver=$2 src=$3
source "$src/tests/process/lib.sh"
require_root
for tool in wrk curl promtool; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh --with-tests)"
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

rs_port=$(free_port) ts_port=$(free_port)
"$refserver" --listen "127.0.0.1:$rs_port" >"$tmp/refserver.log" 2>&1 &
pids+=($!)
"$tunescope" serve --web.listen-address="127.0.0.1:$ts_port" --target-port="$rs_port" \
  --target-comm=refserver --probes=all --netfilter-mode=bracket --window=500ms/2s \
  >"$tmp/tunescope.log" 2>&1 &
ts_pid=$!
pids+=($ts_pid)
wait_http "http://127.0.0.1:$ts_port/healthz" 30 || { cat "$tmp/tunescope.log" >&2; fail "tunescope did not come up"; }
wrk -t1 -c16 -d60s "http://127.0.0.1:$rs_port/plaintext" >"$tmp/wrk.log" 2>&1 &
pids+=($!)
sleep 2

# The smallest complete exposition: everything up to the last family of this build.
min_size=$(curl -fsS "http://127.0.0.1:$ts_port/metrics" | wc -c)
((min_size > 1000)) || fail "first scrape is only $min_size bytes"

seq 1000 | xargs -P 16 -I{} curl -s -o /dev/null --max-time 20 \
  -w '%{http_code} %{size_download}\n' "http://127.0.0.1:$ts_port/metrics" >"$tmp/scrapes.txt" || true
total=$(wc -l <"$tmp/scrapes.txt")
ok=$(awk -v min="$min_size" '$1 == 200 && $2 >= min * 0.9' "$tmp/scrapes.txt" | wc -l)
[[ $total -eq 1000 ]] || fail "$total of 1000 scrapes finished"
[[ $ok -eq 1000 ]] || fail "only $ok of 1000 scrapes were complete 200s: $(sort "$tmp/scrapes.txt" | uniq -c | sort -rn | head -5 | tr '\n' ';')"
kill -0 "$ts_pid" || fail "tunescope died during the scrapes"
curl -fsS -o /dev/null "http://127.0.0.1:$ts_port/healthz" || fail "/healthz fails after the scrapes"
lint=$(curl -fsS "http://127.0.0.1:$ts_port/metrics" | promtool check metrics 2>&1) || fail "promtool: $lint"
[[ -z $lint ]] || fail "promtool check metrics: $lint"
echo "ok: 1000 of 1000 scrapes complete; RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$ts_pid/status)"

kill -TERM "$ts_pid"
rc=0
wait "$ts_pid" || rc=$?
[[ $rc -eq 0 ]] || fail "tunescope exited $rc on SIGTERM after the scrapes"
echo PASS

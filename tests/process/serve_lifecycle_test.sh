#!/usr/bin/env bash
# `tunescope serve` starts, serves promtool-clean /metrics with real probe series, exits 0 on
# SIGTERM, and leaves no program behind, neither after SIGTERM nor after kill -9.
source "$(dirname "$0")/lib.sh"
require_root
tunescope=$1

start_daemon() {
  port=$(free_port)
  "$tunescope" serve --web.listen-address="127.0.0.1:$port" --bpf-stats 2>"$log" &
  pid=$!
  wait_http "http://127.0.0.1:$port/healthz" 30 || { cat "$log" >&2; fail "daemon did not come up"; }
}

log=$(mktemp)
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$log" "$metrics"' EXIT
metrics=$(mktemp)

start_daemon
curl -fsS "http://127.0.0.1:$port/metrics" >"$metrics"
promtool check metrics <"$metrics" || fail "promtool check metrics reported problems"
for series in 'tunescope_probe_up{probe="softirq"} 1' 'tunescope_probe_up{probe="runqlat"} 1' \
  'tunescope_probe_up{probe="hardirq"} 1' 'tunescope_build_info{'; do
  grep -qF "$series" "$metrics" || fail "missing $series"
done
grep -q '^tunescope_softirq_runs_total{cpu="0",vector="timer"} [1-9]' "$metrics" ||
  fail "softirq timer runs did not move"
grep -q '^tunescope_bpf_program_runs_total{' "$metrics" || fail "no BPF program stats with --bpf-stats"
curl -fsS "http://127.0.0.1:$port/" | grep -q 'href="/metrics"' || fail "landing page lacks /metrics"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing") == 404 ]] ||
  fail "unknown path is not 404"

mapfile -t progs < <(owned_bpf_ids prog "$pid")
# softirq entry/exit, hardirq entry/exit, runqlat's switch at least; exactly those it reports.
reported=$(grep -c '^tunescope_bpf_program_runs_total{' "$metrics")
((${#progs[@]} >= 5 && ${#progs[@]} == reported)) ||
  fail "expected the $reported programs the daemon reports to be owned by pid $pid, got ${#progs[@]}"
kill -TERM "$pid"
wait "$pid" && rc=0 || rc=$?
((rc == 0)) || fail "SIGTERM exit code $rc"
grep -q 'received SIGTERM' "$log" || fail "no shutdown log line"
progs_gone "${progs[@]}" || fail "programs left after SIGTERM: ${progs[*]}"

start_daemon
mapfile -t progs < <(owned_bpf_ids prog "$pid")
mapfile -t links < <(owned_bpf_ids link "$pid")
((${#progs[@]} >= 5 && ${#links[@]} == ${#progs[@]})) ||
  fail "expected a link per program, got ${#progs[@]} programs, ${#links[@]} links"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
progs_gone "${progs[@]}" || fail "programs left after kill -9: ${progs[*]}"
remaining_links=$(bpftool link show -j | jq -r '.[].id')
for id in "${links[@]}"; do
  grep -qx "$id" <<<"$remaining_links" && fail "link $id left after kill -9"
done
echo "PASS: serve lifecycle"

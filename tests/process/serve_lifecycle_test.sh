#!/usr/bin/env bash
# `tunescope serve` starts, serves promtool-clean /metrics with real probe series (also with a
# probe named twice), answers HEAD like GET and keep-alive scrapes without Nagle delays, exits 0
# on SIGTERM and SIGHUP, and leaves no program behind, neither after those nor after kill -9.
source "$(dirname "$0")/lib.sh"
require_root
tunescope=$1

start_daemon() {
  port=$(free_port)
  "$tunescope" serve --web.listen-address="127.0.0.1:$port" --bpf-stats "$@" 2>"$log" &
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
# CPU 0's tick raises the timer softirq, but an idle tickless CPU may not have run it yet.
for _ in $(seq 50); do
  grep -q '^tunescope_softirq_runs_total{cpu="0",vector="timer"} [1-9]' "$metrics" && break
  sleep 0.1
  curl -fsS "http://127.0.0.1:$port/metrics" >"$metrics"
done
grep -q '^tunescope_softirq_runs_total{cpu="0",vector="timer"} [1-9]' "$metrics" ||
  fail "softirq timer runs did not move in 5 s"
grep -q '^tunescope_bpf_program_runs_total{' "$metrics" || fail "no BPF program stats with --bpf-stats"
curl -fsS "http://127.0.0.1:$port/" | grep -q 'href="/metrics"' || fail "landing page lacks /metrics"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing") == 404 ]] ||
  fail "unknown path is not 404"

# HEAD: GET's headers, Content-Length included, and no body.
get_length=$(curl -fsS "http://127.0.0.1:$port/" | wc -c)
head_headers=$(curl -fsS -I "http://127.0.0.1:$port/" | tr -d '\r')
grep -qix "content-length: $get_length" <<<"$head_headers" ||
  fail "HEAD / does not announce GET's $get_length bytes: $head_headers"
metrics_length=$(curl -fsS -I "http://127.0.0.1:$port/metrics" | tr -d '\r' |
  awk -F': ' 'tolower($1) == "content-length" {print $2}')
((metrics_length > 1000)) || fail "HEAD /metrics announces $metrics_length bytes"

# Keep-alive scrapes cost what new connections do: 50 on one connection take well under 1 s.
# With the head and body in two writes and Nagle on, each after the first waited for the
# client's delayed ACK (>= 40 ms, so >= 2 s in all).
urls=()
for _ in $(seq 50); do urls+=("http://127.0.0.1:$port/metrics" -o /dev/null); done
start=$(date +%s%N)
curl -fsS "${urls[@]}" || fail "keep-alive scrapes failed"
keep_alive_ms=$((($(date +%s%N) - start) / 1000000))
((keep_alive_ms < 1000)) || fail "50 keep-alive scrapes took $keep_alive_ms ms (Nagle against delayed ACK?)"

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
# Every attach is a link: at least one per program (the netfilter bracket has one per hook),
# once the first window has attached the windowed probes (with BPF statistics on, as it
# measures: a moment after /healthz answers).
for _ in $(seq 50); do
  mapfile -t progs < <(owned_bpf_ids prog "$pid")
  mapfile -t links < <(owned_bpf_ids link "$pid")
  ((${#progs[@]} >= 5 && ${#links[@]} >= ${#progs[@]})) && break
  sleep 0.1
done
((${#progs[@]} >= 5 && ${#links[@]} >= ${#progs[@]})) ||
  fail "expected at least a link per program, got ${#progs[@]} programs, ${#links[@]} links"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
progs_gone "${progs[@]}" || fail "programs left after kill -9: ${progs[*]}"
remaining_links=$(bpftool link show -j | jq -r '.[].id')
for id in "${links[@]}"; do
  grep -qx "$id" <<<"$remaining_links" && fail "link $id left after kill -9"
done

# A probe named twice runs once: one series each, promtool clean. SIGHUP detaches like SIGTERM.
start_daemon --probes=softirq,softirq,runqlat
curl -fsS "http://127.0.0.1:$port/metrics" >"$metrics"
promtool check metrics <"$metrics" || fail "promtool check metrics with a probe named twice"
[[ $(grep -c '^tunescope_probe_up{probe="softirq"}' "$metrics") -eq 1 ]] ||
  fail "softirq reported more than once with --probes=softirq,softirq"
mapfile -t progs < <(owned_bpf_ids prog "$pid")
kill -HUP "$pid"
wait "$pid" && rc=0 || rc=$?
((rc == 0)) || fail "SIGHUP exit code $rc"
grep -q 'received SIGHUP, detaching' "$log" || fail "no SIGHUP log line"
progs_gone "${progs[@]}" || fail "programs left after SIGHUP: ${progs[*]}"
echo "PASS: serve lifecycle"

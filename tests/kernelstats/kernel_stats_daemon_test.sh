#!/usr/bin/env bash
# The always-on tier in the real daemon: `tunescope serve` with a --target-comm exports the
# tunescope_kernel_* series and tunescope_clock_read_seconds, promtool-clean, and under bounded
# loopback traffic (wrk against refserver for 3 s, plus connections to a listener that never
# accepts) the series move: NET_RX runs and softnet packets, softirq time, the target's run
# time and timeslices, listen overflows; per-CPU run-queue waits where the kernel keeps
# /proc/schedstat, else that source is reported down. --no-kernel-stats removes the tier.
# usage: kernel_stats_daemon_test.sh TUNESCOPE REFSERVER SOURCE_DIR
set -euo pipefail
tunescope=$1 refserver=$2 src=$3
source "$src/tests/process/lib.sh"
require_root
for tool in wrk curl promtool python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh --with-tests)"
done

scratch_dir_and_daemon
rs_pid=
cleanup_extra() { [[ -n $rs_pid ]] && { kill "$rs_pid" 2>/dev/null; wait "$rs_pid" 2>/dev/null; } || true; }

rs_port=$(free_port)
"$refserver" --listen "127.0.0.1:$rs_port" >"$tmp/refserver.log" 2>&1 &
rs_pid=$!
port=$(free_port)
"$tunescope" serve --web.listen-address="127.0.0.1:$port" --target-comm=refserver \
  --probes=hardirq 2>"$tmp/daemon.log" &
pid=$!
wait_http "http://127.0.0.1:$port/healthz" 30 || { cat "$tmp/daemon.log" >&2; fail "daemon did not come up"; }
wait_http "http://127.0.0.1:$rs_port/plaintext" 10 || fail "refserver did not come up"

scrape() { curl -fsS "http://127.0.0.1:$port/metrics" >"$tmp/$1"; }
# sum FILE REGEX: the sum of the values of the samples whose name{labels} matches REGEX.
sum() { awk -v re="$2" '$1 ~ re {s += $2} END {printf "%.9f\n", s + 0}' "$tmp/$1"; }
grew() {  # grew NAME REGEX: the sum went up between before and after
  local a b
  a=$(sum before "$2") b=$(sum after "$2")
  awk -v a="$a" -v b="$b" 'BEGIN {exit !(b > a)}' || fail "$1 did not move under load ($a -> $b)"
  echo "ok: $1 $a -> $b"
}
has() { grep -qE "$1" "$tmp/$2" || fail "missing $1 in /metrics"; }

scrape before
lint=$(promtool check metrics <"$tmp/before" 2>&1) || fail "promtool check metrics: $lint"
[[ -z $lint ]] || fail "promtool check metrics: $lint"

# Load, bounded: 3 s of HTTP on loopback, then 16 connections to a listener with a backlog of
# 1 that never accepts (its accept queue overflows).
wrk -t1 -c16 -d3s "http://127.0.0.1:$rs_port/plaintext" >"$tmp/wrk.log" 2>&1 || fail "wrk failed"
python3 - <<'PY'
import socket, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
clients = []
for _ in range(16):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(listener.getsockname())
    clients.append(c)
time.sleep(1.5)  # SYN and ACK retransmits into the full queue
for c in clients:
    c.close()
listener.close()
PY
scrape after
lint=$(promtool check metrics <"$tmp/after" 2>&1) || fail "promtool check metrics: $lint"
[[ -z $lint ]] || fail "promtool check metrics: $lint"

grew "NET_RX runs (/proc/softirqs)" '^tunescope_kernel_softirq_runs_total\{.*vector="net_rx"'
grew "softnet packets processed" '^tunescope_kernel_softnet_processed_total\{'
grew "softirq time (/proc/stat)" '^tunescope_kernel_softirq_seconds_total\{'
grew "target run time" '^tunescope_kernel_target_run_seconds_total$'
grew "target timeslices" '^tunescope_kernel_target_timeslices_total$'
grew "listen overflows" '^tunescope_kernel_listen_overflows_total$'
grew "listen drops" '^tunescope_kernel_listen_drops_total$'
has '^tunescope_kernel_target_wait_seconds_total [0-9]' after
has '^tunescope_kernel_softnet_dropped_total\{cpu="0"\} ' after
has '^tunescope_kernel_softnet_times_squeezed_total\{cpu="0"\} ' after
has '^tunescope_kernel_softirq_accounting_info\{accounting="(exact|tick_sampled)"\} 1' after
(($(awk '/^tunescope_kernel_target_threads / {print $2}' "$tmp/after") >= 1)) ||
  fail "no refserver thread found by --target-comm"
for source in stat softirqs netstat softnet_stat target_schedstat; do
  has "^tunescope_kernel_source_up\\{source=\"$source\"\\} 1" after
done
if [[ -e /proc/schedstat ]]; then
  has '^tunescope_kernel_source_up\{source="schedstat"\} 1' after
  grew "per-CPU run-queue timeslices" '^tunescope_kernel_runqueue_timeslices_total\{'
  has '^tunescope_kernel_runqueue_wait_seconds_total\{cpu="0"\} ' after
else
  # This kernel has no CONFIG_SCHEDSTATS: the source says so instead of exporting zeros.
  has '^tunescope_kernel_source_up\{source="schedstat"\} 0' after
  grep -q '^tunescope_kernel_runqueue_' "$tmp/after" && fail "run-queue series without /proc/schedstat"
  grep -q 'schedstat.*CONFIG_SCHEDSTATS' "$tmp/daemon.log" || fail "the missing /proc/schedstat is not logged"
  echo "ok: no /proc/schedstat on this kernel, source reported down"
fi

# The clock read, measured in BPF as root, under the current clocksource.
clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
for reader in bpf_ktime_get_ns clock_gettime; do
  value=$(awk -v l="tunescope_clock_read_seconds{clocksource=\"$clocksource\",reader=\"$reader\"}" \
    '$1 == l {print $2}' "$tmp/after")
  [[ -n $value ]] || fail "no tunescope_clock_read_seconds for $reader under $clocksource"
  awk -v v="$value" 'BEGIN {exit !(v > 1e-9 && v < 2e-6)}' || fail "$reader: $value s per read"
  echo "ok: $reader on $clocksource: $value s per read"
done

kill -TERM "$pid"
wait "$pid" || fail "daemon exit code $?"
pid=

# --no-kernel-stats: no tunescope_kernel_* series at all.
"$tunescope" serve --web.listen-address="127.0.0.1:$port" --probes=hardirq --no-kernel-stats \
  2>"$tmp/daemon2.log" &
pid=$!
wait_http "http://127.0.0.1:$port/healthz" 30 || { cat "$tmp/daemon2.log" >&2; fail "daemon did not come up"; }
scrape off
grep -q '^tunescope_kernel_' "$tmp/off" && fail "--no-kernel-stats still exports tunescope_kernel_*"
grep -q '^tunescope_clock_read_seconds' "$tmp/off" || fail "no clock read with --no-kernel-stats"
# hardirq alone is attached for good: no window, no budget to keep (once the probes are up).
for _ in $(seq 50); do
  scrape off
  grep -q '^tunescope_window_duty_ratio 1$' "$tmp/off" && break
  sleep 0.1
done
grep -q '^tunescope_window_duty_ratio 1$' "$tmp/off" ||
  fail "nothing windowed, but $(grep '^tunescope_window_duty_ratio' "$tmp/off")"
grep -q '^tunescope_overhead_budget_ratio 0$' "$tmp/off" ||
  fail "nothing windowed, but $(grep '^tunescope_overhead_budget_ratio' "$tmp/off")"
echo "PASS"

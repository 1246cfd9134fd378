# softirq probe test body: softirq_test MODE auto|forced
# Loopback traffic raises NET_RX for every packet: the probe's net_rx run count over the load
# must match the kernel's own /proc/softirqs count within 10%, with time and durations.
softirq_test() {
  mode=$1
  tsvm_row softirq "$mode"
  if [ "$2" = forced ]; then
    ts_start --probes=softirq --softirq-mode="$mode"
  else
    ts_start --probes=softirq
  fi
  ts_scrape "$TSVM_STATE/m1"
  p1=$(proc_softirq NET_RX)
  ts_expect_mode "$TSVM_STATE/m1" softirq "$mode"
  traffic_start 3
  traffic_wait
  ts_scrape "$TSVM_STATE/m2"
  p2=$(proc_softirq NET_RX)
  r1=$(m_sum "$TSVM_STATE/m1" tunescope_softirq_runs_total 'vector="net_rx"')
  r2=$(m_sum "$TSVM_STATE/m2" tunescope_softirq_runs_total 'vector="net_rx"')
  s1=$(m_sum "$TSVM_STATE/m1" tunescope_softirq_seconds_total 'vector="net_rx"')
  s2=$(m_sum "$TSVM_STATE/m2" tunescope_softirq_seconds_total 'vector="net_rx"')
  runs=$((r2 - r1))
  kernel=$((p2 - p1))
  echo "net_rx runs: tunescope +$runs, /proc/softirqs +$kernel; seconds $s1 -> $s2"
  [ "$runs" -gt 1000 ] || tsvm_fail "net_rx runs rose by $runs under loopback load (kernel: +$kernel)"
  ratio_within "$runs" "$kernel" 0.9 1.1 ||
    tsvm_fail "net_rx runs +$runs vs /proc/softirqs +$kernel: off by more than 10%"
  gt "$s2" "$s1" || tsvm_fail "net_rx seconds did not grow ($s1 -> $s2)"
  [ "$(m_count "$TSVM_STATE/m2" tunescope_softirq_runs_total 'vector="timer"')" -gt 0 ] ||
    tsvm_fail "no timer vector series"
  problems=$(hist_check "$TSVM_STATE/m2" tunescope_softirq_duration_seconds) ||
    tsvm_fail "duration histogram: $problems"
  ts_kill_and_check
  tsvm_pass "net_rx runs +$runs (kernel +$kernel), $(awk -v a="$s1" -v b="$s2" -v n="$runs" 'BEGIN { printf "%.0f ns/run", (b - a) / n * 1e9 }')"
}

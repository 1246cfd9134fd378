# runqlat probe test body: runqlat_test MODE auto|forced
# Three CPU hogs on two CPUs plus a ping loop: tasks wait for a CPU, some for milliseconds. The
# latency histogram must be well formed, count no more wake-ups than context switches happened,
# and show waits above 1 ms.
runqlat_test() {
  mode=$1
  tsvm_row runqlat "$mode"
  if [ "$2" = forced ]; then
    ts_start --probes=runqlat --runqlat-mode="$mode"
  else
    ts_start --probes=runqlat
  fi
  ts_scrape "$TSVM_STATE/m1"
  ts_expect_mode "$TSVM_STATE/m1" runqlat "$mode"
  c1=$(proc_ctxt)
  hogs=""
  for i in 1 2 3; do
    timeout 3 sh -c 'while :; do :; done' &
    hogs="$hogs $!"
  done
  ping -A -q -w 3 127.0.0.1 >/dev/null 2>&1
  for pid in $hogs; do wait "$pid"; done
  c2=$(proc_ctxt)
  ts_scrape "$TSVM_STATE/m2"
  n1=$(m_sum "$TSVM_STATE/m1" tunescope_runqueue_latency_seconds_count)
  n2=$(m_sum "$TSVM_STATE/m2" tunescope_runqueue_latency_seconds_count)
  f1=$(m_sum "$TSVM_STATE/m1" tunescope_runqueue_latency_seconds_bucket 'le="0.001048576"')
  f2=$(m_sum "$TSVM_STATE/m2" tunescope_runqueue_latency_seconds_bucket 'le="0.001048576"')
  n=$((n2 - n1))
  slow=$((n - (f2 - f1)))
  ctxt=$((c2 - c1))
  echo "run-queue samples +$n (over ~1 ms: $slow), context switches +$ctxt"
  [ "$n" -gt 100 ] || tsvm_fail "only $n run-queue latency samples under load"
  # Each sample is a switch to a task that was woken or preempted; the scrape adds a few.
  [ "$n" -le $((ctxt + ctxt / 10 + 100)) ] ||
    tsvm_fail "$n samples but only $ctxt context switches"
  [ "$slow" -gt 0 ] || tsvm_fail "no run-queue wait above ~1 ms with 3 hogs on 2 CPUs"
  problems=$(hist_check "$TSVM_STATE/m2" tunescope_runqueue_latency_seconds) ||
    tsvm_fail "histogram: $problems"
  [ "$(m_count "$TSVM_STATE/m2" tunescope_runqueue_latency_seconds_count)" -eq "$(nproc)" ] ||
    tsvm_fail "want one histogram per CPU ($(nproc))"
  ts_kill_and_check
  tsvm_pass "samples +$n ($slow over 1 ms), ctxt +$ctxt"
}

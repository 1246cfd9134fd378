# hardirq probe test body: hardirq_test MODE auto|forced
# The guest's only device interrupt under load is the serial port (ttyS0, IRQ 4): writing to the
# console makes it fire. The probe's count for the ttyS0 action must match /proc/interrupts.
hardirq_test() {
  mode=$1
  tsvm_row hardirq "$mode"
  if [ "$2" = forced ]; then
    ts_start --probes=hardirq --hardirq-mode="$mode"
  else
    ts_start --probes=hardirq
  fi
  irq=$(proc_irq_number ttyS0)
  [ -n "$irq" ] || tsvm_fail "no ttyS0 line in /proc/interrupts"
  ts_scrape "$TSVM_STATE/m1"
  p1=$(proc_irq_action ttyS0)
  ts_expect_mode "$TSVM_STATE/m1" hardirq "$mode"
  # A write to the console raises ttyS0 interrupts (transmit, then empty), but how many per
  # write depends on emulation timing: write carriage returns (the host drops \r, so the
  # console log stays clean) until the kernel has counted 200 more, or 20 s have passed.
  t0=$(uptime_s)
  while [ $(($(proc_irq_action ttyS0) - p1)) -lt 200 ] && [ $(($(uptime_s) - t0)) -lt 20 ]; do
    i=0
    while [ $i -lt 20 ]; do
      printf '\r' >/dev/console
      i=$((i + 1))
    done
  done
  sleep 1
  p2=$(proc_irq_action ttyS0)
  ts_scrape "$TSVM_STATE/m2"
  sel="irq=\"$irq\" action=\"ttyS0\""
  h1=$(m_sum "$TSVM_STATE/m1" tunescope_hardirq_handled_total $sel)
  h2=$(m_sum "$TSVM_STATE/m2" tunescope_hardirq_handled_total $sel)
  s1=$(m_sum "$TSVM_STATE/m1" tunescope_hardirq_seconds_total $sel)
  s2=$(m_sum "$TSVM_STATE/m2" tunescope_hardirq_seconds_total $sel)
  n=$((h2 - h1))
  kernel=$((p2 - p1))
  echo "ttyS0 (irq $irq): tunescope +$n, /proc/interrupts +$kernel; seconds $s1 -> $s2"
  [ "$kernel" -gt 20 ] || tsvm_fail "console writes raised only $kernel ttyS0 interrupts"
  ratio_within "$n" "$kernel" 0.8 1.2 ||
    tsvm_fail "ttyS0 handled +$n vs /proc/interrupts +$kernel: off by more than 20%"
  gt "$s2" "$s1" || tsvm_fail "ttyS0 seconds did not grow ($s1 -> $s2)"
  ts_kill_and_check
  tsvm_pass "ttyS0 irq $irq handled +$n (kernel +$kernel)"
}

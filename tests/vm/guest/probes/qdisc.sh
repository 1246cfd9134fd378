# qdisc probe test body: qdisc_test MODE auto|forced
# A pfifo root qdisc on lo (a locking qdisc) and UDP floods from both CPUs (udpflood, to ports
# nobody listens on; the ICMP errors go through lo too): the probe must report lo's qdisc kind,
# count as many packets as the qdisc says it took (sent + dropped), and see contention on the qdisc. With lo back to
# noqueue the same load must add no contention.

# Packets offered to lo's root qdisc so far, by the qdisc's own counters: sent + dropped.
lo_qdisc_pkts() {
  /usr/sbin/tc -s qdisc show dev lo | sed -n 's/.* bytes \([0-9]*\) pkt (dropped \([0-9]*\),.*/\1 \2/p' |
    awk '{ print $1 + $2 }'
}

q_load() { # 3 s of UDP from CPU 0 and from CPU 1
  taskset -c 0 udpflood 9000 3 64 >/dev/null &
  a=$!
  taskset -c 1 udpflood 9001 3 64 >/dev/null &
  b=$!
  wait $a || tsvm_fail "udpflood on CPU 0 failed"
  wait $b || tsvm_fail "udpflood on CPU 1 failed"
}

qdisc_test() {
  mode=$1
  tsvm_row qdisc "$mode"
  # /usr/sbin/tc is iproute2's; busybox sh would run its own (limited) tc applet for "tc".
  /usr/sbin/tc qdisc replace dev lo root pfifo limit 100000 || tsvm_fail "tc: cannot put pfifo on lo"
  if [ "$2" = forced ]; then
    ts_start --probes=qdisc --qdisc-mode="$mode"
  else
    ts_start --probes=qdisc
  fi
  ts_scrape "$TSVM_STATE/m1"
  ts_expect_mode "$TSVM_STATE/m1" qdisc "$mode"
  t1=$(lo_qdisc_pkts)
  q_load
  t2=$(lo_qdisc_pkts)
  ts_scrape "$TSVM_STATE/m2"
  sel='device="lo"'
  k=$(m_sum "$TSVM_STATE/m2" tunescope_qdisc_info 'device="lo"' 'kind="pfifo"')
  [ "$k" = 1 ] || tsvm_fail "no tunescope_qdisc_info{device=\"lo\",kind=\"pfifo\"} 1"
  n=$(($(m_sum "$TSVM_STATE/m2" tunescope_qdisc_packets_total $sel) - $(m_sum "$TSVM_STATE/m1" tunescope_qdisc_packets_total $sel)))
  c1=$(m_sum "$TSVM_STATE/m1" tunescope_qdisc_lock_contentions_total $sel)
  c2=$(m_sum "$TSVM_STATE/m2" tunescope_qdisc_lock_contentions_total $sel)
  w1=$(m_sum "$TSVM_STATE/m1" tunescope_qdisc_lock_wait_seconds_total $sel)
  w2=$(m_sum "$TSVM_STATE/m2" tunescope_qdisc_lock_wait_seconds_total $sel)
  c=$((c2 - c1))
  tx=$((t2 - t1))
  /usr/sbin/tc -s qdisc show dev lo
  echo "pfifo on lo: the qdisc took $tx, probe counted $n packets, $c contentions, wait $w1 -> $w2 s"
  [ "$tx" -gt 5000 ] || tsvm_fail "UDP floods too small (qdisc +$tx packets)"
  # The scrapes' own packets fall partly outside the qdisc-counter window: a few dozen at most.
  ratio_within "$n" "$tx" 0.98 1.05 || tsvm_fail "$n packets counted on lo, its qdisc took $tx"
  [ "$c" -gt 0 ] || tsvm_fail "no contention on lo's pfifo with UDP floods from both CPUs"
  gt "$w2" "$w1" || tsvm_fail "contention without wait time ($w1 -> $w2)"

  /usr/sbin/tc qdisc del dev lo root || tsvm_fail "tc: cannot remove pfifo from lo"
  q_load
  ts_scrape "$TSVM_STATE/m3"
  c3=$(m_sum "$TSVM_STATE/m3" tunescope_qdisc_lock_contentions_total $sel)
  echo "noqueue on lo: contentions $c2 -> $c3"
  [ "$c3" = "$c2" ] || tsvm_fail "contention counted on lo with noqueue ($c2 -> $c3)"
  ts_kill_and_check
  tsvm_pass "pfifo on lo: $n packets (qdisc: $tx), $c contentions; noqueue: none"
}

# xcpu probe test body: xcpu_test MODE auto|forced
# busybox httpd on port 8080 (a target port) and a wget loop as client. Loopback delivers on
# the sender's CPU (its softirq), so: client and server both pinned to CPU 0 -> reads on the
# CPU that queued the data (same_cpu); client on CPU 0 and server on CPU 1 -> other_cpu.
# sock:sk_data_ready exists since Linux 6.10: without it the probe must report itself down.

x_phase() { # NAME SERVER_CPU: 3 s of requests from CPU 0; prints "same other" deltas
  taskset -c "$2" httpd -f -p 127.0.0.1:8080 -h /tmp/www &
  srv=$!
  sleep 1
  ts_scrape "$TSVM_STATE/$1.a"
  taskset -c 0 sh -c 'end=$(($(cut -d. -f1 /proc/uptime) + 3))
    while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
      timeout 5 wget -q -O /dev/null http://127.0.0.1:8080/index.html
    done'
  ts_scrape "$TSVM_STATE/$1.b"
  kill "$srv"
  wait "$srv" 2>/dev/null
  s=$(($(m_sum "$TSVM_STATE/$1.b" tunescope_xcpu_reads_total 'port="8080"' 'locality="same_cpu"') - $(m_sum "$TSVM_STATE/$1.a" tunescope_xcpu_reads_total 'port="8080"' 'locality="same_cpu"')))
  o=$(($(m_sum "$TSVM_STATE/$1.b" tunescope_xcpu_reads_total 'port="8080"' 'locality="other_cpu"') - $(m_sum "$TSVM_STATE/$1.a" tunescope_xcpu_reads_total 'port="8080"' 'locality="other_cpu"')))
  echo "$s $o"
}

xcpu_test() {
  mode=$1
  tsvm_row xcpu "$mode"
  mkdir -p /tmp/www
  head -c 4096 /dev/zero | tr '\0' x >/tmp/www/index.html
  flags="--probes=xcpu --target-port=8080"
  [ "$2" = forced ] && flags="$flags --xcpu-mode=$mode"
  if [ ! -d /sys/kernel/tracing/events/sock/sk_data_ready ]; then
    ts_start $flags
    ts_scrape "$TSVM_STATE/m1"
    up=$(ts_probe_up "$TSVM_STATE/m1" xcpu)
    [ "$up" = 0 ] || tsvm_fail "no sock:sk_data_ready tracepoint, yet probe_up is '$up'"
    [ -z "$(ts_prog_ids)" ] || tsvm_fail "ts_ programs loaded although the probe is down"
    kill -9 "$TS_PID"
    tsvm_na "kernel $(uname -r) has no sock:sk_data_ready tracepoint (6.10+); probe_up 0 as it should"
  fi
  ts_start $flags
  ts_scrape "$TSVM_STATE/m1"
  ts_expect_mode "$TSVM_STATE/m1" xcpu "$mode"
  set -- $(x_phase local 0)
  ls=$1 lo=$2
  set -- $(x_phase remote 1)
  rs=$1 ro=$2
  echo "server on CPU 0: same_cpu +$ls other_cpu +$lo; server on CPU 1: same_cpu +$rs other_cpu +$ro"
  [ $((ls + lo)) -ge 10 ] && [ $((rs + ro)) -ge 10 ] || tsvm_fail "too few reads on port 8080 counted"
  ratio_within "$ls" $((ls + lo)) 0.8 1 || tsvm_fail "pinned together, only $ls of $((ls + lo)) reads were same_cpu"
  ratio_within "$ro" $((rs + ro)) 0.8 1 || tsvm_fail "pinned apart, only $ro of $((rs + ro)) reads were other_cpu"
  ts_kill_and_check
  tsvm_pass "same CPU: $ls/$((ls + lo)) same_cpu; apart: $ro/$((rs + ro)) other_cpu"
}

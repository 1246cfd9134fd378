# reqlat probe test body: reqlat_test MODE|best auto|forced
# busybox httpd on target port 8080 and a wget loop as client for 3 s: one latency sample per
# request/response exchange, so the histogram's count must follow the requests made.
# "best": the mode the probe picks by itself, which on a kernel with sock:sock_send_length
# (6.3+) is socket, else socket_syscall (usdt is only tried with --reqlat.usdt-binary).

reqlat_test() {
  mode=$1
  if [ "$mode" = best ]; then
    mode=socket_syscall
    [ -d /sys/kernel/tracing/events/sock/sock_send_length ] && mode=socket
  fi
  tsvm_row reqlat "$mode"
  if [ "$mode" = socket ] && [ ! -d /sys/kernel/tracing/events/sock/sock_send_length ]; then
    ts_start --probes=reqlat --target-port=8080 --reqlat-mode=socket
    ts_scrape "$TSVM_STATE/m1"
    up=$(ts_probe_up "$TSVM_STATE/m1" reqlat)
    [ "$up" = 0 ] || tsvm_fail "no sock:sock_send_length tracepoint, yet probe_up is '$up'"
    [ -z "$(ts_prog_ids)" ] || tsvm_fail "ts_ programs loaded although the probe is down"
    kill -9 "$TS_PID"
    tsvm_na "kernel $(uname -r) has no sock:sock_send_length tracepoint (6.3+); probe_up 0 as it should"
  fi
  if [ "$2" = forced ]; then
    ts_start --probes=reqlat --target-port=8080 --reqlat-mode="$mode"
  else
    ts_start --probes=reqlat --target-port=8080
  fi
  ts_scrape "$TSVM_STATE/m1"
  ts_expect_mode "$TSVM_STATE/m1" reqlat "$mode"
  mkdir -p /tmp/www
  head -c 4096 /dev/zero | tr '\0' x >/tmp/www/index.html
  httpd -p 127.0.0.1:8080 -h /tmp/www || tsvm_fail "httpd did not start"
  sleep 1
  end=$(($(uptime_s) + 3))
  req=0
  while [ "$(uptime_s)" -lt $end ]; do
    timeout 5 wget -q -O /dev/null http://127.0.0.1:8080/index.html && req=$((req + 1))
  done
  sleep 1
  ts_scrape "$TSVM_STATE/m2"
  sel='port="8080"'
  n=$(($(m_sum "$TSVM_STATE/m2" tunescope_request_latency_seconds_count $sel) - $(m_sum "$TSVM_STATE/m1" tunescope_request_latency_seconds_count $sel)))
  s1=$(m_sum "$TSVM_STATE/m1" tunescope_request_latency_seconds_sum $sel)
  s2=$(m_sum "$TSVM_STATE/m2" tunescope_request_latency_seconds_sum $sel)
  echo "$req requests answered; probe: $n samples, latency sum $s1 -> $s2 s"
  [ "$req" -ge 10 ] || tsvm_fail "only $req requests in 3 s"
  ratio_within "$n" "$req" 0.9 1.1 || tsvm_fail "$n latency samples for $req requests"
  gt "$s2" "$s1" || tsvm_fail "latency sum did not grow"
  [ "$(m_count "$TSVM_STATE/m2" tunescope_request_latency_seconds_count $sel "mode=\"$mode\"")" -eq 1 ] ||
    tsvm_fail "no latency series labelled mode=\"$mode\" port=\"8080\""
  problems=$(hist_check "$TSVM_STATE/m2" tunescope_request_latency_seconds) ||
    tsvm_fail "histogram: $problems"
  ts_kill_and_check
  tsvm_pass "$n samples for $req requests, mean $(awk -v a="$s1" -v b="$s2" -v n="$n" 'BEGIN { printf "%.0f us", (b - a) / n * 1e6 }')"
}

# reqlat_usdt_test: usdt mode on refserver's USDT notes (every request sampled). The samples
# must follow the requests made; with sock:sock_recv_length (6.3+) the arrival-to-parsed part
# must have samples too.
reqlat_usdt_test() {
  tsvm_row reqlat usdt
  command -v refserver >/dev/null || tsvm_skip "no refserver in the initramfs (vmtest.sh --refserver)"
  refserver --listen 127.0.0.1:8080 --usdt-sample 1 >"$TSVM_STATE/refserver.log" 2>&1 &
  REF_PID=$!
  i=0
  until grep -q 'listening' "$TSVM_STATE/refserver.log"; do
    i=$((i + 1))
    [ $i -lt 30 ] || tsvm_fail "refserver did not start: $(cat "$TSVM_STATE/refserver.log")"
    sleep 1
  done
  ts_start --probes=reqlat --target-port=8080 --reqlat-mode=usdt --reqlat.usdt-binary=/usr/bin/refserver
  ts_scrape "$TSVM_STATE/m1"
  ts_expect_mode "$TSVM_STATE/m1" reqlat usdt
  end=$(($(uptime_s) + 3))
  req=0
  while [ "$(uptime_s)" -lt $end ]; do
    timeout 5 wget -q -O /dev/null http://127.0.0.1:8080/plaintext && req=$((req + 1))
  done
  sleep 1
  ts_scrape "$TSVM_STATE/m2"
  sel='mode="usdt"'
  n=$(($(m_sum "$TSVM_STATE/m2" tunescope_request_latency_seconds_count $sel) - $(m_sum "$TSVM_STATE/m1" tunescope_request_latency_seconds_count $sel)))
  a=$(($(m_sum "$TSVM_STATE/m2" tunescope_request_arrival_to_parsed_seconds_count) - $(m_sum "$TSVM_STATE/m1" tunescope_request_arrival_to_parsed_seconds_count)))
  echo "$req requests answered by refserver; probe: $n parsed->queued samples, $a arrival->parsed samples"
  [ "$req" -ge 10 ] || tsvm_fail "only $req requests in 3 s"
  ratio_within "$n" "$req" 0.9 1.1 || tsvm_fail "$n usdt latency samples for $req requests"
  problems=$(hist_check "$TSVM_STATE/m2" tunescope_request_latency_seconds) ||
    tsvm_fail "histogram: $problems"
  if [ -d /sys/kernel/tracing/events/sock/sock_recv_length ]; then
    ratio_within "$a" "$req" 0.9 1.1 || tsvm_fail "$a arrival->parsed samples for $req requests"
    extra=", arrival part $a samples"
  else
    extra=", no arrival part (no sock:sock_recv_length before 6.3)"
  fi
  ts_kill_and_check
  kill "$REF_PID"
  tsvm_pass "$n samples for $req requests$extra"
}

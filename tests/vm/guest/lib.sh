# Helpers for guest tests (busybox sh). A test sources this file, names its table row with
# tsvm_row, and ends with tsvm_pass / tsvm_na, or fails through tsvm_fail (any non-zero exit
# is a failure too). Everything a test prints goes to its log, shown on the console on failure.

TS_PORT=10027
TS_URL=http://127.0.0.1:$TS_PORT/metrics
# (busybox 1.35 wget segfaults with -T: time limits come from timeout(1) instead.)
TS_LOG=$TSVM_STATE/tunescope.log
TS_PID=""

tsvm_row() { # PROBE MODE: the cell of the probe x mode x kernel table this test fills
  echo "$1" >"$TSVM_STATE/probe"
  echo "$2" >"$TSVM_STATE/mode"
}
tsvm_detail() { echo "$*" >"$TSVM_STATE/detail"; }
tsvm_pass() {
  tsvm_detail "$*"
  exit 0
}
tsvm_na() { # the probe correctly reported this mode as unsupported on this kernel
  tsvm_detail "$*"
  exit 3
}
tsvm_skip() { # the initramfs lacks what the test needs (not the kernel: that is tsvm_na)
  tsvm_detail "$*"
  exit 4
}
tsvm_fail() {
  tsvm_detail "$*"
  echo "FAIL: $*"
  if [ -n "$TS_PID" ] && [ -s "$TS_LOG" ]; then
    echo "--- tunescope log (tail) ---"
    tail -n 30 "$TS_LOG"
  fi
  exit 1
}

uptime_s() { cut -d. -f1 /proc/uptime; }

# kconfig_has CONFIG_X: true if the booted kernel's config (copied from its package) sets it.
kconfig_has() { grep -Eq "^$1=(y|m)$" /tsvm/kconfig; }

# ---- the daemon ------------------------------------------------------------------------------

# ts_start ARGS...: start `tunescope serve` with ARGS and wait until /metrics answers. The
# per-packet probes stay attached (--window=always): the tests count every packet they send.
ts_start() {
  echo "+ tunescope serve --web.listen-address=127.0.0.1:$TS_PORT --window=always $*"
  tunescope serve --web.listen-address=127.0.0.1:$TS_PORT --window=always "$@" >"$TS_LOG" 2>&1 &
  TS_PID=$!
  t0=$(uptime_s)
  # Loading and verifying BPF programs under TCG emulation takes seconds, not milliseconds.
  while [ $(($(uptime_s) - t0)) -lt 60 ]; do
    if ! kill -0 "$TS_PID" 2>/dev/null; then
      wait "$TS_PID"
      tsvm_fail "tunescope exited with $? before serving /metrics"
    fi
    if timeout 5 wget -q -O /dev/null "$TS_URL" 2>/dev/null; then
      echo "tunescope (pid $TS_PID) serving after ~$(($(uptime_s) - t0))s"
      return 0
    fi
    sleep 1
  done
  tsvm_fail "tunescope did not serve /metrics within 60s"
}

# ts_scrape FILE
ts_scrape() {
  timeout 20 wget -q -O "$1" "$TS_URL" || tsvm_fail "scrape of $TS_URL failed"
  [ -s "$1" ] || tsvm_fail "empty /metrics"
}

# m_sum FILE METRIC [LABEL_SUBSTRING...]: sum of the samples of METRIC whose label set contains
# every LABEL_SUBSTRING (e.g. 'vector="net_rx"'); prints 0 if none, and sets no error.
m_sum() {
  f=$1 name=$2
  shift 2
  awk -v name="$name" -v want="$*" '
    BEGIN { n = split(want, w, " ") }
    /^#/ { next }
    {
      series = $1; val = $NF
      base = series; sub(/\{.*/, "", base)
      if (base != name) next
      for (i = 1; i <= n; i++) if (index(series, w[i]) == 0) next
      sum += val; found = 1
    }
    END { if (found) printf "%.9g\n", sum; else print 0 }' "$f"
}

# m_count FILE METRIC [LABEL_SUBSTRING...]: number of samples (series) that match.
m_count() {
  f=$1 name=$2
  shift 2
  awk -v name="$name" -v want="$*" '
    BEGIN { n = split(want, w, " ") }
    /^#/ { next }
    {
      base = $1; sub(/\{.*/, "", base)
      if (base != name) next
      for (i = 1; i <= n; i++) if (index($1, w[i]) == 0) next
      c++
    }
    END { print c + 0 }' "$f"
}

# gt A B: A > B for decimal numbers.
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# ts_probe_mode FILE PROBE: the mode of tunescope_probe_info{probe=PROBE} whose value is 1.
ts_probe_mode() {
  awk -v p="probe=\"$2\"" '
    /^tunescope_probe_info\{/ && index($1, p) && $NF == 1 {
      m = $1; sub(/.*mode="/, "", m); sub(/".*/, "", m); print m; exit
    }' "$1"
}
ts_probe_up() { m_sum "$1" tunescope_probe_up "probe=\"$2\""; }

# ---- what is loaded in the kernel --------------------------------------------------------------

# IDs of loaded BPF programs whose name starts with ts_ (tunescope's prefix).
ts_prog_ids() {
  bpftool prog show 2>/dev/null | awk '/^[0-9]+: / { id = $1; sub(":", "", id)
    for (i = 2; i < NF; i++) if ($i == "name" && $(i + 1) ~ /^ts_/) print id }'
}
# bpf links (any type) whose program is one of ts_prog_ids.
ts_link_count() {
  ids=" $(ts_prog_ids | tr '\n' ' ') "
  bpftool link show 2>/dev/null | awk -v ids="$ids" '/^[0-9]+: / {
      for (i = 2; i < NF; i++) if ($i == "prog") { if (index(ids, " " $(i + 1) " ")) c++ }
    } END { print c + 0 }'
}
# ftrace sites patched for BPF trampolines or kprobes (fentry/kprobe modes).
ftrace_sites() { { wc -l </sys/kernel/tracing/enabled_functions; } 2>/dev/null || echo 0; }

# ts_kill_and_check: positive control (tunescope's programs and links are visible now), then
# kill -9 and require that no ts_ program, no link to one and no extra ftrace site remains.
ts_kill_and_check() {
  nprog=$(ts_prog_ids | wc -l)
  nlink=$(ts_link_count)
  echo "before kill: $nprog ts_ programs, $nlink links, $(ftrace_sites) ftrace sites (baseline $TS_FTRACE_BASE)"
  [ "$nprog" -gt 0 ] || tsvm_fail "no ts_ BPF program loaded while tunescope runs (bpftool sees none)"
  [ "$nlink" -gt 0 ] || tsvm_fail "no bpf_link to a ts_ program while tunescope runs"
  kill -9 "$TS_PID"
  wait "$TS_PID" 2>/dev/null
  TS_PID=""
  i=0
  while [ $i -lt 20 ]; do
    nprog=$(ts_prog_ids | wc -l)
    nlink=$(ts_link_count)
    nsites=$(ftrace_sites)
    if [ "$nprog" -eq 0 ] && [ "$nlink" -eq 0 ] && [ "$nsites" -le "${TS_FTRACE_BASE:-0}" ]; then
      echo "after kill -9: nothing left after ~${i}s"
      return 0
    fi
    sleep 1
    i=$((i + 1))
  done
  bpftool prog show
  bpftool link show
  cat /sys/kernel/tracing/enabled_functions 2>/dev/null
  tsvm_fail "after kill -9: $nprog ts_ programs, $nlink links, $nsites ftrace sites remain"
}
TS_FTRACE_BASE=$(ftrace_sites)

# ---- traffic on loopback -----------------------------------------------------------------------

# traffic_start SECONDS: ICMP echo as fast as replies come (ping -A) and HTTP requests to a
# busybox httpd, all on 127.0.0.1, in the background for SECONDS.
traffic_start() {
  secs=$1
  mkdir -p /tmp/www
  [ -s /tmp/www/index.html ] || head -c 4096 /dev/zero | tr '\0' x >/tmp/www/index.html
  httpd -p 127.0.0.1:8080 -h /tmp/www
  ping -A -q -w "$secs" 127.0.0.1 >"$TSVM_STATE/ping.log" 2>&1 &
  PING_PID=$!
  (
    end=$(($(uptime_s) + secs))
    while [ "$(uptime_s)" -lt $end ]; do
      timeout 5 wget -q -O /dev/null http://127.0.0.1:8080/index.html
    done
  ) &
  HTTP_PID=$!
}
traffic_wait() {
  wait "$PING_PID" 2>/dev/null
  wait "$HTTP_PID" 2>/dev/null
  cat "$TSVM_STATE/ping.log"
  for pid in $(pidof httpd); do kill "$pid"; done
}

# ---- checks on exported series -----------------------------------------------------------------

# hist_check FILE HISTOGRAM: every series of HISTOGRAM (a Prometheus histogram) has buckets that
# never decrease as le grows, a +Inf bucket equal to _count, and a _sum >= 0. Prints problems.
hist_check() {
  awk -v name="$2" '
    function key(s,   k) {
      k = s; sub(/^[^{]*/, "", k); sub(/,?le="[^"]*"/, "", k); sub(/^\{,/, "{", k); sub(/^\{\}$/, "", k)
      return k
    }
    function le(s,   v) { v = s; sub(/.*le="/, "", v); sub(/".*/, "", v); return v }
    /^#/ { next }
    {
      series = $1; val = $NF + 0; base = series; sub(/\{.*/, "", base)
      if (base == name "_bucket") {
        k = key(series); l = le(series)
        if (l == "+Inf") { inf[k] = val; seen[k] = 1; next }
        n = ++nb[k]; bl[k, n] = l + 0; bv[k, n] = val; seen[k] = 1
      } else if (base == name "_count") {
        k = series; sub(/^[^{]*/, "", k); cnt[k] = val; seen[k] = 1
      } else if (base == name "_sum") {
        k = series; sub(/^[^{]*/, "", k); if (val < 0) { print "negative _sum " series; bad++ }
      }
    }
    END {
      for (k in seen) {
        total++
        if (!(k in inf)) { print "no +Inf bucket for " name k; bad++; continue }
        if (!(k in cnt)) { print "no _count for " name k; bad++; continue }
        if (inf[k] != cnt[k]) { print name k ": +Inf bucket " inf[k] " != _count " cnt[k]; bad++ }
        # buckets in le order (insertion sort: at most a few dozen)
        for (i = 1; i <= nb[k]; i++) { ol[i] = bl[k, i]; ov[i] = bv[k, i] }
        for (i = 2; i <= nb[k]; i++) for (j = i; j > 1 && ol[j - 1] > ol[j]; j--) {
          t = ol[j]; ol[j] = ol[j - 1]; ol[j - 1] = t; t = ov[j]; ov[j] = ov[j - 1]; ov[j - 1] = t
        }
        for (i = 2; i <= nb[k]; i++) if (ov[i] < ov[i - 1]) {
          print name k ": bucket le=" ol[i] " (" ov[i] ") < le=" ol[i - 1] " (" ov[i - 1] ")"; bad++
        }
        if (nb[k] > 0 && ov[nb[k]] > inf[k]) { print name k ": last bucket > +Inf bucket"; bad++ }
      }
      if (total == 0) { print "no series of histogram " name; bad++ }
      exit bad > 0
    }' "$1"
}

# ratio_within A B LO HI: LO <= A/B <= HI (B > 0).
ratio_within() { awk -v a="$1" -v b="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(b > 0 && a / b >= lo && a / b <= hi) }'; }

# proc_softirq VECTOR: the /proc/softirqs total (all CPUs) of e.g. NET_RX.
proc_softirq() { awk -v v="$1:" '$1 == v { s = 0; for (i = 2; i <= NF; i++) s += $i; print s }' /proc/softirqs; }
# proc_irq_action NAME: the /proc/interrupts total of the IRQ whose action is NAME, e.g. ttyS0.
proc_irq_action() {
  awk -v a="$1" -v n="$(nproc)" '$NF == a { s = 0; for (i = 2; i <= n + 1; i++) s += $i; print s }' /proc/interrupts
}
proc_irq_number() { awk -v a="$1" '$NF == a { sub(":", "", $1); print $1 }' /proc/interrupts; }
proc_ctxt() { awk '$1 == "ctxt" { print $2 }' /proc/stat; }

# ts_expect_mode FILE PROBE MODE: the probe is up and runs in MODE.
ts_expect_mode() {
  up=$(ts_probe_up "$1" "$2")
  mode=$(ts_probe_mode "$1" "$2")
  [ "$up" = 1 ] || tsvm_fail "tunescope_probe_up{probe=\"$2\"} is '$up', want 1 (mode '$mode')"
  [ "$mode" = "$3" ] || tsvm_fail "probe $2 runs in mode '$mode', want '$3'"
}

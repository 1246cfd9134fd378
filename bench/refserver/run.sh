#!/usr/bin/env bash
# refserver benchmarks on loopback (see BENCHMARKING.md for why they look like this).
#
#   bench/refserver/run.sh [compare|ladder|all] [--duration S] [--runs N] [--connections C]
#                          [--refserver PATH] [--server-cpu N] [--client-cpu N]
#                          [--max-other PCT] [--quiet-wait S] [--attempts N]
#
# compare: refserver vs nginx (Debian nginx-light, one pinned worker, access log off,
#          keep-alive, `return 200` with the same JSON body), same wrk parameters.
# ladder:  refserver with its tunings switched on one at a time.
# Both print plain keep-alive and pipelined (16 per write) results: medians of N alternating
# runs of req/s, wrk's p50/p99 latency, and server CPU time per request (utime+stime of the
# server's process from /proc/PID/stat divided by the responses wrk counted). Server on
# --server-cpu (default 0), wrk on --client-cpu (default 1), traffic only to 127.0.0.1.
# These machines are shared: each run waits (up to --quiet-wait s, default 60) for other
# processes to go quiet and is repeated (up to --attempts, default 3) if they used more than
# --max-other % of a core (default 25) while it ran.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib/nginx.sh"
repo="$(cd "$here/../.." && pwd)"
mode=compare
duration=5
runs=3
conns=64
server_cpu=0
client_cpu=1
max_other=25
quiet_wait=60
attempts=3
refserver="$repo/build-refserver/reference-server/refserver"
[[ -x "$refserver" ]] || refserver="$repo/build/reference-server/refserver"

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    compare | ladder | all) mode="$1" ;;
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --connections) conns="$2"; shift ;;
    --refserver) refserver="$2"; shift ;;
    --server-cpu) server_cpu="$2"; shift ;;
    --client-cpu) client_cpu="$2"; shift ;;
    --max-other) max_other="$2"; shift ;;
    --quiet-wait) quiet_wait="$2"; shift ;;
    --attempts) attempts="$2"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
((duration >= 1 && duration <= 60)) || { echo "run.sh: --duration must be 1..60" >&2; exit 2; }
((runs >= 1 && runs <= 15)) || { echo "run.sh: --runs must be 1..15" >&2; exit 2; }
for tool in wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
[[ -x "$refserver" ]] || { echo "run.sh: refserver binary not found; build it or pass --refserver" >&2; exit 1; }

work="$(mktemp -d /tmp/refserver-bench.XXXXXX)"
server_pid=""
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

clk_tck="$(getconf CLK_TCK)"

# A free loopback port.
free_port() {
  local p
  for p in $(seq 18080 18180); do
    if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return; fi
  done
  echo "run.sh: no free port in 18080..18180" >&2
  exit 1
}

# utime+stime (clock ticks) of a process, all threads.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# user+nice+system jiffies of the whole machine (irq/softirq excluded): to spot other load.
machine_busy() { awk '/^cpu /{print $2 + $3 + $4}' /proc/stat; }

wait_ready() {
  local port="$1" i
  for i in $(seq 1 100); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/json")" == 200 ]]; then
      return 0
    fi
    sleep 0.05
  done
  echo "run.sh: server on port $port did not answer" >&2
  return 1
}

stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# Sets server_pid (the process to kill) and measure_pid (the process doing the work).
start_refserver() {
  local port="$1"; shift
  taskset -c "$server_cpu" "$refserver" --listen "127.0.0.1:$port" --workers 1 "$@" \
    >"$work/refserver.log" 2>&1 &
  server_pid=$!
  measure_pid=$server_pid
  wait_ready "$port"
}

start_nginx() {
  local port="$1"
  write_nginx_conf "$work/nginx" "$port" "$server_cpu"
  taskset -c "$server_cpu" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" \
    -e "$work/nginx/logs/error.log" >"$work/nginx/stdout.log" 2>&1 &
  server_pid=$!
  wait_ready "$port"
  # The worker serves the requests; the master only waits.
  measure_pid="$(awk '{print $1; exit}' "/proc/$server_pid/task/$server_pid/children")"
}

to_us() {  # wrk latency ("512.00us", "1.20ms", "2.00s") -> microseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "ms") n *= 1000; else if (u == "s") n *= 1000000;
    printf "%.0f", n }'
}

# One wrk run against the server already started. Prints "rps p50_us p99_us cpu_us_per_req
# other_pct" where other_pct is the CPU (in % of one core) used by everything but the server
# and wrk during the run.
measure() {
  local port="$1" pipelined="$2" script=() out cpu0 cpu1 busy0 busy1 t0 t1
  [[ "$pipelined" == 1 ]] && script=(-s "$here/pipeline.lua")
  cpu0="$(cpu_ticks "$measure_pid")"
  busy0="$(machine_busy)"
  t0="$EPOCHREALTIME"
  out="$( { /usr/bin/time -f 'WRKCPU %U %S' taskset -c "$client_cpu" wrk -t1 -c"$conns" \
    -d"${duration}s" --latency "${script[@]}" "http://127.0.0.1:$port/json"; } 2>&1)"
  t1="$EPOCHREALTIME"
  busy1="$(machine_busy)"
  cpu1="$(cpu_ticks "$measure_pid")"
  awk -v out="$out" -v ticks="$((cpu1 - cpu0))" -v busy="$((busy1 - busy0))" \
      -v hz="$clk_tck" -v dur="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" '
    function us(v,   n, u) { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
      if (u == "ms") n *= 1000; else if (u == "s") n *= 1e6; return n }
    BEGIN {
      split(out, lines, "\n")
      for (i in lines) {
        l = lines[i]
        if (l ~ /requests in/) { split(l, f, " "); reqs = f[1] }
        if (l ~ /^Requests\/sec:/) { split(l, f, " "); rps = f[2] }
        if (l ~ /^ +50%/) { split(l, f, " "); p50 = us(f[2]) }
        if (l ~ /^ +99%/) { split(l, f, " "); p99 = us(f[2]) }
        if (l ~ /^WRKCPU/) { split(l, f, " "); wrk_s = f[2] + f[3] }
        if (l ~ /Non-2xx|Socket errors/) errors = errors " " l
      }
      if (reqs == 0) { print "wrk failed: " out > "/dev/stderr"; exit 1 }
      server_s = ticks / hz
      other = (busy / hz - server_s - wrk_s) / dur * 100
      if (other < 0) other = 0
      printf "%.0f %.0f %.0f %.3f %.0f\n", rps, p50, p99, server_s * 1e6 / reqs, other
      if (errors != "") print "warning:" errors > "/dev/stderr"
    }'
}

median() { sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2];
  else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# results/<name>.<pipelined> holds one measure line per run.
results="$work/results"
mkdir -p "$results"

# Other processes' CPU (in % of one core) over half a second.
other_load() {
  local b0 b1 t0 t1
  t0="$EPOCHREALTIME"; b0="$(machine_busy)"
  sleep 0.5
  t1="$EPOCHREALTIME"; b1="$(machine_busy)"
  awk -v d="$((b1 - b0))" -v hz="$clk_tck" -v t0="$t0" -v t1="$t1" \
    'BEGIN {printf "%.0f", d / hz / (t1 - t0) * 100}'
}

# Waits (at most --quiet-wait s) until the machine is quiet before a run.
wait_quiet() {
  local i load
  for i in $(seq 1 $((quiet_wait * 2))); do
    load="$(other_load)"
    ((load <= max_other)) && return 0
    ((i == 1)) && echo "  (waiting for other load to drop: ${load}% of a core)" >&2
  done
  return 0
}

# A run during which other processes used more than --max-other % of a core is repeated
# (up to --attempts; the last one is kept and shows in the 'other' column).
record() {  # name pipelined port
  local line attempt
  for attempt in $(seq 1 "$attempts"); do
    wait_quiet
    line="$(measure "$3" "$2")"
    (($(awk '{print $5}' <<<"$line") <= max_other)) && break
    ((attempt == attempts)) && break
    echo "  (run disturbed by other load, retrying)" >&2
  done
  echo "$line" >>"$results/$1.$2"
  printf '  %-28s %-9s rps=%s p50=%sus p99=%sus cpu/req=%sus other=%s%%\n' "$1" \
    "$([[ $2 == 1 ]] && echo pipelined || echo plain)" $line >&2
}

col() { awk -v c="$2" '{print $c}' "$1" | median; }

row() {  # name pipelined label
  local f="$results/$1.$2"
  printf '| %-34s | %9.0f | %7.0f | %7.0f | %10.2f | %4.0f%% |\n' "$3" "$(col "$f" 1)" \
    "$(col "$f" 2)" "$(col "$f" 3)" "$(col "$f" 4)" "$(awk '{if ($5 > m) m = $5} END {print m + 0}' "$f")"
}

header() {
  echo
  echo "$1"
  echo
  echo "| $(printf '%-34s' "$2") |     req/s | p50 us  | p99 us  | CPU us/req | other |"
  echo "|------------------------------------|-----------|---------|---------|------------|-------|"
}

describe_machine() {
  echo "machine: $(nproc) vCPU, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), kernel $(uname -r)"
  echo "wrk -t1 -c$conns -d${duration}s on CPU $client_cpu, server on CPU $server_cpu, medians of $runs alternating runs"
  echo "'other' = the most CPU (% of one core) used by other processes during any run of that row"
  echo "quiet wait ${quiet_wait}s, up to $attempts attempts per run when other load > ${max_other}%"
}

run_compare() {
  local rport nport round p
  rport="$(free_port)"
  echo "compare: refserver vs nginx ($runs rounds x 2 servers x 2 modes x ${duration}s)" >&2
  for round in $(seq 1 "$runs"); do
    for p in 0 1; do
      start_refserver "$rport"; record refserver "$p" "$rport"; stop_server
      nport="$(free_port)"
      start_nginx "$nport"; record nginx "$p" "$nport"; stop_server
    done
  done
  for p in 0 1; do
    header "$([[ $p == 1 ]] && echo "Pipelined, 16 requests per write" || echo "Plain keep-alive")" server
    row refserver "$p" refserver
    row nginx "$p" "nginx $(nginx -v 2>&1 | sed 's|.*nginx/||')"
    local f1="$results/refserver.$p" f2="$results/nginx.$p"
    printf '| %-34s | %8.2fx | %6.2fx | %6.2fx | %9.2fx |       |\n' "ratio refserver/nginx" \
      "$(awk -v a="$(col "$f1" 1)" -v b="$(col "$f2" 1)" 'BEGIN{print a / b}')" \
      "$(awk -v a="$(col "$f1" 2)" -v b="$(col "$f2" 2)" 'BEGIN{print (b ? a / b : 0)}')" \
      "$(awk -v a="$(col "$f1" 3)" -v b="$(col "$f2" 3)" 'BEGIN{print (b ? a / b : 0)}')" \
      "$(awk -v a="$(col "$f1" 4)" -v b="$(col "$f2" 4)" 'BEGIN{print (b ? a / b : 0)}')"
  done
}

# The ladder: each step switches one more tuning on (the flags left are still off).
ladder_names=("all tunings off" "+ Date cached per second" "+ recv/send (not read/write)"
  "+ one send per pipelined batch" "+ SO_REUSEPORT listener" "+ pinned to its CPU"
  "+ CBPF steering (all on)")
ladder_flags=("--no-date-cache --no-recv-send --no-batch-send --no-reuseport --no-pin"
  "--no-recv-send --no-batch-send --no-reuseport --no-pin"
  "--no-batch-send --no-reuseport --no-pin"
  "--no-reuseport --no-pin"
  "--no-pin --no-cbpf"
  "--no-cbpf"
  "")

run_ladder() {
  local port round p i
  port="$(free_port)"
  echo "ladder: ${#ladder_names[@]} steps x $runs rounds x 2 modes x ${duration}s" >&2
  for round in $(seq 1 "$runs"); do
    for p in 0 1; do
      for i in "${!ladder_names[@]}"; do
        # shellcheck disable=SC2086  # the flags are words
        start_refserver "$port" ${ladder_flags[$i]}
        record "step$i" "$p" "$port"
        stop_server
      done
    done
  done
  for p in 0 1; do
    header "Ladder, $([[ $p == 1 ]] && echo "pipelined 16 per write" || echo "plain keep-alive")" step
    for i in "${!ladder_names[@]}"; do row "step$i" "$p" "${ladder_names[$i]}"; done
  done
}

describe_machine
case "$mode" in
  compare) run_compare ;;
  ladder) run_ladder ;;
  all) run_compare; run_ladder ;;
esac

#!/usr/bin/env bash
# tunescope's overhead on a server: server throughput and server CPU time per request with
# tunescope's probes attached vs none, in one run, variants alternating (rotated order each
# round), medians per variant. Server on CPU 0, wrk on CPU 1, loopback, plain keep-alive and
# pipelined (16 per write). Servers (--server, default both): refserver (--workers 1, batches
# its sends) and Debian's nginx (one worker, `return 200` with a small JSON body: one response,
# one writev, per request, so per-packet costs weigh far more on it), each in turn.
#
#   bench/overhead/run.sh [--duration S] [--runs N] [--connections C] [--server nginx|refserver|both]
#                         [--tunescope PATH] [--refserver PATH] [--variants a,b,...]
#
# Variants: none | default (`tunescope serve` with no flags: the always-on probe set) |
# default-port (the same with --target-port P, which adds xcpu and reqlat in socket mode) |
# all (tunescope serve --probes all --target-port P: every probe in its default mode, reqlat in
# socket mode) | default-port-always and all-always (the same with --window=always: the
# per-packet probes attached for good) | reqlat-socket (only reqlat, attached for good) |
# reqlat-usdt-1 and reqlat-usdt-100 (the same in usdt mode; refserver runs with --usdt-sample 1
# or 100, and with no tracer attached its semaphores keep the probes off in every other
# variant; refserver only) | budget (the default set with --window=900ms/1s, 90% attached, and
# serve's default --overhead-budget: the daemon shortens the windows to keep its budget) |
# args:A+B+... (`tunescope serve A B ...`, e.g. args:--probes=softirq to price one probe, or
# args:--runqlat-mode=tp_btf+--softirq.raise-delay for the pre-sched_info default set).
# VARIANT@PATH runs VARIANT with the tunescope binary at PATH, e.g. all@/tmp/old/tunescope
# beside all: two builds compared in one run.
# default, default-port and all keep serve's attach windows at their default share (2 s of 120 s,
# 1/60), scaled to one window per run: --window=(S/60)/S, with --overhead-budget off (at 120 s
# a 0.5% budget is 0.6 CPU s per window, which the default set's windows stay under; scaled to
# S seconds it would be S/200 and skip them). Any interval of one whole period holds
# exactly one window's attached time, whatever the phase, so every run measures that share; the
# daemon re-attaches once per run instead of once per 120 s, which only adds to the cost.
# CPU us/req = busy time of the server's CPU (wall time minus its idle time) / responses wrk
# counted; `tunescope`
# = the daemon's own CPU during the run in % of one core; `other` = CPU of everything else.
# Needs root, wrk, taskset, curl, clang, bpftool, jq.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
duration=5
runs=3
conns=64
server_cpu=0
client_cpu=1
tunescope="$repo/build/daemon/tunescope"
refserver="$repo/build/reference-server/refserver"
variants=(none default default-port all all-always reqlat-socket reqlat-usdt-100 reqlat-usdt-1)
servers=(nginx refserver)

usage() { sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case "$1" in
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --connections) conns="$2"; shift ;;
    --tunescope) tunescope="$2"; shift ;;
    --refserver) refserver="$2"; shift ;;
    --server)
      case "$2" in
        both) servers=(nginx refserver) ;;
        nginx | refserver) servers=("$2") ;;
        *) echo "run.sh: --server must be nginx, refserver or both" >&2; exit 2 ;;
      esac
      shift ;;
    --variants) IFS=, read -r -a variants <<<"$2"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
((duration >= 1 && duration <= 60)) || { echo "run.sh: --duration must be 1..60" >&2; exit 2; }
((runs >= 1 && runs <= 15)) || { echo "run.sh: --runs must be 1..15" >&2; exit 2; }
window="$((duration * 1000 / 60))ms/${duration}s"  # serve's default 2s/120s share, one per run
[[ $(id -u) -eq 0 ]] || { echo "run.sh: needs root (loads BPF programs)" >&2; exit 1; }
[[ " ${servers[*]} " == *" nginx "* ]] && ! command -v nginx >/dev/null &&
  { echo "run.sh: nginx not found (apt-get install nginx-light)" >&2; exit 1; }
for tool in wrk taskset curl clang bpftool jq; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done
[[ -x "$tunescope" ]] || { echo "run.sh: no tunescope at $tunescope (--tunescope)" >&2; exit 1; }
[[ -x "$refserver" ]] || { echo "run.sh: no refserver at $refserver (--refserver)" >&2; exit 1; }

work="$(mktemp -d /tmp/overhead-bench.XXXXXX)"
server_pid=""
daemon_pid=""
stop_pid() {  # stop_pid PID: TERM, wait
  [[ -n "$1" ]] || return 0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
stats_was=""
cleanup() {
  stop_pid "$daemon_pid"
  stop_pid "$server_pid"
  floor_detach
  [[ -n "$stats_was" ]] && sysctl -qw kernel.bpf_stats_enabled="$stats_was"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

clk_tck="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
machine_busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }

free_port() {
  local p
  for p in $(seq "$1" $(($1 + 100))); do
    if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return; fi
  done
  echo "run.sh: no free port from $1" >&2
  exit 1
}

port="$(free_port 18280)"
mport="$(free_port 18480)"

source "$here/servers.sh"

start_daemon() {  # start_daemon VARIANT ARGS...: waits until the daemon serves; notes its probes
  local variant="$1" bin="$tunescope" i
  shift
  [[ "$variant" == *@* ]] && bin="${variant#*@}"
  "$bin" serve --web.listen-address "127.0.0.1:$mport" "$@" "${daemon_extra[@]}" \
    >"$work/daemon.log" 2>&1 &
  daemon_pid=$!
  for i in $(seq 1 200); do
    if grep -q "serving on" "$work/daemon.log" &&
      curl -sf -o "$work/metrics" "http://127.0.0.1:$mport/metrics"; then
      sed -n 's/^tunescope_probe_info{.*mode="\([a-z_]*\)",probe="\([a-z]*\)".*/\2:\1/p;
                s/^tunescope_probe_info{.*probe="\([a-z]*\)",mode="\([a-z_]*\)".*/\1:\2/p' "$work/metrics" |
        sort | tr '\n' ' ' >>"$work/probes.$(file_key "$variant")"
      echo >>"$work/probes.$(file_key "$variant")"
      return 0
    fi
    sleep 0.1
  done
  echo "run.sh: tunescope did not start:" >&2
  cat "$work/daemon.log" >&2
  exit 1
}

daemon_extra=()
file_key() { printf '%s' "$1" | tr -c 'A-Za-z0-9_.+=:-' '_'; }  # a variant as a file name (@PATH has /)

# The variant's setup: the server with the right sample rate, the daemon with its probes.
server_sample=""
setup() {
  stop_pid "$daemon_pid"
  daemon_pid=""
  local want=1000000
  local base="${1%%@*}"
  case "$base" in
    reqlat-usdt-1) want=1 ;;
    reqlat-usdt-100) want=100 ;;
  esac
  if [[ "$server_sample" != "$want" ]]; then
    start_server "$want"
    server_sample="$want"
  fi
  case "$base" in
    none) ;;
    default) start_daemon "$1" --window "$window" --overhead-budget off ;;
    default-port) start_daemon "$1" --target-port "$port" --window "$window" --overhead-budget off ;;
    default-port-always) start_daemon "$1" --target-port "$port" --window always ;;
    all) start_daemon "$1" --probes all --target-port "$port" --target-pid "$target_pid" \
      --window "$window" --overhead-budget off ;;
    all-always) start_daemon "$1" --probes all --target-port "$port" --target-pid "$target_pid" \
      --window always ;;
    reqlat-socket) start_daemon "$1" --probes reqlat --target-port "$port" --window always ;;
    budget) start_daemon "$1" --window 900ms/1s ;;
    reqlat-usdt-*)
      [[ "$server" == refserver ]] || { echo "run.sh: $base needs refserver" >&2; exit 2; }
      start_daemon "$1" --probes reqlat --reqlat.usdt-binary "$refserver" --target-pid \
        "$server_pid" --window always ;;
    args:*)
      local args
      IFS=+ read -r -a args <<<"${base#args:}"
      start_daemon "$1" "${args[@]}" ;;
    *) echo "run.sh: unknown variant '$1' (try --help)" >&2; exit 2 ;;
  esac
  sleep 0.5
}

# Idle time of the server's CPU in ticks: with NO_HZ the kernel measures idle exactly, so wall
# time minus idle is the CPU's busy time, softirqs and BPF programs run there included.
cpu_idle() { awk -v c="cpu$server_cpu" '$1 == c {print $5 + $6 + $9}' /proc/stat; }

# One wrk run: "rps server_cpu_us_per_req daemon_pct other_pct".
measure() {
  local pipelined="$1" script=() out d0=0 d1=0 b0 b1 i0 i1 t0 t1
  [[ "$pipelined" == 1 ]] && script=(-s "$repo/bench/refserver/pipeline.lua")
  [[ -n "$daemon_pid" ]] && d0="$(cpu_ticks "$daemon_pid")"
  b0="$(machine_busy)"
  i0="$(cpu_idle)"
  t0="$EPOCHREALTIME"
  out="$( { /usr/bin/time -f 'WRKCPU %U %S' taskset -c "$client_cpu" wrk -t1 -c"$conns" \
    -d"${duration}s" "${script[@]}" "http://127.0.0.1:$port/json"; } 2>&1)"
  t1="$EPOCHREALTIME"
  i1="$(cpu_idle)"
  b1="$(machine_busy)"
  [[ -n "$daemon_pid" ]] && d1="$(cpu_ticks "$daemon_pid")"
  awk -v out="$out" -v idle="$((i1 - i0))" -v dt="$((d1 - d0))" -v busy="$((b1 - b0))" \
      -v hz="$clk_tck" -v t0="$t0" -v t1="$t1" '
    BEGIN {
      n = split(out, lines, "\n")
      for (i = 1; i <= n; i++) {
        l = lines[i]
        if (l ~ /requests in/) { split(l, f, " "); reqs = f[1] }
        if (l ~ /^Requests\/sec:/) { split(l, f, " "); rps = f[2] }
        if (l ~ /^WRKCPU/) { split(l, f, " "); wrk_s = f[2] + f[3] }
      }
      if (reqs == 0) { print "wrk failed: " out > "/dev/stderr"; exit 1 }
      dur = t1 - t0
      server_s = dur - idle / hz
      other = (busy / hz - server_s - dt / hz - wrk_s) / dur * 100
      if (other < 0) other = 0
      printf "%.0f %.4f %.1f %.0f\n", rps, server_s * 1e6 / reqs, dt / hz / dur * 100, other
    }'
}

median() { sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2];
  else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Accounting: the kernel's own count and run time of every program (--bpf-stats) over one run
# per variant, divided by the requests served. Stats add two clock reads per program run, so
# these runs are not part of the A/B table above; the time covers the programs' bodies, not
# the tracepoint dispatch around them. The stats' own share is measured in the same run with
# an empty program (stats_floor.bpf.c, on net:netif_rx) and subtracted per program run; a
# third program there prices one bpf_ktime_get_ns, the clock read every timed event needs.
floor_attach() {
  local vmlinux_h="${VMLINUX_H:-$repo/bpf/vmlinux/x86/vmlinux.h}" name
  [[ -f "$vmlinux_h" ]] || { echo "run.sh: no vmlinux.h at $vmlinux_h (VMLINUX_H)" >&2; exit 1; }
  clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$(dirname "$vmlinux_h")" \
    -c "$here/stats_floor.bpf.c" -o "$work/stats_floor.bpf.o"
  mkdir -p "$work/bpffs"
  mount -t bpf bpf "$work/bpffs"
  bpftool prog loadall "$work/stats_floor.bpf.o" "$work/bpffs/floor" autoattach
  # autoattach pins each link under its program's name; the stats are the program's. (bpftool
  # 7.x exits 255 here even though it prints the link.)
  for name in stats_floor stats_clock; do
    printf -v "${name#stats_}_id" '%s' "$({ bpftool link show pinned "$work/bpffs/floor/$name" -j ||
      true; } | jq -r .prog_id)"
  done
  [[ "$floor_id" =~ ^[0-9]+$ && "$clock_id" =~ ^[0-9]+$ ]] ||
    { echo "run.sh: stats_floor.bpf.c did not attach" >&2; exit 1; }
  stats_was="$(sysctl -n kernel.bpf_stats_enabled)"
  sysctl -qw kernel.bpf_stats_enabled=1
}
# "floor_runs floor_ns clock_runs clock_ns", cumulative
floor_stats() {
  local id
  for id in "$floor_id" "$clock_id"; do
    bpftool prog show id "$id" -j | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"'
  done | paste -sd' '
}
floor_detach() {
  [[ -d "$work/bpffs" ]] || return 0
  rm -rf "$work/bpffs/floor" 2>/dev/null || true
  umount "$work/bpffs" 2>/dev/null || true
  rmdir "$work/bpffs" 2>/dev/null || true
}

bpf_delta() {  # bpf_delta BEFORE AFTER REQS: "runs_per_req ns_per_req" per program, then total
  awk -v reqs="$3" '
    function key(l) { sub(/^[a-z_]*\{/, "", l); sub(/\}.*/, "", l); return l }
    FNR == 1 { file++ }
    /^tunescope_bpf_program_runs_total\{/ { r[file, key($0)] = $NF; keys[key($0)] }
    /^tunescope_bpf_program_run_seconds_total\{/ { t[file, key($0)] = $NF }
    END {
      for (k in keys) {
        runs = r[2, k] - r[1, k]; ns = (t[2, k] - t[1, k]) * 1e9
        if (runs <= 0) continue
        p = k; sub(/.*program="/, "", p); sub(/".*/, "", p)
        printf "    %-28s %8.3f runs/req %7.1f ns/run %8.1f ns/req\n", p, runs / reqs, ns / runs, ns / reqs
        total += ns / reqs; all_runs += runs / reqs
      }
      printf "TOTAL %.1f %.4f\n", total, all_runs
    }' "$1" "$2"
}

echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)," \
  "kernel $(uname -r)"
echo "wrk -t1 -c$conns -d${duration}s on CPU $client_cpu, the server on CPU" \
  "$server_cpu; $runs rounds, variants alternate in rotated order; medians"
# The daemon's own account over the same run, from its metrics, beside the bench's: its BPF
# time and its CPU (tunescope_self_cpu_seconds_total) as shares of one CPU, the budget it keeps
# and the duty cycle in force at the end; "bench" is the same BPF time from the kernel's stats
# over wall time and the daemon's CPU from /proc/PID/stat (the `tunescope` column).
budget_line() {  # budget_line MEASURE_OUTPUT
  awk -v d="$duration" -v m="$1" '
    FNR == 1 { file++ }
    /^tunescope_bpf_program_run_seconds_total\{/ { bpf[file] += $NF }
    /^tunescope_self_cpu_seconds_total / { cpu[file] = $NF }
    /^tunescope_overhead_budget_ratio / { budget = $NF }
    /^tunescope_window_duty_ratio / { duty = $NF }
    END {
      split(m, f, " ")
      printf "    daemon: BPF %.3f%% + own CPU %.3f%% of one CPU = %.3f%%, budget %.2f%%, duty %.4f; bench: own CPU %.1f%%\n",
        (bpf[2] - bpf[1]) / d * 100, (cpu[2] - cpu[1]) / d * 100,
        (bpf[2] - bpf[1] + cpu[2] - cpu[1]) / d * 100, budget * 100, duty, f[3]
    }' "$work/stats0" "$work/stats1"
}

for server in "${servers[@]}"; do
  # Each server in turn: the same variants, the A/B table with stats off, then the per-program
  # accounting with stats on.
  # The usdt variants trace refserver's own probes: nginx has none.
  vs=()
  for v in "${variants[@]}"; do
    [[ "$server" == nginx && "$v" == reqlat-usdt-* ]] || vs+=("$v")
  done
  server_sample=""
  daemon_extra=()
  rm -f "$work"/probes.*
  echo
  echo "== $server =="
  for pipelined in 0 1; do
    for v in "${vs[@]}"; do : >"$work/$(file_key "$v").$pipelined"; done
    for ((r = 0; r < runs; r++)); do
      for ((k = 0; k < ${#vs[@]}; k++)); do
        v="${vs[$(((k + r) % ${#vs[@]}))]}"
        setup "$v"
        measure "$pipelined" >>"$work/$(file_key "$v").$pipelined"
      done
    done
    stop_pid "$daemon_pid"
    daemon_pid=""
    echo
    [[ "$pipelined" == 1 ]] && echo "Pipelined, 16 requests per write" || echo "Plain keep-alive"
    echo
    w=16
    for v in "${vs[@]}"; do ((${#v} > w)) && w=${#v}; done
    printf "| %-${w}s | %9s | %8s | %10s | %8s | %17s | %9s | %5s |\n" variant req/s 'vs none' \
      'CPU us/req' 'vs none' 'rounds min..max' tunescope other
    printf '|%s|-----------|----------|------------|----------|-------------------|-----------|-------|\n' \
      "$(printf -- '-%.0s' $(seq 1 $((w + 2))))"
    for v in "${vs[@]}"; do
      f="$work/$(file_key "$v").$pipelined"
      # Each round's run against the none run of the same round: slow drift of a shared host
      # cancels out of the ratio.
      paste "$f" "$work/none.$pipelined" | awk '{print $1 / $5 - 1}' >"$work/rps_ratio"
      paste "$f" "$work/none.$pipelined" | awk '{print $2 / $6 - 1}' >"$work/cpu_ratio"
      awk -v w="$w" -v v="$v" -v rps="$(awk '{print $1}' "$f" | median)" \
          -v rr="$(median <"$work/rps_ratio")" -v cpu="$(awk '{print $2}' "$f" | median)" \
          -v cr="$(median <"$work/cpu_ratio")" -v lo="$(sort -g "$work/cpu_ratio" | head -1)" \
          -v hi="$(sort -g "$work/cpu_ratio" | tail -1)" -v d="$(awk '{print $3}' "$f" | median)" \
          -v o="$(awk '{print $4}' "$f" | sort -g | tail -1)" 'BEGIN {
        printf "| %-" w "s | %9.0f | %+7.1f%% | %10.3f | %+7.1f%% | %+7.1f%%..%+6.1f%% | %8.1f%% | %4.0f%% |\n",
          v, rps, rr * 100, cpu, cr * 100, lo * 100, hi * 100, d, o }'
    done
  done
  floor_attach
  daemon_extra=(--bpf-stats)
  echo
  echo "BPF program time per request (--bpf-stats; one $duration s run per variant; % of none's CPU/req)"
  echo '  floor: an empty program in the same run (the stats'"'"' own cost), subtracted per run in "net";'
  echo '  clock: what one bpf_ktime_get_ns adds to a program on this host, in the same run'
  for pipelined in 0 1; do
    [[ "$pipelined" == 1 ]] && label=pipelined || label=plain
    base_cpu="$(awk '{print $2}' "$work/none.$pipelined" | median)"
    for v in "${vs[@]}"; do
      [[ "$v" == none ]] && continue
      setup "$v"
      curl -sf -o "$work/stats0" "http://127.0.0.1:$mport/metrics"
      read -r fc0 ft0 cc0 ct0 < <(floor_stats)
      out="$(measure "$pipelined")"
      read -r fc1 ft1 cc1 ct1 < <(floor_stats)
      curl -sf -o "$work/stats1" "http://127.0.0.1:$mport/metrics"
      floor_ns="$(awk -v c="$((fc1 - fc0))" -v t="$((ft1 - ft0))" 'BEGIN { print (c > 0 ? t / c : 0) }')"
      clock_ns="$(awk -v c="$((cc1 - cc0))" -v t="$((ct1 - ct0))" -v f="$floor_ns" \
        'BEGIN { print (c > 0 ? t / c - f : 0) }')"
      reqs="$(awk -v d="$duration" '{printf "%.0f", $1 * d}' <<<"$out")"
      bpf_delta "$work/stats0" "$work/stats1" "$reqs" >"$work/bpf"
      read -r _ total runs_per_req < <(grep '^TOTAL' "$work/bpf")
      awk -v v="$v" -v l="$label" -v t="$total" -v b="$base_cpu" -v n="$runs_per_req" \
          -v f="$floor_ns" -v c="$clock_ns" 'BEGIN { net = t - n * f
        printf "  %-9s %-24s %8.1f ns/req = %5.2f%% of %.3f us; net %6.1f ns/req = %5.2f%% (floor %.1f, clock %.1f ns)\n",
          l, v, t, t / 10 / b, b, net, net / 10 / b, f, c }'
      grep -v '^TOTAL' "$work/bpf" | sort -k4 -gr
      budget_line "$out"
    done
  done
  stop_pid "$daemon_pid"
  daemon_pid=""
  sysctl -qw kernel.bpf_stats_enabled="$stats_was"
  stats_was=""
  floor_detach
  echo
  echo "probes up per variant (probe:mode; a probe missing here could not start):"
  for v in "${vs[@]}"; do
    [[ -s "$work/probes.$(file_key "$v")" ]] && echo "  $v: $(sort -u "$work/probes.$(file_key "$v")" | head -3 | paste -sd'/' -)"
  done
  stop_pid "$server_pid"
  server_pid=""
done

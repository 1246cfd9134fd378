#!/usr/bin/env bash
# What a --target-comm costs each /metrics scrape on a host with many threads: the target's
# threads are found by name at every scrape (each thread's /proc/PID/task/TID/comm read when its
# tid is new, at its second sighting and in its first 10 s, then every 5 minutes). Starts one
# process with N idle threads, then alternates R rounds of two daemons, one with --target-comm
# (matching no thread: the whole scan, no target work) and one without a target, and times S
# scrapes of each after two warm-up scrapes. Prints p50/p99 per variant and the p50 ratio. A
# benchmark: it prints, it does not judge. Needs root.
#
# usage: bench/scrape/threads.sh [--threads N] [--rounds R] [--scrapes S] [--build DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$here/build
threads=5000
rounds=3
scrapes=20
while (($#)); do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --scrapes) scrapes=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "bench/scrape/threads: needs root (loads BPF programs)" >&2; exit 1; }
tunescope=$build/daemon/tunescope
[[ -x $tunescope ]] || { echo "build first: $tunescope" >&2; exit 1; }

# shellcheck source=bench/lib/children.sh
source "$here/bench/lib/children.sh"
children_on_exit

# N threads blocked on one event: no CPU, only /proc entries. Bounded in time.
python3 - "$threads" >/dev/null 2>&1 <<'EOF' &
import sys, threading, time
done = threading.Event()
for _ in range(int(sys.argv[1])):
    threading.Thread(target=done.wait, daemon=True).start()
time.sleep(1800)
EOF
pids+=($!)
for _ in $(seq 100); do
  (($(ls /proc/"${pids[0]}"/task | wc -l) > threads)) && break
  sleep 0.2
done
port=$(free_port)

round() {  # round VARIANT FLAGS...: appends S scrape times (ms) to $tmp/VARIANT
  local variant=$1
  shift
  "$tunescope" serve --web.listen-address="127.0.0.1:$port" --probes=softirq "$@" >"$tmp/log" 2>&1 &
  local ts=$!
  pids+=("$ts")
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    sleep 0.2
  done
  for _ in 1 2; do curl -fsS -o /dev/null "http://127.0.0.1:$port/metrics"; done
  for _ in $(seq "$scrapes"); do
    curl -fsS -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics" |
      awk '{print $1 * 1000}' >>"$tmp/$variant"
  done
  kill "$ts"
  wait "$ts" || true
}
for _ in $(seq "$rounds"); do
  round target --target-comm=tsbench-none
  round none
done

pct() {  # pct FILE Q
  sort -n "$1" | awk -v q="$2" -v n="$(wc -l <"$1")" 'NR == int((n - 1) * q) + 1 {printf "%.2f", $1}'
}
printf 'threads on the host: %d; %d rounds of %d scrapes per variant, alternating\n\n' \
  "$(ls -d /proc/[0-9]*/task/[0-9]* | wc -l)" "$rounds" "$scrapes"
printf '| variant | p50 ms | p99 ms |\n|---|---|---|\n'
printf '| --target-comm | %s | %s |\n' "$(pct "$tmp/target" 0.5)" "$(pct "$tmp/target" 0.99)"
printf '| no target | %s | %s |\n' "$(pct "$tmp/none" 0.5)" "$(pct "$tmp/none" 0.99)"
printf '\np50 ratio, --target-comm / no target: %s\n' \
  "$(awk -v a="$(pct "$tmp/target" 0.5)" -v b="$(pct "$tmp/none" 0.5)" 'BEGIN {printf "%.1f", a / b}')"

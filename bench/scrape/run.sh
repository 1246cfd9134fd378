#!/usr/bin/env bash
# /metrics latency and the daemon's memory: starts refserver under wrk and tunescope with every
# probe, times N scrapes at concurrency C with curl, and prints p50/p99/max scrape latency, the
# exposition size and tunescope's RSS before and after; then one scrape at a time, keep-alive
# (requests after the first on one connection, as Prometheus scrapes) beside new connections,
# in R alternating rounds of 20. A benchmark: it prints, it does not judge. Needs root.
#
# usage: bench/scrape/run.sh [--scrapes N] [--concurrency C] [--rounds R] [--build DIR]
#                            [-- serve flags...]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$here/build
scrapes=500
concurrency=4
rounds=10
while (($#)); do
  case $1 in
    --scrapes) scrapes=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --) shift; break ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "bench/scrape: needs root (loads BPF programs)" >&2; exit 1; }
tunescope=$build/daemon/tunescope refserver=$build/reference-server/refserver
[[ -x $tunescope && -x $refserver ]] || { echo "build first: $tunescope, $refserver" >&2; exit 1; }

# shellcheck source=bench/lib/children.sh
source "$here/bench/lib/children.sh"
children_on_exit

rs_port=$(free_port) ts_port=$(free_port)
"$refserver" --listen "127.0.0.1:$rs_port" >/dev/null 2>&1 &
pids+=($!)
"$tunescope" serve --web.listen-address="127.0.0.1:$ts_port" --target-port="$rs_port" \
  --target-comm=refserver "$@" >"$tmp/log" 2>&1 &
ts=$!
pids+=("$ts")
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$ts_port/healthz" 2>/dev/null && break
  sleep 0.2
done
rss() { awk '/VmRSS/ {print $2}' /proc/"$ts"/status; }
rss_start=$(rss)
wrk -t1 -c16 -d600s "http://127.0.0.1:$rs_port/plaintext" >/dev/null 2>&1 &
pids+=($!)
sleep 5  # let the maps fill with the load's keys
size=$(curl -fsS "http://127.0.0.1:$ts_port/metrics" | wc -c)
series=$(curl -fsS "http://127.0.0.1:$ts_port/metrics" | grep -vc '^#')

seq "$scrapes" | xargs -P "$concurrency" -I{} curl -s -o /dev/null \
  -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$ts_port/metrics" >"$tmp/times"
errors=$(awk '$1 != 200' "$tmp/times" | wc -l)
awk '$1 == 200 {print $2 * 1000}' "$tmp/times" | sort -n >"$tmp/ms"
n=$(wc -l <"$tmp/ms")
pct() { awk -v p="$1" -v n="$n" 'NR == int((n - 1) * p) + 1 {printf "%.2f", $1}' "$tmp/ms"; }

printf '| scrapes | concurrency | errors | p50 ms | p99 ms | max ms | bytes | series | RSS start KiB | RSS end KiB |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
printf '| %d | %d | %d | %s | %s | %s | %d | %d | %d | %d |\n' "$scrapes" "$concurrency" "$errors" \
  "$(pct 0.5)" "$(pct 0.99)" "$(tail -1 "$tmp/ms")" "$size" "$series" "$rss_start" "$(rss)"

# Keep-alive vs new connections, alternating so that load drifts hit both alike.
url=http://127.0.0.1:$ts_port/metrics
: >"$tmp/new" && : >"$tmp/kept"
for _ in $(seq "$rounds"); do
  for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' "$url" >>"$tmp/new"
  done
  args=()
  for _ in $(seq 21); do args+=(-o /dev/null "$url"); done
  curl -s -w '%{time_total}\n' "${args[@]}" | tail -n +2 >>"$tmp/kept"  # the first opens it
done
latency_row() {  # latency_row NAME FILE
  awk '{print $1 * 1000}' "$2" | sort -n >"$tmp/sorted"
  n=$(wc -l <"$tmp/sorted")
  printf '| %s | %d | %s | %s | %s |\n' "$1" "$n" \
    "$(awk -v n="$n" 'NR == int((n - 1) * 0.5) + 1 {printf "%.2f", $1}' "$tmp/sorted")" \
    "$(awk -v n="$n" 'NR == int((n - 1) * 0.99) + 1 {printf "%.2f", $1}' "$tmp/sorted")" \
    "$(tail -1 "$tmp/sorted")"
}
printf '\n| one scrape at a time | scrapes | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|\n'
latency_row "new connection each" "$tmp/new"
latency_row "keep-alive (after the first)" "$tmp/kept"

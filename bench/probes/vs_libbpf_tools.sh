#!/usr/bin/env bash
# Mean cost per program run of tunescope's softirq and runqlat programs vs libbpf-tools'
# softirqs and runqlat on the same hooks under the same load, from the kernel's BPF stats
# (run_time_ns / run_cnt). Rounds alternate A and B; the table shows medians. tunescope's
# runqlat runs in the mode it picks (sched_info: one program on sched_switch, none on wakeups),
# so a last row compares all run-queue programs per context switch.
#   usage: bench/probes/vs_libbpf_tools.sh [path/to/tunescope] [rounds] [seconds]
set -euo pipefail
tunescope=${1:-build/daemon/tunescope}
rounds=${2:-3}
secs=${3:-8}
[[ $(id -u) -eq 0 ]] || { echo "needs root" >&2; exit 1; }
command -v softirqs >/dev/null && command -v runqlat >/dev/null ||
  { echo "needs libbpf-tools (apt-get install libbpf-tools)" >&2; exit 1; }

old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
work=$(mktemp -d)
cleanup() {
  sysctl -qw kernel.bpf_stats_enabled="$old_stats"
  jobs -p | xargs -r kill 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Loopback packets (NET_RX softirqs) and context switches (sched_wakeup/switch), bounded.
load() {
  timeout "$secs" ping -q -f 127.0.0.1 >/dev/null 2>&1 &
  local pinger=$!
  timeout "$secs" perf bench sched pipe -l 100000000 >/dev/null 2>&1 &
  local piper=$!
  wait "$pinger" "$piper" || true
}

# hook_of NAME: which kernel hook a program of either tool sits on.
hook_of() {
  case $1 in
    *wakeup_n* | *wnew*) echo sched_wakeup_new ;;
    *wakeup*) echo sched_wakeup ;;
    *switch*) echo sched_switch ;;
    *sirq_entry* | *softirq_entry*) echo softirq_entry ;;
    *sirq_exit* | *softirq_exit*) echo softirq_exit ;;
    *) echo "" ;;
  esac
}

# sample TOOL PID...: appends "round tool hook run_time_ns run_cnt" for the PIDs' programs.
sample() {
  local tool=$1
  shift
  local ids
  ids=$(for p in "$@"; do grep -h '^prog_id:' /proc/"$p"/fdinfo/* 2>/dev/null | awk '{print $2}'; done | sort -u)
  bpftool prog show -j | jq -r '.[] | "\(.id) \(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"' |
    while read -r id name ns cnt; do
      grep -qx "$id" <<<"$ids" || continue
      hook=$(hook_of "$name")
      [[ -n $hook && $cnt -gt 0 ]] && echo "$round $tool $hook $ns $cnt"
    done >>"$work/samples"
}

for round in $(seq "$rounds"); do
  port=$((20000 + round))
  # --softirq.sample=1: every softirq run timed, as libbpf-tools does.
  "$tunescope" serve --probes=softirq,runqlat --softirq.sample=1 --web.listen-address=127.0.0.1:$port \
    2>/dev/null &
  ts=$!
  sleep 2
  load
  sample tunescope "$ts"
  kill "$ts"; wait "$ts" 2>/dev/null || true

  softirqs "$((secs + 3))" 1 >/dev/null &
  s=$!
  runqlat "$((secs + 3))" 1 >/dev/null &
  r=$!
  sleep 2
  load
  sample libbpf-tools "$s" "$r"
  kill "$s" "$r" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "round $round done" >&2
done

median() { sort -n | awk '{a[NR]=$1} END{if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# per_round TOOL HOOK: one mean ns per run per round.
per_round() {
  awk -v t="$1" -v h="$2" '$2 == t && $3 == h {printf "%.1f\n", $4 / $5}' "$work/samples"
}
# per_switch TOOL: run-queue program time on all sched_* hooks per sched_switch run, per round.
per_switch() {
  awk -v t="$1" '$2 == t && $3 ~ /^sched_/ { ns[$1] += $4; if ($3 == "sched_switch") n[$1] = $5 }
    END { for (r in ns) if (n[r] > 0) printf "%.1f\n", ns[r] / n[r] }' "$work/samples"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="-"||b=="-"||b==0) print "-"; else printf "%.2f", a/b }'; }
echo
echo "Mean ns per program run (median of $rounds alternating rounds, ${secs}s load each; $(uname -r), $(nproc) CPUs)"
echo
echo "| hook | tunescope | libbpf-tools | tunescope / libbpf-tools |"
echo "|---|---|---|---|"
for hook in softirq_entry softirq_exit sched_wakeup sched_wakeup_new sched_switch; do
  a=$(per_round tunescope "$hook" | median)
  b=$(per_round libbpf-tools "$hook" | median)
  echo "| $hook | $a | $b | $(ratio "$a" "$b") |"
done
a=$(per_switch tunescope | median)
b=$(per_switch libbpf-tools | median)
echo "| run-queue programs per context switch | $a | $b | $(ratio "$a" "$b") |"

#!/usr/bin/env bash
# --drop-capabilities: once the probes are attached every thread of the daemon has empty
# effective, permitted, inheritable and ambient sets (and, as root, an empty bounding set), the
# probes keep counting, and SIGTERM still detaches everything. Without the flag the
# capabilities stay (so the check can tell the two apart).
# usage: drop_capabilities_test.sh TUNESCOPE SOURCE_DIR
set -euo pipefail
tunescope=$1 src=$2
source "$src/tests/process/lib.sh"
require_root
command -v bpftool >/dev/null || fail "bpftool is not installed"
scratch_dir_and_daemon

# caps PID FIELD: the distinct values of FIELD over all threads of PID.
caps() { cat /proc/"$1"/task/*/status | awk -v f="$2:" '$1 == f {print $2}' | sort -u | tr '\n' ' '; }
runs() { curl -fsS "http://127.0.0.1:$1/metrics" | awk '/^tunescope_softirq_runs_total/ {s += $2} END {printf "%d", s}'; }

start() {  # start PORT [FLAGS...]
  local port=$1
  shift
  "$tunescope" serve --web.listen-address="127.0.0.1:$port" --probes=softirq,runqlat "$@" \
    >"$tmp/log" 2>&1 &
  pid=$!
  wait_http "http://127.0.0.1:$port/healthz" 30 || { cat "$tmp/log" >&2; fail "daemon did not come up"; }
}

port=$(free_port)
start "$port"
[[ $(caps "$pid" CapEff) != "0000000000000000 " ]] || fail "without the flag the daemon has no capabilities: the test cannot tell"
kill "$pid"
wait "$pid"
pid=

port=$(free_port)
start "$port" --drop-capabilities
# /healthz answers once a probe is up, which can be before every one of the HTTP front's
# threads has been asked to drop: wait for the daemon to say it is done.
for _ in $(seq 100); do
  grep -q 'dropped all capabilities' "$tmp/log" && break
  sleep 0.1
done
threads=$(ls /proc/"$pid"/task | wc -l)
((threads > 1)) || fail "expected the HTTP server's threads too, found $threads thread(s)"
for field in CapEff CapPrm CapInh CapAmb CapBnd; do
  [[ $(caps "$pid" $field) == "0000000000000000 " ]] || fail "$field after the drop: $(caps "$pid" $field)"
done
grep -q 'dropped all capabilities' "$tmp/log" || fail "no log line about the drop"
progs=$(owned_bpf_ids prog "$pid")
[[ -n $progs ]] || fail "the daemon holds no BPF programs"
before=$(runs "$port")
sleep 3  # timers and the scrapes themselves raise softirqs
after=$(runs "$port")
((after > before)) || fail "softirq runs did not advance after the drop ($before -> $after)"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[[ $rc -eq 0 ]] || fail "exit $rc on SIGTERM after the drop"
# shellcheck disable=SC2086
progs_gone $progs || fail "programs remain after exit: $progs"
echo "PASS ($threads threads without capabilities)"

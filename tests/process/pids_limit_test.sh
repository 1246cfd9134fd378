#!/usr/bin/env bash
# Under a pids limit below the 2048 HTTP workers (podman's default, a pod's podPidsLimit) serve
# fits its workers to the limit, says so once, and serves; under a limit too small to serve it
# prints one line and exits 1 before listening or loading a probe.
source "$(dirname "$0")/lib.sh"
require_root
tunescope=$1

# A pids cgroup of our own: cgroup v1's pids hierarchy, or v2 with the controller delegated.
if [[ -f /sys/fs/cgroup/pids/pids.max || -d /sys/fs/cgroup/pids ]] && ! [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
  parent=/sys/fs/cgroup/pids
elif grep -qw pids /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
  parent=/sys/fs/cgroup
  grep -qw pids "$parent/cgroup.subtree_control" || echo +pids >"$parent/cgroup.subtree_control"
else
  fail "no pids cgroup controller to limit the daemon with"
fi
cg="$parent/tunescope-pids-test-$$"
log=$(mktemp)
pid=
cleanup() {
  [[ -n $pid ]] && { kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rmdir "$cg" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT
mkdir "$cg"

# serve_limited LIMIT PORT: the daemon in $cg with pids.max LIMIT, in the background.
serve_limited() {
  echo "$1" >"$cg/pids.max"
  bash -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' _ "$cg" \
    "$tunescope" serve --web.listen-address="127.0.0.1:$2" --probes=softirq 2>"$log" &
  pid=$!
}

port=$(free_port)
serve_limited 1000 "$port"
wait_http "http://127.0.0.1:$port/metrics" 30 || { cat "$log" >&2; fail "no /metrics under pids.max 1000"; }
grep -q 'tunescope_probe_up{probe="softirq"} 1' <(curl -fsS "http://127.0.0.1:$port/metrics") ||
  fail "softirq is not up under pids.max 1000"
workers=$(grep -o 'leaves [0-9]* tasks: serving HTTP with [0-9]* threads' "$log" | awk '{print $7}')
[[ -n $workers ]] || { cat "$log" >&2; fail "no line saying the workers were fitted to the limit"; }
((workers < 1000)) || fail "$workers HTTP threads fitted to pids.max 1000"
# The kernel refuses tasks beyond pids.max, so count against the fitted workers: they and the
# daemon's few own threads are all there is.
threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
((threads <= workers + 32)) || fail "$threads threads, $workers of them HTTP workers"
kill -TERM "$pid"
wait "$pid" || fail "serve did not exit 0 on SIGTERM under pids.max 1000: $(cat "$log")"
pid=

port=$(free_port)
serve_limited 40 "$port"
rc=0
wait "$pid" || rc=$?
pid=
((rc == 1)) || fail "exit $rc under pids.max 40, want 1: $(cat "$log")"
[[ $(wc -l <"$log") -eq 1 ]] || fail "want one line under pids.max 40, got: $(cat "$log")"
grep -q 'pids limit .* leaves .* serving needs at least' "$log" || fail "unclear line: $(cat "$log")"
curl -s -o /dev/null "http://127.0.0.1:$port/" && fail "an endpoint answers after the refusal"
echo "PASS"

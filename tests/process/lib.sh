# Helpers for process tests: start the real daemon, wait for it, find what it loaded.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

require_root() {
  if [[ $(id -u) -ne 0 ]]; then
    [[ ${CI:-} == true ]] && fail "needs root, and CI=true forbids skipping"
    echo "SKIP: needs root (loads BPF programs)"
    exit 77
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL [SECONDS]: until URL answers 200.
wait_http() {
  local url=$1 deadline=$((SECONDS + ${2:-20}))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# scratch_dir_and_daemon: $tmp becomes a fresh directory and $pid (empty until the test starts
# one) the daemon; on exit the daemon is stopped and waited for, the test's own
# cleanup_extra runs if it defines one, and $tmp goes.
scratch_dir_and_daemon() {
  tmp=$(mktemp -d)
  pid=
  trap stop_daemon_and_clean EXIT
}
stop_daemon_and_clean() {
  if [[ -n ${pid:-} ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
  rm -rf "$tmp"
}

# IDs of BPF programs ("prog") or links ("link") that process PID holds open, from the
# fdinfo of its file descriptors (works with any bpftool build, pid iterators or not).
owned_bpf_ids() {
  local kind=$1 pid=$2
  grep -h "^${kind}_id:" /proc/"$pid"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un
}

# Whether any of the given program IDs still exists.
any_prog_alive() {
  local ids
  ids=$(bpftool prog show -j | jq -r '.[].id')
  for id in "$@"; do
    grep -qx "$id" <<<"$ids" && return 0
  done
  return 1
}

# Waits up to 5 s for the given program IDs to be freed (the kernel frees them after an RCU
# grace period, not at close); true when none is left.
progs_gone() {
  for _ in $(seq 50); do
    any_prog_alive "$@" || return 0
    sleep 0.1
  done
  return 1
}

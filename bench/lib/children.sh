# Sourced by benches that start their own servers and daemons.
# shellcheck shell=bash

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Sets $tmp to a fresh directory and $pids to an empty list; on exit (an error, Ctrl-C) every
# pid appended to $pids is killed and reaped, and $tmp removed: a bench never leaves a daemon
# with its BPF programs behind.
children_on_exit() {
  tmp=$(mktemp -d)
  pids=()
  trap children_stop EXIT
}
children_stop() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}

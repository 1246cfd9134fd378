# Sourced by run.sh: the servers it measures, each started on $server_cpu listening on
# 127.0.0.1:$port, its output under $work (which run.sh removes on any exit). Uses run.sh's
# $server (nginx|refserver), $refserver, $work, $port, $server_cpu and stop_pid; sets
# $server_pid (the process run.sh stops) and $target_pid (the process that serves).
# shellcheck shell=bash

# nginx: its configuration is bench/lib/nginx.sh's, under $work/nginx (removed with $work on
# any exit).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/nginx.sh"

start_server() {  # start_server USDT_SAMPLE (refserver only)
  stop_pid "$server_pid"
  if [[ "$server" == nginx ]]; then
    write_nginx_conf "$work/nginx" "$port" "$server_cpu"
    taskset -c "$server_cpu" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" \
      -e "$work/nginx/logs/error.log" >"$work/nginx.log" 2>&1 &
  else
    taskset -c "$server_cpu" "$refserver" --listen "127.0.0.1:$port" --workers 1 \
      --usdt-sample "$1" >"$work/refserver.log" 2>&1 &
  fi
  server_pid=$!
  local i
  for i in $(seq 1 100); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/json")" == 200 ]]; then
      # --target-pid names the process that serves: nginx's worker, not its master.
      target_pid="$server_pid"
      [[ "$server" == nginx ]] && target_pid="$(pgrep -P "$server_pid" | head -1)"
      return 0
    fi
    sleep 0.05
  done
  echo "run.sh: $server did not answer:" >&2
  cat "$work/$server.log" "$work/nginx/logs/error.log" 2>/dev/null >&2
  exit 1
}

# Sourced by run.sh: the servers it measures, each started on $server_cpu listening on
# 127.0.0.1:$port, its output under $work (which run.sh removes on any exit). Uses run.sh's
# $server (nginx|refserver), $refserver, $work, $port, $server_cpu and stop_pid; sets
# $server_pid (the process run.sh stops) and $target_pid (the process that serves).
# shellcheck shell=bash

# nginx: everything under $work/nginx (removed with $work on any exit), one worker pinned to
# the server CPU, no access log, keep-alive connections never closed by the server, one
# `return 200` per request (the body refserver's /json sends), 127.0.0.1 only. `daemon off`
# keeps the master our child, so stop_pid stops it and it stops its worker.
write_nginx_conf() {
  mkdir -p "$work/nginx/logs"
  cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
worker_cpu_affinity $(printf '%x' $((1 << server_cpu)));
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $work/nginx/client_body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    location / {
      default_type application/json;
      return 200 '{"message":"Hello, World!"}';
    }
  }
}
CONF
}

start_server() {  # start_server USDT_SAMPLE (refserver only)
  stop_pid "$server_pid"
  if [[ "$server" == nginx ]]; then
    write_nginx_conf
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

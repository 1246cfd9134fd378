# Sourced by the benches that measure Debian's nginx beside refserver.
# shellcheck shell=bash

# write_nginx_conf DIR PORT CPU: DIR/nginx.conf for one worker pinned to CPU, everything
# (pid, logs, temp paths) under DIR, no access log, keep-alive connections never closed by the
# server, one `return 200` per request with the body refserver's /json sends, 127.0.0.1 only.
# `daemon off` keeps the master the caller's child, so stopping it stops its worker.
write_nginx_conf() {
  local dir="$1" port="$2" cpu="$3"
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
worker_cpu_affinity $(printf '%x' $((1 << cpu)));
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
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

#!/usr/bin/env bash
# Starts nginx (with the echo module for delays) on a free port of 127.0.0.1 for the fetch
# benchmarks, serving from DIR. Prints the port; stop it with: kill "$(cat DIR/nginx.pid)".
#   /d/NAME   a 16 KiB file after a 50 ms delay (a remote host)
#   /m/NAME   a 1 MiB file
#   /g/NAME   a 1 GiB file
#   /s/NAME   a 1 KiB file
#   /p/PATH   DIR/www/PATH after a 200 ms delay (a remote photo host; the caller fills DIR/www)
#   /PATH     DIR/www/PATH at once
# usage: scripts/bench/fetch_server.sh DIR
set -euo pipefail
dir=$(realpath "$1")
mkdir -p "$dir/www"
[ -f "$dir/www/16k.bin" ] || head -c 16384 /dev/urandom > "$dir/www/16k.bin"
[ -f "$dir/www/1k.bin" ] || head -c 1024 /dev/urandom > "$dir/www/1k.bin"
[ -f "$dir/www/1m.bin" ] || head -c 1048576 /dev/urandom > "$dir/www/1m.bin"
[ -f "$dir/www/1g.bin" ] || head -c 1073741824 /dev/urandom > "$dir/www/1g.bin"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$dir/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes 1;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 60;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$port reuseport backlog=8192;
    root $dir/www;
    location /d/ { echo_sleep 0.05; echo_exec /f/16k.bin; }
    location /f/ { internal; alias $dir/www/; }
    location /m/ { try_files /1m.bin =404; }
    location /g/ { try_files /1g.bin =404; }
    location /s/ { try_files /1k.bin =404; }
    location ~ ^/p/(.+)$ { echo_sleep 0.2; echo_exec /f/\$1; }
  }
}
CONF
mkdir -p "$dir/tmp"
nginx -c "$dir/nginx.conf" -p "$dir" 2>>"$dir/error.log"
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/s/ping" && break
  sleep 0.05
done
echo "$port"

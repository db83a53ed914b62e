#!/usr/bin/env bash
# Starts nginx over TLS for the fetch benchmarks: HOSTS host names hNNN.bench.test, each on a
# loopback address of its own (127.1.0.1, 127.1.0.2 ... 250 per third octet), with a certificate
# for *.bench.test from a private CA made here. Two ports on every address: one offering HTTP/2 and
# HTTP/1.1 (ALPN), one HTTP/1.1 only. Prints "H2PORT H1PORT"; stop it with: kill "$(cat DIR/nginx.pid)".
#   DIR/ca.pem       the private CA
#   DIR/bundle.pem   the system's CA bundle followed by the private CA (what W7 verifies against)
#   DIR/hosts        an /etc/hosts naming every host (for clients without --resolve)
#   DIR/addresses    "NAME ADDRESS" per host
#   DIR/access.log   "CONNECTION REQUESTS SESSION_REUSED PROTOCOL HOST" per request ($connection,
#                    $connection_requests, $ssl_session_reused, $server_protocol, $host)
#   /d/NAME          a 16 KiB file after a 50 ms delay (a remote host)
# usage: scripts/bench/fetch_tls_server.sh DIR HOSTS
set -euo pipefail
dir=$(realpath "$1")
hosts=$2
mkdir -p "$dir/www" "$dir/tmp"
[ -f "$dir/www/16k.bin" ] || head -c 16384 /dev/urandom > "$dir/www/16k.bin"
if [ ! -f "$dir/leaf.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/ca.key" \
    -out "$dir/ca.pem" -days 30 -subj "/CN=conc bench CA" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/leaf.key" \
    -out "$dir/leaf.csr" -subj "/CN=bench.test" 2>/dev/null
  printf 'subjectAltName=DNS:*.bench.test\n' > "$dir/leaf.ext"
  openssl x509 -req -in "$dir/leaf.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
    -extfile "$dir/leaf.ext" -out "$dir/leaf.pem" 2>/dev/null
fi
cat /etc/ssl/certs/ca-certificates.crt "$dir/ca.pem" > "$dir/bundle.pem"
: > "$dir/addresses"
printf '127.0.0.1 localhost\n' > "$dir/hosts"
for i in $(seq 0 $((hosts - 1))); do
  name=$(printf 'h%03d.bench.test' "$i")
  address=127.1.$((i / 250)).$((i % 250 + 1))
  echo "$name $address" >> "$dir/addresses"
  echo "$address $name" >> "$dir/hosts"
done
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
h2=$(free_port)
h1=$(free_port)
while [ "$h1" = "$h2" ]; do h1=$(free_port); done
# Every address listens twice; the worker may hold as many connections as its open-file limit allows.
files=$(ulimit -Hn)
[ "$files" = unlimited ] || [ "$files" -gt 65536 ] && files=65536
listen=$(awk -v h2="$h2" -v h1="$h1" '{printf "    listen %s:%s ssl http2;\n    listen %s:%s ssl;\n", $2, h2, $2, h1}' "$dir/addresses")
cat > "$dir/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes 1;
worker_rlimit_nofile $files;
daemon on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $((files - 2 * hosts - 64)); }
http {
  log_format conn '\$connection \$connection_requests \$ssl_session_reused \$server_protocol \$host';
  access_log $dir/access.log conn;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 60;
  ssl_certificate $dir/leaf.pem;
  ssl_certificate_key $dir/leaf.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:bench:10m;
  ssl_session_timeout 1h;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server {
$listen
    root $dir/www;
    location /d/ { echo_sleep 0.05; echo_exec /f/16k.bin; }
    location /f/ { internal; alias $dir/www/; }
  }
}
CONF
nginx -c "$dir/nginx.conf" -p "$dir" 2>>"$dir/error.log"
first=$(head -1 "$dir/addresses")
for port in "$h2" "$h1"; do
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null --cacert "$dir/ca.pem" --resolve "${first% *}:$port:${first#* }" \
      "https://${first% *}:$port/d/ping" && break
    sleep 0.05
  done
done
: > "$dir/access.log"
echo "$h2 $h1"

#!/usr/bin/env bash
# Downloads data/urls/sample.txt from the project's test server on 127.0.0.1 into out/downloads/:
# files arrive whole and verified, a flaky server is retried, a cut transfer is resumed with
# Range, and a 404 and a redirect to file:// are reported. The server is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target conc-fetch
log=$(mktemp)
/usr/bin/python3 tests/fetch/test_server.py --port 0 > "$log" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
port=$(awk '/listening on/ {print $3}' "$log")
mkdir -p out
sed "s|{server}|http://127.0.0.1:$port|" data/urls/sample.txt > out/sample-urls.txt
build/release/apps/fetch/conc-fetch -v --force -o out/downloads out/sample-urls.txt || true
echo "downloads: out/downloads/   manifest: out/downloads/.conc-fetch.jsonl"

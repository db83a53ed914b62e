#!/usr/bin/env bash
# Installs the .deb files scripts/package.sh made, uses them as a user would (the programs, their
# manual pages, a program built against libconc with CMake and with pkg-config), then removes them
# and checks that nothing they installed is left. Run as root on a machine where conc is not installed.
# Usage: scripts/check-package.sh [PACKAGE_DIR]   (default build/package)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(realpath "${1:-build/package}")
work=$(mktemp -d)
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then dpkg --purge conc libconc-dev >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "check-package: $*" >&2; exit 1; }

for p in conc libconc-dev; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    fail "$p is already installed; remove it first (dpkg -r $p)"
  fi
done

echo "=== check-package: install"
apt-get install -y -qq "$dir"/conc_*.deb "$dir"/libconc-dev_*.deb >/dev/null
installed=1
dpkg -L conc libconc-dev | sort -u >"$work/files"

echo "=== check-package: the programs"
for app in conc-thumbs conc-fetch; do
  [ "$(command -v $app)" = "/usr/bin/$app" ] || fail "$app is not on PATH from /usr/bin"
  $app --version | head -1
done
conc-fetch --version | grep -q 'conc-fetch-thumbnailer): JPEG' ||
  fail "the installed conc-fetch does not find its thumbnail worker: $(conc-fetch --version | tail -3)"
mkdir -p "$work/photos"
cp data/photos/Aqua.jpg "$work/photos/"
conc-thumbs --no-progress -s 64 "$work/photos" >/dev/null
[ -s "$work/photos/thumbs/Aqua.jpg" ] || fail "the installed conc-thumbs made no thumbnail"

for page in conc-fetch conc-thumbs; do
  [ "$(man -w $page)" = "/usr/share/man/man1/$page.1.gz" ] || [ "$(man -w $page)" = "/usr/share/man/man1/$page.1" ] ||
    fail "man -w $page finds $(man -w $page 2>&1)"
done
[ -n "$(man -w 3 libconc 2>/dev/null)" ] || fail "man -w 3 libconc finds nothing"
MANPAGER=cat man conc-fetch 2>/dev/null | grep -q -- '--stall-timeout' || fail "man conc-fetch does not show its options"
echo "  man conc-fetch, conc-thumbs, libconc(3): ok"
for kind in conc-fetch-manifest conc-fetch-part conc-fetch-sample conc-fetch-stats conc-thumbs-report \
  conc-thumbs-state conc-thumbs-gallery; do
  /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "/usr/share/doc/conc/schemas/$kind.schema.json" ||
    fail "the schema $kind was not installed in /usr/share/doc/conc/schemas"
done
echo "  JSON Schemas in /usr/share/doc/conc/schemas: ok"
for f in /usr/share/bash-completion/completions/conc-fetch /usr/share/zsh/site-functions/_conc-thumbs \
  /usr/share/fish/vendor_completions.d/conc-thumbs.fish; do
  [ -s "$f" ] || fail "$f was not installed"
done
# Tab as a person presses it, in a login shell that loads bash-completion's installed scripts.
offered=$(bash --norc --noprofile -c 'source /usr/share/bash-completion/bash_completion
  _completion_loader conc-fetch; COMP_WORDS=(conc-fetch --ret); COMP_CWORD=1; _conc_fetch; echo "${COMPREPLY[*]}"')
[ "$offered" = "--retries --retry-max-wait" ] || fail "bash offered '$offered' for conc-fetch --ret"

# conc-fetch --thumbnail from the installed tree: its worker program found in /usr/libexec/conc.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory data/photos "$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
echo "http://127.0.0.1:$port/Aqua.jpg" >"$work/urls.txt"
thumbnailed=0
conc-fetch --no-progress --thumbnail 64 -o "$work/fetched" "$work/urls.txt" >/dev/null 2>&1 && thumbnailed=1
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
[ "$thumbnailed" = 1 ] && [ -s "$work/fetched/Aqua.jpg" ] || fail "the installed conc-fetch --thumbnail made no thumbnail"
echo "  conc-fetch --thumbnail (worker from /usr/libexec/conc): ok"

echo "=== check-package: a program built against libconc"
cp tests/install/consumer/main.cpp tests/install/consumer/CMakeLists.txt "$work/"
expected=$'thread pool: 4950\nprocess pool: 16 81'
check_consumer() {  # name, binary
  local out
  out=$("$2") || fail "the consumer built with $1 failed"
  [ "$out" = "$expected" ] || fail "the consumer built with $1 printed: $out"
  echo "  $1: ok"
}
cmake -S "$work" -B "$work/cmake-shared" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/cmake-shared" >/dev/null
ldd "$work/cmake-shared/consumer" | grep -q 'libconc\.so\.0 => /.*lib/' || fail "find_package(conc) did not link libconc.so"
check_consumer "find_package (libconc.so)" "$work/cmake-shared/consumer"
cmake -S "$work" -B "$work/cmake-static" -G Ninja -DCMAKE_BUILD_TYPE=Release -Dconc_USE_STATIC_LIBS=ON >/dev/null
cmake --build "$work/cmake-static" >/dev/null
if ldd "$work/cmake-static/consumer" | grep -q libconc; then fail "conc_USE_STATIC_LIBS linked libconc.so"; fi
check_consumer "find_package (libconc.a)" "$work/cmake-static/consumer"
# shellcheck disable=SC2046
g++ -std=c++20 -O2 -o "$work/pc-shared" "$work/main.cpp" $(pkg-config --cflags --libs conc)
check_consumer "pkg-config --libs conc" "$work/pc-shared"
# shellcheck disable=SC2046
g++ -std=c++20 -O2 -static-libstdc++ -o "$work/pc-static" "$work/main.cpp" -Wl,-Bstatic -lconc -Wl,-Bdynamic \
  $(pkg-config --cflags conc) $(pkg-config --libs-only-other --static conc) -ltbbmalloc
check_consumer "pkg-config --static (libconc.a)" "$work/pc-static"

echo "=== check-package: remove"
dpkg -r conc libconc-dev >/dev/null
dpkg --purge conc libconc-dev >/dev/null 2>&1 || true  # nor a line in dpkg's status
installed=0
left=()
while read -r f; do
  [ -z "$f" ] && continue
  if [ -e "$f" ] || [ -L "$f" ]; then
    [ -d "$f" ] && [ ! -L "$f" ] && continue  # folders other packages share (/usr/share/doc, ...)
    left+=("$f")
  fi
done <"$work/files"
for d in /usr/include/conc /usr/lib/x86_64-linux-gnu/cmake/conc /usr/share/doc/conc /usr/share/doc/libconc-dev; do
  [ -e "$d" ] && left+=("$d")
done
[ ${#left[@]} -eq 0 ] || fail "left behind after dpkg -r: ${left[*]}"
echo "=== check-package: installed, used and removed; nothing left"

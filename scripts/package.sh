#!/usr/bin/env bash
# Builds the Debian packages into build/package/:
#   conc_VERSION_ARCH.deb         conc-thumbs and conc-fetch, their man pages and shell completions
#   libconc-dev_VERSION_ARCH.deb  headers, libconc.a and libconc.so, CMake and pkg-config files
# Usage: scripts/package.sh [BUILD_DIR]
#   BUILD_DIR: a Release build of the whole tree to package (default: build/package/static, made here);
#   the shared library is built beside it in build/package/shared.
# Then: apt-get install ./build/package/conc_*.deb ./build/package/libconc-dev_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

out=build/package
static=${1:-$out/static}
shared=$out/shared
jobs=$(nproc)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

echo "=== package: the programs and libconc.a ($static)"
cmake -S . -B "$static" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr "${launcher[@]}" >/dev/null
cmake --build "$static" -j "$jobs"
echo "=== package: libconc.so ($shared)"
cmake -S . -B "$shared" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_SHARED_LIBS=ON \
  -DCONC_BUILD_APPS=OFF -DCONC_BUILD_TESTS=OFF -DCONC_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build "$shared" -j "$jobs" --target conc

echo "=== package: .deb files"
rm -f "$out"/*.deb
# One CPack run over both trees: the apps from the static build, the dev files from both.
cpack --config "$static/CPackConfig.cmake" -B "$out/cpack" \
  -D "CPACK_INSTALL_CMAKE_PROJECTS=$(realpath "$static");conc;ALL;/;$(realpath "$shared");conc-shared;ALL;/"
mv "$out"/cpack/*.deb "$out"/
for deb in "$out"/*.deb; do
  echo "$deb"
  dpkg-deb --field "$deb" Package Version Depends | sed 's/^/  /'
done

#!/usr/bin/env bash
# Compiles every libconc source, and every public header on its own, for aarch64 with Debian's
# cross compiler (syntax and semantics only): no x86-only builtins, no header that leans on
# another's includes.
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=aarch64-linux-gnu-g++
flags=(-std=c++20 -fsyntax-only -Wall -Wextra -Werror -Ilibconc/include -Ilibconc/src -idirafter /usr/include)
count=0
for source in libconc/src/*.cpp; do
  "$cxx" "${flags[@]}" "$source"
  count=$((count + 1))
done
for header in libconc/include/conc/*.hpp; do
  echo "#include \"${header#libconc/include/}\"" | "$cxx" "${flags[@]}" -x c++ -
  count=$((count + 1))
done
echo "portability: $count libconc sources and headers compile for aarch64"

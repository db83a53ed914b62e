#!/usr/bin/env bash
# A manual page is lint-clean for mandoc, renders with man, and describes exactly the options the
# program's --help lists (so that neither drifts from the other).
# Usage: man_test.sh PAGE [PROGRAM]
set -euo pipefail
page=$1
program=${2:-}
failed=0

lint=$(mandoc -T lint -W warning "$page" 2>&1 || true)
if [ -n "$lint" ]; then
  echo "FAIL: mandoc -T lint -W warning $page:"
  echo "$lint"
  failed=1
else
  echo "ok: mandoc -T lint: no warning"
fi
if MANPAGER=cat man -l "$page" 2>/dev/null | grep -q '^NAME'; then
  echo "ok: man -l renders it"
else
  echo "FAIL: man -l $page did not render"
  failed=1
fi

if [ -n "$program" ]; then
  # Long options as --help lists them (at the start of an entry), and as the page marks them (.Fl -name).
  in_help=$(COLUMNS=200 "$program" --help | grep -oE '^ +(-[a-zA-Z0-9],)?--[a-z0-9][a-z0-9.-]*' |
    grep -oE -- '--[a-z0-9][a-z0-9.-]*' | sort -u)
  in_page=$(grep -oE '(^\.It|^\.Op|^\.Fl| Fl) +Fl +-[a-z0-9][a-z0-9.-]*|^\.It Fl -[a-z0-9][a-z0-9.-]*|Fl -[a-z0-9][a-z0-9.-]*' "$page" |
    grep -oE -- '-[a-z0-9][a-z0-9.-]*$' | sed 's/^/-/' | sort -u)
  missing=$(comm -23 <(echo "$in_help") <(echo "$in_page"))
  extra=$(comm -13 <(echo "$in_help") <(echo "$in_page"))
  if [ -n "$missing" ]; then
    echo "FAIL: options in --help but not in $page: $(echo $missing)"
    failed=1
  fi
  if [ -n "$extra" ]; then
    echo "FAIL: options in $page that --help does not list: $(echo $extra)"
    failed=1
  fi
  [ -z "$missing$extra" ] && echo "ok: the page describes the $(echo "$in_help" | wc -l) options --help lists"
fi
exit $failed

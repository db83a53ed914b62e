#!/usr/bin/env bash
# Asks bash and fish to complete options of the programs, from the completion scripts the build
# generated, as a person pressing Tab would; zsh's scripts are checked for syntax.
# Usage: completion_test.sh FETCH_COMPLETIONS_DIR [THUMBS_COMPLETIONS_DIR]
set -euo pipefail
fetch_dir=$1
thumbs_dir=${2:-}
failed=0

# The words bash offers for the command line given as arguments, the last one being completed.
bash_complete() {
  local dir=$1 program=$2
  shift 2
  bash --norc --noprofile -c '
    file=$1; fn=$2; shift 2
    source "$file"
    COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    "$fn" 2>/dev/null
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$dir/$program" "_${program//-/_}" "$program" "$@"
}

fish_complete() {
  local dir=$1 line=$2
  fish --no-config -c "source $dir/${line%% *}.fish; complete -C '$line'" | cut -f1 | sort
}

expect() {  # what, got, wanted
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1: got [$(echo "$2" | tr '\n' ' ')], wanted [$(echo "$3" | tr '\n' ' ')]"
    failed=1
  else
    echo "ok: $1"
  fi
}

expect "bash: conc-fetch --ret" "$(bash_complete "$fetch_dir" conc-fetch --ret)" $'--retries\n--retry-max-wait'
expect "bash: conc-fetch --layout <Tab>" "$(bash_complete "$fetch_dir" conc-fetch --layout '')" $'flat\nhost'
expect "fish: conc-fetch --ret" "$(fish_complete "$fetch_dir" 'conc-fetch --ret')" $'--retries\n--retry-max-wait'
zsh -n "$fetch_dir/_conc-fetch" && echo "ok: zsh: _conc-fetch parses" || failed=1
if [ -n "$thumbs_dir" ]; then
  expect "bash: conc-thumbs --fit c" "$(bash_complete "$thumbs_dir" conc-thumbs --fit c)" $'contain\ncover'
  expect "bash: conc-thumbs --eng" "$(bash_complete "$thumbs_dir" conc-thumbs --eng)" '--engine'
  expect "fish: conc-thumbs --fit c" "$(fish_complete "$thumbs_dir" 'conc-thumbs --fit c')" $'contain\ncover'
  zsh -n "$thumbs_dir/_conc-thumbs" && echo "ok: zsh: _conc-thumbs parses" || failed=1
fi
exit $failed

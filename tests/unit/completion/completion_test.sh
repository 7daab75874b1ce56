#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit test of userspace/completion/rootcachectl without the bash-completion
# package: _init_completion is stubbed to set the usual variables.
set -u
src=${1:?usage: completion_test.sh COMPLETION_FILE}
complete() { :; }  # the file registers itself; not needed here
_filedir() { COMPREPLY=(DIR); }
_init_completion() {
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${words[cword]}
    prev=${words[cword - 1]:-}
}
# shellcheck source=/dev/null
source "$src"

pass=0 fail=0
# check "WORDS..." EXPECTED: complete the last word of WORDS.
check() {
    local line=$1 want=$2
    read -r -a COMP_WORDS <<<"$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _rootcachectl
    local got="${COMPREPLY[*]}"
    if [[ $got == "$want" ]]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: '$line' -> '$got', expected '$want'"
    fi
}
check "rootcachectl st" "status"
check "rootcachectl d" "disable drain"
check "rootcachectl " "status enable disable verify metrics scope target drain release-agent"
check "rootcachectl target " "show set clear"
check "rootcachectl target s" "show set"
check "rootcachectl --j" "--json"
check "rootcachectl --json sc" "scope"
check "rootcachectl scope " "list add del clear prune"
check "rootcachectl scope a" "add"
check "rootcachectl enable --p" "--persist"
check "rootcachectl verify --s" "--size --settle"
check "rootcachectl verify --e" "--expect-disabled"
check "rootcachectl verify --p" "--parent"
check "rootcachectl verify --dir " "DIR"
check "rootcachectl metrics --t" "--textfile"
check "rootcachectl drain --f" "--force"
check "rootcachectl release-agent --f" ""
check "rootcachectl --cgroup-root /x st" "status"
# Testing options are not offered; --json is, after every command.
check "rootcachectl --s" ""
check "rootcachectl --" "--json --help --version"
check "rootcachectl status --j" "--json"
check "rootcachectl scope --j" "--json"
check "rootcachectl scope list --j" "--json"
check "rootcachectl release-agent --j" "--json"
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]

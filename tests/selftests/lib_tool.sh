# SPDX-License-Identifier: GPL-2.0
# Shared by the tool_*.sh guest tests (sourced, never run on its own: run_all
# only runs test_* and tool_*). Callers set T to a private temp directory
# before using expect/has.

KO=${ROOTCACHE_KO:-/opt/rootcache/rootcache.ko}
CTL=${ROOTCACHECTL:-rootcachectl}
SYS=/sys/kernel/rootcache
ROOT=${ROOTCACHE_CGROUP_ROOT:-/sys/fs/cgroup}
DIR=${RC_SCRATCH:-/scratch}
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
diag() { sed 's/^/# /' "$@"; }
# expect NAME RC CMD...: run CMD, pass if it exits with RC; output in $T/out.
expect() {
	name=$1 want=$2
	shift 2
	"$@" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else
		not_ok "$name"
		echo "# '$*' exited $rc, expected $want"
		diag "$T/out"
	fi
}
# has NAME PATTERN: pass if $T/out contains PATTERN (grep -E).
has() {
	if grep -Eq -- "$2" "$T/out"; then ok "$1"; else
		not_ok "$1"
		echo "# no match for: $2"
		diag "$T/out"
	fi
}
# file_bytes CGROUP: its file charge (v2 file, v1 cache).
file_bytes() {
	if [ -e "$1/memory.current" ]; then awk '$1 == "file" {print $2}' "$1/memory.stat"
	else awk '$1 == "cache" {print $2}' "$1/memory.stat"; fi
}

# The module state at start (none, 0 or 1); restore_module puts it back.
initial=none
if [ -d $SYS ]; then initial=$(cat $SYS/enabled); fi
restore_module() {
	rmmod rootcache 2>/dev/null
	[ "$initial" = none ] || insmod "$KO" enabled="$initial"
}

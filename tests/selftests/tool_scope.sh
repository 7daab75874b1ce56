#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest test of `rootcachectl scope add|del|list|clear|prune` against the
# real module: paths become cgroup IDs (directory inodes), stale IDs are
# marked and pruned, kernel errors become exit 1 with a message, a path
# that names no cgroup of the memory hierarchy exit 2, and a
# scoped cgroup's cache goes to root while its sibling's stays.
# TAP on stdout; busybox sh.

. "$(dirname "$0")/lib_tool.sh"
T=$(mktemp -d /tmp/tool_scope.XXXXXX)
A=tool_scope_a.$$
B=tool_scope_b.$$

ino() { ls -di "$1" | awk '{print $1}'; }
# job CGROUP FILE MiB: write and read back a new file from inside CGROUP.
job() {
	sh -c "echo \$\$ > $1/cgroup.procs; dd if=/dev/zero of=$2 bs=1M count=$3 2>/dev/null; sync; echo 1 > /proc/sys/vm/drop_caches; cat $2 > /dev/null"
}

restore() {
	rmdir "$ROOT/$A/child" "$ROOT/$A" "$ROOT/$B" 2>/dev/null
	rm -f "$DIR"/tool_scope.*
	restore_module
	rm -rf "$T"
}
trap restore EXIT
rmmod rootcache 2>/dev/null

expect "scope_unloaded_exit3" 3 $CTL scope list
insmod "$KO" enabled=1 || echo "# insmod $KO failed"
if [ ! -e $SYS/scope ]; then
	ok "scope # SKIP module has no scope file"
	echo "1..$n"
	exit 0
fi
$CTL scope clear >/dev/null
mkdir -p "$ROOT/$A/child" "$ROOT/$B"
[ -e "$ROOT/cgroup.subtree_control" ] && echo +memory >"$ROOT/$A/cgroup.subtree_control"

expect "list_empty" 0 $CTL scope list
has "list_empty_says_all" "every cgroup"
expect "add_relative" 0 $CTL scope add "$A"
if grep -qx "$(ino "$ROOT/$A")" $SYS/scope; then ok "add_writes_inode"; else
	not_ok "add_writes_inode"
	diag $SYS/scope
fi
expect "add_again_idempotent" 0 $CTL scope add "/$A"
expect "add_absolute" 0 $CTL scope add "$ROOT/$B"
expect "list_two" 0 $CTL scope list
has "list_shows_a" "^[0-9]+ +/$A$"
has "list_shows_b" "^[0-9]+ +/$B$"
expect "list_json" 0 $CTL scope list --json
has "list_json_exists" '"exists": true'
expect "add_missing_path" 2 $CTL scope add "/no_such_cgroup_$$"
has "add_missing_message" "no such cgroup"
expect "add_outside_hierarchy_usage" 2 $CTL scope add "$T"
has "add_outside_hierarchy_message" "outside the memory hierarchy"
expect "del_not_in_scope" 1 $CTL scope del "$A/child"
has "del_not_in_scope_message" "not in the scope"
expect "add_dotdot_usage" 2 $CTL scope add "$A/../$B"

# Charging: A (and its child) redirected, B not once B is out of scope.
expect "del_b" 0 $CTL scope del "$B"
# stats/redirected_bytes around each job: A's writes 16 MiB and reads it
# back after drop_caches, 32 MiB of new cache, all redirected (+-10%, room
# for the journal and bitmaps it also redirects); B's none (< 2 MiB).
r0=$(cat $SYS/stats/redirected_bytes)
job "$ROOT/$A/child" "$DIR/tool_scope.a" 16
r1=$(cat $SYS/stats/redirected_bytes)
job "$ROOT/$B" "$DIR/tool_scope.b" 16
r2=$(cat $SYS/stats/redirected_bytes)
ra=$((r1 - r0))
rb=$((r2 - r1))
echo "# redirected_bytes: $A/child job +$ra, $B job +$rb"
if [ "$ra" -ge 30198989 ] && [ "$ra" -le 36909875 ]; then ok "scoped_child_redirected_bytes"; else
	not_ok "scoped_child_redirected_bytes"
	echo "# $A/child job redirected $ra bytes, expected 32 MiB +-10% (30198989..36909875)"
fi
if [ "$rb" -lt 2097152 ]; then ok "unscoped_sibling_not_redirected"; else
	not_ok "unscoped_sibling_not_redirected"
	echo "# $B job redirected $rb bytes, expected < 2 MiB"
fi
fa=$(file_bytes "$ROOT/$A/child")
fb=$(file_bytes "$ROOT/$B")
echo "# file charge: $A/child $fa, $B $fb (bytes)"
if [ "$fa" -lt 2097152 ]; then ok "scoped_child_redirected"; else
	not_ok "scoped_child_redirected"
	echo "# $A/child file charge $fa, expected < 2 MiB"
fi
# B read all 16 MiB back after drop_caches: charged to B, +-10% like the
# C tests (15099494..18454937 bytes; 8 MiB would pass a half-redirected read).
if [ "$fb" -ge 15099494 ] && [ "$fb" -le 18454937 ]; then ok "unscoped_sibling_charged"; else
	not_ok "unscoped_sibling_charged"
	echo "# $B file charge $fb, expected 16 MiB +-10% (15099494..18454937)"
fi
rm -f "$DIR"/tool_scope.*

# Stale IDs: remove B while in scope, list marks it, prune drops it.
expect "add_b_again" 0 $CTL scope add "$B"
idb=$(ino "$ROOT/$B")
rmdir "$ROOT/$B"
expect "list_stale" 0 $CTL scope list
has "list_marks_gone" "^$idb +\(gone"
expect "list_stale_json" 0 $CTL scope list --json
has "list_stale_count" '"stale": 1'
expect "prune" 0 $CTL scope prune
has "prune_reports" "dropped $idb"
if grep -qx "$idb" $SYS/scope; then not_ok "prune_removed_id"; else ok "prune_removed_id"; fi
expect "prune_nothing" 0 $CTL scope prune
has "prune_nothing_message" "nothing to prune"
expect "del_by_id_absent" 1 $CTL scope del "$idb"

expect "clear" 0 $CTL scope clear
if [ -s $SYS/scope ]; then not_ok "clear_empties"; else ok "clear_empties"; fi
expect "usage_no_paths" 2 $CTL scope add
expect "usage_no_action" 2 $CTL scope

echo "1..$n"
[ "$failed" -eq 0 ]

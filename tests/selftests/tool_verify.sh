#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest test of `rootcachectl verify`: PASS when enabled (page cache goes to
# root); FAIL by default when disabled or out of scope, the expected normal
# charging with --expect-disabled; --parent inside a scoped subtree; the
# dying check counts under verify's own parent on v2 (other cgroups dying
# meanwhile do not count); SIGTERM and SIGINT leave no cgroup or file; a
# tmpfs --dir is refused; exit 3 without the module. TAP on stdout; busybox sh.

SIZE=${TOOL_VERIFY_MIB:-32}
. "$(dirname "$0")/lib_tool.sh"
T=$(mktemp -d /tmp/tool_verify.XXXXXX)

restore() {
	touch "$T/stop"
	[ -n "$churner" ] && wait "$churner" 2>/dev/null
	rm -f /tmp/tool_verify_churn.*
	for d in "$ROOT"/tool_verify_churn.*; do [ -d "$d" ] && rmdir "$d"; done
	restore_module
	rm -rf "$T"
}
churner=
# no_scratch NAME: pass if verify left no cgroup and no file behind.
no_scratch() {
	left=$(find "$ROOT" -maxdepth 3 -type d -name 'rootcache-verify-*' 2>/dev/null; ls "$DIR" | grep rootcache-verify)
	if [ -z "$left" ]; then ok "$1"; else
		not_ok "$1"
		echo "# left behind: $left"
	fi
}
trap restore EXIT
rmmod rootcache 2>/dev/null

expect "verify_unloaded_exit3" 3 $CTL verify --dir "$DIR" --size "$SIZE"

insmod "$KO" enabled=1 || echo "# insmod $KO failed"
# A removed cgroup is freed by RCU and workqueue work: slow under TCG.
expect "verify_enabled_pass" 0 $CTL verify --dir "$DIR" --size "$SIZE" --settle 30
diag "$T/out"
has "verify_enabled_summary" "^PASS: the job's page cache was charged to the root cgroup"
has "verify_enabled_job_charge" "^job cgroup file charge .* PASS$"
has "verify_enabled_counter" "^module redirected_bytes .* PASS$"
# No new dying memcg, on v1 and v2 (a WARN only with metadata 0).
has "verify_enabled_dying" "^dying memcgs after rmdir .* PASS$"
# v2 counts under verify's own parent; v1 can only count the whole node.
if [ "$ROOTCACHE_CGROUP" = v1 ]; then where="node-wide"; else where="own parent"; fi
has "verify_enabled_dying_where" "^dying memcgs after rmdir +no new one \($where\)"
# What a new user runs: `verify --dir /scratch` with its default size and
# settle time, five times in a row; every try must pass with no new dying
# memcg (metadata is 1 by default, so a dying one is a FAIL, not a WARN).
try=1
while [ $try -le 5 ]; do
	expect "verify_default_try$try" 0 $CTL verify --dir "$DIR"
	has "verify_default_try${try}_no_dying" "^dying memcgs after rmdir +no new one .* PASS$"
	try=$((try + 1))
done
expect "verify_enabled_json" 0 $CTL verify --dir "$DIR" --size "$SIZE" --json
has "verify_enabled_json_pass" '"pass": true'
# Before removing the job, verify has another cgroup charge on each CPU, so
# that no CPU's charge cache keeps the job's cgroup dying (the kernel's
# drain at removal skips a cache whose pages are used up).
has "verify_enabled_json_turned_over" '"charge_caches_turned_over": true'

# Other cgroups becoming dying while verify runs (tmpfs pages keep a removed
# cgroup dying): on v2 they are not verify's and must not count.
churn() {
	i=0
	while [ ! -e "$T/stop" ]; do
		c=$ROOT/tool_verify_churn.$i
		mkdir "$c" && sh -c "echo \$\$ > $c/cgroup.procs; dd if=/dev/zero of=/tmp/tool_verify_churn.$i bs=64k count=4 2>/dev/null"
		rmdir "$c"
		i=$((i + 1))
		sleep 0.3
	done
}
if [ "$ROOTCACHE_CGROUP" = v1 ]; then
	ok "verify_dying_ignores_others # SKIP v1 counts dying memcgs node-wide (documented)"
	ok "verify_dying_ignores_others_counted # SKIP v1"
	ok "verify_dying_others_were_dying # SKIP v1"
else
	churn &
	churner=$!
	expect "verify_dying_ignores_others" 0 $CTL verify --dir "$DIR" --size "$SIZE" --settle 10
	diag "$T/out"
	has "verify_dying_ignores_others_counted" "^dying memcgs after rmdir +no new one \(own parent\) +0 -> 0 +PASS$"
	touch "$T/stop"
	wait "$churner"
	churner=
	# The check above means something only if others did become dying.
	others=$(ls -d /tmp/tool_verify_churn.* 2>/dev/null | wc -l)
	if [ "$others" -ge 1 ]; then ok "verify_dying_others_were_dying"; else
		not_ok "verify_dying_others_were_dying"
		echo "# no other cgroup was removed while verify ran"
	fi
	echo "# other cgroups removed meanwhile: $others"
	rm -f "$T/stop" /tmp/tool_verify_churn.*
fi

$CTL disable >/dev/null
expect "verify_disabled_fails_by_default" 1 $CTL verify --dir "$DIR" --size "$SIZE"
diag "$T/out"
has "verify_disabled_says_why" "^FAIL: rootcache is disabled: verify cannot show"
no_scratch "verify_disabled_makes_nothing"
expect "verify_disabled_expected_pass" 0 $CTL verify --dir "$DIR" --size "$SIZE" --expect-disabled
diag "$T/out"
has "verify_disabled_says_normal" "disabled and page cache was charged normally"
has "verify_disabled_job_charge" "^job cgroup file charge .* PASS$"

# Out of scope: scope holds a sibling, not the root: normal charging expected.
$CTL enable >/dev/null
CG=${ROOTCACHE_CGROUP_ROOT:-/sys/fs/cgroup}/tool_verify_scope.$$
mkdir -p "$CG"
[ "$ROOTCACHE_CGROUP" = v1 ] || echo +memory >"$CG/cgroup.subtree_control"
if [ -e $SYS/scope ]; then
	expect "scope_add_sibling" 0 $CTL scope add "$CG"
	expect "verify_out_of_scope_fails_by_default" 1 $CTL verify --dir "$DIR" --size "$SIZE"
	has "verify_out_of_scope_says_so" "^FAIL: the scratch cgroup would be outside the scope"
	expect "verify_out_of_scope_expected_pass" 0 $CTL verify --dir "$DIR" --size "$SIZE" --expect-disabled
	diag "$T/out"
	has "verify_out_of_scope_says_normal" "outside the scope and was charged normally"
	# Inside the scoped subtree: redirected, and proven.
	expect "verify_parent_in_scope_pass" 0 $CTL verify --dir "$DIR" --size "$SIZE" --parent "$CG" --settle 30
	diag "$T/out"
	has "verify_parent_in_scope_redirected" "^PASS: the job's page cache was charged to the root cgroup"
	has "verify_parent_in_scope_job" "cgroup /tool_verify_scope.$$/rootcache-verify-[0-9]+/job "
	expect "verify_parent_expect_disabled_fails" 1 $CTL verify --dir "$DIR" --size 4 --parent "$CG" --expect-disabled
	has "verify_parent_expect_disabled_says_why" "^FAIL: --expect-disabled, but rootcache is enabled"
	$CTL scope clear >/dev/null
else
	for t in scope_add_sibling verify_out_of_scope_fails_by_default verify_out_of_scope_says_so \
		verify_out_of_scope_expected_pass verify_out_of_scope_says_normal verify_parent_in_scope_pass \
		verify_parent_in_scope_redirected verify_parent_in_scope_job verify_parent_expect_disabled_fails \
		verify_parent_expect_disabled_says_why; do
		ok "$t # SKIP module has no scope"
	done
fi
no_scratch "verify_parent_cleans_up"
rmdir "$CG"
expect "verify_parent_missing_usage" 2 $CTL verify --dir "$DIR" --parent /tool_verify_nope.$$

# Interrupted: the child is killed, the cgroups and the file are removed,
# and verify dies of the signal (128 + its number for the shell).
for sig in TERM INT; do
	$CTL verify --dir "$DIR" --size 1024 --settle 30 >"$T/out" 2>&1 &
	vpid=$!
	i=0
	while [ -z "$(find "$ROOT" -maxdepth 2 -type d -name job -path '*rootcache-verify-*')" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -$sig $vpid
	wait $vpid
	rc=$?
	want=143
	[ $sig = INT ] && want=130
	if [ $rc -eq $want ]; then ok "verify_sig${sig}_dies_of_it"; else
		not_ok "verify_sig${sig}_dies_of_it"
		echo "# exited $rc, expected $want"
		diag "$T/out"
	fi
	has "verify_sig${sig}_says_removed" "interrupted by SIG$sig: the scratch cgroups and file were removed"
	no_scratch "verify_sig${sig}_leaves_nothing"
done

# tmpfs is never redirected: refused before anything is made.
expect "verify_tmpfs_refused" 2 $CTL verify --dir /tmp --size 4
has "verify_tmpfs_says_why" "--dir /tmp is on tmpfs"
if ls /tmp | grep -q rootcache-verify; then not_ok "verify_tmpfs_makes_nothing"; else ok "verify_tmpfs_makes_nothing"; fi

# --keep leaves the cgroup and the file for inspection.
expect "verify_keep" 0 $CTL verify --dir "$DIR" --size 4 --keep --json
has "verify_keep_skips_dying_check" '"result": "SKIP"'
kept_cg=$(sed -n 's/.*"cgroup": "\([^"]*\)".*/\1/p' "$T/out" | head -1)
kept_file=$(sed -n 's/.*"file": "\([^"]*\)".*/\1/p' "$T/out" | head -1)
kept_parent=$(sed -n 's/.*"parent": "\([^"]*\)".*/\1/p' "$T/out" | head -1)
if [ -n "$kept_cg" ] && [ -d "$kept_cg" ] && [ -d "$kept_parent" ] && [ -f "$kept_file" ]; then
	ok "verify_keep_leaves_them"
else
	not_ok "verify_keep_leaves_them"
	diag "$T/out"
fi
[ -n "$kept_cg" ] && rmdir "$kept_cg" 2>/dev/null
[ -n "$kept_parent" ] && rmdir "$kept_parent" 2>/dev/null
[ -n "$kept_file" ] && rm -f "$kept_file"

# A hook that does not redirect: the test build with test_skip_redirect=1
# accepts insertions without redirecting them. verify must fail naming
# redirect_failed (the module switches itself off during the job), and then
# fail at once naming hook_state "failed".
TKO=$(dirname "$KO")/testmods/rootcache-testing.ko
if [ -r "$TKO" ]; then
	rmmod rootcache 2>/dev/null
	insmod "$TKO" enabled=1 test_skip_redirect=1 || echo "# insmod $TKO failed"
	expect "verify_broken_hook_fails" 1 $CTL verify --dir "$DIR" --size "$SIZE"
	diag "$T/out"
	has "verify_broken_hook_names_redirect_failed" "^FAIL: stats/redirect_failed grew"
	expect "verify_failed_hook_fails" 1 $CTL verify --dir "$DIR" --size "$SIZE"
	has "verify_failed_hook_names_state" '^FAIL: hook_state is "failed"'
	rmmod rootcache
	insmod "$KO" enabled=1 || echo "# insmod $KO failed"
else
	not_ok "verify_broken_hook # no test build of the module at $TKO"
fi

expect "verify_bad_dir_usage" 2 $CTL verify --dir /nonexistent
no_scratch "verify_cleans_up"

echo "1..$n"
[ "$failed" -eq 0 ]

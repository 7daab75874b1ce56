#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest test of `rootcachectl verify`: PASS when enabled (page cache goes to
# root), the expected normal charging when disabled or out of scope, and
# exit 3 without the module. TAP on stdout; busybox sh.

SIZE=${TOOL_VERIFY_MIB:-32}
. "$(dirname "$0")/lib_tool.sh"
T=$(mktemp -d /tmp/tool_verify.XXXXXX)

restore() {
	restore_module
	rm -rf "$T"
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
# v1: no new dying memcg is a hard check; v2: known writeback pin may warn.
has "verify_enabled_dying" "^dying memcgs after rmdir .* (PASS|WARN)$"
expect "verify_enabled_json" 0 $CTL verify --dir "$DIR" --size "$SIZE" --json
has "verify_enabled_json_pass" '"pass": true'

$CTL disable >/dev/null
expect "verify_disabled_pass" 0 $CTL verify --dir "$DIR" --size "$SIZE"
diag "$T/out"
has "verify_disabled_says_normal" "disabled and page cache was charged normally"
has "verify_disabled_job_charge" "^job cgroup file charge .* PASS$"

# Out of scope: scope holds a sibling, not the root: normal charging expected.
$CTL enable >/dev/null
CG=${ROOTCACHE_CGROUP_ROOT:-/sys/fs/cgroup}/tool_verify_scope.$$
mkdir -p "$CG"
if [ -e $SYS/scope ]; then
	expect "scope_add_sibling" 0 $CTL scope add "$CG"
	expect "verify_out_of_scope_pass" 0 $CTL verify --dir "$DIR" --size "$SIZE"
	diag "$T/out"
	has "verify_out_of_scope_says_so" "outside the scope"
	$CTL scope clear >/dev/null
else
	ok "scope_add_sibling # SKIP module has no scope"
	ok "verify_out_of_scope_pass # SKIP module has no scope"
	ok "verify_out_of_scope_says_so # SKIP module has no scope"
fi
rmdir "$CG"

# --keep leaves the cgroup and the file for inspection.
expect "verify_keep" 0 $CTL verify --dir "$DIR" --size 4 --keep --json
has "verify_keep_skips_dying_check" '"result": "SKIP"'
kept_cg=$(sed -n 's/.*"cgroup": "\([^"]*\)".*/\1/p' "$T/out" | head -1)
kept_file=$(sed -n 's/.*"file": "\([^"]*\)".*/\1/p' "$T/out" | head -1)
if [ -n "$kept_cg" ] && [ -d "$kept_cg" ] && [ -f "$kept_file" ]; then ok "verify_keep_leaves_them"; else
	not_ok "verify_keep_leaves_them"
	diag "$T/out"
fi
[ -n "$kept_cg" ] && rmdir "$kept_cg" 2>/dev/null
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
ls "$DIR" | grep -q rootcache-verify && not_ok "verify_cleans_up" || ok "verify_cleans_up"

echo "1..$n"
[ "$failed" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest test of rootcachectl: status, enable/disable (--persist), metrics,
# exit codes. TAP on stdout; busybox sh. Loads and unloads the module itself
# and puts it back as it found it.

. "$(dirname "$0")/lib_tool.sh"
T=$(mktemp -d /tmp/tool_cli.XXXXXX)

# Initial module state, restored at the end.
restore() {
	restore_module
	rm -rf "$T"
}
trap restore EXIT
rmmod rootcache 2>/dev/null

# --- module absent
expect "status_unloaded_exit3" 3 $CTL status
has "status_unloaded_says_so" "module: +not loaded"
has "status_unloaded_says_how" "modprobe rootcache enabled=1"
expect "status_unloaded_json" 3 $CTL status --json
has "status_unloaded_json_loaded_false" '"loaded": false'
expect "enable_unloaded_exit3" 3 $CTL enable
expect "disable_unloaded_ok" 0 $CTL disable
expect "metrics_unloaded_ok" 0 $CTL metrics
has "metrics_unloaded_value" '^rootcache_module_loaded 0$'

# --- loaded, disabled
insmod "$KO" enabled=0 || echo "# insmod $KO failed"
expect "status_disabled_ok" 0 $CTL status
has "status_disabled_enabled_no" "enabled: +no"
has "status_mode" "cgroup mode: +${ROOTCACHE_CGROUP:-v}"
# uname -r may hold regex characters (6.12.117+deb13-...): fixed string.
if grep -qF -- "$(uname -r)" "$T/out"; then ok "status_kernel"; else
	not_ok "status_kernel"
	diag "$T/out"
fi
expect "enable_ok" 0 $CTL enable
if [ "$(cat $SYS/enabled)" = 1 ]; then ok "enable_sets_sysfs"; else not_ok "enable_sets_sysfs"; fi
expect "status_json_enabled" 0 $CTL --json status
has "status_json_enabled_true" '"enabled": true'
has "status_json_health" '"ok": true'
expect "disable_ok" 0 $CTL disable
if [ "$(cat $SYS/enabled)" = 0 ]; then ok "disable_sets_sysfs"; else not_ok "disable_sets_sysfs"; fi
expect "enable_json" 0 $CTL enable --json
has "enable_json_value" '"enabled": true'

# --- persist (into a scratch /etc): enabled= of rootcache/rootcache.conf,
# edited in place; an admin's modprobe.d file is left alone.
mkdir -p "$T/etc/modprobe.d" "$T/etc/rootcache"
echo 'options rootcache maxactive=4096' >"$T/etc/modprobe.d/rootcache.conf"
printf '# kept\ntarget=pool.slice\nenabled=1\n' >"$T/etc/rootcache/rootcache.conf"
expect "disable_persist_ok" 0 $CTL disable --persist --etc-root "$T/etc"
if [ "$(cat "$T/etc/rootcache/rootcache.conf")" = "$(printf '# kept\ntarget=pool.slice\nenabled=0')" ]; then
	ok "disable_persist_edits_rootcache_conf"
else not_ok "disable_persist_edits_rootcache_conf"; fi
expect "enable_persist_ok" 0 $CTL enable --persist --etc-root "$T/etc"
if grep -qx 'enabled=1' "$T/etc/rootcache/rootcache.conf" && grep -qx '# kept' "$T/etc/rootcache/rootcache.conf"; then
	ok "enable_persist_edits_rootcache_conf"
else not_ok "enable_persist_edits_rootcache_conf"; fi
if [ "$(cat "$T/etc/modprobe.d/rootcache.conf")" = 'options rootcache maxactive=4096' ]; then
	ok "persist_keeps_admin_file"
else not_ok "persist_keeps_admin_file"; fi

# --- metrics
$CTL enable >/dev/null
expect "metrics_ok" 0 $CTL metrics
has "metrics_enabled" '^rootcache_enabled 1$'
has "metrics_counter" '^rootcache_redirected_bytes_total [0-9]+$'
has "metrics_dying" '^rootcache_dying_memcgs [0-9]+$'
has "metrics_types" '^# TYPE rootcache_redirected_bytes_total counter$'
# Every sample line: name{labels} value.
if grep -v '^#' "$T/out" | grep -Evq '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9]+$'; then
	not_ok "metrics_sample_syntax"
	diag "$T/out"
else ok "metrics_sample_syntax"; fi
mkdir -p "$T/textfile"
expect "metrics_textfile" 0 $CTL metrics --textfile "$T/textfile"
if [ -s "$T/textfile/rootcache.prom" ] && [ "$(ls "$T/textfile" | wc -l)" -eq 1 ]; then
	ok "metrics_textfile_atomic"
else not_ok "metrics_textfile_atomic"; fi
# A symlink planted at the temporary name older versions wrote through
# (rootcache.prom.tmp.<pid>; exec keeps the pid): the target stays untouched.
echo precious >"$T/victim"
if sh -c 'ln -s "$1/victim" "$1/textfile/rootcache.prom.tmp.$$" && exec "$2" metrics --textfile "$1/textfile"' \
	sh "$T" "$(command -v $CTL)" >/dev/null 2>&1 && [ "$(cat "$T/victim")" = precious ] &&
	[ -f "$T/textfile/rootcache.prom" ] && [ ! -L "$T/textfile/rootcache.prom" ]; then
	ok "metrics_textfile_no_symlink_follow"
else not_ok "metrics_textfile_no_symlink_follow"; fi
rm -f "$T"/textfile/rootcache.prom.tmp.*
# make check runs promtool over this on the host (no promtool in the guest).
echo "# ---- BEGIN metrics exposition"
diag "$T/textfile/rootcache.prom"
echo "# ---- END metrics exposition"
expect "metrics_json" 0 $CTL metrics --json
has "metrics_json_stats" '"redirected_bytes"'

# --- usage errors
expect "usage_no_command" 2 $CTL
expect "usage_unknown_command" 2 $CTL frobnicate
expect "usage_bad_option" 2 $CTL status --bogus
expect "usage_verify_size" 2 $CTL verify --size 0
expect "usage_textfile_no_dir" 2 $CTL metrics --textfile "$T/nodir"
expect "help_ok" 0 $CTL --help

# --- not root: writes exit 3, reads work
if ! grep -q '^nobody:' /etc/passwd 2>/dev/null; then
	mkdir -p /etc && echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
fi
if command -v su >/dev/null 2>&1 && su -s /bin/sh nobody -c true 2>/dev/null; then
	expect "nonroot_enable_exit3" 3 su -s /bin/sh nobody -c "$(command -v $CTL) disable"
	has "nonroot_enable_message" "root"
	expect "nonroot_status_ok" 0 su -s /bin/sh nobody -c "$(command -v $CTL) status"
else
	ok "nonroot_enable_exit3 # SKIP no su"
	ok "nonroot_enable_message # SKIP no su"
	ok "nonroot_status_ok # SKIP no su"
fi

echo "1..$n"
[ "$failed" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unit test of packaging/rootcache-apply (what rootcache.service runs at
# boot) and of the boot configuration the tool and the package share, on a
# fake module directory and cgroup tree: no kernel needed.
#
#   rootcache_apply_test.sh PACKAGING_DIR ROOTCACHECTL
#
# "Booting" is: the fake module directory is removed, a fake modprobe makes
# it again with the "options rootcache enabled=N" of the packaged
# modprobe.d file, then rootcache-apply runs with the packaged (or a test's)
# /etc/rootcache. Prints one "ok"/"not ok" line per check; exits 1 when any
# failed.
# shellcheck disable=SC2016,SC2034,SC2317 # conditions are eval'd by check
set -u
PKG=${1:?usage: rootcache_apply_test.sh PACKAGING_DIR ROOTCACHECTL}
CTL=${2:?usage: rootcache_apply_test.sh PACKAGING_DIR ROOTCACHECTL}
APPLY=$PKG/rootcache-apply
T=$(mktemp -d "${TMPDIR:-/tmp}/rootcache-apply-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
SYS=$T/sys/kernel/rootcache
CG=$T/cgroup
ETC=$T/etc/rootcache
mkdir -p "$CG" "$ETC" "$T/bin" "$T/sys"
fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }
# check DESC COND...: COND is a shell command list.
check() {
	desc=$1
	shift
	if eval "$*"; then ok "$desc"; else not_ok "$desc ($*)"; fi
}

# The fake modprobe: the module's files, enabled as the modprobe.d file says.
cat >"$T/bin/modprobe" <<MODPROBE
#!/bin/sh
en=\$(sed -n 's/^options rootcache.*enabled=\([01]\).*/\1/p' "$T/etc/modprobe.d/rootcache.conf" | tail -n 1)
mkdir -p "$SYS/stats" "$T/sys/module/rootcache/parameters"
echo "\${en:-1}" >"$SYS/enabled"
: >"$SYS/scope"
echo 0 >"$SYS/target"
echo 0.1.0 >"$SYS/version"
echo filemap_add_folio >"$SYS/hook"
echo ok >"$SYS/hook_state"
echo modprobe >>"$T/modprobe.log"
MODPROBE
chmod +x "$T/bin/modprobe"
echo "BOOT_IMAGE=/vmlinuz root=/dev/vda1 quiet" >"$T/cmdline"
export ROOTCACHE_CMDLINE="$T/cmdline"
export ROOTCACHE_MODPROBE="$T/bin/modprobe" ROOTCACHE_SYSFS="$SYS" ROOTCACHE_CGROUP_ROOT="$CG" ROOTCACHE_ETC="$ETC"

# boot: the module is unloaded, then rootcache-apply loads and configures it.
boot() {
	rm -rf "$SYS"
	"$APPLY" >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
}
rc() { cat "$T/rc"; }
enabled() { cat "$SYS/enabled"; }
ctl() { "$CTL" --sysfs-root "$T/sys" --etc-root "$T/etc" --cgroup-root "$CG" "$@"; }

# The packaged configuration.
mkdir -p "$T/etc/modprobe.d"
cp "$PKG/etc/modprobe.conf" "$T/etc/modprobe.d/rootcache.conf"
cp "$PKG/etc/rootcache.conf" "$ETC/rootcache.conf"
cp "$PKG/etc/scope.conf" "$ETC/scope.conf"
check "the package's modprobe.d option loads the module disabled" \
	'grep -qx "options rootcache enabled=0" "$T/etc/modprobe.d/rootcache.conf"'

boot
check "packaged configuration: enabled after boot, exit 0" '[ "$(rc)" = 0 ] && [ "$(enabled)" = 1 ]'
check "packaged configuration: the global mode" 'grep -q "global mode" "$T/out"'

ctl disable --persist >"$T/ctl.out" 2>&1
st=$?
check "disable --persist exits 0" '[ $st = 0 ]'
check "disable --persist: disabled now" '[ "$(enabled)" = 0 ]'
boot
check "disable --persist survives the boot path: disabled" '[ "$(rc)" = 0 ] && [ "$(enabled)" = 0 ]'
check "disable --persist kept the package's comments" \
	'[ "$(grep -c "^#" "$ETC/rootcache.conf")" = "$(grep -c "^#" "$PKG/etc/rootcache.conf")" ]'
ctl enable --persist >"$T/ctl.out" 2>&1
st=$?
check "enable --persist: enabled now" '[ $st = 0 ] && [ "$(enabled)" = 1 ]'
boot
check "enable --persist survives the boot path: enabled" '[ "$(rc)" = 0 ] && [ "$(enabled)" = 1 ]'
check "enable --persist gave back the packaged file" 'cmp -s "$ETC/rootcache.conf" "$PKG/etc/rootcache.conf"'
ctl status >"$T/ctl.out" 2>&1
check "status says what the next boot does" 'grep -q "^next boot: *enabled ($ETC/rootcache.conf)" "$T/ctl.out"'

# A scope path that appears after boot (kubelet's kubepods.slice 2 s later):
# waited for, disabled while waiting, then enabled with it.
printf 'enabled=1\nscope_wait=30\n' >"$ETC/rootcache.conf"
printf 'kubepods.slice\n' >"$ETC/scope.conf"
rm -rf "$SYS"
"$T/bin/modprobe"
echo 1 >"$SYS/enabled" # loaded enabled by an old modprobe.d option
"$APPLY" >"$T/out" 2>"$T/err" &
pid=$!
sleep 2
check "scope path missing: disabled while waiting" '[ "$(enabled)" = 0 ]'
check "scope path missing: says it waits" 'grep -q "waiting up to 30s for: $CG/kubepods.slice" "$T/out"'
mkdir "$CG/kubepods.slice"
wait $pid
echo $? >"$T/rc"
check "scope path appears later: exit 0, enabled" '[ "$(rc)" = 0 ] && [ "$(enabled)" = 1 ]'
check "scope path appears later: its ID in the scope" \
	'[ "$(cat "$SYS/scope")" = "+$(stat -c %i "$CG/kubepods.slice")" ]'

# A scope path that never appears: the unit fails, rootcache stays disabled.
printf 'enabled=1\nscope_wait=2\n' >"$ETC/rootcache.conf"
printf 'hadoop-yarn\n' >"$ETC/scope.conf"
boot
check "scope path never appears: exit 1" '[ "$(rc)" = 1 ]'
check "scope path never appears: disabled" '[ "$(enabled)" = 0 ]'
check "scope path never appears: the path named on stderr" \
	'grep -q "$CG/hadoop-yarn does not exist after 2s" "$T/err"'

# One of two paths missing: enabled for the one that exists, but exit 1.
printf 'kubepods.slice\nmissing.slice\n' >"$ETC/scope.conf"
printf 'enabled=1\nscope_wait=0\n' >"$ETC/rootcache.conf"
boot
check "one scope path missing: exit 1, enabled for the other" '[ "$(rc)" = 1 ] && [ "$(enabled)" = 1 ]'
check "one scope path missing: named on stderr" 'grep -q "missing.slice does not exist" "$T/err"'

# Bad configuration: exit 2, nothing written.
printf 'enabled=1\nthis is not a setting\n' >"$ETC/rootcache.conf"
boot
check "unparsable rootcache.conf: exit 2, line named" '[ "$(rc)" = 2 ] && grep -q "line 2" "$T/err"'
check "unparsable rootcache.conf: module not even loaded" '[ ! -d "$SYS" ]'
printf 'scope_wait=soon\n' >"$ETC/rootcache.conf"
boot
check "bad scope_wait: exit 2" '[ "$(rc)" = 2 ]'
# The tool refuses the file rootcache-apply refuses, and changes nothing.
printf 'enabled=1\nthis is not a setting\n' >"$ETC/rootcache.conf"
"$T/bin/modprobe"
echo 1 >"$SYS/enabled"
ctl disable --persist >"$T/ctl.out" 2>&1
st=$?
check "disable --persist on an unparsable file: exit 1, unchanged" \
	'[ $st = 1 ] && [ "$(enabled)" = 1 ] && grep -q "this is not" "$ETC/rootcache.conf"'

# Emergency off from the kernel command line.
printf 'enabled=1\nscope_wait=0\n' >"$ETC/rootcache.conf"
: >"$ETC/scope.conf"
echo "quiet modprobe.blacklist=nouveau,rootcache" >"$T/cmdline"
boot
check "modprobe.blacklist=rootcache: not loaded, exit 0" '[ "$(rc)" = 0 ] && [ ! -d "$SYS" ]'
echo "quiet rootcache.enabled=0" >"$T/cmdline"
boot
check "rootcache.enabled=0 on the command line: disabled, exit 0" '[ "$(rc)" = 0 ] && [ "$(enabled)" = 0 ]'
echo "quiet modprobe.blacklist=rootcachex" >"$T/cmdline"
boot
check "another module blacklisted: enabled" '[ "$(rc)" = 0 ] && [ "$(enabled)" = 1 ]'

exit $fail

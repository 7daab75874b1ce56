#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# run_kselftest_busybox.sh [run_kselftest.sh options]: run the kernel's
# run_kselftest.sh of this directory, first putting the busybox/timeout shim at
# /usr/bin/timeout when the timeout there has no --foreground (a busybox
# system, e.g. the rootcache test guests), and /dev/stdout and friends when
# /dev has none. kselftest/runner.sh calls /usr/bin/timeout by its full path,
# so a shim earlier in PATH would not do. Elsewhere (GNU coreutils, udev)
# nothing is changed. tests/selftests/README.md.
dir=$(cd "$(dirname "$0")" && pwd)
if [ -x /usr/bin/timeout ] && ! /usr/bin/timeout --foreground 5 true 2>/dev/null; then
	if ! command -v busybox >/dev/null 2>&1; then
		echo "$0: /usr/bin/timeout has no --foreground and there is no busybox" >&2
		exit 1
	fi
	echo "# run_kselftest_busybox: /usr/bin/timeout lacks --foreground; using $dir/busybox/timeout"
	ln -sf "$dir/busybox/timeout" /usr/bin/timeout || exit 1
fi
# runner.sh writes every test's output to logfile=/dev/stdout; a plain
# devtmpfs (no udev, as in the guests' initramfs) has no /dev/stdout, and
# the output would be lost (the redirection fails).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd || exit 1
for f in 0:stdin 1:stdout 2:stderr; do
	[ -e "/dev/${f#*:}" ] || ln -s "/proc/self/fd/${f%%:*}" "/dev/${f#*:}" || exit 1
done
exec "$dir/run_kselftest.sh" "$@"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The fleet pieces the packages ship, checked offline:
#   systemd-analyze verify on rootcache.service, rootcache-metrics.service and
#   rootcache-metrics.timer (their ExecStart= pointed at stand-ins, since the
#   host has no /usr/sbin/rootcachectl);
#   promtool check rules and promtool test rules on
#   packaging/examples/rootcache-alerts.yml.
# A tool that is missing is skipped (exit 77 when both are).
#   units_and_rules_test.sh REPO_DIR
set -u
REPO=${1:?usage: units_and_rules_test.sh REPO_DIR}
T=$(mktemp -d "${TMPDIR:-/tmp}/rootcache-units.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0 ran=0

if command -v systemd-analyze >/dev/null; then
	ran=1
	printf '#!/bin/sh\nexit 0\n' >"$T/stand-in"
	chmod +x "$T/stand-in"
	for u in rootcache.service rootcache-metrics.service rootcache-metrics.timer; do
		sed "s|^ExecStart=/usr/sbin/[^ ]*|ExecStart=$T/stand-in|" "$REPO/packaging/$u" >"$T/$u"
	done
	if out=$(cd "$T" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
		"$T/rootcache.service" "$T/rootcache-metrics.service" "$T/rootcache-metrics.timer" 2>&1) &&
		[ -z "$out" ]; then
		echo "ok - systemd-analyze verify: the three units"
	else
		echo "not ok - systemd-analyze verify: the three units"
		printf '%s\n' "$out" | sed 's/^/# /'
		fail=1
	fi
else
	echo "ok - # SKIP systemd-analyze not installed"
fi

promtool=$(command -v promtool || true)
for d in "${ROOTCACHE_CACHE:-}/tools" "${HOME:-/root}/.cache/rootcache/tools"; do
	[ -n "$promtool" ] || [ ! -x "$d/promtool" ] || promtool=$d/promtool
done
if [ -n "$promtool" ]; then
	ran=1
	if "$promtool" check rules "$REPO/packaging/examples/rootcache-alerts.yml"; then
		echo "ok - promtool check rules"
	else echo "not ok - promtool check rules"; fail=1; fi
	if (cd "$REPO/tests/unit/alerts" && "$promtool" test rules rootcache-alerts.test.yml); then
		echo "ok - promtool test rules"
	else echo "not ok - promtool test rules"; fail=1; fi
else
	echo "ok - # SKIP promtool not found (Debian package prometheus, or tests/vm/install-host-deps)"
fi
[ $ran = 1 ] || exit 77
exit $fail

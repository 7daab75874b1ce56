#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run_all [PROGRAM...]: run every test program of this directory and print ONE
# TAP version 13 stream (busybox sh compatible).
#
# Programs: every executable regular file in this directory whose name starts
# with "test_" or "tool_" (sorted by name), or the names given as arguments.
# Each prints TAP; its results are renumbered into this stream as
# "ok N - <program>.<test>". A program that crashes, times out, prints fewer
# results than its plan, prints none, or exits non-zero without reporting a
# failure adds a "not ok" of its own.
#
# Before any program, the environment the tests are written for is checked:
# root, the module file, the memory controller, a disk filesystem at /scratch
# and a tmpfs at /tmp (and that there is a program to run at all). A failing
# check prints "Bail out! environment: <reason>" and exits 1: an error of the
# environment is never turned into skipped tests.
#
# Environment:
#   RUN_ALL_TIMEOUT   seconds one program may run (default 1200); then its
#                     whole session is killed and it counts as not ok.
#   ROOTCACHE_KO, ROOTCACHE_CGROUP, ROOTCACHE_CGROUP_ROOT, RC_SCRATCH, RC_TMP
#                     as for the programs (tests/selftests/README.md).

dir=$(cd "$(dirname "$0")" && pwd)
limit=${RUN_ALL_TIMEOUT:-1200}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/run_all.XXXXXX") || exit 1
n=0
pass=0
fail=0
skip=0

trap 'rm -rf "$tmp"' EXIT

emit() {	# emit "ok"|"not ok" "name and directive"
	n=$((n + 1))
	echo "$1 $n - $2"
	if [ "$1" != ok ]; then
		case "$2" in
		*"# TODO"* | *"# todo"*) skip=$((skip + 1)) ;;
		*) fail=$((fail + 1)) ;;
		esac
	else
		case "$2" in
		*"# SKIP"* | *"# skip"* | *"# Skip"*) skip=$((skip + 1)) ;;
		*) pass=$((pass + 1)) ;;
		esac
	fi
}

# Kill every process of session $1 (the program and its test children).
kill_session() {
	kill -9 -- "-$1" 2>/dev/null
	kill -9 "$1" 2>/dev/null
	for s in /proc/[0-9]*/stat; do
		sid=$(sed -n 's/^.*) [^ ]* [^ ]* [^ ]* \([0-9]*\) .*/\1/p' \
			"$s" 2>/dev/null)
		[ "$sid" = "$1" ] || continue
		p=${s#/proc/}
		kill -9 "${p%/stat}" 2>/dev/null
	done
}

if [ $# -gt 0 ]; then
	progs="$*"
else
	progs=
	for f in "$dir"/test_* "$dir"/tool_*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
		progs="$progs ${f##*/}"
	done
fi

# fs_type PATH: the type of the filesystem PATH is on (the longest mount
# point of /proc/mounts that contains it).
fs_type() {
	real=$(cd "$1" 2>/dev/null && pwd -P) || return 1
	awk -v p="$real" '
		{ m = $2; gsub(/\\040/, " ", m) }
		m == "/" || m == p || index(p, m "/") == 1 {
			if (length(m) >= best) { best = length(m); t = $3 }
		}
		END { if (t == "") exit 1; print t }' /proc/mounts
}

# env_check: set why to the reason the environment is not the tests' one
# (empty when it is), and cg, cgroot, scratch and tmpd.
env_check() {
	why=
	ko=${ROOTCACHE_KO:-/opt/rootcache/rootcache.ko}
	cg=${ROOTCACHE_CGROUP:-}
	if [ -z "$cg" ]; then
		cg=v1
		[ "$(fs_type /sys/fs/cgroup)" != cgroup2 ] || cg=v2
	fi
	cgroot=${ROOTCACHE_CGROUP_ROOT:-/sys/fs/cgroup}
	[ "$cg" = v2 ] || cgroot=${ROOTCACHE_CGROUP_ROOT:-/sys/fs/cgroup/memory}
	scratch=${RC_SCRATCH:-/scratch}
	tmpd=${RC_TMP:-/tmp}
	if [ "$(id -u)" != 0 ]; then
		why="not root"
	elif [ -z "$progs" ]; then
		why="no test programs (test_*, tool_*) in $dir"
	elif [ ! -f "$ko" ] || [ ! -r "$ko" ]; then
		why="no module file $ko (ROOTCACHE_KO)"
	elif [ "$cg" = v1 ] && [ ! -r "$cgroot/memory.usage_in_bytes" ]; then
		why="no cgroup v1 memory controller at $cgroot"
	elif [ "$cg" = v2 ] && [ ! -r "$cgroot/cgroup.subtree_control" ]; then
		why="no cgroup v2 at $cgroot"
	elif [ "$cg" = v2 ] && ! grep -qw memory "$cgroot/cgroup.subtree_control" &&
		! { echo +memory >"$cgroot/cgroup.subtree_control" &&
			grep -qw memory "$cgroot/cgroup.subtree_control"; } 2>/dev/null; then
		why="no memory controller in $cgroot/cgroup.subtree_control"
	elif [ ! -d "$scratch" ] || [ ! -w "$scratch" ]; then
		why="no writable scratch directory $scratch (RC_SCRATCH)"
	else
		t=$(fs_type "$scratch")
		case "$t" in
		"" | tmpfs | ramfs | rootfs)
			why="scratch $scratch (RC_SCRATCH) is on ${t:-an unknown filesystem}, not a disk filesystem" ;;
		esac
		t=$(fs_type "$tmpd")
		[ -n "$why" ] || [ "$t" = tmpfs ] || why="$tmpd (RC_TMP) is ${t:-missing}, not tmpfs"
	fi
}

have_setsid=
command -v setsid >/dev/null 2>&1 && have_setsid=1

echo "TAP version 13"
# The release the host normalises in SKIP reasons (tests/vm/expected/).
echo "# uname -r: $(uname -r)"
env_check
if [ -n "$why" ]; then
	echo "Bail out! environment: $why"
	exit 1
fi
echo "# environment: module ${ROOTCACHE_KO:-/opt/rootcache/rootcache.ko}, cgroup $cg at $cgroot, scratch $scratch, tmp $tmpd"
for p in $progs; do
	fifo=$tmp/out
	rm -f "$fifo" "$tmp/timeout"
	mkfifo "$fifo" || exit 1
	echo "# ---- $p"
	if [ -n "$have_setsid" ]; then
		(cd "$dir" && exec setsid "./$p") >"$fifo" 2>&1 &
	else
		(cd "$dir" && exec "./$p") >"$fifo" 2>&1 &
	fi
	pid=$!
	(
		i=0
		while [ $i -lt "$limit" ]; do
			sleep 1
			kill -0 "$pid" 2>/dev/null || exit 0
			i=$((i + 1))
		done
		: >"$tmp/timeout"
		kill_session "$pid"
	) &
	wd=$!

	results=0
	failed=0
	plan=
	while IFS= read -r line; do
		case "$line" in
		"ok "* | "not ok "*)
			st=ok
			rest=${line#ok }
			case "$line" in
			"not ok "*)
				st="not ok"
				rest=${line#not ok }
				;;
			esac
			num=${rest%%[!0-9]*}
			rest=${rest#"$num"}
			rest=${rest# }
			rest=${rest#- }
			[ -n "$rest" ] || rest=$num
			[ "$st" = ok ] || failed=$((failed + 1))
			results=$((results + 1))
			emit "$st" "$p.$rest"
			;;
		"1.."*)
			plan=${line#1..}
			plan=${plan%%[!0-9]*}
			;;
		"TAP version"* | "KTAP version"*) ;;
		"#"*) echo "$line" ;;
		"Bail out!"*)
			echo "# $p: $line"
			failed=$((failed + 1))
			emit "not ok" "$p.bail_out # ${line#Bail out!}"
			;;
		"") ;;
		*) echo "# $line" ;;
		esac
	done <"$fifo"
	wait "$pid"
	status=$?
	wait "$wd" 2>/dev/null

	if [ -f "$tmp/timeout" ]; then
		emit "not ok" "$p.timeout # killed after $limit s"
	elif [ "$results" -eq 0 ]; then
		emit "not ok" "$p # no results (exit status $status)"
	elif [ -n "$plan" ] && [ "$results" -lt "$plan" ]; then
		emit "not ok" "$p.plan # $results of $plan results (exit status $status)"
	elif [ "$status" -ne 0 ] && [ "$status" -ne 4 ] && [ "$failed" -eq 0 ]; then
		emit "not ok" "$p.exit # exit status $status"
	fi
done
echo "1..$n"
echo "# $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

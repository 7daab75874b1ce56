# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this
# Common helpers for the rootcache guest harness (tests/vm/).
# Sourced by tests/vm/run, tests/vm/prepare, tests/vm/check and tests/vm/demo.

VM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$VM_DIR/../.." && pwd)"
CACHE_DIR="${ROOTCACHE_CACHE:-${HOME:-/root}/.cache/rootcache}"
BUILD_DIR="${ROOTCACHE_BUILD:-$REPO_DIR/build}"

ALL_SERIES=(5.10 6.1 6.12 7.2 7.3)
# Kernels built from source trees (make check-kernels KERNEL_TREES=...): the
# kernels clusters run that Debian does not ship. Not in make check (CI has no
# copy of the sources). Each is named by an identity of its own (tree_identity):
# alma-<RHEL_MAJOR>.<RHEL_MINOR> for a tree with Makefile.rhelver (AlmaLinux/RHEL:
# alma-9.6 is "5.14" by number and 6.1-like inside), upstream-<VERSION>.<PATCHLEVEL>
# for any other tree. The identity names build/vm/<id>, $CACHE/<id>/ and the
# expected files <id>-<cgroup>.txt. The bare series of the upstream trees used
# so far stay accepted as aliases (5.14 = upstream-5.14).
UPSTREAM_SERIES=(5.14 5.15 6.0 6.6 6.8)
DEFAULT_SERIES=6.1
FLAVOUR=cloud-amd64
# arm64 guests (tests/vm/run --arch arm64, make check-arm64): Debian's
# cloud-arm64 kernels of these series under qemu-system-aarch64 -M virt (TCG),
# named arm64-<series> (build/vm/arm64-6.1, $CACHE/bookworm-arm64/, runs
# selftests-arm64-6.1-v2). Opt-in: not in ALL_SERIES (make check).
ARM64_SERIES=(5.10 6.1 6.12)
# The series whose libcgroup-dev builds the arm64 guests' static rootcachectl:
# the oldest with a libcgroup.a (bullseye's 0.41 ships none).
ARM64_TOOL_SERIES=6.1

# Exit statuses of tests/vm/run besides the command's own status.
readonly EXIT_USAGE=64
readonly EXIT_HARNESS=250
readonly EXIT_CRASH=251
readonly EXIT_TIMEOUT=252
readonly EXIT_NOBOOT=253

# The console patterns that fail a run even when its command succeeded
# (lockdep, KASAN and DEBUG_OBJECTS reports are WARNINGs or BUGs; kmemleak's
# are printed by tests/vm/guest-init; a kCFI failure prints "CFI failure at
# ..." before its BUG, and that line alone must fail a run: with
# CFI_PERMISSIVE=y it is only followed by a WARNING, and an oops whose
# "invalid opcode" header has no "Oops" could be cut short by the panic).
readonly CRASH_PATTERN='WARNING:|BUG:|Oops|Call Trace|Kernel panic|unreferenced object|CFI failure'

# console_exit_status: the exit status the guest's /init reported on its
# console (stdin, carriage returns removed): the last one, empty if none. The
# line may run on into a kernel message: poweroff's "reboot: Power down" can
# reach the serial console before the tty has sent the line's newline (once
# in 28 boots of the 6.8 debug kernel, December 2026).
console_exit_status() {
	sed -n 's/^ROOTCACHE-VM: exit status \([0-9][0-9]*\)\([^0-9].*\)\{0,1\}$/\1/p' | tail -n1
}

# crash_lines: print the lines of a console log (stdin) that match CRASH_PATTERN.
# The one stack dump of each OOM report ("X invoked oom-killer:" ... "Call Trace:")
# is left out: the tests kill jobs over their memory limit on purpose, and since
# console printing is deferred (printk threads, 6.x/7.x) such a report can reach
# the console after a test restored the console log level it lowered for it. A
# WARNING:, BUG:, Oops or panic inside or after a report still counts.
crash_lines() {
	tr -d '\r' | awk -v pat="$CRASH_PATTERN" '
		/invoked oom-killer:/ { oom = 1 }
		oom && /Call Trace:/ && !/WARNING:|BUG:|Oops|Kernel panic/ { oom = 0; next }
		$0 ~ pat { print }
	'
}

# dkms_version: PACKAGE_VERSION of dkms.conf (empty if it has none).
dkms_version() {
	sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$REPO_DIR/dkms.conf"
}

log() { printf '[vm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[vm] error: %s\n' "$*" >&2; exit "$EXIT_HARNESS"; }

# series_suite SERIES: the Debian suite whose kernel is SERIES, as the cache
# names it: <suite>-arm64 for the arm64 kernels (suite_dist, suite_arch).
series_suite() {
	if [[ $1 == arm64-* ]]; then
		[[ " ${ARM64_SERIES[*]} " == *" ${1#arm64-} "* ]] || return 1
		echo "$(series_suite "${1#arm64-}")-arm64"
		return 0
	fi
	case "$1" in
	5.10) echo bullseye ;;
	6.1) echo bookworm ;;
	6.12) echo trixie ;;
	7.2) echo sid ;;
	7.3) echo trixie-backports ;;
	# A kernel built from source: its cache directory is named by its identity.
	*) is_source_kernel "$1" && echo "$1" ;;
	esac
}

# series_arch SERIES: the Debian architecture of a series' kernel (amd64, arm64).
series_arch() {
	case "$1" in
	arm64-*) echo arm64 ;;
	*) echo amd64 ;;
	esac
}

# suite_dist SUITE / suite_arch SUITE: the Debian suite and architecture of a
# cache suite name (bookworm-arm64: bookworm, arm64).
suite_dist() { echo "${1%-arm64}"; }
suite_arch() {
	case "$1" in
	*-arm64) echo arm64 ;;
	*) echo amd64 ;;
	esac
}

# suite_flavour SUITE: the kernel flavour of the suite's metapackage
# (linux-image-<flavour>).
suite_flavour() { echo "cloud-$(suite_arch "$1")"; }

# selftests_dir ARCH: where tests/selftests is built for ARCH (static programs).
selftests_dir() {
	case "$1" in
	arm64) echo "$BUILD_DIR/selftests-arm64" ;;
	*) echo "$BUILD_DIR/selftests" ;;
	esac
}

# selftests_make_args ARCH: make variables that build tests/selftests for ARCH
# (arm64: the cross compiler of gcc-aarch64-linux-gnu, static glibc of
# libc6-dev-arm64-cross).
selftests_make_args() {
	case "$1" in
	arm64) echo "CC=aarch64-linux-gnu-gcc" ;;
	esac
}

# userspace_dir ARCH: the CMake build whose rootcachectl the guests of ARCH get.
userspace_dir() {
	case "$1" in
	arm64) echo "$BUILD_DIR/userspace-arm64" ;;
	*) echo "$BUILD_DIR/userspace" ;;
	esac
}

# kernel_id NAME: the kernel NAME stands for: an alias of an upstream tree
# (5.14) becomes its identity (upstream-5.14); anything else is left as it is.
kernel_id() {
	if [[ " ${UPSTREAM_SERIES[*]} " == *" $1 "* ]]; then
		echo "upstream-$1"
	else
		echo "$1"
	fi
}

# is_source_kernel ID: a kernel built from a source tree (upstream-X.Y, alma-X.Y,
# or a variant of one: upstream-X.Y-VARIANT).
is_source_kernel() {
	[[ $1 =~ ^(upstream|alma)-[0-9]+\.[0-9]+(-[a-z0-9]+)?$ ]] || return 1
	[[ -z $(kernel_variant "$1") || -f $VM_DIR/variant-$(kernel_variant "$1").config ]]
}

# Variants: the same source tree built with another configuration (and maybe
# another compiler) is another kernel. A tree is given as DIR@VARIANT (--tree,
# ROOTCACHE_KERNEL_TREES, make check-kernels KERNEL_TREES) and its identity is
# then <identity of DIR>-VARIANT (upstream-6.8-kcfi). Each variant is one file,
# tests/vm/variant-VARIANT.config: a configuration fragment merged last, whose
# "# rootcache-KEY: VALUE" lines say how to build and boot it (variant_field).

# tree_dir SPEC: the directory of a tree given as DIR or DIR@VARIANT.
tree_dir() { echo "${1%@*}"; }

# kernel_variant ID|SPEC: the variant of an identity (upstream-6.8-kcfi: kcfi)
# or of a tree given as DIR@VARIANT; empty for none.
kernel_variant() {
	if [[ $1 == *@* ]]; then
		echo "${1##*@}"
	elif [[ $1 =~ ^(upstream|alma)-[0-9]+\.[0-9]+-([a-z0-9]+)$ ]]; then
		echo "${BASH_REMATCH[2]}"
	fi
}

# variant_field ID KEY: the value of "# rootcache-KEY: VALUE" in the variant's
# fragment (empty without a variant or without the line). Keys: suite (the
# Debian suite of the build chroot), packages (more packages for it, a,b,c),
# make (NAME=VALUE words for the kernel build, e.g. LLVM=1), cmdline (kernel
# command-line parameters tests/vm/run adds).
variant_field() {
	local v
	v=$(kernel_variant "$1")
	[[ -n $v && -f $VM_DIR/variant-$v.config ]] || return 0
	sed -n "s/^# rootcache-$2: *//p" "$VM_DIR/variant-$v.config" | head -n1
}

# tree_identity DIR[@VARIANT]: the identity of a kernel source tree: alma-<RHEL_MAJOR>.<RHEL_MINOR>
# when it has Makefile.rhelver, else upstream-<VERSION>.<PATCHLEVEL>; -VARIANT
# appended for a variant (which must have its tests/vm/variant-VARIANT.config).
tree_identity() {
	local major minor release dir variant suffix=""
	dir=$(tree_dir "$1")
	variant=$(kernel_variant "$1")
	if [[ -n $variant ]]; then
		[[ $variant =~ ^[a-z0-9]+$ && -f $VM_DIR/variant-$variant.config ]] || return 1
		suffix=-$variant
	fi
	if [[ -f $dir/Makefile.rhelver ]]; then
		major=$(sed -n 's/^RHEL_MAJOR *= *\([0-9]*\).*/\1/p' "$dir/Makefile.rhelver" | head -n1)
		minor=$(sed -n 's/^RHEL_MINOR *= *\([0-9]*\).*/\1/p' "$dir/Makefile.rhelver" | head -n1)
		[[ -n $major && -n $minor ]] || return 1
		echo "alma-$major.$minor$suffix"
	else
		release=$(tree_release "$dir")
		[[ -n $release ]] || return 1
		echo "upstream-$(cut -d. -f1,2 <<<"$release")$suffix"
	fi
}

# series_has_cgroup_v1 SERIES: the v1 memory controller is built (MEMCG_V1;
# always there before 6.11, and tests/vm/upstream.config keeps it). For a
# kernel built from source the prepared .config (build/vm/<id>/config) tells;
# before it is prepared, the guest will.
series_has_cgroup_v1() {
	local config
	case "$1" in
	5.10 | 6.1 | arm64-5.10 | arm64-6.1) return 0 ;;
	esac
	is_source_kernel "$1" || return 1
	config=$BUILD_DIR/vm/$1/config
	[[ -f $config ]] || return 0
	grep -q '^CONFIG_MEMCG=y' "$config" || return 1
	# No MEMCG_V1 symbol at all (before 6.11): v1 is always built.
	grep -q '^CONFIG_MEMCG_V1=y' "$config" || ! grep -q 'CONFIG_MEMCG_V1[ =]' "$config"
}

# tree_release DIR: VERSION.PATCHLEVEL.SUBLEVEL of a kernel source tree.
tree_release() {
	sed -n 's/^VERSION = //p;s/^PATCHLEVEL = //p;s/^SUBLEVEL = //p' "$1/Makefile" 2>/dev/null |
		head -n 3 | paste -sd.
}

# series_config_has SERIES REGEX: whether a whole line of the prepared
# kernel's config (build/vm/SERIES/config) matches REGEX (extended).
series_config_has() {
	grep -qxE "$2" "$BUILD_DIR/vm/$1/config" 2>/dev/null
}

# timeout_scale SERIES: how many times the selftests' timeouts (and the
# guest's hung task timeout) are multiplied for SERIES: the host's
# ROOTCACHE_TIMEOUT_SCALE, else 5 for a kernel built with KASAN or lockdep (a
# debug kernel: several times slower under TCG), else 1. tests/vm/run hands
# it to every guest (harness.conf: the environment of its command, and the
# hung task timeout); tests/vm/check scales its selftests jobs' timeout.
timeout_scale() {
	if [[ -n ${ROOTCACHE_TIMEOUT_SCALE:-} ]]; then
		echo "$ROOTCACHE_TIMEOUT_SCALE"
	elif series_config_has "$1" 'CONFIG_(KASAN|PROVE_LOCKING)=y'; then
		echo 5
	else
		echo 1
	fi
}

# valid_series NAME: a Debian series, a source kernel's identity or an alias.
valid_series() { series_suite "$(kernel_id "$1")" >/dev/null 2>&1; }

# host_archive_uri: the URI of the host's main Debian archive, read from its
# own apt sources (deb822 .sources and one-line .list). Never hard-coded.
host_archive_uri() {
	local f uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		uri=$(awk '
			/^[[:space:]]*$/ { if (u != "" && s !~ /-security/ && s ~ /[a-z]/) { print u; exit } u = ""; s = ""; next }
			tolower($1) == "uris:" { u = $2 }
			tolower($1) == "suites:" { $1 = ""; s = $0 }
			END { if (u != "" && s !~ /-security/) print u }' "$f" | head -n1)
		[[ -n $uri ]] && break
	done
	if [[ -z $uri ]]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" && $0 !~ /-security/ {
				for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' | head -n1)
	fi
	[[ -n $uri ]] || return 1
	echo "${uri%/}"
}

# in_chroot DIR CMD...: run CMD inside chroot DIR with /proc mounted (objtool
# reads it), in a private mount namespace so nothing stays mounted when it
# ends, with a clean environment.
in_chroot() {
	local dir=$1
	shift
	cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
	# shellcheck disable=SC2016  # expanded by the inner sh
	unshare --mount --fork -- sh -c 'mount -t proc proc "$1/proc" && shift && exec chroot "$@"' \
		sh "$dir" "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# with_lock NAME CMD...: run CMD holding an exclusive lock in the cache dir.
with_lock() {
	local name=$1
	shift
	mkdir -p "$CACHE_DIR/locks"
	(
		flock 9
		"$@"
	) 9>"$CACHE_DIR/locks/$name.lock"
}

# sh_quote ARG: ARG as one single-quoted word for a POSIX shell.
sh_quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# conftest.sh KDIR OUT: find out what the kernel at KDIR (its build tree or
# headers) has, and write the answers to OUT (features.h) for compat.h.
#
# A version number does not say what a distribution kernel has inside (the
# RHEL 9 family is 5.14 by number and carries the folio page cache of 6.1),
# so every interface the module depends on is probed the way OpenZFS's
# configure and NVIDIA's conftest.sh do: a tiny test compile per interface,
# against the same tree, compiler and flags as the module itself. A probe
# that compiles defines ROOTCACHE_HAVE_<NAME>. Exports are read from
# Module.symvers where a compile cannot tell.
#
# A kernel that matches no supported combination stops the build here with
# one line naming what is missing, so DKMS skips it instead of installing a
# module that cannot load or that hooks the wrong thing.
#
# Environment: MAKE (the make to run kbuild with; its command-line variables,
# e.g. CC= or LLVM=1, reach the probes through MAKEFLAGS), CONFTEST_JOBS.
# For the test that shows the refusal: ROOTCACHE_CONFTEST_FAIL="NAME ..."
# makes those probes fail as if the kernel lacked them.
set -eu

KDIR=$1
OUT=$2
MAKE=${MAKE:-make}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$HERE/.conftest
NAMES=""

refuse() {
	echo "rootcache: $*" >&2
	exit 1
}

[ -f "$KDIR/Makefile" ] ||
	refuse "no kernel build tree at $KDIR (install the kernel's headers: linux-headers-<release> or kernel-devel-<release>)"

rm -rf "$WORK"
mkdir -p "$WORK"
: >"$WORK/Kbuild"

# probe NAME: the C source on standard input becomes probe_NAME.o if it
# compiles (kbuild keeps targets that start with __ to itself).
probe() {
	NAMES="$NAMES $1"
	{
		echo "/* rootcache conftest: $1 */"
		cat
	} >"$WORK/probe_$1.c"
	echo "obj-m += probe_$1.o" >>"$WORK/Kbuild"
}

# A probe must fail on a missing or mismatched prototype: those warnings are
# errors here. Not every warning: a header that warns anyway (a vendor's
# fork, a newer compiler) must not make every probe fail.
echo 'ccflags-y += -Werror=implicit-function-declaration -Werror=incompatible-pointer-types -Werror=int-conversion' >>"$WORK/Kbuild"

# ---- The probes themselves ------------------------------------------------

# Every header the probes and the module include: if this does not compile,
# no answer below could be trusted.
probe headers <<'EOF'
#include <linux/version.h>
#include <linux/sched.h>
#include <linux/memcontrol.h>
#include <linux/pagemap.h>
#include <linux/mman.h>
#include <linux/ptrace.h>
#include <linux/kprobes.h>
#include <linux/ftrace.h>
#include <linux/sysfs.h>
EOF

# ---- Floor and configuration -------------------------------------------

probe kernel_5_10 <<'EOF'
#include <linux/version.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "older than 5.10"
#endif
EOF

# The RHEL 8 family (4.18 by number) from 8.5 on has 5.10's page cache
# charge path: a noinline __add_to_page_cache_locked() that charges with
# mem_cgroup_charge(page, current->mm, gfp), and task_struct.active_memcg.
# No header tells 8.5 from 8.4, whose insertion function is static (8.3 and
# older charge with mem_cgroup_try_charge()): only RHEL's version.h can
# (read in AlmaLinux's 8.3 to 8.10 trees).
probe rhel_release <<'EOF'
#include <linux/version.h>
#ifndef RHEL_RELEASE_CODE
#error "not a RHEL kernel"
#endif
EOF

probe rhel_8_5 <<'EOF'
#include <linux/version.h>
#if !defined(RHEL_RELEASE_CODE) || RHEL_RELEASE_CODE < RHEL_RELEASE_VERSION(8, 5)
#error "not RHEL 8.5 or later"
#endif
EOF

# Before 5.14 the page insertion charges with current->mm, not NULL: that
# argument is inside mm/filemap.c, which no header shows (compat.h).
probe kernel_5_14 <<'EOF'
#include <linux/version.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 14, 0)
#error "older than 5.14"
#endif
EOF

# ---- Where page cache is inserted and charged ---------------------------

# The folio insertion function (upstream 5.16, RHEL 9.1): it charges with
# mm == NULL itself or through __filemap_add_folio().
probe filemap_add_folio <<'EOF'
#include <linux/pagemap.h>
static __maybe_unused int rc_probe(struct address_space *mapping,
				   struct folio *folio)
{
	return filemap_add_folio(mapping, folio, 0, GFP_KERNEL);
}
EOF

# The page insertion function's exported wrapper: its presence shows the
# noinline __add_to_page_cache_locked() (5.10 to 5.15, RHEL 9.0) behind it.
probe add_to_page_cache_locked <<'EOF'
#include <linux/pagemap.h>
static __maybe_unused int rc_probe(struct page *page,
				   struct address_space *mapping)
{
	return add_to_page_cache_locked(page, mapping, 0, GFP_KERNEL);
}
EOF

# The charge of a page with an mm, for the mm rewrite (compat.h).
probe mem_cgroup_charge_page <<'EOF'
#include <linux/memcontrol.h>
static __maybe_unused int rc_probe(struct page *page, struct mm_struct *mm)
{
	return mem_cgroup_charge(page, mm, GFP_KERNEL);
}
EOF

# mem_cgroup_charge() as an inline wrapper of __mem_cgroup_charge() (5.15,
# RHEL 9): a probe of the charge must then sit on the inner function.
probe __mem_cgroup_charge_page <<'EOF'
#include <linux/memcontrol.h>
static __maybe_unused int rc_probe(struct page *page, struct mm_struct *mm)
{
	return __mem_cgroup_charge(page, mm, GFP_KERNEL);
}
EOF

probe task_active_memcg <<'EOF'
#include <linux/sched.h>
static __maybe_unused struct mem_cgroup *rc_probe(void)
{
	return current->active_memcg;
}
EOF

# ---- Folio and page helpers ---------------------------------------------

# pgtable.h moved to include/linux in 5.8 (RHEL 8 has only asm/pgtable.h).
probe linux_pgtable_h <<'EOF'
#include <linux/pgtable.h>
EOF

# The argument registers by number (x86_64: 5.3, not in RHEL 8; arm64 too).
probe regs_get_kernel_argument <<'EOF'
#include <linux/ptrace.h>
static __maybe_unused unsigned long rc_probe(struct pt_regs *regs)
{
	return regs_get_kernel_argument(regs, 0);
}
EOF

probe folio_memcg <<'EOF'
#include <linux/memcontrol.h>
static __maybe_unused struct mem_cgroup *rc_probe(struct folio *folio)
{
	return folio_memcg(folio);
}
EOF

probe page_memcg <<'EOF'
#include <linux/memcontrol.h>
static __maybe_unused struct mem_cgroup *rc_probe(struct page *page)
{
	return page_memcg(page);
}
EOF

probe filemap_get_folio <<'EOF'
#include <linux/pagemap.h>
static __maybe_unused struct folio *rc_probe(struct address_space *mapping)
{
	return __filemap_get_folio(mapping, 0, 0, 0);
}
EOF

# ---- khugepaged's collapse_file() ---------------------------------------

# collapse_file() is static: no compile sees its prototype. Its layout
# (mm, addr, file, start, cc) came with struct collapse_control in the
# series that added MADV_COLLAPSE (6.1; RHEL 9.4 backported both), and the
# old one (mm, file, start, hpage, node) went with it. The uapi define is
# the probe-able sign of that series; hook_collapse.c checks the arguments
# besides before it reads them.
probe madv_collapse <<'EOF'
#include <linux/mman.h>
static __maybe_unused int rc_probe(void)
{
	return MADV_COLLAPSE;
}
EOF

# 6.1 to 6.5 (and RHEL 9.4) collapse_file() also hands its mm to
# retract_page_tables(), to find the caller's own mapping. Upstream
# 1d65b771bc08 (6.6) stopped that, in the series that added pte_free_defer()
# (RHEL 9.6 backported it): the probe-able sign that the mm is free to clear.
# <linux/pgtable.h> is there from 5.8 (and RHEL 8.5 has no MADV_COLLAPSE).
probe pte_free_defer <<'EOF'
#include <linux/mm.h>
#include <linux/pgtable.h>
static __maybe_unused void *rc_probe(void)
{
	return pte_free_defer;
}
EOF

# ---- ftrace ---------------------------------------------------------------

# Static calls patched to direct calls (CONFIG_HAVE_STATIC_CALL: x86 from
# 5.10, RHEL 9; not RHEL 8): how the ftrace wrapper calls the insertion
# function past its ftrace site without an indirect call (compat.h). Not
# the generic fallback, which is an indirect call through a pointer.
probe static_call <<'EOF'
#include <linux/static_call.h>
#ifndef CONFIG_HAVE_STATIC_CALL
#error "static calls are indirect calls here"
#endif
static int rc_target(int x)
{
	return x;
}

DEFINE_STATIC_CALL(rc_probe_call, rc_target);

static __maybe_unused int rc_probe(void)
{
	static_call_update(rc_probe_call, rc_target);
	return static_call(rc_probe_call)(1);
}
EOF


# Callbacks that get struct ftrace_regs (5.11) rather than pt_regs.
probe ftrace_regs_callback <<'EOF'
#include <linux/ftrace.h>
static void rc_callback(unsigned long ip, unsigned long parent_ip,
			struct ftrace_ops *op, struct ftrace_regs *fregs)
{
}

struct ftrace_ops rc_probe_ops __maybe_unused = { .func = rc_callback };
EOF

probe ftrace_regs_set_instruction_pointer <<'EOF'
#include <linux/ftrace.h>
static __maybe_unused void rc_probe(struct ftrace_regs *fregs)
{
	ftrace_regs_set_instruction_pointer(fregs, 0);
}
EOF

probe ftrace_instruction_pointer_set <<'EOF'
#include <linux/ftrace.h>
static __maybe_unused void rc_probe(struct ftrace_regs *fregs)
{
	ftrace_instruction_pointer_set(fregs, 0);
}
EOF

# 5.10 asks for no recursion guard with this flag; 5.11 turned it around.
probe ftrace_ops_fl_recursion_safe <<'EOF'
#include <linux/ftrace.h>
static __maybe_unused unsigned long rc_probe(void)
{
	return FTRACE_OPS_FL_RECURSION_SAFE;
}
EOF

# Direct calls by address (5.5 to 6.2; 6.3 made them ftrace_ops-based).
probe register_ftrace_direct_ip <<'EOF'
#include <linux/ftrace.h>
static __maybe_unused int rc_probe(unsigned long ip, unsigned long addr)
{
	return register_ftrace_direct(ip, addr);
}
EOF

# ---- sysfs ------------------------------------------------------------------

# Binary attribute callbacks with a const attribute: through read_new
# (6.13 to 6.16), then through read again (6.17). bin_attr_probe NAME FIELD.
bin_attr_probe() {
	probe "$1" <<EOF
#include <linux/sysfs.h>
static ssize_t rc_read(struct file *file, struct kobject *kobj,
		       const struct bin_attribute *attr, char *buf,
		       loff_t off, size_t count)
{
	return 0;
}

struct bin_attribute rc_probe_attr __maybe_unused = { .$2 = rc_read };
EOF
}
bin_attr_probe bin_attr_read_new_const read_new
bin_attr_probe bin_attr_read_const read

# ---- Run the probes -------------------------------------------------------

# Under a make that runs jobs (DKMS: make -jN), share its job slots.
case " ${MAKEFLAGS:-} " in
*jobserver* | *" -j"*) jobs="" ;;
*) jobs=-j${CONFTEST_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)} ;;
esac
objs=""
for n in $NAMES; do
	objs="$objs probe_$n.o"
done
# -k: one failing probe must not stop the others. Only the objects are
# built (no modpost), so unexported symbols do not matter here.
# shellcheck disable=SC2086  # $jobs and $objs are lists of words
$MAKE -k $jobs -C "$KDIR" M="$WORK" $objs >"$WORK/build.log" 2>&1 || true

have() {
	case " ${ROOTCACHE_CONFTEST_FAIL:-} " in
	*" $1 "*) return 1 ;;
	esac
	[ -s "$WORK/probe_$1.o" ]
}

# exported NAME: NAME is exported to modules (Module.symvers).
exported() {
	case " ${ROOTCACHE_CONFTEST_FAIL:-} " in
	*" $1 "*) return 1 ;;
	esac
	[ -f "$KDIR/Module.symvers" ] &&
		grep -q "^[^[:space:]]*[[:space:]]$1[[:space:]]" "$KDIR/Module.symvers"
}

# The headers must compile: otherwise the probes themselves are broken
# (compiler, flags), and their answers would be wrong.
if ! have headers; then
	grep -A 10 'probe_headers' "$WORK/build.log" | head -n 30 >&2
	refuse "the feature probes do not compile against $KDIR (log above)"
fi

# RHEL_MAJOR.RHEL_MINOR of a RHEL tree, for the refusal line.
rhel_version() {
	awk '$1 == "#define" && $2 == "RHEL_MAJOR" { major = $3 }
	     $1 == "#define" && $2 == "RHEL_MINOR" { minor = $3 }
	     END { printf "%s.%s", major, minor }' \
		"$KDIR/include/generated/uapi/linux/version.h" 2>/dev/null
}

config() {
	grep -q "^CONFIG_$1=[ym]" "$KDIR/include/config/auto.conf" 2>/dev/null
}

# ---- What is supported: one line for what is missing -----------------------

release=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null || echo "at $KDIR")
if ! have kernel_5_10 && ! have rhel_8_5; then
	have rhel_release &&
		refuse "RHEL $(rhel_version) (Linux $release) is older than RHEL 8.5: its page cache insertion cannot be hooked (8.4: a static function; 8.3 and older: mem_cgroup_try_charge())"
	refuse "Linux $release is older than 5.10, the oldest kernel rootcache supports (RHEL 8: 8.5 or later)"
fi
# The hooks read and write argument registers (arch.h): x86_64 and arm64.
config X86_64 || config ARM64 ||
	refuse "this kernel is neither x86_64 nor arm64: rootcache supports those two (kmod/arch.h)"
for c in MEMCG KPROBES KRETPROBES; do
	config "$c" || refuse "this kernel is built without CONFIG_$c"
done
have task_active_memcg ||
	refuse "this kernel has no task_struct.active_memcg to redirect a charge with"

if have filemap_add_folio; then
	have folio_memcg || refuse "this kernel has filemap_add_folio but no folio_memcg"
	have filemap_get_folio || refuse "this kernel has filemap_add_folio but no __filemap_get_folio(mapping, index, fgp, gfp)"
elif have add_to_page_cache_locked; then
	have kernel_5_14 || have mem_cgroup_charge_page || have __mem_cgroup_charge_page ||
		refuse "this kernel charges page cache with current->mm but has no mem_cgroup_charge(page, mm, gfp) to rewrite"
else
	refuse "this kernel has neither filemap_add_folio nor __add_to_page_cache_locked"
fi

# ---- The answers --------------------------------------------------------------

{
	echo "/* Generated by kmod/conftest.sh for $KDIR: do not edit. */"
	echo "#ifndef ROOTCACHE_FEATURES_H"
	echo "#define ROOTCACHE_FEATURES_H"
	for n in $NAMES; do
		macro=ROOTCACHE_HAVE_$(echo "$n" | tr '[:lower:]' '[:upper:]')
		if have "$n"; then
			echo "#define $macro 1"
		else
			echo "/* #undef $macro */"
		fi
	done
	if exported ftrace_free_filter; then
		echo "#define ROOTCACHE_HAVE_FTRACE_FREE_FILTER_EXPORT 1"
	else
		echo "/* #undef ROOTCACHE_HAVE_FTRACE_FREE_FILTER_EXPORT */"
	fi
	echo "#endif"
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
rm -rf "$WORK"

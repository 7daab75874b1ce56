# rootcache: top-level entry points. Everything runs on this host; the kernel
# module is only ever loaded inside QEMU guests (tests/vm/README.md).
#
#   make                  build only, as any user: kmod/rootcache.ko for the
#                         running kernel when its headers are installed, and
#                         build/userspace/rootcachectl; prints what to run next
#   make check-unit       the unit tests of the tool (ctest), as any user
#   make check            unit tests + selftests in guests of every kernel series
#   make check-arm64      opt-in: the selftests (and harness self-tests) in
#                         arm64 guests of Debian's cloud-arm64 5.10 and 6.1 (v2,
#                         v1) and 6.12 (v2) under qemu-system-aarch64 (TCG), one
#                         at a time;
#                         then the arm64 .debs in arm64 chroots and guests
#                         (tests/packages/run, bookworm-arm64 trixie-arm64)
#   make check-kernels KERNEL_TREES="DIR..."
#                         the same guest tests on kernels built from upstream
#                         source trees, named upstream-X.Y or alma-X.Y
#                         (RHEL/AlmaLinux trees; not in CI); DIR@VARIANT builds
#                         the tree as a variant (tests/vm/variant-*.config):
#                         DIR@kcfi (clang kCFI), DIR@nocgwb (no cgroup writeback)
#   make check-packages   the .debs in bookworm/trixie chroots and guests, the
#                         RPMs (el8/el9/el10) with rpmlint and in the same chroots
#   make mutation-check   the unit tests against the one-line bugs listed in
#                         tests/unit/mutation/mutants.txt; prints the score
#                         (not in check: one rebuild per mutant)
#   make demo             the seed scenario on 6.1, cgroup v1 then v2
#   make bench            benchmarks in guests -> Documentation/benchmarks.md
#   make deb              build/deb/rootcache-dkms_<ver>_all.deb, rootcachectl_<ver>_amd64.deb
#                         (ARCH=arm64: rootcachectl_<ver>_arm64.deb, its tool built by tests/vm/prepare)
#                         (installs its missing build dependencies with apt-get
#                         as root, else names them; always a freshly built tool)
#   make rpm [DIST="el8 el9 el10"]
#                         build/rpm/rootcache-dkms-<ver>-1.<dist>.noarch.rpm,
#                         rootcachectl-<ver>-1.<dist>.x86_64.rpm and the .src.rpm
#                         (default DIST=el9), checked with rpmlint
#   make install|uninstall  the module through DKMS (KVER=... for another kernel)
#   make sign             sign kmod/rootcache.ko with DKMS's MOK key pair
#   make vm-prepare       build every cached chroot and kernel ahead of time
#   make host-deps        install the host packages the above need
.PHONY: all module tool check-unit check check-arm64 check-kernels check-packages mutation-check demo bench bench-quick deb rpm rpm-deps install uninstall sign vm-prepare host-deps

KVER ?= $(shell uname -r)

all: module tool
	@echo
	@echo "built: $$(ls kmod/rootcache.ko 2>/dev/null || echo 'no module (no headers for $(KVER))') and build/userspace/rootcachectl"
	@echo "next:  make check-unit        unit tests (ctest --test-dir build/userspace)"
	@echo "       sudo insmod kmod/rootcache.ko enabled=0    only on a test machine (README.md, \"Test before installing\")"
	@echo "       make deb | make rpm    packages; make check: the whole guest suite (root, about 40 minutes)"

# The module, when the running kernel's (or KVER's) headers are there.
module:
	@if [ -e /lib/modules/$(KVER)/build/Makefile ]; then $(MAKE) -C kmod KVER=$(KVER); \
	else echo "make: no headers for $(KVER) (/lib/modules/$(KVER)/build): module not built (apt-get install linux-headers-$(KVER))"; fi

tool:
	@cmake -S userspace -B build/userspace -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build/userspace -j2

check-unit: tool
	@ctest --test-dir build/userspace --output-on-failure

host-deps:
	@tests/vm/install-host-deps

check: host-deps
	@tests/vm/check

# One arm64 guest at a time (each takes a host core under TCG, and is slow);
# no unit or sanitizer stage (the host's tool is not the guests' here).
check-arm64:
	@tests/vm/install-host-deps --arch arm64
	@ROOTCACHE_SERIES="arm64-5.10 arm64-6.1 arm64-6.12" ROOTCACHE_VM_JOBS=$${ROOTCACHE_VM_JOBS:-1} \
		ROOTCACHE_CHECK_SANITIZERS=0 ROOTCACHE_CHECK_UNIT=0 tests/vm/check
	@ROOTCACHE_PKG_SUITES="$${ROOTCACHE_PKG_SUITES:-bookworm-arm64 trixie-arm64}" \
		ROOTCACHE_PKG_FORMATS=deb tests/packages/run

# The kernel variants a tree can be built as (tests/vm/variant-VARIANT.config).
VARIANTS := $(patsubst tests/vm/variant-%.config,%,$(wildcard tests/vm/variant-*.config))

check-kernels: host-deps
	@test -n "$(KERNEL_TREES)" || { echo 'usage: make check-kernels KERNEL_TREES="DIR[@VARIANT]..." (kernel source trees; VARIANT: $(VARIANTS); see tests/vm/README.md)' >&2; exit 64; }
	@ROOTCACHE_KERNEL_TREES="$(KERNEL_TREES)" ROOTCACHE_CHECK_SANITIZERS=0 tests/vm/check

check-packages: host-deps
	@tests/packages/run

mutation-check:
	@tests/unit/mutation/run

demo: host-deps
	@tests/vm/demo

bench: host-deps
	@bench/run

bench-quick: host-deps
	@bench/run --quick

# ARCH=arm64: the arm64 tool package (its static rootcachectl is built by
# tests/vm/prepare in the arm64 chroot: packaging/build-debs).
deb:
	@packaging/build-debs $(if $(ARCH),--arch $(ARCH))

DIST ?= el9
rpm: rpm-deps
	@packaging/build-rpms $(foreach d,$(DIST),--dist $(d)) --lint

# rpmbuild and rpmlint from Debian's archive when missing.
rpm-deps:
	@command -v rpmbuild >/dev/null && command -v rpmlint >/dev/null || \
		{ echo "make rpm: installing rpm and rpmlint" >&2; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends rpm rpmlint; }

install:
	@$(MAKE) -C kmod install

uninstall:
	@$(MAKE) -C kmod uninstall

sign:
	@$(MAKE) -C kmod sign

vm-prepare: host-deps
	@tests/vm/prepare --jobs 3

# rootcache: top-level entry points. Everything runs on this host; the kernel
# module is only ever loaded inside QEMU guests (tests/vm/README.md).
#
#   make check        unit tests + selftests in guests of every kernel series
#   make demo         the seed scenario on 6.1, cgroup v1 then v2
#   make vm-prepare   build every cached chroot and kernel ahead of time
#   make host-deps    install the host packages the above need
.PHONY: all check demo vm-prepare host-deps

all: check

host-deps:
	@tests/vm/install-host-deps

check: host-deps
	@tests/vm/check

demo: host-deps
	@tests/vm/demo

vm-prepare: host-deps
	@tests/vm/prepare --jobs 3

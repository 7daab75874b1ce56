// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module for the guest harness self-test: its init warns once.
 * With panic_on_warn=1 the guest dies; either way the host must fail the run.
 * With leak=1 it leaks one object instead, for kmemleak's part of the same
 * check on kernels that have it (tests/vm/guest-init).
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "leak one object instead of warning");

static int __init warn_test_init(void)
{
	char *p;

	if (!leak) {
		WARN_ON(1);
		return 0;
	}
	p = kmalloc(256, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, 256);	/* and no reference kept */
	return 0;
}

static void __exit warn_test_exit(void)
{
}

module_init(warn_test_init);
module_exit(warn_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rootcache harness self-test: WARN_ON(1) at load, or a leak");

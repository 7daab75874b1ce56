// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module for the guest harness self-test: its init warns once.
 * With panic_on_warn=1 the guest dies; either way the host must fail the run.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init warn_test_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit warn_test_exit(void)
{
}

module_init(warn_test_init);
module_exit(warn_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rootcache harness self-test: WARN_ON(1) at load");

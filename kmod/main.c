// SPDX-License-Identifier: GPL-2.0
/* Placeholder: the real module replaces this file. */
#include <linux/module.h>

static int __init rootcache_init(void)
{
	return 0;
}

static void __exit rootcache_exit(void)
{
}

module_init(rootcache_init);
module_exit(rootcache_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");

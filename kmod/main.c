// SPDX-License-Identifier: GPL-2.0
/*
 * rootcache: charge new page cache of regular, evictable files to the root
 * memory cgroup, so that a job's cache neither counts against its limit nor
 * pins its memory cgroup after the job is gone.
 *
 * This file: load/unload order, module parameters, and the one parser of
 * boolean input shared by the parameter and sysfs.
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include "compat.h"
#include "rootcache.h"

bool rootcache_enabled;
struct mem_cgroup *rootcache_root_memcg;

/**
 * rootcache_parse_bool - strict boolean parser for user input
 * @buf: input, not necessarily NUL-terminated
 * @count: length of @buf
 * @res: result on success
 *
 * kstrtobool() looks at the first characters only ("yak" is true); a control
 * file must refuse anything it does not fully understand. Accepts exactly one
 * of the listed words, in any case, optionally followed by one newline.
 *
 * Return: 0 or -EINVAL.
 */
int rootcache_parse_bool(const char *buf, size_t count, bool *res)
{
	static const struct {
		const char *word;
		bool value;
	} forms[] = {
		{ "1", true }, { "y", true }, { "yes", true },
		{ "on", true }, { "true", true },
		{ "0", false }, { "n", false }, { "no", false },
		{ "off", false }, { "false", false },
	};
	size_t len = count;
	size_t i;

	if (len && buf[len - 1] == '\n')
		len--;
	for (i = 0; i < ARRAY_SIZE(forms); i++) {
		if (strlen(forms[i].word) == len &&
		    !strncasecmp(buf, forms[i].word, len)) {
			*res = forms[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * A switch parameter (kp->arg is the bool), through the strict parser.
 * Without a value ("modprobe rootcache enabled") it means on; only ops with
 * KERNEL_PARAM_OPS_FL_NOARG are called without one.
 */
static int switch_param_set(const char *val, const struct kernel_param *kp)
{
	bool value = true;
	int err;

	if (val) {
		err = rootcache_parse_bool(val, strlen(val), &value);
		if (err)
			return err;
	}
	WRITE_ONCE(*(bool *)kp->arg, value);
	return 0;
}

static const struct kernel_param_ops enabled_param_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = switch_param_set,
	.get = param_get_bool,
};

/* Read-only here: /sys/kernel/rootcache/enabled is the one switch. */
module_param_cb(enabled, &enabled_param_ops, &rootcache_enabled, 0444);
MODULE_PARM_DESC(enabled, "Charge new regular-file page cache to root (default 0)");

static const struct kernel_param_ops metadata_param_ops = {
	.set = switch_param_set,
	.get = param_get_bool,
};

/* The initial value; /sys/kernel/rootcache/metadata changes it later. */
module_param_cb(metadata, &metadata_param_ops, &rootcache_metadata, 0444);
MODULE_PARM_DESC(metadata, "Also charge filesystem metadata cache to root (default 1)");

int rootcache_maxactive;
module_param_named(maxactive, rootcache_maxactive, int, 0444);
MODULE_PARM_DESC(maxactive,
		 "Concurrent calls of the probed function that can be tracked (0: default, 512)");

static int __init rootcache_init(void)
{
	int err;

	if (mem_cgroup_disabled()) {
		pr_err("memory cgroup controller is disabled (cgroup_disable=memory); not loading\n");
		return -ENODEV;
	}
	rcu_read_lock();
	rootcache_root_memcg = mem_cgroup_from_task(&init_task);
	rcu_read_unlock();
	if (!rootcache_root_memcg) {
		pr_err("cannot find the root memory cgroup; not loading\n");
		return -ENODEV;
	}

	if (rootcache_maxactive <= 0)
		rootcache_maxactive = ROOTCACHE_MAXACTIVE_DEFAULT;

	err = rootcache_hook_start();
	if (err)
		return err;

	err = rootcache_sysfs_init();
	if (err) {
		pr_err("cannot create /sys/kernel/rootcache (%d); not loading\n", err);
		rootcache_hook_stop();
		rootcache_scope_exit();
		rootcache_target_exit();
		return err;
	}

	pr_info("version %s loaded, probing %s, %s\n", ROOTCACHE_VERSION,
		rootcache_hook_symbol,
		READ_ONCE(rootcache_enabled) ? "enabled" : "disabled");
	return 0;
}

static void __exit rootcache_exit(void)
{
	rootcache_sysfs_exit();
	/* Returns with no redirected call in flight (see hook.c). */
	rootcache_hook_stop();
	rootcache_scope_exit();
	rootcache_target_exit();
	pr_info("unloaded (probe misses: %lu)\n", rootcache_hook_misses());
}

module_init(rootcache_init);
module_exit(rootcache_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Charge regular-file page cache to the root memory cgroup");
MODULE_VERSION(ROOTCACHE_VERSION);

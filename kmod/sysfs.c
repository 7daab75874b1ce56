// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/rootcache/: the control ABI, documented in
 * Documentation/ABI/testing/sysfs-kernel-rootcache. One value per file;
 * writable files are root-only (0644) and refuse anything malformed with
 * -EINVAL, changing nothing.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/string.h>
#include "compat.h"
#include "rootcache.h"

static struct kobject *rootcache_kobj;

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(rootcache_enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool value;
	int err;

	err = rootcache_parse_bool(buf, count, &value);
	if (err)
		return err;
	/* A hook that did not redirect cannot be trusted again until reload. */
	if (value && rootcache_hook_failed())
		return -EIO;
	WRITE_ONCE(rootcache_enabled, value);
	return count;
}

static ssize_t metadata_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(rootcache_metadata));
}

static ssize_t metadata_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	bool value;
	int err;

	err = rootcache_parse_bool(buf, count, &value);
	if (err)
		return err;
	WRITE_ONCE(rootcache_metadata, value);
	return count;
}

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", ROOTCACHE_VERSION);
}

static ssize_t hook_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", rootcache_hook_symbol);
}

static ssize_t hook_mechanism_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", rootcache_hook_mechanism());
}

static ssize_t hook_state_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	static const char *const names[] = {
		[RC_HOOK_OK] = "ok",
		[RC_HOOK_PARTIAL] = "partial",
		[RC_HOOK_DISARMED] = "disarmed",
		[RC_HOOK_FAILED] = "failed",
	};
	unsigned int pos = 0;
	const char *part;
	int len;

	/* The state, then the optional parts that are missing, if any. */
	len = sysfs_emit(buf, "%s", names[rootcache_hook_state()]);
	while ((part = rootcache_hook_missing(&pos)))
		len += sysfs_emit_at(buf, len, " %s", part);
	return len + sysfs_emit_at(buf, len, "\n");
}

static ssize_t target_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n", rootcache_target_id());
}

static ssize_t target_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int err = rootcache_target_write(buf, count);

	return err ? err : count;
}

static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);
static struct kobj_attribute target_attr = __ATTR_RW(target);
static struct kobj_attribute metadata_attr = __ATTR_RW(metadata);
static struct kobj_attribute version_attr = __ATTR_RO(version);
static struct kobj_attribute hook_attr = __ATTR_RO(hook);
static struct kobj_attribute hook_mechanism_attr = __ATTR_RO(hook_mechanism);
static struct kobj_attribute hook_state_attr = __ATTR_RO(hook_state);

static struct attribute *rootcache_attrs[] = {
	&enabled_attr.attr,
	&metadata_attr.attr,
	&target_attr.attr,
	&version_attr.attr,
	&hook_attr.attr,
	&hook_mechanism_attr.attr,
	&hook_state_attr.attr,
	NULL,
};

static const struct attribute_group rootcache_group = {
	.attrs = rootcache_attrs,
};

/* stats/: one read-only counter per file. */
struct stat_attribute {
	struct kobj_attribute attr;
	int item;	/* enum rootcache_stat, or -1 for probe_misses */
};

static ssize_t stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	const struct stat_attribute *sa =
		container_of(attr, struct stat_attribute, attr);

	if (sa->item < 0)
		return sysfs_emit(buf, "%lu\n", rootcache_hook_misses());
	return sysfs_emit(buf, "%ld\n", rootcache_stat_sum(sa->item));
}

#define STAT_ATTR(_name, _item)						\
	static struct stat_attribute stat_##_name = {			\
		.attr = __ATTR(_name, 0444, stat_show, NULL),		\
		.item = (_item),					\
	}

STAT_ATTR(redirected_folios, RC_STAT_REDIRECTED_FOLIOS);
STAT_ATTR(redirected_bytes, RC_STAT_REDIRECTED_BYTES);
STAT_ATTR(skipped_unevictable, RC_STAT_SKIPPED_UNEVICTABLE);
STAT_ATTR(skipped_not_regular, RC_STAT_SKIPPED_NOT_REGULAR);
STAT_ATTR(skipped_out_of_scope, RC_STAT_SKIPPED_OUT_OF_SCOPE);
STAT_ATTR(in_flight, RC_STAT_IN_FLIGHT);
STAT_ATTR(redirected_inode_writeback, RC_STAT_REDIRECTED_INODE_WB);
STAT_ATTR(redirect_failed, RC_STAT_REDIRECT_FAILED);
STAT_ATTR(redirected_metadata_folios, RC_STAT_REDIRECTED_METADATA);
STAT_ATTR(redirected_collapses, RC_STAT_REDIRECTED_COLLAPSES);
STAT_ATTR(target_fallbacks, RC_STAT_TARGET_FALLBACKS);
STAT_ATTR(probe_misses, -1);

static struct attribute *stats_attrs[] = {
	&stat_redirected_folios.attr.attr,
	&stat_redirected_bytes.attr.attr,
	&stat_skipped_unevictable.attr.attr,
	&stat_skipped_not_regular.attr.attr,
	&stat_skipped_out_of_scope.attr.attr,
	&stat_in_flight.attr.attr,
	&stat_redirected_inode_writeback.attr.attr,
	&stat_redirect_failed.attr.attr,
	&stat_redirected_metadata_folios.attr.attr,
	&stat_redirected_collapses.attr.attr,
	&stat_target_fallbacks.attr.attr,
	&stat_probe_misses.attr.attr,
	NULL,
};

static const struct attribute_group stats_group = {
	.name = "stats",
	.attrs = stats_attrs,
};

/* scope: a binary attribute, since 1024 IDs do not fit one page. */
static ssize_t scope_read(struct file *file, struct kobject *kobj,
			  ROOTCACHE_BIN_ATTR_CONST struct bin_attribute *attr,
			  char *buf, loff_t off, size_t count)
{
	return rootcache_scope_read(buf, off, count);
}

static ssize_t scope_write(struct file *file, struct kobject *kobj,
			   ROOTCACHE_BIN_ATTR_CONST struct bin_attribute *attr,
			   char *buf, loff_t off, size_t count)
{
	int err;

	/* One command per write(2), from its start. */
	if (off)
		return -EINVAL;
	err = rootcache_scope_write(buf, count);
	return err ? err : count;
}

static struct bin_attribute scope_attr = {
	.attr = { .name = "scope", .mode = 0644 },
	.ROOTCACHE_BIN_READ = scope_read,
	.ROOTCACHE_BIN_WRITE = scope_write,
};

int rootcache_sysfs_init(void)
{
	int err;

	rootcache_kobj = kobject_create_and_add("rootcache", kernel_kobj);
	if (!rootcache_kobj)
		return -ENOMEM;
	err = sysfs_create_group(rootcache_kobj, &rootcache_group);
	if (err)
		goto put;
	err = sysfs_create_group(rootcache_kobj, &stats_group);
	if (err)
		goto put;
	err = sysfs_create_bin_file(rootcache_kobj, &scope_attr);
	if (err)
		goto put;
	return 0;
put:
	/* Dropping the last reference removes every file created so far. */
	kobject_put(rootcache_kobj);
	rootcache_kobj = NULL;
	return err;
}

void rootcache_sysfs_exit(void)
{
	kobject_put(rootcache_kobj);
	rootcache_kobj = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Which page-cache insertions are moved to root. Only reclaimable cache of
 * regular files moves: memory a job could use to escape its own limit
 * (ramfs, secretmem, guest_memfd, shmem, anything unevictable) keeps its
 * normal charge.
 */
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/magic.h>
#include <linux/rcupdate.h>
#include <linux/preempt.h>
#include "compat.h"
#include "rootcache.h"

#ifndef SECRETMEM_MAGIC
#define SECRETMEM_MAGIC 0x5345434d
#endif

/* Cleared once at unload, before the probe goes away. */
static bool policy_live = true;

void rootcache_policy_stop(void)
{
	WRITE_ONCE(policy_live, false);
}

/* Filesystems whose "page cache" is the memory itself. */
static bool memory_backed_fs(const struct super_block *sb)
{
	switch (sb->s_magic) {
	case RAMFS_MAGIC:
	case TMPFS_MAGIC:	/* shmem charges itself; this is belt and braces */
	case SECRETMEM_MAGIC:
	case HUGETLBFS_MAGIC:
		return true;
	default:
		return false;
	}
}

/**
 * rootcache_classify - decide whether an insertion is charged to root
 * @mapping: the page cache the folio joins
 *
 * Runs in probe context (preemption disabled, may not sleep).
 */
enum rootcache_verdict rootcache_classify(struct address_space *mapping)
{
	struct inode *host;
	bool admitted;

	if (!READ_ONCE(rootcache_enabled) || !READ_ONCE(policy_live))
		return RC_OFF;
	/* The charge follows the task; interrupts have no task to follow. */
	if (!in_task())
		return RC_OFF;

	host = mapping ? mapping->host : NULL;
	if (!host || !S_ISREG(host->i_mode))
		return RC_SKIP_NOT_REGULAR;
	if (mapping_unevictable(mapping) || memory_backed_fs(host->i_sb))
		return RC_SKIP_UNEVICTABLE;

	rcu_read_lock();
	admitted = rootcache_scope_admits(rootcache_charge_css());
	rcu_read_unlock();
	return admitted ? RC_REDIRECT : RC_SKIP_OUT_OF_SCOPE;
}

/**
 * rootcache_should_redirect - rootcache_classify() for one folio, counted
 * @mapping: the page cache the folio joins
 *
 * Counts every folio it declines while enabled, by reason.
 */
bool rootcache_should_redirect(struct address_space *mapping)
{
	switch (rootcache_classify(mapping)) {
	case RC_REDIRECT:
		return true;
	case RC_SKIP_NOT_REGULAR:
		rootcache_stat_add(RC_STAT_SKIPPED_NOT_REGULAR, 1);
		return false;
	case RC_SKIP_UNEVICTABLE:
		rootcache_stat_add(RC_STAT_SKIPPED_UNEVICTABLE, 1);
		return false;
	case RC_SKIP_OUT_OF_SCOPE:
		rootcache_stat_add(RC_STAT_SKIPPED_OUT_OF_SCOPE, 1);
		return false;
	default:
		return false;
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Which page-cache insertions are moved to root. Only reclaimable cache of
 * regular files moves, and with "metadata" on the filesystems' own
 * reclaimable caches: memory a job could use to escape its own limit
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
#include "scope.h"

#ifndef SECRETMEM_MAGIC
#define SECRETMEM_MAGIC 0x5345434d
#endif
/* fs/ext4/ext4.h: the buddy cache's private inode takes this number. */
#define ROOTCACHE_EXT4_BAD_INO 1

bool rootcache_metadata = true;

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

/*
 * Page cache that filesystems fill for their own metadata, reclaimable like
 * file data: the block device's cache (bitmaps, inode tables, directory
 * blocks, the journal's buffers) and, by an allowlist, private inodes of
 * mode 0. Other inodes without a file type (the aio ring, anonymous inodes)
 * hold memory a job pins and stay with the job.
 */
static bool metadata_mapping(const struct inode *host)
{
	const struct super_block *sb = host->i_sb;

	if (S_ISBLK(host->i_mode))
		return sb->s_magic == BDEVFS_MAGIC;
	/* ext4's buddy cache (fs/ext4/mballoc.c, ext4_mb_init_backend()). */
	return !(host->i_mode & S_IFMT) && sb->s_magic == EXT4_SUPER_MAGIC &&
	       host->i_ino == ROOTCACHE_EXT4_BAD_INO;
}

static bool redirecting(void)
{
	if (!READ_ONCE(rootcache_enabled) || !READ_ONCE(policy_live))
		return false;
	/* The charge follows the task; interrupts have no task to follow. */
	return in_task();
}

/*
 * @verdict if the memory cgroup the charge would go to is in the scope: the
 * current task's (the hot path, scope.h), or with @mm, that of @mm's owner.
 */
static __always_inline enum rootcache_verdict
scoped(enum rootcache_verdict verdict, struct mm_struct *mm)
{
	struct cgroup_subsys_state *css;
	bool admitted;

	if (rootcache_scope_empty())
		return verdict;
	if (!mm) {
		admitted = rootcache_scope_admits_current();
	} else {
		rcu_read_lock();
		css = rootcache_mm_css(mm);
		admitted = css && rootcache_scope_admits(css);
		rcu_read_unlock();
	}
	return admitted ? verdict : RC_SKIP_OUT_OF_SCOPE;
}

/*
 * Inline: rootcache_should_redirect() runs it for every inserted folio.
 * @scope_checked: the caller found the task in scope just before (the
 * ftrace callback, hook_wrap.c): the scope is not asked again.
 */
static __always_inline enum rootcache_verdict
classify(struct address_space *mapping, struct mm_struct *mm,
	 bool scope_checked)
{
	enum rootcache_verdict verdict = RC_REDIRECT;
	struct inode *host;

	if (!redirecting())
		return RC_OFF;

	host = mapping ? mapping->host : NULL;
	if (!host)
		return RC_SKIP_NOT_REGULAR;
	if (!S_ISREG(host->i_mode)) {
		if (!READ_ONCE(rootcache_metadata) || !metadata_mapping(host))
			return RC_SKIP_NOT_REGULAR;
		verdict = RC_REDIRECT_METADATA;
	}
	if (mapping_unevictable(mapping) || memory_backed_fs(host->i_sb))
		return RC_SKIP_UNEVICTABLE;
	return scope_checked ? verdict : scoped(verdict, mm);
}

/**
 * rootcache_classify - decide whether an insertion is charged to root
 * @mapping: the page cache the folio joins
 *
 * Runs in probe context (preemption disabled, may not sleep).
 */
enum rootcache_verdict rootcache_classify(struct address_space *mapping)
{
	return classify(mapping, NULL, false);
}

/**
 * rootcache_classify_for_mm - rootcache_classify() for a folio charged
 * with @mm (khugepaged's collapse): the scope is that of @mm's owner
 * @mapping: the page cache the folio joins
 * @mm: the mm the charge names
 */
enum rootcache_verdict rootcache_classify_for_mm(struct address_space *mapping,
						 struct mm_struct *mm)
{
	return classify(mapping, mm, false);
}

/**
 * rootcache_classify_writeback - whether an inode dirtied without a page
 * attaches to root's writeback
 * @inode: the inode __inode_attach_wb() attaches
 *
 * Inodes whose cache moves, and with "metadata" on, directories and
 * symlinks: dirtying them is filesystem metadata, whose cache moves too.
 * Left on the job's writeback context they would keep its removed cgroup
 * dying (for good on 5.10, which never switches an inode's context).
 */
enum rootcache_verdict rootcache_classify_writeback(struct inode *inode)
{
	if (S_ISDIR(inode->i_mode) || S_ISLNK(inode->i_mode)) {
		if (!redirecting())
			return RC_OFF;
		if (!READ_ONCE(rootcache_metadata))
			return RC_SKIP_NOT_REGULAR;
		return scoped(RC_REDIRECT_METADATA, NULL);
	}
	return rootcache_classify(inode->i_mapping);
}

/**
 * rootcache_should_redirect - rootcache_classify() for one folio, counted
 * @mapping: the page cache the folio joins
 * @scope_checked: rootcache_scope_admits_current() was true just before
 *
 * Counts every folio it declines while enabled, by reason.
 */
enum rootcache_verdict rootcache_should_redirect(struct address_space *mapping,
						 bool scope_checked)
{
	enum rootcache_verdict verdict = classify(mapping, NULL, scope_checked);

	switch (verdict) {
	case RC_SKIP_NOT_REGULAR:
		rootcache_stat_add(RC_STAT_SKIPPED_NOT_REGULAR, 1);
		break;
	case RC_SKIP_UNEVICTABLE:
		rootcache_stat_add(RC_STAT_SKIPPED_UNEVICTABLE, 1);
		break;
	case RC_SKIP_OUT_OF_SCOPE:
		rootcache_stat_add(RC_STAT_SKIPPED_OUT_OF_SCOPE, 1);
		break;
	default:
		break;
	}
	return verdict;
}

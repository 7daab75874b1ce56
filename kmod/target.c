// SPDX-License-Identifier: GPL-2.0
/*
 * The cache pool: the memory cgroup that redirected cache is charged to.
 * Unset (the default), it is root; /sys/kernel/rootcache/target names a
 * pool by cgroup ID, e.g. pagecache.slice (the slice unit systemd makes
 * at /sys/fs/cgroup/pagecache.slice) with a memory.max
 * and an io.weight, so that the cache still obeys limits and jobs still
 * leave nothing behind.
 *
 * The set target is an RCU-published, never modified record. While it names
 * a live pool it holds a css reference on the pool (so the module never
 * works with a freed memcg) and one accounted kernel page charged to the
 * pool, which __inode_attach_wb() is handed for inodes dirtied without a
 * page (hook_charge.c): the inode's writeback then belongs to the pool's
 * writeback context, like its cache.
 *
 * Every redirected call takes its own reference with css_tryget_online()
 * (a per-CPU increment) and drops it on return: a charge in flight always
 * names a memcg it holds, whatever happens to the target meanwhile. That
 * tryget is also the online check: it fails as soon as rmdir kills the
 * pool's css. The call then goes to root and counts in
 * stats/target_fallbacks, and a work item replaces the record by one that
 * keeps the ID but no pool, dropping the module's references (one log line).
 * A delayed work item looks every ROOTCACHE_TARGET_POLL_MS as well, so that
 * an idle node does not keep a removed pool dying.
 *
 * 5.10 to 5.13 (!ROOTCACHE_POOL_SUPPORTED, compat.h): the charge there
 * ignores active_memcg, and the mm rewrite can only name root; a non-root
 * target is refused with -EOPNOTSUPP.
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include <linux/cgroup.h>
#include <linux/ctype.h>
#include <linux/gfp.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include "compat.h"
#include "rootcache.h"

#define ROOTCACHE_TARGET_POLL_MS 2000

struct rootcache_target {
	struct rcu_head rcu;
	u64 id;
	/* NULL once the pool is gone: redirected cache then goes to root. */
	struct mem_cgroup *memcg;
	/* Charged to the pool, for page-less writeback attachment; or NULL. */
	struct page *wb_page;
	/* Set by the first caller that finds the pool gone. */
	unsigned long gone;
};

/*
 * NULL: no target, redirected cache goes to root. Never set on 5.10 to
 * 5.13, where rootcache_redirect_memcg() (redirect.h) takes root at
 * compile time.
 */
struct rootcache_target __rcu *rootcache_target_set;
static DEFINE_MUTEX(target_mutex);

static void target_gone_fn(struct work_struct *work);
static void target_poll_fn(struct work_struct *work);
static DECLARE_WORK(target_gone_work, target_gone_fn);
static DECLARE_DELAYED_WORK(target_poll_work, target_poll_fn);

static void target_fallback(struct rootcache_target *t)
{
	rootcache_stat_add(RC_STAT_TARGET_FALLBACKS, 1);
	if (t->memcg && !test_and_set_bit(0, &t->gone))
		schedule_work(&target_gone_work);
}

/**
 * rootcache_pool_memcg - rootcache_redirect_memcg() when a target may be set
 *
 * The pool's memory cgroup, with a reference, if a target is set and the
 * pool is online, else root (a pool found removed counts in
 * stats/target_fallbacks). Does not sleep: called from the ftrace wrapper
 * and from probe handlers (preemption off).
 *
 * Return: never NULL.
 */
struct mem_cgroup *rootcache_pool_memcg(void)
{
	struct mem_cgroup *memcg = rootcache_root_memcg;
	struct rootcache_target *t;

	rcu_read_lock();
	t = rcu_dereference(rootcache_target_set);
	if (t) {
		if (t->memcg && css_tryget_online(&t->memcg->css))
			memcg = t->memcg;
		else
			target_fallback(t);
	}
	rcu_read_unlock();
	return memcg;
}

/**
 * rootcache_redirect_wb_arg - what __inode_attach_wb() is handed for an
 * inode dirtied without a page whose cache is redirected
 *
 * The pool's page while the pool is online, else the zero page (root).
 * Called from the probe on __inode_attach_wb(), whose callers hold a
 * spinlock (the inode's i_lock): the page stays valid until the function
 * returns, because a retired record's page is freed only after a grace
 * period, and the module's reference keeps the pool's css alive as long.
 */
void *rootcache_redirect_wb_arg(void)
{
	struct rootcache_target *t;
	void *arg = rootcache_wb_root_arg();

	rcu_read_lock();
	t = rcu_dereference(rootcache_target_set);
	if (t) {
		if (t->memcg && (READ_ONCE(t->memcg->css.flags) & CSS_ONLINE) &&
		    !css_is_dying(&t->memcg->css)) {
			if (t->wb_page)
				arg = t->wb_page;
		} else {
			target_fallback(t);
		}
	}
	rcu_read_unlock();
	return arg;
}

/*
 * A kernel page charged to @memcg (kmem, through its obj_cgroup), or NULL
 * when kernel memory accounting is off (cgroup.memory=nokmem): the
 * attachment then stays with root. Process context.
 */
static struct page *target_wb_page(struct mem_cgroup *memcg)
{
	struct mem_cgroup *saved = current->active_memcg;
	struct page *page;
	bool charged;

	current->active_memcg = memcg;
	page = alloc_page(GFP_KERNEL_ACCOUNT);
	current->active_memcg = saved;
	if (!page)
		return NULL;
	charged = rootcache_folio_charged_to(page, memcg);
	if (!charged) {
		pr_info("kernel memory of memory cgroup %llu is not accounted: inodes dirtied without a page attach to root's writeback\n",
			cgroup_id(memcg->css.cgroup));
		__free_page(page);
		return NULL;
	}
	return page;
}

/* Drop what a record holds; it is no longer published. */
static void target_free(struct rootcache_target *t)
{
	if (!t)
		return;
	/* Probe handlers and __inode_attach_wb() callers run atomic. */
	synchronize_rcu();
	if (t->wb_page)
		__free_page(t->wb_page);
	if (t->memcg)
		css_put(&t->memcg->css);
	kfree(t);
}

static void target_publish(struct rootcache_target *next)
{
	struct rootcache_target *prev;

	prev = rcu_replace_pointer(rootcache_target_set, next,
				   lockdep_is_held(&target_mutex));
	if (next && next->memcg)
		mod_delayed_work(system_wq, &target_poll_work,
				 msecs_to_jiffies(ROOTCACHE_TARGET_POLL_MS));
	target_free(prev);
}

static bool target_pool_gone(const struct rootcache_target *t)
{
	return t->memcg && (!(READ_ONCE(t->memcg->css.flags) & CSS_ONLINE) ||
			    css_is_dying(&t->memcg->css));
}

/*
 * If the published pool is gone, replace the record by one that keeps the
 * ID and nothing else. Caller holds target_mutex.
 */
static void target_check_locked(void)
{
	struct rootcache_target *cur, *next;

	cur = rcu_dereference_protected(rootcache_target_set,
					lockdep_is_held(&target_mutex));
	if (!cur || !target_pool_gone(cur))
		return;
	next = kzalloc(sizeof(*next), GFP_KERNEL);
	if (!next) {
		/* Retry later; the hot path already falls back. */
		schedule_delayed_work(&target_poll_work,
				      msecs_to_jiffies(ROOTCACHE_TARGET_POLL_MS));
		return;
	}
	next->id = cur->id;
	pr_warn("target memory cgroup %llu was removed: redirected cache goes to root (stats/target_fallbacks)\n",
		cur->id);
	target_publish(next);
}

static void target_gone_fn(struct work_struct *work)
{
	mutex_lock(&target_mutex);
	target_check_locked();
	mutex_unlock(&target_mutex);
}

static void target_poll_fn(struct work_struct *work)
{
	struct rootcache_target *cur;

	mutex_lock(&target_mutex);
	target_check_locked();
	cur = rcu_dereference_protected(rootcache_target_set,
					lockdep_is_held(&target_mutex));
	if (cur && cur->memcg)
		schedule_delayed_work(&target_poll_work,
				      msecs_to_jiffies(ROOTCACHE_TARGET_POLL_MS));
	mutex_unlock(&target_mutex);
}

/*
 * The online memory cgroup with cgroup ID @id, with a reference, or NULL.
 * The walk covers the hierarchy the memory controller is on; a cgroup
 * without its own memory css (v2, controller not enabled there) is not in
 * it. Process context.
 */
static struct mem_cgroup *memcg_get_online(u64 id)
{
	struct cgroup_subsys_state *pos, *found = NULL;

	rcu_read_lock();
	css_for_each_descendant_pre(pos, &rootcache_root_memcg->css) {
		if (cgroup_id(pos->cgroup) == id) {
			if ((pos->flags & CSS_ONLINE) && css_tryget_online(pos))
				found = pos;
			break;
		}
	}
	rcu_read_unlock();
	return found ? mem_cgroup_from_css(found) : NULL;
}

/* Empty, "0", or decimal digits; optionally one trailing newline. */
static int parse_target(const char *buf, size_t count, u64 *id)
{
	char tmp[24];
	size_t len = count;
	size_t i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len) {
		*id = 0;
		return 0;
	}
	if (len >= sizeof(tmp))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isdigit(buf[i]))
			return -EINVAL;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	return kstrtou64(tmp, 10, id) ? -EINVAL : 0;
}

/**
 * rootcache_target_write - set or clear the pool
 * @buf: a cgroup ID in decimal; empty or "0" (or root's ID) means root
 * @count: length of @buf
 *
 * Return: 0, -EINVAL (malformed), -ENOENT (no online memory cgroup has that
 * ID), -EOPNOTSUPP (a pool on 5.10 to 5.13) or -ENOMEM. On error nothing
 * changes.
 */
int rootcache_target_write(const char *buf, size_t count)
{
	struct rootcache_target *next = NULL;
	struct mem_cgroup *memcg = NULL;
	u64 id;
	int err;

	err = parse_target(buf, count, &id);
	if (err)
		return err;
	if (id) {
		memcg = memcg_get_online(id);
		if (!memcg)
			return -ENOENT;
		if (memcg == rootcache_root_memcg) {
			memcg = NULL;
			id = 0;
		}
	}
	if (memcg && !ROOTCACHE_POOL_SUPPORTED) {
		css_put(&memcg->css);
		return -EOPNOTSUPP;
	}
	if (memcg) {
		next = kzalloc(sizeof(*next), GFP_KERNEL);
		if (!next) {
			css_put(&memcg->css);
			return -ENOMEM;
		}
		next->id = id;
		next->memcg = memcg;
		next->wb_page = target_wb_page(memcg);
	}
	mutex_lock(&target_mutex);
	target_publish(next);
	mutex_unlock(&target_mutex);
	if (memcg)
		pr_info("redirected cache goes to memory cgroup %llu\n", id);
	return 0;
}

/* The set ID (kept after the pool is removed), or 0. */
u64 rootcache_target_id(void)
{
	struct rootcache_target *cur;
	u64 id;

	mutex_lock(&target_mutex);
	target_check_locked();
	cur = rcu_dereference_protected(rootcache_target_set,
					lockdep_is_held(&target_mutex));
	id = cur ? cur->id : 0;
	mutex_unlock(&target_mutex);
	return id;
}

/* Unload: no redirected call is in flight, and no probe can fire. */
void rootcache_target_exit(void)
{
	cancel_work_sync(&target_gone_work);
	cancel_delayed_work_sync(&target_poll_work);
	mutex_lock(&target_mutex);
	target_publish(NULL);
	mutex_unlock(&target_mutex);
	/* The poll may have re-armed itself before the record went. */
	cancel_delayed_work_sync(&target_poll_work);
}

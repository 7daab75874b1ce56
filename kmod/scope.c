// SPDX-License-Identifier: GPL-2.0
/*
 * Scope: the cgroup subtrees whose page cache is redirected. Empty means
 * every cgroup. The set is a sorted array of cgroup IDs published with RCU;
 * updates copy the array under a mutex, and every published copy carries a
 * generation of its own.
 *
 * The hot path takes no lock. Whether a memory cgroup is inside the scope
 * (an ancestor's ID is listed) is a pure function of that css and of the
 * published set: a css's ancestors and their IDs never change while it
 * lives, and a published set is never modified. So the answer is cached per
 * CPU, keyed by the css's serial number (css->serial_nr: 64 bits, counted
 * up at every css creation, never reused within a boot) and the set's
 * generation (64 bits, one per published set, never reused). A scope write
 * publishes a new generation, which no cached entry carries; a new cgroup
 * has a new serial number, which no entry carries; a removed cgroup's
 * entries can match no other css. A hit costs about as much as the global
 * mode; a miss walks the ancestors (a binary search per level) and fills the
 * slot. Documentation/rootcache.rst, "Scope", gives the whole argument.
 */
#include <linux/cgroup.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include "compat.h"
#include "rootcache.h"
#include "scope.h"

/* NULL when empty: the global mode (rootcache_scope_empty()). */
struct rootcache_scope __rcu *rootcache_scope_set;
DEFINE_STATIC_KEY_FALSE(rootcache_scoped);
static DEFINE_MUTEX(scope_mutex);
/* Written under scope_mutex (scope_publish()), read by the hot path. */
u64 rootcache_scope_gen;

DEFINE_PER_CPU(struct rootcache_scope_cache, rootcache_scope_cache);

static bool scope_contains(const struct rootcache_scope *scope, u64 id)
{
	unsigned int lo = 0, hi = scope->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (scope->ids[mid] == id)
			return true;
		if (scope->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* @css or one of its ancestors is listed: O(depth * log(entries)). */
static bool scope_walk(const struct rootcache_scope *scope,
		       struct cgroup_subsys_state *css)
{
	for (; css; css = css->parent)
		if (scope_contains(scope, cgroup_id(css->cgroup)))
			return true;
	return false;
}

/**
 * rootcache_scope_fill - the slow path of rootcache_scope_admits_cached()
 * @css: the memory cgroup
 *
 * Preemption is off: the cache is this CPU's. A cache of another
 * generation is emptied first.
 *
 * Return: whether @css is inside the published set, also stored in @css's
 * slot; true when no set is published (a clear racing with the caller).
 */
bool rootcache_scope_fill(struct cgroup_subsys_state *css)
{
	struct rootcache_scope_cache *cache = this_cpu_ptr(&rootcache_scope_cache);
	const struct rootcache_scope *scope;
	bool admitted;

	/*
	 * The set's own generation tags the cache, not rootcache_scope_gen,
	 * which a write sets before it publishes the set: a reader between
	 * the two reads the previous set, and tags its verdicts with that
	 * set's generation.
	 */
	scope = rcu_dereference_sched(rootcache_scope_set);
	if (!scope)
		return true;
	if (cache->gen != scope->gen) {
		memset(cache, 0, sizeof(*cache));
		cache->gen = scope->gen;
	}
	admitted = scope_walk(scope, css);
	cache->slot[css->serial_nr % ROOTCACHE_SCOPE_SLOTS] =
		css->serial_nr << 1 | admitted;
	return admitted;
}

/**
 * rootcache_scope_admits - is a memory cgroup inside the scope?
 * @css: the memory cgroup's css; caller holds rcu_read_lock()
 *
 * True when the scope is empty, or when @css or one of its ancestors is
 * listed. Task context (the caller checks), no lock, no sleep.
 */
bool rootcache_scope_admits(struct cgroup_subsys_state *css)
{
	bool admitted;

	if (rootcache_scope_empty())
		return true;
	preempt_disable();
	admitted = rootcache_scope_admits_cached(css);
	preempt_enable();
	return admitted;
}

/*
 * A live memory cgroup with this ID exists in the memory hierarchy. rmdir
 * kills the css at once but clears CSS_ONLINE only after a grace period:
 * check both.
 */
static bool memcg_id_is_live(u64 id)
{
	struct cgroup_subsys_state *pos;
	bool live = false;

	rcu_read_lock();
	css_for_each_descendant_pre(pos, &rootcache_root_memcg->css) {
		if (cgroup_id(pos->cgroup) == id) {
			live = (pos->flags & CSS_ONLINE) && !css_is_dying(pos);
			break;
		}
	}
	rcu_read_unlock();
	return live;
}

static struct rootcache_scope *scope_alloc(unsigned int nr)
{
	struct rootcache_scope *scope;

	scope = kmalloc(struct_size(scope, ids, nr), GFP_KERNEL);
	if (scope)
		scope->nr = nr;
	return scope;
}

/*
 * Replace the published set; @next may be NULL (empty). Its generation is
 * set, and made the hot path's rootcache_scope_gen, before
 * rcu_replace_pointer() publishes it (a release): a reader that sees the new
 * set sees its generation.
 *
 * rootcache_scoped follows: switched on after the first set is published,
 * off before the last is withdrawn, so that a reader that finds the key on
 * and reads no set admits everyone, which is what the write that cleared it
 * asks for. The switch patches the code on every CPU before it returns: an
 * insertion that starts after the write returns sees the new mode. It
 * sleeps (cpus_read_lock(), the jump-label mutex), hence scope_mutex, a
 * mutex no other lock nests in.
 */
static void scope_publish(struct rootcache_scope *next)
{
	struct rootcache_scope *prev;

	if (next) {
		next->gen = rootcache_scope_gen + 1;
		/* Before the set: see rootcache_scope_fill(). */
		WRITE_ONCE(rootcache_scope_gen, next->gen);
	} else {
		static_branch_disable(&rootcache_scoped);
	}
	prev = rcu_replace_pointer(rootcache_scope_set, next,
				   lockdep_is_held(&scope_mutex));
	if (next)
		static_branch_enable(&rootcache_scoped);
	if (prev)
		kfree_rcu(prev, rcu);
}

static int scope_add(u64 id)
{
	struct rootcache_scope *cur, *next;
	unsigned int nr, pos;

	cur = rcu_dereference_protected(rootcache_scope_set,
					lockdep_is_held(&scope_mutex));
	nr = cur ? cur->nr : 0;
	/* Before the duplicate check: re-adding a stale ID must say so. */
	if (!memcg_id_is_live(id))
		return -ENOENT;
	if (cur && scope_contains(cur, id))
		return 0;
	if (nr >= ROOTCACHE_SCOPE_MAX)
		return -ENOSPC;

	next = scope_alloc(nr + 1);
	if (!next)
		return -ENOMEM;
	for (pos = 0; pos < nr && cur->ids[pos] < id; pos++)
		next->ids[pos] = cur->ids[pos];
	next->ids[pos] = id;
	for (; pos < nr; pos++)
		next->ids[pos + 1] = cur->ids[pos];
	scope_publish(next);
	return 0;
}

static int scope_del(u64 id)
{
	struct rootcache_scope *cur, *next = NULL;
	unsigned int i, j;

	cur = rcu_dereference_protected(rootcache_scope_set,
					lockdep_is_held(&scope_mutex));
	if (!cur || !scope_contains(cur, id))
		return -ENOENT;
	if (cur->nr > 1) {
		next = scope_alloc(cur->nr - 1);
		if (!next)
			return -ENOMEM;
		for (i = 0, j = 0; i < cur->nr; i++)
			if (cur->ids[i] != id)
				next->ids[j++] = cur->ids[i];
	}
	scope_publish(next);
	return 0;
}

/* "+ID" or "-ID": decimal digits only, no sign, no spaces, ID > 0. */
static int parse_id(const char *digits, size_t len, u64 *id)
{
	char tmp[24];
	size_t i;

	if (!len || len >= sizeof(tmp))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isdigit(digits[i]))
			return -EINVAL;
	memcpy(tmp, digits, len);
	tmp[len] = '\0';
	if (kstrtou64(tmp, 10, id) || !*id)
		return -EINVAL;
	return 0;
}

/**
 * rootcache_scope_write - apply one scope command
 * @buf: "+ID", "-ID" or "clear", optionally followed by one newline
 * @count: length of @buf
 *
 * Return: 0, -EINVAL (malformed), -ENOENT (removing an absent ID, or adding
 * one that is not a live memory cgroup), -ENOSPC (full) or -ENOMEM. On error
 * the scope is unchanged.
 */
int rootcache_scope_write(const char *buf, size_t count)
{
	size_t len = count;
	u64 id;
	int err;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len == 5 && !memcmp(buf, "clear", 5)) {
		mutex_lock(&scope_mutex);
		scope_publish(NULL);
		mutex_unlock(&scope_mutex);
		return 0;
	}
	if (len < 2 || (buf[0] != '+' && buf[0] != '-'))
		return -EINVAL;
	err = parse_id(buf + 1, len - 1, &id);
	if (err)
		return err;

	mutex_lock(&scope_mutex);
	err = buf[0] == '+' ? scope_add(id) : scope_del(id);
	mutex_unlock(&scope_mutex);
	return err;
}

/**
 * rootcache_scope_read - the scope as text, one ID per line, from @off
 * @buf: where the slice goes
 * @off: offset of the slice in the whole text
 * @count: room in @buf
 *
 * Up to 1024 IDs do not fit one page, so this backs a binary attribute and
 * serves the text in slices.
 */
ssize_t rootcache_scope_read(char *buf, loff_t off, size_t count)
{
	const struct rootcache_scope *scope;
	size_t size = ROOTCACHE_SCOPE_MAX * 21;
	size_t len = 0;
	ssize_t ret;
	char *text;
	unsigned int i;

	text = kvmalloc(size, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	mutex_lock(&scope_mutex);
	scope = rcu_dereference_protected(rootcache_scope_set,
					  lockdep_is_held(&scope_mutex));
	for (i = 0; scope && i < scope->nr; i++)
		len += scnprintf(text + len, size - len, "%llu\n",
				 scope->ids[i]);
	mutex_unlock(&scope_mutex);
	ret = memory_read_from_buffer(buf, count, &off, text, len);
	kvfree(text);
	return ret;
}

void rootcache_scope_exit(void)
{
	mutex_lock(&scope_mutex);
	scope_publish(NULL);
	mutex_unlock(&scope_mutex);
}

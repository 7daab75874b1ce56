/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-folio layer of the hook: what every mechanism does around one
 * redirected call, and nothing that chooses, starts or stops a mechanism
 * (hook.c does that). Every mechanism uses it; it calls none of them.
 *
 * Inline here: rootcache_insert_enter/exit/release around each call of the
 * insertion function, for the kretprobe (hook_kretprobe.c) and the ftrace
 * wrapper (hook_wrap.c), and the redirect target and post-condition the
 * collapse hook (hook_collapse.c) shares. The ftrace wrapper runs them for
 * every inserted folio, and a call costs about as much as the work (issue
 * 15: the fill-cost target).
 *
 * In redirect.c: the failure count (rootcache_redirect_failed()), and the
 * decision of the mm rewrite (5.10 to 5.13, compat.h) that the kprobe of
 * hook_charge.c, the ftrace callback of hook_wrap.c and the direct-call
 * trampoline of hook_direct.S each apply in their own way.
 */
#ifndef ROOTCACHE_REDIRECT_H
#define ROOTCACHE_REDIRECT_H

#include <linux/module.h>
#include <linux/sched.h>
#include "compat.h"
#include "rootcache.h"

/* One redirected call of the insertion function, entry to return. */
struct rootcache_insert {
	struct mem_cgroup *saved_memcg;
	struct mem_cgroup *memcg;	/* redirected to, with a reference */
	void *folio;
	bool metadata;
	bool holds_module;
};

/**
 * rootcache_redirect_memcg - where a redirected call charges, with a
 * reference the caller drops with rootcache_redirect_memcg_put()
 *
 * Root without a call when no pool is set, and at compile time where none
 * can be (5.10 to 5.13): this runs for every redirected folio. Otherwise
 * the pool, or root if it was removed (target.c).
 *
 * Return: never NULL.
 */
static __always_inline struct mem_cgroup *rootcache_redirect_memcg(void)
{
	if (!ROOTCACHE_POOL_SUPPORTED ||
	    !rcu_access_pointer(rootcache_target_set))
		return rootcache_root_memcg;
	return rootcache_pool_memcg();
}

/* Root's reference is none (CSS_NO_REF): skip the call for it. */
static __always_inline void
rootcache_redirect_memcg_put(struct mem_cgroup *memcg)
{
	if (ROOTCACHE_POOL_SUPPORTED && memcg != rootcache_root_memcg)
		css_put(&memcg->css);
}

/**
 * rootcache_redirect_landed - the post-condition of a redirected call
 * @folio: the folio the call inserted (or made)
 * @memcg: the memory cgroup it was redirected to, with a reference
 *
 * The folio is charged to @memcg; or @memcg is a pool that was removed
 * during the call and the kernel has since moved the pool's charges to an
 * ancestor (7.1 and later reparent them when a memory cgroup goes
 * offline): the charge went where it was sent, and is no failure. The
 * second test runs only when the first fails.
 *
 * Return: true if the folio's charge is where the call sent it.
 */
static __always_inline bool
rootcache_redirect_landed(void *folio, struct mem_cgroup *memcg)
{
	struct mem_cgroup *got;
	bool moved;

	if (rootcache_folio_charged_to(folio, memcg))
		return true;
	if (!ROOTCACHE_POOL_SUPPORTED || memcg == rootcache_root_memcg ||
	    !css_is_dying(&memcg->css))
		return false;
	rcu_read_lock();
	got = rootcache_folio_memcg(folio);
	moved = got && mem_cgroup_is_descendant(memcg, got);
	rcu_read_unlock();
	return moved;
}

/* redirect.c */
void rootcache_redirect_failed(void *folio, const char *hook);
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
bool rootcache_charge_redirects(struct page *page);
void rootcache_charge_rewrite(struct pt_regs *regs);
#endif
void *rootcache_rewrite_target(void *page, void *mm);
void *rootcache_rewrite_canary(void);

/*
 * Test builds only: accept redirections but leave the charge alone; spin
 * a known number of instructions per redirected folio.
 */
#ifdef ROOTCACHE_TESTING
extern bool rootcache_test_skip;
#define rootcache_test_skip_redirect() READ_ONCE(rootcache_test_skip)
void rootcache_test_spin(void);
#else
#define rootcache_test_skip_redirect() false
#define rootcache_test_spin() do { } while (0)
#endif

/**
 * rootcache_insert_enter - the policy and the redirection around one call
 * of the insertion function, for either mechanism
 * @ins: state kept until rootcache_insert_exit()
 * @mapping: the page cache the folio joins
 * @folio: the folio (page) being inserted
 * @hold_module: take a module reference until rootcache_insert_release()
 *	(the kretprobe, whose return handler unload could skip; the ftrace
 *	wrapper's unload waits for its calls instead)
 * @scope_checked: the task was found in scope just before (the ftrace
 *	callback sends only such calls to the wrapper)
 *
 * Return: true if the call is redirected; then the caller must call
 * rootcache_insert_exit() and rootcache_insert_release() after it.
 */
static __always_inline bool
rootcache_insert_enter(struct rootcache_insert *ins,
		       struct address_space *mapping, void *folio,
		       bool hold_module, bool scope_checked)
{
	enum rootcache_verdict verdict;

	verdict = rootcache_should_redirect(mapping, scope_checked);
	if (!rootcache_verdict_redirects(verdict))
		return false;
	if (hold_module && !try_module_get(THIS_MODULE))
		return false;	/* unloading */
	ins->holds_module = hold_module;

	ins->saved_memcg = current->active_memcg;
	ins->memcg = rootcache_redirect_memcg();
	ins->folio = folio;
	ins->metadata = verdict == RC_REDIRECT_METADATA;
	if (!rootcache_test_skip_redirect())
		current->active_memcg = ins->memcg;
	rootcache_stat_add(RC_STAT_IN_FLIGHT, 1);
	return true;
}

/**
 * rootcache_insert_exit - restore active_memcg after a redirected call and
 * check its result
 * @ins: what rootcache_insert_enter() kept
 * @inserted: the call inserted the folio
 */
static __always_inline void
rootcache_insert_exit(struct rootcache_insert *ins, bool inserted)
{
	current->active_memcg = ins->saved_memcg;
	if (!inserted)
		goto out;
	/*
	 * The folio is still locked by the caller: its charge cannot change,
	 * only move with its memcg (rootcache_redirect_landed()).
	 */
	if (rootcache_redirect_landed(ins->folio, ins->memcg)) {
		rootcache_stat_add(RC_STAT_REDIRECTED_FOLIOS, 1);
		rootcache_stat_add(RC_STAT_REDIRECTED_BYTES,
				   rootcache_folio_bytes(ins->folio));
		if (ins->metadata)
			rootcache_stat_add(RC_STAT_REDIRECTED_METADATA, 1);
		rootcache_test_spin();
	} else {
		rootcache_redirect_failed(ins->folio, ROOTCACHE_INSERT_SYMBOL);
	}
out:
	rootcache_redirect_memcg_put(ins->memcg);
}

/* The last step of a redirected call: drop what enter took. */
static __always_inline void
rootcache_insert_release(struct rootcache_insert *ins)
{
	rootcache_stat_add(RC_STAT_IN_FLIGHT, -1);
	if (ins->holds_module)
		module_put(THIS_MODULE);
}

#endif /* ROOTCACHE_REDIRECT_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * The per-folio layer's out-of-line part (redirect.h has the inline one):
 * code every hook mechanism calls, and that calls no mechanism.
 *
 * Failures: a folio inserted (or collapsed) while redirected must be charged
 * to the memory cgroup it was redirected to. A kernel whose charge path
 * moved (a distribution backport, an untested version) fails that check;
 * after ROOTCACHE_FAIL_LIMIT such folios the module switches itself off and
 * says so in hook_state, rather than count redirections that did not happen.
 *
 * The mm rewrite (5.10 to 5.13, ROOTCACHE_CHARGE_MM_REWRITE in compat.h):
 * the insertion charges with current->mm, and get_mem_cgroup_from_mm() of a
 * non-NULL mm ignores active_memcg. Clearing the mm argument of
 * mem_cgroup_charge(page, mm, gfp) for a file page while the task's
 * active_memcg is root's (which only the insertion hook sets, around an
 * accepted insertion) makes get_mem_cgroup_from_mm(NULL) return root.
 * Anonymous, KSM, uprobe and COW pages have no mapping yet; shmem and
 * swap-in pages are swap-backed and are charged outside the insertion
 * function anyway. The decision is made here once; the kprobe
 * (hook_charge.c), the ftrace callback (hook_wrap.c) and the direct-call
 * trampoline (hook_direct.S) only apply it to their registers. Nothing is
 * kept across the call, so unloading has no hazard there. Each mechanism
 * proves at start that its register write takes effect, on one private
 * function with the same argument layout (rootcache_rewrite_target()).
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/atomic.h>
#include <linux/cgroup.h>
#include "compat.h"
#include "rootcache.h"
#include "redirect.h"

/* Redirected folios found charged elsewhere (rare: atomic is fine). */
static atomic_t hook_failed_folios = ATOMIC_INIT(0);

#ifdef ROOTCACHE_TESTING
/*
 * Test builds only (make -C kmod ROOTCACHE_TESTING=1): break the mechanism
 * on purpose, to prove that the checks around it notice.
 */
bool rootcache_test_skip;
module_param_named(test_skip_redirect, rootcache_test_skip, bool, 0644);
MODULE_PARM_DESC(test_skip_redirect, "TEST BUILD: accept insertions and collapses but do not redirect them");
/*
 * A known amount of added work per redirected folio, for bench/run --icount
 * to prove that it measures what it claims: a loop of exactly two
 * instructions (dec, jnz) per iteration, so test_spin_loops=N adds 2N
 * instructions (plus the call) to every redirected folio.
 */
static unsigned int test_spin_loops;
module_param(test_spin_loops, uint, 0644);
MODULE_PARM_DESC(test_spin_loops,
		 "TEST BUILD: per redirected folio, spin this many iterations of a two-instruction loop");

noinline void rootcache_test_spin(void)
{
	unsigned long n = READ_ONCE(test_spin_loops);

	if (!n)
		return;
#ifdef CONFIG_X86
	asm volatile("1: dec %0\n\tjnz 1b" : "+r" (n) : : "cc");
#else
	while (n--)
		barrier();
#endif
}
#endif

/*
 * A folio a hook redirected is charged elsewhere: @hook does not redirect
 * on this kernel. Counted; past ROOTCACHE_FAIL_LIMIT the module switches
 * itself off.
 */
void rootcache_redirect_failed(void *folio, const char *hook)
{
	struct mem_cgroup *memcg;
	u64 id = 0;
	int n;

	rootcache_stat_add(RC_STAT_REDIRECT_FAILED, 1);
	n = atomic_inc_return(&hook_failed_folios);
	if (n == 1) {
		rcu_read_lock();
		memcg = rootcache_folio_memcg(folio);
		if (memcg)
			id = cgroup_id(memcg->css.cgroup);
		rcu_read_unlock();
		pr_err("a redirected folio is charged to memory cgroup %llu, not where it was redirected: %s does not redirect on this kernel\n",
		       id, hook);
	}
	/* Every time past the limit: a racing write to "enabled" may undo it. */
	if (n >= ROOTCACHE_FAIL_LIMIT)
		WRITE_ONCE(rootcache_enabled, false);
	if (n == ROOTCACHE_FAIL_LIMIT)
		pr_err("switched off after %d folios were not charged where they were redirected (hook_state: failed)\n",
		       n);
}

bool rootcache_hook_failed(void)
{
	return atomic_read(&hook_failed_folios) >= ROOTCACHE_FAIL_LIMIT;
}

#ifdef ROOTCACHE_CHARGE_MM_REWRITE
/**
 * rootcache_charge_redirects - whether mem_cgroup_charge(@page, mm, gfp)
 * must charge root: the mm rewrite's decision, for a kprobe, the ftrace
 * callback and the direct-call trampoline of hook_direct.S
 * @page: the page being charged
 *
 * Return: true if the mm argument is to be cleared.
 */
bool notrace rootcache_charge_redirects(struct page *page)
{
	struct address_space *mapping;

	/*
	 * Only inside an insertion the insertion hook redirected: to root, as
	 * no pool can be set here (ROOTCACHE_POOL_SUPPORTED).
	 */
	if (!in_task() ||
	    READ_ONCE(current->active_memcg) != rootcache_root_memcg)
		return false;
	mapping = READ_ONCE(page->mapping);
	/* Anonymous, KSM and movable pages tag the low bits of ->mapping. */
	if (!mapping || ((unsigned long)mapping & PAGE_MAPPING_FLAGS))
		return false;
	/* shmem-like: never redirected (the insertion check then counts it) */
	return !PageSwapBacked(page);
}

/**
 * rootcache_charge_rewrite - the mm rewrite, at the entry of
 * mem_cgroup_charge(page, mm, gfp), by a kprobe or the ftrace callback
 * @regs: the argument registers
 */
void rootcache_charge_rewrite(struct pt_regs *regs)
{
	if (rootcache_charge_redirects(rootcache_arg(regs, 0)))
		rootcache_clear_arg1(regs);
}
#endif /* ROOTCACHE_CHARGE_MM_REWRITE */

/**
 * rootcache_rewrite_target - a private function with the argument layout of
 * mem_cgroup_charge(page, mm, gfp), that returns its second argument
 * @page: anything
 * @mm: anything but NULL
 *
 * The mechanisms' self-tests and canaries probe it and clear @mm, as they
 * would in the charge: the ftrace wrapper's canary for as long as it is
 * attached (hook_wrap.c), the mm rewrite's kprobe at start (hook_charge.c).
 */
noinline void *rootcache_rewrite_target(void *page, void *mm)
{
	asm volatile("" : "+r"(page), "+r"(mm));
	return mm;
}

/**
 * rootcache_rewrite_canary - call rootcache_rewrite_target() through a
 * pointer hidden from the optimizer, with an mm that is not NULL
 *
 * Return: what it returned: NULL if a probe on it cleared the mm.
 */
void *rootcache_rewrite_canary(void)
{
	void *(*call)(void *, void *) = rootcache_rewrite_target;

	OPTIMIZER_HIDE_VAR(call);
	return call(&hook_failed_folios, &hook_failed_folios);
}

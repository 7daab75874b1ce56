// SPDX-License-Identifier: GPL-2.0
/*
 * Hook for 5.10 to 5.15: a kprobe on mem_cgroup_charge(page, mm, gfp).
 *
 * __add_to_page_cache_locked() charges with current->mm and so ignores
 * active_memcg. The page's mapping is already set at that point, so a
 * pre-handler can recognise page-cache pages and clear the mm argument;
 * get_mem_cgroup_from_mm(NULL) then returns root. Anonymous, KSM, uprobe and
 * COW pages have no mapping yet; shmem and swap-in pages are swap-backed.
 *
 * Nothing is kept across the call, so unloading has no hazard here.
 *
 * The second pin (cgroup v2): the first time a task dirties an inode without
 * a page at hand (an atime update is enough), __inode_attach_wb(inode, NULL)
 * attaches the inode's writeback to the task's memory cgroup, and 5.10 never
 * switches it away when that cgroup goes offline: the removed cgroup stays
 * dying. For inodes the policy redirects, a second kprobe passes the zero
 * page instead of NULL; mem_cgroup_css_from_page() maps a page without a
 * memcg to root, so the inode's writeback is attached to root, like its
 * page cache. 6.1 and later release such inodes after writeback by
 * themselves.
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include "compat.h"

#ifdef ROOTCACHE_HOOK_CHARGE

#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/page-flags.h>
#include <linux/fs.h>
#include <linux/pgtable.h>
#include "rootcache.h"

const char rootcache_hook_symbol[] = ROOTCACHE_HOOK_SYMBOL;

static int charge_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct page *page = rootcache_arg(regs, 0);
	struct address_space *mapping = READ_ONCE(page->mapping);

	/* Anonymous, KSM and movable pages tag the low bits of ->mapping. */
	if (!mapping || ((unsigned long)mapping & PAGE_MAPPING_FLAGS))
		return 0;	/* not page cache */
	if (!rootcache_should_redirect(mapping))
		return 0;
	if (PageSwapBacked(page)) {
		/* shmem-like: stays with the job (counted as unevictable) */
		rootcache_stat_add(RC_STAT_SKIPPED_UNEVICTABLE, 1);
		return 0;
	}

	rootcache_clear_arg1(regs);
	rootcache_stat_add(RC_STAT_REDIRECTED_FOLIOS, 1);
	rootcache_stat_add(RC_STAT_REDIRECTED_BYTES, thp_size(page));
	return 0;
}

static struct kprobe charge_probe = {
	.symbol_name = ROOTCACHE_HOOK_SYMBOL,
	.pre_handler = charge_pre,
};

/*
 * The page handed to __inode_attach_wb(): only its memcg is read, and the
 * zero page never has one. It must not live in module memory: the probed
 * function may still be reading it after unload has removed the probe.
 */
#define WRITEBACK_ROOT_PAGE ZERO_PAGE(0)

static int writeback_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct inode *inode = rootcache_arg(regs, 0);

	if (rootcache_arg(regs, 1))
		return 0;	/* attached by a page: follows its memcg */
	if (rootcache_classify(inode->i_mapping) != RC_REDIRECT)
		return 0;
	regs->si = (unsigned long)WRITEBACK_ROOT_PAGE;
	rootcache_stat_add(RC_STAT_REDIRECTED_INODE_WB, 1);
	return 0;
}

static struct kprobe writeback_probe = {
	.symbol_name = "__inode_attach_wb",
	.pre_handler = writeback_pre,
};

/*
 * Self-test: prove on a private function with the same argument layout that
 * the pre-handler runs and that clearing the second argument register takes
 * effect (ftrace-based kprobes must write the registers back).
 */
static noinline void *selftest_target(void *page, void *mm)
{
	asm volatile("" : "+r"(page), "+r"(mm));
	return mm;
}

static int selftest_pre(struct kprobe *p, struct pt_regs *regs)
{
	rootcache_clear_arg1(regs);
	return 0;
}

static int charge_selftest(void)
{
	struct kprobe probe = {
		.addr = (kprobe_opcode_t *)selftest_target,
		.pre_handler = selftest_pre,
	};
	void *(*call)(void *, void *) = selftest_target;
	void *got;
	int err;

	OPTIMIZER_HIDE_VAR(call);
	err = register_kprobe(&probe);
	if (err) {
		pr_err("self-test: cannot register a kprobe (%d)\n", err);
		return err;
	}
	got = call(&probe, &probe);
	unregister_kprobe(&probe);
	if (got) {
		pr_err("self-test: kprobe did not rewrite the argument; not loading\n");
		return -ENOEXEC;
	}
	return 0;
}

int rootcache_hook_start(void)
{
	int err;

	err = charge_selftest();
	if (err)
		return err;

	err = register_kprobe(&charge_probe);
	if (err) {
		pr_err("cannot probe %s (%d); not loading\n",
		       ROOTCACHE_HOOK_SYMBOL, err);
		return err;
	}
	err = register_kprobe(&writeback_probe);
	if (err) {
		pr_err("cannot probe %s (%d); not loading\n",
		       writeback_probe.symbol_name, err);
		unregister_kprobe(&charge_probe);
		return err;
	}
	return 0;
}

void rootcache_hook_stop(void)
{
	struct kprobe *probes[] = { &charge_probe, &writeback_probe };

	rootcache_policy_stop();
	unregister_kprobes(probes, ARRAY_SIZE(probes));
}

unsigned long rootcache_hook_misses(void)
{
	return READ_ONCE(charge_probe.nmissed) +
	       READ_ONCE(writeback_probe.nmissed);
}

#endif /* ROOTCACHE_HOOK_CHARGE */

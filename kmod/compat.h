/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one home of kernel-version differences. The rest of the module is
 * written against the newest kernels and calls the names defined here.
 *
 * Hook strategies (see Documentation/rootcache.rst, "Design"):
 *
 *  ROOTCACHE_HOOK_INSERT (6.1 and later): a kretprobe on filemap_add_folio()
 *	sets current->active_memcg to root for the duration of the call; the
 *	charge inside passes mm == NULL and so honours active_memcg.
 *
 *  ROOTCACHE_HOOK_CHARGE (5.10 to 5.15): __add_to_page_cache_locked() charges
 *	with current->mm, which ignores active_memcg. A kprobe on
 *	mem_cgroup_charge(page, mm, gfp) clears the mm argument for page-cache
 *	pages; get_mem_cgroup_from_mm(NULL) returns root.
 *
 * 5.16 to 6.0 changed the charge call in steps and are not tested, so the
 * build refuses them rather than guess.
 */
#ifndef ROOTCACHE_COMPAT_H
#define ROOTCACHE_COMPAT_H

#include <linux/version.h>
#include <linux/kconfig.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/memcontrol.h>
#include <linux/sysfs.h>

/*
 * Out-of-tree code must know the version it runs on; this is the one place
 * that compares it.
 */
#define RC_KERNEL_AT_LEAST(a, b, c) (LINUX_VERSION_CODE >= KERNEL_VERSION(a, b, c))

#if !RC_KERNEL_AT_LEAST(5, 10, 0)
#error "rootcache needs Linux 5.10 or later"
#endif
#ifndef CONFIG_X86_64
#error "rootcache supports x86_64 only (the hooks rewrite argument registers)"
#endif
#if !IS_ENABLED(CONFIG_MEMCG)
#error "rootcache needs CONFIG_MEMCG"
#endif
#if !IS_ENABLED(CONFIG_KPROBES) || !IS_ENABLED(CONFIG_KRETPROBES)
#error "rootcache needs CONFIG_KPROBES and CONFIG_KRETPROBES"
#endif

#if !RC_KERNEL_AT_LEAST(5, 16, 0)
#define ROOTCACHE_HOOK_CHARGE 1
#define ROOTCACHE_HOOK_SYMBOL "mem_cgroup_charge"
#elif RC_KERNEL_AT_LEAST(6, 1, 0)
#define ROOTCACHE_HOOK_INSERT 1
#define ROOTCACHE_HOOK_SYMBOL "filemap_add_folio"
#else
#error "rootcache does not support Linux 5.16 to 6.0 (untested charge paths)"
#endif

/* Argument registers of the probed function, x86_64 calling convention. */
static inline void *rootcache_arg(struct pt_regs *regs, unsigned int n)
{
	return (void *)regs_get_kernel_argument(regs, n);
}

static inline void rootcache_clear_arg1(struct pt_regs *regs)
{
	regs->si = 0;
}

/*
 * The memory cgroup a charge from the current task would go to.
 * active_memcg takes precedence where the charge path honours it.
 * Caller holds rcu_read_lock().
 */
static inline struct cgroup_subsys_state *rootcache_charge_css(void)
{
#ifdef ROOTCACHE_HOOK_INSERT
	struct mem_cgroup *active = READ_ONCE(current->active_memcg);

	if (active)
		return &active->css;
#endif
	return task_css(current, memory_cgrp_id);
}

/*
 * sysfs binary attributes took a const attribute in 6.13, first through
 * read_new/write_new, then (6.17) through read/write again.
 */
#if RC_KERNEL_AT_LEAST(6, 13, 0)
#define ROOTCACHE_BIN_ATTR_CONST const
#else
#define ROOTCACHE_BIN_ATTR_CONST
#endif
#if RC_KERNEL_AT_LEAST(6, 13, 0) && !RC_KERNEL_AT_LEAST(6, 17, 0)
#define ROOTCACHE_BIN_READ read_new
#define ROOTCACHE_BIN_WRITE write_new
#else
#define ROOTCACHE_BIN_READ read
#define ROOTCACHE_BIN_WRITE write
#endif

#endif /* ROOTCACHE_COMPAT_H */

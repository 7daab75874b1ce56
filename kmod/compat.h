/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one home of kernel-version differences. The rest of the module is
 * written against the newest kernels and calls the names defined here.
 *
 * The hook (see Documentation/rootcache.rst, "Design"): on every series a
 * kretprobe sits on the function that inserts a new folio (page) into the page
 * cache and charges it. Its entry handler sets current->active_memcg to root
 * (or to the cache pool, target.c) for insertions the policy accepts; its
 * return handler restores it and checks that the folio was charged there.
 * How the charge inside honours that:
 *
 *  5.14 and later: the insertion charges with mm == NULL, and
 *	get_mem_cgroup_from_mm(NULL) returns active_memcg ("mm: charge active
 *	memcg when no mm is set", 5.14).
 *
 *  5.10 to 5.13 (ROOTCACHE_CHARGE_MM_REWRITE): it charges with current->mm,
 *	which ignores active_memcg. A kprobe on mem_cgroup_charge(page, mm, gfp)
 *	clears the mm argument while the task's active_memcg is root's, and
 *	get_mem_cgroup_from_mm(NULL) returns root.
 *
 * The insertion function: __add_to_page_cache_locked(page, mapping, ...) up
 * to 5.15 and in RHEL 8.5 to 9.0 (noinline; every insertion that charges
 * passes it),
 * and from 5.16 and RHEL 9.1 filemap_add_folio(mapping, folio, ...), which
 * charges either itself or through __filemap_add_folio(). Read in the 5.10
 * to 6.8 release sources and AlmaLinux's 9.0 to 9.6 and 10.0 trees.
 *
 * What the kernel has is probed before the build (conftest.sh writes
 * features.h: ROOTCACHE_HAVE_*), not read off its version: distribution
 * kernels carry backports under old version numbers (RHEL 9 is 5.14 by
 * number and has the folio page cache of 6.1). A version is compared only
 * where no header can tell, each time with the reason.
 */
#ifndef ROOTCACHE_COMPAT_H
#define ROOTCACHE_COMPAT_H

/* The first part is read by hook_direct.S too: preprocessor only. */
#include <linux/version.h>
#include <linux/kconfig.h>
#include "features.h"	/* conftest.sh's answers, made by kmod/Makefile */
#include "arch.h"	/* x86_64 or arm64: argument registers, the wrapper */

/* The one place that compares versions, where no probe can tell. */
#define RC_KERNEL_AT_LEAST(a, b, c) (LINUX_VERSION_CODE >= KERNEL_VERSION(a, b, c))

/*
 * conftest.sh refuses these kernels with one line; this is a backstop. The
 * RHEL 8 family from 8.5 on has 5.10's charge path under 4.18 (conftest.sh).
 */
#if !defined(ROOTCACHE_HAVE_KERNEL_5_10) && !defined(ROOTCACHE_HAVE_RHEL_8_5)
#error "rootcache needs Linux 5.10 or later, or RHEL 8.5 or later"
#endif
#ifndef ROOTCACHE_HAVE_TASK_ACTIVE_MEMCG
#error "rootcache needs task_struct.active_memcg"
#endif
#if !IS_ENABLED(CONFIG_MEMCG)
#error "rootcache needs CONFIG_MEMCG"
#endif
#if !IS_ENABLED(CONFIG_KPROBES) || !IS_ENABLED(CONFIG_KRETPROBES)
#error "rootcache needs CONFIG_KPROBES and CONFIG_KRETPROBES"
#endif

/*
 * The insertion function, and whether it hands the charge a folio (the
 * folio helpers below follow it).
 */
#if defined(ROOTCACHE_HAVE_FILEMAP_ADD_FOLIO)
#define ROOTCACHE_INSERT_FOLIO 1
#define ROOTCACHE_INSERT_SYMBOL "filemap_add_folio"
#define ROOTCACHE_INSERT_ARG_MAPPING 0
#define ROOTCACHE_INSERT_ARG_FOLIO 1
#elif defined(ROOTCACHE_HAVE_ADD_TO_PAGE_CACHE_LOCKED)
#define ROOTCACHE_INSERT_SYMBOL "__add_to_page_cache_locked"
#define ROOTCACHE_INSERT_ARG_FOLIO 0
#define ROOTCACHE_INSERT_ARG_MAPPING 1
#else
#error "rootcache: this kernel has neither filemap_add_folio nor __add_to_page_cache_locked"
#endif

/*
 * Whether the insertion charges with current->mm (the mm rewrite) or with
 * NULL. The argument is inside mm/filemap.c, which no header shows, so the
 * version decides here: the insertion passes NULL from 5.14 ("mm: charge
 * active memcg when no mm is set"), RHEL 9.0 included, and the folio
 * insertion always does; RHEL 8 (4.18) passes current->mm. The charge
 * function is the one that takes the mm: __mem_cgroup_charge() where
 * mem_cgroup_charge() is its inline wrapper.
 */
#if !defined(ROOTCACHE_INSERT_FOLIO) && !RC_KERNEL_AT_LEAST(5, 14, 0)
#define ROOTCACHE_CHARGE_MM_REWRITE 1
#if defined(ROOTCACHE_HAVE___MEM_CGROUP_CHARGE_PAGE)
#define ROOTCACHE_CHARGE_SYMBOL "__mem_cgroup_charge"
#elif defined(ROOTCACHE_HAVE_MEM_CGROUP_CHARGE_PAGE)
#define ROOTCACHE_CHARGE_SYMBOL "mem_cgroup_charge"
#else
#error "rootcache: this kernel has no mem_cgroup_charge(page, mm, gfp) to rewrite"
#endif
#endif

/*
 * ftrace direct calls (hook_direct.S, hook_wrap.c), where they are the
 * cheaper way to the same wrapper: kernels whose ftrace callbacks can change
 * registers only through the full pt_regs trampoline (callbacks without
 * struct ftrace_regs, and no HAVE_DYNAMIC_FTRACE_WITH_ARGS, which x86_64
 * gained in 5.11), i.e. 5.10. Their fentry call goes straight to a
 * trampoline of the module (register_ftrace_direct(ip, addr), 5.5 to 6.2;
 * 6.3 replaced it with an ftrace_ops-based API). Later series keep the
 * ftrace_ops, whose light trampoline costs little there.
 */
#if IS_ENABLED(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS) && \
	defined(ROOTCACHE_ARCH_FTRACE_WRAP) && \
	!defined(ROOTCACHE_HAVE_FTRACE_REGS_CALLBACK) && \
	defined(ROOTCACHE_HAVE_REGISTER_FTRACE_DIRECT_IP)
#define ROOTCACHE_FTRACE_DIRECT 1
#endif

#ifndef __ASSEMBLY__

#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/memcontrol.h>
#include <linux/mm_types.h>
#include <linux/pagemap.h>
#include <linux/sysfs.h>
#ifdef ROOTCACHE_HAVE_LINUX_PGTABLE_H
#include <linux/pgtable.h>
#else
#include <asm/pgtable.h>	/* before 5.8, and RHEL 8 */
#endif

/*
 * A cache pool (target.c) other than root needs a charge that honours
 * active_memcg: the mm rewrite can only name root (an mm of NULL).
 */
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
#define ROOTCACHE_POOL_SUPPORTED 0
#else
#define ROOTCACHE_POOL_SUPPORTED 1
#endif

/*
 * khugepaged's collapse of a file range (hook_collapse.c): collapse_file(),
 * static but never inlined (kallsyms of 5.10, 6.1, 6.12, 7.2, 7.3). Its mm
 * serves only to charge the new folio, and a tracepoint (read in 5.15, 6.6,
 * 6.8 and Debian's 7.3 sources), except in 6.1 to 6.5 (below).
 *  6.1 and later, RHEL 9.4 and later: collapse_file(mm, addr, file, start, cc).
 *  5.10 to 6.0, RHEL 8 and 9.0 to 9.3: collapse_file(mm, file, start, hpage,
 *  node).
 * Being static, its prototype is in no header: the layout goes with
 * MADV_COLLAPSE, which came in the same series (conftest.sh), and
 * hook_collapse.c checks that the file argument is a kernel pointer before
 * it reads it, so a layout that does not match is never dereferenced.
 * Its result is no guide to success: void before 6.1, and after a collapse
 * for madvise(MADV_COLLAPSE) 7.3 reports SCAN_PTE_MAPPED_HUGEPAGE, whose
 * value moves between versions. A PMD-sized folio at @start afterwards is
 * the sign: the scan calls collapse_file() only for a range without one.
 */
#ifdef ROOTCACHE_HAVE_MADV_COLLAPSE
#define ROOTCACHE_COLLAPSE_ARG_FILE 2
#define ROOTCACHE_COLLAPSE_ARG_START 3
#else
#define ROOTCACHE_COLLAPSE_ARG_FILE 1
#define ROOTCACHE_COLLAPSE_ARG_START 2
#endif

/*
 * Whether the collapse hook may clear collapse_file()'s mm. In 6.1 to 6.5
 * (and RHEL 9.4) retract_page_tables() matches it against each mapping of
 * the range to install the caller's PMD: with it cleared, MADV_COLLAPSE
 * fails with EINVAL and the range stays PTE-mapped. Upstream 1d65b771bc08
 * (6.6) dropped that use, in the series that added pte_free_defer()
 * (conftest.sh). Without read-only file THP no regular file collapses
 * there, and the hook has nothing to break.
 */
#if defined(ROOTCACHE_HAVE_MADV_COLLAPSE) && \
	!defined(ROOTCACHE_HAVE_PTE_FREE_DEFER) && \
	IS_ENABLED(CONFIG_READ_ONLY_THP_FOR_FS)
#define ROOTCACHE_COLLAPSE_MM_NEEDED 1
#else
#define ROOTCACHE_COLLAPSE_MM_NEEDED 0
#endif

/*
 * What __inode_attach_wb(inode, page) (a folio from about 6.3) is handed in
 * place of NULL to attach an inode to root's writeback: the zero page. Its
 * memcg is always NULL, which mem_cgroup_css_from_page()/_folio() map to
 * root, and an order-0 page is its own folio, so one pointer serves both
 * signatures. It must not live in module memory: the probed function may
 * still read it after unload has removed the probe.
 */
static inline void *rootcache_wb_root_arg(void)
{
	return ZERO_PAGE(0);
}

/*
 * Whether @p can be a kernel object's address: above every user address.
 * For an argument whose position is inferred (collapse_file()): what sits
 * in another layout's slot there is a user address or a page index.
 */
static inline bool rootcache_kernel_pointer(const void *p)
{
	return (unsigned long)p >= ROOTCACHE_USER_END;
}

/*
 * Arguments of the probed function, in the registers of its calling
 * convention (arch.h). regs_get_kernel_argument() spells them out from 5.3
 * (x86_64; arm64 too); RHEL 8 (x86_64) lacks it.
 */
static inline void *rootcache_arg(struct pt_regs *regs, unsigned int n)
{
#ifdef ROOTCACHE_HAVE_REGS_GET_KERNEL_ARGUMENT
	return (void *)regs_get_kernel_argument(regs, n);
#else
	unsigned long *reg = rootcache_arch_arg_reg(regs, n);

	return reg ? (void *)*reg : NULL;
#endif
}

static inline void rootcache_set_arg(struct pt_regs *regs, unsigned int n,
				     void *value)
{
	*rootcache_arch_arg_reg(regs, n) = (unsigned long)value;
}

static inline void rootcache_clear_arg0(struct pt_regs *regs)
{
	rootcache_set_arg(regs, 0, NULL);
}

static inline void rootcache_clear_arg1(struct pt_regs *regs)
{
	rootcache_set_arg(regs, 1, NULL);
}

static inline void rootcache_set_arg1(struct pt_regs *regs, void *value)
{
	rootcache_set_arg(regs, 1, value);
}

/* Bytes in the folio (page, possibly a THP before folios) being inserted. */
static inline long rootcache_folio_bytes(void *folio)
{
#ifdef ROOTCACHE_INSERT_FOLIO
	return folio_size(folio);
#else
	return thp_size(folio);
#endif
}

/*
 * The memory cgroup a folio (page) is charged to, or NULL. Caller holds
 * rcu_read_lock() (where folios are charged through an obj_cgroup, mapping
 * it to its memcg needs RCU).
 */
static inline struct mem_cgroup *rootcache_folio_memcg(void *folio)
{
#if defined(ROOTCACHE_INSERT_FOLIO)
	return folio_memcg(folio);
#elif defined(ROOTCACHE_HAVE_PAGE_MEMCG)
	return page_memcg(folio);
#else
	return ((struct page *)folio)->mem_cgroup;
#endif
}

/*
 * The post-condition of every redirection: @folio is charged to @memcg, the
 * memory cgroup it was redirected to (root, or the pool). Without
 * page_memcg() (5.10), page->mem_cgroup is a plain field, read without RCU
 * (the caller holds the page lock: the charge cannot change).
 */
static inline bool rootcache_folio_charged_to(void *folio,
					      struct mem_cgroup *memcg)
{
#if !defined(ROOTCACHE_INSERT_FOLIO) && !defined(ROOTCACHE_HAVE_PAGE_MEMCG)
	return rootcache_folio_memcg(folio) == memcg;
#else
	bool charged;

	rcu_read_lock();
	charged = rootcache_folio_memcg(folio) == memcg;
	rcu_read_unlock();
	return charged;
#endif
}

/*
 * The folio (page) at @index of @mapping, with a reference, or NULL; does
 * not sleep. Put it with rootcache_put_folio().
 */
static inline void *rootcache_get_folio(struct address_space *mapping,
					pgoff_t index)
{
#ifdef ROOTCACHE_INSERT_FOLIO
	struct folio *folio = __filemap_get_folio(mapping, index, 0, 0);

	return IS_ERR_OR_NULL(folio) ? NULL : folio;
#else
	return find_get_page(mapping, index);
#endif
}

static inline void rootcache_put_folio(void *folio)
{
#ifdef ROOTCACHE_INSERT_FOLIO
	folio_put(folio);
#else
	put_page(folio);
#endif
}

/*
 * The memory cgroup a charge with @mm would go to: its owner's, or NULL
 * (an mm without owner charges root). Caller holds rcu_read_lock().
 */
static inline struct cgroup_subsys_state *rootcache_mm_css(struct mm_struct *mm)
{
	struct task_struct *owner = rcu_dereference(mm->owner);

	return owner ? task_css(owner, memory_cgrp_id) : NULL;
}

/*
 * The memory cgroup a charge from the current task would go to, for the
 * scope check. active_memcg takes precedence where the charge path honours
 * it. Caller holds rcu_read_lock().
 */
static inline struct cgroup_subsys_state *rootcache_charge_css(void)
{
#ifndef ROOTCACHE_CHARGE_MM_REWRITE
	struct mem_cgroup *active = READ_ONCE(current->active_memcg);

	if (active)
		return &active->css;
#endif
	return task_css(current, memory_cgrp_id);
}

/*
 * The insertion hook's ftrace call wrapper (hook_wrap.c): an ftrace_ops that
 * moves the instruction pointer (FTRACE_OPS_FL_IPMODIFY), as livepatch does.
 * 5.11 gave x86_64 a light trampoline that saves only the argument registers
 * and honours a new RIP (HAVE_DYNAMIC_FTRACE_WITH_ARGS, struct ftrace_regs);
 * 5.10 needs the full pt_regs one (and uses direct calls instead where it
 * can, ROOTCACHE_FTRACE_DIRECT above), and asks for no recursion guard with
 * RECURSION_SAFE (5.11 turned the flag around: no flag, no guard). The
 * setter of the instruction pointer took its name in 6.2. The wrapper calls
 * the function past its ftrace site, a direct call where the kernel checks
 * indirect ones (IBT, kCFI): without static calls there, no wrapper.
 */
#if defined(ROOTCACHE_ARCH_FTRACE_WRAP) && \
	IS_ENABLED(CONFIG_DYNAMIC_FTRACE) && IS_ENABLED(CONFIG_FUNCTION_TRACER) && \
	(!defined(ROOTCACHE_HAVE_FTRACE_REGS_CALLBACK) || \
	 defined(ROOTCACHE_HAVE_FTRACE_REGS_SET_INSTRUCTION_POINTER) || \
	 defined(ROOTCACHE_HAVE_FTRACE_INSTRUCTION_POINTER_SET)) && \
	(defined(ROOTCACHE_HAVE_STATIC_CALL) || \
	 !(IS_ENABLED(CONFIG_X86_KERNEL_IBT) || IS_ENABLED(CONFIG_CFI_CLANG)))
#define ROOTCACHE_HAVE_FTRACE_WRAP 1
#include <linux/ftrace.h>
#ifdef ROOTCACHE_HAVE_FTRACE_REGS_CALLBACK
#define ROOTCACHE_FTRACE_REGS struct ftrace_regs
#if IS_ENABLED(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS)
#define ROOTCACHE_WRAP_FTRACE_FLAGS FTRACE_OPS_FL_IPMODIFY
#else
#define ROOTCACHE_WRAP_FTRACE_FLAGS \
	(FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_SAVE_REGS)
#endif
#else
#define ROOTCACHE_FTRACE_REGS struct pt_regs
#ifdef ROOTCACHE_HAVE_FTRACE_OPS_FL_RECURSION_SAFE
#define ROOTCACHE_WRAP_FTRACE_FLAGS \
	(FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_SAVE_REGS | \
	 FTRACE_OPS_FL_RECURSION_SAFE)
#else
#define ROOTCACHE_WRAP_FTRACE_FLAGS \
	(FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_SAVE_REGS)
#endif
#endif

#if defined(ROOTCACHE_HAVE_FTRACE_REGS_SET_INSTRUCTION_POINTER)
#define rootcache_ftrace_set_ip(regs, ip) \
	ftrace_regs_set_instruction_pointer(regs, ip)
#elif defined(ROOTCACHE_HAVE_FTRACE_INSTRUCTION_POINTER_SET)
#define rootcache_ftrace_set_ip(regs, ip) ftrace_instruction_pointer_set(regs, ip)
#else
#define rootcache_ftrace_set_ip(regs, _ip) ((regs)->ip = (_ip))
#endif

#ifndef ENDBR_INSN_SIZE
#define ENDBR_INSN_SIZE 4	/* endbr64; asm/ibt.h from 5.18 */
#endif

/*
 * Whether the CPU enforces indirect branch tracking in the kernel: then an
 * indirect call may only land on an endbr64, so the wrapper must call the
 * function at its start (through its ftrace site again) rather than past it.
 */
/*
 * How the ftrace wrapper calls the insertion function past its ftrace site
 * (hook_wrap.c). A static call is a direct call or jump, which neither IBT
 * (an indirect branch must land on an endbr64) nor kCFI (it checks a type
 * hash in front of the target of an indirect call) looks at, so the wrapper
 * calls past the site, once through it, on every kernel that has them
 * (x86 from 5.10, RHEL 9). RHEL 8 has no x86 support for them, and neither
 * IBT nor kCFI: a function pointer serves there.
 */
#ifdef ROOTCACHE_HAVE_STATIC_CALL
#include <linux/static_call.h>
#define rootcache_call(name) static_call(name)
#define rootcache_call_update(name, func) static_call_update(name, func)
#else
#define rootcache_call(name) READ_ONCE(name)
#define rootcache_call_update(name, func) WRITE_ONCE(name, func)
#endif

#ifdef ROOTCACHE_CHARGE_MM_REWRITE
/* The argument registers, for the mm rewrite done by the ftrace callback. */
#ifdef ROOTCACHE_HAVE_FTRACE_REGS_CALLBACK
#define rootcache_ftrace_pt_regs(fregs) (&(fregs)->regs)	/* args always saved */
#else
#define rootcache_ftrace_pt_regs(regs) (regs)
#endif
#endif

#ifdef ROOTCACHE_FTRACE_DIRECT
#define rootcache_have_ftrace_direct() true

/* A direct call from the ftrace site @ip to @tramp (5.10's API). */
static inline int rootcache_direct_attach(unsigned long ip, void (*tramp)(void))
{
	return register_ftrace_direct(ip, (unsigned long)tramp);
}

static inline int rootcache_direct_detach(unsigned long ip,
					  void (*tramp)(void))
{
	return unregister_ftrace_direct(ip, (unsigned long)tramp);
}
#else
#define rootcache_have_ftrace_direct() false
#endif

/* Wait out tasks that may still run a few instructions of module text. */
static inline void rootcache_sync_tasks(void)
{
#ifdef CONFIG_TASKS_RCU
	synchronize_rcu_tasks();
#else
	synchronize_rcu();	/* no preemption in kernel code: this is enough */
#endif
}
#endif /* CONFIG_DYNAMIC_FTRACE */

/*
 * sysfs binary attributes took a const attribute in 6.13, first through
 * read_new/write_new, then (6.17) through read/write again.
 */
#if defined(ROOTCACHE_HAVE_BIN_ATTR_READ_NEW_CONST)
#define ROOTCACHE_BIN_ATTR_CONST const
#define ROOTCACHE_BIN_READ read_new
#define ROOTCACHE_BIN_WRITE write_new
#elif defined(ROOTCACHE_HAVE_BIN_ATTR_READ_CONST)
#define ROOTCACHE_BIN_ATTR_CONST const
#define ROOTCACHE_BIN_READ read
#define ROOTCACHE_BIN_WRITE write
#else
#define ROOTCACHE_BIN_ATTR_CONST
#define ROOTCACHE_BIN_READ read
#define ROOTCACHE_BIN_WRITE write
#endif

#endif /* !__ASSEMBLY__ */
#endif /* ROOTCACHE_COMPAT_H */

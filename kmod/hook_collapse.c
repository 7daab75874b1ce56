// SPDX-License-Identifier: GPL-2.0
/*
 * The collapse hook: a kretprobe on khugepaged's collapse_file().
 *
 * khugepaged (and madvise(MADV_COLLAPSE)) replaces the small folios of a
 * mapped file range with one new PMD-sized folio, and charges that folio
 * with the *scanned mm*, whose owner is the job. On kernels that collapse
 * regular files (7.2 and 7.3 with large-folio filesystems, kernels built with
 * CONFIG_READ_ONLY_THP_FOR_FS), cache that went to root on insertion would
 * come back to the job 2 MiB at a time, and pin its cgroup after it ends.
 *
 * Entry: for a file the policy redirects, judged by the memory cgroup of the
 * mm's owner (the cgroup the charge would go to, not khugepaged's), pass the
 * function no mm and set current->active_memcg to root: the charge then
 * goes to root on every series (get_mem_cgroup_from_mm(NULL)). The mm is
 * used for nothing else there but a tracepoint (compat.h). Return: restore
 * active_memcg; a new PMD-sized folio must be charged to root, or the hook
 * counts a failure like the insertion hook does. A PMD-sized folio that was
 * at the start already on entry is not judged: this call did not make it.
 *
 * collapse_file() is static: its argument layout is inferred (compat.h).
 * The file argument is checked to be a kernel pointer before it is read: in
 * the other layout's slot sits a user address or a page index, so a wrong
 * inference turns the hook off with a message instead of dereferencing it.
 *
 * Unload: as for the insertion's kretprobe (hook_kretprobe.c), every
 * redirected call holds a module reference until its return handler runs.
 *
 * Optional: hook.c registers the probe, and leaves it out on a kernel whose
 * collapse_file() cannot be probed (inlined into its one caller or cloned
 * by clang or LTO builds), or needs its mm for more than the charge
 * (compat.h, ROOTCACHE_COLLAPSE_MM_NEEDED): the insertion hook still works
 * there, and hook_state reads "partial collapse_file".
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include "compat.h"
#include "rootcache.h"
#include "redirect.h"

#ifdef ROOTCACHE_TESTING
/* Read the arguments in the other layout, as a wrong inference would. */
static bool test_collapse_other_layout;
module_param(test_collapse_other_layout, bool, 0444);
MODULE_PARM_DESC(test_collapse_other_layout,
		 "TEST BUILD: read collapse_file()'s arguments in the layout this kernel does not have");
#define collapse_arg_file() \
	(test_collapse_other_layout ? 3 - ROOTCACHE_COLLAPSE_ARG_FILE : \
				      ROOTCACHE_COLLAPSE_ARG_FILE)
#define collapse_arg_start() \
	(test_collapse_other_layout ? 5 - ROOTCACHE_COLLAPSE_ARG_START : \
				      ROOTCACHE_COLLAPSE_ARG_START)
/* Judge the range this many pages before the collapsed one. */
static unsigned long test_collapse_start_shift;
module_param(test_collapse_start_shift, ulong, 0444);
MODULE_PARM_DESC(test_collapse_start_shift,
		 "TEST BUILD: judge a collapse by the folio this many pages before its range, as if a PMD folio it did not make were at its start");
#else
#define collapse_arg_file() ROOTCACHE_COLLAPSE_ARG_FILE
#define collapse_arg_start() ROOTCACHE_COLLAPSE_ARG_START
#define test_collapse_start_shift 0
#endif

/* Bit 0 set when the arguments did not match the inferred layout: hook off. */
static unsigned long collapse_layout_wrong;

struct collapse_frame {
	struct mem_cgroup *saved_memcg;
	struct mem_cgroup *memcg;	/* redirected to, with a reference */
	struct address_space *mapping;
	pgoff_t start;
	bool judge;	/* no PMD-sized folio at start before the call */
};

/* A PMD-sized folio at @index of @mapping. Does not sleep. */
static bool pmd_folio_at(struct address_space *mapping, pgoff_t index)
{
	void *folio = rootcache_get_folio(mapping, index);
	bool pmd;

	if (!folio)
		return false;
	pmd = rootcache_folio_bytes(folio) >= PMD_SIZE;
	rootcache_put_folio(folio);
	return pmd;
}

static int collapse_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct collapse_frame *frame = (struct collapse_frame *)ri->data;
	struct file *file = rootcache_arg(regs, collapse_arg_file());
	struct mm_struct *mm = rootcache_arg(regs, 0);

	if (unlikely(test_bit(0, &collapse_layout_wrong)))
		return 1;
	if (unlikely(!rootcache_kernel_pointer(file) ||
		     !rootcache_kernel_pointer(mm))) {
		if (!test_and_set_bit(0, &collapse_layout_wrong))
			pr_err("collapse_file() arguments are not in the layout this build inferred: collapses are no longer redirected\n");
		return 1;
	}
	if (!rootcache_verdict_redirects(rootcache_classify_for_mm(file->f_mapping,
								   mm)))
		return 1;
	if (!try_module_get(THIS_MODULE))
		return 1;
	frame->saved_memcg = current->active_memcg;
	frame->memcg = rootcache_redirect_memcg();
	frame->mapping = file->f_mapping;
	frame->start = (pgoff_t)rootcache_arg(regs, collapse_arg_start()) -
		       test_collapse_start_shift;
	/*
	 * A PMD-sized folio already at start (a race with another collapse,
	 * or large-folio readahead) is not this call's to judge: it was
	 * charged by someone else, whatever this call does.
	 */
	frame->judge = !pmd_folio_at(frame->mapping, frame->start);
	if (!rootcache_test_skip_redirect()) {
		current->active_memcg = frame->memcg;
		rootcache_clear_arg0(regs);
	}
	rootcache_stat_add(RC_STAT_IN_FLIGHT, 1);
	return 0;
}

static int collapse_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct collapse_frame *frame = (struct collapse_frame *)ri->data;
	void *folio;

	current->active_memcg = frame->saved_memcg;
	/*
	 * A PMD-sized folio at the start that was not there before is the
	 * one this call made (compat.h). The lookup does not sleep.
	 */
	folio = frame->judge ? rootcache_get_folio(frame->mapping, frame->start) :
			       NULL;
	if (folio && rootcache_folio_bytes(folio) >= PMD_SIZE) {
		if (rootcache_redirect_landed(folio, frame->memcg))
			rootcache_stat_add(RC_STAT_REDIRECTED_COLLAPSES, 1);
		else
			rootcache_redirect_failed(folio, "collapse_file");
	}
	if (folio)
		rootcache_put_folio(folio);
	rootcache_redirect_memcg_put(frame->memcg);
	rootcache_stat_add(RC_STAT_IN_FLIGHT, -1);
	module_put(THIS_MODULE);
	return 0;
}

static struct kretprobe collapse_probe = {
	.kp.symbol_name = "collapse_file",
	.entry_handler = collapse_entry,
	.handler = collapse_return,
	.data_size = sizeof(struct collapse_frame),
};

/*
 * Optional: hook.c starts it, with at most ROOTCACHE_COLLAPSE_MAXACTIVE
 * instances, and leaves it out where it cannot (or must not) register it.
 */
const struct rootcache_probe rootcache_collapse_kretprobe = {
	.rp = &collapse_probe,
	.maxactive = ROOTCACHE_COLLAPSE_MAXACTIVE,
};

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scope's hot path (scope.c has the rest): inline, because the policy
 * runs it for every inserted folio in the scoped mode (issue 27: about the
 * cost of the global mode).
 */
#ifndef ROOTCACHE_SCOPE_H
#define ROOTCACHE_SCOPE_H

#include <linux/cgroup.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include "compat.h"
#include "rootcache.h"

struct rootcache_scope {
	struct rcu_head rcu;
	u64 gen;		/* unique per published set, from 1 */
	unsigned int nr;
	u64 ids[];
};

/*
 * The per-CPU verdict cache: direct-mapped by the low bits of the serial
 * number, so the few memory cgroups that insert on one CPU at a time keep
 * their slots. A slot is read and written only by the task running the
 * policy on that CPU, with preemption off; interrupts never run the scope
 * check (the policy declines outside task context first). A zeroed slot
 * carries generation 0, which no published set has.
 */
#define ROOTCACHE_SCOPE_SLOTS 16

struct rootcache_scope_slot {
	u64 serial;		/* css->serial_nr of the memory cgroup */
	u64 gen;		/* the generation of the set it was found in */
	bool admitted;
};

struct rootcache_scope_cache {
	struct rootcache_scope_slot slot[ROOTCACHE_SCOPE_SLOTS];
};

DECLARE_PER_CPU(struct rootcache_scope_cache, rootcache_scope_cache);

bool rootcache_scope_fill(const struct rootcache_scope *scope,
			  struct cgroup_subsys_state *css,
			  struct rootcache_scope_slot *slot);

/*
 * Whether @css is inside @scope, from this CPU's cache when it holds @css
 * for @scope's generation. Preemption is off (the slot is this CPU's, and
 * only task context uses it).
 */
static __always_inline bool
rootcache_scope_admits_cached(const struct rootcache_scope *scope,
			      struct cgroup_subsys_state *css)
{
	u64 serial = css->serial_nr;
	struct rootcache_scope_slot *slot;

	slot = this_cpu_ptr(&rootcache_scope_cache.slot[serial %
							ROOTCACHE_SCOPE_SLOTS]);
	if (likely(slot->serial == serial && slot->gen == scope->gen))
		return slot->admitted;
	return rootcache_scope_fill(scope, css, slot);
}

/**
 * rootcache_scope_admits_current - is the memory cgroup the current task
 * charges (rootcache_charge_css()) inside the scope?
 *
 * Task context. Preemption off is the RCU read-side section here: it keeps
 * the task's css_set, its css and the published set from being freed (an
 * RCU grace period waits for it on every supported kernel: the flavours are
 * one from 4.20, and RHEL 8's 4.18 is not PREEMPT_RCU), and one pair of
 * preempt_disable()/preempt_enable() is cheaper than that and an
 * rcu_read_lock() on kernels with preemptible RCU.
 */
static __always_inline bool rootcache_scope_admits_current(void)
{
	const struct rootcache_scope *scope;
	bool admitted = true;

	preempt_disable();
	scope = rcu_dereference_sched(rootcache_scope_set);
	if (scope)
		admitted = rootcache_scope_admits_cached(scope,
							 rootcache_charge_css());
	preempt_enable();
	return admitted;
}

#endif /* ROOTCACHE_SCOPE_H */

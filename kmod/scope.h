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
 * their slots. It holds the verdicts of one generation of the set; a CPU
 * that meets another generation empties it first. A slot holds
 * serial << 1 | admitted in one word (serial numbers start at 1, so an
 * empty slot, 0, matches no css). The cache is read and written only by the
 * task running the policy on that CPU, with preemption off; interrupts
 * never run the scope check (the policy declines outside task context
 * first). A zeroed cache carries generation 0, which no published set has.
 */
#define ROOTCACHE_SCOPE_SLOTS 16

struct rootcache_scope_cache {
	u64 gen;			/* of the set the slots came from */
	u64 slot[ROOTCACHE_SCOPE_SLOTS];	/* serial << 1 | admitted */
};

DECLARE_PER_CPU(struct rootcache_scope_cache, rootcache_scope_cache);

/*
 * The generation of the last set published (or being published: written
 * before the set). A CPU's slots come from the set of the CPU's generation,
 * so a cache whose generation is this one holds verdicts of the published
 * set, and a hit needs no look at the set.
 */
extern u64 rootcache_scope_gen;

bool rootcache_scope_fill(struct cgroup_subsys_state *css);

/*
 * Whether @css is inside the published scope, from this CPU's cache when it
 * holds @css for the last generation. Preemption is off (the slot is this
 * CPU's, and only task context uses it).
 */
static __always_inline bool
rootcache_scope_admits_cached(struct cgroup_subsys_state *css)
{
	u64 serial = css->serial_nr;
	u64 slot;

	if (likely(__this_cpu_read(rootcache_scope_cache.gen) ==
		   READ_ONCE(rootcache_scope_gen))) {
		slot = __this_cpu_read(rootcache_scope_cache.slot[serial %
							ROOTCACHE_SCOPE_SLOTS]);
		/* Two compares, no shift: each verdict is one value. */
		if (likely(slot == (serial << 1 | 1)))
			return true;
		if (likely(slot == serial << 1))
			return false;
	}
	return rootcache_scope_fill(css);
}

/**
 * rootcache_scope_admits_current - is the memory cgroup the current task
 * charges (rootcache_charge_css()) inside the scope?
 *
 * Task context, with a scope set or being set (rootcache_scope_empty() was
 * false). Preemption off is the RCU read-side section here: it keeps the
 * task's css_set, its css and the published set from being freed (an RCU
 * grace period waits for it on every supported kernel: the flavours are one
 * from 4.20, and RHEL 8's 4.18 is not PREEMPT_RCU), and one pair of
 * preempt_disable()/preempt_enable() is cheaper than that and an
 * rcu_read_lock() on kernels with preemptible RCU.
 */
static __always_inline bool rootcache_scope_admits_current(void)
{
	bool admitted;

	preempt_disable();
	admitted = rootcache_scope_admits_cached(rootcache_charge_css());
	preempt_enable();
	return admitted;
}

#endif /* ROOTCACHE_SCOPE_H */

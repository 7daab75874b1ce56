// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counters: the hot path adds to its own CPU's slot, never to a
 * shared cache line; readers sum all slots.
 */
#include <linux/percpu.h>
#include <linux/cpumask.h>
#include "rootcache.h"

DEFINE_PER_CPU(struct rootcache_stats, rootcache_stats);

long rootcache_stat_sum(enum rootcache_stat item)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(rootcache_stats.v[item], cpu);
	return sum;
}

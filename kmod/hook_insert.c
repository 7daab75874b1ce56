// SPDX-License-Identifier: GPL-2.0
/*
 * Hook for 6.1 and later: a kretprobe around filemap_add_folio().
 *
 * The charge inside filemap_add_folio() passes mm == NULL, so it goes to
 * current->active_memcg when that is set. The entry handler sets it to root
 * for insertions the policy accepts and saves the previous value; the return
 * handler restores it. This is what upstream does for AS_KERNEL_FILE
 * mappings since 7.1, done from outside.
 *
 * Unload hazard: unregister_kretprobe() skips the return handler of calls
 * still inside the function, which would leave those tasks charging to root
 * for good. rootcache_hook_stop() therefore stops new redirections, lets
 * running entry handlers finish (RCU) and waits until every redirected call
 * has returned before it unregisters.
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include "compat.h"

#ifdef ROOTCACHE_HOOK_INSERT

#include <linux/kprobes.h>
#include <linux/pagemap.h>
#include <linux/delay.h>
#include <linux/rcupdate.h>
#include "rootcache.h"

const char rootcache_hook_symbol[] = ROOTCACHE_HOOK_SYMBOL;

struct insert_frame {
	struct mem_cgroup *saved_memcg;
	long bytes;
};

static int insert_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct insert_frame *frame = (struct insert_frame *)ri->data;
	struct folio *folio = rootcache_arg(regs, 1);

	if (!rootcache_should_redirect(rootcache_arg(regs, 0)))
		return 1;	/* no return handler for this call */

	frame->saved_memcg = current->active_memcg;
	frame->bytes = folio_size(folio);
	current->active_memcg = rootcache_root_memcg;
	rootcache_stat_add(RC_STAT_IN_FLIGHT, 1);
	return 0;
}

static int insert_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct insert_frame *frame = (struct insert_frame *)ri->data;

	current->active_memcg = frame->saved_memcg;
	if (!regs_return_value(regs)) {
		rootcache_stat_add(RC_STAT_REDIRECTED_FOLIOS, 1);
		rootcache_stat_add(RC_STAT_REDIRECTED_BYTES, frame->bytes);
	}
	rootcache_stat_add(RC_STAT_IN_FLIGHT, -1);
	return 0;
}

static struct kretprobe insert_probe = {
	.kp.symbol_name = ROOTCACHE_HOOK_SYMBOL,
	.entry_handler = insert_entry,
	.handler = insert_return,
	.data_size = sizeof(struct insert_frame),
};

/*
 * Self-test: before trusting kretprobes, prove on a private function that
 * both handlers run and that the return handler can change what the caller
 * sees. Called through a pointer hidden from the optimizer so that the
 * compiler cannot assume the result.
 */
#define SELFTEST_MAGIC 0x5a5a1c0deL

static noinline long selftest_target(long x)
{
	asm volatile("" : "+r"(x));
	return x;
}

static int selftest_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static int selftest_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	regs->ax ^= SELFTEST_MAGIC;
	return 0;
}

static int insert_selftest(void)
{
	struct kretprobe probe = {
		.kp.addr = (kprobe_opcode_t *)selftest_target,
		.entry_handler = selftest_entry,
		.handler = selftest_return,
		.maxactive = 4,
	};
	long (*call)(long) = selftest_target;
	long got;
	int err;

	OPTIMIZER_HIDE_VAR(call);
	err = register_kretprobe(&probe);
	if (err) {
		pr_err("self-test: cannot register a kretprobe (%d)\n", err);
		return err;
	}
	got = call(42);
	unregister_kretprobe(&probe);
	if (got != (42 ^ SELFTEST_MAGIC)) {
		pr_err("self-test: kretprobe did not fire (got %ld); not loading\n",
		       got);
		return -ENOEXEC;
	}
	return 0;
}

int rootcache_hook_start(void)
{
	int err;

	err = insert_selftest();
	if (err)
		return err;

	insert_probe.maxactive = rootcache_maxactive;
	err = register_kretprobe(&insert_probe);
	if (err) {
		pr_err("cannot probe %s (%d); not loading\n",
		       ROOTCACHE_HOOK_SYMBOL, err);
		return err;
	}
	return 0;
}

void rootcache_hook_stop(void)
{
	unsigned int waited = 0;
	long in_flight;

	rootcache_policy_stop();
	/* Entry handlers run with preemption off: this waits them out. */
	synchronize_rcu();
	/* Only decrements from here on, so a sum of 0 is final. */
	while ((in_flight = rootcache_stat_sum(RC_STAT_IN_FLIGHT)) > 0) {
		if (++waited % 500 == 0)
			pr_info("unload waits for %ld redirected insertions\n",
				in_flight);
		msleep(20);
	}
	unregister_kretprobe(&insert_probe);
}

unsigned long rootcache_hook_misses(void)
{
	return READ_ONCE(insert_probe.nmissed) +
	       READ_ONCE(insert_probe.kp.nmissed);
}

#endif /* ROOTCACHE_HOOK_INSERT */

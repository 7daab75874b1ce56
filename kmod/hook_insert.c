// SPDX-License-Identifier: GPL-2.0
/*
 * The hook around the page-cache insertion function (ROOTCACHE_INSERT_SYMBOL,
 * see compat.h), on every series: what it does around each call
 * (rootcache_insert_enter/exit/release, inline in hook_insert.h), the
 * choice of mechanism (the ftrace call wrapper of hook_wrap.c where the
 * kernel allows it, else the kretprobe here), the self-tests and canaries,
 * and hook_state.
 *
 * Entry: for insertions the policy accepts, save current->active_memcg and
 * set it to root or the cache pool (target.c); the kretprobe also takes a
 * module reference. The charge inside then goes there (5.14+ by itself; 5.10
 * to 5.13, root only, with the mm rewrite of hook_charge.c or hook_wrap.c).
 *
 * Return: restore active_memcg, and check the result: a folio inserted while
 * redirected must be charged to the memcg it was redirected to. A kernel
 * whose charge path moved (a distribution backport, an untested version)
 * fails that check; after ROOTCACHE_FAIL_LIMIT such folios the module
 * switches itself off and says so in hook_state, rather than count
 * redirections that did not happen.
 *
 * Unload (kretprobe; hook_wrap.c for the wrapper's): unregister_kretprobe()
 * skips the return handler of calls still
 * inside the function, which would leave those tasks charging to root for
 * good; and a task that dies inside the function (an oops) has its instance
 * recycled without the return handler. The module reference held by every
 * redirected call makes rmmod fail (EAGAIN, "Resource temporarily
 * unavailable") while any is in flight, instead of waiting for a return that
 * may never come. Once unloading has begun, try_module_get() fails and no new
 * call is redirected.
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/atomic.h>
#include <linux/cgroup.h>
#include <linux/string.h>
#include "compat.h"
#include "rootcache.h"
#include "hook_insert.h"

const char rootcache_hook_symbol[] = ROOTCACHE_INSERT_SYMBOL;

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
static int test_lose_returns;
module_param(test_lose_returns, int, 0644);
MODULE_PARM_DESC(test_lose_returns,
		 "TEST BUILD: keep the module reference of this many redirected calls, as if their return handlers never ran");
static atomic_t test_lost = ATOMIC_INIT(0);
static char *test_probe_fail;
module_param(test_probe_fail, charp, 0444);
MODULE_PARM_DESC(test_probe_fail,
		 "TEST BUILD: comma-separated functions whose probe registration fails with -ENOENT, as if the kernel lacked them");

bool rootcache_test_probe_fails(const char *symbol)
{
	const char *p = test_probe_fail;
	size_t len = strlen(symbol);

	while (p && *p) {
		if (!strncmp(p, symbol, len) && (p[len] == ',' || !p[len]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static int test_give_back_set(const char *val, const struct kernel_param *kp)
{
	int n = atomic_xchg(&test_lost, 0);

	rootcache_stat_add(RC_STAT_IN_FLIGHT, -n);
	while (n--)
		module_put(THIS_MODULE);
	return 0;
}

static const struct kernel_param_ops test_give_back_ops = {
	.set = test_give_back_set,
};
module_param_cb(test_give_back, &test_give_back_ops, NULL, 0200);
MODULE_PARM_DESC(test_give_back, "TEST BUILD: release the references test_lose_returns kept");
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

static int insert_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct rootcache_insert *ins = (struct rootcache_insert *)ri->data;

	if (!rootcache_insert_enter(ins,
				    rootcache_arg(regs, ROOTCACHE_INSERT_ARG_MAPPING),
				    rootcache_arg(regs, ROOTCACHE_INSERT_ARG_FOLIO),
				    true, false))
		return 1;	/* no return handler for this call */
	return 0;
}

static int insert_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct rootcache_insert *ins = (struct rootcache_insert *)ri->data;

	rootcache_insert_exit(ins, !regs_return_value(regs));
#ifdef ROOTCACHE_TESTING
	if (READ_ONCE(test_lose_returns) > 0) {
		WRITE_ONCE(test_lose_returns, READ_ONCE(test_lose_returns) - 1);
		atomic_inc(&test_lost);
		return 0;	/* keeps the reference, as a lost return would */
	}
#endif
	rootcache_insert_release(ins);
	return 0;
}

static struct kretprobe insert_probe = {
	.kp.symbol_name = ROOTCACHE_INSERT_SYMBOL,
	.entry_handler = insert_entry,
	.handler = insert_return,
	.data_size = sizeof(struct rootcache_insert),
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

/*
 * Canary: a kprobe on a private function, kept for the module's lifetime.
 * Probes disarmed as a whole (debugfs kprobes/enabled, a dead ftrace) stop
 * it too, so calling it tells whether the hook can still fire.
 */
static atomic_t canary_hits = ATOMIC_INIT(0);

static noinline void canary_target(void)
{
	asm volatile("");
}

static int canary_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic_inc(&canary_hits);
	return 0;
}

static struct kprobe canary_probe = {
	.pre_handler = canary_pre,
};

static bool canary_fires(void)
{
	void (*call)(void) = canary_target;
	int before = atomic_read(&canary_hits);

	OPTIMIZER_HIDE_VAR(call);
	call();
	return atomic_read(&canary_hits) != before;
}

/*
 * Which mechanism carries the insertion hook: "auto" (the ftrace call
 * wrapper where the kernel allows it, else the kretprobe), "ftrace" (or
 * fail to load) or "kretprobe".
 */
enum insert_mechanism { MECH_AUTO, MECH_FTRACE, MECH_KRETPROBE };

static const char *const mechanism_names[] = {
	[MECH_AUTO] = "auto",
	[MECH_FTRACE] = "ftrace",
	[MECH_KRETPROBE] = "kretprobe",
};

static int mechanism_param = MECH_AUTO;
static bool insert_by_ftrace;

static int mechanism_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(mechanism_names, val);

	if (i < 0)
		return -EINVAL;
	*(int *)kp->arg = i;
	return 0;
}

static int mechanism_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", mechanism_names[*(int *)kp->arg]);
}

static const struct kernel_param_ops mechanism_ops = {
	.set = mechanism_set,
	.get = mechanism_get,
};

module_param_cb(hook_mechanism, &mechanism_ops, &mechanism_param, 0444);
MODULE_PARM_DESC(hook_mechanism,
		 "How to hook the insertion function: auto (default: ftrace where possible), ftrace or kretprobe");

/* The mechanism in use, for /sys/kernel/rootcache/hook_mechanism. */
const char *rootcache_hook_mechanism(void)
{
	return mechanism_names[insert_by_ftrace ? MECH_FTRACE : MECH_KRETPROBE];
}

/**
 * rootcache_probe_failed - say why loading stops at a function the build
 * chose for this kernel (compat.h, from conftest.sh's probes)
 * @symbol: the function
 * @err: what registering its probe returned
 */
void rootcache_probe_failed(const char *symbol, int err)
{
	if (err == -ENOENT)
		pr_err("this kernel has no function %s, which the module was built to hook (built against another kernel's headers?); not loading\n",
		       symbol);
	else
		pr_err("cannot probe %s (%d); not loading\n", symbol, err);
}

/*
 * The optional parts, and what a node loses without each: printed when one
 * is missing, named by hook_state (Documentation/rootcache.rst, "Checks").
 */
static const struct {
	const char *symbol;
	const char *cost;
} hook_parts[NR_RC_PARTS] = {
	[RC_PART_COLLAPSE] = {
		"collapse_file",
		"huge-page collapses (khugepaged, MADV_COLLAPSE) of redirected file cache are charged to the process that maps the file, 2 MiB at a time",
	},
	[RC_PART_WRITEBACK] = {
		"__inode_attach_wb",
		"inodes a job dirties before they have a page (new files, atime updates) keep its removed cgroup dying until their writeback (cgroup v2)",
	},
};

static unsigned long missing_parts;	/* bit per enum rootcache_hook_part */

/**
 * rootcache_part_missing - load without an optional part of the hook
 * @part: the part whose probe could not be registered
 * @err: what registering it returned
 */
void rootcache_part_missing(enum rootcache_hook_part part, int err)
{
	set_bit(part, &missing_parts);
	pr_warn("cannot probe %s (%d): loading without it (hook_state: partial): %s\n",
		hook_parts[part].symbol, err, hook_parts[part].cost);
}

/**
 * rootcache_part_unsafe - load without an optional part this kernel breaks
 * @part: the part left out
 * @why: what the part would break on this kernel
 */
void rootcache_part_unsafe(enum rootcache_hook_part part, const char *why)
{
	set_bit(part, &missing_parts);
	pr_warn("not probing %s: %s; loading without it (hook_state: partial): %s\n",
		hook_parts[part].symbol, why, hook_parts[part].cost);
}

/**
 * rootcache_hook_missing - the next missing optional part of the hook
 * @pos: where to look from, 0 at first; advanced past the part returned
 *
 * Return: the function the part probes, or NULL when there is none left.
 */
const char *rootcache_hook_missing(unsigned int *pos)
{
	while (*pos < NR_RC_PARTS) {
		unsigned int part = (*pos)++;

		if (test_bit(part, &missing_parts))
			return hook_parts[part].symbol;
	}
	return NULL;
}

static int insert_hook_start(void)
{
	int err;

	if (mechanism_param != MECH_KRETPROBE) {
		err = rootcache_wrap_start();
		if (!err) {
			insert_by_ftrace = true;
			err = rootcache_charge_hook_start(true);
			if (err)
				rootcache_wrap_stop();
			return err;
		}
		if (mechanism_param == MECH_FTRACE) {
			pr_err("hook_mechanism=ftrace: cannot wrap %s (%d); not loading\n",
			       ROOTCACHE_INSERT_SYMBOL, err);
			return err;
		}
		pr_info("using a kretprobe on %s instead of ftrace (%d)\n",
			ROOTCACHE_INSERT_SYMBOL, err);
	}
	/* The mm rewrite first: the kretprobe redirects from its start. */
	err = rootcache_charge_hook_start(false);
	if (err)
		return err;
	insert_probe.maxactive = rootcache_maxactive;
	err = rootcache_test_probe_fails(ROOTCACHE_INSERT_SYMBOL) ? -ENOENT :
	      register_kretprobe(&insert_probe);
	if (err) {
		rootcache_probe_failed(ROOTCACHE_INSERT_SYMBOL, err);
		rootcache_charge_hook_stop();
	}
	return err;
}

/* The insertion hook and the probes of hook_charge.c. */
static void insert_hook_stop(void)
{
	if (insert_by_ftrace)
		rootcache_wrap_stop();
	else
		unregister_kretprobe(&insert_probe);
	rootcache_charge_hook_stop();
}

static bool insert_hook_armed(void)
{
	if (insert_by_ftrace)
		return rootcache_wrap_canary_fires();
	return !kprobe_disabled(&insert_probe.kp);
}

bool rootcache_hook_failed(void)
{
	return atomic_read(&hook_failed_folios) >= ROOTCACHE_FAIL_LIMIT;
}

enum rootcache_hook_state rootcache_hook_state(void)
{
	if (rootcache_hook_failed())
		return RC_HOOK_FAILED;
	if (!insert_hook_armed() || !rootcache_charge_hook_armed() ||
	    !rootcache_collapse_hook_armed() || !canary_fires())
		return RC_HOOK_DISARMED;
	if (READ_ONCE(missing_parts))
		return RC_HOOK_PARTIAL;
	return RC_HOOK_OK;
}

int rootcache_hook_start(void)
{
	int err;

	err = insert_selftest();
	if (err)
		return err;

	canary_probe.addr = (kprobe_opcode_t *)canary_target;
	err = register_kprobe(&canary_probe);
	if (err) {
		pr_err("cannot register the canary kprobe (%d); not loading\n", err);
		return err;
	}
	err = insert_hook_start();
	if (err)
		goto canary;
	err = rootcache_collapse_hook_start();
	if (err)
		goto insert;
	return 0;
insert:
	rootcache_policy_stop();
	insert_hook_stop();
canary:
	unregister_kprobe(&canary_probe);
	return err;
}

/*
 * Called at unload only. With the kretprobe, no redirected call holds a
 * module reference: none is in flight, and none can start (try_module_get()
 * fails). The ftrace wrapper's unload waits for the calls inside it.
 */
void rootcache_hook_stop(void)
{
	rootcache_policy_stop();
	/* Entry handlers run with preemption off: this waits them out. */
	synchronize_rcu();
	insert_hook_stop();
	rootcache_collapse_hook_stop();
	unregister_kprobe(&canary_probe);
}

unsigned long rootcache_hook_misses(void)
{
	return READ_ONCE(insert_probe.nmissed) +
	       READ_ONCE(insert_probe.kp.nmissed) +
	       rootcache_charge_hook_misses() +
	       rootcache_collapse_hook_misses();
}

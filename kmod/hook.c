// SPDX-License-Identifier: GPL-2.0
/*
 * The owner of the hook: the one file that chooses the mechanism of the
 * insertion hook and starts, checks and stops every probe, in one order.
 *
 * Layers; each calls only the ones below it:
 *
 *  (this file)		hook_mechanism, the start and stop order of every
 *			probe, optional parts, hook_state, probe misses
 *  hook_wrap.c		the mechanisms, each started from here and calling no
 *  hook_direct.S	other: the ftrace call wrapper of the insertion (and on
 *  hook_kretprobe.c	5.10 its direct calls), the kretprobe of the insertion,
 *  hook_charge.c	the kprobes of the charge path (the mm rewrite of 5.10
 *  hook_collapse.c	to 5.13, __inode_attach_wb) and the collapse kretprobe
 *  redirect.c, .h	the per-folio layer they all use: enter and exit around
 *			a call, the redirect target, the post-condition, failure
 *			counting, the mm rewrite's decision
 *  policy.c, scope.c, target.c, stats.c
 *
 * A mechanism describes each of its probes as a struct rootcache_probe: a
 * kprobe or kretprobe, which this file registers, or functions that attach
 * and detach it. Starting returns an error, and what it means is decided
 * here: a required probe that cannot start refuses the load; an optional
 * part (the collapse and writeback probes) is left out with one log line,
 * and hook_state reads "partial" followed by what is missing.
 *
 * The insertion: the ftrace call wrapper (hook_wrap.c) where the kernel
 * allows it, which does the mm rewrite of 5.10 to 5.13 from the same
 * ftrace_ops (or its direct calls) too; else the kretprobe
 * (hook_kretprobe.c), after the mm rewrite's kprobe (hook_charge.c) where
 * one is needed: the kretprobe redirects from its start.
 *
 * Before any of them, two checks of the kprobe machinery itself: a
 * kretprobe self-test, and a canary kprobe kept for the module's lifetime,
 * which hook_state calls.
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/atomic.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "compat.h"
#include "rootcache.h"

const char rootcache_hook_symbol[] = ROOTCACHE_INSERT_SYMBOL;

#ifdef ROOTCACHE_TESTING
static char *test_probe_fail;
module_param(test_probe_fail, charp, 0444);
MODULE_PARM_DESC(test_probe_fail,
		 "TEST BUILD: comma-separated functions whose probe registration fails with -ENOENT, as if the kernel lacked them");

static bool test_probe_fails(const char *symbol)
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
#else
static inline bool test_probe_fails(const char *symbol)
{
	return false;
}
#endif

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
	regs_set_return_value(regs, regs_return_value(regs) ^ SELFTEST_MAGIC);
	return 0;
}

static int kretprobe_selftest(void)
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
	.addr = (kprobe_opcode_t *)canary_target,
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
 * Every probe, in the order they start; they stop in the opposite order.
 * The insertion is carried by the wrapper, or by the kretprobe with (5.10
 * to 5.13) the mm rewrite's kprobe: never both.
 */
enum hook_probe {
	PROBE_CANARY,
	PROBE_WRAP,
	PROBE_CHARGE,
	PROBE_KRETPROBE,
	PROBE_WRITEBACK,
	PROBE_COLLAPSE,
	NR_PROBES
};

static const struct rootcache_probe canary = {
	.kp = &canary_probe,
	.armed = canary_fires,
};

static const struct rootcache_probe *const probes[NR_PROBES] = {
	[PROBE_CANARY] = &canary,
	[PROBE_WRAP] = &rootcache_wrap,
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
	[PROBE_CHARGE] = &rootcache_charge_kprobe,
#endif
	[PROBE_KRETPROBE] = &rootcache_insert_kretprobe,
	[PROBE_WRITEBACK] = &rootcache_writeback_kprobe,
	[PROBE_COLLAPSE] = &rootcache_collapse_kretprobe,
};

static unsigned long running;	/* bit per enum hook_probe: started, not stopped */
static unsigned long started;	/* bit per enum hook_probe: started since load */

/* The function @probe registers on (test_probe_fail), or NULL. */
static const char *probe_symbol(const struct rootcache_probe *probe)
{
	if (probe->kp)
		return probe->kp->symbol_name;
	if (probe->rp)
		return probe->rp->kp.symbol_name;
	return NULL;
}

/* Start probe @p; test builds fail it on demand (test_probe_fail). */
static int probe_start(enum hook_probe p)
{
	const struct rootcache_probe *probe = probes[p];
	const char *symbol = probe_symbol(probe);
	int err;

	if (symbol && test_probe_fails(symbol)) {
		err = -ENOENT;
	} else if (probe->kp) {
		err = register_kprobe(probe->kp);
	} else if (probe->rp) {
		probe->rp->maxactive = probe->maxactive ?
				       min(probe->maxactive, rootcache_maxactive) :
				       rootcache_maxactive;
		err = register_kretprobe(probe->rp);
	} else {
		err = probe->start();
	}
	if (err)
		return err;
	set_bit(p, &running);
	set_bit(p, &started);
	return 0;
}

/* Every probe still running, in the opposite order of their start. */
static void probes_stop(void)
{
	int p;

	for (p = NR_PROBES - 1; p >= 0; p--) {
		if (!test_and_clear_bit(p, &running))
			continue;
		if (probes[p]->kp)
			unregister_kprobe(probes[p]->kp);
		else if (probes[p]->rp)
			unregister_kretprobe(probes[p]->rp);
		else
			probes[p]->stop();
	}
}

/* Whether the kernel still runs probe @p (started). */
static bool probe_armed(enum hook_probe p)
{
	const struct rootcache_probe *probe = probes[p];

	if (probe->armed)
		return probe->armed();
	if (probe->kp)
		return !kprobe_disabled(probe->kp);
	return !kprobe_disabled(&probe->rp->kp);
}

/* Calls probe @p missed: none for a mechanism of its own. */
static unsigned long probe_misses(enum hook_probe p)
{
	const struct rootcache_probe *probe = probes[p];

	if (probe->kp)
		return READ_ONCE(probe->kp->nmissed);
	if (probe->rp)
		return READ_ONCE(probe->rp->nmissed) +
		       READ_ONCE(probe->rp->kp.nmissed);
	return 0;
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
	return mechanism_names[test_bit(PROBE_WRAP, &started) ? MECH_FTRACE :
						      MECH_KRETPROBE];
}

/**
 * probe_failed - say why loading stops at a function the build chose for
 * this kernel (compat.h, from conftest.sh's probes)
 * @symbol: the function
 * @err: what registering its probe returned
 */
static void probe_failed(const char *symbol, int err)
{
	if (err == -ENOENT)
		pr_err("this kernel has no function %s, which the module was built to hook (built against another kernel's headers?); not loading\n",
		       symbol);
	else
		pr_err("cannot probe %s (%d); not loading\n", symbol, err);
}

/*
 * The optional parts, in the order hook_state names them. Each is started
 * after the insertion hook, which alone solves the original problem, and
 * none stops the load: a part the kernel leaves nothing to do for is not
 * probed; one that would break the kernel, or whose probe cannot be
 * registered (collapse_file() inlined or cloned by clang or LTO builds), is
 * missing: one log line with what a node loses without it
 * (Documentation/rootcache.rst, "Checks"), and hook_state names it.
 */
enum hook_part_id { PART_COLLAPSE, PART_WRITEBACK, NR_PARTS };

static const struct hook_part {
	enum hook_probe probe;
	const char *needless;	/* why the kernel needs none: not probed */
	const char *unsafe;	/* what it would break here: missing */
	const char *cost;	/* what a node loses without it */
} hook_parts[NR_PARTS] = {
	[PART_COLLAPSE] = {
		.probe = PROBE_COLLAPSE,
		.needless = IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) ? NULL :
			    "no transparent huge pages",
#if ROOTCACHE_COLLAPSE_MM_NEEDED	/* compat.h: 6.1 to 6.5, read-only file THP */
		.unsafe =
			"this kernel's collapse_file() needs its mm to map the result (6.1 to 6.5): MADV_COLLAPSE would fail",
#endif
		.cost =
			"huge-page collapses (khugepaged, MADV_COLLAPSE) of redirected file cache are charged to the process that maps the file, 2 MiB at a time",
	},
	[PART_WRITEBACK] = {
		.probe = PROBE_WRITEBACK,
		/* No cgroup writeback: no such function, and no pin to remove. */
		.needless = IS_ENABLED(CONFIG_CGROUP_WRITEBACK) ? NULL :
			    "no cgroup writeback in this kernel",
		.cost =
			"inodes a job dirties before they have a page (new files, atime updates) keep its removed cgroup dying until their writeback (cgroup v2)",
	},
};

static unsigned long missing_parts;	/* bit per enum hook_part_id */

/* Start optional part @i, or load without it. */
static void part_start(enum hook_part_id i)
{
	const struct hook_part *part = &hook_parts[i];
	const char *symbol = probe_symbol(probes[part->probe]);
	int err;

	if (part->needless) {
		pr_info("%s: %s not probed\n", part->needless, symbol);
		return;
	}
	if (part->unsafe) {
		set_bit(i, &missing_parts);
		pr_warn("not probing %s: %s; loading without it (hook_state: partial): %s\n",
			symbol, part->unsafe, part->cost);
		return;
	}
	err = probe_start(part->probe);
	if (err) {
		set_bit(i, &missing_parts);
		pr_warn("cannot probe %s (%d): loading without it (hook_state: partial): %s\n",
			symbol, err, part->cost);
	}
}

/**
 * rootcache_hook_missing - the next missing optional part of the hook
 * @pos: where to look from, 0 at first; advanced past the part returned
 *
 * Return: the function the part probes, or NULL when there is none left.
 */
const char *rootcache_hook_missing(unsigned int *pos)
{
	while (*pos < NR_PARTS) {
		unsigned int part = (*pos)++;

		if (test_bit(part, &missing_parts))
			return probe_symbol(probes[hook_parts[part].probe]);
	}
	return NULL;
}

/* The insertion hook, with the mm rewrite where the kernel needs one. */
static int insertion_start(void)
{
	int err;

	if (mechanism_param != MECH_KRETPROBE) {
		err = probe_start(PROBE_WRAP);
		if (!err)
			return 0;
		if (mechanism_param == MECH_FTRACE) {
			pr_err("hook_mechanism=ftrace: cannot wrap %s (%d); not loading\n",
			       ROOTCACHE_INSERT_SYMBOL, err);
			return err;
		}
		pr_info("using a kretprobe on %s instead of ftrace (%d)\n",
			ROOTCACHE_INSERT_SYMBOL, err);
	}
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
	/* The mm rewrite first: the kretprobe redirects from its start. */
	err = rootcache_charge_selftest();
	if (err)
		return err;
	err = probe_start(PROBE_CHARGE);
	if (err) {
		probe_failed(ROOTCACHE_CHARGE_SYMBOL, err);
		return err;
	}
#endif
	err = probe_start(PROBE_KRETPROBE);
	if (err)
		probe_failed(ROOTCACHE_INSERT_SYMBOL, err);
	return err;
}

enum rootcache_hook_state rootcache_hook_state(void)
{
	int p;

	if (rootcache_hook_failed())
		return RC_HOOK_FAILED;
	for (p = 0; p < NR_PROBES; p++) {
		if (test_bit(p, &running) && !probe_armed(p))
			return RC_HOOK_DISARMED;
	}
	if (READ_ONCE(missing_parts))
		return RC_HOOK_PARTIAL;
	return RC_HOOK_OK;
}

int rootcache_hook_start(void)
{
	int err;

	err = kretprobe_selftest();
	if (err)
		return err;
	err = probe_start(PROBE_CANARY);
	if (err) {
		pr_err("cannot register the canary kprobe (%d); not loading\n", err);
		return err;
	}
	err = insertion_start();
	if (err) {
		probes_stop();
		return err;
	}
	part_start(PART_WRITEBACK);
	part_start(PART_COLLAPSE);
	return 0;
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
	probes_stop();
}

/* Calls every probe started since load missed, also after unload. */
unsigned long rootcache_hook_misses(void)
{
	unsigned long misses = 0;
	int p;

	for (p = 0; p < NR_PROBES; p++) {
		if (test_bit(p, &started))
			misses += probe_misses(p);
	}
	return misses;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The insertion hook's ftrace call wrapper: the default mechanism where the
 * kernel allows it, with the kretprobe of hook_insert.c as the fallback.
 *
 * Why: a kretprobe costs about 400 instructions per inserted folio (the
 * kprobe layer, an instance from the pool, a second trampoline on return),
 * several percent of a cold page-cache fill. Here an ftrace_ops on the
 * insertion function's ftrace site moves the instruction pointer to
 * rootcache_insert_wrapper() (FTRACE_OPS_FL_IPMODIFY, as livepatch does),
 * which runs the same policy as the kretprobe's entry handler, calls the
 * original function past its ftrace site, and restores active_memcg and
 * checks the result as the return handler does, in plain C.
 *
 * 5.10 (ROOTCACHE_FTRACE_DIRECT, compat.h): an ftrace callback that moves
 * the instruction pointer or rewrites an argument needs the full pt_regs
 * trampoline there (about 75 instructions a pass), and the mm rewrite of
 * mem_cgroup_charge() is a second pass per insertion. ftrace direct calls
 * replace both: the fentry call of each site goes straight to a trampoline
 * of hook_direct.S, which jumps to the same wrapper (or returns, disabled),
 * or clears the mm argument. The direct calls share the kernel's direct_ops,
 * which is IPMODIFY as well: a livepatch of either function and the
 * module still exclude each other. The test build's test_wrap_call_start
 * takes the ftrace_ops path there (IBT, its reason, does not exist on 5.10).
 *
 * Calling past the ftrace site keeps the wrapper's own call from being
 * traced again (or entering the direct trampoline again). A CPU that
 * enforces indirect branch tracking only lets an indirect call land on an
 * endbr64: there the wrapper calls the function at its start, the callback
 * sees the call come from this module and lets it through.
 *
 * Unlike a kretprobe, nothing here can skip the restore of active_memcg:
 * unregistering only stops new calls from entering the wrapper. Unload
 * waits until no task is inside it (wrap_active), then for an RCU-tasks
 * grace period (plain RCU on 5.10's non-preemptible Debian kernels), which
 * covers the instructions before the first and after the last count, and
 * the direct trampolines. The grace period unregister_ftrace_function()
 * waits for itself cannot serve: a task asleep inside the function when it
 * starts is not waited for, and may be past its last count when it ends.
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/delay.h>
#include <linux/percpu.h>
#include <linux/atomic.h>
#include "compat.h"
#include "rootcache.h"
#include "hook_insert.h"

#ifdef ROOTCACHE_HAVE_FTRACE_WRAP

/* The insertion function's signature on every series (compat.h). */
typedef int (*insert_fn)(void *arg0, void *arg1, unsigned long index,
			 gfp_t gfp, void *arg4);

static insert_fn insert_target;	/* what the wrapper calls */
static unsigned long insert_site;	/* the function's ftrace site */
static unsigned long canary_site;
static unsigned long charge_site;	/* the mm rewrite, where needed */
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
static const bool wrap_rewrites_charge = true;
#else
static const bool wrap_rewrites_charge;
#endif
static bool wrap_calls_start;	/* through the ftrace site again */
static bool wrap_direct;	/* direct calls instead of wrap_ops */

/* Tasks inside rootcache_insert_wrapper(), summed over CPUs at unload. */
static DEFINE_PER_CPU(long, wrap_active);
static atomic_t wrap_canary_hits = ATOMIC_INIT(0);

#ifdef ROOTCACHE_TESTING
static bool test_wrap_call_start;
module_param_named(test_wrap_call_start, test_wrap_call_start, bool, 0444);
MODULE_PARM_DESC(test_wrap_call_start,
		 "TEST BUILD: call the insertion function at its start, as on a CPU enforcing IBT");
#else
#define test_wrap_call_start false
#endif

/*
 * In place of the insertion function: the ftrace callback moves the
 * instruction pointer here, the direct trampoline jumps here.
 */
int notrace rootcache_insert_wrapper(void *arg0, void *arg1,
				     unsigned long index, gfp_t gfp, void *arg4)
{
	void *mapping = ROOTCACHE_INSERT_ARG_MAPPING ? arg1 : arg0;
	void *folio = ROOTCACHE_INSERT_ARG_FOLIO ? arg1 : arg0;
	struct rootcache_insert ins;
	bool redirected;
	int ret;

	this_cpu_inc(wrap_active);
	redirected = rootcache_insert_enter(&ins, mapping, folio, false);
	ret = insert_target(arg0, arg1, index, gfp, arg4);
	if (redirected) {
		rootcache_insert_exit(&ins, !ret);
		rootcache_insert_release(&ins);
	}
	this_cpu_dec(wrap_active);
	return ret;
}

static void notrace wrap_callback(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *op,
				  ROOTCACHE_FTRACE_REGS *regs)
{
	if (unlikely(ip == canary_site)) {
		atomic_inc(&wrap_canary_hits);
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
		rootcache_clear_arg1(rootcache_ftrace_pt_regs(regs));
#endif
		return;
	}
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
	if (ip == charge_site) {
		rootcache_charge_rewrite(rootcache_ftrace_pt_regs(regs));
		return;
	}
#endif
	/* The wrapper's own call, when it calls the function at its start. */
	if (unlikely(wrap_calls_start) &&
	    within_module(parent_ip, THIS_MODULE))
		return;
	if (!READ_ONCE(rootcache_enabled))
		return;
	rootcache_ftrace_set_ip(regs, (unsigned long)rootcache_insert_wrapper);
}

static struct ftrace_ops wrap_ops = {
	.func = wrap_callback,
	.flags = ROOTCACHE_WRAP_FTRACE_FLAGS,
};

/*
 * The canary: the callback counts its calls, and where it rewrites the mm
 * argument of mem_cgroup_charge(), clears the second argument as it would
 * there (the self-test at start checks that the rewrite takes effect). The
 * direct trampoline only clears it.
 */
static noinline void *wrap_canary_target(void *page, void *mm)
{
	asm volatile("" : "+r"(page), "+r"(mm));
	return mm;
}

static void *call_canary(void)
{
	void *(*call)(void *, void *) = wrap_canary_target;

	OPTIMIZER_HIDE_VAR(call);
	return call(&wrap_ops, &wrap_ops);
}

bool rootcache_wrap_canary_fires(void)
{
	int before = atomic_read(&wrap_canary_hits);
	void *mm = call_canary();

	if (wrap_direct)
		return !mm;
	return atomic_read(&wrap_canary_hits) != before &&
	       !(wrap_rewrites_charge && mm);
}

static bool is_endbr64(unsigned long addr)
{
	static const u8 endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

	return !memcmp((void *)addr, endbr64, sizeof(endbr64));
}

/*
 * The start of the function a kprobe sits in at @addr: kprobes step over
 * an endbr64 at the start.
 */
static unsigned long function_start(unsigned long addr)
{
	return is_endbr64(addr - ENDBR_INSN_SIZE) ? addr - ENDBR_INSN_SIZE : addr;
}

/*
 * The ftrace site of @addr's function, as a kprobe sees it: kprobes put
 * there sit on ftrace. 0 if the function has none.
 */
static unsigned long ftrace_site(const char *symbol, void *addr)
{
	struct kprobe probe = { .symbol_name = symbol, .addr = addr };
	unsigned long site = 0;

	if (register_kprobe(&probe))
		return 0;
	if (kprobe_ftrace(&probe))
		site = (unsigned long)probe.addr;
	unregister_kprobe(&probe);
	return site;
}

/*
 * ftrace_free_filter() is exported from 6.2 (and some stable 6.1 builds;
 * conftest.sh reads Module.symvers); elsewhere, find it as kprobes do.
 * Without it, the ops' filter hash (8 KiB) would leak at every unload.
 */
static void wrap_free_filter(void)
{
#ifdef ROOTCACHE_HAVE_FTRACE_FREE_FILTER_EXPORT
	ftrace_free_filter(&wrap_ops);
#else
	struct kprobe probe = { .symbol_name = "ftrace_free_filter" };
	void (*free_filter)(struct ftrace_ops *ops);
	unsigned long addr;

	if (register_kprobe(&probe)) {
		pr_warn("cannot find ftrace_free_filter: its filter stays allocated\n");
		return;
	}
	addr = function_start((unsigned long)probe.addr);
	unregister_kprobe(&probe);
	free_filter = (void *)addr;
	free_filter(&wrap_ops);
#endif
}

#ifdef ROOTCACHE_FTRACE_DIRECT
/* A site and the trampoline its direct call goes to. */
struct direct_site {
	unsigned long *ip;
	void (*tramp)(void);
};

/*
 * In the order of attaching: the mm rewrite before any insertion is
 * redirected, the insertion last; detached in the opposite order.
 */
static const struct direct_site direct_sites[] = {
	{ &charge_site, rootcache_charge_tramp },
	{ &canary_site, rootcache_canary_tramp },
	{ &insert_site, rootcache_insert_tramp },
};

static unsigned int nr_direct;	/* attached, from the start of direct_sites */

/* All the direct calls, or (@all false) the insertion's. */
static void wrap_detach_direct(bool all)
{
	unsigned int keep = all ? 0 : ARRAY_SIZE(direct_sites) - 1;

	while (nr_direct > keep) {
		nr_direct--;
		rootcache_direct_detach(*direct_sites[nr_direct].ip,
					direct_sites[nr_direct].tramp);
	}
}

static int wrap_attach_direct(void)
{
	int err;

	for (nr_direct = 0; nr_direct < ARRAY_SIZE(direct_sites); nr_direct++) {
		err = rootcache_direct_attach(*direct_sites[nr_direct].ip,
					      direct_sites[nr_direct].tramp);
		if (err) {
			wrap_detach_direct(true);
			return err;
		}
	}
	return 0;
}
#else
static void wrap_detach_direct(bool all)
{
}

static int wrap_attach_direct(void)
{
	return -EOPNOTSUPP;
}
#endif

static int wrap_attach_ops(void)
{
	int err;

	err = ftrace_set_filter_ip(&wrap_ops, insert_site, 0, 0);
	if (!err)
		err = ftrace_set_filter_ip(&wrap_ops, canary_site, 0, 0);
	if (!err && charge_site)
		err = ftrace_set_filter_ip(&wrap_ops, charge_site, 0, 0);
	if (!err)
		err = register_ftrace_function(&wrap_ops);
	if (err)
		wrap_free_filter();
	return err;
}

int rootcache_wrap_start(void)
{
	unsigned long start;
	bool call_start;
	int err;

	insert_site = ftrace_site(ROOTCACHE_INSERT_SYMBOL, NULL);
	canary_site = ftrace_site(NULL, wrap_canary_target);
	if (!insert_site || !canary_site) {
		pr_info("%s has no ftrace site\n", ROOTCACHE_INSERT_SYMBOL);
		return -ENOENT;
	}
	start = function_start(insert_site);
	call_start = rootcache_kernel_ibt() || test_wrap_call_start;
	if (rootcache_kernel_ibt() && !is_endbr64(start)) {
		pr_info("%s does not start with endbr64 under IBT\n",
			ROOTCACHE_INSERT_SYMBOL);
		return -ENOENT;
	}
	wrap_calls_start = call_start;
	insert_target = (insert_fn)(call_start ? start :
				    insert_site + MCOUNT_INSN_SIZE);
	wrap_direct = rootcache_have_ftrace_direct() && !call_start;

#ifdef ROOTCACHE_CHARGE_MM_REWRITE
	charge_site = ftrace_site(ROOTCACHE_CHARGE_SYMBOL, NULL);
	if (!charge_site) {
		pr_info("%s has no ftrace site\n", ROOTCACHE_CHARGE_SYMBOL);
		return -ENOENT;
	}
#endif
	err = wrap_direct ? wrap_attach_direct() : wrap_attach_ops();
	if (err) {
		pr_info("cannot attach ftrace%s to %s (%d)\n",
			wrap_direct ? " direct calls" : "",
			ROOTCACHE_INSERT_SYMBOL, err);
		return err;
	}
	if (!rootcache_wrap_canary_fires()) {
		pr_err("self-test: the ftrace %s did not fire or rewrite\n",
		       wrap_direct ? "direct call" : "callback");
		rootcache_wrap_stop();
		return -ENOEXEC;
	}
	return 0;
}

static long wrap_active_sum(void)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(wrap_active, cpu);
	return sum;
}

/*
 * After rootcache_policy_stop(): no call entering now is redirected. Direct
 * calls: the insertion's goes first, and the mm rewrite stays until no
 * redirected call is left to need it.
 */
void rootcache_wrap_stop(void)
{
	unsigned int waited = 0;

	if (wrap_direct) {
		wrap_detach_direct(false);
	} else {
		unregister_ftrace_function(&wrap_ops);
		wrap_free_filter();
	}
	/* Calls that entered before: not redirected ones may still run. */
	while (wrap_active_sum()) {
		msleep(20);
		if (++waited % 500 == 0)
			pr_info("unload waits for %ld calls of %s\n",
				wrap_active_sum(), ROOTCACHE_INSERT_SYMBOL);
	}
	wrap_detach_direct(true);
	rootcache_sync_tasks();
}

#else /* !ROOTCACHE_HAVE_FTRACE_WRAP */

int rootcache_wrap_start(void)
{
	return -EOPNOTSUPP;
}

void rootcache_wrap_stop(void)
{
}

bool rootcache_wrap_canary_fires(void)
{
	return false;
}

#endif

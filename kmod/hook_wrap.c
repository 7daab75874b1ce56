// SPDX-License-Identifier: GPL-2.0
/*
 * The insertion hook's ftrace call wrapper: the default mechanism where the
 * kernel allows it, with the kretprobe of hook_kretprobe.c as the fallback
 * (hook.c chooses).
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
 * takes the ftrace_ops path there.
 *
 * Calling past the ftrace site keeps the wrapper's own call from being
 * traced again (or entering the direct trampoline again): other tracers of
 * the function see one call per insertion. The call is a static call
 * (compat.h), a direct one: an indirect call there would break under IBT
 * (it must land on an endbr64) and kCFI (a type hash must precede its
 * target), and calling the function at its start instead, as this module
 * did under IBT before, passes the ftrace site twice: other tracers saw two
 * calls per insertion (test_hook traced_too counts them). The test build
 * can still take that path (test_wrap_call_start; the callback then lets
 * the module's own call through), to measure it and to show the test red.
 *
 * Unlike a kretprobe, nothing here can skip the restore of active_memcg:
 * unregistering only stops new calls from entering the wrapper. Unload
 * waits for an RCU-tasks grace period (plain RCU on 5.10's non-preemptible
 * Debian kernels), so that a task preempted between the ftrace trampoline
 * and its count in wrap_active has counted; then until no task is inside
 * the wrapper (wrap_active); then for another grace period, which covers
 * the instructions after the last count, and the direct trampolines. Its
 * own waits, not unregister_ftrace_function()'s: that one is skipped with
 * kernel.ftrace_enabled 0 on kernels without upstream 0e792b89e680 (5.11
 * to 5.19, early 5.15.y and 6.0.y), and a task asleep inside the function
 * when it starts is not waited for, and may be past its last count when it
 * ends.
 *
 * A failure to detach (unregister_ftrace_function() returns -ENODEV once
 * ftrace shut itself down after an internal error, while the trampoline
 * still calls wrap_callback()) must not free the module: unload, which
 * cannot fail, then keeps retrying every second, asleep without counting
 * as a hung task, and says so in the log.
 *
 * A task that oopses inside the wrapper never takes back its count. A die
 * notifier looks for the wrapper on the stack of the task that oopses; if
 * it is there, the module takes a reference on itself, so that rmmod fails
 * at once (EAGAIN) like the kretprobe's, and unload no longer waits for
 * that task.
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/delay.h>
#include <linux/percpu.h>
#include <linux/atomic.h>
#include <linux/kallsyms.h>
#include <linux/kdebug.h>
#include <linux/notifier.h>
#include <linux/sched.h>
#include <linux/stacktrace.h>
#include "compat.h"
#include "rootcache.h"
#include "redirect.h"
#include "scope.h"

#ifdef ROOTCACHE_HAVE_FTRACE_WRAP

/* The insertion function's signature on every series (compat.h). */
typedef int (*insert_fn)(void *arg0, void *arg1, unsigned long index,
			 gfp_t gfp, void *arg4);

/* What the wrapper calls until start sets the target: never, by order. */
static int insert_unset(void *arg0, void *arg1, unsigned long index,
			gfp_t gfp, void *arg4)
{
	return -ENOENT;
}

/* What the wrapper calls: the insertion function past its ftrace site. */
#ifdef ROOTCACHE_HAVE_STATIC_CALL
DEFINE_STATIC_CALL(rootcache_insert_call, insert_unset);
#else
static insert_fn rootcache_insert_call = insert_unset;	/* compat.h */
#endif
static unsigned long insert_site;	/* the function's ftrace site */
static unsigned long canary_site;
static unsigned long charge_site;	/* the mm rewrite, where needed */
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
static const bool wrap_rewrites_charge = true;
#else
static const bool wrap_rewrites_charge;
#endif
#ifdef ROOTCACHE_TESTING
static bool wrap_direct;	/* direct calls instead of wrap_ops */
#define wrap_uses_direct() wrap_direct
#else
/* Direct calls wherever the kernel has them: a constant for the wrapper. */
#define wrap_uses_direct() rootcache_have_ftrace_direct()
#endif
static bool wrap_calls_start;	/* test build: through the site again */

/* Tasks inside rootcache_insert_wrapper(), summed over CPUs at unload. */
static DEFINE_PER_CPU(long, wrap_active);
static atomic_t wrap_canary_hits = ATOMIC_INIT(0);
/* Of those, tasks that oopsed there: they never leave. */
static atomic_t wrap_dead = ATOMIC_INIT(0);
static unsigned long wrap_pinned;	/* bit 0: the module holds itself */
static unsigned long wrapper_end;	/* rootcache_insert_wrapper()'s end */

#ifdef ROOTCACHE_TESTING
static bool test_wrap_call_start;
module_param_named(test_wrap_call_start, test_wrap_call_start, bool, 0444);
MODULE_PARM_DESC(test_wrap_call_start,
		 "TEST BUILD: call the insertion function at its start, through its ftrace site again, as under IBT before static calls");
static int test_wrap_die;
module_param(test_wrap_die, int, 0644);
MODULE_PARM_DESC(test_wrap_die,
		 "TEST BUILD: this many redirected calls run the die notifier's check from inside the wrapper and keep their count, as a task that oopsed there would");
static atomic_t test_wrap_died = ATOMIC_INIT(0);
static bool test_unregister_fail;
module_param(test_unregister_fail, bool, 0644);
MODULE_PARM_DESC(test_unregister_fail,
		 "TEST BUILD: detaching from ftrace fails with -ENODEV (without trying) while set");
#define test_unregister_fails() READ_ONCE(test_unregister_fail)
static unsigned int test_wrap_delay_ms;
module_param(test_wrap_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_wrap_delay_ms,
		 "TEST BUILD: the next redirected call sleeps this long between the insertion and its check (then 0 again)");

static unsigned int test_wrap_entry_spin_ms;
module_param(test_wrap_entry_spin_ms, uint, 0644);
MODULE_PARM_DESC(test_wrap_entry_spin_ms,
		 "TEST BUILD: the next call of the wrapper busy-waits this long before it counts itself in wrap_active, and sleeps as long after the insertion (then 0 again)");

/* Test build: when (ktime_get(), in ms) a task took the spin below. */
static unsigned long test_wrap_entry_began_ms;
module_param(test_wrap_entry_began_ms, ulong, 0444);
MODULE_PARM_DESC(test_wrap_entry_began_ms,
		 "TEST BUILD: CLOCK_MONOTONIC (ms) at which a task took test_wrap_entry_spin_ms (0: none yet)");

/*
 * Before the count, once: a task that ftrace sent here and that has not
 * counted itself yet, held there long enough for unload to overtake it.
 * Busy, not asleep: a voluntary sleep is a quiescent state of RCU-tasks,
 * a preempted or running task is not. Return: how long it was held.
 */
static unsigned int test_wrap_entry_spin(void)
{
	unsigned int ms = READ_ONCE(test_wrap_entry_spin_ms);
	ktime_t began;

	if (!ms || cmpxchg(&test_wrap_entry_spin_ms, ms, 0) != ms)
		return 0;
	began = ktime_get();
	WRITE_ONCE(test_wrap_entry_began_ms, ktime_to_ms(began));
	/*
	 * By the clock, not mdelay(): under QEMU's TCG, 5.10's delay loop
	 * took 2 ms for mdelay(1000).
	 */
	while (ktime_ms_delta(ktime_get(), began) < ms)
		cpu_relax();
	return ms;
}

/*
 * The same call, counted now, asleep inside the wrapper: the quiescent
 * state that ends an RCU-tasks wait while the task is still in module
 * text, so that only the count keeps unload from freeing it.
 */
static void test_wrap_entry_sleep(unsigned int ms)
{
	if (ms)
		msleep(ms);
}

/* Between the insertion and its check, once: a slow call, on demand. */
static void test_wrap_delay(bool redirected)
{
	unsigned int ms = READ_ONCE(test_wrap_delay_ms);

	if (redirected && ms && cmpxchg(&test_wrap_delay_ms, ms, 0) == ms)
		msleep(ms);
}
#else
static inline unsigned int test_wrap_entry_spin(void)
{
	return 0;
}

static inline void test_wrap_entry_sleep(unsigned int ms)
{
}

static inline void test_wrap_delay(bool redirected)
{
}

#define test_wrap_call_start false
#define test_unregister_fails() false
#endif

static void wrap_task_dying(void);
static void wrap_stop(void);

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
	unsigned int held;
	bool redirected;
	int ret;

	held = test_wrap_entry_spin();
	this_cpu_inc(wrap_active);
	/*
	 * Through the callback, only calls it found in scope come here; the
	 * direct calls (5.10) come whatever the scope, and a task out of it
	 * is sent on at once, as the callback does (issue 27).
	 */
	if (!rootcache_scope_empty() && wrap_uses_direct() && in_task() &&
	    !rootcache_scope_admits_current()) {
		rootcache_stat_add(RC_STAT_SKIPPED_OUT_OF_SCOPE, 1);
		redirected = false;
	} else {
		redirected = rootcache_insert_enter(&ins, mapping, folio,
						    false, true);
	}
	ret = rootcache_call(rootcache_insert_call)(arg0, arg1, index, gfp, arg4);
	test_wrap_entry_sleep(held);
	test_wrap_delay(redirected);
	if (redirected) {
		rootcache_insert_exit(&ins, !ret);
		rootcache_insert_release(&ins);
#ifdef ROOTCACHE_TESTING
		if (unlikely(READ_ONCE(test_wrap_die) > 0)) {
			WRITE_ONCE(test_wrap_die, READ_ONCE(test_wrap_die) - 1);
			atomic_inc(&test_wrap_died);
			wrap_task_dying();
			return ret;	/* keeps its count in wrap_active */
		}
#endif
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
	/*
	 * A task out of scope keeps the call as it is, as when disabled: the
	 * wrapper's call layer and the classification would cost it more
	 * than this check (issue 27). Its folios are counted as out of scope
	 * whatever their kind. Task context only: interrupts must not touch
	 * the per-CPU verdict cache (scope.h), and the wrapper declines them.
	 */
	if (!rootcache_scope_empty() && in_task() &&
	    !rootcache_scope_admits_current()) {
		rootcache_stat_add(RC_STAT_SKIPPED_OUT_OF_SCOPE, 1);
		return;
	}
	rootcache_ftrace_set_ip(regs, (unsigned long)rootcache_insert_wrapper);
}

static struct ftrace_ops wrap_ops = {
	.func = wrap_callback,
	.flags = ROOTCACHE_WRAP_FTRACE_FLAGS,
};

/*
 * The canary, on rootcache_rewrite_target() (redirect.c): the callback
 * counts its calls, and where it rewrites the mm argument of
 * mem_cgroup_charge(), clears the second argument as it would there (the
 * self-test at start checks that the rewrite takes effect). The direct
 * trampoline only clears it.
 */
static bool wrap_canary_fires(void)
{
	int before = atomic_read(&wrap_canary_hits);
	void *mm = rootcache_rewrite_canary();

	if (wrap_uses_direct())
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

/*
 * All the direct calls, or (@all false) the insertion's. Stops at the
 * first that fails, which stays attached (a later call retries it).
 */
static int wrap_detach_direct(bool all)
{
	unsigned int keep = all ? 0 : ARRAY_SIZE(direct_sites) - 1;
	int err;

	while (nr_direct > keep) {
		err = rootcache_direct_detach(*direct_sites[nr_direct - 1].ip,
					      direct_sites[nr_direct - 1].tramp);
		if (err)
			return err;
		nr_direct--;
	}
	return 0;
}

static void wrap_detach(int (*detach)(void));

static int wrap_detach_all(void)
{
	return wrap_detach_direct(true);
}

static int wrap_attach_direct(void)
{
	int err;

	for (nr_direct = 0; nr_direct < ARRAY_SIZE(direct_sites); nr_direct++) {
		err = rootcache_direct_attach(*direct_sites[nr_direct].ip,
					      direct_sites[nr_direct].tramp);
		if (err) {
			wrap_detach(wrap_detach_all);
			return err;
		}
	}
	return 0;
}
#else
static int wrap_detach_direct(bool all)
{
	return 0;
}

static int wrap_detach_all(void)
{
	return 0;
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

/*
 * The end of rootcache_insert_wrapper() (its size from kallsyms, read as
 * "name+0x0/0xSIZE [rootcache]"), or 0 if unknown.
 */
static unsigned long wrapper_end_addr(void)
{
	unsigned long start = (unsigned long)rootcache_insert_wrapper;
	char buf[KSYM_SYMBOL_LEN];
	unsigned long size;
	char *slash, *end;

	sprint_symbol(buf, start);
	slash = strchr(buf, '/');
	if (!slash)
		return 0;
	end = strchr(slash, ' ');
	if (end)
		*end = '\0';
	if (kstrtoul(slash + 1, 16, &size))
		return 0;
	return start + size;
}

static long wrap_active_sum(void)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(wrap_active, cpu);
	return sum;
}

#define WRAP_DIE_DEPTH 64

/*
 * The current task oopses and will die (DIE_OOPS comes just before the
 * kernel kills it). If rootcache_insert_wrapper() is on its stack, the task
 * never leaves the wrapper: its count in wrap_active stays, and unload
 * would wait for it for ever. Then the module takes a reference on itself,
 * so that rmmod fails at once (EAGAIN), and unload, should it already run,
 * stops waiting for that task. Without the wrapper's size, any oops while a
 * call is inside the wrapper pins the module. Oops context: no locks.
 */
static noinline void wrap_task_dying(void)
{
	unsigned long entries[WRAP_DIE_DEPTH];
	unsigned int n, i;
	bool inside = !wrapper_end && wrap_active_sum();

	n = stack_trace_save(entries, ARRAY_SIZE(entries), 0);
	for (i = 0; i < n && !inside; i++)
		inside = entries[i] >= (unsigned long)rootcache_insert_wrapper &&
			 entries[i] < wrapper_end;
	if (!inside)
		return;
	if (wrapper_end)
		atomic_inc(&wrap_dead);
	if (test_and_set_bit(0, &wrap_pinned))
		return;
	__module_get(THIS_MODULE);
	pr_crit("a task oopsed inside the wrapper of %s: the module stays loaded until reboot (rmmod fails with EAGAIN)\n",
		ROOTCACHE_INSERT_SYMBOL);
}

#ifdef ROOTCACHE_TESTING
/* Undo what test_wrap_die did: the counts, and the module's own reference. */
static int test_wrap_revive_set(const char *val, const struct kernel_param *kp)
{
	int n = atomic_xchg(&test_wrap_died, 0);

	if (!n)
		return 0;
	/* In a test guest, the only tasks that "died" are these. */
	atomic_set(&wrap_dead, 0);
	this_cpu_sub(wrap_active, n);
	if (test_and_clear_bit(0, &wrap_pinned))
		module_put(THIS_MODULE);
	return 0;
}

static const struct kernel_param_ops test_wrap_revive_ops = {
	.set = test_wrap_revive_set,
};
module_param_cb(test_wrap_revive, &test_wrap_revive_ops, NULL, 0200);
MODULE_PARM_DESC(test_wrap_revive, "TEST BUILD: take back what test_wrap_die did");
#endif

static int wrap_die_notify(struct notifier_block *nb, unsigned long val,
			   void *data)
{
	if (val == DIE_OOPS)
		wrap_task_dying();
	return NOTIFY_DONE;
}

static struct notifier_block wrap_die_nb = {
	.notifier_call = wrap_die_notify,
};

static int wrap_start(void)
{
	bool call_start = test_wrap_call_start;
	int err;

	insert_site = ftrace_site(ROOTCACHE_INSERT_SYMBOL, NULL);
	canary_site = ftrace_site(NULL, rootcache_rewrite_target);
	if (!insert_site || !canary_site) {
		pr_info("%s has no ftrace site\n", ROOTCACHE_INSERT_SYMBOL);
		return -ENOENT;
	}
	wrap_calls_start = call_start;
	rootcache_call_update(rootcache_insert_call,
			      (insert_fn)(call_start ? function_start(insert_site) :
					  insert_site + MCOUNT_INSN_SIZE));
#ifdef ROOTCACHE_TESTING
	wrap_direct = rootcache_have_ftrace_direct() && !call_start;
#endif

#ifdef ROOTCACHE_CHARGE_MM_REWRITE
	charge_site = ftrace_site(ROOTCACHE_CHARGE_SYMBOL, NULL);
	if (!charge_site) {
		pr_info("%s has no ftrace site\n", ROOTCACHE_CHARGE_SYMBOL);
		return -ENOENT;
	}
#endif
	wrapper_end = wrapper_end_addr();
	if (!wrapper_end)
		pr_warn("cannot find the size of the wrapper: any oops while a call is inside it pins the module\n");
	err = register_die_notifier(&wrap_die_nb);
	if (err)
		return err;
	err = wrap_uses_direct() ? wrap_attach_direct() : wrap_attach_ops();
	if (err) {
		pr_info("cannot attach ftrace%s to %s (%d)\n",
			wrap_uses_direct() ? " direct calls" : "",
			ROOTCACHE_INSERT_SYMBOL, err);
		unregister_die_notifier(&wrap_die_nb);
		return err;
	}
	if (!wrap_canary_fires()) {
		pr_err("self-test: the ftrace %s did not fire or rewrite\n",
		       wrap_uses_direct() ? "direct call" : "callback");
		wrap_stop();
		return -ENOEXEC;
	}
	return 0;
}

/*
 * Keep calling @detach until it succeeds: while it fails, ftrace may still
 * call into the module, whose text must then never be freed. Unload cannot
 * fail, so it waits here, retrying every second, asleep in TASK_IDLE (not
 * reported as a hung task), and says why.
 */
static void wrap_detach(int (*detach)(void))
{
	unsigned int tries = 0;
	int err;

	while ((err = test_unregister_fails() ? -ENODEV : detach())) {
		if (tries++ % 600 == 0)
			pr_crit("cannot detach from ftrace (%d): ftrace may still call into the module, which is therefore not freed; unload retries every second (reboot if this persists)\n",
				err);
		schedule_timeout_idle(HZ);
	}
	if (tries)
		pr_info("detached from ftrace after %u retries\n", tries);
}

/* The insertion's entry: its direct call, or the whole ftrace_ops. */
static int wrap_detach_insert(void)
{
	int err;

	if (wrap_uses_direct())
		return wrap_detach_direct(false);
	err = unregister_ftrace_function(&wrap_ops);
	if (!err)
		wrap_free_filter();
	return err;
}

/*
 * After rootcache_policy_stop(): no call entering now is redirected. Direct
 * calls: the insertion's goes first, and the mm rewrite stays until no
 * redirected call is left to need it.
 */
static void wrap_stop(void)
{
	unsigned int waited = 0;

	wrap_detach(wrap_detach_insert);
	/*
	 * A task between the trampoline and its count: counted after this,
	 * whatever unregister_ftrace_function() waited for (see above).
	 */
	rootcache_sync_tasks();
	/* Calls that entered before: not redirected ones may still run. */
	while (wrap_active_sum() > atomic_read(&wrap_dead)) {
		msleep(20);
		if (++waited % 500 == 0)
			pr_info("unload waits for %ld calls of %s\n",
				wrap_active_sum() - atomic_read(&wrap_dead),
				ROOTCACHE_INSERT_SYMBOL);
	}
	wrap_detach(wrap_detach_all);
	rootcache_sync_tasks();
	unregister_die_notifier(&wrap_die_nb);
}

#else /* !ROOTCACHE_HAVE_FTRACE_WRAP */

static int wrap_start(void)
{
	return -EOPNOTSUPP;
}

static void wrap_stop(void)
{
}

static bool wrap_canary_fires(void)
{
	return false;
}

#endif

/* Started by hook.c; armed while its canary fires (and rewrites). */
const struct rootcache_probe rootcache_wrap = {
	.start = wrap_start,
	.stop = wrap_stop,
	.armed = wrap_canary_fires,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * The kretprobe mechanism of the insertion hook (ROOTCACHE_INSERT_SYMBOL,
 * see compat.h): the fallback where the ftrace call wrapper (hook_wrap.c)
 * cannot attach, and the only mechanism on arm64. hook.c chooses it and
 * registers the probe; what the handlers do around each call is the
 * per-folio layer's (rootcache_insert_enter/exit/release, redirect.h).
 *
 * Entry: for insertions the policy accepts, save current->active_memcg and
 * set it to root or the cache pool (target.c), and take a module
 * reference. The charge inside then goes there (5.14+ by itself; 5.10 to
 * 5.13, root only, with the mm rewrite's kprobe of hook_charge.c).
 *
 * Return: restore active_memcg, and check that the folio was charged there
 * (redirect.c counts a failure).
 *
 * Unload: unregister_kretprobe() skips the return handler of calls still
 * inside the function, which would leave those tasks charging to root for
 * good; and a task that dies inside the function (an oops) has its instance
 * recycled without the return handler. The module reference held by every
 * redirected call makes rmmod fail (EAGAIN, "Resource temporarily
 * unavailable") while any is in flight, instead of waiting for a return that
 * may never come. Once unloading has begun, try_module_get() fails and no new
 * call is redirected.
 */
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/atomic.h>
#include "compat.h"
#include "rootcache.h"
#include "redirect.h"

#ifdef ROOTCACHE_TESTING
/*
 * Test builds only (make -C kmod ROOTCACHE_TESTING=1): break the mechanism
 * on purpose, to prove that the checks around it notice.
 */
static int test_lose_returns;
module_param(test_lose_returns, int, 0644);
MODULE_PARM_DESC(test_lose_returns,
		 "TEST BUILD: keep the module reference of this many redirected calls, as if their return handlers never ran");
static atomic_t test_lost = ATOMIC_INIT(0);

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
#endif

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

/* hook.c registers it, with the maxactive parameter's instances. */
const struct rootcache_probe rootcache_insert_kretprobe = {
	.rp = &insert_probe,
};

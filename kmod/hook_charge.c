// SPDX-License-Identifier: GPL-2.0
/*
 * Kprobes besides the insertion kretprobe: the mm rewrite some series need
 * (see compat.h), and the inode writeback attachment.
 *
 * The mm rewrite (5.10 to 5.13, why and when: redirect.c): with the
 * kretprobe on the insertion, a kprobe on mem_cgroup_charge(page, mm, gfp)
 * clears the mm argument when rootcache_charge_rewrite() decides so. The
 * ftrace wrapper does the same from its own callback (hook_wrap.c).
 *
 * The second pin (cgroup v2): the first time a task dirties an inode without
 * a page at hand (a new inode, or an atime update), __inode_attach_wb(inode,
 * NULL) attaches the inode's writeback to the task's memory cgroup. That
 * writeback context holds a reference on the cgroup: 5.10 never switches the
 * inode away when the cgroup goes offline, and later kernels skip a context
 * with dirty IO until the next cgroup goes offline. For inodes the policy
 * redirects (rootcache_classify_writeback(): files whose cache moves, and
 * directories and symlinks with "metadata" on), a kprobe hands over the zero
 * page instead of NULL (compat.h), so the inode's writeback is attached to
 * root, like its page cache; with a cache pool set, a page charged to the
 * pool (target.c), so that it is attached to the pool's writeback.
 */
#define pr_fmt(fmt) "rootcache: " fmt

#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/fs.h>
#include <linux/backing-dev.h>
#include "compat.h"
#include "rootcache.h"
#include "redirect.h"

#ifdef ROOTCACHE_CHARGE_MM_REWRITE
static int charge_pre(struct kprobe *p, struct pt_regs *regs)
{
	rootcache_charge_rewrite(regs);
	return 0;
}

static struct kprobe charge_probe = {
	.symbol_name = ROOTCACHE_CHARGE_SYMBOL,
	.pre_handler = charge_pre,
};

/*
 * Self-test: prove on a private function with the same argument layout
 * (rootcache_rewrite_target()) that the pre-handler runs and that clearing
 * the second argument register takes effect (ftrace-based kprobes must
 * write the registers back).
 */
static int selftest_pre(struct kprobe *p, struct pt_regs *regs)
{
	rootcache_clear_arg1(regs);
	return 0;
}

static int charge_selftest(void)
{
	struct kprobe probe = {
		.addr = (kprobe_opcode_t *)rootcache_rewrite_target,
		.pre_handler = selftest_pre,
	};
	void *got;
	int err;

	err = register_kprobe(&probe);
	if (err) {
		pr_err("self-test: cannot register a kprobe (%d)\n", err);
		return err;
	}
	got = rootcache_rewrite_canary();
	unregister_kprobe(&probe);
	if (got) {
		pr_err("self-test: kprobe did not rewrite the argument; not loading\n");
		return -ENOEXEC;
	}
	return 0;
}
#endif /* ROOTCACHE_CHARGE_MM_REWRITE */

static int writeback_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct inode *inode = rootcache_arg(regs, 0);

	if (rootcache_arg(regs, 1))
		return 0;	/* attached by a page: follows its memcg */
	/* No cgroup writeback here (cgroup v1, or the bdi has none). */
	if (!inode_cgwb_enabled(inode))
		return 0;
	if (!rootcache_verdict_redirects(rootcache_classify_writeback(inode)))
		return 0;
	rootcache_set_arg1(regs, rootcache_redirect_wb_arg());
	rootcache_stat_add(RC_STAT_REDIRECTED_INODE_WB, 1);
	return 0;
}

static struct kprobe writeback_probe = {
	.symbol_name = "__inode_attach_wb",
	.pre_handler = writeback_pre,
};

static bool charge_registered;	/* the mm rewrite's kprobe */
static bool writeback_registered;

/*
 * Optional: without cgroup writeback (CONFIG_CGROUP_WRITEBACK=n) there is
 * no such function and no pin to remove; a kernel that has it but will not
 * let it be probed loses only the redirection of inode writeback.
 */
static void writeback_hook_start(void)
{
	int err;

	if (!IS_ENABLED(CONFIG_CGROUP_WRITEBACK)) {
		pr_info("no cgroup writeback in this kernel: __inode_attach_wb not probed\n");
		return;
	}
	err = rootcache_test_probe_fails(writeback_probe.symbol_name) ? -ENOENT :
	      register_kprobe(&writeback_probe);
	if (err) {
		rootcache_part_missing(RC_PART_WRITEBACK, err);
		return;
	}
	writeback_registered = true;
}

/*
 * @by_ftrace: the ftrace call wrapper does the mm rewrite (hook_wrap.c):
 * register only the inode writeback probe.
 */
int rootcache_charge_hook_start(bool by_ftrace)
{
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
	int err;

	if (!by_ftrace) {
		err = charge_selftest();
		if (err)
			return err;
		err = rootcache_test_probe_fails(charge_probe.symbol_name) ?
		      -ENOENT : register_kprobe(&charge_probe);
		if (err) {
			rootcache_probe_failed(charge_probe.symbol_name, err);
			return err;
		}
		charge_registered = true;
	}
#endif
	writeback_hook_start();
	return 0;
}

void rootcache_charge_hook_stop(void)
{
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
	if (charge_registered)
		unregister_kprobe(&charge_probe);
#endif
	if (writeback_registered)
		unregister_kprobe(&writeback_probe);
	charge_registered = false;
	writeback_registered = false;
}

unsigned long rootcache_charge_hook_misses(void)
{
	unsigned long misses = 0;

#ifdef ROOTCACHE_CHARGE_MM_REWRITE
	if (charge_registered)
		misses += READ_ONCE(charge_probe.nmissed);
#endif
	if (writeback_registered)
		misses += READ_ONCE(writeback_probe.nmissed);
	return misses;
}

bool rootcache_charge_hook_armed(void)
{
#ifdef ROOTCACHE_CHARGE_MM_REWRITE
	if (charge_registered && kprobe_disabled(&charge_probe))
		return false;
#endif
	return !writeback_registered || !kprobe_disabled(&writeback_probe);
}

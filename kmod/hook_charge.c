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
 * Self-test, run by hook.c before it registers the kprobe: prove on a
 * private function with the same argument layout (rootcache_rewrite_target())
 * that the pre-handler runs and that clearing the second argument register
 * takes effect (ftrace-based kprobes must write the registers back).
 */
static int selftest_pre(struct kprobe *p, struct pt_regs *regs)
{
	rootcache_clear_arg1(regs);
	return 0;
}

int rootcache_charge_selftest(void)
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

/* hook.c registers it (with the kretprobe only: see hook_wrap.c). */
const struct rootcache_probe rootcache_charge_kprobe = {
	.kp = &charge_probe,
};
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

/* Optional: hook.c starts it, and loads without it if it cannot. */
const struct rootcache_probe rootcache_writeback_kprobe = {
	.kp = &writeback_probe,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * The second pin (cgroup v2 only): with rootcache enabled, a job that reads a
 * file updates its atime, which dirties the inode and attaches the inode's
 * writeback context to the job's memcg. That keeps the removed group dying
 * until the inode is written and (5.14 and later) switched to another
 * writeback context; 5.10 never switches it.
 *
 * atime:   rootcache attaches such inodes' writeback to root instead
 *          (stats/redirected_inode_writeback must grow). Without sync the
 *          group may still stay dying for a while (diagnostic only); after
 *          sync it must go within 10 s.
 * noatime: the same job opening its file with O_NOATIME leaves no pin: the
 *          group goes within 10 s with no sync at all.
 * Without cgroup writeback in the kernel (CONFIG_CGROUP_WRITEBACK=n, no
 * __inode_attach_wb) there is no second pin: atime skips, noatime runs.
 */
#include <stdio.h>
#include <unistd.h>

#include "lib/rc.h"

#define SIZE	MiB(16)

static int need_v2(void)
{
	if (rc.v1)
		return rc_skip("cgroup v1 has no cgroup writeback");
	return rc_mod_set(RC_ENABLED);
}

static int second_pin_atime(void)
{
	struct rc_seed s = { .size = SIZE };
	long long t0, dying, wb0, wb1;
	int ret;

	if (!rc.v1 && !rc_kernel_has_cgroup_writeback())
		return rc_skip("no cgroup writeback in this kernel (no __inode_attach_wb)");
	ret = need_v2();
	if (ret != KSFT_PASS)
		return ret;
	wb0 = rc_mod_stat("redirected_inode_writeback");
	if (rc_seed_run(&s, "pin", SEED_NO_SYNC, 3000))
		return KSFT_FAIL;
	wb1 = rc_mod_stat("redirected_inode_writeback");
	rc_diag("atime, no sync: usage %s, file %s, dying %lld -> %lld 3 s after rmdir (%s), redirected_inode_writeback %lld -> %lld",
		rc_size(s.usage), rc_size(s.file), s.dying0, s.dying,
		s.release_ms < 0 ? "pinned" : "released", wb0, wb1);
	if (!rc_below("empty group's file charge", s.file, MiB(1)) ||
	    !rc_at_least("stats/redirected_inode_writeback growth", wb1 - wb0, 1))
		return KSFT_FAIL;
	if (s.release_ms >= 0) {
		rc_diag("no second pin seen on %s", rc.kernel);
		return KSFT_PASS;
	}
	sync();
	t0 = rc_now_ms();
	dying = rc_dying_wait(s.dying0, 10000);
	if (dying <= s.dying0) {
		rc_diag("atime pin released %lld ms after sync", rc_now_ms() - t0);
		return KSFT_PASS;
	}
	rc_diag("atime pin still held 10 s after sync: dying %lld, was %lld",
		dying, s.dying0);
	return KSFT_FAIL;
}

static int second_pin_noatime(void)
{
	struct rc_seed s = { .size = SIZE };
	int ret;

	ret = need_v2();
	if (ret != KSFT_PASS)
		return ret;
	if (rc_seed_run(&s, "pin_noatime", SEED_NO_SYNC | SEED_NOATIME, 10000))
		return KSFT_FAIL;
	rc_diag("O_NOATIME, no sync: usage %s, file %s, dying %lld -> %lld (%s)",
		rc_size(s.usage), rc_size(s.file), s.dying0, s.dying,
		s.release_ms < 0 ? "pinned" : "released");
	if (!rc_below("empty group's file charge", s.file, MiB(1)))
		return KSFT_FAIL;
	if (s.release_ms < 0) {
		rc_diag("dying memcgs: actual %lld, expected <= %lld within 10 s, no sync",
			s.dying, s.dying0);
		return KSFT_FAIL;
	}
	rc_diag("released %d ms after rmdir", s.release_ms);
	return KSFT_PASS;
}

static const struct rc_test tests[] = {
	T(second_pin_atime, 0),
	T(second_pin_noatime, 0),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

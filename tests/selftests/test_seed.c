// SPDX-License-Identifier: GPL-2.0
/*
 * The seed scenario: a job in a fresh cgroup reads 64 MiB of a new file and
 * exits; its group is empty.
 *
 * enabled:           the empty group's usage < 1 MiB, and after sync, rmdir,
 *                    sync the dying-memcg count is back at its earlier value
 *                    within 10 s.
 * unloaded/disabled: the group keeps the charge (64 MiB +-10%) and, on
 *                    kernels before 7.1, the dying count rises (on v1, whose
 *                    count is node-wide, in one of two runs).

 */
#include <stdio.h>

#include "lib/rc.h"

#define SIZE	MiB(64)

static void report(const char *mode, const struct rc_seed *s)
{
	char rel[32] = "not back";

	if (s->release_ms >= 0)
		snprintf(rel, sizeof(rel), "back after %d ms", s->release_ms);
	rc_diag("seed/%s: tasks %d, usage %s, file %s, dying memcgs %lld -> %lld (%s)",
		mode, s->procs, rc_size(s->usage), rc_size(s->file),
		s->dying0, s->dying, rel);
}

static int seed_enabled(void)
{
	struct rc_seed s = { .size = SIZE };
	int ret;

	ret = rc_mod_set(RC_ENABLED);
	if (ret != KSFT_PASS)
		return ret;
	if (rc_seed_run(&s, "seed", 0, 10000))
		return KSFT_FAIL;
	report("enabled", &s);
	if (!rc_equal("tasks left in the job group", s.procs, 0) ||
	    !rc_below("empty group's usage", s.usage, MiB(1)))
		return KSFT_FAIL;
	if (s.release_ms >= 0) {
		rc_diag("dying count back to %lld %d ms after rmdir",
			s.dying0, s.release_ms);
		return KSFT_PASS;
	}
	rc_diag("dying memcgs: actual %lld, expected <= %lld within 10 s of rmdir",
		s.dying, s.dying0);
	return KSFT_FAIL;
}

/*
 * On v1 the dying count is the whole node's (/proc/cgroups): an older dying
 * memcg freed during the run can hide the job's. Such a run is measured once
 * more; a kernel or module that frees the job's memcg fails both.
 */
#define V1_RUNS	2

static int seed_off(int mode)
{
	struct rc_seed s = { .size = SIZE };
	int ret, run;

	ret = rc_mod_set(mode);
	if (ret != KSFT_PASS)
		return ret;
	for (run = 1; run <= (rc.v1 ? V1_RUNS : 1); run++) {
		/* 2 s is enough to see it stay; the charge keeps it for good */
		if (rc_seed_run(&s, "seed", 0, 2000))
			return KSFT_FAIL;
		report(rc_mode_name(mode), &s);
		if (!rc_equal("tasks left in the job group", s.procs, 0) ||
		    !rc_close("empty group's usage", s.usage, SIZE, 10))
			return KSFT_FAIL;
		if (!rc_kernel_before(7, 1)) {
			rc_diag("%s reparents LRU folios on offline: dying %lld -> %lld (not checked)",
				rc.kernel, s.dying0, s.dying);
			return KSFT_PASS;
		}
		if (s.dying >= s.dying0 + 1)
			return KSFT_PASS;
		if (rc.v1 && run < V1_RUNS)
			rc_diag("node-wide dying count did not rise (run %d): once more",
				run);
	}
	rc_at_least("dying memcgs 2 s after rmdir", s.dying, s.dying0 + 1);
	return KSFT_FAIL;
}

static int seed_unloaded(void)
{
	return seed_off(RC_UNLOADED);
}

static int seed_disabled(void)
{
	return seed_off(RC_DISABLED);
}

static const struct rc_test tests[] = {
	T(seed_unloaded, 0),
	T(seed_disabled, 0),
	T(seed_enabled, 0),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

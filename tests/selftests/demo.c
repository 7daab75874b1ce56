// SPDX-License-Identifier: GPL-2.0
/*
 * demo: the seed scenario side by side, in one guest.
 *
 * The same job (read 64 MiB of a new file in a fresh cgroup, exit; the group
 * is then empty and removed) runs with rootcache not loaded and with it
 * enabled. The table shows the charge left in the empty group before rmdir
 * and how many dying memcgs the removal left behind after sync.
 *
 * Usage: demo [MiB]   (default 64)
 * Exit status: 0 when rootcache made both numbers go away, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/rc.h"

static int run(const char *name, int mode, struct rc_seed *s, int wait_ms)
{
	if (rc_mod_set(mode) != KSFT_PASS) {
		fprintf(stderr, "demo: cannot bring rootcache to state %s\n",
			rc_mode_name(mode));
		return -1;
	}
	if (rc_seed_run(s, name, 0, wait_ms)) {
		fprintf(stderr, "demo: the %s run failed\n", name);
		return -1;
	}
	return 0;
}

static const char *dying(const struct rc_seed *s, char *buf, size_t len)
{
	snprintf(buf, len, "%+lld", s->dying - s->dying0);
	return buf;
}

int main(int argc, char **argv)
{
	long long size = MiB(argc > 1 ? atoi(argv[1]) : 64);
	struct rc_seed off = { .size = size }, on = { .size = size };
	char b1[32], b2[32], charge_off[32], charge_on[32];
	int mode0, ret = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (size <= 0)
		size = MiB(64);
	rc_env_init();
	mode0 = rc_mod_mode();

	printf("rootcache demo: kernel %s, cgroup %s\n", rc.kernel,
	       rc.v1 ? "v1" : "v2");
	printf("job: read %lld MiB of a new file on %s in a fresh cgroup, exit; then sync, rmdir, sync\n\n",
	       size >> 20, rc.scratch);
	if (run("demo_off", RC_UNLOADED, &off, 2000) ||
	    run("demo_on", RC_ENABLED, &on, 10000))
		goto out;

	snprintf(charge_off, sizeof(charge_off), "%s", rc_size(off.usage));
	snprintf(charge_on, sizeof(charge_on), "%s", rc_size(on.usage));
	printf("%-44s %14s %14s\n", "", "not loaded", "enabled");
	printf("%-44s %14s %14s\n", "charge left in the empty job cgroup",
	       charge_off, charge_on);
	printf("%s\n", rc.v1 ? "  (memory.usage_in_bytes)" : "  (memory.current)");
	printf("%-44s %14s %14s\n", "dying memcgs added by rmdir + sync",
	       dying(&off, b1, sizeof(b1)), dying(&on, b2, sizeof(b2)));
	printf("%s\n", rc.v1 ? "  (/proc/cgroups memory - directories)" :
			      "  (cgroup.stat nr_dying_descendants)");
	printf("\n");
	if (!rc_kernel_before(7, 1))
		printf("note: %s reparents page cache of removed groups (7.1+), so the dying count goes back without rootcache too; the charge does not.\n",
		       rc.kernel);
	if (on.dying > on.dying0 && !rc.v1)
		printf("note: the enabled run still left a dying memcg: the job's atime update attached the inode's writeback to its group (second pin, see Documentation/rootcache.rst)%s.\n",
		       rc_kernel_before(5, 14) ?
		       "; 5.10 never switches it away" : "");
	ret = on.usage < MiB(1) && on.dying <= on.dying0 ? 0 : 1;
out:
	rc_mod_set(mode0);
	return ret;
}

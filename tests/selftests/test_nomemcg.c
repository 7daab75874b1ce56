// SPDX-License-Identifier: GPL-2.0
/*
 * rootcache refuses to load when the memory controller is disabled
 * (admin-guide.rst: "The memory controller is disabled (-ENODEV)").
 *
 * refuses_without_memcg: with "memory" disabled in /proc/cgroups, or (6.16+,
 *                        where /proc/cgroups lists v1 controllers only)
 *                        missing from the v2 root's cgroup.controllers (boot
 *                        with cgroup_disable=memory), finit_module() of the module
 *                        fails with ENODEV and leaves no
 *                        /sys/kernel/rootcache behind.
 *
 * With the memory controller enabled, as in every other guest run, the test
 * is skipped. It cannot use rc_main(): the runner's environment check skips
 * every test when there is no memory controller, which is the one case this
 * test is for. So it prints its own TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/rc.h"

/* 1 enabled, 0 disabled, -1 unknown (not built in, or no v2 root) */
static int memcg_enabled(void)
{
	char line[256], name[64];
	int hier, num, enabled, ret = -1;
	FILE *f = fopen("/proc/cgroups", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %d %d %d", name, &hier, &num,
			   &enabled) == 4 && !strcmp(name, "memory")) {
			ret = enabled;
			break;
		}
	}
	fclose(f);
	if (ret >= 0)
		return ret;
	/*
	 * From 6.16 /proc/cgroups lists v1 controllers only; the v2 root's
	 * cgroup.controllers leaves out a disabled one.
	 */
	if (rc_read_str("/sys/fs/cgroup/cgroup.controllers", line,
			sizeof(line)) >= 0)
		return strstr(line, "memory") ? 1 : 0;
	return -1;
}

int main(void)
{
	int state, err;

	rc_env_init();
	printf("TAP version 13\n1..1\n");
	state = memcg_enabled();
	printf("# memory controller: %s\n", state < 0 ? "unknown" :
	       state ? "enabled" : "disabled");
	if (state != 0) {
		printf("ok 1 - refuses_without_memcg # SKIP the memory controller is %s (boot with cgroup_disable=memory)\n",
		       state < 0 ? "not found" : "enabled");
		return 0;
	}
	if (access(rc.ko, R_OK)) {
		printf("ok 1 - refuses_without_memcg # SKIP no module at %s\n",
		       rc.ko);
		return 0;
	}
	err = rc_mod_load("enabled=1");
	if (!err)
		rc_mod_unload();
	printf("# finit_module(%s): %s\n", rc.ko,
	       err ? strerror(-err) : "loaded");
	if (err != -ENODEV) {
		printf("# expected ENODEV\n");
		printf("not ok 1 - refuses_without_memcg\n");
		return 1;
	}
	if (!access(RC_SYSFS, F_OK)) {
		printf("# %s exists after a refused load\n", RC_SYSFS);
		printf("not ok 1 - refuses_without_memcg\n");
		return 1;
	}
	printf("ok 1 - refuses_without_memcg\n");
	return 0;
}

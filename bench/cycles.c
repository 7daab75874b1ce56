// SPDX-License-Identifier: GPL-2.0
/*
 * bench/cycles: the dying-memcg effect of short jobs, run inside a guest
 * (cgroup v2, or the v1 memory controller).
 *
 * One cycle: mkdir a cgroup; a job in it reads --read MiB of its own new file
 * (made sparse by the parent just before, so nothing of it is cached and the
 * read inserts new page cache) and writes --write MiB to a new file, then
 * exits; [reclaim: write memory.current to memory.reclaim; on v1 write 0 to
 * memory.force_empty]; rmdir. The files
 * are kept until the end of the phase, as a node keeps job output.
 *
 * Configurations (one phase each, in the order given; between phases every
 * file is deleted, caches dropped and the dying count let settle):
 *   none       module not loaded
 *   rootcache  module loaded and enabled (global scope)
 *   rootcache-nometa  the same with /sys/kernel/rootcache/metadata 0: the
 *              filesystems' metadata cache keeps its normal charge
 *   reclaim    module not loaded; memory.reclaim (v1: memory.force_empty)
 *              before every rmdir
 *   pool       module loaded and enabled, with a cache pool: a cgroup "pool"
 *              with memory.max (v1: memory.limit_in_bytes) --pool-max MiB
 *              (256) as /sys/kernel/rootcache/target. Refused before 5.14
 *              (no pool there): the phase says so and is skipped.
 *
 * Output, prefixed "RCB cycle,":
 *   config,cycle,cycle_us,reclaim_us,reclaim_ret,dying,percpu_kb,slab_kb,
 *   memcgs,file_kb,pool_kb,pool_peak_kb
 * cycle 0 is the baseline before the first cycle; cycle -1 is the state
 * after the last cycle followed by sync(2) and a 3 s wait; cycle -2 is the
 * state once the dying count is back at its baseline or 20 s later, with the
 * time that took in cycle_us.
 * memcgs is num_cgroups of "memory" in /proc/cgroups (live + dying);
 * file_kb is all page cache in KiB: root memory.stat "file" (v2) or
 * "total_cache" (v1). pool_kb is the pool's usage (memory.current, v1
 * memory.usage_in_bytes) and pool_peak_kb its high-water mark since it was
 * made (memory.peak from 5.19, v1 memory.max_usage_in_bytes); -1 without a
 * pool or such a file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "lib/rc.h"

static int opt_n = 100;
static long long opt_read = MiB(8), opt_write = MiB(4);
static long long opt_pool_max = MiB(256);
static char opt_cfgs[128] = "none,rootcache,reclaim";
static char dir[280];
static char *pool;	/* the pool cgroup of the pool phase */

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long meminfo(const char *key)
{
	char line[256], k[128];
	long long v = -1, x;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127[^:]: %lld", k, &x) == 2 && !strcmp(k, key)) {
			v = x;
			break;
		}
	fclose(f);
	return v;
}

static long long proc_memcgs(void)
{
	char line[256], name[64];
	long long hier, num, en;
	FILE *f = fopen("/proc/cgroups", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld %lld %lld", name, &hier, &num,
			   &en) == 4 && !strcmp(name, "memory")) {
			fclose(f);
			return num;
		}
	fclose(f);
	return -1;
}

static void report(const char *cfg, int cycle, long long cyc_us,
		   long long rec_us, int rec_ret)
{
	long long file = rc.v1 ? rc_cg_stat(NULL, "total_cache") : rc_cg_file(NULL);
	long long pool_b = -1, peak = -1;

	if (pool) {
		pool_b = rc_cg_usage(pool);
		peak = rc_cg_read_ll(pool, rc.v1 ? "memory.max_usage_in_bytes" :
						  "memory.peak");
	}
	printf("RCB cycle,%s,%d,%lld,%lld,%d,%lld,%lld,%lld,%lld,%lld,%lld,%lld\n",
	       cfg, cycle, cyc_us, rec_us, rec_ret, rc_dying(), meminfo("Percpu"),
	       meminfo("Slab"), proc_memcgs(), file < 0 ? -1 : file >> 10,
	       pool_b < 0 ? -1 : pool_b >> 10, peak < 0 ? -1 : peak >> 10);
}

/* The pool phase's pool: made, limited and set as the target; 1: refused. */
static int pool_start(void)
{
	char id[32];
	struct stat st;
	int err;

	pool = rc_cg_create("pool");
	if (!pool)
		return -1;
	if (rc_cg_set_limit(pool, opt_pool_max) || stat(pool, &st)) {
		rc_diag("cannot limit %s", pool);
		return -1;
	}
	snprintf(id, sizeof(id), "%llu", (unsigned long long)st.st_ino);
	err = rc_write_str(RC_SYSFS "/target", id);
	if (err == -EOPNOTSUPP) {
		rc_diag("pool: refused on %s (EOPNOTSUPP: no pool before 5.14); phase skipped",
			rc.kernel);
		return 1;
	}
	if (err) {
		rc_diag("cannot set %s/target to %s: %s", RC_SYSFS, id,
			strerror(-err));
		return -1;
	}
	return 0;
}

/* Back to root; the pool goes once its cache is gone (clean_files). */
static void pool_stop(void)
{
	if (!pool)
		return;
	rc_write_str(RC_SYSFS "/target", "0");
}

static void pool_remove(void)
{
	if (!pool)
		return;
	if (rc_cg_destroy(pool))
		rc_diag("cannot remove %s", pool);
	free(pool);
	pool = NULL;
}

struct job {
	char in[320], out[320];
};

static int run_job(void *arg)
{
	static char buf[1 << 20];
	struct job *j = arg;
	long long done = 0;
	ssize_t n;
	int fd;

	fd = open(j->in, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	while (done < opt_read && (n = read(fd, buf, sizeof(buf))) > 0)
		done += n;
	close(fd);
	if (done != opt_read)
		return 1;
	fd = open(j->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return 1;
	memset(buf, 0x6b, sizeof(buf));
	for (done = 0; done < opt_write; done += n) {
		n = write(fd, buf, sizeof(buf) < (size_t)(opt_write - done) ?
			  sizeof(buf) : (size_t)(opt_write - done));
		if (n <= 0)
			break;
	}
	close(fd);
	return done == opt_write ? 0 : 1;
}

static void clean_files(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		rc_diag("%s failed", cmd);
	rc_drop_caches();
}

static int phase(const char *cfg)
{
	int reclaim = !strcmp(cfg, "reclaim");
	int nometa = !strcmp(cfg, "rootcache-nometa");
	int with_pool = !strcmp(cfg, "pool");
	int want = !strcmp(cfg, "rootcache") || nometa || with_pool ?
		   RC_ENABLED : RC_UNLOADED;
	long long t0, t1, rec_us, base;
	char name[64], val[32];
	struct job j;
	int i, fd, rec_ret;
	char *cg;

	if (!reclaim && !nometa && !with_pool && strcmp(cfg, "none") &&
	    strcmp(cfg, "rootcache")) {
		rc_diag("unknown configuration %s", cfg);
		return -1;
	}
	if (rc_mod_set(want) != KSFT_PASS) {
		rc_diag("cannot set module state for %s", cfg);
		return -1;
	}
	if (want == RC_ENABLED &&
	    rc_write_str(RC_SYSFS "/metadata", nometa ? "0" : "1")) {
		rc_diag("cannot set metadata for %s", cfg);
		return -1;
	}
	clean_files();
	mkdir(dir, 0755);
	if (with_pool) {
		int st = pool_start();

		if (st) {
			pool_remove();
			rc_mod_set(RC_UNLOADED);
			return st > 0 ? 0 : -1;
		}
	}
	base = rc_dying_settle(2000, 20000);
	report(cfg, 0, 0, 0, 0);
	for (i = 1; i <= opt_n; i++) {
		t0 = now_us();
		snprintf(name, sizeof(name), "%s%d", cfg, i);
		cg = rc_cg_create(name);
		if (!cg)
			return -1;
		snprintf(j.in, sizeof(j.in), "%s/in%d", dir, i);
		snprintf(j.out, sizeof(j.out), "%s/out%d", dir, i);
		fd = open(j.in, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || ftruncate(fd, opt_read)) {
			rc_diag("create %s: %s", j.in, strerror(errno));
			return -1;
		}
		close(fd);
		if (rc_cg_run(cg, run_job, &j)) {
			rc_diag("job %d failed", i);
			return -1;
		}
		rec_us = 0;
		rec_ret = 0;
		if (reclaim) {
			long long cur = rc_cg_usage(cg);

			t1 = now_us();
			if (rc.v1) {
				rec_ret = rc_cg_write(cg, "memory.force_empty", "0");
			} else if (cur > 0) {
				snprintf(val, sizeof(val), "%lld", cur);
				rec_ret = rc_cg_write(cg, "memory.reclaim", val);
			}
			rec_us = now_us() - t1;
		}
		if (rc_cg_destroy(cg))
			return -1;
		free(cg);
		report(cfg, i, now_us() - t0, rec_us, rec_ret);
	}
	sync();
	rc_msleep(3000);
	report(cfg, -1, 0, 0, 0);
	/* how long until the count is back at the baseline (up to 20 s) */
	t0 = now_us();
	rc_dying_wait(base, 20000);
	report(cfg, -2, now_us() - t0, 0, 0);
	pool_stop();
	clean_files();
	pool_remove();
	rc_mod_set(RC_UNLOADED);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "n", 1, 0, 'n' }, { "read", 1, 0, 'r' },
		{ "write", 1, 0, 'w' }, { "configs", 1, 0, 'C' },
		{ "pool-max", 1, 0, 'P' },
		{ 0, 0, 0, 0 } };
	char buf[128], *save = NULL, *t, path[300];
	int o, ret = 0;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'n': opt_n = atoi(optarg); break;
		case 'r': opt_read = MiB(atoll(optarg)); break;
		case 'w': opt_write = MiB(atoll(optarg)); break;
		case 'C': snprintf(opt_cfgs, sizeof(opt_cfgs), "%s", optarg); break;
		case 'P': opt_pool_max = MiB(atoll(optarg)); break;
		default:
			fprintf(stderr, "usage: cycles [--n N] [--read MiB] "
				"[--write MiB] [--configs none,rootcache,reclaim,pool] "
				"[--pool-max MiB]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc_env_init();
	if (!rc.v1) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", rc.cgroot);
		rc_write_str(path, "+memory");
	}
	snprintf(dir, sizeof(dir), "%s/rccycles", rc.scratch);
	printf("# cycles: kernel %s cgroup %s n %d read %lld MiB write %lld MiB\n",
	       rc.kernel, rc.v1 ? "v1" : "v2", opt_n, opt_read >> 20, opt_write >> 20);
	snprintf(buf, sizeof(buf), "%s", opt_cfgs);
	for (t = strtok_r(buf, ",", &save); t && !ret;
	     t = strtok_r(NULL, ",", &save))
		ret = phase(t);
	clean_files();
	printf("# cycles: %s\n", ret ? "FAILED" : "done");
	return ret ? 1 : 0;
}

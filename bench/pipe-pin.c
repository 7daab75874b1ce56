// SPDX-License-Identifier: GPL-2.0
/*
 * bench/pipe-pin: how much root-charged page cache an unprivileged job can
 * pin by splicing file pages into pipes (Documentation/security.rst).
 *
 * The parent makes a sparse file of --file MiB on scratch, readable by all,
 * and a cgroup with memory.max = --limit MiB. The job joins it, drops to
 * uid/gid 65534 and, with rootcache enabled, opens as many pipes as
 * RLIMIT_NOFILE allows, filling every pipe buffer with one byte spliced from
 * its own place in the file, one --stride KiB apart (a folio each when the
 * stride is at least the folio size). --warm: the job reads the whole file
 * first, so that readahead builds large folios where the kernel has them;
 * --nofile N: RLIMIT_NOFILE of the job, as a container runtime sets it. It then waits while the parent drops
 * clean caches and reclaims: what stays of the page cache is what the pipes
 * pin. Printed: "RCB pipe-job,PIPES,BUFFERS" by the job, then
 * "RCB pipe,kernel,cgroup,limit_kib,pinned_kib,job_file_kib,nofile,
 * pipe_user_pages_soft".
 * pinned_kib: the growth of all page cache (root memory.stat "file", v1
 * "total_cache") from before the job to after drop_caches with the pipes
 * held; job_file_kib: what of it is charged to the job's own group.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/rc.h"

static long long opt_file = 8192, opt_limit = 64, opt_stride = 2048;
static long long opt_nofile;
static int opt_warm;
static char path[300];
static char *cg;

static long long all_file_kib(void)
{
	long long v = rc_cg_stat(NULL, rc.v1 ? "total_cache" : "file");

	return v < 0 ? -1 : v >> 10;
}

/* In the job: pipes full of spliced bytes; report, then hold them. */
static int pin_job(void *arg)
{
	long long off = 0, end = opt_file << 20;
	int fd, pfd[2], n, pipes = 0, buffers = 0;
	loff_t at;

	(void)arg;
	if (setgid(65534) || setuid(65534))
		return 10;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 11;
	/* read it all first: sequential readahead builds large folios */
	if (opt_warm && rc_read_fd(fd, end) < 0)
		return 12;
	while (off < end && !pipe(pfd)) {
		fcntl(pfd[1], F_SETFL, O_NONBLOCK);
		for (;;) {
			at = off;
			n = splice(fd, &at, pfd[1], NULL, 1,
				   SPLICE_F_NONBLOCK);
			if (n != 1)
				break;
			buffers++;
			off += opt_stride << 10;
			if (off >= end)
				break;
		}
		close(pfd[0]);	/* the write end keeps the buffers */
		pipes++;
	}
	printf("RCB pipe-job,%d,%d\n", pipes, buffers);
	fflush(stdout);
	return 0;
}

/* In the parent while the job holds its pipes: [0] all cache, [1] the job's. */
static int measure(void *arg)
{
	long long *out = arg, v;

	rc_drop_caches();
	rc_msleep(2500);	/* memory.stat flush (v2) */
	out[0] = all_file_kib();
	v = rc_cg_file(cg);
	out[1] = v < 0 ? -1 : v >> 10;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", 1, 0, 'f' }, { "limit", 1, 0, 'l' },
		{ "stride", 1, 0, 's' }, { "nofile", 1, 0, 'n' },
		{ "warm", 0, 0, 'w' }, { 0, 0, 0, 0 } };
	long long before, after[2] = { -1, -1 };
	struct rlimit rl;
	char lim[32], soft[32] = "?";
	int o, fd, st;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'f': opt_file = atoll(optarg); break;
		case 'l': opt_limit = atoll(optarg); break;
		case 's': opt_stride = atoll(optarg); break;
		case 'n': opt_nofile = atoll(optarg); break;
		case 'w': opt_warm = 1; break;
		default:
			fprintf(stderr, "usage: pipe-pin [--file MiB] [--limit MiB] [--stride KiB] [--nofile N] [--warm]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc_env_init();
	if (rc_mod_set(RC_ENABLED) != KSFT_PASS)
		return 1;
	snprintf(path, sizeof(path), "%s/pipe-pin", rc.scratch);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, opt_file << 20))
		return 1;
	close(fd);
	cg = rc_cg_create("pipe_pin");
	if (!cg || rc_cg_set_limit(cg, opt_limit << 20))
		return 1;
	rc_drop_caches();
	rc_msleep(2500);
	before = all_file_kib();
	/* as a container runtime's LimitNOFILE would */
	if (opt_nofile) {
		rl.rlim_cur = rl.rlim_max = opt_nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return 1;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	rc_read_str("/proc/sys/fs/pipe-user-pages-soft", soft, sizeof(soft));
	soft[strcspn(soft, "\n")] = 0;
	/* the job prints its pipe and buffer counts itself */
	st = rc_cg_run_hold(cg, pin_job, NULL, measure, after);
	snprintf(lim, sizeof(lim), "%lld", opt_limit << 10);
	printf("RCB pipe,%s,%s,%s,%lld,%lld,%llu,%s\n", rc.kernel,
	       rc.v1 ? "v1" : "v2", lim, after[0] < 0 ? -1 : after[0] - before,
	       after[1], (unsigned long long)rl.rlim_cur, soft);
	rc_cg_destroy(cg);
	unlink(path);
	return st ? 1 : 0;
}

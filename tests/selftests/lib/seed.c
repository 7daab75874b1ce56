// SPDX-License-Identifier: GPL-2.0
/*
 * The seed scenario: a short job reads a new file into the page cache, exits,
 * and its cgroup is removed. Without rootcache the cache stays charged to the
 * empty group and, before 7.1, keeps it as a dying memcg after rmdir.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rc.h"

struct seed_job {
	const char *file;
	long long size;
	int flags;
};

static int seed_job(void *arg)
{
	struct seed_job *j = arg;
	int fd, flags = O_RDONLY | O_CLOEXEC, ret;

	if (j->flags & SEED_NOATIME)
		flags |= O_NOATIME;
	fd = open(j->file, flags);
	if (fd < 0) {
		perror(j->file);
		return KSFT_FAIL;
	}
	ret = rc_read_fd(fd, j->size);
	close(fd);
	return ret ? KSFT_FAIL : KSFT_PASS;
}

int rc_seed_run(struct rc_seed *s, const char *name, int flags, int wait_ms)
{
	struct seed_job j = { .size = s->size, .flags = flags };
	char *file, *cg = NULL;
	int ret = -1, st;
	long long t0;

	s->release_ms = -1;
	file = rc_path(rc.scratch, "rctest.%d.seed.%s", rc.main_pid, name);
	if (!file)
		return -1;
	unlink(file);
	if (rc_make_file(file, s->size) || rc_drop_caches())
		goto out;
	/* earlier tests' groups may still be going away: wait for quiet */
	s->dying0 = rc_dying_settle(1000, 5000);
	cg = rc_cg_create(name);
	if (!cg)
		goto out;
	j.file = file;
	st = rc_cg_run(cg, seed_job, &j);
	if (st) {
		rc_diag("seed job exited with status %d", st);
		goto out;
	}
	s->procs = rc_cg_nr_procs(cg);
	s->usage = rc_cg_usage(cg);
	s->file = rc_cg_file(cg);
	if (!(flags & SEED_NO_SYNC))
		sync();
	if (rc_cg_destroy(cg))
		goto out;
	if (!(flags & SEED_NO_SYNC))
		sync();
	t0 = rc_now_ms();
	s->dying = rc_dying_wait(s->dying0, wait_ms);
	if (s->dying <= s->dying0)
		s->release_ms = rc_now_ms() - t0;
	ret = 0;
out:
	free(cg);
	unlink(file);
	free(file);
	return ret;
}

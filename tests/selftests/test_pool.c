// SPDX-License-Identifier: GPL-2.0
/*
 * The cache pool (/sys/kernel/rootcache/target): redirected cache is charged
 * to a chosen memory cgroup instead of root. Proven with the kernel's own
 * counters (memory.stat file, memory.current/usage, memory.peak or
 * max_usage_in_bytes, memory.events oom_kill, the dying count).
 *
 * target_invalid: garbage, an ID no memory cgroup has, and (v2) a cgroup
 *	without the memory controller are refused (EINVAL, ENOENT, ENOENT) and
 *	change nothing. On 5.10 to 5.13 (the mm rewrite) a real pool is refused
 *	with EOPNOTSUPP; the other pool tests skip there.
 * pool_limit: a pool at a 256 MiB limit; a job in its own group reads 1 GiB
 *	of new files. The job keeps < 1 MiB file charge, the pool never
 *	exceeds 256 MiB (its peak; the usage sampled every 20 ms within 1 MiB
 *	of it), holds the cache, nothing is OOM-killed, no redirected folio went elsewhere,
 *	and the job's group leaves no dying memcg after rmdir + sync.
 * pool_removed: the pool is removed while a job reads: the module falls
 *	back to root (stats/target_fallbacks grows, target still reads the
 *	ID), cache read afterwards is charged to root, not to the job, and no
 *	redirection fails. A WARN would fail the run (the harness judges the
 *	console).
 * pool_removed_in_flight: the test build holds the first redirected call
 *	for 3 s between its insertion (charged to the pool) and its check
 *	(test_wrap_delay_ms, ftrace mechanism); the pool is removed meanwhile.
 *	From 7.1 the kernel moves a removed memcg's charges to its parent at
 *	once, so the check finds that folio charged to the parent: that is
 *	where the charge was sent, moved, and must not count as a failure
 *	(stats/redirect_failed +0); before 7.1 the folio stays with the dying
 *	pool. Skipped where the module has no ftrace wrapper (arm64).
 * pool_io_max (v2): the pool has io.max wbps=8 MiB/s on the scratch disk; a
 *	job's buffered write of 96 MiB plus fsync is written as the pool's
 *	(its io.stat wbytes, >= 90 %), at no more than 20 % over that rate
 *	and no less than 40 % under it (io.stat sampled every 50 ms, from 10 %
 *	to 90 % of the bytes): the new file's inode is attached to the pool's
 *	writeback. blk-throttle itself runs slow in guests under TCG on 7.x
 *	(7.2: 6.2 MiB/s): the O_DIRECT rate of a task in the pool under the
 *	same io.max is the baseline, and 80 % of it is enough. With root as the target and
 *	the same io.max on the job's own group, the write is not the job's
 *	(< 10 % of the bytes in its io.stat), so its io.max cannot limit it:
 *	the side effect the pool removes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/rc.h"

#define TARGET		RC_SYSFS "/target"
#define POOL_MAX	MiB(256)
#define JOB_FILES	4
#define JOB_FILE_SIZE	MiB(256)	/* 1 GiB in all */

static long long cg_id(const char *cg)
{
	struct stat st;

	if (stat(cg, &st)) {
		rc_diag("stat %s: %s", cg, strerror(errno));
		return -1;
	}
	return (long long)st.st_ino;
}

static int set_target_id(long long id)
{
	char val[32];

	snprintf(val, sizeof(val), "%lld", id);
	return rc_write_str(TARGET, val);
}

static long long target_id(void)
{
	return rc_read_ll(TARGET);
}

/* A pool needs a charge that honours active_memcg: 5.14 and later. */
static bool pool_refused_here(void)
{
	return rc_kernel_before(5, 14);
}

static int need_target(void)
{
	int ret;

	/* A module another test left with other parameters: see runner.c. */
	ret = rc_mod_set(RC_ENABLED);
	if (ret != KSFT_PASS)
		return ret;
	if (access(TARGET, F_OK))
		return rc_skip("module without %s", TARGET);
	return KSFT_PASS;
}

/* The release, not the harness's name: arm64-5.10 and 5.10 say the same. */
static int skip_no_pool(void)
{
	return rc_skip("no pool on %d.%d (the mm rewrite names root only)",
		       rc.kmaj, rc.kmin);
}

/* The module with a target file, on a kernel that takes a pool. */
static int need_pool(void)
{
	int ret = need_target();

	if (ret != KSFT_PASS)
		return ret;
	return pool_refused_here() ? skip_no_pool() : KSFT_PASS;
}

/* A new sparse file: reading it inserts fresh page cache, fast. */
static char *sparse_file(const char *name, int i, long long size)
{
	char *path = rc_path(rc.scratch, "rctest.%d.%s.%d", rc.main_pid, name, i);
	int fd;

	if (!path)
		return NULL;
	unlink(path);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, size)) {
		rc_diag("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

static long long oom_kills(const char *cg)
{
	long long v = rc.v1 ? rc_cg_key(cg, "memory.oom_control", "oom_kill") :
			      rc_cg_key(cg, "memory.events", "oom_kill");

	return v < 0 ? 0 : v;
}

/* The kernel's own high-water mark of the group's usage, or -1. */
static long long peak(const char *cg)
{
	return rc_cg_read_ll(cg, rc.v1 ? "memory.max_usage_in_bytes" :
					 "memory.peak");
}

struct read_job {
	char *files[JOB_FILES];
	int nfiles;
	long long size;
	bool loop;	/* until killed; the files exceed the pool's limit */
};

static int read_job(void *arg)
{
	struct read_job *j = arg;
	int i;

	do {
		for (i = 0; i < j->nfiles; i++) {
			if (rc_read_file(j->files[i], j->size))
				return KSFT_FAIL;
		}
	} while (j->loop);
	return KSFT_PASS;
}

static void free_files(struct read_job *j)
{
	int i;

	for (i = 0; i < j->nfiles; i++) {
		unlink(j->files[i]);
		free(j->files[i]);
		j->files[i] = NULL;
	}
	j->nfiles = 0;
}

static int make_files(struct read_job *j, const char *name, int n,
		      long long size)
{
	j->size = size;
	for (j->nfiles = 0; j->nfiles < n; j->nfiles++) {
		j->files[j->nfiles] = sparse_file(name, j->nfiles, size);
		if (!j->files[j->nfiles])
			return -1;
	}
	return 0;
}

static int target_invalid(void)
{
	static const char *const garbage[] = {
		"abc", "-1", "+5", "5 ", " 5", "0x10", "1\n2",
		"123456789012345678901234567890",
	};
	char *pool = NULL, *plain = NULL, *child = NULL;
	int ret, err, result = KSFT_FAIL;
	long long id;
	size_t i;

	ret = need_target();
	if (ret != KSFT_PASS)
		return ret;
	if (!rc_equal("target at start", target_id(), 0))
		return KSFT_FAIL;
	for (i = 0; i < ARRAY_SIZE(garbage); i++) {
		err = rc_write_str(TARGET, garbage[i]);
		if (err != -EINVAL) {
			rc_diag("writing '%s': actual %d, expected %d (EINVAL)",
				garbage[i], err, -EINVAL);
			goto cleanup;
		}
	}
	err = set_target_id(987654321987LL);
	if (!rc_equal("errno of a nonexistent cgroup ID", err, -ENOENT))
		goto cleanup;

	pool = rc_cg_create("pool");
	if (!pool)
		goto cleanup;
	id = cg_id(pool);
	err = set_target_id(id);
	if (pool_refused_here()) {
		if (!rc_equal("errno of a pool on the mm-rewrite kernel", err,
			      -EOPNOTSUPP))
			goto cleanup;
		rc_diag("%s: pool refused with EOPNOTSUPP, as documented",
			rc.kernel);
	} else if (!rc_equal("errno of a live memory cgroup", err, 0) ||
		   !rc_equal("target after setting it", target_id(), id)) {
		goto cleanup;
	}
	/* Refused writes leave the target as it was. */
	if (rc_write_str(TARGET, "garbage") != -EINVAL ||
	    !rc_equal("target after a refused write", target_id(),
		      pool_refused_here() ? 0 : id))
		goto cleanup;

	if (!rc.v1) {
		/* A group whose parent does not enable memory has no memcg. */
		plain = rc_cg_create("plain");
		child = plain ? rc_path(plain, "child") : NULL;
		if (!child || (mkdir(child, 0755) && errno != EEXIST))
			goto cleanup;
		err = set_target_id(cg_id(child));
		if (!rc_equal("errno of a cgroup without the memory controller",
			      err, -ENOENT))
			goto cleanup;
	}
	/* Root's own ID, empty and 0 all mean root. */
	if (!rc_equal("writing 0", rc_write_str(TARGET, "0"), 0) ||
	    !rc_equal("target after 0", target_id(), 0) ||
	    (!pool_refused_here() &&
	     (set_target_id(id) || !rc_equal("writing an empty line",
					     rc_write_str(TARGET, "\n"), 0) ||
	      !rc_equal("target after an empty line", target_id(), 0))) ||
	    !rc_equal("writing root's ID", set_target_id(cg_id(rc.cgroot)), 0) ||
	    !rc_equal("target after root's ID", target_id(), 0))
		goto cleanup;
	result = KSFT_PASS;
cleanup:
	rc_write_str(TARGET, "0");
	if (child)
		rmdir(child);
	free(child);
	free(plain);
	free(pool);
	return result;
}

/* A forked sampler: the highest usage of cg seen every 20 ms, via shm. */
struct sampler {
	pid_t pid;
	long long *max;
};

static int sampler_start(struct sampler *s, const char *cg)
{
	long long v;

	s->max = mmap(NULL, sizeof(*s->max), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->max == MAP_FAILED)
		return -1;
	*s->max = 0;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (!s->pid) {
		for (;;) {
			v = rc_cg_usage(cg);
			if (v > *s->max)
				*s->max = v;
			rc_msleep(20);
		}
	}
	return 0;
}

static long long sampler_stop(struct sampler *s)
{
	long long max;

	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	max = *s->max;
	munmap(s->max, sizeof(*s->max));
	return max;
}

static int pool_limit(void)
{
	struct read_job j = { .nfiles = 0 };
	struct sampler smp;
	char *pool = NULL, *job = NULL;
	long long red0, red1, fail0, fail1, dying0, dying, job_file, pool_file;
	long long pool_peak, sampled, ooms, t0;
	int ret, st, result = KSFT_FAIL;

	ret = need_pool();
	if (ret != KSFT_PASS)
		return ret;
	pool = rc_cg_create("pool");
	job = rc_cg_create("job");
	if (!pool || !job || rc_cg_set_limit(pool, POOL_MAX) ||
	    make_files(&j, "pool", JOB_FILES, JOB_FILE_SIZE) ||
	    rc_drop_caches())
		goto cleanup;
	if (!rc_equal("setting the target", set_target_id(cg_id(pool)), 0))
		goto cleanup;
	dying0 = rc_dying_settle(1000, 5000);
	red0 = rc_mod_stat("redirected_bytes");
	fail0 = rc_mod_stat("redirect_failed");
	if (sampler_start(&smp, pool))
		goto cleanup;
	t0 = rc_now_ms();
	st = rc_cg_run(job, read_job, &j);
	sampled = sampler_stop(&smp);
	red1 = rc_mod_stat("redirected_bytes");
	fail1 = rc_mod_stat("redirect_failed");
	job_file = rc_cg_file(job);
	pool_file = rc_cg_file(pool);
	pool_peak = peak(pool);
	ooms = oom_kills(pool) + oom_kills(job);
	rc_diag("job read %s in %lld ms: job file %s, pool file %s, pool peak %s, sampled max %s, oom_kill %lld, redirected %s, redirect_failed %+lld",
		rc_size(JOB_FILES * JOB_FILE_SIZE), rc_now_ms() - t0,
		rc_size(job_file), rc_size(pool_file),
		pool_peak < 0 ? "n/a" : rc_size(pool_peak), rc_size(sampled),
		ooms, rc_size(red1 - red0), fail1 - fail0);
	if (!rc_equal("job exit status", st, 0) ||
	    !rc_below("job's file charge", job_file, MiB(1)) ||
	    /*
	     * memory.current may pass memory.max for a moment by forced
	     * charges (kernel memory with __GFP_NOFAIL, per-CPU batches):
	     * 6.12 was sampled at +252 KiB once while memory.peak stayed at
	     * the limit. The kernel's own high-water mark is the judge.
	     */
	    !rc_below("pool's sampled usage - 256 MiB", sampled - POOL_MAX,
		      MiB(1)) ||
	    (pool_peak >= 0 &&
	     !rc_below("pool's peak - 256 MiB", pool_peak - POOL_MAX, 1)) ||
	    !rc_at_least("pool's file charge", pool_file, MiB(64)) ||
	    !rc_equal("oom kills in pool and job", ooms, 0) ||
	    !rc_at_least("redirected bytes", red1 - red0,
			 JOB_FILES * JOB_FILE_SIZE * 9 / 10) ||
	    !rc_equal("redirect_failed growth", fail1 - fail0, 0))
		goto cleanup;
	sync();
	if (rc_cg_destroy(job))
		goto cleanup;
	sync();
	dying = rc_dying_wait(dying0, 10000);
	rc_diag("dying memcgs: %lld before, %lld after the job's rmdir + sync",
		dying0, dying);
	if (!rc_below("dying memcgs after the job's rmdir + sync - before",
		      dying - dying0, 1))
		goto cleanup;
	result = KSFT_PASS;
cleanup:
	rc_write_str(TARGET, "0");
	free_files(&j);
	free(job);
	free(pool);
	return result;
}

static int pool_removed(void)
{
	struct read_job j = { .loop = true }, k = { .nfiles = 0 };
	char *pool = NULL, *job = NULL, *job2 = NULL;
	long long id, fb0, fb1, fail0, fail1, root0, root1, job2_file;
	int ret, st, result = KSFT_FAIL;
	pid_t reader = -1;

	ret = need_pool();
	if (ret != KSFT_PASS)
		return ret;
	pool = rc_cg_create("pool");
	job = rc_cg_create("job");
	job2 = rc_cg_create("job2");
	if (!pool || !job || !job2 || rc_cg_set_limit(pool, MiB(64)) ||
	    make_files(&j, "busy", 2, MiB(64)) ||
	    make_files(&k, "after", 1, MiB(32)) || rc_drop_caches())
		goto cleanup;
	id = cg_id(pool);
	if (!rc_equal("setting the target", set_target_id(id), 0))
		goto cleanup;
	fb0 = rc_mod_stat("target_fallbacks");
	fail0 = rc_mod_stat("redirect_failed");

	/* A job reads in a loop while the pool goes away. */
	fflush(stdout);
	reader = fork();
	if (reader < 0)
		goto cleanup;
	if (!reader) {
		if (rc_cg_join(job))
			_exit(KSFT_FAIL);
		_exit(read_job(&j));
	}
	rc_msleep(1000);
	if (rmdir(pool)) {
		rc_diag("rmdir %s: %s", pool, strerror(errno));
		goto cleanup;
	}
	rc_msleep(3000);
	kill(reader, SIGKILL);
	waitpid(reader, NULL, 0);
	reader = -1;
	fb1 = rc_mod_stat("target_fallbacks");
	rc_diag("pool removed under a reading job: target_fallbacks %+lld, target reads %lld",
		fb1 - fb0, target_id());
	if (!rc_at_least("stats/target_fallbacks growth", fb1 - fb0, 1) ||
	    !rc_equal("target after the pool's removal", target_id(), id))
		goto cleanup;

	/* Cache read now is charged to root, not to the job. */
	root0 = rc_root_file_local();
	st = rc_cg_run(job2, read_job, &k);
	rc_msleep(2500);	/* memory.stat is flushed lazily */
	root1 = rc_root_file_local();
	job2_file = rc_cg_file(job2);
	fail1 = rc_mod_stat("redirect_failed");
	rc_diag("after removal: a job read %s; root's own file %+lld, job file %s, redirect_failed %+lld",
		rc_size(MiB(32)), root1 - root0, rc_size(job2_file),
		fail1 - fail0);
	if (!rc_equal("job exit status", st, 0) ||
	    !rc_below("job's file charge", job2_file, MiB(1)) ||
	    !rc_at_least("root's own file charge growth", root1 - root0,
			 MiB(28)) ||
	    !rc_equal("redirect_failed growth", fail1 - fail0, 0))
		goto cleanup;
	result = KSFT_PASS;
cleanup:
	if (reader > 0) {
		kill(reader, SIGKILL);
		waitpid(reader, NULL, 0);
	}
	rc_write_str(TARGET, "0");
	free_files(&j);
	free_files(&k);
	free(job2);
	free(job);
	free(pool);
	return result;
}

static int pool_removed_in_flight(void)
{
	struct read_job k = { .nfiles = 0 };
	char *pool = NULL, *job = NULL;
	long long fail0, fail1, red0, red1, t0, inflight = 0;
	int ret, status = -1, result = KSFT_FAIL;
	pid_t reader = -1;
	char machine[65];

	/* the architecture's reason first, on every release (arm64.txt) */
	if (!rc_ftrace_wrapper_built(machine, sizeof(machine)))
		return rc_skip("no ftrace wrapper on %s (kmod/arch.h): the held call is the wrapper's (test_wrap_delay_ms)",
			       machine);
	ret = need_pool();
	if (ret != KSFT_PASS)
		return ret;
	pool = rc_cg_create("pool");
	job = rc_cg_create("job");
	if (!pool || !job || make_files(&k, "inflight", 1, MiB(1)) ||
	    rc_drop_caches())
		goto cleanup;
	ret = rc_mod_load_testing("enabled=1 test_wrap_delay_ms=3000");
	if (ret != KSFT_PASS) {
		result = ret;
		goto cleanup;
	}
	if (!rc_equal("setting the target", set_target_id(cg_id(pool)), 0))
		goto cleanup;
	fail0 = rc_mod_stat("redirect_failed");
	red0 = rc_mod_stat("redirected_folios");
	fflush(stdout);
	reader = fork();
	if (reader < 0)
		goto cleanup;
	if (!reader) {
		if (rc_cg_join(job))
			_exit(KSFT_FAIL);
		_exit(read_job(&k));
	}
	/* the first redirected call, held between insertion and check */
	for (t0 = rc_now_ms(); rc_now_ms() - t0 < 2000; rc_msleep(20)) {
		inflight = rc_mod_stat("in_flight");
		if (inflight > 0)
			break;
	}
	if (!rc_equal("stats/in_flight while the call is held", inflight, 1))
		goto cleanup;
	if (rmdir(pool)) {
		rc_diag("rmdir %s: %s", pool, strerror(errno));
		goto cleanup;
	}
	waitpid(reader, &status, 0);
	reader = -1;
	fail1 = rc_mod_stat("redirect_failed");
	red1 = rc_mod_stat("redirected_folios");
	rc_diag("pool removed under a held call: redirect_failed %+lld, redirected_folios %+lld, target_fallbacks %lld",
		fail1 - fail0, red1 - red0, rc_mod_stat("target_fallbacks"));
	if (!rc_equal("reader exit status",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0) ||
	    !rc_equal("stats/redirect_failed growth", fail1 - fail0, 0) ||
	    !rc_at_least("stats/redirected_folios growth", red1 - red0, 1) ||
	    !rc_equal("stats/in_flight after", rc_mod_stat("in_flight"), 0))
		goto cleanup;
	result = KSFT_PASS;
cleanup:
	if (reader > 0) {
		kill(reader, SIGKILL);
		waitpid(reader, NULL, 0);
	}
	rc_write_str(TARGET, "0");
	free_files(&k);
	free(job);
	free(pool);
	if (rc_mod_unload())
		result = KSFT_FAIL;
	return result;
}

#define IO_RATE		MiB(8)
#define IO_SIZE		MiB(96)

struct write_job {
	char *file;
	bool direct;	/* O_DIRECT: the device-level baseline */
};

static int write_direct(int fd, long long size)
{
	long long done;
	void *buf;

	if (posix_memalign(&buf, MiB(1), MiB(1)))
		return -ENOMEM;
	memset(buf, 0x5a, MiB(1));
	for (done = 0; done < size; done += MiB(1))
		if (write(fd, buf, MiB(1)) != MiB(1)) {
			free(buf);
			return -errno;
		}
	free(buf);
	return 0;
}

static int write_job(void *arg)
{
	struct write_job *w = arg;
	int fd, ret;

	fd = open(w->file, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC |
		  (w->direct ? O_DIRECT : 0), 0644);
	if (fd < 0) {
		perror(w->file);
		return KSFT_FAIL;
	}
	ret = w->direct ? write_direct(fd, IO_SIZE) : rc_write_fd(fd, IO_SIZE);
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	return ret ? KSFT_FAIL : KSFT_PASS;
}

/* Bytes written to any device by cg's bios (io.stat wbytes), or -1. */
static long long io_wbytes(const char *cg)
{
	char path[512], buf[4096], *p;
	long long sum = 0;

	snprintf(path, sizeof(path), "%s/io.stat", cg);
	if (rc_read_str(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; (p = strstr(p, "wbytes=")); p += 7)
		sum += strtoll(p + 7, NULL, 10);
	return sum;
}

struct io_rate {
	long long wall;		/* IO_SIZE / (write + fsync time), bytes/s */
	long long steady;	/* io_cg's wbytes rate from 10 % to 90 %, or -1 */
	long long wbytes;	/* io_cg's wbytes growth */
};

/*
 * A job in cg writes IO_SIZE to a new file and fsyncs it; io_cg's io.stat
 * is sampled every 50 ms meanwhile. Returns 0 or -1.
 */
static int timed_write(const char *cg, const char *io_cg, const char *name,
		       bool direct, struct io_rate *r)
{
	long long t0, t, b, w0, t_lo = -1, t_hi = -1, b_lo = 0, b_hi = 0;
	struct write_job w = { .direct = direct };
	int status = -1;
	pid_t pid;

	w.file = rc_path(rc.scratch, "rctest.%d.%s", rc.main_pid, name);
	if (!w.file)
		return -1;
	unlink(w.file);
	sync();
	w0 = io_wbytes(io_cg);
	fflush(stdout);
	t0 = rc_now_ms();
	pid = fork();
	if (pid < 0)
		goto out;
	if (!pid) {
		if (rc_cg_join(cg))
			_exit(KSFT_FAIL);
		_exit(write_job(&w));
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		b = io_wbytes(io_cg) - w0;
		t = rc_now_ms();
		if (t_lo < 0 && b >= IO_SIZE / 10) {
			t_lo = t;
			b_lo = b;
		}
		if (t_hi < 0 && b >= IO_SIZE * 9 / 10) {
			t_hi = t;
			b_hi = b;
		}
		rc_msleep(50);
	}
	t = rc_now_ms() - t0;
	r->wbytes = io_wbytes(io_cg) - w0;
	r->wall = t > 0 ? IO_SIZE * 1000 / t : -1;
	r->steady = t_lo >= 0 && t_hi > t_lo ?
		    (b_hi - b_lo) * 1000 / (t_hi - t_lo) : -1;
out:
	unlink(w.file);
	free(w.file);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		rc_diag("write job failed (status %d)", status);
		return -1;
	}
	return 0;
}

static int pool_io_max(void)
{
	char *pool = NULL, *job = NULL, limit[64], iomax[300];
	struct io_rate pooled, unpooled, direct;
	long long wb0, wb1, floor;
	int ret, result = KSFT_FAIL;
	struct stat st;

	ret = need_target();
	if (ret != KSFT_PASS)
		return ret;
	if (rc.v1)
		return rc_skip("cgroup v1 has no cgroup writeback");
	if (pool_refused_here())
		return skip_no_pool();
	if (stat(rc.scratch, &st))
		return KSFT_FAIL;
	rc_cg_write(NULL, "cgroup.subtree_control", "+io");
	pool = rc_cg_create("iopool");
	job = rc_cg_create("iojob");
	if (!pool || !job)
		goto cleanup;
	snprintf(limit, sizeof(limit), "%u:%u wbps=%lld", major(st.st_dev),
		 minor(st.st_dev), IO_RATE);
	snprintf(iomax, sizeof(iomax), "%s/io.max", pool);
	if (access(iomax, F_OK)) {
		result = rc_skip("no io.max (io controller or blk-throttle missing)");
		goto cleanup;
	}
	if (rc_cg_write(pool, "io.max", limit) || rc_cg_write(job, "io.max", limit)) {
		rc_diag("cannot write '%s' to io.max", limit);
		goto cleanup;
	}
	if (!rc_equal("setting the target", set_target_id(cg_id(pool)), 0))
		goto cleanup;
	wb0 = rc_mod_stat("redirected_inode_writeback");
	if (timed_write(job, pool, "iopool", false, &pooled))
		goto cleanup;
	wb1 = rc_mod_stat("redirected_inode_writeback");
	if (rc_write_str(TARGET, "0") ||
	    timed_write(job, job, "ioroot", false, &unpooled) ||
	    timed_write(pool, pool, "iodirect", true, &direct))
		goto cleanup;
	rc_diag("baseline: O_DIRECT writes of a task in the pool at %s/s from 10 %% to 90 %%",
		rc_size(direct.steady));
	rc_diag("io.max wbps=%s on pool and job; pool as target: pool wrote %s, at %s/s from 10 %% to 90 %%, %s/s write + fsync (redirected_inode_writeback %+lld)",
		rc_size(IO_RATE), rc_size(pooled.wbytes), rc_size(pooled.steady),
		rc_size(pooled.wall), wb1 - wb0);
	rc_diag("root as target: the job's own bios %s, %s/s write + fsync",
		rc_size(unpooled.wbytes), rc_size(unpooled.wall));
	/* Slow: 40 % under the limit, or 20 % under blk-throttle's own rate. */
	floor = IO_RATE * 3 / 5;
	if (direct.steady > 0 && direct.steady * 4 / 5 < floor)
		floor = direct.steady * 4 / 5;
	if (!rc_at_least("bytes the pool wrote", pooled.wbytes,
			 IO_SIZE * 9 / 10) ||
	    !rc_below("pool's write rate (bytes/s), 20 % over the limit",
		      pooled.steady, IO_RATE * 6 / 5) ||
	    !rc_at_least("pool's write rate (bytes/s)", pooled.steady, floor) ||
	    !rc_below("the job's own bios with root as target (not limited by its io.max)",
		      unpooled.wbytes, IO_SIZE / 10))
		goto cleanup;
	result = KSFT_PASS;
cleanup:
	rc_write_str(TARGET, "0");
	free(job);
	free(pool);
	return result;
}

static const struct rc_test tests[] = {
	T(target_invalid, 0),
	T(pool_limit, 300),
	T(pool_removed, 180),
	T(pool_removed_in_flight, 0),
	T(pool_io_max, 180),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

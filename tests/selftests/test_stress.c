// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency and unload.
 *
 * The workers count the bytes of new page cache they insert, per 64 KiB
 * chunk (readers drop their file and read it again with readahead off, so a
 * chunk read inserts exactly its own pages; writers write a new file). The
 * bounds below are derived from those counts, not from typical run figures.
 *
 * toggle:      "enabled" flipped as fast as possible for 5 s while 2 readers
 *              and 2 writers churn new page cache: every worker inserted
 *              during the storm, stats/redirected_bytes grew by 5-95% of
 *              what they inserted (both states were in effect); afterwards
 *              in_flight is 0 and, disabled, a new job's cache is charged to
 *              it again.
 * load_unload: 50 cycles of insmod enabled=1 / rmmod while 8 readers/writers
 *              (each in its own cgroup) churn new page cache, loaded for
 *              20 to 60 ms a cycle (or 3 to 9 times a worker's chunk time,
 *              measured first, where that is longer); at least 10
 *              and as many as fit in LU_BUDGET_MS (an unload of the ftrace
 *              wrapper waits for two RCU-tasks grace periods, about 10 s
 *              each cycle on 6.1 and 6.12 with the workers running under
 *              TCG); the slowest unload is reported. Chunks that
 *              started after insmod returned and ended before the counters
 *              were read must all have been redirected: the redirected bytes
 *              summed over the cycles are >= 90% of them, and every worker
 *              inserted some while loaded. Then each of those same tasks
 *              writes 16 MiB to tmpfs and its own cgroup's shmem grows by
 *              16 MiB: no task kept a stale active_memcg.
 * readers64:   64 processes in one cgroup read 64 distinct new 1 MiB files at
 *              once with rootcache enabled: stats/probe_misses stays 0 and the
 *              job's file charge stays < 1 MiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/rc.h"

#define MAX_WORKERS	8
#define WORK_FILE	MiB(4)
#define TMPFS_SIZE	MiB(16)
#define WORK_CHUNK	KiB(64)

struct shared {
	volatile int phase;		/* 0 churn, 1 quiet, 2 tmpfs, 3 exit */
	volatile int quiet;		/* workers that stopped churning */
	volatile int done;		/* workers that finished the tmpfs write */
	volatile int window;		/* nonzero: a counting window is open */
	volatile long iters[MAX_WORKERS];
	volatile long long bytes[MAX_WORKERS];	/* inserted, all chunks */
	/* chunks begun and finished inside one window (same token) */
	volatile long long win_bytes[MAX_WORKERS];
	volatile int err[MAX_WORKERS];
};

static struct shared *sh;

struct worker {
	pid_t pid;
	char *cg;
	char *file;		/* scratch file */
	char *tmpfile;		/* tmpfs file */
};

static char chunk_buf[WORK_CHUNK];

/* Account one chunk of new page cache that began while window was @token. */
static void account(int i, long long n, int token)
{
	sh->bytes[i] += n;
	if (token && sh->window == token)
		sh->win_bytes[i] += n;
}

static void churn_read(int i, const char *file)
{
	int fd = open(file, O_RDONLY), token;
	long long done = 0;
	ssize_t n;

	if (fd < 0) {
		sh->err[i] = errno;
		return;
	}
	/* drop it so this round inserts new folios; no readahead */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	while (done < WORK_FILE) {
		token = sh->window;
		n = read(fd, chunk_buf, WORK_CHUNK);
		if (n <= 0) {
			sh->err[i] = n ? errno : ENODATA;
			break;
		}
		account(i, n, token);
		done += n;
	}
	close(fd);
}

static void churn_write(int i, const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644), token;
	long long done = 0;
	ssize_t n;

	if (fd < 0) {
		sh->err[i] = errno;
		return;
	}
	while (done < WORK_FILE) {
		token = sh->window;
		n = write(fd, chunk_buf, WORK_CHUNK);
		if (n <= 0) {
			sh->err[i] = n ? errno : EIO;
			break;
		}
		account(i, n, token);
		done += n;
	}
	/* truncation frees the (still unwritten) folios without disk I/O */
	if (ftruncate(fd, 0))
		sh->err[i] = errno;
	close(fd);
}

static long long sum_ll(volatile long long *v, int n)
{
	long long t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += v[i];
	return t;
}

static void worker_main(int i, struct worker *w, bool writer, bool tmpfs)
{
	int fd;

	if (rc_cg_join(w->cg))
		_exit(1);
	while (sh->phase == 0) {
		if (writer)
			churn_write(i, w->file);
		else
			churn_read(i, w->file);
		sh->iters[i]++;
	}
	__sync_fetch_and_add(&sh->quiet, 1);
	while (sh->phase == 1)
		rc_msleep(10);
	if (tmpfs && sh->phase == 2) {
		fd = open(w->tmpfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || rc_write_fd(fd, TMPFS_SIZE))
			sh->err[i] = errno ? errno : EIO;
		if (fd >= 0)
			close(fd);
		__sync_fetch_and_add(&sh->done, 1);
		while (sh->phase == 2)
			rc_msleep(10);
	}
	_exit(0);
}

static int start_workers(struct worker *w, int n, bool tmpfs)
{
	int i;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -1;
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "w%d", i);
		w[i].cg = rc_cg_create(name);
		w[i].file = rc_path(rc.scratch, "rctest.%d.w%d", rc.main_pid, i);
		w[i].tmpfile = rc_path(rc.tmp, "rctest.%d.w%d", rc.main_pid, i);
		if (!w[i].cg || !w[i].file || !w[i].tmpfile)
			return -1;
		/* readers (even) need their file; writers make their own */
		if (!(i & 1) && rc_make_file(w[i].file, WORK_FILE))
			return -1;
	}
	fflush(stdout);
	for (i = 0; i < n; i++) {
		w[i].pid = fork();
		if (w[i].pid < 0)
			return -1;
		if (!w[i].pid)
			worker_main(i, &w[i], i & 1, tmpfs);
	}
	return 0;
}

static void stop_workers(struct worker *w, int n)
{
	int i;

	if (sh && sh != MAP_FAILED)
		sh->phase = 3;
	for (i = 0; i < n; i++) {
		if (w[i].pid > 0) {
			waitpid(w[i].pid, NULL, 0);
			w[i].pid = 0;
		}
		if (w[i].tmpfile)
			unlink(w[i].tmpfile);
		if (w[i].file)
			unlink(w[i].file);
		rc_cg_destroy(w[i].cg);
		free(w[i].cg);
		free(w[i].file);
		free(w[i].tmpfile);
	}
	memset(w, 0, sizeof(*w) * n);
}

static long total_iters(int n)
{
	long t = 0;
	int i;

	for (i = 0; i < n; i++)
		t += sh->iters[i];
	return t;
}

static bool worker_errors(int n)
{
	bool bad = false;
	int i;

	for (i = 0; i < n; i++) {
		if (sh->err[i]) {
			rc_diag("worker %d: %s", i, strerror(sh->err[i]));
			bad = true;
		}
	}
	return bad;
}

struct read_job {
	const char *file;
	long long size;
};

static int read_job(void *arg)
{
	struct read_job *j = arg;
	int fd = open(j->file, O_RDONLY), ret;

	if (fd < 0)
		return KSFT_FAIL;
	ret = rc_read_fd(fd, j->size);
	close(fd);
	return ret ? KSFT_FAIL : KSFT_PASS;
}

static int stress_toggle(void)
{
	long long t0, flips = 0, inflight, file, red0, red1, ins0, ins1;
	struct read_job j = { .size = MiB(16) };
	long long wb0[4], ins;
	struct worker w[4] = { 0 };
	bool ok = true;
	int i;
	int ret = KSFT_FAIL, st;
	char *cg = NULL;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	if (start_workers(w, 4, false))
		goto cleanup;
	rc_msleep(200);		/* the workers are churning */
	for (i = 0; i < 4; i++)
		wb0[i] = sh->bytes[i];
	ins0 = sum_ll(sh->bytes, 4);
	red0 = rc_mod_stat("redirected_bytes");
	t0 = rc_now_ms();
	while (rc_now_ms() - t0 < 5000) {
		if (rc_mod_enable(flips & 1)) {
			rc_diag("toggle %lld failed", flips);
			goto cleanup;
		}
		flips++;
	}
	rc_mod_enable(false);
	sh->phase = 3;
	rc_msleep(200);
	/* disabled since before the sleep: no later chunk was redirected */
	red1 = rc_mod_stat("redirected_bytes");
	ins1 = sum_ll(sh->bytes, 4);
	ins = ins1 - ins0;
	rc_diag("%lld toggles in 5 s, %ld worker rounds, inserted %s, redirected %s, probe_misses %lld",
		flips, total_iters(4), rc_size(ins), rc_size(red1 - red0),
		rc_mod_stat("probe_misses"));
	if (worker_errors(4))
		goto cleanup;
	for (i = 0; i < 4; i++) {
		char what[64];

		snprintf(what, sizeof(what), "worker %d bytes during the storm",
			 i);
		ok &= rc_at_least(what, sh->bytes[i] - wb0[i], WORK_CHUNK);
	}
	/*
	 * Enabled and disabled alternated: some of the inserted cache went to
	 * root and some did not. (Redirected filesystem metadata adds a
	 * little on top; at most 1 MiB here.)
	 */
	ok &= rc_at_least("redirected during the storm", red1 - red0,
			  ins / 20);
	ok &= rc_below("redirected during the storm", red1 - red0,
		       ins * 19 / 20 + MiB(1));
	if (!ok)
		goto cleanup;
	inflight = rc_mod_stat("in_flight");
	if (!rc_equal("stats/in_flight after the storm", inflight, 0))
		goto cleanup;

	/* disabled now: a new job's cache is its own again */
	j.file = rc_path(rc.scratch, "rctest.%d.toggle", rc.main_pid);
	if (!j.file || rc_make_file(j.file, j.size) || rc_drop_caches())
		goto cleanup;
	cg = rc_cg_create("after_toggle");
	if (!cg || rc_cg_run(cg, read_job, &j))
		goto cleanup;
	file = rc_cg_file(cg);
	if (!rc_close("job file charge with enabled=0 after toggling", file,
		      j.size, 10))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	stop_workers(w, 4);
	rc_cg_destroy(cg);
	free(cg);
	if (j.file)
		unlink(j.file);
	free((char *)j.file);
	return ret;
}

#define LU_CYCLES	50
#define LU_MIN_CYCLES	10
#define LU_BUDGET_MS	300000
#define LU_WINDOW_MS	20

/*
 * How long one worker takes for one chunk while all of them churn, measured
 * over a second with the module unloaded: a few ms on a Debian kernel under
 * TCG (5 on 6.12), 200 to 1000 on the 6.6 KASAN and lockdep kernel, where
 * a 20 ms window saw no chunk begin and end.
 */
static long long worker_chunk_ms(void)
{
	long long b0 = sum_ll(sh->bytes, MAX_WORKERS), t0 = rc_now_ms(), n, t;

	rc_msleep(1000);
	n = sum_ll(sh->bytes, MAX_WORKERS) - b0;
	t = rc_now_ms() - t0;
	return n > 0 ? t * MAX_WORKERS * WORK_CHUNK / n : t;
}

static int stress_load_unload(void)
{
	long long base[MAX_WORKERS], t0, shm, use, ubase[MAX_WORKERS];
	long long redirected, loaded_redirects = 0, win = 0, win0, ins0;
	long long t_unload, unload_max = 0, chunk_ms, window_ms;
	struct worker w[MAX_WORKERS] = { 0 };
	int ret = KSFT_FAIL, st, i, cycles = 0, prio = 0;
	bool ok = true;

	st = rc_mod_set(RC_UNLOADED);
	if (st != KSFT_PASS)
		return st;
	if (access(rc.ko, R_OK))
		return rc_skip("no module at %s", rc.ko);
	if (start_workers(w, MAX_WORKERS, true))
		goto cleanup;
	/* a window is at least three chunks of a worker long */
	chunk_ms = worker_chunk_ms();
	window_ms = chunk_ms * 3 > LU_WINDOW_MS ? chunk_ms * 3 : LU_WINDOW_MS;
	rc_diag("a worker's chunk takes %lld ms: windows of %lld to %lld ms",
		chunk_ms, window_ms, 3 * window_ms);
	/*
	 * The workers keep both vCPUs busy; at the same priority, insmod and
	 * rmmod would get 1/9 of them and each cycle would take ~10x longer.
	 * Ahead of them, the unload still runs while they insert on the other
	 * CPU, which is the race this test is after.
	 */
	prio = getpriority(PRIO_PROCESS, 0);
	if (setpriority(PRIO_PROCESS, 0, -20))
		rc_diag("setpriority: %s (cycles run at normal priority)", strerror(errno));
	t0 = rc_now_ms();
	ins0 = sum_ll(sh->bytes, MAX_WORKERS);
	for (cycles = 0; cycles < LU_CYCLES; cycles++) {
		if (cycles >= LU_MIN_CYCLES &&
		    rc_now_ms() - t0 > LU_BUDGET_MS)
			break;
		st = rc_mod_load("enabled=1");
		if (st) {
			rc_diag("cycle %d: insmod: %s", cycles, strerror(-st));
			goto cleanup;
		}
		/* chunks begun from here on insert into a loaded module */
		win0 = sum_ll(sh->win_bytes, MAX_WORKERS);
		sh->window = cycles + 1;
		rc_msleep(window_ms * (2 + cycles % 5) / 2);
		/* chunks finished from here on do not count */
		sh->window = 0;
		__sync_synchronize();
		win += sum_ll(sh->win_bytes, MAX_WORKERS) - win0;
		redirected = rc_mod_stat("redirected_bytes");
		if (redirected > 0)
			loaded_redirects += redirected;
		t_unload = rc_now_ms();
		st = rc_mod_unload();
		if (st) {
			rc_diag("cycle %d: rmmod: %s", cycles, strerror(-st));
			goto cleanup;
		}
		t_unload = rc_now_ms() - t_unload;
		if (t_unload > unload_max)
			unload_max = t_unload;
	}
	setpriority(PRIO_PROCESS, 0, prio);
	rc_diag("%d load/unload cycles in %.1f s (slowest unload %.1f s), %ld worker rounds, inserted %s in all, %s inside the windows, %s redirected while loaded",
		cycles, (rc_now_ms() - t0) / 1000.0, unload_max / 1000.0,
		total_iters(MAX_WORKERS),
		rc_size(sum_ll(sh->bytes, MAX_WORKERS) - ins0), rc_size(win),
		rc_size(loaded_redirects));
	/* the workers really went through the probe between loads and unloads */
	for (i = 0; i < MAX_WORKERS; i++) {
		char what[64];

		snprintf(what, sizeof(what), "worker %d bytes inserted while loaded",
			 i);
		ok &= rc_at_least(what, sh->win_bytes[i], WORK_CHUNK);
	}
	/*
	 * Every chunk counted in a window was inserted entirely while the
	 * module was loaded and enabled, before its counters were read: all
	 * of it must have been redirected (10% for probe misses and races).
	 */
	ok &= rc_at_least("bytes redirected while loaded", loaded_redirects,
			  win - win / 10);

	/* the same tasks now write to tmpfs: charged to their own groups? */
	sh->phase = 1;
	t0 = rc_now_ms();
	while (sh->quiet < MAX_WORKERS && rc_now_ms() - t0 < 60000)
		rc_msleep(50);
	if (!rc_equal("workers stopped", sh->quiet, MAX_WORKERS))
		goto cleanup;
	for (i = 0; i < MAX_WORKERS; i++) {
		base[i] = rc_cg_shmem(w[i].cg);
		ubase[i] = rc_cg_usage(w[i].cg);
	}
	sh->phase = 2;
	t0 = rc_now_ms();
	while (sh->done < MAX_WORKERS && rc_now_ms() - t0 < 60000)
		rc_msleep(50);
	if (!rc_equal("workers done with tmpfs", sh->done, MAX_WORKERS))
		goto cleanup;
	for (i = 0; i < MAX_WORKERS; i++) {
		char what[64];

		shm = rc_settle(rc_cg_shmem, w[i].cg, base[i] + TMPFS_SIZE,
				10, 3000) - base[i];
		use = rc_cg_usage(w[i].cg) - ubase[i];
		rc_diag("worker %d (%s): %ld rounds, shmem %+.2f MiB, usage %+.2f MiB",
			i, i & 1 ? "writer" : "reader", sh->iters[i],
			shm / 1048576.0, use / 1048576.0);
		snprintf(what, sizeof(what), "worker %d cgroup shmem growth", i);
		ok &= rc_close(what, shm, TMPFS_SIZE, 10);
		snprintf(what, sizeof(what), "worker %d cgroup usage growth", i);
		ok &= rc_at_least(what, use, TMPFS_SIZE - MiB(1));
	}
	if (worker_errors(MAX_WORKERS))
		ok = false;
	if (ok)
		ret = KSFT_PASS;
cleanup:
	setpriority(PRIO_PROCESS, 0, prio);
	stop_workers(w, MAX_WORKERS);
	return ret;
}

#define NREADERS	64
#define RFILE		MiB(1)

static int stress_readers64(void)
{
	long long miss0, miss1, red0, red1, file;
	char *files[NREADERS] = { 0 }, *cg = NULL, c;
	pid_t pids[NREADERS] = { 0 };
	int ret = KSFT_FAIL, st, i, fd, gate[2] = { -1, -1 }, bad = 0;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	for (i = 0; i < NREADERS; i++) {
		files[i] = rc_path(rc.scratch, "rctest.%d.r%d", rc.main_pid, i);
		fd = files[i] ? open(files[i], O_WRONLY | O_CREAT | O_TRUNC,
				     0644) : -1;
		if (fd < 0 || rc_write_fd(fd, RFILE)) {
			rc_diag("cannot create reader file %d", i);
			goto cleanup;
		}
		close(fd);
	}
	if (rc_drop_caches())
		goto cleanup;
	cg = rc_cg_create("readers64");
	if (!cg || pipe(gate))
		goto cleanup;
	fflush(stdout);
	for (i = 0; i < NREADERS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			goto cleanup;
		if (!pids[i]) {
			struct read_job j = { files[i], RFILE };

			close(gate[1]);
			if (rc_cg_join(cg))
				_exit(1);
			/* wait until all are in place, then go together */
			if (read(gate[0], &c, 1) < 0)
				_exit(1);
			_exit(read_job(&j));
		}
	}
	close(gate[0]);
	gate[0] = -1;
	while (rc_cg_nr_procs(cg) < NREADERS)
		rc_msleep(10);
	miss0 = rc_mod_stat("probe_misses");
	red0 = rc_mod_stat("redirected_bytes");
	close(gate[1]);		/* go */
	gate[1] = -1;
	for (i = 0; i < NREADERS; i++) {
		int status;

		waitpid(pids[i], &status, 0);
		pids[i] = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	miss1 = rc_mod_stat("probe_misses");
	red1 = rc_mod_stat("redirected_bytes");
	file = rc_cg_file(cg);
	rc_diag("64 readers: probe_misses %lld -> %lld, redirected %+.2f MiB, job file %s, maxactive %lld",
		miss0, miss1, (red1 - red0) / 1048576.0, rc_size(file),
		rc_read_ll("/sys/module/rootcache/parameters/maxactive"));
	if (!rc_equal("failed readers", bad, 0) ||
	    !rc_equal("stats/probe_misses growth", miss1 - miss0, 0) ||
	    !rc_below("job file charge", file, MiB(1)) ||
	    !rc_close("stats/redirected_bytes growth", red1 - red0,
		      NREADERS * RFILE, 10))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	if (gate[0] >= 0)
		close(gate[0]);
	if (gate[1] >= 0)
		close(gate[1]);
	for (i = 0; i < NREADERS; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
		if (files[i])
			unlink(files[i]);
		free(files[i]);
	}
	rc_cg_destroy(cg);
	free(cg);
	return ret;
}

static const struct rc_test tests[] = {
	T(stress_toggle, 120),
	T(stress_load_unload, 600),
	T(stress_readers64, 180),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

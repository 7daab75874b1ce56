// SPDX-License-Identifier: GPL-2.0
/*
 * Documented behaviour of the policy and the hook (Documentation/rootcache.rst,
 * Documentation/security.rst) that no other program covers.
 *
 * mlock.enabled:   security.rst, "Keep file pages resident with mlock": a job
 *                  mlocks 16 MiB of a regular file it brings in with rootcache
 *                  enabled. The folios were inserted before they were locked,
 *                  so they are redirected (stats/redirected_bytes +16 MiB
 *                  +-10%, skipped_unevictable does not grow) and sit in root
 *                  as unevictable memory: root-local file +16 MiB +-10%,
 *                  root's unevictable +16 MiB or more, the job's file and
 *                  unevictable charges < 1 MiB.
 * mlock.disabled:  the same job with rootcache disabled: its own file and
 *                  unevictable charges are 16 MiB +-10% (what the limit sees
 *                  without rootcache).
 * charged_before_enable: rootcache.rst, "Cache charged before enabling keeps
 *                  its old charge": a job reads 32 MiB with rootcache
 *                  disabled; after enabling, a second job in the same group
 *                  reads the same (cached) file again: the group's file
 *                  charge stays 32 MiB +-10%, nothing is redirected, root
 *                  does not grow. A new file read then does go to root.
 * maxactive_full:  rootcache.rst, maxactive: loaded with the kretprobe
 *                  mechanism (hook_mechanism=kretprobe) and maxactive=1, 64
 *                  readers of distinct new 1 MiB files at once exhaust the
 *                  kretprobe's instances (a round without a miss, one
 *                  vCPU having run them all, is run again on cold files, up
 *                  to 5 rounds): stats/probe_misses > 0, and the
 *                  missed insertions are charged normally: the job's file
 *                  charge is > 0 and, with stats/redirected_bytes, accounts
 *                  for the 64 MiB read (+-10%); root-local file grows by the
 *                  redirected bytes (+-10%, +1 MiB); redirect_failed stays 0.
 */
#define _GNU_SOURCE
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

#define MLOCK_SIZE	MiB(16)
#define PRE_SIZE	MiB(32)

static long long root_local(const char *unused)
{
	(void)unused;
	return rc_root_file_local();
}

static long long unevictable(const char *cg)
{
	return rc_cg_stat(cg, "unevictable");
}

/* ---- mlock ---- */

static int job_mlock(void *file)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	char *p;

	if (fd < 0)
		return KSFT_FAIL;
	if (setrlimit(RLIMIT_MEMLOCK, &unlimited))
		perror("setrlimit RLIMIT_MEMLOCK");
	p = mmap(NULL, MLOCK_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return KSFT_FAIL;
	}
	/* faults every page in, then marks it unevictable */
	if (mlock(p, MLOCK_SIZE)) {
		perror("mlock");
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

struct mlock_measure {
	const char *cg;
	long long file, unev, root_unev, root, red, skipped;
	long long root_unev0, root0, red0, skipped0;
	bool enabled;
};

static int mlock_check(void *arg)
{
	struct mlock_measure *m = arg;

	m->file = rc_settle(rc_cg_file, m->cg, m->enabled ? 0 : MLOCK_SIZE,
			    10, 3000);
	m->unev = unevictable(m->cg);
	m->root = rc_settle(root_local, NULL,
			    m->root0 + (m->enabled ? MLOCK_SIZE : 0), 1, 3000) -
		  m->root0;
	m->root_unev = unevictable(NULL) - m->root_unev0;
	if (m->enabled) {
		m->red = rc_mod_stat("redirected_bytes") - m->red0;
		m->skipped = rc_mod_stat("skipped_unevictable") - m->skipped0;
	}
	return 0;
}

static int mlock_test(int mode)
{
	struct mlock_measure m = { 0 };
	int ret = KSFT_FAIL, st;
	char *cg = NULL, *file;
	bool ok = true;

	st = rc_mod_set(mode);
	if (st != KSFT_PASS)
		return st;
	file = rc_path(rc.scratch, "rctest.%d.mlock", rc.main_pid);
	if (!file || rc_make_file(file, MLOCK_SIZE) || rc_drop_caches())
		goto cleanup;
	cg = rc_cg_create("mlock");
	if (!cg)
		goto cleanup;
	m.cg = cg;
	m.enabled = mode == RC_ENABLED;
	m.root0 = rc_root_file_local();
	m.root_unev0 = unevictable(NULL);
	if (m.enabled) {
		m.red0 = rc_mod_stat("redirected_bytes");
		m.skipped0 = rc_mod_stat("skipped_unevictable");
	}
	st = rc_cg_run_hold(cg, job_mlock, file, mlock_check, &m);
	if (st) {
		rc_diag("job status %d", st);
		goto cleanup;
	}
	rc_diag("mlock/%s: job file %s, job unevictable %s, root-local file %+.2f MiB, root unevictable %+.2f MiB, redirected %+.2f MiB, skipped_unevictable %+lld",
		rc_mode_name(mode), rc_size(m.file), rc_size(m.unev),
		m.root / 1048576.0, m.root_unev / 1048576.0,
		m.red / 1048576.0, m.skipped);
	if (m.enabled) {
		ok &= rc_below("job file charge", m.file, MiB(1));
		ok &= rc_below("job unevictable", m.unev, MiB(1));
		ok &= rc_close("root-local file growth", m.root, MLOCK_SIZE,
			       10);
		ok &= rc_at_least("root unevictable growth", m.root_unev,
				  MLOCK_SIZE - MLOCK_SIZE / 10);
		ok &= rc_close("stats/redirected_bytes growth", m.red,
			       MLOCK_SIZE, 10);
		/* locked after insertion: never declined as unevictable */
		ok &= rc_below("stats/skipped_unevictable growth", m.skipped,
			       64);
	} else {
		ok &= rc_close("job file charge", m.file, MLOCK_SIZE, 10);
		ok &= rc_close("job unevictable", m.unev, MLOCK_SIZE, 10);
	}
	if (ok)
		ret = KSFT_PASS;
cleanup:
	rc_cg_destroy(cg);
	free(cg);
	if (file)
		unlink(file);
	free(file);
	return ret;
}

static int mlock_enabled(void) { return mlock_test(RC_ENABLED); }
static int mlock_disabled(void) { return mlock_test(RC_DISABLED); }

/* ---- cache charged before enabling ---- */

struct read_job {
	const char *file;
	long long size;
};

static int read_job(void *arg)
{
	struct read_job *j = arg;

	return rc_read_file(j->file, j->size) ? KSFT_FAIL : KSFT_PASS;
}

static int charged_before_enable(void)
{
	struct read_job j1 = { NULL, PRE_SIZE }, j2 = { NULL, PRE_SIZE };
	long long before, after, root0, root1, red0, red1, fresh;
	int ret = KSFT_FAIL, st;
	char *cg = NULL;
	bool ok = true;

	st = rc_mod_set(RC_DISABLED);
	if (st != KSFT_PASS)
		return st;
	j1.file = rc_path(rc.scratch, "rctest.%d.pre", rc.main_pid);
	j2.file = rc_path(rc.scratch, "rctest.%d.post", rc.main_pid);
	if (!j1.file || !j2.file || rc_make_file(j1.file, PRE_SIZE) ||
	    rc_make_file(j2.file, PRE_SIZE) || rc_drop_caches())
		goto cleanup;
	cg = rc_cg_create("precharged");
	if (!cg || rc_cg_run(cg, read_job, &j1))
		goto cleanup;
	before = rc_settle(rc_cg_file, cg, PRE_SIZE, 10, 3000);
	if (!rc_close("group file charge, read while disabled", before,
		      PRE_SIZE, 10))
		goto cleanup;

	if (rc_mod_enable(true))
		goto cleanup;
	root0 = rc_root_file_local();
	red0 = rc_mod_stat("redirected_bytes");
	/* the same file again: every page is cached, nothing is inserted */
	if (rc_cg_run(cg, read_job, &j1))
		goto cleanup;
	after = rc_cg_file(cg);
	red1 = rc_mod_stat("redirected_bytes");
	root1 = rc_root_file_local();
	rc_diag("charged before enabling: group file %s -> %s, root-local file %+.2f MiB, redirected %+.2f MiB",
		rc_size(before), rc_size(after), (root1 - root0) / 1048576.0,
		(red1 - red0) / 1048576.0);
	ok &= rc_close("group file charge after enabling and re-reading",
		       after, PRE_SIZE, 10);
	ok &= rc_below("stats/redirected_bytes growth", red1 - red0, MiB(1));
	ok &= rc_below("root-local file growth", root1 - root0, MiB(1));

	/* enabling did take effect: a file not yet cached goes to root */
	red0 = rc_mod_stat("redirected_bytes");
	if (rc_cg_run(cg, read_job, &j2))
		goto cleanup;
	fresh = rc_cg_file(cg) - after;
	red1 = rc_mod_stat("redirected_bytes");
	rc_diag("new file while enabled: group file %+.2f MiB, redirected %+.2f MiB",
		fresh / 1048576.0, (red1 - red0) / 1048576.0);
	ok &= rc_below("group file growth, new file while enabled", fresh,
		       MiB(1));
	ok &= rc_close("stats/redirected_bytes growth, new file", red1 - red0,
		       PRE_SIZE, 10);
	if (ok)
		ret = KSFT_PASS;
cleanup:
	rc_cg_destroy(cg);
	free(cg);
	if (j1.file)
		unlink(j1.file);
	if (j2.file)
		unlink(j2.file);
	free((char *)j1.file);
	free((char *)j2.file);
	return ret;
}

/* ---- a full kretprobe pool ---- */

#define NREADERS	64
#define RFILE		MiB(1)
#define MAX_ROUNDS	5

/* What one round of NREADERS concurrent readers changed. */
struct reader_round {
	long long misses, redirected, failed, root_growth, file;
	int bad_readers;
};

/*
 * Fork NREADERS readers into cg, each behind a gate so that they start
 * together, read files[i], and measure the module's counters and the charges
 * around the run. Returns 0 when the round ran (its readers may still have
 * failed: r->bad_readers).
 */
static int run_reader_round(const char *cg, char **files,
			    struct reader_round *r)
{
	long long miss0, red0, fail0, root0;
	pid_t pids[NREADERS] = { 0 };
	int ret = -1, i, gate[2] = { -1, -1 };
	char c;

	memset(r, 0, sizeof(*r));
	if (rc_drop_caches() || pipe(gate))
		return -1;
	fflush(stdout);
	for (i = 0; i < NREADERS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			goto out;
		if (!pids[i]) {
			struct read_job j = { files[i], RFILE };

			close(gate[1]);
			if (rc_cg_join(cg))
				_exit(1);
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
	fail0 = rc_mod_stat("redirect_failed");
	root0 = rc_root_file_local();
	close(gate[1]);		/* go */
	gate[1] = -1;
	for (i = 0; i < NREADERS; i++) {
		int status;

		waitpid(pids[i], &status, 0);
		pids[i] = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			r->bad_readers++;
	}
	r->misses = rc_mod_stat("probe_misses") - miss0;
	r->redirected = rc_mod_stat("redirected_bytes") - red0;
	r->failed = rc_mod_stat("redirect_failed") - fail0;
	r->file = rc_settle(rc_cg_file, cg, NREADERS * RFILE - r->redirected,
			    5, 3000);
	r->root_growth = rc_settle(root_local, NULL, root0 + r->redirected,
				   1, 3000);
	r->root_growth -= root0;
	ret = 0;
out:
	if (gate[0] >= 0)
		close(gate[0]);
	if (gate[1] >= 0)
		close(gate[1]);
	for (i = 0; i < NREADERS; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	}
	return ret;
}

static int maxactive_full(void)
{
	char *files[NREADERS] = { 0 }, *cg = NULL;
	int ret = KSFT_FAIL, st, i, fd, round;
	struct reader_round r = { 0 };
	bool ok = true;

	st = rc_mod_set(RC_UNLOADED);
	if (st != KSFT_PASS)
		return st;
	if (access(rc.ko, R_OK))
		return rc_skip("no module at %s", rc.ko);
	for (i = 0; i < NREADERS; i++) {
		files[i] = rc_path(rc.scratch, "rctest.%d.m%d", rc.main_pid, i);
		fd = files[i] ? open(files[i], O_WRONLY | O_CREAT | O_TRUNC,
				     0644) : -1;
		if (fd < 0 || rc_write_fd(fd, RFILE)) {
			rc_diag("cannot create reader file %d", i);
			goto cleanup;
		}
		close(fd);
	}
	st = rc_mod_load("enabled=1 maxactive=1 hook_mechanism=kretprobe");
	if (st) {
		rc_diag("insmod maxactive=1 hook_mechanism=kretprobe: %s", strerror(-st));
		goto cleanup;
	}
	if (!rc_equal("parameter maxactive",
		      rc_read_ll("/sys/module/rootcache/parameters/maxactive"),
		      1))
		goto cleanup;
	cg = rc_cg_create("maxactive1");
	if (!cg)
		goto cleanup;
	/*
	 * A miss needs two insertions in the probed function at once. With two
	 * vCPUs on a loaded host one vCPU can run all 64 readers alone: a
	 * round without a miss proves nothing and is run again on cold files.
	 */
	for (round = 1; round <= MAX_ROUNDS; round++) {
		if (run_reader_round(cg, files, &r))
			goto cleanup;
		rc_diag("maxactive=1, 64 readers, round %d: probe_misses %+lld, redirected %+.2f MiB, job file %s, root-local file %+.2f MiB, redirect_failed %+lld",
			round, r.misses, r.redirected / 1048576.0,
			rc_size(r.file), r.root_growth / 1048576.0, r.failed);
		if (r.misses || r.bad_readers)
			break;
	}
	ok &= rc_equal("failed readers", r.bad_readers, 0);
	ok &= rc_at_least("stats/probe_misses growth", r.misses, 1);
	/* each missed insertion is charged to the job, one page or more */
	ok &= rc_at_least("job file charge", r.file, 4096);
	ok &= rc_close("job file + redirected bytes", r.file + r.redirected,
		       NREADERS * RFILE, 10);
	/* what was redirected is in root, and nothing else went there */
	ok &= rc_below("|root-local file growth - redirected bytes|",
		       llabs(r.root_growth - r.redirected),
		       r.redirected / 10 + MiB(1));
	ok &= rc_equal("stats/redirect_failed growth", r.failed, 0);
	ok &= rc_equal("stats/in_flight", rc_mod_stat("in_flight"), 0);
	if (ok)
		ret = KSFT_PASS;
cleanup:
	for (i = 0; i < NREADERS; i++) {
		if (files[i])
			unlink(files[i]);
		free(files[i]);
	}
	rc_cg_destroy(cg);
	free(cg);
	return ret;
}

static const struct rc_test tests[] = {
	TN("mlock.enabled", mlock_enabled, 0),
	TN("mlock.disabled", mlock_disabled, 0),
	T(charged_before_enable, 0),
	T(maxactive_full, 180),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

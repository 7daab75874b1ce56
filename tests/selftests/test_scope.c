// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/rootcache/scope: redirection limited to chosen cgroup subtrees.
 *
 * siblings:   scope = {A, C}; the cache of a job in A goes to root (< 1 MiB
 *             charged; root-local file and stats/redirected_bytes +32 MiB
 *             +-10%), B's stays with B (32 MiB +-10%; root and
 *             redirected_bytes grow < 1 MiB), a grandchild of A is in scope,
 *             and removing A from the scope restores normal charging under
 *             A. (C keeps the scope non-empty: an empty scope is the global
 *             mode.) (On v2 jobs run in leaves below A: a cgroup that
 *             delegates memory to children cannot hold tasks.)
 * last_entry: scope = {A}; B (out of scope) is charged; removing A, the
 *             last entry, returns to the global mode: B's next read goes to
 *             root (< 1 MiB charged, redirected +32 MiB).
 * hostile:    malformed commands fail with EINVAL, well-formed ones naming
 *             an absent or non-memory cgroup with ENOENT; none changes the
 *             scope.
 * limit:      1024 live cgroups fit, the 1025th fails with ENOSPC, and the
 *             whole list (more than a page of text) reads back exactly.
 * stale:      a removed cgroup's ID stays listed, cannot be added again,
 *             and can be removed.
 * concurrent: scope updates race with readers in and out of scope; every
 *             reader is still running at the end (then killed by SIGKILL,
 *             by the test, and by nothing else).
 *
 * The verdict cache (kmod/scope.c: per CPU, keyed by the memory cgroup's
 * css serial number and the scope's generation) must never answer with a
 * stale verdict. Each of these fails when it does:
 * cache_scope_write: two readers in P/j keep inserting new page cache
 *             (holes of a sparse file) while the scope flips between {P, C}
 *             and {C}, six windows; in each window after a flip (until the
 *             readers read 4 MiB more), P/j's file charge,
 *             stats/redirected_bytes and stats/skipped_out_of_scope move as
 *             the new scope says (a cache that outlives a scope write keeps
 *             the old verdict).
 * cache_id_reuse: pinned to one CPU, a job in P/f (in scope) reads, P/f is
 *             removed, and Q/s (out of scope) is made at once, taking the
 *             memory cgroup ID P/f had (IDs go lowest free first): Q/s's
 *             read is charged to Q/s (a cache keyed by a reusable ID serves
 *             P/f's verdict). Three rounds.
 * cache_new_child: the other way round: a job in Q/f (out of scope)
 *             reads, Q/f goes, and a new child P/s of the scoped P, made
 *             after that verdict was cached and taking Q/f's ID, is
 *             redirected. Three rounds.
 * cache_moved_task: one reader, pinned to one CPU, is moved Q -> P/a -> Q
 *             between thirds of its read (three files, so that readahead,
 *             megabytes ahead where large folios are read, stays in its
 *             third): Q is charged the two outer thirds, P/a nothing,
 *             redirected_bytes grows by one third (a verdict kept per task,
 *             not per cgroup, would follow it).
 *
 * A cgroup's ID is the inode number of its directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/rc.h"

#define SIZE		MiB(32)
#define SCOPE_FILE	RC_SYSFS "/scope"
#define SCOPE_MAX	1024

static unsigned long long cg_id(const char *cg)
{
	struct stat st;

	if (stat(cg, &st)) {
		rc_diag("stat %s: %s", cg, strerror(errno));
		return 0;
	}
	return st.st_ino;
}

/* One write(2) of exactly len bytes; 0 or -errno. */
static int scope_cmd(const char *buf, size_t len)
{
	int fd = open(SCOPE_FILE, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static int scope_op(char op, unsigned long long id)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%c%llu\n", op, id);
	return scope_cmd(buf, strlen(buf));
}

static int scope_clear(void)
{
	return scope_cmd("clear", 5);
}

/* op ('+' or '-') on id, which must succeed; what names it in the diag. */
static bool scope_ok(char op, unsigned long long id, const char *what)
{
	int st = scope_op(op, id);

	if (st)
		rc_diag("%c%s: %s", op, what, strerror(-st));
	return !st;
}

/* op on id, which must fail with err, and change nothing. */
static bool scope_refused(char op, unsigned long long id, int err,
			  const char *what)
{
	int st = scope_op(op, id);

	if (st == -err)
		return true;
	rc_diag("%c%s: got %s, expected %s", op, what,
		st ? strerror(-st) : "success", strerror(err));
	return false;
}

/* The listed IDs, in file order, into ids (up to max); count or -errno. */
static int scope_list(unsigned long long *ids, int max)
{
	FILE *f = fopen(SCOPE_FILE, "re");
	unsigned long long id;
	int n = 0;

	if (!f)
		return -errno;
	while (fscanf(f, "%llu", &id) == 1) {
		if (n < max)
			ids[n] = id;
		n++;
	}
	fclose(f);
	return n;
}

static bool scope_is(const unsigned long long *want, int nr, const char *when)
{
	unsigned long long got[8];
	int n = scope_list(got, 8), i;

	if (n != nr) {
		rc_diag("%s: scope has %d entries, expected %d", when, n, nr);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (got[i] != want[i]) {
			rc_diag("%s: scope[%d] = %llu, expected %llu", when, i,
				got[i], want[i]);
			return false;
		}
	}
	return true;
}

/* v2: children get a memory controller only if the parent delegates it. */
static int enable_memory_below(const char *cg)
{
	int ret;

	if (rc.v1)
		return 0;
	ret = rc_cg_write(cg, "cgroup.subtree_control", "+memory");
	if (ret)
		rc_diag("enable memory below %s: %s", cg, strerror(-ret));
	return ret;
}

static char *child_create(const char *parent, const char *name)
{
	char *cg = rc_path(parent, "%s", name);

	if (cg && mkdir(cg, 0755) && errno != EEXIST) {
		rc_diag("mkdir %s: %s", cg, strerror(errno));
		free(cg);
		return NULL;
	}
	return cg;
}

/*
 * What a test made, undone by fx_end() with the scope cleared: cgroups
 * (removed last made first: children before their parents) and scratch
 * files. fx_cg() and fx_file() keep what they are given and return it.
 */
#define FX_MAX	8

struct fixture {
	char *cg[FX_MAX];
	char *file[FX_MAX];
	int cgs, files;
};

static char *fx_cg(struct fixture *fx, char *cg)
{
	if (cg && fx->cgs == FX_MAX) {
		rc_diag("fixture: more than %d cgroups", FX_MAX);
		rc_cg_destroy(cg);
		free(cg);
		return NULL;
	}
	if (cg)
		fx->cg[fx->cgs++] = cg;
	return cg;
}

static char *fx_file(struct fixture *fx, char *path)
{
	if (path && fx->files == FX_MAX) {
		rc_diag("fixture: more than %d files", FX_MAX);
		free(path);
		return NULL;
	}
	if (path)
		fx->file[fx->files++] = path;
	return path;
}

static void fx_end(struct fixture *fx)
{
	scope_clear();
	while (fx->cgs) {
		rc_cg_destroy(fx->cg[--fx->cgs]);
		free(fx->cg[fx->cgs]);
	}
	while (fx->files) {
		unlink(fx->file[--fx->files]);
		free(fx->file[fx->files]);
	}
}

static int job_read(void *file)
{
	return rc_read_file(file, SIZE) ? KSFT_FAIL : KSFT_PASS;
}

static long long root_local(const char *unused)
{
	(void)unused;
	return rc_root_file_local();
}

struct read_charge {
	long long job;		/* the job cgroup's file charge */
	long long root;		/* root-local file charge growth */
	long long red;		/* stats/redirected_bytes growth */
};

/*
 * A job in cg reads the whole (uncached) file; returns cg's file charge and
 * fills rc (when not NULL) with the root side of the same read.
 */
static long long charge_of_read(const char *cg, const char *file,
				struct read_charge *r)
{
	long long root0, red0, expect;
	int st;

	if (rc_drop_caches())
		return -1;
	root0 = rc_root_file_local();
	red0 = rc_mod_stat("redirected_bytes");
	st = rc_cg_run(cg, job_read, (void *)file);
	if (st) {
		rc_diag("job in %s exited with %d", cg, st);
		return -1;
	}
	if (r) {
		r->job = rc_cg_file(cg);
		r->red = rc_mod_stat("redirected_bytes") - red0;
		/* wait for root's stat only when the cache should be there */
		expect = r->job < SIZE / 2 ? root0 + SIZE : root0;
		r->root = rc_settle(root_local, NULL, expect, 1, 3000) - root0;
		rc_diag("%s: file %s, root-local file %+.2f MiB, redirected %+.2f MiB",
			cg, rc_size(r->job), r->root / 1048576.0,
			r->red / 1048576.0);
		return r->job;
	}
	return rc_cg_file(cg);
}

/* the root side of a read that went to root (true) or stayed (false) */
static bool root_side(const struct read_charge *r, bool redirected,
		      const char *who)
{
	char what[128];
	bool ok = true;

	if (redirected) {
		snprintf(what, sizeof(what), "%s: root-local file growth", who);
		ok &= rc_close(what, r->root, SIZE, 10);
		snprintf(what, sizeof(what), "%s: redirected_bytes growth", who);
		ok &= rc_close(what, r->red, SIZE, 10);
	} else {
		snprintf(what, sizeof(what), "%s: root-local file growth", who);
		ok &= rc_below(what, r->root, MiB(1));
		snprintf(what, sizeof(what), "%s: redirected_bytes growth", who);
		ok &= rc_below(what, r->red, MiB(1));
	}
	return ok;
}

static int test_siblings(void)
{
	char *a, *b, *c, *a_job = NULL, *sub = NULL, *leaf = NULL, *file;
	long long charge, skipped0, skipped1;
	struct fixture fx = { 0 };
	struct read_charge r;
	unsigned long long id_a, id_c;
	int ret = KSFT_FAIL, st;
	bool ok = true;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	file = fx_file(&fx, rc_path(rc.scratch, "rctest.scope.src"));
	a = fx_cg(&fx, rc_cg_create("A"));
	b = fx_cg(&fx, rc_cg_create("B"));
	c = fx_cg(&fx, rc_cg_create("C"));
	if (!file || !a || !b || !c || rc_make_file(file, SIZE) ||
	    enable_memory_below(a))
		goto cleanup;
	a_job = fx_cg(&fx, child_create(a, "job"));
	sub = fx_cg(&fx, child_create(a, "sub"));
	if (!a_job || !sub || enable_memory_below(sub))
		goto cleanup;
	leaf = fx_cg(&fx, child_create(sub, "leaf"));
	id_a = cg_id(a);
	id_c = cg_id(c);
	if (!leaf || !id_a || !id_c || !scope_ok('+', id_a, "A") ||
	    !scope_ok('+', id_c, "C"))
		goto cleanup;

	charge = charge_of_read(a_job, file, &r);
	rc_diag("A in scope: A/job charged %s", rc_size(charge));
	ok &= charge >= 0 && rc_below("A/job (in scope) file charge", charge,
				      MiB(1));
	ok &= charge >= 0 && root_side(&r, true, "A/job");

	skipped0 = rc_mod_stat("skipped_out_of_scope");
	charge = charge_of_read(b, file, &r);
	skipped1 = rc_mod_stat("skipped_out_of_scope");
	rc_diag("B out of scope: B charged %s, skipped_out_of_scope %+lld",
		rc_size(charge), skipped1 - skipped0);
	ok &= rc_close("B (out of scope) file charge", charge, SIZE, 10);
	ok &= charge >= 0 && root_side(&r, false, "B");
	/* every page of B's read was declined (readahead: folios, <= pages) */
	ok &= rc_at_least("skipped_out_of_scope growth", skipped1 - skipped0,
			  1);
	ok &= rc_below("skipped_out_of_scope growth (folios)",
		       skipped1 - skipped0, SIZE / 4096 + 256);

	charge = charge_of_read(leaf, file, &r);
	rc_diag("A/sub/leaf: charged %s", rc_size(charge));
	ok &= charge >= 0 && rc_below("A/sub/leaf file charge", charge,
				      MiB(1));
	ok &= charge >= 0 && root_side(&r, true, "A/sub/leaf");

	if (!scope_ok('-', id_a, "A"))
		goto cleanup;
	ok &= scope_is(&id_c, 1, "after removing A");
	charge = charge_of_read(a_job, file, &r);
	rc_diag("A removed from scope: A/job charged %s", rc_size(charge));
	ok &= rc_close("A/job (A removed from scope) file charge", charge,
		       SIZE, 10);
	ok &= charge >= 0 && root_side(&r, false, "A/job after -A");
	if (ok)
		ret = KSFT_PASS;
cleanup:
	fx_end(&fx);
	return ret;
}

static int test_last_entry(void)
{
	struct fixture fx = { 0 };
	struct read_charge r;
	char *a, *b, *file;
	long long charge;
	unsigned long long id_a;
	int ret = KSFT_FAIL, st;
	bool ok = true;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	file = fx_file(&fx, rc_path(rc.scratch, "rctest.scope.src"));
	a = fx_cg(&fx, rc_cg_create("lA"));
	b = fx_cg(&fx, rc_cg_create("lB"));
	if (!file || !a || !b || rc_make_file(file, SIZE))
		goto cleanup;
	id_a = cg_id(a);
	if (!id_a || !scope_ok('+', id_a, "A"))
		goto cleanup;
	charge = charge_of_read(b, file, &r);
	ok &= rc_close("B (out of scope) file charge", charge, SIZE, 10);
	ok &= charge >= 0 && root_side(&r, false, "B, scope {A}");

	if (!scope_ok('-', id_a, "A"))
		goto cleanup;
	ok &= scope_is(NULL, 0, "after removing the last entry");
	charge = charge_of_read(b, file, &r);
	rc_diag("scope emptied: B charged %s", rc_size(charge));
	ok &= charge >= 0 && rc_below("B file charge in the global mode",
				      charge, MiB(1));
	ok &= charge >= 0 && root_side(&r, true, "B, empty scope");
	if (ok)
		ret = KSFT_PASS;
cleanup:
	fx_end(&fx);
	return ret;
}

struct hostile {
	const char *buf;
	size_t len;	/* 0: strlen(buf) */
	int err;	/* expected errno */
};

static int test_hostile(void)
{
	static const struct hostile cases[] = {
		/* (an empty write never reaches the module: kernfs returns 0) */
		{ "\n", 0, EINVAL }, { "+", 0, EINVAL },
		{ "-", 0, EINVAL }, { "+\n", 0, EINVAL }, { "++1", 0, EINVAL },
		{ "+-1", 0, EINVAL }, { "--1", 0, EINVAL },
		{ "+ 1", 0, EINVAL }, { " +1", 0, EINVAL },
		{ "+1 ", 0, EINVAL }, { "+1\n\n", 0, EINVAL },
		{ "+1\t", 0, EINVAL }, { "+0", 0, EINVAL },
		{ "-0", 0, EINVAL }, { "+abc", 0, EINVAL },
		{ "+1a", 0, EINVAL }, { "+0x10", 0, EINVAL },
		{ "1", 0, EINVAL }, { "add 1", 0, EINVAL },
		{ "*1", 0, EINVAL }, { "+1,2", 0, EINVAL },
		{ "+1\n+2", 0, EINVAL }, { "+1.5", 0, EINVAL },
		{ "+18446744073709551616", 0, EINVAL },
		{ "+999999999999999999999999", 0, EINVAL },
		{ "clear ", 0, EINVAL }, { "CLEAR", 0, EINVAL },
		{ "clear\n\n", 0, EINVAL }, { "clea", 0, EINVAL },
		{ "clearx", 0, EINVAL }, { "+1\0", 3, EINVAL },
		{ "\0+1", 3, EINVAL }, { "+\xff", 0, EINVAL },
		/* well-formed, but nothing live has these IDs */
		{ "+18446744073709551615", 0, ENOENT },
		{ "-18446744073709551615", 0, ENOENT },
	};
	struct fixture fx = { 0 };
	unsigned long long id_a;
	char *a, *n, *nomem, *big = NULL;
	int ret = KSFT_FAIL, st;
	bool ok = true;
	size_t i;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	a = fx_cg(&fx, rc_cg_create("hostile"));
	n = fx_cg(&fx, rc_cg_create("nomem"));
	if (!a || !n)
		goto cleanup;
	id_a = cg_id(a);
	if (!id_a || !scope_ok('+', id_a, "hostile"))
		goto cleanup;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].buf);

		st = scope_cmd(cases[i].buf, len);
		if (st != -cases[i].err) {
			rc_diag("case %zu (%zu bytes): got %s, expected %s", i,
				len, st ? strerror(-st) : "success",
				strerror(cases[i].err));
			ok = false;
		}
		ok &= scope_is(&id_a, 1, "after a refused write");
	}

	/* overlong: more than a page of digits */
	big = malloc(8192);
	if (!big)
		goto cleanup;
	big[0] = '+';
	memset(big + 1, '1', 8191);
	st = scope_cmd(big, 8192);
	if (st != -EINVAL) {
		rc_diag("8 KiB write: got %s, expected EINVAL",
			st ? strerror(-st) : "success");
		ok = false;
	}
	ok &= scope_is(&id_a, 1, "after an overlong write");

	/* removing an ID that is not listed */
	ok &= scope_refused('-', cg_id(n), ENOENT, "absent");

	/* v2: a cgroup whose parent does not delegate memory has no memcg */
	if (!rc.v1) {
		nomem = fx_cg(&fx, child_create(n, "child"));
		if (!nomem)
			goto cleanup;
		ok &= scope_refused('+', cg_id(nomem), ENOENT,
				    "non-memory cgroup");
	}
	ok &= scope_is(&id_a, 1, "after the ENOENT cases");

	/* adding twice is not an error and lists it once */
	ok &= scope_ok('+', id_a, "listed");
	ok &= scope_is(&id_a, 1, "after adding a listed ID again");
	if (ok)
		ret = KSFT_PASS;
cleanup:
	free(big);
	fx_end(&fx);
	return ret;
}

static int cmp_ull(const void *x, const void *y)
{
	unsigned long long a = *(const unsigned long long *)x;
	unsigned long long b = *(const unsigned long long *)y;

	return a < b ? -1 : a > b;
}

static int test_limit(void)
{
	unsigned long long *ids = NULL, *got = NULL;
	char *parent = NULL, **kids = NULL;
	int ret = KSFT_FAIL, st, i, n = 0;
	bool ok = true;

	st = rc_mod_set(RC_DISABLED);
	if (st != KSFT_PASS)
		return st;
	parent = rc_cg_create("limit");
	ids = calloc(SCOPE_MAX + 1, sizeof(*ids));
	got = calloc(SCOPE_MAX + 1, sizeof(*got));
	kids = calloc(SCOPE_MAX + 1, sizeof(*kids));
	if (!parent || !ids || !got || !kids || enable_memory_below(parent))
		goto cleanup;
	for (n = 0; n < SCOPE_MAX + 1; n++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", n);
		kids[n] = child_create(parent, name);
		if (!kids[n])
			goto cleanup;
		ids[n] = cg_id(kids[n]);
	}
	for (i = 0; i < SCOPE_MAX; i++) {
		if (!scope_ok('+', ids[i], kids[i]))
			goto cleanup;
	}
	ok &= scope_refused('+', ids[SCOPE_MAX], ENOSPC, "entry 1025");
	st = scope_list(got, SCOPE_MAX + 1);
	ok &= rc_equal("entries listed", st, SCOPE_MAX);
	qsort(ids, SCOPE_MAX, sizeof(*ids), cmp_ull);
	for (i = 0; ok && i < SCOPE_MAX; i++) {
		if (got[i] != ids[i]) {
			rc_diag("listed[%d] = %llu, expected %llu", i, got[i],
				ids[i]);
			ok = false;
		}
	}
	ok &= rc_equal("clear", scope_clear(), 0);
	ok &= rc_equal("entries after clear", scope_list(got, 1), 0);
	if (ok)
		ret = KSFT_PASS;
cleanup:
	scope_clear();
	for (i = 0; kids && i < n; i++) {
		rmdir(kids[i]);
		free(kids[i]);
	}
	rc_cg_destroy(parent);
	free(parent);
	free(kids);
	free(ids);
	free(got);
	return ret;
}

static int test_stale(void)
{
	struct fixture fx = { 0 };
	unsigned long long id;
	int ret = KSFT_FAIL, st;
	bool ok = true;
	char *cg;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	cg = fx_cg(&fx, rc_cg_create("stale"));
	if (!cg)
		goto cleanup;
	id = cg_id(cg);
	if (!id || !scope_ok('+', id, "stale") || rc_cg_destroy(cg))
		goto cleanup;
	ok &= scope_is(&id, 1, "after rmdir");
	ok &= scope_refused('+', id, ENOENT, "removed cgroup");
	ok &= scope_ok('-', id, "stale ID");
	ok &= scope_is(NULL, 0, "after removing the stale ID");
	if (ok)
		ret = KSFT_PASS;
cleanup:
	fx_end(&fx);
	return ret;
}

#define UPDATES		2000
#define READERS		4

static int test_concurrent(void)
{
	struct fixture fx = { 0 };
	char *a, *b, *file;
	unsigned long long id_a, id_b;
	pid_t readers[READERS] = { 0 };
	int ret = KSFT_FAIL, st, i, bad = 0;
	bool ok = true;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	file = fx_file(&fx, rc_path(rc.scratch, "rctest.scope.src"));
	a = fx_cg(&fx, rc_cg_create("cA"));
	b = fx_cg(&fx, rc_cg_create("cB"));
	if (!file || !a || !b || rc_make_file(file, MiB(8)))
		goto cleanup;
	id_a = cg_id(a);
	id_b = cg_id(b);
	for (i = 0; i < READERS; i++) {
		readers[i] = fork();
		if (readers[i] < 0)
			goto cleanup;
		if (!readers[i]) {
			if (rc_cg_join(i % 2 ? b : a))
				_exit(1);
			for (;;) {
				/* evict and read again, so inserts keep coming */
				int fd = open(file, O_RDONLY | O_CLOEXEC);

				if (fd < 0)
					_exit(1);
				posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
				if (rc_read_fd(fd, MiB(8)))
					_exit(1);
				close(fd);
			}
		}
	}
	rc_msleep(200);		/* the readers are reading */
	for (i = 0; i < UPDATES; i++) {
		unsigned long long id = i % 2 ? id_b : id_a;

		if (scope_op('+', id) || scope_op('-', id))
			bad++;
		if (i % 200 == 0 && scope_clear())
			bad++;
	}
	ok &= rc_equal("failed scope updates", bad, 0);
	for (i = 0; i < READERS; i++) {
		int status;

		/* a reader that ended by itself (exit or signal) failed */
		if (waitpid(readers[i], &status, WNOHANG) == 0) {
			kill(readers[i], SIGKILL);
			waitpid(readers[i], &status, 0);
		} else {
			rc_diag("reader %d ended before it was killed", i);
			ok = false;
		}
		if (WIFEXITED(status)) {
			rc_diag("reader %d exited with %d", i,
				WEXITSTATUS(status));
			ok = false;
		} else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
			rc_diag("reader %d killed by signal %d", i,
				WTERMSIG(status));
			ok = false;
		}
		readers[i] = 0;
	}
	ok &= scope_is(NULL, 0, "after the updates");
	ok &= rc_equal("probe misses", rc_mod_stat("probe_misses"), 0);
	ok &= rc_equal("redirections in flight", rc_mod_stat("in_flight"), 0);
	if (ok)
		ret = KSFT_PASS;
cleanup:
	for (i = 0; i < READERS; i++) {
		if (readers[i] > 0) {
			kill(readers[i], SIGKILL);
			waitpid(readers[i], NULL, 0);
		}
	}
	fx_end(&fx);
	return ret;
}

/* ---- the verdict cache (kmod/scope.c) ---- */

/*
 * The tests below run on CPU 0 only (rc_pin_cpu(), inherited by the jobs
 * they fork): one per-CPU cache.
 */

/* A sparse file of size bytes: reading its holes inserts page cache. */
static int make_sparse(const char *path, long long size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret = 0;

	if (fd < 0 || ftruncate(fd, size))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (ret)
		rc_diag("sparse %s: %s", path, strerror(-ret));
	return ret;
}

/* A cgroup with the memory controller delegated to its children. */
static char *parent_create(const char *name)
{
	char *cg = rc_cg_create(name);

	if (cg && enable_memory_below(cg)) {
		rc_cg_destroy(cg);
		free(cg);
		return NULL;
	}
	return cg;
}

#define FLIPS		6
#define WINDOW_BYTES	MiB(4)
#define WINDOW_MAX_MS	20000
#define SPARSE_SIZE	MiB(1024)

/*
 * read: what the readers read so far. The window's end is told by it, not
 * by the module's counters: skipped_out_of_scope counts folios, and where
 * large folios are read (7.x) a few of them hold megabytes.
 */
struct counters {
	long long file, red, skipped, read;
};

static void counters_read(const char *cg, const long long *total,
			  struct counters *c)
{
	c->file = rc_cg_file(cg);
	c->red = rc_mod_stat("redirected_bytes");
	c->skipped = rc_mod_stat("skipped_out_of_scope");
	c->read = __atomic_load_n(total, __ATOMIC_RELAXED);
}

/*
 * Reader: 256 KiB of new page cache about every 10 ms from its own half of
 * the sparse file, until killed; adds what it read to *total (shared).
 */
static void paced_reader(const char *file, long long start, long long *total)
{
	static char buf[KiB(256)];
	long long off = start;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		_exit(1);
	/*
	 * No readahead: each read inserts what it reads, in the window it
	 * reads it (on 7.x readahead ran megabytes ahead, into the next
	 * window, whose scope then had nothing new to decide).
	 */
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM))
		_exit(1);
	for (;;) {
		if (pread(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
			_exit(1);
		__atomic_add_fetch(total, (long long)sizeof(buf),
				   __ATOMIC_RELAXED);
		off += sizeof(buf);
		if (off >= start + SPARSE_SIZE / 2)
			_exit(2);	/* not expected: 512 MiB per reader */
		rc_msleep(10);
	}
}

/* One window's movement against what the scope of that window says. */
static bool window_ok(int flip, bool in, const struct counters *c0,
		      const struct counters *c1)
{
	long long file = c1->file - c0->file, red = c1->red - c0->red;
	long long skipped = c1->skipped - c0->skipped;
	char what[96];
	bool ok = true;

	rc_diag("window %d, P %s scope: P/j file %+.2f MiB, redirected %+.2f MiB, skipped_out_of_scope %+lld",
		flip, in ? "in" : "out of", file / 1048576.0, red / 1048576.0,
		skipped);
	if (c1->read - c0->read < WINDOW_BYTES) {
		rc_diag("window %d: the readers read less than %s in %d s",
			flip, rc_size(WINDOW_BYTES), WINDOW_MAX_MS / 1000);
		return false;
	}
	if (in) {
		snprintf(what, sizeof(what), "window %d (P in scope): P/j file growth", flip);
		ok &= rc_below(what, file, MiB(1));
		snprintf(what, sizeof(what), "window %d (P in scope): redirected_bytes growth", flip);
		ok &= rc_at_least(what, red, MiB(2));
		snprintf(what, sizeof(what), "window %d (P in scope): skipped_out_of_scope growth", flip);
		ok &= rc_below(what, skipped, 64);
	} else {
		snprintf(what, sizeof(what), "window %d (P out of scope): P/j file growth", flip);
		ok &= rc_at_least(what, file, MiB(2));
		snprintf(what, sizeof(what), "window %d (P out of scope): redirected_bytes growth", flip);
		ok &= rc_below(what, red, KiB(256));
		/* folios, of any size: at least one */
		snprintf(what, sizeof(what), "window %d (P out of scope): skipped_out_of_scope growth", flip);
		ok &= rc_at_least(what, skipped, 1);
	}
	return ok;
}

static int test_cache_scope_write(void)
{
	struct fixture fx = { 0 };
	char *p, *j, *c, *file;
	unsigned long long id_p, id_c;
	pid_t readers[2] = { 0 };
	struct counters c0, c1;
	long long *total = MAP_FAILED;
	int ret = KSFT_FAIL, st, i, flip;
	long long t0;
	bool ok = true;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	file = fx_file(&fx, rc_path(rc.scratch, "rctest.scope.sparse"));
	p = fx_cg(&fx, parent_create("wP"));
	c = fx_cg(&fx, rc_cg_create("wC"));
	if (!file || !p || !c || make_sparse(file, SPARSE_SIZE))
		goto cleanup;
	j = fx_cg(&fx, child_create(p, "j"));
	total = mmap(NULL, sizeof(*total), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!j || total == MAP_FAILED)
		goto cleanup;
	*total = 0;
	id_p = cg_id(p);
	id_c = cg_id(c);
	/* C keeps the scope non-empty when P is not listed */
	if (!id_p || !id_c || !scope_ok('+', id_c, "C") ||
	    !scope_ok('+', id_p, "P") || rc_drop_caches())
		goto cleanup;
	for (i = 0; i < 2; i++) {
		readers[i] = fork();
		if (readers[i] < 0)
			goto cleanup;
		if (!readers[i]) {
			if (rc_cg_join(j))
				_exit(1);
			paced_reader(file, i * (SPARSE_SIZE / 2), total);
		}
	}
	rc_msleep(300);		/* the readers are reading */
	for (flip = 0; flip < FLIPS; flip++) {
		bool in = flip % 2 == 0;	/* P listed in this window */

		if (flip && !scope_ok(in ? '+' : '-', id_p, "P"))
			goto cleanup;
		/* a folio in flight at the write may still take the old set */
		rc_msleep(50);
		counters_read(j, total, &c0);
		t0 = rc_now_ms();
		/* until the readers read WINDOW_BYTES more (a busy host slows them) */
		do {
			rc_msleep(100);
			counters_read(j, total, &c1);
		} while (c1.read - c0.read < WINDOW_BYTES &&
			 rc_now_ms() - t0 < WINDOW_MAX_MS);
		ok &= window_ok(flip, in, &c0, &c1);
	}
	for (i = 0; i < 2; i++) {
		if (waitpid(readers[i], &st, WNOHANG) != 0) {
			rc_diag("reader %d ended before the end (status %d)",
				i, st);
			ok = false;
		}
	}
	if (ok)
		ret = KSFT_PASS;
cleanup:
	for (i = 0; i < 2; i++) {
		if (readers[i] > 0) {
			kill(readers[i], SIGKILL);
			waitpid(readers[i], NULL, 0);
		}
	}
	if (total != MAP_FAILED)
		munmap(total, sizeof(*total));
	fx_end(&fx);
	return ret;
}

/*
 * A memory cgroup's private ID (memory.stat has none to show) is freed
 * when it goes offline, shortly after rmdir, and the next memory cgroup
 * takes the lowest free one. Wait for the removal to go through.
 */
static int remove_and_wait(char *cg)
{
	if (rc_cg_destroy(cg))
		return -1;
	rc_msleep(500);
	return 0;
}

/*
 * cache_id_reuse (first = P/a, second = Q/b, redirected first) and
 * cache_new_child (first = Q/x, second = P/new): a job in the first
 * cgroup reads, the first goes, the second is made at once and its job
 * reads. Each read's charge must follow the scope.
 */
static int reuse_case(bool first_in)
{
	char *p, *q, *file, *first = NULL, *second = NULL;
	struct fixture fx = { 0 };
	unsigned long long id_p;
	struct read_charge r;
	long long charge;
	int ret = KSFT_FAIL, st, round;
	bool ok = true;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	if (rc_pin_cpu(0))
		return KSFT_FAIL;
	file = fx_file(&fx, rc_path(rc.scratch, "rctest.scope.src"));
	p = fx_cg(&fx, parent_create("rP"));
	q = fx_cg(&fx, parent_create("rQ"));
	if (!file || !p || !q || rc_make_file(file, SIZE))
		goto cleanup;
	id_p = cg_id(p);
	if (!id_p || !scope_ok('+', id_p, "P"))
		goto cleanup;
	/* three rounds: the ID is reused in each, a stale cache fails each */
	for (round = 0; round < 3 && ok; round++) {
		char name[16], what[96];

		snprintf(name, sizeof(name), "f%d", round);
		first = child_create(first_in ? p : q, name);
		if (!first)
			goto cleanup;
		charge = charge_of_read(first, file, &r);
		snprintf(what, sizeof(what), "round %d: first job (%s) file charge",
			 round, first_in ? "in scope" : "out of scope");
		if (first_in)
			ok &= charge >= 0 && rc_below(what, charge, MiB(1));
		else
			ok &= rc_close(what, charge, SIZE, 10);
		if (remove_and_wait(first))
			goto cleanup;
		free(first);
		first = NULL;

		snprintf(name, sizeof(name), "s%d", round);
		second = child_create(first_in ? q : p, name);
		if (!second)
			goto cleanup;
		charge = charge_of_read(second, file, &r);
		rc_diag("round %d: the new %s cgroup charged %s", round,
			first_in ? "out-of-scope" : "in-scope", rc_size(charge));
		snprintf(what, sizeof(what), "round %d: new cgroup (%s) file charge",
			 round, first_in ? "out of scope" : "in scope");
		if (first_in) {
			ok &= rc_close(what, charge, SIZE, 10);
			ok &= charge >= 0 && root_side(&r, false, what);
		} else {
			ok &= charge >= 0 && rc_below(what, charge, MiB(1));
			ok &= charge >= 0 && root_side(&r, true, what);
		}
		if (rc_cg_destroy(second))
			goto cleanup;
		free(second);
		second = NULL;
	}
	if (ok)
		ret = KSFT_PASS;
cleanup:
	/* made and removed each round: not in the fixture */
	rc_cg_destroy(first);
	rc_cg_destroy(second);
	free(first);
	free(second);
	fx_end(&fx);
	return ret;
}

static int test_cache_id_reuse(void)
{
	return reuse_case(true);
}

static int test_cache_new_child(void)
{
	return reuse_case(false);
}

/* The moved reader: a file (a third of the read) per step, when told. */
#define MOVED_PART	MiB(16)
#define MOVED_STEPS	3

struct moved {
	char *file[MOVED_STEPS];
	int go[2], done[2];
};

static int moved_reader(void *arg)
{
	struct moved *m = arg;
	int step;
	char c;

	for (step = 0; step < MOVED_STEPS; step++) {
		if (read(m->go[0], &c, 1) != 1)
			return KSFT_FAIL;
		if (rc_read_file(m->file[step], MOVED_PART))
			return KSFT_FAIL;
		if (write(m->done[1], &c, 1) != 1)
			return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static int test_cache_moved_task(void)
{
	char *p, *a, *q, name[32];
	long long root0, red0, red, q_file, a_file;
	struct fixture fx = { 0 };
	unsigned long long id_p;
	struct moved m = { .go = { -1, -1 }, .done = { -1, -1 } };
	int ret = KSFT_FAIL, st, step;
	pid_t pid = -1;
	char c = 1, spid[16];
	bool ok = true;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	if (rc_pin_cpu(0))
		return KSFT_FAIL;
	for (step = 0; step < MOVED_STEPS; step++) {
		snprintf(name, sizeof(name), "rctest.scope.moved.%d", step);
		m.file[step] = fx_file(&fx, rc_path(rc.scratch, name));
		if (!m.file[step] || rc_make_file(m.file[step], MOVED_PART))
			goto cleanup;
	}
	p = fx_cg(&fx, parent_create("mP"));
	q = fx_cg(&fx, rc_cg_create("mQ"));
	if (!p || !q)
		goto cleanup;
	a = fx_cg(&fx, child_create(p, "a"));
	id_p = a ? cg_id(p) : 0;
	if (!id_p || !scope_ok('+', id_p, "P") || pipe(m.go) ||
	    pipe(m.done) || rc_drop_caches())
		goto cleanup;
	root0 = rc_root_file_local();
	red0 = rc_mod_stat("redirected_bytes");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		goto cleanup;
	if (!pid)
		_exit(rc_cg_join(q) ? KSFT_FAIL : moved_reader(&m));
	/* the reader's ends: a reader that dies ends the parent's read */
	close(m.go[0]);
	close(m.done[1]);
	m.go[0] = m.done[1] = -1;
	snprintf(spid, sizeof(spid), "%d", pid);
	/* Q (out), P/a (in), Q (out): one third each */
	for (step = 0; step < MOVED_STEPS; step++) {
		if (step && rc_cg_write(step == 1 ? a : q, "cgroup.procs",
					spid)) {
			rc_diag("step %d: cannot move the reader", step);
			goto cleanup;
		}
		if (write(m.go[1], &c, 1) != 1 || read(m.done[0], &c, 1) != 1) {
			rc_diag("step %d: the reader is gone", step);
			goto cleanup;
		}
	}
	waitpid(pid, &st, 0);
	pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		rc_diag("reader ended with status %d", st);
		goto cleanup;
	}
	red = rc_mod_stat("redirected_bytes") - red0;
	q_file = rc_settle(rc_cg_file, q, 2 * MOVED_PART, 5, 3000);
	a_file = rc_cg_file(a);
	rc_diag("Q charged %s, P/a %s, redirected %+.2f MiB, root-local file %+.2f MiB",
		rc_size(q_file), rc_size(a_file), red / 1048576.0,
		(rc_root_file_local() - root0) / 1048576.0);
	ok &= rc_close("Q (two thirds out of scope) file charge", q_file,
		       2 * MOVED_PART, 10);
	ok &= rc_below("P/a (one third in scope) file charge", a_file, MiB(1));
	ok &= rc_close("redirected_bytes growth (one third)", red,
		       MOVED_PART, 10);
	if (ok)
		ret = KSFT_PASS;
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (step = 0; step < 2; step++) {
		if (m.go[step] >= 0)
			close(m.go[step]);
		if (m.done[step] >= 0)
			close(m.done[step]);
	}
	fx_end(&fx);
	return ret;
}

static const struct rc_test tests[] = {
	TN("siblings", test_siblings, 0),
	TN("last_entry", test_last_entry, 0),
	TN("hostile", test_hostile, 0),
	TN("limit", test_limit, 300),
	TN("stale", test_stale, 0),
	TN("concurrent", test_concurrent, 300),
	TN("cache_scope_write", test_cache_scope_write, 0),
	TN("cache_id_reuse", test_cache_id_reuse, 300),
	TN("cache_new_child", test_cache_new_child, 300),
	TN("cache_moved_task", test_cache_moved_task, 0),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

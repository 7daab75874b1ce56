// SPDX-License-Identifier: GPL-2.0
/*
 * Memory rootcache must leave alone: tmpfs, memfd, ramfs, secretmem (all
 * memory-backed or unevictable) and anonymous memory.
 *
 * <type>.enabled/.unloaded: a job holding 64 MiB of it is charged 64 MiB
 *                           (memory.current / usage_in_bytes, +-10%), and
 *                           with rootcache enabled nothing is redirected.
 * <type>.limit:             with rootcache enabled, a job limited to 64 MiB
 *                           cannot hold 128 MiB: it is OOM-killed or its
 *                           write fails, and its usage stays within the limit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/rc.h"

#define SIZE		MiB(64)
#define LIMIT		MiB(64)
#define OVER		MiB(128)
#define ST_NOSYS	100	/* job: the memory type does not exist here */
#define ST_WFAIL	101	/* job: a write or fault failed */

#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif

enum kind { TMPFS, MEMFD, RAMFS, SECRETMEM, ANON };

static const char *const kind_name[] = { "tmpfs", "memfd", "ramfs",
					 "secretmem", "anon" };

struct job {
	enum kind kind;
	long long size;
	char *file;		/* tmpfs and ramfs */
};

static char *ramfs_dir;

static int fill_fd(int fd, long long size)
{
	int ret = rc_write_fd(fd, size);

	if (ret) {
		printf("# job: write failed after some data: %s\n",
		       strerror(-ret));
		return ST_WFAIL;
	}
	return 0;
}

static int fill_map(char *p, long long size)
{
	long long off;

	for (off = 0; off < size; off += 4096)
		p[off] = 1;
	return 0;
}

static int job_fill(void *arg)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct job *j = arg;
	int fd, ret;
	char *p;

	switch (j->kind) {
	case TMPFS:
	case RAMFS:
		fd = open(j->file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0) {
			perror(j->file);
			return KSFT_FAIL;
		}
		return fill_fd(fd, j->size);
	case MEMFD:
		fd = memfd_create("rctest", 0);
		if (fd < 0)
			return errno == ENOSYS ? ST_NOSYS : KSFT_FAIL;
		return fill_fd(fd, j->size);
	case SECRETMEM:
		/* secretmem counts as locked memory: lift RLIMIT_MEMLOCK */
		if (setrlimit(RLIMIT_MEMLOCK, &unlimited))
			perror("setrlimit RLIMIT_MEMLOCK");
		fd = syscall(__NR_memfd_secret, 0);
		if (fd < 0) {
			printf("# job: memfd_secret: %s\n", strerror(errno));
			return errno == ENOSYS || errno == EINVAL ||
			       errno == EPERM ? ST_NOSYS : KSFT_FAIL;
		}
		if (ftruncate(fd, j->size)) {
			perror("ftruncate secretmem");
			return KSFT_FAIL;
		}
		p = mmap(NULL, j->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		if (p == MAP_FAILED) {
			printf("# job: mmap secretmem: %s\n", strerror(errno));
			return errno == ENOSYS ? ST_NOSYS : KSFT_FAIL;
		}
		return fill_map(p, j->size);
	case ANON:
		p = mmap(NULL, j->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return KSFT_FAIL;
		ret = fill_map(p, j->size);
		return ret;
	}
	return KSFT_FAIL;
}

struct measure {
	const char *cg;
	enum kind kind;
	long long usage, anon;
};

static int measure(void *arg)
{
	struct measure *m = arg;

	m->usage = rc_cg_usage(m->cg);
	m->anon = rc_cg_anon(m->cg);
	return KSFT_PASS;
}

static int setup(enum kind kind, struct job *j, long long size)
{
	j->kind = kind;
	j->size = size;
	j->file = NULL;
	if (kind == TMPFS) {
		j->file = rc_path(rc.tmp, "rctest.%d.tmpfs", rc.main_pid);
	} else if (kind == RAMFS) {
		ramfs_dir = rc_path(rc.tmp, "rctest.%d.ramfs", rc.main_pid);
		if (!ramfs_dir)
			return -1;
		mkdir(ramfs_dir, 0700);
		if (mount("rctest", ramfs_dir, "ramfs", 0, NULL)) {
			rc_diag("mount ramfs on %s: %s", ramfs_dir,
				strerror(errno));
			return -1;
		}
		j->file = rc_path(ramfs_dir, "data");
	}
	return 0;
}

static void teardown(struct job *j)
{
	if (j->file)
		unlink(j->file);
	free(j->file);
	j->file = NULL;
	if (ramfs_dir) {
		umount2(ramfs_dir, MNT_DETACH);
		rmdir(ramfs_dir);
		free(ramfs_dir);
		ramfs_dir = NULL;
	}
}

static int charge_test(enum kind kind, int mode)
{
	struct measure m = { 0 };
	long long red0 = 0, red1 = 0;
	struct job j = { 0 };
	int ret = KSFT_FAIL, st;
	char *cg = NULL;
	bool ok = true;

	st = rc_mod_set(mode);
	if (st != KSFT_PASS)
		return st;
	if (setup(kind, &j, SIZE))
		goto cleanup;
	cg = rc_cg_create(kind_name[kind]);
	if (!cg)
		goto cleanup;
	m.cg = cg;
	m.kind = kind;
	if (mode == RC_ENABLED)
		red0 = rc_mod_stat("redirected_bytes");
	st = rc_cg_run_hold(cg, job_fill, &j, measure, &m);
	if (st == ST_NOSYS) {
		ret = rc_skip("%s not available on this kernel%s",
			      kind_name[kind], kind == SECRETMEM ?
			      " (memfd_secret: no syscall before 5.14, needs secretmem.enable=1 before 6.5)" :
			      "");
		goto cleanup;
	}
	if (st) {
		rc_diag("job status %d", st);
		goto cleanup;
	}
	if (mode == RC_ENABLED)
		red1 = rc_mod_stat("redirected_bytes");
	rc_diag("%s/%s: job usage %s, anon %s, redirected %+.2f MiB, skipped_unevictable %lld",
		kind_name[kind], rc_mode_name(mode), rc_size(m.usage),
		rc_size(m.anon), (red1 - red0) / 1048576.0,
		mode == RC_UNLOADED ? -1 : rc_mod_stat("skipped_unevictable"));
	ok &= rc_close("job charge (usage)", m.usage, SIZE, 10);
	if (kind == ANON)
		ok &= rc_close("job anon", m.anon, SIZE, 10);
	if (mode == RC_ENABLED)
		ok &= rc_below("stats/redirected_bytes growth", red1 - red0,
			       MiB(1));
	if (ok)
		ret = KSFT_PASS;
cleanup:
	teardown(&j);
	rc_cg_destroy(cg);
	free(cg);
	return ret;
}

static int limit_test(enum kind kind)
{
	long long usage, ev;
	struct job j = { 0 };
	int ret = KSFT_FAIL, st;
	char *cg = NULL;
	bool ok = true;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	if (setup(kind, &j, OVER))
		goto cleanup;
	cg = rc_cg_create(kind_name[kind]);
	if (!cg || rc_cg_set_limit(cg, LIMIT)) {
		rc_diag("cannot set a %s limit", rc_size(LIMIT));
		goto cleanup;
	}
	rc_quiet_console(true);		/* the OOM report is expected */
	st = rc_cg_run(cg, job_fill, &j);
	rc_quiet_console(false);
	if (st == ST_NOSYS) {
		ret = rc_skip("%s not available on this kernel%s",
			      kind_name[kind], kind == SECRETMEM ?
			      " (memfd_secret: no syscall before 5.14, needs secretmem.enable=1 before 6.5)" :
			      "");
		goto cleanup;
	}
	usage = rc_cg_usage(cg);
	ev = rc.v1 ? rc_cg_read_ll(cg, "memory.failcnt") :
		     rc_cg_key(cg, "memory.events", "oom_kill");
	rc_diag("%s limit: job status %d (%s), usage after %s, %s %lld",
		kind_name[kind], st,
		st == 128 + 9 ? "killed" : st == ST_WFAIL ? "write failed" :
		st == 128 + 7 ? "SIGBUS" :
		st == 0 ? "held it all" : "other",
		rc_size(usage), rc.v1 ? "failcnt" : "oom_kill", ev);
	if (st == 0) {
		rc_diag("a job limited to %s held %s of %s",
			rc_size(LIMIT), rc_size(OVER), kind_name[kind]);
		ok = false;
	} else if (st != 128 + 9 && st != ST_WFAIL) {
		rc_diag("unexpected job status %d", st);
		ok = false;
	}
	ok &= rc_below("usage after the job", usage, LIMIT + MiB(1));
	if (ok)
		ret = KSFT_PASS;
cleanup:
	rc_quiet_console(false);
	teardown(&j);
	rc_cg_destroy(cg);
	free(cg);
	return ret;
}

#define KIND_TESTS(k, K)						\
static int k##_enabled(void) { return charge_test(K, RC_ENABLED); }	\
static int k##_unloaded(void) { return charge_test(K, RC_UNLOADED); }

KIND_TESTS(tmpfs, TMPFS)
KIND_TESTS(memfd, MEMFD)
KIND_TESTS(ramfs, RAMFS)
KIND_TESTS(secretmem, SECRETMEM)
KIND_TESTS(anon, ANON)

static int tmpfs_limit(void) { return limit_test(TMPFS); }
static int memfd_limit(void) { return limit_test(MEMFD); }
static int ramfs_limit(void) { return limit_test(RAMFS); }
static int secretmem_limit(void) { return limit_test(SECRETMEM); }

static const struct rc_test tests[] = {
	TN("tmpfs.enabled", tmpfs_enabled, 0),
	TN("tmpfs.unloaded", tmpfs_unloaded, 0),
	TN("tmpfs.limit", tmpfs_limit, 0),
	TN("memfd.enabled", memfd_enabled, 0),
	TN("memfd.unloaded", memfd_unloaded, 0),
	TN("memfd.limit", memfd_limit, 0),
	TN("ramfs.enabled", ramfs_enabled, 0),
	TN("ramfs.unloaded", ramfs_unloaded, 0),
	TN("ramfs.limit", ramfs_limit, 0),
	TN("secretmem.enabled", secretmem_enabled, 0),
	TN("secretmem.unloaded", secretmem_unloaded, 0),
	TN("secretmem.limit", secretmem_limit, 0),
	TN("anon.enabled", anon_enabled, 0),
	TN("anon.unloaded", anon_unloaded, 0),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Memory rootcache must leave alone: tmpfs, memfd, SysV shm (shmem), ramfs,
 * secretmem (memory-backed or unevictable), anonymous memory and hugetlbfs.
 *
 * <type>.enabled/.unloaded: a job holding 64 MiB of it is charged 64 MiB
 *                           (memory.current / usage_in_bytes, +-10%), and
 *                           with rootcache enabled nothing is redirected;
 *                           stats/skipped_unevictable grows by one per page
 *                           for ramfs and secretmem (they pass the hook and
 *                           are declined) and not at all for the others
 *                           (shmem and anon never pass the hook).
 * <type>.limit:             with rootcache enabled, a job limited to 64 MiB
 *                           cannot hold 128 MiB: it is OOM-killed or its
 *                           write fails, the limit was hit (v2 memory.events
 *                           "max", v1 memory.failcnt), root's own file
 *                           charge does not grow, and a tmpfs or ramfs file
 *                           (which outlives the job) stays charged to the
 *                           job, at least LIMIT - 8 MiB of it.
 * hugetlbfs.enabled:        a job faults 16 huge pages of a hugetlbfs file:
 *                           skipped_unevictable +16 where hugetlbfs passes
 *                           the hook (5.10), +0 where it does not (6.x),
 *                           nothing redirected,
 *                           no redirect_failed, 16 fewer free huge pages,
 *                           and (v2, hugetlb controller) its
 *                           hugetlb.<size>.current is 16 huge pages.
 * hugetlbfs.limit:          v2: hugetlb.<size>.max of 8 pages; a job
 *                           faulting 16 gets SIGBUS, its charge stays 8.
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
#include <sys/shm.h>
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

enum kind { TMPFS, MEMFD, RAMFS, SECRETMEM, ANON, SYSV };

static const char *const kind_name[] = { "tmpfs", "memfd", "ramfs",
					 "secretmem", "anon", "sysv_shm" };

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
	case SYSV:
		fd = shmget(IPC_PRIVATE, j->size, IPC_CREAT | 0600);
		if (fd < 0) {
			printf("# job: shmget: %s\n", strerror(errno));
			return errno == ENOSYS ? ST_NOSYS : KSFT_FAIL;
		}
		p = shmat(fd, NULL, 0);
		/* freed when the job detaches (exits or is killed) */
		shmctl(fd, IPC_RMID, NULL);
		if (p == (void *)-1) {
			printf("# job: shmat: %s\n", strerror(errno));
			return KSFT_FAIL;
		}
		return fill_map(p, j->size);
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
	long long red0 = 0, red1 = 0, unev0 = 0, unev1 = 0;
	struct measure m = { 0 };
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
	if (mode == RC_ENABLED) {
		red0 = rc_mod_stat("redirected_bytes");
		unev0 = rc_mod_stat("skipped_unevictable");
	}
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
	if (mode == RC_ENABLED) {
		red1 = rc_mod_stat("redirected_bytes");
		unev1 = rc_mod_stat("skipped_unevictable");
	}
	rc_diag("%s/%s: job usage %s, anon %s, redirected %+.2f MiB, skipped_unevictable %+lld",
		kind_name[kind], rc_mode_name(mode), rc_size(m.usage),
		rc_size(m.anon), (red1 - red0) / 1048576.0, unev1 - unev0);
	ok &= rc_close("job charge (usage)", m.usage, SIZE, 10);
	if (kind == ANON)
		ok &= rc_close("job anon", m.anon, SIZE, 10);
	if (mode == RC_ENABLED)
		ok &= rc_below("stats/redirected_bytes growth", red1 - red0,
			       MiB(1));
	/*
	 * ramfs and secretmem insert through the hook one page at a time and
	 * are declined as unevictable: one count per page. shmem (tmpfs,
	 * memfd, SysV) and anon never reach the hook: the count stays (a few
	 * from the rest of the guest at most).
	 */
	if (mode == RC_ENABLED && (kind == RAMFS || kind == SECRETMEM))
		ok &= rc_close("stats/skipped_unevictable growth (pages)",
			       unev1 - unev0, SIZE / 4096, 10);
	else if (mode == RC_ENABLED)
		ok &= rc_below("stats/skipped_unevictable growth (pages)",
			       unev1 - unev0, 64);
	if (ok)
		ret = KSFT_PASS;
cleanup:
	teardown(&j);
	rc_cg_destroy(cg);
	free(cg);
	return ret;
}

static long long root_local(const char *unused)
{
	(void)unused;
	return rc_root_file_local();
}

static int limit_test(enum kind kind)
{
	long long usage, ev, file, root0, root1, red0, red1;
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
	root0 = rc_root_file_local();
	red0 = rc_mod_stat("redirected_bytes");
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
	file = rc_cg_file(cg);
	red1 = rc_mod_stat("redirected_bytes");
	/* settle: a lagging flush of root's stat must not hide growth */
	root1 = rc_settle(root_local, NULL, root0 + OVER, 1, 2000);
	/* times the charge hit the limit */
	ev = rc.v1 ? rc_cg_read_ll(cg, "memory.failcnt") :
		     rc_cg_key(cg, "memory.events", "max");
	rc_diag("%s limit: job status %d (%s), usage after %s, file %s, %s %lld, root-local file %+.2f MiB, redirected %+.2f MiB",
		kind_name[kind], st,
		st == 128 + 9 ? "killed" : st == ST_WFAIL ? "write failed" :
		st == 128 + 7 ? "SIGBUS" :
		st == 0 ? "held it all" : "other",
		rc_size(usage), rc_size(file), rc.v1 ? "failcnt" : "events max",
		ev, (root1 - root0) / 1048576.0, (red1 - red0) / 1048576.0);
	if (st == 0) {
		rc_diag("a job limited to %s held %s of %s",
			rc_size(LIMIT), rc_size(OVER), kind_name[kind]);
		ok = false;
	} else if (st != 128 + 9 && st != ST_WFAIL) {
		rc_diag("unexpected job status %d", st);
		ok = false;
	}
	ok &= rc_at_least(rc.v1 ? "memory.failcnt" : "memory.events max",
			  ev, 1);
	/* had the job's pages gone to root, root would hold OVER - LIMIT */
	ok &= rc_below("root-local file charge growth", root1 - root0, MiB(16));
	ok &= rc_below("stats/redirected_bytes growth", red1 - red0, MiB(1));
	/*
	 * A tmpfs or ramfs file outlives its writer and cannot be reclaimed
	 * (no swap): the job's group keeps what it wrote up to the limit,
	 * less what its other memory (binary, stack, page tables) took.
	 */
	if (kind == TMPFS || kind == RAMFS)
		ok &= rc_at_least("job file charge after the job", file,
				  LIMIT - MiB(8));
	if (ok)
		ret = KSFT_PASS;
cleanup:
	rc_quiet_console(false);
	teardown(&j);
	rc_cg_destroy(cg);
	free(cg);
	return ret;
}

/* ---- hugetlbfs ---- */

#define HUGE_PAGES	16
#define HUGE_LIMIT	8
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

struct huge {
	char *dir, *file;
	long long hpage;	/* bytes */
	long long nr0;		/* nr_hugepages before the test */
	int pages;		/* pages the job faults */
	char hctl[64];		/* "hugetlb.2MB" (v2 controller files) */
	bool hugetlb_ctl;	/* v2 hugetlb controller enabled by the test */
};

static long long meminfo(const char *key)
{
	char line[256];
	long long v = -1;
	size_t len = strlen(key);
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			v = atoll(line + len + 1);
			break;
		}
	}
	fclose(f);
	return v;
}

static int job_huge(void *arg)
{
	struct huge *h = arg;
	long long size = h->pages * h->hpage;
	int fd = open(h->file, O_RDWR | O_CREAT, 0600);
	char *p;

	if (fd < 0 || ftruncate(fd, size)) {
		printf("# job: %s: %s\n", h->file, strerror(errno));
		return KSFT_FAIL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("# job: mmap hugetlbfs: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	/* one fault per huge page inserts it into the file's page cache */
	return fill_map(p, size) ? KSFT_FAIL : KSFT_PASS;
}

static void huge_teardown(struct huge *h)
{
	char buf[32];

	if (h->file)
		unlink(h->file);
	if (h->dir) {
		umount2(h->dir, MNT_DETACH);
		rmdir(h->dir);
	}
	if (h->nr0 >= 0) {
		snprintf(buf, sizeof(buf), "%lld", h->nr0);
		rc_write_str(NR_HUGEPAGES, buf);
	}
	if (h->hugetlb_ctl)
		rc_cg_write(rc.cgroot, "cgroup.subtree_control", "-hugetlb");
	free(h->file);
	free(h->dir);
}

/* Reserve huge pages, mount hugetlbfs; KSFT_PASS, KSFT_SKIP or KSFT_FAIL. */
static int huge_setup(struct huge *h, int pages)
{
	char buf[512], path[300];

	memset(h, 0, sizeof(*h));
	h->nr0 = -1;
	h->pages = pages;
	h->hpage = meminfo("Hugepagesize") * 1024;
	if (h->hpage <= 0 || access(NR_HUGEPAGES, W_OK))
		return rc_skip("no huge pages on this kernel");
	h->nr0 = rc_read_ll(NR_HUGEPAGES);
	snprintf(buf, sizeof(buf), "%d", HUGE_PAGES);
	rc_write_str(NR_HUGEPAGES, buf);
	if (meminfo("HugePages_Free") < HUGE_PAGES)
		return rc_skip("cannot reserve %d huge pages (%lld free)",
			       HUGE_PAGES, meminfo("HugePages_Free"));
	h->dir = rc_path(rc.tmp, "rctest.%d.hugetlbfs", rc.main_pid);
	h->file = h->dir ? rc_path(h->dir, "data") : NULL;
	if (!h->file)
		return KSFT_FAIL;
	mkdir(h->dir, 0700);
	if (mount("rctest", h->dir, "hugetlbfs", 0, NULL)) {
		if (errno == ENODEV)
			return rc_skip("no hugetlbfs in this kernel");
		rc_diag("mount hugetlbfs: %s", strerror(errno));
		return KSFT_FAIL;
	}
	/* "hugetlb.2MB": the size in the controller's own notation */
	if (h->hpage >= MiB(1024))
		snprintf(h->hctl, sizeof(h->hctl), "hugetlb.%lldGB",
			 h->hpage >> 30);
	else
		snprintf(h->hctl, sizeof(h->hctl), "hugetlb.%lldMB",
			 h->hpage >> 20);
	if (rc.v1)
		return KSFT_PASS;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", rc.cgroot);
	if (rc_read_str(path, buf, sizeof(buf)) > 0 && strstr(buf, "hugetlb") &&
	    !rc_cg_write(rc.cgroot, "cgroup.subtree_control", "+hugetlb"))
		h->hugetlb_ctl = true;
	return KSFT_PASS;
}

static long long huge_charge(const char *cg, struct huge *h)
{
	char file[96];

	snprintf(file, sizeof(file), "%s.current", h->hctl);
	return rc_cg_read_ll(cg, file);
}

static bool hugetlb_hooked(void)
{
	return !rc_kernel_inserts_folios();
}

static int hugetlbfs_enabled(void)
{
	long long unev0, unev1, red0, red1, fail0, fail1, free0, free1, hcg;
	int ret = KSFT_FAIL, st;
	struct huge h = { 0 };
	char *cg = NULL;
	bool ok = true;

	h.nr0 = -1;
	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	st = huge_setup(&h, HUGE_PAGES);
	if (st != KSFT_PASS) {
		ret = st;
		goto cleanup;
	}
	cg = rc_cg_create("hugetlbfs");
	if (!cg)
		goto cleanup;
	unev0 = rc_mod_stat("skipped_unevictable");
	red0 = rc_mod_stat("redirected_folios");
	fail0 = rc_mod_stat("redirect_failed");
	free0 = meminfo("HugePages_Free");
	st = rc_cg_run(cg, job_huge, &h);
	unev1 = rc_mod_stat("skipped_unevictable");
	red1 = rc_mod_stat("redirected_folios");
	fail1 = rc_mod_stat("redirect_failed");
	free1 = meminfo("HugePages_Free");
	hcg = h.hugetlb_ctl ? huge_charge(cg, &h) : -1;
	rc_diag("hugetlbfs (%s pages): job status %d, free huge pages %lld -> %lld, skipped_unevictable %+lld, redirected_folios %+lld, redirect_failed %+lld, %s.current %lld",
		rc_size(h.hpage), st, free0, free1, unev1 - unev0, red1 - red0,
		fail1 - fail0, h.hctl, hcg);
	ok &= rc_equal("job status", st, 0);
	/* the file holds its pages after the job: they are huge pages */
	ok &= rc_equal("huge pages taken by the file", free0 - free1,
		       HUGE_PAGES);
	/*
	 * Where hugetlbfs inserts through the hooked function, each huge page
	 * passes the hook once and is declined; where page cache is inserted
	 * as folios (5.16, RHEL 9.1) it calls __filemap_add_folio() directly
	 * and never reaches the hook.
	 */
	if (hugetlb_hooked())
		ok &= rc_equal("stats/skipped_unevictable growth",
			       unev1 - unev0, HUGE_PAGES);
	else
		ok &= rc_equal("stats/skipped_unevictable growth",
			       unev1 - unev0, 0);
	ok &= rc_equal("stats/redirected_folios growth", red1 - red0, 0);
	ok &= rc_equal("stats/redirect_failed growth", fail1 - fail0, 0);
	if (h.hugetlb_ctl)
		ok &= rc_equal("job hugetlb charge", hcg,
			       HUGE_PAGES * h.hpage);
	else
		rc_diag("no hugetlb controller here (%s): charge not checked",
			rc.v1 ? "v1 mounts memory only" : "not available");
	if (ok)
		ret = KSFT_PASS;
cleanup:
	rc_cg_destroy(cg);
	free(cg);
	huge_teardown(&h);
	return ret;
}

static int hugetlbfs_limit(void)
{
	long long hcg, fail0, fail1, red0, red1;
	int ret = KSFT_FAIL, st;
	struct huge h = { 0 };
	char *cg = NULL, file[96], val[32];
	bool ok = true;

	h.nr0 = -1;
	if (rc.v1)
		return rc_skip("the hugetlb controller is not mounted with v1 here");
	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	st = huge_setup(&h, HUGE_PAGES);
	if (st != KSFT_PASS) {
		ret = st;
		goto cleanup;
	}
	if (!h.hugetlb_ctl) {
		ret = rc_skip("no hugetlb controller");
		goto cleanup;
	}
	cg = rc_cg_create("hugetlbfs_limit");
	snprintf(file, sizeof(file), "%s.max", h.hctl);
	snprintf(val, sizeof(val), "%lld", HUGE_LIMIT * h.hpage);
	if (!cg || rc_cg_write(cg, file, val)) {
		rc_diag("cannot set %s", file);
		goto cleanup;
	}
	red0 = rc_mod_stat("redirected_folios");
	fail0 = rc_mod_stat("redirect_failed");
	st = rc_cg_run(cg, job_huge, &h);
	red1 = rc_mod_stat("redirected_folios");
	fail1 = rc_mod_stat("redirect_failed");
	hcg = huge_charge(cg, &h);
	rc_diag("hugetlbfs limit %d pages, job faulting %d: status %d, %s.current %lld (%lld pages)",
		HUGE_LIMIT, HUGE_PAGES, st, h.hctl, hcg, hcg / h.hpage);
	ok &= rc_equal("job status (128 + SIGBUS)", st, 128 + 7);
	ok &= rc_equal("job hugetlb charge", hcg, HUGE_LIMIT * h.hpage);
	ok &= rc_equal("stats/redirected_folios growth", red1 - red0, 0);
	ok &= rc_equal("stats/redirect_failed growth", fail1 - fail0, 0);
	if (ok)
		ret = KSFT_PASS;
cleanup:
	rc_cg_destroy(cg);
	free(cg);
	huge_teardown(&h);
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
KIND_TESTS(sysv_shm, SYSV)

static int tmpfs_limit(void) { return limit_test(TMPFS); }
static int memfd_limit(void) { return limit_test(MEMFD); }
static int ramfs_limit(void) { return limit_test(RAMFS); }
static int secretmem_limit(void) { return limit_test(SECRETMEM); }
static int sysv_shm_limit(void) { return limit_test(SYSV); }

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
	TN("sysv_shm.enabled", sysv_shm_enabled, 0),
	TN("sysv_shm.unloaded", sysv_shm_unloaded, 0),
	TN("sysv_shm.limit", sysv_shm_limit, 0),
	TN("hugetlbfs.enabled", hugetlbfs_enabled, 0),
	TN("hugetlbfs.limit", hugetlbfs_limit, 0),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

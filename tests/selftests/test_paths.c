// SPDX-License-Identifier: GPL-2.0
/*
 * Every way new page cache of a regular file gets inserted: a job (a child in
 * a fresh test cgroup) touches 64 MiB of new file data on /scratch.
 *
 * enabled:           job file charge < 1 MiB, root-local file charge +64 MiB
 *                    (+-10%), stats/redirected_bytes +64 MiB (+-10%)
 * disabled/unloaded: job file charge 64 MiB (+-10%)
 *
 * Read paths use one 64 MiB file made by the parent, then sync + drop_caches
 * so the job inserts every folio itself. Write paths make a new file.
 *
 * mmap_collapse: the job reads the file 4 KiB at a time without readahead
 * (small folios), maps it executable at a 2 MiB boundary and asks for
 * madvise(MADV_COLLAPSE): the kernel replaces the small folios with PMD-sized
 * ones it charges with the job's mm (khugepaged does the same in the
 * background). Besides the checks above, /proc/vmstat thp_collapse_alloc
 * grows by 16 or more (half the file's 32 PMDs) in every mode, and enabled,
 * stats/redirected_collapses grows by 16 or more, and by no more than
 * thp_collapse_alloc. A kernel that does not collapse regular-file mappings
 * (EINVAL: before 6.1, or built without CONFIG_READ_ONLY_THP_FOR_FS where
 * it still needs it, as Debian's 6.1 and 6.12)
 * skips it; but an EINVAL with the module enabled is judged by the same job
 * with it disabled: if that one collapses, the module broke MADV_COLLAPSE.
 * Where collapse_file() needs its mm (rc_collapse_needs_mm(): 6.1 to 6.5
 * with read-only file THP) the module leaves collapses alone (hook_state
 * "partial collapse_file"): enabled, the collapse still works, nothing is
 * counted as redirected, and the job's charge (memory usage) grows by what
 * was collapsed (32 MiB or more), the documented cost; the other collapse tests
 * skip there.
 *
 * mmap_collapse.other_layout: the test build reads collapse_file()'s
 * arguments in the layout this kernel does not have
 * (test_collapse_other_layout), as a wrong inference of that static
 * function's layout would. The hook must notice without dereferencing them
 * (the guest would oops): one kernel log line says so, nothing is
 * redirected (stats/redirected_collapses does not grow), and the collapse
 * works as without the module (thp_collapse_alloc grows by 16 or more). The
 * job collapses a memfd (shmem goes through collapse_file() too, and
 * MADV_COLLAPSE takes it on every kernel that has the call, whatever the
 * THP settings), so the check runs where regular files do not collapse (6.1,
 * 6.12, RHEL 9); skipped without MADV_COLLAPSE (5.10).
 *
 * mmap_collapse.foreign_pmd: a PMD-sized folio already at the start of a
 * collapse's range was not made by that collapse, and its charge is no
 * check of the hook. The job collapses its file's first 2 MiB with the
 * module disabled (a PMD folio charged to the job), enables it and
 * collapses the next 2 MiB; the test build judges that collapse by the
 * folio 512 pages before its range (test_collapse_start_shift), i.e. by the
 * job's PMD folio. stats/redirect_failed must not grow (khugepaged may
 * collapse more of the mapping meanwhile: stats/redirected_collapses is
 * only printed). Skipped where regular files do not collapse.
 *
 * khugepaged_scoped: the same collapse done by khugepaged in the background,
 * with the scope holding only the job's cgroup. khugepaged runs in the root
 * cgroup: the scope must be judged by the owner of the mm it collapses. The
 * job maps the file in small folios (and collapses its first 2 MiB itself,
 * to learn whether the kernel collapses regular files at all), then holds
 * the mapping while khugepaged scans every 100 ms: thp_collapse_alloc grows
 * by 16 or more within 60 s, stats/redirected_collapses by 16 or more, and
 * the job's file charge stays < 1 MiB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/rc.h"

#define SIZE		MiB(64)
#define RA_STEP		KiB(128)
#define PMD_BYTES	MiB(2)
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
/*
 * The file is mapped executable, as libraries and binaries are: up to 6.6
 * read-only file THP collapses only executable mappings (file_thp_enabled()).
 */
#define FILE_PROT	(PROT_READ | PROT_EXEC)
/* what a job reports when the kernel refuses MADV_COLLAPSE for the file */
#define JOB_NO_COLLAPSE	KSFT_SKIP

struct path_op {
	const char *name;
	int (*job)(void *file);
	bool reads;		/* reads an existing file */
};

static int open_ro(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		perror(file);
	return fd;
}

static int job_read(void *file)
{
	int fd = open_ro(file), ret;

	if (fd < 0)
		return KSFT_FAIL;
	ret = rc_read_fd(fd, SIZE);
	close(fd);
	return ret ? KSFT_FAIL : KSFT_PASS;
}

static int job_readahead(void *file)
{
	int fd = open_ro(file);
	long long off;

	if (fd < 0)
		return KSFT_FAIL;
	/* the kernel caps one call at the readahead window: step through */
	for (off = 0; off < SIZE; off += RA_STEP) {
		if (readahead(fd, off, RA_STEP)) {
			perror("readahead");
			return KSFT_FAIL;
		}
	}
	close(fd);
	return KSFT_PASS;
}

static int job_fadvise(void *file)
{
	int fd = open_ro(file), err;
	long long off;

	if (fd < 0)
		return KSFT_FAIL;
	for (off = 0; off < SIZE; off += RA_STEP) {
		err = posix_fadvise(fd, off, RA_STEP, POSIX_FADV_WILLNEED);
		if (err) {
			fprintf(stderr, "fadvise: %s\n", strerror(err));
			return KSFT_FAIL;
		}
	}
	close(fd);
	return KSFT_PASS;
}

static int job_mmap_read(void *file)
{
	int fd = open_ro(file);
	volatile char sum = 0;
	long long off;
	char *p;

	if (fd < 0)
		return KSFT_FAIL;
	p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return KSFT_FAIL;
	}
	for (off = 0; off < SIZE; off += 4096)
		sum += p[off];
	munmap(p, SIZE);
	close(fd);
	return KSFT_PASS;
}

/* A read-only shared mapping of fd at a PMD-aligned address, or NULL. */
static char *map_pmd_aligned(int fd, int prot)
{
	char *area, *p;
	uintptr_t aligned;

	area = mmap(NULL, SIZE + PMD_BYTES, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	aligned = ((uintptr_t)area + PMD_BYTES - 1) & ~(uintptr_t)(PMD_BYTES - 1);
	p = mmap((void *)aligned, SIZE, prot, MAP_SHARED | MAP_FIXED, fd, 0);
	/* the rest of the reservation, before and after */
	if (aligned > (uintptr_t)area)
		munmap(area, aligned - (uintptr_t)area);
	munmap((char *)aligned + SIZE,
	       (uintptr_t)area + PMD_BYTES - aligned);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Read the file 4 KiB at a time without readahead (small folios), map it at
 * a PMD boundary and fault every page in. The mapping, or NULL.
 */
static char *map_small_folios(int fd)
{
	volatile char sum = 0;
	char buf[4096], *p;
	long long off;

	if (posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM))
		return NULL;
	for (off = 0; off < SIZE; off += sizeof(buf)) {
		if (pread(fd, buf, sizeof(buf), off) != sizeof(buf)) {
			perror("pread");
			return NULL;
		}
	}
	p = map_pmd_aligned(fd, FILE_PROT);
	if (!p) {
		perror("mmap");
		return NULL;
	}
	for (off = 0; off < SIZE; off += 4096)
		sum += p[off];
	return p;
}

/*
 * madvise(MADV_COLLAPSE) of len bytes at p: KSFT_PASS, JOB_NO_COLLAPSE when
 * the kernel refuses (EINVAL), KSFT_FAIL otherwise.
 */
static int collapse(char *p, size_t len)
{
	int tries;

	/*
	 * EAGAIN: a folio was busy (locked, under writeback, or khugepaged
	 * collapsing the same range, slowly on a loaded host): try again a
	 * little later, for up to 10 s.
	 */
	for (tries = 0; tries < 100; tries++) {
		if (!madvise(p, len, MADV_COLLAPSE))
			return KSFT_PASS;
		if (errno == EINVAL)
			return JOB_NO_COLLAPSE;
		if (errno != EAGAIN) {
			perror("madvise(MADV_COLLAPSE)");
			return KSFT_FAIL;
		}
		usleep(100 * 1000);
	}
	fprintf(stderr, "madvise(MADV_COLLAPSE): EAGAIN for 10 s (%d tries)\n", tries);
	return KSFT_FAIL;
}

static int job_mmap_collapse(void *file)
{
	int fd = open_ro(file), ret = KSFT_FAIL;
	char *p;

	if (fd < 0)
		return KSFT_FAIL;
	p = map_small_folios(fd);
	if (p) {
		ret = collapse(p, SIZE);
		munmap(p, SIZE);
	}
	close(fd);
	return ret;
}

static int job_mmap_write(void *file)
{
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	long long off;
	char *p;

	if (fd < 0 || ftruncate(fd, SIZE)) {
		perror(file);
		return KSFT_FAIL;
	}
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return KSFT_FAIL;
	}
	for (off = 0; off < SIZE; off += 4096)
		p[off] = (char)off | 1;
	munmap(p, SIZE);
	close(fd);
	return KSFT_PASS;
}

static int job_write(void *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret;

	if (fd < 0) {
		perror(file);
		return KSFT_FAIL;
	}
	ret = rc_write_fd(fd, SIZE);
	close(fd);
	return ret ? KSFT_FAIL : KSFT_PASS;
}

static int job_sendfile(void *file)
{
	int in = open_ro(file), out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	long long done = 0;
	ssize_t n;

	if (in < 0 || out < 0)
		return KSFT_FAIL;
	while (done < SIZE) {
		n = sendfile(out, in, NULL, MiB(1));
		if (n <= 0) {
			perror("sendfile");
			return KSFT_FAIL;
		}
		done += n;
	}
	close(in);
	close(out);
	return KSFT_PASS;
}

static int job_splice(void *file)
{
	int in = open_ro(file), out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	long long done = 0;
	ssize_t n, m;
	int p[2];

	if (in < 0 || out < 0 || pipe(p))
		return KSFT_FAIL;
	while (done < SIZE) {
		n = splice(in, NULL, p[1], NULL, KiB(64), 0);
		if (n <= 0) {
			perror("splice file->pipe");
			return KSFT_FAIL;
		}
		while (n > 0) {
			m = splice(p[0], NULL, out, NULL, n, 0);
			if (m <= 0) {
				perror("splice pipe->null");
				return KSFT_FAIL;
			}
			n -= m;
			done += m;
		}
	}
	close(in);
	close(out);
	return KSFT_PASS;
}

static const struct path_op ops[] = {
	{ "read", job_read, true },
	{ "readahead", job_readahead, true },
	{ "fadvise_willneed", job_fadvise, true },
	{ "mmap_read", job_mmap_read, true },
	{ "sendfile", job_sendfile, true },
	{ "splice", job_splice, true },
	{ "write", job_write, false },
	{ "mmap_write", job_mmap_write, false },
	{ "mmap_collapse", job_mmap_collapse, true },
};

static bool collapses(const struct path_op *op)
{
	return op->job == job_mmap_collapse;
}

/*
 * With the module enabled, the job's madvise(MADV_COLLAPSE) was refused:
 * the kernel's doing, or the module's? The same job again in @cg with the
 * module disabled: true if it collapses then.
 */
static bool collapse_refused_by_module(const char *cg, const char *file)
{
	int st;

	if (rc_mod_enable(false) || rc_drop_caches())
		return false;
	st = rc_cg_run(cg, job_mmap_collapse, (void *)file);
	if (rc_mod_enable(true))
		return true;
	if (st == KSFT_PASS)
		rc_diag("madvise(MADV_COLLAPSE): EINVAL with the module enabled, accepted with it disabled");
	return st == KSFT_PASS;
}

/* The collapse tests that need the collapse hook: skipped where it is off. */
static int skip_without_collapse_hook(void)
{
	if (!rc_collapse_needs_mm())
		return rc_skip("collapse_file is no function in this kernel (inlined or cloned by the compiler): the module cannot hook collapses");
	return rc_skip("this kernel's collapse_file() needs its mm (6.1 to 6.5 with read-only file THP): the module leaves collapses alone");
}

static long long root_local(const char *unused)
{
	(void)unused;
	return rc_root_file_local();
}

static int run_path(const struct path_op *op, int mode)
{
	long long root0, root1, red0 = 0, red1 = 0, job;
	long long thp0 = 0, thp1 = 0, coll0 = 0, coll1 = 0;
	char *cg = NULL, *file;
	int ret = KSFT_FAIL, st;
	bool ok = true;

	st = rc_mod_set(mode);
	if (st != KSFT_PASS)
		return st;

	if (op->reads) {
		file = rc_path(rc.scratch, "rctest.src.64m");
		if (!file || rc_make_file(file, SIZE))
			goto cleanup;
	} else {
		file = rc_path(rc.scratch, "rctest.%d.%s", rc.main_pid,
			       op->name);
		if (!file)
			goto cleanup;
		unlink(file);
	}
	if (rc_drop_caches())
		goto cleanup;
	cg = rc_cg_create(op->name);
	if (!cg)
		goto cleanup;

	root0 = rc_root_file_local();
	if (mode == RC_ENABLED)
		red0 = rc_mod_stat("redirected_bytes");
	if (collapses(op)) {
		thp0 = rc_vmstat("thp_collapse_alloc");
		if (mode == RC_ENABLED)
			coll0 = rc_mod_stat("redirected_collapses");
	}
	st = rc_cg_run(cg, op->job, file);
	if (st == JOB_NO_COLLAPSE && collapses(op)) {
		if (mode == RC_ENABLED &&
		    collapse_refused_by_module(cg, file))
			goto cleanup;
		ret = rc_skip("madvise(MADV_COLLAPSE) refused (EINVAL): this kernel does not collapse regular-file mappings");
		goto cleanup;
	}
	if (st) {
		rc_diag("job exited with status %d", st);
		goto cleanup;
	}
	if (collapses(op)) {
		/* redirected first: a collapse between the reads adds to both */
		if (mode == RC_ENABLED)
			coll1 = rc_mod_stat("redirected_collapses");
		thp1 = rc_vmstat("thp_collapse_alloc");
		rc_diag("%s/%s: thp_collapse_alloc %+lld, redirected_collapses %+lld",
			op->name, rc_mode_name(mode), thp1 - thp0,
			coll1 - coll0);
		ok &= rc_at_least("/proc/vmstat thp_collapse_alloc growth",
				  thp1 - thp0, 16);
		if (mode == RC_ENABLED && rc_collapse_unhooked()) {
			/*
			 * The charge, not the file statistic: 6.5 moves no
			 * per-memcg file count from the small folios (root's)
			 * to the huge ones (measured: job file 0 B).
			 */
			job = rc_cg_usage(cg);
			rc_diag("%s/%s: collapses left alone: job usage %s",
				op->name, rc_mode_name(mode), rc_size(job));
			ok &= rc_equal("stats/redirected_collapses growth",
				       coll1 - coll0, 0);
			ok &= rc_at_least("job usage (collapsed folios)",
					  job, 16 * PMD_BYTES);
			ret = ok ? KSFT_PASS : KSFT_FAIL;
			goto cleanup;
		}
		if (mode == RC_ENABLED) {
			ok &= rc_at_least("stats/redirected_collapses growth",
					  coll1 - coll0, 16);
			ok &= rc_below("stats/redirected_collapses growth - thp_collapse_alloc growth",
				       coll1 - coll0 - (thp1 - thp0), 1);
		}
	}
	/* settle toward what this mode should give, memory.stat may lag */
	job = rc_settle(rc_cg_file, cg, mode == RC_ENABLED ? 0 : SIZE, 10,
			mode == RC_ENABLED ? 0 : 3000);
	root1 = mode == RC_ENABLED ?
		rc_settle(root_local, NULL, root0 + SIZE, 1, 3000) :
		rc_root_file_local();
	if (mode == RC_ENABLED)
		red1 = rc_mod_stat("redirected_bytes");
	rc_diag("%s/%s: job file %s, root-local file %+.2f MiB, redirected %+.2f MiB",
		op->name, rc_mode_name(mode), rc_size(job),
		(root1 - root0) / 1048576.0, (red1 - red0) / 1048576.0);

	if (mode == RC_ENABLED) {
		ok &= rc_below("job file charge", job, MiB(1));
		ok &= rc_close("root-local file charge growth", root1 - root0,
			       SIZE, 10);
		if (red0 < 0 || red1 < 0)
			ok &= rc_at_least("stats/redirected_bytes readable",
					  -1, 0);
		else
			ok &= rc_close("stats/redirected_bytes growth",
				       red1 - red0, SIZE, 10);
	} else {
		ok &= rc_close("job file charge", job, SIZE, 10);
	}
	if (ok)
		ret = KSFT_PASS;
cleanup:
	rc_cg_destroy(cg);
	free(cg);
	if (file && !op->reads)
		unlink(file);
	free(file);
	return ret;
}

/* A 64 MiB memfd in small folios, mapped at a PMD boundary and collapsed. */
static int job_memfd_collapse(void *unused)
{
	char buf[4096], *p;
	long long off;
	int fd, ret;

	(void)unused;
	fd = memfd_create("rctest-collapse", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, SIZE)) {
		perror("memfd");
		return KSFT_FAIL;
	}
	memset(buf, 0x5a, sizeof(buf));
	for (off = 0; off < SIZE; off += sizeof(buf)) {
		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf)) {
			perror("pwrite memfd");
			return KSFT_FAIL;
		}
	}
	p = map_pmd_aligned(fd, PROT_READ);
	if (!p) {
		perror("mmap memfd");
		return KSFT_FAIL;
	}
	for (off = 0; off < SIZE; off += 4096)
		buf[0] += p[off];
	ret = collapse(p, SIZE);
	munmap(p, SIZE);
	close(fd);
	return ret;
}

/*
 * The first 2 MiB collapsed while the module is disabled, the next 2 MiB
 * once it is enabled.
 */
static int job_collapse_twice(void *file)
{
	int fd = open_ro(file), ret = KSFT_FAIL;
	char *p;

	if (fd < 0)
		return KSFT_FAIL;
	p = map_small_folios(fd);
	if (p) {
		ret = collapse(p, PMD_BYTES);
		if (ret == KSFT_PASS && rc_mod_enable(true))
			ret = KSFT_FAIL;
		if (ret == KSFT_PASS)
			ret = collapse(p + PMD_BYTES, PMD_BYTES);
		munmap(p, SIZE);
	}
	close(fd);
	return ret;
}

static int collapse_foreign_pmd(void)
{
	long long thp0, thp1, coll0, coll1, fail0, fail1;
	char *cg = NULL, *file = NULL;
	int ret = KSFT_FAIL, st;
	bool ok = true;

	if (rc_collapse_unhooked())
		return skip_without_collapse_hook();
	st = rc_mod_load_testing("enabled=0 test_collapse_start_shift=512");
	if (st != KSFT_PASS)
		return st;
	file = rc_path(rc.scratch, "rctest.src.64m");
	if (!file || rc_make_file(file, SIZE) || rc_drop_caches())
		goto cleanup;
	cg = rc_cg_create("collapse_foreign");
	if (!cg)
		goto cleanup;
	thp0 = rc_vmstat("thp_collapse_alloc");
	coll0 = rc_mod_stat("redirected_collapses");
	fail0 = rc_mod_stat("redirect_failed");
	st = rc_cg_run(cg, job_collapse_twice, file);
	if (st == JOB_NO_COLLAPSE) {
		ret = rc_skip("madvise(MADV_COLLAPSE) refused (EINVAL): this kernel does not collapse regular-file mappings");
		goto cleanup;
	}
	thp1 = rc_vmstat("thp_collapse_alloc");
	coll1 = rc_mod_stat("redirected_collapses");
	fail1 = rc_mod_stat("redirect_failed");
	rc_diag("foreign PMD folio: job status %d, thp_collapse_alloc %+lld, redirected_collapses %+lld, redirect_failed %+lld",
		st, thp1 - thp0, coll1 - coll0, fail1 - fail0);
	ok &= rc_equal("job status", st, 0);
	ok &= rc_at_least("/proc/vmstat thp_collapse_alloc growth", thp1 - thp0, 2);
	ok &= rc_equal("stats/redirect_failed growth", fail1 - fail0, 0);
	ok &= rc_equal("enabled", rc_read_ll(RC_SYSFS "/enabled"), 1);
	if (ok)
		ret = KSFT_PASS;
cleanup:
	rc_cg_destroy(cg);
	free(cg);
	free(file);
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

static int collapse_other_layout(void)
{
	long long thp0, thp1, coll0, coll1;
	char *cg = NULL;
	int ret = KSFT_FAIL, st;
	bool ok = true;

	if (rc_collapse_unhooked())
		return skip_without_collapse_hook();
	rc_kmsg_mark();
	st = rc_mod_load_testing("enabled=1 test_collapse_other_layout=1");
	if (st != KSFT_PASS)
		return st;
	cg = rc_cg_create("collapse_layout");
	if (!cg)
		goto cleanup;
	thp0 = rc_vmstat("thp_collapse_alloc");
	coll0 = rc_mod_stat("redirected_collapses");
	st = rc_cg_run(cg, job_memfd_collapse, NULL);
	if (st == JOB_NO_COLLAPSE) {
		ret = rc_skip("madvise(MADV_COLLAPSE) refused (EINVAL): this kernel does not collapse shmem on request");
		goto cleanup;
	}
	coll1 = rc_mod_stat("redirected_collapses");
	thp1 = rc_vmstat("thp_collapse_alloc");
	rc_diag("other layout: job status %d, thp_collapse_alloc %+lld, redirected_collapses %+lld",
		st, thp1 - thp0, coll1 - coll0);
	ok &= rc_equal("job status", st, 0);
	ok &= rc_at_least("/proc/vmstat thp_collapse_alloc growth",
			  thp1 - thp0, 16);
	ok &= rc_equal("stats/redirected_collapses growth", coll1 - coll0, 0);
	ok &= rc_equal("kernel log lines on the layout",
		       rc_kmsg_count("collapse_file() arguments are not in the layout"),
		       1);
	if (ok)
		ret = KSFT_PASS;
cleanup:
	rc_cg_destroy(cg);
	free(cg);
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

#define KHUGEPAGED	"/sys/kernel/mm/transparent_hugepage/khugepaged"

/* The job of khugepaged_scoped: map, say so on ready, wait for done. */
static int job_hold_for_khugepaged(const char *file, int ready, int done)
{
	int fd = open_ro(file), st = KSFT_FAIL;
	char c = 'F', *p = NULL;

	if (fd >= 0)
		p = map_small_folios(fd);
	if (p)
		st = collapse(p, PMD_BYTES);
	c = st == KSFT_PASS ? 'R' : st == JOB_NO_COLLAPSE ? 'S' : 'F';
	if (write(ready, &c, 1) != 1 || c != 'R')
		return st;
	/* hold the mapping until the parent has seen khugepaged at work */
	if (read(done, &c, 1) < 0)
		return KSFT_FAIL;
	munmap(p, SIZE);
	close(fd);
	return KSFT_PASS;
}

static int khugepaged_scoped(void)
{
	long long thp0, thp1 = 0, coll0, coll1 = 0, job, t0;
	int ret = KSFT_FAIL, st, ready[2] = { -1, -1 }, done[2] = { -1, -1 };
	char *cg = NULL, *file = NULL, scope[32], sleep_ms[32] = "", c = 0;
	bool ok = true, scoped = false;
	struct stat cgst;
	pid_t pid = -1;

	if (rc_collapse_unhooked())
		return skip_without_collapse_hook();
	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	file = rc_path(rc.scratch, "rctest.src.64m");
	if (!file || rc_make_file(file, SIZE) || rc_drop_caches())
		goto cleanup;
	cg = rc_cg_create("khugepaged");
	if (!cg || stat(cg, &cgst))
		goto cleanup;
	snprintf(scope, sizeof(scope), "+%llu\n",
		 (unsigned long long)cgst.st_ino);
	if (rc_write_str(RC_SYSFS "/scope", scope)) {
		rc_diag("cannot set the scope to %s", cg);
		goto cleanup;
	}
	scoped = true;
	if (pipe(ready) || pipe(done))
		goto cleanup;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		goto cleanup;
	if (!pid) {
		close(ready[0]);
		close(done[1]);
		if (rc_cg_join(cg))
			_exit(KSFT_FAIL);
		_exit(job_hold_for_khugepaged(file, ready[1], done[0]));
	}
	close(ready[1]);
	close(done[0]);
	ready[1] = -1;
	done[0] = -1;
	if (read(ready[0], &c, 1) != 1 || c != 'R') {
		waitpid(pid, &st, 0);
		pid = -1;
		if (c == 'S')
			ret = rc_skip("madvise(MADV_COLLAPSE) refused (EINVAL): this kernel does not collapse regular-file mappings");
		else
			rc_diag("the job could not map the file (status %d)",
				WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		goto cleanup;
	}
	/* the job's own collapse of its first 2 MiB is done: count from here */
	thp0 = rc_vmstat("thp_collapse_alloc");
	coll0 = rc_mod_stat("redirected_collapses");
	if (rc_read_str(KHUGEPAGED "/scan_sleep_millisecs", sleep_ms,
			sizeof(sleep_ms)) <= 0 ||
	    rc_write_str(KHUGEPAGED "/scan_sleep_millisecs", "100")) {
		rc_diag("cannot speed up khugepaged");
		sleep_ms[0] = 0;
		goto cleanup;
	}
	/*
	 * thp_collapse_alloc counts a collapse when it starts, the module when
	 * it is done: wait for the module's count.
	 */
	for (t0 = rc_now_ms(); rc_now_ms() - t0 < 60000; rc_msleep(200)) {
		coll1 = rc_mod_stat("redirected_collapses");
		thp1 = rc_vmstat("thp_collapse_alloc");
		if (coll1 - coll0 >= 16)
			break;
	}
	close(done[1]);		/* the job may go */
	done[1] = -1;
	waitpid(pid, &st, 0);
	pid = -1;
	job = rc_cg_file(cg);
	rc_diag("khugepaged, scope = the job's group: thp_collapse_alloc %+lld in %.1f s, redirected_collapses %+lld, job file %s",
		thp1 - thp0, (rc_now_ms() - t0) / 1000.0, coll1 - coll0,
		rc_size(job));
	ok &= rc_equal("job exit status", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		       0);
	ok &= rc_at_least("/proc/vmstat thp_collapse_alloc growth",
			  thp1 - thp0, 16);
	ok &= rc_at_least("stats/redirected_collapses growth", coll1 - coll0,
			  16);
	ok &= rc_below("job file charge", job, MiB(1));
	if (ok)
		ret = KSFT_PASS;
cleanup:
	if (sleep_ms[0])
		rc_write_str(KHUGEPAGED "/scan_sleep_millisecs", sleep_ms);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (st = 0; st < 2; st++) {
		if (ready[st] >= 0)
			close(ready[st]);
		if (done[st] >= 0)
			close(done[st]);
	}
	if (scoped)
		rc_write_str(RC_SYSFS "/scope", "clear");
	rc_cg_destroy(cg);
	free(cg);
	free(file);
	return ret;
}

#define PATH_TESTS(i, op)						\
static int op##_enabled(void) { return run_path(&ops[i], RC_ENABLED); }	\
static int op##_disabled(void) { return run_path(&ops[i], RC_DISABLED); } \
static int op##_unloaded(void) { return run_path(&ops[i], RC_UNLOADED); }

PATH_TESTS(0, read)
PATH_TESTS(1, readahead)
PATH_TESTS(2, fadvise_willneed)
PATH_TESTS(3, mmap_read)
PATH_TESTS(4, sendfile)
PATH_TESTS(5, splice)
PATH_TESTS(6, write)
PATH_TESTS(7, mmap_write)
PATH_TESTS(8, mmap_collapse)

#define PT(op)							\
	TN(#op ".enabled", op##_enabled, 0),			\
	TN(#op ".disabled", op##_disabled, 0),			\
	TN(#op ".unloaded", op##_unloaded, 0)

static const struct rc_test tests[] = {
	PT(read),
	PT(readahead),
	PT(fadvise_willneed),
	PT(mmap_read),
	PT(sendfile),
	PT(splice),
	PT(write),
	PT(mmap_write),
	PT(mmap_collapse),
	TN("mmap_collapse.other_layout", collapse_other_layout, 0),
	TN("mmap_collapse.foreign_pmd", collapse_foreign_pmd, 0),
	TN("khugepaged_scoped.enabled", khugepaged_scoped, 0),
};

int main(int argc, char **argv)
{
	int ret = rc_main(argc, argv, tests, ARRAY_SIZE(tests));
	char *src = rc_path(rc.scratch, "rctest.src.64m");

	if (src)
		unlink(src);
	free(src);
	return ret;
}

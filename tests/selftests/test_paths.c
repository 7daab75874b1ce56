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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/rc.h"

#define SIZE		MiB(64)
#define RA_STEP		KiB(128)

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
};

static long long root_local(const char *unused)
{
	(void)unused;
	return rc_root_file_local();
}

static int run_path(const struct path_op *op, int mode)
{
	long long root0, root1, red0 = 0, red1 = 0, job;
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
	st = rc_cg_run(cg, op->job, file);
	if (st) {
		rc_diag("job exited with status %d", st);
		goto cleanup;
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

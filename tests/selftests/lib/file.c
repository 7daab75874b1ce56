// SPDX-License-Identifier: GPL-2.0
/*
 * File and time helpers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rc.h"

#define CHUNK	(1 << 20)

static char *chunk(void)
{
	static char *buf;
	int i;

	if (!buf) {
		buf = malloc(CHUNK);
		if (!buf)
			return NULL;
		/* not zeroes: no filesystem gets a chance to skip them */
		for (i = 0; i < CHUNK; i++)
			buf[i] = (char)(i * 7 + 1);
	}
	return buf;
}

int rc_write_fd(int fd, long long size)
{
	char *buf = chunk();
	long long done = 0;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	while (done < size) {
		n = write(fd, buf, size - done < CHUNK ? size - done : CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += n;
	}
	return 0;
}

int rc_read_fd(int fd, long long size)
{
	char *buf = malloc(CHUNK);
	long long done = 0;
	ssize_t n;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	while (done < size) {
		n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n ? -errno : -ENODATA;
			break;
		}
		done += n;
	}
	free(buf);
	return ret;
}

int rc_read_file(const char *path, long long size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = rc_read_fd(fd, size);
	close(fd);
	return ret;
}

int rc_make_file(const char *path, long long size)
{
	struct stat st;
	int fd, ret;

	if (!stat(path, &st) && st.st_size == size)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		rc_diag("create %s: %s", path, strerror(errno));
		return ret;
	}
	ret = rc_write_fd(fd, size);
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	if (ret)
		rc_diag("write %s: %s", path, strerror(-ret));
	return ret;
}

int rc_drop_caches(void)
{
	int ret;

	sync();
	ret = rc_write_str("/proc/sys/vm/drop_caches", "3");
	if (ret)
		rc_diag("drop_caches: %s", strerror(-ret));
	return ret;
}

void rc_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int rc_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		rc_diag("sched_setaffinity to CPU %d: %s", cpu, strerror(errno));
		return -1;
	}
	return 0;
}

long long rc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

char *rc_path(const char *dir, const char *fmt, ...)
{
	char name[256], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

void rc_quiet_console(bool quiet)
{
	static char saved[64];
	char buf[64];
	int lvl;

	if (quiet) {
		if (rc_read_str("/proc/sys/kernel/printk", buf, sizeof(buf)) < 0)
			return;
		if (sscanf(buf, "%d", &lvl) != 1 || lvl <= 4)
			return;
		snprintf(saved, sizeof(saved), "%d", lvl);
		rc_write_str("/proc/sys/kernel/printk", "4");
	} else if (saved[0]) {
		rc_write_str("/proc/sys/kernel/printk", saved);
		saved[0] = '\0';
	}
}

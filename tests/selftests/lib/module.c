// SPDX-License-Identifier: GPL-2.0
/*
 * Module control: load with finit_module(2), unload with delete_module(2),
 * enable through /sys/kernel/rootcache/enabled, read stats.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rc.h"

const char *rc_mode_name(int mode)
{
	switch (mode) {
	case RC_UNLOADED:
		return "unloaded";
	case RC_DISABLED:
		return "disabled";
	case RC_ENABLED:
		return "enabled";
	}
	return "?";
}

int rc_read_str(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	return n;
}

long long rc_read_ll(const char *path)
{
	char buf[64];

	if (rc_read_str(path, buf, sizeof(buf)) <= 0)
		return -1;
	if (!strncmp(buf, "max", 3))
		return (long long)(~0ULL >> 1);
	return strtoll(buf, NULL, 10);
}

int rc_write_str(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	return n == (ssize_t)len ? 0 : -EIO;
}

static bool loaded(void)
{
	return !access(RC_SYSFS, F_OK);
}

int rc_mod_mode(void)
{
	if (!loaded())
		return RC_UNLOADED;
	return rc_read_ll(RC_SYSFS "/enabled") == 1 ? RC_ENABLED : RC_DISABLED;
}

bool rc_mod_available(void)
{
	return loaded() || !access(rc.ko, R_OK);
}

int rc_mod_load(const char *params)
{
	return rc_mod_load_file(rc.ko, params);
}

int rc_mod_load_file(const char *ko, const char *params)
{
	int fd, ret;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	if (ret)
		ret = -errno;
	close(fd);
	return ret;
}

int rc_mod_reload(const char *ko, const char *params)
{
	int ret, st;

	st = rc_mod_set(RC_UNLOADED);
	if (st != KSFT_PASS)
		return st;
	ret = rc_mod_load_file(ko, params);
	if (ret)
		rc_diag("insmod %s %s: %s", ko, params, strerror(-ret));
	return ret ? KSFT_FAIL : KSFT_PASS;
}

/*
 * The test build (kmod/ with ROOTCACHE_TESTING): ROOTCACHE_TESTING_KO, by
 * default testmods/rootcache-testing.ko beside the module; tests/vm/prepare
 * builds it for every kernel. A missing one is a harness error inside a
 * test guest, a skip elsewhere.
 */
const char *rc_mod_testing_ko(void)
{
	static char testing_ko[512];
	const char *env = getenv("ROOTCACHE_TESTING_KO");
	char dir[256];

	if (env) {
		snprintf(testing_ko, sizeof(testing_ko), "%s", env);
	} else {
		snprintf(dir, sizeof(dir), "%s", rc.ko);
		snprintf(testing_ko, sizeof(testing_ko),
			 "%s/testmods/rootcache-testing.ko", dirname(dir));
	}
	return testing_ko;
}

int rc_mod_load_testing(const char *params)
{
	const char *testing_ko = rc_mod_testing_ko();

	if (access(testing_ko, R_OK)) {
		if (getenv("ROOTCACHE_KERNEL")) {
			rc_diag("the test build of the module is missing: %s",
				testing_ko);
			return KSFT_FAIL;
		}
		return rc_skip("no test build of the module at %s", testing_ko);
	}
	return rc_mod_reload(testing_ko, params);
}

/* The newest kernel log mark: rc_kmsg_count() counts lines after it. */
static char kmsg_mark[64];

void rc_kmsg_mark(void)
{
	snprintf(kmsg_mark, sizeof(kmsg_mark), "rootcache-selftest mark %d.%lld",
		 getpid(), rc_now_ms());
	rc_write_str("/dev/kmsg", kmsg_mark);
}

int rc_kmsg_count(const char *text)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n = 0;
	char *buf, *p, *line;

	if (len <= 0)
		return -1;
	buf = calloc(1, len + 1);
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return -1;
	}
	p = strstr(buf, kmsg_mark);
	while (p && (line = strsep(&p, "\n")))
		n += !!strstr(line, text);
	free(buf);
	return n;
}

int rc_mod_unload(void)
{
	long long t0 = rc_now_ms();

	for (;;) {
		if (!syscall(SYS_delete_module, "rootcache", O_NONBLOCK))
			return 0;
		if (errno == ENOENT)
			return 0;
		if ((errno != EAGAIN && errno != EBUSY) ||
		    rc_now_ms() - t0 > 10000)
			return -errno;
		rc_msleep(10);
	}
}

int rc_mod_enable(bool on)
{
	return rc_write_str(RC_SYSFS "/enabled", on ? "1" : "0");
}

int rc_mod_set(int mode)
{
	int ret = 0, now = rc_mod_mode();

	if (now == mode)
		return KSFT_PASS;
	if (mode == RC_UNLOADED) {
		ret = rc_mod_unload();
		if (ret) {
			rc_diag("rmmod rootcache: %s", strerror(-ret));
			return KSFT_FAIL;
		}
	} else if (now == RC_UNLOADED) {
		if (access(rc.ko, R_OK))
			return rc_skip("no module at %s", rc.ko);
		ret = rc_mod_load(mode == RC_ENABLED ? "enabled=1" :
						       "enabled=0");
		if (ret) {
			rc_diag("insmod %s: %s", rc.ko, strerror(-ret));
			return KSFT_FAIL;
		}
	} else {
		ret = rc_mod_enable(mode == RC_ENABLED);
		if (ret) {
			rc_diag("write %s/enabled: %s", RC_SYSFS,
				strerror(-ret));
			return KSFT_FAIL;
		}
	}
	if (rc_mod_mode() != mode) {
		rc_diag("module state is %s after setting %s",
			rc_mode_name(rc_mod_mode()), rc_mode_name(mode));
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

long long rc_mod_stat(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), RC_SYSFS "/stats/%s", name);
	return rc_read_ll(path);
}

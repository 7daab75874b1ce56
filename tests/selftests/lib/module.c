// SPDX-License-Identifier: GPL-2.0
/*
 * Module control: load with finit_module(2), unload with delete_module(2),
 * enable through /sys/kernel/rootcache/enabled, read stats.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup helpers for the v1 memory hierarchy and the v2 unified hierarchy.
 * Test cgroups are flat children of the root: <root>/rctest.<mainpid>.<name>.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rc.h"

static const char *cg_dir(const char *cg)
{
	return cg ? cg : rc.cgroot;
}

char *rc_cg_create(const char *name)
{
	char *cg = rc_path(rc.cgroot, "rctest.%d.%s", rc.main_pid, name);

	if (!cg)
		return NULL;
	if (mkdir(cg, 0755) && errno != EEXIST) {
		rc_diag("mkdir %s: %s", cg, strerror(errno));
		free(cg);
		return NULL;
	}
	return cg;
}

int rc_cg_write(const char *cg, const char *file, const char *val)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", cg_dir(cg), file);
	return rc_write_str(path, val);
}

int rc_cg_join(const char *cg)
{
	char pid[32];
	int ret;

	snprintf(pid, sizeof(pid), "%d", getpid());
	ret = rc_cg_write(cg, "cgroup.procs", pid);
	if (ret < 0)
		rc_diag("join %s: %s", cg, strerror(-ret));
	return ret;
}

/* Calls fn(pid) for each task of cg; returns the number of tasks or -1. */
static int cg_for_each_proc(const char *cg, void (*fn)(pid_t))
{
	char path[512];
	FILE *f;
	int pid, n = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%d", &pid) == 1) {
		if (fn)
			fn(pid);
		n++;
	}
	fclose(f);
	return n;
}

static void kill_pid(pid_t pid)
{
	kill(pid, SIGKILL);
}

int rc_cg_nr_procs(const char *cg)
{
	return cg_for_each_proc(cg, NULL);
}

int rc_cg_destroy(const char *cg)
{
	long long t0 = rc_now_ms();

	if (!cg)
		return 0;
	for (;;) {
		cg_for_each_proc(cg, kill_pid);
		if (!rmdir(cg) || errno == ENOENT)
			return 0;
		if (errno != EBUSY || rc_now_ms() - t0 > 5000)
			break;
		rc_msleep(20);
	}
	rc_diag("rmdir %s: %s", cg, strerror(errno));
	return -1;
}

void rc_cg_cleanup_all(void)
{
	char prefix[64], path[512];
	struct dirent *de;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "rctest.%d.", rc.main_pid);
	d = opendir(rc.cgroot);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", rc.cgroot, de->d_name);
		rc_cg_destroy(path);
	}
	closedir(d);
}

long long rc_cg_read_ll(const char *cg, const char *file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", cg_dir(cg), file);
	return rc_read_ll(path);
}

static long long stat_key(const char *path, const char *key)
{
	char line[256], name[128];
	long long val, ret = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", name, &val) == 2 &&
		    !strcmp(name, key)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

long long rc_vmstat(const char *key)
{
	return stat_key("/proc/vmstat", key);
}

long long rc_cg_key(const char *cg, const char *file, const char *key)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", cg_dir(cg), file);
	return stat_key(path, key);
}

long long rc_cg_stat(const char *cg, const char *key)
{
	return rc_cg_key(cg, "memory.stat", key);
}

long long rc_cg_file(const char *cg)
{
	return rc_cg_stat(cg, rc.v1 ? "cache" : "file");
}

long long rc_cg_anon(const char *cg)
{
	return rc_cg_stat(cg, rc.v1 ? "rss" : "anon");
}

long long rc_cg_shmem(const char *cg)
{
	return rc_cg_stat(cg, "shmem");
}

long long rc_cg_usage(const char *cg)
{
	return rc_cg_read_ll(cg, rc.v1 ? "memory.usage_in_bytes" :
					 "memory.current");
}

int rc_cg_set_limit(const char *cg, long long bytes)
{
	char val[32];
	int ret;

	snprintf(val, sizeof(val), "%lld", bytes);
	if (rc.v1)
		return rc_cg_write(cg, "memory.limit_in_bytes", val);
	ret = rc_cg_write(cg, "memory.max", val);
	rc_cg_write(cg, "memory.swap.max", "0");	/* optional */
	return ret;
}

long long rc_settle(long long (*fn)(const char *cg), const char *cg,
		    long long expected, int pct, int ms)
{
	long long t0 = rc_now_ms(), v, d, tol = expected * pct / 100;

	for (;;) {
		v = fn(cg);
		d = v > expected ? v - expected : expected - v;
		if (d <= tol || rc_now_ms() - t0 >= ms)
			return v;
		rc_msleep(100);
	}
}

long long rc_root_file_local(void)
{
	const char *key = rc.v1 ? "total_cache" : "file";
	long long total, v;
	char path[1024];
	struct dirent *de;
	DIR *d;

	/*
	 * Root's hierarchical count minus its children's, on v1 too: v1's
	 * root-local "cache" is not to be trusted, RHEL 9 moves the stat
	 * updates of a removed memcg to its parent, so freeing a removed
	 * group's cache lowers root's local count (clamped at 0) although
	 * root never had that cache. Except where v1 is not hierarchical
	 * (memory.use_hierarchy 0, the default up to 5.10): there a child's
	 * total_cache leaves out its own children, and the local count is
	 * the one to read.
	 */
	if (rc.v1 && rc_cg_read_ll(NULL, "memory.use_hierarchy") == 0)
		return rc_cg_file(NULL);
	total = rc_cg_stat(NULL, key);
	if (total < 0)
		return total;
	d = opendir(rc.cgroot);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/memory.stat", rc.cgroot,
			 de->d_name);
		v = stat_key(path, key);
		if (v > 0)
			total -= v;
	}
	closedir(d);
	return total;
}

static long long count_dirs(const char *dir)
{
	char path[1024];
	struct dirent *de;
	long long n = 1;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") ||
		    !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n += count_dirs(path);
	}
	closedir(d);
	return n;
}

long long rc_dying(void)
{
	char line[256], name[64];
	long long num = -1, hier, en;
	FILE *f;

	if (!rc.v1) {
		return rc_cg_key(NULL, "cgroup.stat", "nr_dying_descendants");
	}
	f = fopen("/proc/cgroups", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld %lld %lld", name, &hier, &num,
			   &en) == 4 && !strcmp(name, "memory"))
			break;
		num = -1;
	}
	fclose(f);
	if (num < 0)
		return -1;
	return num - count_dirs(rc.cgroot);
}

long long rc_dying_wait(long long target, int timeout_ms)
{
	long long t0 = rc_now_ms(), d;

	for (;;) {
		d = rc_dying();
		if (d <= target || rc_now_ms() - t0 >= timeout_ms)
			return d;
		rc_msleep(100);
	}
}

long long rc_dying_settle(int stable_ms, int max_ms)
{
	long long t0 = rc_now_ms(), since = t0, d = rc_dying(), n;

	while (rc_now_ms() - t0 < max_ms) {
		rc_msleep(100);
		n = rc_dying();
		if (n != d) {
			d = n;
			since = rc_now_ms();
		} else if (rc_now_ms() - since >= stable_ms) {
			break;
		}
	}
	return d;
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int rc_cg_run(const char *cg, int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (rc_cg_join(cg))
			_exit(KSFT_FAIL);
		_exit(fn(arg));
	}
	return wait_child(pid);
}

int rc_cg_run_hold(const char *cg, int (*fn)(void *), void *arg,
		   int (*check)(void *), void *carg)
{
	int ready[2], go[2], ret;
	char c = 1;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(ready[0]);
		close(go[1]);
		if (rc_cg_join(cg))
			_exit(KSFT_FAIL);
		ret = fn(arg);
		c = ret;
		if (write(ready[1], &c, 1) != 1)
			_exit(KSFT_FAIL);
		if (read(go[0], &c, 1) < 0)
			_exit(KSFT_FAIL);
		_exit(ret);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) == 1 && c == 0) {
		ret = check(carg);
	} else {
		ret = -2;	/* fn failed or the child died */
	}
	close(go[1]);
	close(ready[0]);
	c = wait_child(pid);
	if (ret == -2)
		return (unsigned char)c ? (unsigned char)c : KSFT_FAIL;
	return ret;
}

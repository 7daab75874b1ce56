/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rootcache selftest library: a small kselftest-like TAP runner, cgroup v1/v2
 * helpers, module control and file helpers.
 *
 * Every test returns KSFT_PASS, KSFT_FAIL or KSFT_SKIP. Tests start at
 * KSFT_FAIL and unwind through "goto cleanup". The runner (rc_main) runs each
 * test in a forked child with its own process group and an alarm, so a hung or
 * crashed test is reported as "not ok" and cannot stall the guest; after each
 * test it kills what is left, removes leftover test cgroups and restores the
 * module state it found at start.
 */
#ifndef RC_H
#define RC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_XFAIL	2
#define KSFT_XPASS	3
#define KSFT_SKIP	4

#define KiB(x)		((long long)(x) << 10)
#define MiB(x)		((long long)(x) << 20)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define RC_DEFAULT_TIMEOUT	120	/* seconds per test */

/* ---- runner ---- */

struct rc_test {
	const char *name;
	int (*fn)(void);
	int timeout;		/* seconds; 0: RC_DEFAULT_TIMEOUT */
};

#define T(fn, to)	{ #fn, fn, to }
#define TN(name, fn, to) { name, fn, to }

int rc_main(int argc, char **argv, const struct rc_test *tests, size_t n);

/* "# ..." diagnostic line (a newline is added) */
void rc_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record the reason printed after "# SKIP", return KSFT_SKIP. */
int rc_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Comparisons that print "what: actual A, expected E +-tol" when they fail.
 * rc_close(): |actual - expected| <= expected * pct / 100.
 */
bool rc_close(const char *what, long long actual, long long expected, int pct);
bool rc_below(const char *what, long long actual, long long limit);
bool rc_at_least(const char *what, long long actual, long long min);
bool rc_equal(const char *what, long long actual, long long expected);
const char *rc_size(long long bytes);	/* "64.0 MiB", rotating static bufs */

/* ---- environment ---- */

struct rc_env {
	bool v1;			/* cgroup v1 memory controller */
	char cgroot[256];		/* cgroup root with the memory controller */
	char kernel[80];		/* "6.1", from ROOTCACHE_KERNEL or uname */
	int kmaj, kmin;
	char ko[256];			/* ROOTCACHE_KO */
	char scratch[256];		/* RC_SCRATCH, default /scratch */
	char tmp[256];			/* RC_TMP, default /tmp (tmpfs) */
	pid_t main_pid;
};

extern struct rc_env rc;

void rc_env_init(void);	/* rc_main() calls it */

bool rc_kernel_before(int maj, int min);
bool rc_kernel_has_function(const char *name);	/* /proc/kallsyms */
bool rc_kernel_inserts_folios(void);	/* filemap_add_folio, not a page */
bool rc_kernel_config_y(const char *name);	/* CONFIG_<name>=y */
bool rc_collapse_needs_mm(void);	/* 6.1 to 6.5 with read-only file THP */
bool rc_collapse_unhooked(void);	/* needs its mm, or inlined/cloned */
bool rc_kernel_has_cgroup_writeback(void);	/* __inode_attach_wb */
bool rc_kernel_has_thp(void);	/* a collapse_file() to hook */
/* The module has its ftrace call wrapper here (kmod/arch.h: x86_64 only). */
bool rc_ftrace_wrapper_built(char *machine, size_t len);	/* uname -m */
const char *rc_hook_state_whole(void);	/* hook_state with every part it can have */

/* ---- cgroups (v1 memory hierarchy or v2 unified) ---- */

/* Create <cgroot>/rctest.<mainpid>.<name>; returns malloc'd path or NULL. */
char *rc_cg_create(const char *name);
int rc_cg_join(const char *cg);		/* move the caller into cg */
int rc_cg_destroy(const char *cg);	/* kill its tasks, rmdir (retries) */
int rc_cg_nr_procs(const char *cg);
int rc_cg_write(const char *cg, const char *file, const char *val);
long long rc_cg_read_ll(const char *cg, const char *file);
/* "key value" line of a flat-keyed file of cg (NULL: root); -1 if missing */
long long rc_cg_key(const char *cg, const char *file, const char *key);
/* memory.stat key of cg (NULL: root); -1 if missing */
long long rc_cg_stat(const char *cg, const char *key);
long long rc_cg_file(const char *cg);	/* v2 "file", v1 "cache" (local) */
long long rc_cg_anon(const char *cg);	/* v2 "anon", v1 "rss" */
long long rc_cg_shmem(const char *cg);	/* "shmem" */
long long rc_cg_usage(const char *cg);	/* memory.current/usage_in_bytes */
int rc_cg_set_limit(const char *cg, long long bytes);
/*
 * memory.stat is flushed lazily (6.x: by thresholds and every 2 s), so a
 * fresh reading can lag. Re-read fn(cg) every 100 ms for up to ms while it is
 * not within pct of expected; returns the last value.
 */
long long rc_settle(long long (*fn)(const char *cg), const char *cg,
		    long long expected, int pct, int ms);
/* page cache charged to the root memcg itself (v2: root minus children) */
long long rc_root_file_local(void);
/* A counter of /proc/vmstat, or -1. */
long long rc_vmstat(const char *key);
/* dying memory cgroups (v2 nr_dying_descendants; v1 /proc/cgroups - dirs) */
long long rc_dying(void);
/* Poll until rc_dying() <= target or timeout_ms passes; returns last value. */
long long rc_dying_wait(long long target, int timeout_ms);
/* Wait until the dying count has not changed for stable_ms (max max_ms). */
long long rc_dying_settle(int stable_ms, int max_ms);
void rc_cg_cleanup_all(void);		/* remove every rctest.<mainpid>.* */

/*
 * Run fn(arg) in a forked child that first joins cg. Returns the child's exit
 * status (0..255), 128 + signal if it was killed, or -1.
 */
int rc_cg_run(const char *cg, int (*fn)(void *), void *arg);
/*
 * Same, but once fn returned 0 the child stays alive while check(carg) runs in
 * the parent; returns fn's status, or check's result if fn returned 0.
 */
int rc_cg_run_hold(const char *cg, int (*fn)(void *), void *arg,
		   int (*check)(void *), void *carg);

/* ---- module ---- */

enum rc_mode { RC_UNLOADED, RC_DISABLED, RC_ENABLED };

#define RC_SYSFS	"/sys/kernel/rootcache"

const char *rc_mode_name(int mode);
int rc_mod_mode(void);			/* current state */
bool rc_mod_available(void);		/* loaded, or the .ko exists */
int rc_mod_load(const char *params);	/* finit_module(); -errno */
int rc_mod_load_file(const char *ko, const char *params);	/* another .ko */
int rc_mod_unload(void);		/* delete_module() with retries */
/* Unload, then load @ko with @params: KSFT_PASS or KSFT_FAIL (diagnosed). */
int rc_mod_reload(const char *ko, const char *params);
/* The same with the test build (kmod/ ROOTCACHE_TESTING); KSFT_SKIP if none. */
int rc_mod_load_testing(const char *params);
const char *rc_mod_testing_ko(void);	/* its path (it may not exist) */
void rc_kmsg_mark(void);		/* a mark in the kernel log */
int rc_kmsg_count(const char *text);	/* its lines after the mark; -1 */
int rc_mod_enable(bool on);		/* write the sysfs file */
/*
 * Bring the module into mode. Returns KSFT_PASS, KSFT_SKIP (no module to load;
 * the reason is recorded) or KSFT_FAIL (with a diagnostic).
 */
int rc_mod_set(int mode);
long long rc_mod_stat(const char *name);	/* stats/<name>, -1 if none */
int rc_read_str(const char *path, char *buf, size_t len);	/* -errno */
long long rc_read_ll(const char *path);
int rc_write_str(const char *path, const char *val);		/* -errno */

/* ---- files ---- */

/* Create (or reuse when it already has the size) a file of size bytes. */
int rc_make_file(const char *path, long long size);
int rc_drop_caches(void);		/* sync, then drop_caches=3 */
int rc_read_fd(int fd, long long size);	/* read(2) it all, -errno */
int rc_read_file(const char *path, long long size);	/* open + rc_read_fd */
int rc_write_fd(int fd, long long size);
/*
 * Expected OOM kills print a stack dump ("Call Trace") at the default
 * message level; the guest harness fails a run on that text in the console.
 * rc_quiet_console(true) lowers the console log level to 4 (KERN_ERR and
 * more urgent still reach the console, panics included) for the duration of
 * an intentional OOM; rc_quiet_console(false) restores it.
 */
void rc_quiet_console(bool quiet);
void rc_msleep(int ms);
/* Run the caller (and what it forks) on CPU cpu only; -1 with a diag. */
int rc_pin_cpu(int cpu);
long long rc_now_ms(void);
char *rc_path(const char *dir, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- the seed scenario (test_seed, test_second_pin, demo) ---- */

#define SEED_NOATIME	0x1	/* the job opens its file with O_NOATIME */
#define SEED_NO_SYNC	0x2	/* no sync before and after rmdir */

struct rc_seed {
	long long size;		/* bytes the job reads */
	long long dying0;	/* dying memcgs before the job (settled) */
	int procs;		/* tasks left in the group after the job */
	long long usage;	/* the empty group's usage before rmdir */
	long long file;		/* its file charge */
	long long dying;	/* dying memcgs at the end of the wait */
	int release_ms;		/* ms from rmdir until dying <= dying0, or -1 */
};

/*
 * A job in a fresh cgroup reads s->size bytes of a new file on scratch and
 * exits; the group is measured, (sync,) removed, (sync,) and the dying count
 * is polled for up to wait_ms until it is back at its earlier value.
 */
int rc_seed_run(struct rc_seed *s, const char *name, int flags, int wait_ms);

#endif /* RC_H */

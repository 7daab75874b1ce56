// SPDX-License-Identifier: GPL-2.0
/*
 * TAP runner, comparisons and the guest environment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rc.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif

struct rc_env rc;

/* shared with the per-test child: the SKIP reason */
static char *skip_reason;
#define REASON_LEN 512

void rc_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int rc_skip(const char *fmt, ...)
{
	va_list ap;
	char buf[REASON_LEN];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (skip_reason)
		snprintf(skip_reason, REASON_LEN, "%s", buf);
	else
		rc_diag("SKIP: %s", buf);
	return KSFT_SKIP;
}

const char *rc_size(long long bytes)
{
	static char bufs[8][32];
	static int i;
	char *b = bufs[i++ & 7];
	long long a = bytes < 0 ? -bytes : bytes;

	if (a >= MiB(1))
		snprintf(b, 32, "%.2f MiB", bytes / 1048576.0);
	else if (a >= KiB(1))
		snprintf(b, 32, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(b, 32, "%lld B", bytes);
	return b;
}

bool rc_close(const char *what, long long actual, long long expected, int pct)
{
	long long tol = (expected < 0 ? -expected : expected) * pct / 100;
	long long d = actual - expected;

	if (d < 0)
		d = -d;
	if (d <= tol)
		return true;
	rc_diag("%s: actual %lld (%s), expected %lld (%s) +-%d%% (%s)",
		what, actual, rc_size(actual), expected, rc_size(expected),
		pct, rc_size(tol));
	return false;
}

bool rc_below(const char *what, long long actual, long long limit)
{
	if (actual < limit)
		return true;
	rc_diag("%s: actual %lld (%s), expected < %lld (%s)", what, actual,
		rc_size(actual), limit, rc_size(limit));
	return false;
}

bool rc_at_least(const char *what, long long actual, long long min)
{
	if (actual >= min)
		return true;
	rc_diag("%s: actual %lld (%s), expected >= %lld (%s)", what, actual,
		rc_size(actual), min, rc_size(min));
	return false;
}

bool rc_equal(const char *what, long long actual, long long expected)
{
	if (actual == expected)
		return true;
	rc_diag("%s: actual %lld, expected %lld", what, actual, expected);
	return false;
}

bool rc_kernel_before(int maj, int min)
{
	return rc.kmaj < maj || (rc.kmaj == maj && rc.kmin < min);
}

/*
 * Whether the running kernel has a function @name, by its own symbol table
 * (the module's choice of hooks is not the judge of what the kernel has).
 */
bool rc_kernel_has_function(const char *name)
{
	char line[512], sym[256], type;
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %c %255s", &type, sym) == 2 &&
			(type == 't' || type == 'T') && !strcmp(sym, name);
	fclose(f);
	return found;
}

/*
 * Whether page cache is inserted as folios (filemap_add_folio: upstream
 * 5.16, RHEL 9.1) rather than pages (__add_to_page_cache_locked). Not read
 * off the version: RHEL 9 is 5.14 by number.
 */
bool rc_kernel_inserts_folios(void)
{
	static int folios = -1;

	if (folios < 0)
		folios = rc_kernel_has_function("filemap_add_folio");
	return folios;
}

/*
 * Whether the running kernel was built with CONFIG_@name=y: the harness's
 * copy of its configuration (tests/vm/run), else /boot/config-<release>.
 * False when neither is there.
 */
bool rc_kernel_config_y(const char *name)
{
	char path[320], line[512], want[128];
	struct utsname u;
	bool found = false;
	FILE *f = fopen("/opt/rootcache/kernel.config", "re");

	if (!f && !uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = fopen(path, "re");
	}
	if (!f)
		return false;
	snprintf(want, sizeof(want), "CONFIG_%s=y\n", name);
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, want);
	fclose(f);
	return found;
}

/*
 * Whether the kernel's collapse_file() needs its mm for more than the
 * charge, so that rootcache must leave collapses alone (kmod/compat.h,
 * ROOTCACHE_COLLAPSE_MM_NEEDED): MADV_COLLAPSE is there (madvise_collapse,
 * 6.1), the rework of 6.6 that stopped handing the mm to
 * retract_page_tables() is not (pte_free_defer), and regular files
 * collapse (READ_ONLY_THP_FOR_FS). Read off the kernel's own symbols and
 * configuration, not the module's word.
 */
bool rc_collapse_needs_mm(void)
{
	static int needs = -1;

	if (needs < 0)
		needs = rc_kernel_has_function("madvise_collapse") &&
			!rc_kernel_has_function("pte_free_defer") &&
			rc_kernel_config_y("READ_ONLY_THP_FOR_FS");
	return needs;
}

/*
 * Whether the kernel has cgroup writeback (CONFIG_CGROUP_WRITEBACK: memory
 * cgroups and the block cgroup controller): __inode_attach_wb() exists only
 * there. Read off the kernel's symbols, not the module's word.
 */
bool rc_kernel_has_cgroup_writeback(void)
{
	static int has = -1;

	if (has < 0)
		has = rc_kernel_has_function("__inode_attach_wb");
	return has;
}

/*
 * Whether the kernel has transparent huge pages (CONFIG_TRANSPARENT_HUGEPAGE):
 * only then is there a collapse_file() to hook.
 */
bool rc_kernel_has_thp(void)
{
	return !access("/sys/kernel/mm/transparent_hugepage", F_OK);
}

/*
 * Whether the module cannot hook collapse_file() on this kernel, which has
 * transparent huge pages: it needs its mm (rc_collapse_needs_mm()), or it is
 * no function of its own (a static function with one caller, inlined or
 * cloned by the compiler: measured on upstream 6.8 built with clang 19, the
 * kCFI kernel). Collapses then stay charged as without the module, and
 * hook_state names collapse_file. Read off the kernel's symbols.
 */
bool rc_collapse_unhooked(void)
{
	static int off = -1;

	if (off < 0)
		off = rc_collapse_needs_mm() ||
		      (rc_kernel_has_thp() &&
		       !rc_kernel_has_function("collapse_file"));
	return off;
}

/*
 * hook_state of a module with every part it can have on this kernel: "ok",
 * or "partial collapse_file" where the module cannot hook collapse_file()
 * (rc_collapse_unhooked()).
 */
const char *rc_hook_state_whole(void)
{
	return rc_collapse_unhooked() ? "partial collapse_file" : "ok";
}

static void env_str(char *dst, size_t len, const char *name, const char *def)
{
	const char *v = getenv(name);

	snprintf(dst, len, "%s", v && *v ? v : def);
}

void rc_env_init(void)
{
	struct statfs sfs;
	struct utsname u;
	const char *v;

	rc.main_pid = getpid();
	env_str(rc.ko, sizeof(rc.ko), "ROOTCACHE_KO",
		"/opt/rootcache/rootcache.ko");
	env_str(rc.scratch, sizeof(rc.scratch), "RC_SCRATCH", "/scratch");
	env_str(rc.tmp, sizeof(rc.tmp), "RC_TMP", "/tmp");

	v = getenv("ROOTCACHE_CGROUP");
	if (v && *v)
		rc.v1 = !strcmp(v, "v1");
	else if (!statfs("/sys/fs/cgroup", &sfs))
		rc.v1 = sfs.f_type != CGROUP2_SUPER_MAGIC;
	env_str(rc.cgroot, sizeof(rc.cgroot), "ROOTCACHE_CGROUP_ROOT",
		rc.v1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup");

	/*
	 * The version from the kernel itself: the harness's name for it can be
	 * an identity (alma-9.6) rather than a version.
	 */
	if (uname(&u) || sscanf(u.release, "%d.%d", &rc.kmaj, &rc.kmin) != 2)
		rc.kmaj = rc.kmin = 0;
	v = getenv("ROOTCACHE_KERNEL");
	/* keep "6.1", not "6.1.0-56-cloud-amd64", for messages */
	if (v && *v)
		snprintf(rc.kernel, sizeof(rc.kernel), "%s", v);
	else
		snprintf(rc.kernel, sizeof(rc.kernel), "%d.%d", rc.kmaj,
			 rc.kmin);
}

/*
 * Returns NULL when the guest environment is the one the tests are written
 * for, or a reason: root, the module file, a memory controller, a disk
 * filesystem at RC_SCRATCH and a tmpfs at RC_TMP. Any reason is an error of
 * the environment, not a result of rootcache: rc_main bails out.
 */
static const char *rc_env_check(void)
{
	static char why[700];
	char buf[512], path[300];
	struct statfs sfs;

	if (geteuid())
		return "must run as root";
	if (access(rc.ko, R_OK)) {
		snprintf(why, sizeof(why), "no module file %s (ROOTCACHE_KO): %s",
			 rc.ko, strerror(errno));
		return why;
	}
	if (statfs(rc.scratch, &sfs) || access(rc.scratch, W_OK)) {
		snprintf(why, sizeof(why),
			 "no writable scratch directory %s (RC_SCRATCH): %s",
			 rc.scratch, strerror(errno));
		return why;
	}
	if (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC) {
		snprintf(why, sizeof(why),
			 "scratch %s (RC_SCRATCH) is on tmpfs or ramfs, not a disk filesystem",
			 rc.scratch);
		return why;
	}
	if (statfs(rc.tmp, &sfs)) {
		snprintf(why, sizeof(why), "no %s (RC_TMP): %s", rc.tmp,
			 strerror(errno));
		return why;
	}
	if (sfs.f_type != TMPFS_MAGIC) {
		snprintf(why, sizeof(why),
			 "%s (RC_TMP) is not tmpfs (f_type 0x%lx)", rc.tmp,
			 (unsigned long)sfs.f_type);
		return why;
	}
	if (rc.v1) {
		snprintf(path, sizeof(path), "%s/memory.usage_in_bytes",
			 rc.cgroot);
		if (access(path, R_OK)) {
			snprintf(why, sizeof(why),
				 "no cgroup v1 memory controller at %s",
				 rc.cgroot);
			return why;
		}
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", rc.cgroot);
	if (rc_read_str(path, buf, sizeof(buf)) < 0) {
		snprintf(why, sizeof(why), "no cgroup v2 at %s", rc.cgroot);
		return why;
	}
	if (!strstr(buf, "memory")) {
		rc_write_str(path, "+memory");
		if (rc_read_str(path, buf, sizeof(buf)) < 0 ||
		    !strstr(buf, "memory")) {
			snprintf(why, sizeof(why),
				 "memory not in %s/cgroup.subtree_control",
				 rc.cgroot);
			return why;
		}
	}
	return NULL;
}

/* No arguments: all. Else a test runs if an argument is its name, a glob
 * matching it, or a prefix of it ending at a '.' ("read" runs read.*). */
static bool selected(int argc, char **argv, const char *name)
{
	size_t len;
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++) {
		len = strlen(argv[i]);
		if (!fnmatch(argv[i], name, 0) ||
		    (!strncmp(argv[i], name, len) && name[len] == '.'))
			return true;
	}
	return false;
}

/*
 * The load parameters that change how the module hooks: a test that loads
 * it with others (maxactive=1, hook_mechanism=kretprobe) must not hand that
 * module to the tests after it.
 */
static void load_signature(char *buf, size_t len)
{
	static const char *const params[] = { "maxactive", "hook_mechanism" };
	char path[128], value[64];
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(params) && used < len; i++) {
		snprintf(path, sizeof(path),
			 "/sys/module/rootcache/parameters/%s", params[i]);
		if (rc_read_str(path, value, sizeof(value)) < 0)
			value[0] = '\0';
		used += snprintf(buf + used, len - used, "%s=%s ", params[i],
				 strtok(value, " \t\n") ?: "");
	}
}

static void restore_module(int mode, const char *signature)
{
	char now_signature[256];
	int now = rc_mod_mode();

	/* Loaded before the test (else it is unloaded below anyway). */
	if (mode != RC_UNLOADED && now != RC_UNLOADED) {
		load_signature(now_signature, sizeof(now_signature));
		if (strcmp(now_signature, signature)) {
			rc_diag("module left loaded with %sby the test: unloading it",
				now_signature);
			if (rc_mod_unload())
				rc_diag("could not unload it");
			now = rc_mod_mode();
		}
	}
	if (now == mode)
		return;
	if (rc_mod_set(mode) != KSFT_PASS)
		rc_diag("could not restore module state %s (now %s)",
			rc_mode_name(mode), rc_mode_name(rc_mod_mode()));
}

/*
 * ROOTCACHE_TIMEOUT_SCALE=N multiplies every test's timeout by N: for debug
 * kernels (KASAN, lockdep), several times slower under TCG.
 */
static int timeout_scale(void)
{
	const char *v = getenv("ROOTCACHE_TIMEOUT_SCALE");
	int n = v ? atoi(v) : 1;

	return n > 0 ? n : 1;
}

static int run_one(const struct rc_test *t, int num, int mode0)
{
	int timeout = (t->timeout ? t->timeout : RC_DEFAULT_TIMEOUT) *
		      timeout_scale();
	char printk[64], signature[256];
	int status, ret;
	long long t0 = rc_now_ms();
	pid_t pid;

	skip_reason[0] = '\0';
	load_signature(signature, sizeof(signature));
	if (rc_read_str("/proc/sys/kernel/printk", printk, sizeof(printk)) < 0)
		printk[0] = '\0';
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("not ok %d - %s # fork: %s\n", num, t->name,
		       strerror(errno));
		return KSFT_FAIL;
	}
	if (!pid) {
		setpgid(0, 0);
		signal(SIGALRM, SIG_DFL);
		alarm(timeout);
		ret = t->fn();
		fflush(stdout);
		_exit(ret);
	}
	setpgid(pid, pid);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	/* whatever the test left behind: its jobs, cgroups, module state */
	kill(-pid, SIGKILL);
	rc_cg_cleanup_all();
	/* A cache pool a test set (test_pool) goes with it. */
	if (rc_read_ll(RC_SYSFS "/target") > 0)
		rc_write_str(RC_SYSFS "/target", "0");
	restore_module(mode0, signature);
	if (printk[0])	/* console log level, see rc_quiet_console() */
		rc_write_str("/proc/sys/kernel/printk", strtok(printk, " \t"));

	if (status != -1 && WIFEXITED(status)) {
		ret = WEXITSTATUS(status);
	} else {
		if (status != -1 && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGALRM)
			rc_diag("%s: timed out after %d s", t->name, timeout);
		else if (status != -1 && WIFSIGNALED(status))
			rc_diag("%s: killed by signal %d", t->name,
				WTERMSIG(status));
		ret = KSFT_FAIL;
	}
	rc_diag("%s: %.1f s", t->name, (rc_now_ms() - t0) / 1000.0);
	switch (ret) {
	case KSFT_PASS:
		printf("ok %d - %s\n", num, t->name);
		break;
	case KSFT_SKIP:
		printf("ok %d - %s # SKIP %s\n", num, t->name,
		       skip_reason[0] ? skip_reason : "");
		break;
	default:
		printf("not ok %d - %s\n", num, t->name);
		ret = KSFT_FAIL;
		break;
	}
	fflush(stdout);
	return ret;
}

int rc_main(int argc, char **argv, const struct rc_test *tests, size_t n)
{
	int num = 0, fail = 0, pass = 0, mode0;
	const char *why;
	size_t i, planned = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rc_env_init();
	skip_reason = mmap(NULL, REASON_LEN, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (skip_reason == MAP_FAILED) {
		perror("mmap");
		return KSFT_FAIL;
	}
	for (i = 0; i < n; i++)
		planned += selected(argc, argv, tests[i].name);

	printf("TAP version 13\n");
	rc_diag("kernel %s, cgroup %s at %s, module %s, scratch %s",
		rc.kernel, rc.v1 ? "v1" : "v2", rc.cgroot, rc.ko, rc.scratch);
	/* a broken environment fails the run; it never becomes N skips */
	why = rc_env_check();
	if (why) {
		printf("Bail out! environment: %s\n", why);
		return KSFT_FAIL;
	}
	printf("1..%zu\n", planned);
	mode0 = rc_mod_mode();
	for (i = 0; i < n; i++) {
		if (!selected(argc, argv, tests[i].name))
			continue;
		num++;
		switch (run_one(&tests[i], num, mode0)) {
		case KSFT_PASS:
			pass++;
			break;
		case KSFT_SKIP:
			break;
		default:
			fail++;
		}
	}
	rc_diag("%d passed, %d failed, %d skipped", pass, fail,
		num - pass - fail);
	if (fail)
		return KSFT_FAIL;
	return pass ? KSFT_PASS : KSFT_SKIP;
}

/*
 * Whether the module has the ftrace call wrapper on this architecture
 * (kmod/arch.h: x86_64 only); @machine gets uname -m.
 */
bool rc_ftrace_wrapper_built(char *machine, size_t len)
{
	struct utsname u;

	if (uname(&u))
		snprintf(u.machine, sizeof(u.machine), "unknown");
	snprintf(machine, len, "%s", u.machine);
	return !strcmp(u.machine, "x86_64");
}

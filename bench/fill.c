// SPDX-License-Identifier: GPL-2.0
/*
 * bench/fill: page-cache fill cost of rootcache, run inside a guest.
 *
 * Configurations, interleaved in one boot (the order rotates every
 * repetition): module not loaded, loaded but disabled, enabled, enabled with
 * a scope of N entries (N = 1, 16 or 1024). The job always runs in
 * <root>/rctest.<pid>.s1024/job; "scopeN" lists s1024 and the N - 1 groups
 * before it, so the job is INSIDE a listed subtree (its own group is not
 * listed: an ancestor walk misses on the job's group, then hits on its
 * parent s1024). Optional ones: "outscopeN", enabled with the N groups
 * before s1024 listed, so the job is OUTSIDE the scope (a walk misses up to
 * the root and nothing is redirected; "outscope" is outscope1024);
 * "spinN", the test build of the module
 * (--knob-ko) enabled with test_spin_loops=N (2N instructions added to every
 * redirected folio: the known effect bench/run --icount must find);
 * "kretprobe", enabled with hook_mechanism=kretprobe (the fallback
 * mechanism, and the only one before the ftrace wrapper); "kretprobeoff",
 * loaded disabled with hook_mechanism=kretprobe (the probe fires, the policy
 * declines at once: the cost of the kprobe and its instance alone);
 * "callstart", the
 * test build enabled with test_wrap_call_start=1 (the ftrace wrapper's path
 * on a CPU that enforces IBT).
 *
 * Variants (cache dropped before every repetition):
 *   seq    read(2) of the whole file, 1 MiB buffers
 *   rand   pread(2) of 4 KiB at random 4 KiB-aligned offsets (same seed for
 *          every configuration of one repetition), POSIX_FADV_RANDOM
 *   write  write(2) of a new file (unlinked, synced and dropped beforehand);
 *          the time is that of the write(2) calls, writeback is not included
 *   conc   R readers at once, each reading its own slice of total/R bytes
 *          of the seq file (total <= its size; no extra disk space)
 *   mmap   mmap(2) of the seq file, one load per 4 KiB page in order
 *   anon   mmap(2) of --anon MiB of anonymous memory (no THP), one store per
 *          4 KiB page: the cost of an anonymous page fault (no page cache)
 *
 * --deterministic (bench/run --icount): the seq file is sparse (its holes
 * need no disk I/O), periodic writeback is off and /scratch commits its
 * journal every 600 s, so that no device I/O or flusher work falls into a
 * measurement; with QEMU -icount the guest clock then counts instructions.
 *
 * Output: one CSV line per measurement, prefixed with "RCB fill,":
 *   RCB fill,variant,readers,config,rep,bytes,ns,file_pages,
 *            redirected_folios,probe_misses,skipped_out_of_scope
 * file_pages is the change of nr_file_pages in /proc/vmstat over the run
 * (4 KiB pages inserted); the three module counters are deltas (-1 when the
 * module is not loaded).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/rc.h"

#define NSCOPE 1025	/* s0000..s1024; the job is in s1024/job */
#define SCOPE_MAX 1024

enum kind { C_UNLOADED, C_DISABLED, C_ENABLED, C_SCOPE, C_OUTSCOPE,
	    C_KRETPROBE, C_CALLSTART, C_KRETPROBE_OFF, C_SPIN };
#define MAXCFG 24
struct cfg {
	char name[32];
	enum kind kind;
	unsigned int loops;	/* C_SPIN */
	unsigned int entries;	/* C_SCOPE, C_OUTSCOPE */
};
static struct cfg cfgs[MAXCFG];
static int ncfg;
static char opt_knob_ko[256] = "/opt/rootcache/testmods/rootcache-testing.ko";
static long long opt_anon = MiB(64);
static int opt_det;
static char opt_knob_variants[128] = "seq,rand,write,mmap,anon";

static long long opt_size = MiB(512);	/* seq/rand file */
static long long opt_rand_ops = 16384;	/* 4 KiB reads per rand rep */
static long long opt_write = MiB(512);	/* write variant */
static long long opt_conc = MiB(256);	/* conc: total bytes */
static int opt_reps = 10;
static char opt_variants[128] = "seq,rand,write,conc";
static char opt_readers[128] = "1,4,16,64";
static char opt_cfgs[256] = "unloaded,disabled,enabled,scope1024";
static char opt_conc_cfgs[128] = "unloaded,enabled";

static char *scope_cg[NSCOPE];
static char job_cg[512];
static unsigned long long scope_ino[NSCOPE];
static char dir[280];

struct shared {
	long long t0_ns, t1_ns;
	int go;
	int fail;
};
static struct shared *sh;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long vmstat(const char *key)
{
	char line[256], k[128];
	long long v = -1, x;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lld", k, &x) == 2 && !strcmp(k, key)) {
			v = x;
			break;
		}
	fclose(f);
	return v;
}

static int has(const char *list, const char *word)
{
	char buf[128], *save = NULL, *t;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(t, word))
			return 1;
	return 0;
}

/*
 * Every scope write replaces the published set and frees the old one after
 * an RCU grace period (kfree_rcu()): 1024 writes leave 1024 frees pending,
 * which would run inside the next measurement (about 5 instructions per page
 * of the 32 MiB fill on 5.10, the difference between scope1024 and scope1
 * before this wait). A write is not on the insertion path; wait them out.
 */
static void settle_rcu(void)
{
	usleep(500 * 1000);
}

/*
 * want: 0 (no scope), C_SCOPE (n entries ending with the job's parent
 * s1024) or C_OUTSCOPE (the n entries before it).
 */
static int set_scope(int want, unsigned int n)
{
	static int scoped;	/* 0 none, C_SCOPE or C_OUTSCOPE */
	static unsigned int scoped_n;
	char v[32];
	int i, first, ret;

	if (scoped == want && (!want || scoped_n == n))
		return 0;
	if (scoped)
		rc_write_str(RC_SYSFS "/scope", "clear");
	scoped = 0;
	if (!want) {
		settle_rcu();
		return 0;
	}
	first = want == C_SCOPE ? NSCOPE - (int)n : NSCOPE - 1 - (int)n;
	for (i = first; i < first + (int)n; i++) {
		snprintf(v, sizeof(v), "+%llu", scope_ino[i]);
		ret = rc_write_str(RC_SYSFS "/scope", v);
		if (ret) {
			rc_diag("scope %s: %s", v, strerror(-ret));
			return -1;
		}
	}
	scoped = want;
	scoped_n = n;
	settle_rcu();
	return 0;
}

static int set_cfg(int c)
{
	static int testing;	/* the test build is loaded */
	enum kind k = cfgs[c].kind;
	char params[64];
	int ret;

	if (k != C_SCOPE && k != C_OUTSCOPE && set_scope(0, 0))
		return -1;
	if (testing || k == C_SPIN || k == C_CALLSTART || k == C_KRETPROBE ||
	    k == C_KRETPROBE_OFF) {
		ret = rc_mod_unload();
		if (ret) {
			rc_diag("rmmod rootcache: %s", strerror(-ret));
			return -1;
		}
		testing = 0;
	}
	if (k == C_KRETPROBE || k == C_KRETPROBE_OFF) {
		ret = rc_mod_load(k == C_KRETPROBE ?
				  "enabled=1 hook_mechanism=kretprobe" :
				  "enabled=0 hook_mechanism=kretprobe");
		if (ret) {
			rc_diag("insmod hook_mechanism=kretprobe: %s",
				strerror(-ret));
			return -1;
		}
		testing = 1;	/* not the default load: unload it next */
		return 0;
	}
	if (k == C_SPIN || k == C_CALLSTART) {
		if (k == C_SPIN)
			snprintf(params, sizeof(params),
				 "enabled=1 test_spin_loops=%u", cfgs[c].loops);
		else
			snprintf(params, sizeof(params),
				 "enabled=1 test_wrap_call_start=1");
		ret = rc_mod_load_file(opt_knob_ko, params);
		if (ret) {
			rc_diag("insmod %s %s: %s", opt_knob_ko, params,
				strerror(-ret));
			return -1;
		}
		testing = 1;
		return 0;
	}
	ret = rc_mod_set(k == C_UNLOADED ? RC_UNLOADED :
			 k == C_DISABLED ? RC_DISABLED : RC_ENABLED);
	if (ret != KSFT_PASS)
		return -1;
	if (k == C_SCOPE || k == C_OUTSCOPE)
		return set_scope(k, cfgs[c].entries);
	return 0;
}

static int parse_cfgs(const char *list)
{
	static const char *names[] = { "unloaded", "disabled", "enabled",
				       "scope", "outscope", "kretprobe",
				       "callstart", "kretprobeoff" };
	char buf[256], *save = NULL, *t;
	unsigned int k;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (ncfg == MAXCFG)
			return -1;
		snprintf(cfgs[ncfg].name, sizeof(cfgs[ncfg].name), "%s", t);
		if (!strncmp(t, "spin", 4)) {
			cfgs[ncfg].kind = C_SPIN;
			cfgs[ncfg].loops = strtoul(t + 4, NULL, 10);
		} else if (!strncmp(t, "scope", 5) ||
			   !strncmp(t, "outscope", 8)) {
			const char *num = t + (t[0] == 's' ? 5 : 8);

			cfgs[ncfg].kind = t[0] == 's' ? C_SCOPE : C_OUTSCOPE;
			cfgs[ncfg].entries = *num ? strtoul(num, NULL, 10) :
					     SCOPE_MAX;
			if (!cfgs[ncfg].entries ||
			    cfgs[ncfg].entries > SCOPE_MAX)
				return -1;
		} else {
			for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
				if (!strcmp(t, names[k]))
					break;
			if (k == sizeof(names) / sizeof(names[0]))
				return -1;
			cfgs[ncfg].kind = k;
		}
		ncfg++;
	}
	return 0;
}

/* ---- the jobs (run in job_cg) ---- */

/*
 * --deterministic: the clock starts once the file is open. drop_caches
 * also drops the filesystem's metadata blocks, and reading them back in
 * open(2) (the inode table block, the inode bitmap of a new file) would be
 * a device wait inside the measurement.
 */
static int in_conc;
static void opened(void)
{
	if (opt_det && !in_conc)
		sh->t0_ns = now_ns();
}

static int job_seq(const char *path, long long off, long long size)
{
	static char buf[1 << 20];
	long long done = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	opened();
	if (off && lseek(fd, off, SEEK_SET) != off) {
		close(fd);
		return -1;
	}
	while (done < size) {
		n = read(fd, buf, size - done < (long long)sizeof(buf) ?
			 (size_t)(size - done) : sizeof(buf));
		if (n <= 0)
			break;
		done += n;
	}
	close(fd);
	return done == size ? 0 : -1;
}

static int job_rand(const char *path, long long size, unsigned seed)
{
	static char buf[4096];
	long long blocks = size / 4096, i;
	uint64_t x = seed * 2654435761ULL + 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	opened();
	for (i = 0; i < opt_rand_ops; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pread(fd, buf, 4096, (off_t)(x % blocks) * 4096) != 4096) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

static int job_write(const char *path, long long size)
{
	static char buf[1 << 20];
	long long done = 0;
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	memset(buf, 0x5a, sizeof(buf));
	opened();
	while (done < size) {
		n = write(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		done += n;
	}
	close(fd);
	return done == size ? 0 : -1;
}

static int job_mmap(const char *path, long long size)
{
	volatile const char *p;
	long long i;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	opened();
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < size; i += 4096)
		(void)p[i];	/* volatile: every page is loaded */
	munmap((void *)p, size);
	return 0;
}

static int job_anon(long long size)
{
	volatile char *p;
	long long i;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	madvise((void *)p, size, MADV_NOHUGEPAGE);
	for (i = 0; i < size; i += 4096)
		p[i] = 1;
	munmap((void *)p, size);
	return 0;
}

struct job {
	const char *variant;
	int readers;
	unsigned seed;
};

static int run_job(void *arg)
{
	struct job *j = arg;
	char path[400];
	pid_t *pids;
	int i, st, ret = 0;

	if (!strcmp(j->variant, "conc")) {
		pids = calloc(j->readers, sizeof(*pids));
		for (i = 0; i < j->readers; i++) {
			pids[i] = fork();
			if (!pids[i]) {
				long long slice = opt_conc / j->readers;

				in_conc = 1;
				snprintf(path, sizeof(path), "%s/file", dir);
				while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
					sched_yield();
				_exit(job_seq(path, i * slice, slice) ? 1 : 0);
			}
		}
		sh->t0_ns = now_ns();
		__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
		for (i = 0; i < j->readers; i++) {
			if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
			    WEXITSTATUS(st))
				ret = 1;
		}
		sh->t1_ns = now_ns();
		return ret;
	}
	sh->t0_ns = now_ns();
	if (!strcmp(j->variant, "seq")) {
		snprintf(path, sizeof(path), "%s/file", dir);
		ret = job_seq(path, 0, opt_size);
	} else if (!strcmp(j->variant, "rand")) {
		snprintf(path, sizeof(path), "%s/file", dir);
		ret = job_rand(path, opt_size, j->seed);
	} else if (!strcmp(j->variant, "mmap")) {
		snprintf(path, sizeof(path), "%s/file", dir);
		ret = job_mmap(path, opt_size);
	} else if (!strcmp(j->variant, "anon")) {
		ret = job_anon(opt_anon);
	} else {
		snprintf(path, sizeof(path), "%s/wfile", dir);
		ret = job_write(path, opt_write);
	}
	sh->t1_ns = now_ns();
	return ret ? 1 : 0;
}

static long long stat_or(const char *name, int c)
{
	return cfgs[c].kind == C_UNLOADED ? -1 : rc_mod_stat(name);
}

static int measure(const char *variant, int readers, int c, int rep)
{
	struct job j = { variant, readers, (unsigned)rep + 1 };
	long long fp0, fp1, rf0, pm0, so0, bytes;
	char path[400];

	if (set_cfg(c))
		return -1;
	if (!strcmp(variant, "write")) {
		snprintf(path, sizeof(path), "%s/wfile", dir);
		unlink(path);
	}
	rc_drop_caches();
	sh->go = 0;
	rf0 = stat_or("redirected_folios", c);
	pm0 = stat_or("probe_misses", c);
	so0 = stat_or("skipped_out_of_scope", c);
	fp0 = vmstat("nr_file_pages");
	if (rc_cg_run(job_cg, run_job, &j)) {
		rc_diag("job %s/%d/%s failed", variant, readers, cfgs[c].name);
		return -1;
	}
	fp1 = vmstat("nr_file_pages");
	bytes = !strcmp(variant, "seq") ? opt_size :
		!strcmp(variant, "rand") ? opt_rand_ops * 4096 :
		!strcmp(variant, "write") ? opt_write :
		!strcmp(variant, "mmap") ? opt_size :
		!strcmp(variant, "anon") ? opt_anon : opt_conc;
	printf("RCB fill,%s,%d,%s,%d,%lld,%lld,%lld,%lld,%lld,%lld\n",
	       variant, readers, cfgs[c].name, rep, bytes,
	       sh->t1_ns - sh->t0_ns, fp1 - fp0,
	       rf0 < 0 ? -1 : stat_or("redirected_folios", c) - rf0,
	       pm0 < 0 ? -1 : stat_or("probe_misses", c) - pm0,
	       so0 < 0 ? -1 : stat_or("skipped_out_of_scope", c) - so0);
	fflush(stdout);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fill [--size MiB] [--write MiB] [--rand-ops N] [--conc MiB]\n"
		"            [--reps N] [--variants seq,rand,write,mmap,anon,conc]\n"
		"            [--readers 1,4,16,64] [--configs LIST] [--conc-configs LIST]\n"
		"            [--anon MiB] [--knob-ko PATH] [--knob-variants LIST]\n"
		"            [--deterministic]\n"
		"  configs: unloaded,disabled,enabled,scopeN,outscopeN (N entries,\n"
		"           1 to 1024; outscope: outscope1024),kretprobe,kretprobeoff,\n"
		"           callstart,spinN\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "size", 1, 0, 's' }, { "write", 1, 0, 'w' },
		{ "rand-ops", 1, 0, 'o' }, { "conc", 1, 0, 'c' },
		{ "reps", 1, 0, 'r' }, { "variants", 1, 0, 'v' },
		{ "readers", 1, 0, 'R' }, { "configs", 1, 0, 'C' },
		{ "conc-configs", 1, 0, 'K' }, { "anon", 1, 0, 'a' },
		{ "knob-ko", 1, 0, 'k' }, { "deterministic", 0, 0, 'd' },
		{ "knob-variants", 1, 0, 'V' },
		{ 0, 0, 0, 0 } };
	static const char *vars[] = { "seq", "rand", "write", "mmap", "anon" };
	int nvars = sizeof(vars) / sizeof(vars[0]);
	char buf[128], *save, *t, path[400];
	int readers[16], nreaders = 0, o, i, r, k, v, c, ret = 0;
	struct stat st;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 's': opt_size = MiB(atoll(optarg)); break;
		case 'w': opt_write = MiB(atoll(optarg)); break;
		case 'o': opt_rand_ops = atoll(optarg); break;
		case 'c': opt_conc = MiB(atoll(optarg)); break;
		case 'r': opt_reps = atoi(optarg); break;
		case 'v': snprintf(opt_variants, sizeof(opt_variants), "%s", optarg); break;
		case 'R': snprintf(opt_readers, sizeof(opt_readers), "%s", optarg); break;
		case 'C': snprintf(opt_cfgs, sizeof(opt_cfgs), "%s", optarg); break;
		case 'K': snprintf(opt_conc_cfgs, sizeof(opt_conc_cfgs), "%s", optarg); break;
		case 'a': opt_anon = MiB(atoll(optarg)); break;
		case 'k': snprintf(opt_knob_ko, sizeof(opt_knob_ko), "%s", optarg); break;
		case 'd': opt_det = 1; break;
		case 'V': snprintf(opt_knob_variants, sizeof(opt_knob_variants), "%s", optarg); break;
		default: usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_cfgs(opt_cfgs)) {
		fprintf(stderr, "fill: bad --configs %s\n", opt_cfgs);
		usage();
	}
	rc_env_init();
	snprintf(buf, sizeof(buf), "%s", opt_readers);
	for (t = strtok_r(buf, ",", &save); t && nreaders < 16;
	     t = strtok_r(NULL, ",", &save))
		readers[nreaders++] = atoi(t);

	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	if (!rc.v1) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", rc.cgroot);
		rc_write_str(path, "+memory");
	}
	/* 1025 cgroups for the scopes; the job lives in the last one's child */
	for (i = 0; i < NSCOPE; i++) {
		snprintf(buf, sizeof(buf), "s%04d", i);
		scope_cg[i] = rc_cg_create(buf);
		if (!scope_cg[i] || stat(scope_cg[i], &st)) {
			rc_diag("cannot create scope cgroup %d", i);
			return 1;
		}
		scope_ino[i] = st.st_ino;
	}
	if (!rc.v1)
		rc_cg_write(scope_cg[NSCOPE - 1], "cgroup.subtree_control",
			    "+memory");
	snprintf(job_cg, sizeof(job_cg), "%s/job", scope_cg[NSCOPE - 1]);
	if (mkdir(job_cg, 0755) && errno != EEXIST) {
		rc_diag("mkdir %s: %s", job_cg, strerror(errno));
		return 1;
	}

	if (opt_conc > opt_size)
		opt_conc = opt_size;	/* the readers share the seq file */
	snprintf(dir, sizeof(dir), "%s/rcbench", rc.scratch);
	mkdir(dir, 0755);
	printf("# fill: kernel %s cgroup %s size %lld MiB write %lld MiB "
	       "rand-ops %lld conc %lld MiB reps %d\n", rc.kernel,
	       rc.v1 ? "v1" : "v2", opt_size >> 20, opt_write >> 20,
	       opt_rand_ops, opt_conc >> 20, opt_reps);
	snprintf(path, sizeof(path), "%s/file", dir);
	if (opt_det) {
		/* holes: read without disk I/O; no flusher or journal wakeups */
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || ftruncate(fd, opt_size))
			return 1;
		close(fd);
		rc_write_str("/proc/sys/vm/dirty_writeback_centisecs", "0");
		/*
		 * Under -icount sleep=off the guest clock jumps from timer to
		 * timer while it waits for a device: on a busy host one slow
		 * read (outside any measurement) let 120 s of guest time pass
		 * and the hung-task detector panic the guest (6.1 and 5.10,
		 * issue 27's first run). The clock is not wall time here.
		 */
		rc_write_str("/proc/sys/kernel/hung_task_timeout_secs", "0");
		if (mount(NULL, rc.scratch, NULL, MS_REMOUNT | MS_NOATIME,
			  "commit=600"))
			printf("# remount %s noatime,commit=600: %s\n",
			       rc.scratch, strerror(errno));
		printf("# deterministic: sparse file, periodic writeback off\n");
	} else if (rc_make_file(path, opt_size)) {
		return 1;
	}

	/*
	 * --deterministic: a warm-up repetition first, reported as rep -1 and
	 * left out of the results (the first measurement of a boot pays for
	 * first-time allocations: +1.8 % on seq in the first 6.1 run).
	 */
	for (r = opt_det ? -1 : 0; r < opt_reps && !ret; r++) {
		long long t0 = rc_now_ms();

		for (v = 0; v < nvars && !ret; v++) {
			if (!has(opt_variants, vars[v]))
				continue;
			for (i = 0; i < ncfg && !ret; i++) {
				c = (i + r + ncfg) % ncfg;	/* rotate the order */
				if (cfgs[c].kind != C_SPIN ||
				    has(opt_knob_variants, vars[v]))
					ret = measure(vars[v], 1, c, r);
			}
		}
		if (has(opt_variants, "conc"))
			for (k = 0; k < nreaders && !ret; k++)
				for (i = 0; i < ncfg && !ret; i++) {
					c = (i + r) % ncfg;
					if (has(opt_conc_cfgs, cfgs[c].name))
						ret = measure("conc", readers[k],
							      c, r);
				}
		printf("# rep %d done in %lld ms\n", r, rc_now_ms() - t0);
	}
	cfgs[0].kind = C_UNLOADED;
	set_cfg(0);
	rmdir(job_cg);
	for (i = 0; i < NSCOPE; i++)
		rc_cg_destroy(scope_cg[i]);
	printf("# fill: %s\n", ret ? "FAILED" : "done");
	return ret ? 1 : 0;
}

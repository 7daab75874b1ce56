/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ROOTCACHE_H
#define ROOTCACHE_H

#include <linux/jump_label.h>
#include <linux/types.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>

#ifdef ROOTCACHE_TESTING
#define ROOTCACHE_VERSION "0.1.0+testing"
#else
#define ROOTCACHE_VERSION "0.1.0"
#endif
#define ROOTCACHE_SCOPE_MAX 1024
/* Redirected folios found charged elsewhere before the module switches off. */
#define ROOTCACHE_FAIL_LIMIT 8
/*
 * Default kretprobe instances: calls inside the probed function at once.
 * Fixed, not per CPU: from 6.7 every possible CPU gets a slot array with
 * room for all of them (8 bytes each, rounded up to a power of two), so a
 * per-CPU default would grow with the square of the CPUs. 512 keeps each
 * CPU's share within 8 KiB (4 MiB at 512 possible CPUs).
 */
#define ROOTCACHE_MAXACTIVE_DEFAULT 512
/*
 * Instances of the collapse_file() probe: khugepaged is one thread, and
 * MADV_COLLAPSE callers are few; more would only cost per-CPU slots.
 */
#define ROOTCACHE_COLLAPSE_MAXACTIVE 16

struct address_space;
struct inode;
struct cgroup_subsys_state;
struct mem_cgroup;
struct mm_struct;
struct page;
struct pt_regs;

/* main.c */
extern bool rootcache_enabled;
extern bool rootcache_metadata;
extern struct mem_cgroup *rootcache_root_memcg;
extern int rootcache_maxactive;
int rootcache_parse_bool(const char *buf, size_t count, bool *res);

/* stats.c: per-CPU counters, summed on read. */
enum rootcache_stat {
	RC_STAT_REDIRECTED_FOLIOS,
	RC_STAT_REDIRECTED_BYTES,
	RC_STAT_SKIPPED_UNEVICTABLE,
	RC_STAT_SKIPPED_NOT_REGULAR,
	RC_STAT_SKIPPED_OUT_OF_SCOPE,
	RC_STAT_IN_FLIGHT,
	RC_STAT_REDIRECTED_INODE_WB,
	RC_STAT_REDIRECT_FAILED,
	RC_STAT_REDIRECTED_METADATA,
	RC_STAT_REDIRECTED_COLLAPSES,
	RC_STAT_TARGET_FALLBACKS,
	NR_RC_STATS
};

struct rootcache_stats {
	long v[NR_RC_STATS];
};

DECLARE_PER_CPU(struct rootcache_stats, rootcache_stats);

static inline void rootcache_stat_add(enum rootcache_stat item, long delta)
{
	this_cpu_add(rootcache_stats.v[item], delta);
}

long rootcache_stat_sum(enum rootcache_stat item);

/* policy.c: which insertions move to root. */
enum rootcache_verdict {
	RC_OFF,
	RC_REDIRECT,
	RC_REDIRECT_METADATA,	/* filesystem metadata, with "metadata" on */
	RC_SKIP_NOT_REGULAR,
	RC_SKIP_UNEVICTABLE,
	RC_SKIP_OUT_OF_SCOPE,
};

static inline bool rootcache_verdict_redirects(enum rootcache_verdict v)
{
	return v == RC_REDIRECT || v == RC_REDIRECT_METADATA;
}

enum rootcache_verdict rootcache_classify(struct address_space *mapping);
enum rootcache_verdict rootcache_classify_writeback(struct inode *inode);
enum rootcache_verdict rootcache_classify_for_mm(struct address_space *mapping,
						 struct mm_struct *mm);
enum rootcache_verdict rootcache_should_redirect(struct address_space *mapping,
						 bool scope_checked);
void rootcache_policy_stop(void);

/* scope.c: optional set of cgroup subtrees the redirection applies to. */
struct rootcache_scope;
extern struct rootcache_scope __rcu *rootcache_scope_set;

/*
 * On while a set is published (scope.c keeps it so): the hot path's test
 * for the global mode is then a jump patched into the code, no load.
 */
DECLARE_STATIC_KEY_FALSE(rootcache_scoped);

/*
 * No scope is set: everyone's cache moves (the hot path's shortcut). A
 * caller that finds a scope may race with a clear: it decides by its CPU's
 * cached verdict, or by the set, and admits everyone when the set is gone
 * (rootcache_scope_fill()).
 */
static __always_inline bool rootcache_scope_empty(void)
{
	return !static_branch_unlikely(&rootcache_scoped);
}

bool rootcache_scope_admits(struct cgroup_subsys_state *css);
int rootcache_scope_write(const char *buf, size_t count);
ssize_t rootcache_scope_read(char *buf, loff_t off, size_t count);
void rootcache_scope_exit(void);

/*
 * target.c: the cache pool, the memory cgroup redirected cache is charged
 * to (root when none is set, or when the set one was removed).
 */
struct rootcache_target;
extern struct rootcache_target __rcu *rootcache_target_set;
/* The slow path of rootcache_redirect_memcg() (redirect.h). */
struct mem_cgroup *rootcache_pool_memcg(void);
void *rootcache_redirect_wb_arg(void);
int rootcache_target_write(const char *buf, size_t count);
u64 rootcache_target_id(void);
void rootcache_target_exit(void);

/*
 * hook.c: the owner of every probe: the mechanism of the insertion hook,
 * the order probes start and stop in, the optional parts, hook_state.
 */
enum rootcache_hook_state {
	RC_HOOK_OK,
	RC_HOOK_PARTIAL,	/* an optional part is missing */
	RC_HOOK_DISARMED,	/* the kernel stopped the probes */
	RC_HOOK_FAILED,		/* redirected folios were charged elsewhere */
};

extern const char rootcache_hook_symbol[];

const char *rootcache_hook_mechanism(void);
/* The next missing optional part: hook_state names them. */
const char *rootcache_hook_missing(unsigned int *pos);
int rootcache_hook_start(void);
void rootcache_hook_stop(void);
unsigned long rootcache_hook_misses(void);
enum rootcache_hook_state rootcache_hook_state(void);

/*
 * redirect.c (and redirect.h): the per-folio layer every mechanism uses.
 * Past ROOTCACHE_FAIL_LIMIT failed redirections, hook_state reads "failed".
 */
bool rootcache_hook_failed(void);

/*
 * One probe of a hook mechanism, as hook.c starts, checks and stops it:
 * a kprobe (@kp) or a kretprobe (@rp) that hook.c registers, or @start and
 * @stop of a mechanism that attaches itself. @armed: whether the kernel
 * still runs it (for @kp and @rp, unless set: not disabled). A mechanism
 * calls no other, and never hook.c.
 */
struct kprobe;
struct kretprobe;

struct rootcache_probe {
	struct kprobe *kp;
	struct kretprobe *rp;
	int maxactive;		/* @rp's instances at most (0: maxactive) */
	int (*start)(void);
	void (*stop)(void);
	bool (*armed)(void);
};

/* hook_wrap.c (and hook_direct.S): the ftrace call wrapper of the insertion. */
extern const struct rootcache_probe rootcache_wrap;
int rootcache_insert_wrapper(void *arg0, void *arg1, unsigned long index,
			     gfp_t gfp, void *arg4);
void rootcache_insert_tramp(void);
void rootcache_charge_tramp(void);
void rootcache_canary_tramp(void);

/* hook_kretprobe.c: the kretprobe of the insertion. */
extern const struct rootcache_probe rootcache_insert_kretprobe;

/*
 * hook_charge.c: the kprobes of the charge path: the mm rewrite (5.10 to
 * 5.13, with the kretprobe) and its self-test, and __inode_attach_wb().
 */
int rootcache_charge_selftest(void);
extern const struct rootcache_probe rootcache_charge_kprobe;
extern const struct rootcache_probe rootcache_writeback_kprobe;

/* hook_collapse.c: the kretprobe of khugepaged's collapse_file(). */
extern const struct rootcache_probe rootcache_collapse_kretprobe;

/* sysfs.c */
int rootcache_sysfs_init(void);
void rootcache_sysfs_exit(void);

#endif /* ROOTCACHE_H */

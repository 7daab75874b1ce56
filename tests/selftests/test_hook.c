// SPDX-License-Identifier: GPL-2.0
/*
 * The hook proves itself (Documentation/rootcache.rst, "Checks").
 *
 * checked:       with the module enabled, a job's reads are redirected, every
 *                redirected folio passes the check (stats/redirect_failed
 *                stays 0) and hook_state reads "ok".
 * broken_switches_off: the test build with test_skip_redirect=1 accepts
 *                insertions without redirecting them. The check must count
 *                exactly 8 failures, switch the module off, refuse to enable
 *                it again (EIO), log one line for the first failure and one
 *                for the switch-off, and the job's cache must stay charged to
 *                the job (memory.stat).
 * disarmed:      with the kretprobe mechanism and kprobes disarmed in
 *                debugfs, hook_state reads "disarmed" and nothing is
 *                redirected; re-armed, "ok".
 * ftrace_disarmed: with the default ftrace mechanism and ftrace switched off
 *                (/proc/sys/kernel/ftrace_enabled 0), hook_state reads
 *                "disarmed" and the job's cache is charged to the job;
 *                switched on again, "ok" and redirected. Skipped where the
 *                kernel no longer lets ftrace_enabled stop ftrace (7.3
 *                refuses the write; if a kernel took it and went on
 *                tracing, the job's cache is still redirected, and
 *                hook_state must read "ok"). With ftrace direct calls
 *                (5.10) the kernel must refuse it with EBUSY (its
 *                direct_ops is permanent), and the hook goes on working.
 * mechanism:     by default the insertion function is wrapped through
 *                ftrace: hook_mechanism reads "ftrace", and the kernel's own
 *                list of traced functions (enabled_functions) shows it
 *                with an IPMODIFY callback of the module, or on 5.10 a
 *                direct call to the module's trampoline (and one on
 *                mem_cgroup_charge). hook_mechanism=kretprobe loads the
 *                fallback, which redirects as well and leaves no direct
 *                call; a word other than auto, ftrace or kretprobe is
 *                refused.
 * traced_too:    the function tracer on the insertion function (and on
 *                5.10 to 5.13 on mem_cgroup_charge) while the module
 *                redirects: both run (enabled_functions counts two users,
 *                the trace has the function's calls, one per insertion:
 *                making the file and the job's read insert a folio each, so
 *                fewer than 3 per folio the job had redirected, as the
 *                wrapper's own call passes no ftrace site), the job's cache
 *                still moves (root's own file charge grows by it), and
 *                disabled, the job keeps its cache.
 * call_start:    the test build with test_wrap_call_start=1 calls the
 *                insertion function at its start, through its ftrace site
 *                again, as under IBT before static calls (what bench/run's
 *                callstart measures): the callback must let the wrapper's
 *                own call through, and the job's cache moves.
 * rmmod_in_flight: the test build with test_lose_returns=1 keeps the module
 *                reference of one redirected call, as a task that died
 *                inside the probed function would. rmmod must fail at once
 *                with EAGAIN instead of waiting, and succeed once the
 *                reference is given back (kretprobe mechanism: the
 *                ftrace wrapper's calls always return).
 * optional_probes: the test build with test_probe_fail naming
 *                collapse_file and __inode_attach_wb fails their probes
 *                with ENOENT, as a kernel that inlined collapse_file() or
 *                has no cgroup writeback would: the module still loads,
 *                hook_state reads "partial collapse_file __inode_attach_wb",
 *                a job's reads are redirected, and the log names each part
 *                once with what it costs; one part alone is named alone.
 *                The insertion function stays required: failing its probe
 *                (kretprobe mechanism) refuses the load with ENOENT. On a
 *                kernel without cgroup writeback (no __inode_attach_wb) that
 *                part is never tried, so it is not named (not missing:
 *                there is no such pin), and the log says so once; the same
 *                for collapse_file on a kernel without transparent huge
 *                pages (no collapses to charge).
 * writeback_part: the module as shipped, on any kernel: the inode writeback
 *                probe is in the kernel's kprobe list exactly where the
 *                kernel has cgroup writeback (__inode_attach_wb in
 *                kallsyms); without it the module still loads (the probe
 *                is not required), logs "__inode_attach_wb not probed" once,
 *                hook_state reads as with every part, a job's reads are
 *                redirected, and a job that writes new files attaches no
 *                inode writeback (stats/redirected_inode_writeback stays).
 *
 * wrap_oops_rmmod: the test build with test_wrap_die=1 simulates a task that
 *                oopsed inside the ftrace wrapper (the guests' console
 *                check fails any run that shows a real oops): the first
 *                redirected call runs the die notifier's check from inside
 *                the wrapper and keeps its count. The module must find the
 *                wrapper on that stack, log one line and pin itself: rmmod
 *                fails at once with EAGAIN, as with the kretprobe, instead
 *                of waiting for ever; test_wrap_revive takes it back.
 * unregister_fails: the test build with test_unregister_fail=1 fails the
 *                detach from ftrace with ENODEV, as after an internal error
 *                of ftrace. rmmod must not free the module: after 3 s it
 *                still runs, the module is "Unloading", still attached to
 *                the insertion function, and the log says why; once the
 *                fault is cleared, the retry detaches and rmmod completes.
 * entry_window_rmmod: the test build with test_wrap_entry_spin_ms=1000
 *                holds the next task that ftrace sends to the wrapper
 *                before it counts itself in wrap_active (busy: running, not
 *                asleep), then, counted, asleep after the insertion as long
 *                (a quiescent state of RCU-tasks inside module text). With
 *                that task in the window, the module is removed. rmmod must
 *                wait until the task has counted and left (its end no
 *                earlier than spin + sleep: RCU-tasks, then the count), the
 *                reader must finish, and the module be gone.
 *                With ROOTCACHE_UNLOAD_FTRACE_OFF=1 in the environment,
 *                ftrace_enabled is set to 0 before the rmmod where the
 *                kernel allows it: before upstream 0e792b89e680,
 *                unregister_ftrace_function() then waits for no task, and a
 *                module without its own first wait finds the count 0 and
 *                frees the text under the sleeping task, which oopses (the
 *                console check fails the run). Only in a boot of its own
 *                (tests/vm/check: harness-unload-ftrace-off-*): an ops
 *                unregistered while ftrace is off keeps its flags on
 *                ftrace's records (6.12), and the next unregister WARNs.
 *
 * arm64 (kmod/arch.h): the ftrace wrapper is not built there and the
 * kretprobe is the only mechanism. "mechanism" then checks that it is the
 * default and that hook_mechanism=ftrace is refused (EOPNOTSUPP);
 * optional_probes expects the kretprobe; ftrace_disarmed, call_start,
 * wrap_oops_rmmod and unregister_fails are skipped; traced_too expects the tracer
 * alone on the functions' ftrace sites (arm64 kprobes are not on ftrace).
 * Every run says which mechanism it got ("# hook_mechanism: ...").
 *
 * The test build: rc_mod_load_testing() (lib/module.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/rc.h"

#define SIZE		MiB(16)
#define FAIL_LIMIT	8	/* ROOTCACHE_FAIL_LIMIT in kmod/rootcache.h */
#define KPROBES_ENABLED	"/sys/kernel/debug/kprobes/enabled"
#define FTRACE_ENABLED	"/proc/sys/kernel/ftrace_enabled"
#define TRACING		"/sys/kernel/debug/tracing"
#define ENABLED_FUNCS	TRACING "/enabled_functions"
#define REFCNT		"/sys/module/rootcache/refcnt"
#define PARAMS		"/sys/module/rootcache/parameters"

static int job_read(void *file)
{
	return rc_read_file(file, SIZE) ? KSFT_FAIL : KSFT_PASS;
}

/* The one-word file RC_SYSFS/@name reads @want. */
static bool sysfs_word_is(const char *name, const char *want)
{
	char path[128], buf[128] = "";

	snprintf(path, sizeof(path), RC_SYSFS "/%s", name);
	rc_read_str(path, buf, sizeof(buf));
	strtok(buf, "\n");
	if (strcmp(buf, want)) {
		rc_diag("%s: actual \"%s\", expected \"%s\"", name, buf, want);
		return false;
	}
	return true;
}

static bool hook_state_is(const char *want)
{
	return sysfs_word_is("hook_state", want);
}

/* hook_state with every part the module can have here (lib: runner.c). */
static bool hook_state_ok(void)
{
	return hook_state_is(rc_hook_state_whole());
}

/* A worse hook_state (@word): the missing parts still follow it. */
static bool hook_state_worse(const char *word)
{
	char want[64];

	snprintf(want, sizeof(want), "%s%s", word,
		 rc_collapse_unhooked() ? " collapse_file" : "");
	return hook_state_is(want);
}

static bool mechanism_is(const char *want)
{
	return sysfs_word_is("hook_mechanism", want);
}

/*
 * Where the ftrace mechanism uses direct calls (kmod/compat.h,
 * ROOTCACHE_FTRACE_DIRECT): kernels before 5.11, i.e. 5.10.
 */
static bool direct_expected(void)
{
	return rc_kernel_before(5, 11);
}

/* mem_cgroup_charge() is hooked too on 5.10 to 5.13 (the mm rewrite). */
static bool charge_hooked(void)
{
	return rc_kernel_before(5, 14);
}

struct job_result {
	long long file;		/* the kernel's file charge of the job's group */
	long long root;		/* growth of root's own file charge */
	long long redirected;	/* stats/redirected_bytes growth during the job */
	long long folios;	/* stats/redirected_folios growth during the job */
	long long failed;	/* stats/redirect_failed growth during the job */
};

static long long root_file(const char *cg __attribute__((unused)))
{
	return rc_root_file_local();
}

/*
 * A job in a fresh cgroup reads SIZE bytes of a new, uncached file. The
 * module's counters are read after the file was written and dropped from the
 * cache, so only the job's insertions count.
 */
static int run_job(const char *name, long long expect, struct job_result *r)
{
	char *file = rc_path(rc.scratch, "rctest.%d.%s", rc.main_pid, name);
	long long red0, fol0, fail0, root0;
	char *cg = NULL;
	int ret = KSFT_FAIL, st;

	if (!file || rc_make_file(file, SIZE) || rc_drop_caches())
		goto out;
	cg = rc_cg_create(name);
	if (!cg)
		goto out;
	red0 = rc_mod_stat("redirected_bytes");
	fol0 = rc_mod_stat("redirected_folios");
	fail0 = rc_mod_stat("redirect_failed");
	root0 = rc_root_file_local();
	st = rc_cg_run(cg, job_read, file);
	if (st) {
		rc_diag("job exited with status %d", st);
		goto out;
	}
	r->file = rc_settle(rc_cg_file, cg, expect, 10, expect ? 3000 : 0);
	r->root = rc_settle(root_file, NULL, root0 + SIZE - expect, 10,
			    expect ? 0 : 3000) - root0;
	r->redirected = rc_mod_stat("redirected_bytes") - red0;
	r->folios = rc_mod_stat("redirected_folios") - fol0;
	r->failed = rc_mod_stat("redirect_failed") - fail0;
	rc_diag("%s: job file %s, root's own file %+.2f MiB, redirected %+.2f MiB (%lld folios), redirect_failed %+lld",
		name, rc_size(r->file), r->root / 1048576.0,
		r->redirected / 1048576.0, r->folios, r->failed);
	ret = KSFT_PASS;
out:
	if (cg)
		rc_cg_destroy(cg);
	free(cg);
	if (file)
		unlink(file);
	free(file);
	return ret;
}

/*
 * What every redirected job must show: no file charge of its own, SIZE
 * redirected (±10%), no failed redirection. @how ends each check's label.
 */
static bool job_redirected(const struct job_result *r, const char *how)
{
	char what[96];
	bool ok = true;

	snprintf(what, sizeof(what), "job file charge%s", how);
	ok &= rc_below(what, r->file, MiB(1));
	snprintf(what, sizeof(what), "stats/redirected_bytes growth%s", how);
	ok &= rc_close(what, r->redirected, SIZE, 10);
	snprintf(what, sizeof(what), "stats/redirect_failed growth%s", how);
	ok &= rc_equal(what, r->failed, 0);
	return ok;
}

static int hook_checked(void)
{
	struct job_result r;
	int st;
	bool ok = true;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	ok &= rc_equal("stats/redirect_failed at start", rc_mod_stat("redirect_failed"), 0);
	if (run_job("checked", 0, &r))
		return KSFT_FAIL;
	ok &= job_redirected(&r, "");
	ok &= hook_state_ok();
	return ok ? KSFT_PASS : KSFT_FAIL;
}

static int broken_switches_off(void)
{
	struct job_result r;
	int st, ret = KSFT_FAIL;
	bool ok = true;

	rc_kmsg_mark();
	st = rc_mod_load_testing("enabled=1 test_skip_redirect=1");
	if (st != KSFT_PASS)
		return st;
	if (!hook_state_ok())
		goto out;
	if (run_job("broken", SIZE, &r))
		goto out;
	ok &= rc_equal("stats/redirect_failed", r.failed, FAIL_LIMIT);
	ok &= rc_equal("stats/redirected_folios growth", r.folios, 0);
	ok &= rc_equal("enabled after the failures", rc_read_ll(RC_SYSFS "/enabled"), 0);
	ok &= hook_state_worse("failed");
	/* the cache stayed with the job: the kernel charged it normally */
	ok &= rc_close("job file charge", r.file, SIZE, 10);
	ok &= rc_equal("enabling a failed hook (-errno)", rc_mod_enable(true), -EIO);
	ok &= rc_equal("enabled after the refused write", rc_read_ll(RC_SYSFS "/enabled"), 0);
	ok &= rc_equal("log lines for the first failure",
		       rc_kmsg_count("does not redirect on this kernel"), 1);
	ok &= rc_equal("log lines for switching off",
		       rc_kmsg_count("switched off after 8 folios"), 1);
	if (ok)
		ret = KSFT_PASS;
out:
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

static int disarmed(void)
{
	struct job_result r;
	int st, ret = KSFT_FAIL;
	bool ok = true;

	if (access(KPROBES_ENABLED, W_OK))
		return rc_skip("no %s (debugfs)", KPROBES_ENABLED);
	st = rc_mod_reload(rc.ko, "enabled=1 hook_mechanism=kretprobe");
	if (st != KSFT_PASS)
		return st;
	if (!hook_state_ok() || !mechanism_is("kretprobe"))
		goto out;
	if (rc_write_str(KPROBES_ENABLED, "0"))
		goto out;
	ok &= hook_state_worse("disarmed");
	if (run_job("disarmed", SIZE, &r))
		goto out;
	ok &= rc_equal("stats/redirected_bytes growth while disarmed", r.redirected, 0);
	ok &= rc_close("job file charge while disarmed", r.file, SIZE, 10);
	if (rc_write_str(KPROBES_ENABLED, "1"))
		goto out;
	ok &= hook_state_ok();
	if (run_job("rearmed", 0, &r))
		goto out;
	ok &= rc_close("stats/redirected_bytes growth re-armed", r.redirected, SIZE, 10);
	if (ok)
		ret = KSFT_PASS;
out:
	rc_write_str(KPROBES_ENABLED, "1");
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

static int ftrace_disarmed(void)
{
	struct job_result r;
	int st, ret = KSFT_FAIL;
	bool ok = true;
	char machine[65];

	if (!rc_ftrace_wrapper_built(machine, sizeof(machine)))
		return rc_skip("no ftrace wrapper on %s (kmod/arch.h)", machine);
	if (access(FTRACE_ENABLED, W_OK))
		return rc_skip("no %s", FTRACE_ENABLED);
	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	if (!hook_state_ok() || !mechanism_is("ftrace"))
		return KSFT_FAIL;
	st = rc_write_str(FTRACE_ENABLED, "0");
	if (direct_expected()) {
		rc_write_str(FTRACE_ENABLED, "1");
		ok &= rc_equal("write ftrace_enabled 0 with direct calls (-errno)",
			       st, -EBUSY);
		ok &= hook_state_ok();
		if (run_job("ftrace_busy", 0, &r))
			return KSFT_FAIL;
		ok &= rc_below("job file charge", r.file, MiB(1));
		ok &= rc_close("stats/redirected_bytes growth", r.redirected, SIZE, 10);
		return ok ? KSFT_PASS : KSFT_FAIL;
	}
	if (st)
		return rc_skip("this kernel refuses ftrace_enabled 0 (%s): ftrace cannot be switched off",
			       strerror(-st));
	if (run_job("ftrace_off", SIZE, &r))
		goto out;
	if (r.redirected > 0) {
		/* ftrace still runs the wrapper: hook_state must say "ok" */
		rc_write_str(FTRACE_ENABLED, "1");
		if (!hook_state_ok())
			return KSFT_FAIL;
		return rc_skip("ftrace_enabled 0 does not stop ftrace on this kernel (deprecated upstream)");
	}
	ok &= hook_state_worse("disarmed");
	ok &= rc_equal("stats/redirected_bytes growth with ftrace off", r.redirected, 0);
	ok &= rc_close("job file charge with ftrace off", r.file, SIZE, 10);
	if (rc_write_str(FTRACE_ENABLED, "1"))
		goto out;
	ok &= hook_state_ok();
	if (run_job("ftrace_on", 0, &r))
		goto out;
	ok &= rc_below("job file charge with ftrace on", r.file, MiB(1));
	ok &= rc_close("stats/redirected_bytes growth with ftrace on", r.redirected, SIZE, 10);
	if (ok)
		ret = KSFT_PASS;
out:
	rc_write_str(FTRACE_ENABLED, "1");
	return ret;
}

/*
 * @symbol's entry in the kernel's own list of traced functions: its line
 * and the lines after it that start with a tab (5.10: "\tdirect-->...").
 * Empty if it is not traced; false if the list cannot be read.
 */
static bool traced_entry(const char *symbol, char *entry, size_t len)
{
	size_t n = strlen(symbol), used = 0;
	bool in = false;
	char line[512];
	FILE *f = fopen(ENABLED_FUNCS, "r");

	entry[0] = '\0';
	if (!f) {
		rc_diag("%s: %s", ENABLED_FUNCS, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		if (line[0] != '\t')
			in = !strncmp(line, symbol, n) && line[n] == ' ';
		if (in && used + strlen(line) < len) {
			strcpy(entry + used, line);
			used += strlen(line);
		}
	}
	fclose(f);
	return true;
}

/* The kernel's own list of traced functions names @symbol with @what. */
static bool traced_with(const char *symbol, const char *what)
{
	char entry[1024];

	if (!traced_entry(symbol, entry, sizeof(entry)))
		return false;
	if (strstr(entry, what))
		return true;
	rc_diag("%s: no entry for %s with \"%s\" (%s)", ENABLED_FUNCS, symbol,
		what, entry[0] ? strtok(entry, "\n") : "not traced");
	return false;
}

/* ... and does not name it with @what. */
static bool traced_without(const char *symbol, const char *what)
{
	char entry[1024];

	if (!traced_entry(symbol, entry, sizeof(entry)))
		return false;
	if (!strstr(entry, what))
		return true;
	rc_diag("%s: the entry for %s has \"%s\": %s", ENABLED_FUNCS, symbol,
		what, entry);
	return false;
}

static int mechanism(void)
{
	char symbol[64] = "", machine[65];
	struct job_result r;
	int st, ret = KSFT_FAIL;
	bool ok = true;

	st = rc_mod_set(RC_UNLOADED);
	if (st != KSFT_PASS)
		return st;
	ok &= rc_equal("insmod hook_mechanism=bogus (-errno)",
		       rc_mod_load("hook_mechanism=bogus"), -EINVAL);
	ok &= rc_equal("module loaded after the refused word", !access(RC_SYSFS, F_OK), 0);
	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	rc_read_str(RC_SYSFS "/hook", symbol, sizeof(symbol));
	strtok(symbol, "\n");
	if (!rc_ftrace_wrapper_built(machine, sizeof(machine))) {
		rc_diag("hook_mechanism: kretprobe expected on %s (no ftrace wrapper: kmod/arch.h)",
			machine);
		ok &= mechanism_is("kretprobe");
		ok &= traced_without(symbol, "rootcache");
		if (run_job("mech_kretprobe", 0, &r))
			goto out;
		ok &= job_redirected(&r, " (kretprobe)");
		if (rc_mod_unload())
			return KSFT_FAIL;
		ok &= rc_equal("insmod hook_mechanism=ftrace (-errno)",
			       rc_mod_load("enabled=1 hook_mechanism=ftrace"), -EOPNOTSUPP);
		ok &= rc_equal("module loaded after hook_mechanism=ftrace", !access(RC_SYSFS, F_OK), 0);
		return ok ? KSFT_PASS : KSFT_FAIL;
	}
	rc_diag("hook_mechanism: ftrace expected on %s", machine);
	ok &= mechanism_is("ftrace");
	/* " I " is the IPMODIFY flag of the callback (5.10: direct_ops) */
	ok &= traced_with(symbol, " I ");
	if (direct_expected()) {
		ok &= traced_with(symbol, "direct-->rootcache_insert_tramp");
		ok &= traced_with("mem_cgroup_charge",
				  "direct-->rootcache_charge_tramp");
	} else {
		ok &= traced_with(symbol, "wrap_callback");
		ok &= traced_without(symbol, "direct-->");
	}
	if (run_job("mech_ftrace", 0, &r))
		return KSFT_FAIL;
	ok &= job_redirected(&r, " (ftrace)");

	st = rc_mod_reload(rc.ko, "enabled=1 hook_mechanism=kretprobe");
	if (st != KSFT_PASS)
		return st;
	ok &= mechanism_is("kretprobe");
	ok &= traced_with(symbol, "kprobe_ftrace_handler");
	ok &= traced_without(symbol, "direct-->");
	if (run_job("mech_kretprobe", 0, &r))
		goto out;
	ok &= job_redirected(&r, " (kretprobe)");
	if (ok)
		ret = KSFT_PASS;
out:
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

/* Lines of the trace buffer that record a call of @symbol. */
static long long trace_calls(const char *symbol)
{
	char line[512], pat[80];
	long long n = 0;
	FILE *f = fopen(TRACING "/trace", "r");

	if (!f)
		return -1;
	snprintf(pat, sizeof(pat), ": %s <-", symbol);
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, pat);
	fclose(f);
	return n;
}

static void tracer_off(void)
{
	int fd;

	rc_write_str(TRACING "/current_tracer", "nop");
	fd = open(TRACING "/set_ftrace_filter", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

/* Write @val to the tracefs file @name; say why not. */
static bool tracefs_write(const char *name, const char *val)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), TRACING "/%s", name);
	err = rc_write_str(path, val);
	if (err)
		rc_diag("write %s to %s: %s", val, path, strerror(-err));
	return !err;
}

static int traced_too(void)
{
	char symbol[64] = "", machine[65];
	const char *users;
	struct job_result r;
	long long calls;
	int st, fd, ret = KSFT_FAIL;
	bool ok = true;

	if (access(TRACING "/current_tracer", W_OK))
		return rc_skip("no %s/current_tracer (tracefs)", TRACING);
	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	rc_read_str(RC_SYSFS "/hook", symbol, sizeof(symbol));
	strtok(symbol, "\n");
	/* one name per write(2): the filter file takes one word per call */
	if (!tracefs_write("set_ftrace_filter", symbol) ||
	    (charge_hooked() &&
	     !tracefs_write("set_ftrace_filter", "mem_cgroup_charge")) ||
	    !tracefs_write("current_tracer", "function"))
		goto out;
	fd = open(TRACING "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	/*
	 * "(2)": the module's hook and the tracer on the same site; on arm64
	 * the kretprobe (and on 5.10 the mm rewrite's kprobe) is a breakpoint
	 * beside the site, the tracer alone on it.
	 */
	users = rc_ftrace_wrapper_built(machine, sizeof(machine)) ? "(2)" : "(1)";
	ok &= traced_with(symbol, users);
	if (charge_hooked())
		ok &= traced_with("mem_cgroup_charge", users);
	if (run_job("traced", 0, &r))
		goto out;
	calls = trace_calls(symbol);
	rc_diag("trace: %lld calls of %s, %lld of mem_cgroup_charge", calls,
		symbol, trace_calls("mem_cgroup_charge"));
	ok &= rc_at_least("traced calls of the insertion function", calls,
			  r.folios);
	/*
	 * One per insertion: making the file inserts as many folios as the
	 * job's read, so about 2 per folio the job had redirected; 4 if the
	 * wrapper's own call passed the ftrace site again.
	 */
	ok &= rc_below("traced calls of the insertion function (3 per redirected folio)",
		       calls, r.folios * 3);
	ok &= rc_below("job file charge, traced too", r.file, MiB(1));
	ok &= rc_at_least("root's own file charge growth, traced too", r.root,
			  SIZE * 8 / 10);
	ok &= rc_close("stats/redirected_bytes growth, traced too",
		       r.redirected, SIZE, 10);
	ok &= rc_equal("stats/redirect_failed growth, traced too", r.failed, 0);
	ok &= hook_state_ok();

	if (rc_mod_enable(false))
		goto out;
	if (run_job("traced_off", SIZE, &r))
		goto out;
	ok &= rc_close("job file charge, traced, disabled", r.file, SIZE, 10);
	ok &= rc_equal("stats/redirected_bytes growth, traced, disabled",
		       r.redirected, 0);
	if (ok)
		ret = KSFT_PASS;
out:
	tracer_off();
	return ret;
}

static int call_start(void)
{
	struct job_result r;
	int st, ret = KSFT_FAIL;
	bool ok = true;
	char machine[65];

	if (!rc_ftrace_wrapper_built(machine, sizeof(machine)))
		return rc_skip("no ftrace wrapper on %s (kmod/arch.h)", machine);

	st = rc_mod_load_testing("enabled=1 test_wrap_call_start=1");
	if (st != KSFT_PASS)
		return st;
	ok &= mechanism_is("ftrace");
	if (run_job("call_start", 0, &r))
		goto out;
	ok &= job_redirected(&r, "");
	ok &= hook_state_ok();
	if (ok)
		ret = KSFT_PASS;
out:
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

static int rmmod_in_flight(void)
{
	struct job_result r;
	long long t0, took;
	int st, ret = KSFT_FAIL, err = 0;
	bool ok = true;

	st = rc_mod_load_testing("enabled=1 test_lose_returns=1 hook_mechanism=kretprobe");
	if (st != KSFT_PASS)
		return st;
	if (run_job("inflight", 0, &r))
		goto out;
	ok &= rc_equal("stats/in_flight with one lost return", rc_mod_stat("in_flight"), 1);
	ok &= rc_equal("module refcnt with one lost return", rc_read_ll(REFCNT), 1);
	t0 = rc_now_ms();
	if (syscall(SYS_delete_module, "rootcache", O_NONBLOCK))
		err = errno;
	took = rc_now_ms() - t0;
	rc_diag("rmmod with a redirection in flight: %s after %lld ms",
		err ? strerror(err) : "unloaded", took);
	ok &= rc_equal("rmmod errno", err, EAGAIN);
	ok &= rc_below("rmmod time (ms)", took, 1000);
	ok &= rc_equal("module still loaded", !access(RC_SYSFS, F_OK), 1);
	if (!err)
		return KSFT_FAIL;
	if (rc_write_str("/sys/module/rootcache/parameters/test_give_back", "1"))
		goto out;
	ok &= rc_equal("stats/in_flight after the give-back", rc_mod_stat("in_flight"), 0);
	ok &= rc_equal("module refcnt after the give-back", rc_read_ll(REFCNT), 0);
	if (ok)
		ret = KSFT_PASS;
out:
	rc_write_str("/sys/module/rootcache/parameters/test_give_back", "1");
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

#define NO_WB_LOG "no cgroup writeback in this kernel: __inode_attach_wb not probed"
#define NO_THP_LOG "no transparent huge pages: collapse_file not probed"

static int optional_probes(void)
{
	char symbol[64] = "", params[160], machine[65], both[64];
	bool wb = rc_kernel_has_cgroup_writeback();
	bool thp = rc_kernel_has_thp();
	struct job_result r;
	int st, ret = KSFT_FAIL;
	bool ok = true;

	/* the parts this kernel has, both failed: each is named */
	snprintf(both, sizeof(both), "partial%s%s", thp ? " collapse_file" : "",
		 wb ? " __inode_attach_wb" : "");
	rc_kmsg_mark();
	st = rc_mod_load_testing("enabled=1 test_probe_fail=collapse_file,__inode_attach_wb");
	if (st != KSFT_PASS)
		return st;
	rc_read_str(RC_SYSFS "/hook", symbol, sizeof(symbol));
	strtok(symbol, "\n");
	ok &= hook_state_is(thp || wb ? both : "ok");
	ok &= mechanism_is(rc_ftrace_wrapper_built(machine, sizeof(machine)) ?
			   "ftrace" : "kretprobe");
	if (run_job("partial", 0, &r))
		goto out;
	ok &= job_redirected(&r, ", partial hook");
	ok &= rc_equal("log lines for collapse_file",
		       rc_kmsg_count(!thp ? NO_THP_LOG :
				     rc_collapse_needs_mm() ?
				     "not probing collapse_file: this kernel's collapse_file() needs its mm" :
				     "cannot probe collapse_file (-2): loading without it"), 1);
	ok &= rc_equal("log lines for __inode_attach_wb",
		       rc_kmsg_count("cannot probe __inode_attach_wb (-2): loading without it"), wb);
	ok &= rc_equal("log lines for no cgroup writeback", rc_kmsg_count(NO_WB_LOG), !wb);

	st = rc_mod_load_testing("enabled=1 test_probe_fail=__inode_attach_wb");
	if (st != KSFT_PASS)
		goto out;
	if (!wb)
		ok &= hook_state_ok();
	else
		ok &= hook_state_is(rc_collapse_unhooked() ?
				    "partial collapse_file __inode_attach_wb" :
				    "partial __inode_attach_wb");

	if (rc_mod_set(RC_UNLOADED) != KSFT_PASS)
		goto out;
	snprintf(params, sizeof(params),
		 "enabled=1 hook_mechanism=kretprobe test_probe_fail=%s", symbol);
	ok &= rc_equal("insmod without the insertion function (-errno)",
		       rc_mod_load_file(rc_mod_testing_ko(), params), -ENOENT);
	ok &= rc_equal("module loaded without the insertion function",
		       !access(RC_SYSFS, F_OK), 0);
	if (ok)
		ret = KSFT_PASS;
out:
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

/* Whether the kernel's kprobe list (debugfs) has a probe on @symbol. */
static bool kprobe_listed(const char *symbol)
{
	FILE *f = fopen("/sys/kernel/debug/kprobes/list", "re");
	char line[512], want[128];
	bool found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), " %s+0x", symbol);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want);
	fclose(f);
	return found;
}

static int job_new_files(void *dir)
{
	char path[256];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "%s/f%d", (char *)dir, i);
		if (rc_make_file(path, 65536))
			return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static int writeback_part(void)
{
	bool wb = rc_kernel_has_cgroup_writeback();
	char *dir = NULL, *cg = NULL;
	long long wb0, wb1;
	struct job_result r;
	int st, ret = KSFT_FAIL;
	bool ok = true;

	st = rc_mod_set(RC_UNLOADED);
	if (st != KSFT_PASS)
		return st;
	rc_kmsg_mark();
	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	rc_diag("%s: __inode_attach_wb %s in kallsyms; kprobe on it: %s; hook_state \"%s\"",
		rc.kernel, wb ? "is" : "is not",
		kprobe_listed("__inode_attach_wb") ? "yes" : "no",
		rc_hook_state_whole());
	ok &= rc_equal("kprobe on __inode_attach_wb",
		       kprobe_listed("__inode_attach_wb"), wb);
	ok &= rc_equal("log lines for no cgroup writeback", rc_kmsg_count(NO_WB_LOG), !wb);
	ok &= hook_state_ok();
	if (run_job("writeback_part", 0, &r))
		goto out;
	ok &= job_redirected(&r, "");
	if (!wb) {
		dir = rc_path(rc.scratch, "wbpart.%d", rc.main_pid);
		cg = rc_cg_create("writeback_part_files");
		if (!dir || !cg || mkdir(dir, 0755))
			goto out;
		wb0 = rc_mod_stat("redirected_inode_writeback");
		st = rc_cg_run(cg, job_new_files, dir);
		sync();
		wb1 = rc_mod_stat("redirected_inode_writeback");
		rc_diag("16 new files written and synced: redirected_inode_writeback %lld -> %lld",
			wb0, wb1);
		ok &= rc_equal("job writing new files (status)", st, 0);
		ok &= rc_equal("stats/redirected_inode_writeback growth", wb1 - wb0, 0);
	}
	if (ok)
		ret = KSFT_PASS;
out:
	if (cg)
		rc_cg_destroy(cg);
	free(cg);
	if (dir) {
		char path[256];
		int i;

		for (i = 0; i < 16; i++) {
			snprintf(path, sizeof(path), "%s/f%d", dir, i);
			unlink(path);
		}
		rmdir(dir);
	}
	free(dir);
	return ret;
}

static int wrap_oops_rmmod(void)
{
	struct job_result r;
	long long t0, took;
	int st, ret = KSFT_FAIL, err = 0;
	bool ok = true;
	char machine[65];

	if (!rc_ftrace_wrapper_built(machine, sizeof(machine)))
		return rc_skip("no ftrace wrapper on %s (kmod/arch.h)", machine);
	rc_kmsg_mark();
	st = rc_mod_load_testing("enabled=1 test_wrap_die=1");
	if (st != KSFT_PASS)
		return st;
	if (!mechanism_is("ftrace"))
		goto out;
	if (run_job("wrap_oops", 0, &r))
		goto out;
	ok &= rc_equal("module refcnt after an oops inside the wrapper", rc_read_ll(REFCNT), 1);
	ok &= rc_equal("log lines for the oops",
		       rc_kmsg_count("a task oopsed inside the wrapper"), 1);
	t0 = rc_now_ms();
	if (syscall(SYS_delete_module, "rootcache", O_NONBLOCK))
		err = errno;
	took = rc_now_ms() - t0;
	rc_diag("rmmod after an oops inside the wrapper: %s after %lld ms",
		err ? strerror(err) : "unloaded", took);
	ok &= rc_equal("rmmod errno", err, EAGAIN);
	ok &= rc_below("rmmod time (ms)", took, 1000);
	ok &= rc_equal("module still loaded", !access(RC_SYSFS, F_OK), 1);
	if (!err)
		return KSFT_FAIL;
	if (rc_write_str(PARAMS "/test_wrap_revive", "1"))
		goto out;
	ok &= rc_equal("module refcnt after the revival", rc_read_ll(REFCNT), 0);
	if (ok)
		ret = KSFT_PASS;
out:
	rc_write_str(PARAMS "/test_wrap_revive", "1");
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

/* The state column of rootcache's line in /proc/modules, or "". */
static const char *module_state(void)
{
	static char state[32];
	char line[256], name[64];
	FILE *f = fopen("/proc/modules", "r");

	state[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %*s %*s %*s %31s", name, state) == 2 &&
		    !strcmp(name, "rootcache"))
			break;
		else
			state[0] = '\0';
	if (f)
		fclose(f);
	return state;
}

static int unregister_fails(void)
{
	char symbol[64] = "", machine[65];
	long long t0;
	pid_t pid = -1, got = 0;
	int st, status = -1, ret = KSFT_FAIL;
	bool ok = true;

	if (!rc_ftrace_wrapper_built(machine, sizeof(machine)))
		return rc_skip("no ftrace wrapper on %s (kmod/arch.h)", machine);
	rc_kmsg_mark();
	st = rc_mod_load_testing("enabled=1 test_unregister_fail=1");
	if (st != KSFT_PASS)
		return st;
	if (!mechanism_is("ftrace"))
		goto out;
	rc_read_str(RC_SYSFS "/hook", symbol, sizeof(symbol));
	strtok(symbol, "\n");
	pid = fork();
	if (pid < 0)
		goto out;
	if (!pid)
		_exit(syscall(SYS_delete_module, "rootcache", O_NONBLOCK) ? errno : 0);
	rc_msleep(3000);
	got = waitpid(pid, &status, WNOHANG);
	ok &= rc_equal("rmmod returned within 3 s of a failed detach", got, 0);
	if (got)
		goto out;
	if (strcmp(module_state(), "Unloading")) {
		rc_diag("/proc/modules: state \"%s\", expected \"Unloading\"", module_state());
		ok = false;
	}
	ok &= traced_with(symbol, direct_expected() ? "direct-->rootcache_insert_tramp" :
						     "wrap_callback");
	ok &= rc_equal("log lines for the failed detach",
		       rc_kmsg_count("cannot detach from ftrace (-19)"), 1);
	if (rc_write_str(PARAMS "/test_unregister_fail", "0"))
		goto out;
	for (t0 = rc_now_ms(); !got && rc_now_ms() - t0 < 20000; rc_msleep(100))
		got = waitpid(pid, &status, WNOHANG);
	ok &= rc_equal("rmmod finished after the retry", got, pid);
	ok &= rc_equal("rmmod status", got == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	ok &= rc_equal("module gone", !access("/sys/module/rootcache", F_OK), 0);
	ok &= rc_equal("log lines for the late detach",
		       rc_kmsg_count("detached from ftrace after"), 1);
	if (ok)
		ret = KSFT_PASS;
out:
	rc_write_str(PARAMS "/test_unregister_fail", "0");
	if (pid > 0 && !got)
		waitpid(pid, &status, 0);
	if (rc_mod_unload())
		ret = KSFT_FAIL;
	return ret;
}

/*
 * As written to test_wrap_entry_spin_ms. Short: a busy wait under TCG on a
 * loaded host lasts many times longer in guest time (3000 ms once tripped
 * the 20 s soft-lockup detector on 6.12).
 */
#define ENTRY_SPIN_MS	1000

static int entry_window_rmmod(void)
{
	char *file = NULL, machine[65];
	long long t0, began = 0, since_began = 0;
	pid_t pid = -1, got = 0;
	int st, status = -1, ret = KSFT_FAIL, err = 0, off = -1;
	bool ok = true;

	if (!rc_ftrace_wrapper_built(machine, sizeof(machine)))
		return rc_skip("no ftrace wrapper on %s (kmod/arch.h)", machine);
	st = rc_mod_load_testing("enabled=1");
	if (st != KSFT_PASS)
		return st;
	if (!mechanism_is("ftrace"))
		goto out;
	file = rc_path(rc.scratch, "rctest.%d.window", rc.main_pid);
	if (!file || rc_make_file(file, SIZE) || rc_drop_caches())
		goto out;
	if (rc_write_str(PARAMS "/test_wrap_entry_spin_ms", "1000"))
		goto out;
	pid = fork();
	if (pid < 0)
		goto out;
	if (!pid)
		_exit(rc_read_file(file, SIZE) ? 1 : 0);
	/*
	 * The module says when a task took the spin (CLOCK_MONOTONIC, ms):
	 * this poll may see it late on a loaded host, the module does not.
	 */
	for (t0 = rc_now_ms(); rc_now_ms() - t0 < 10000; rc_msleep(5)) {
		began = rc_read_ll(PARAMS "/test_wrap_entry_began_ms");
		if (began > 0)
			break;
	}
	if (!rc_at_least("a task took the spin (test_wrap_entry_began_ms)",
			 began, 1) ||
	    !rc_equal("the knob read back",
		      rc_read_ll(PARAMS "/test_wrap_entry_spin_ms"), 0))
		goto out;
	if (getenv("ROOTCACHE_UNLOAD_FTRACE_OFF") &&
	    !strcmp(getenv("ROOTCACHE_UNLOAD_FTRACE_OFF"), "1")) {
		if (!access(FTRACE_ENABLED, W_OK))
			off = rc_write_str(FTRACE_ENABLED, "0");
		rc_diag("ftrace_enabled 0 with a task in the window: %s",
			off ? "refused or absent (direct calls, or no sysctl)" : "set");
	}
	if (syscall(SYS_delete_module, "rootcache", O_NONBLOCK))
		err = errno;
	since_began = rc_now_ms() - began;
	if (!off)
		rc_write_str(FTRACE_ENABLED, "1");
	rc_diag("rmmod with a task in the window: %s, %lld ms after the spin began",
		err ? strerror(err) : "unloaded", since_began);
	ok &= rc_equal("rmmod errno", err, 0);
	/*
	 * It waits until the task leaves, 2 * ENTRY_SPIN_MS after the spin
	 * began (mdelay, then msleep: neither is shorter); 50 ms for the
	 * clocks' millisecond rounding. Without the wait, rmmod returns while
	 * the task still spins.
	 */
	ok &= rc_at_least("rmmod end after the spin began (ms)", since_began,
			  2 * ENTRY_SPIN_MS - 50);
	for (t0 = rc_now_ms(); !got && rc_now_ms() - t0 < 20000; rc_msleep(50))
		got = waitpid(pid, &status, WNOHANG);
	ok &= rc_equal("the reader finished", got, pid);
	ok &= rc_equal("reader status", got == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	ok &= rc_equal("module gone", !access("/sys/module/rootcache", F_OK), 0);
	if (ok)
		ret = KSFT_PASS;
	goto done;
out:
	rc_write_str(PARAMS "/test_wrap_entry_spin_ms", "0");
	if (rc_mod_unload())
		ret = KSFT_FAIL;
done:
	if (pid > 0 && !got)
		waitpid(pid, &status, 0);
	if (file)
		unlink(file);
	free(file);
	return ret;
}

static const struct rc_test tests[] = {
	T(hook_checked, 0),
	T(broken_switches_off, 0),
	T(disarmed, 0),
	T(ftrace_disarmed, 0),
	T(mechanism, 0),
	T(traced_too, 0),
	T(call_start, 0),
	T(rmmod_in_flight, 0),
	T(optional_probes, 0),
	T(writeback_part, 0),
	T(wrap_oops_rmmod, 0),
	T(unregister_fails, 0),
	T(entry_window_rmmod, 0),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

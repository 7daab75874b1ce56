// SPDX-License-Identifier: GPL-2.0
/*
 * The sysfs ABI of /sys/kernel/rootcache (Documentation/ABI/testing/
 * sysfs-kernel-rootcache).
 *
 * hostile:     every malformed write to "enabled" fails with EINVAL and
 *              leaves the value unchanged (from 0 and from 1).
 * valid_forms: 0 1 y n yes no on off true false, any case, with or without
 *              one trailing newline, set the value they name.
 * readonly:    every other file (and the module parameters, "enabled" and
 *              "metadata" among them) has no write bit and refuses writes;
 *              "enabled", "metadata" and "target" are writable by root
 *              only (test_pool tests what "target" takes).
 * layout:      the documented files exist and read sane values.
 * metadata:    the same parser: valid forms set it, malformed writes leave
 *              it; insmod metadata=0 sets the initial value, metadata=2
 *              makes the load fail.
 * load_param:  insmod enabled=1 / enabled=0 set the initial value, a bad
 *              value makes the load fail.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/rc.h"

#define ENABLED		RC_SYSFS "/enabled"
#define METADATA	RC_SYSFS "/metadata"
/* Read-only files the ABI documents: 4 at the top, 12 in stats/, 4 parameters. */
#define NR_READONLY	20
#define PARAMS		"/sys/module/rootcache/parameters"

struct input {
	const char *buf;
	size_t len;		/* 0: strlen(buf) */
	const char *label;
};

#define S(s)		{ s, 0, NULL }
#define B(s, l)		{ s, l, NULL }	/* with NUL bytes */

static const struct input hostile[] = {
	S("\n"), S("2"), S("-1"), S("1x"), S(" 1"), S("1 "), S("1 1"),
	S("yes\n\n"), S("1\n\n"), S("\n1"), S("0x1"), S("01"), S("00"),
	S("10"), S("+1"), S("-0"), S("1.0"), S("1e0"), S("yes please"),
	S("yess"), S("ye"), S("o"), S("onn"), S("of"), S("offf"), S("t"),
	S("f"), S("truee"), S("fals"), S("nope"), S("enable"), S("disable"),
	S("1\t"), S("\t1"), S("1\r\n"), S("1\r"), S("Y\n\n"), S("on\n1"),
	S("1\nx"), S("true\nfalse"), S("\x80"), S("\xff\xfe"), S("%s%n"),
	S("NULL"), S("(null)"), S("\\n"),
	B("\0", 1), B("1\0", 2), B("\0001", 2), B("1\0\n", 3), B("y\0es", 4),
};

static const struct {
	const char *s;
	int val;
} valid[] = {
	{ "0", 0 }, { "1", 1 }, { "y", 1 }, { "n", 0 }, { "Y", 1 },
	{ "N", 0 }, { "yes", 1 }, { "no", 0 }, { "YES", 1 }, { "No", 0 },
	{ "on", 1 }, { "off", 0 }, { "ON", 1 }, { "oFf", 0 }, { "true", 1 },
	{ "false", 0 }, { "TRUE", 1 }, { "False", 0 }, { "yEs", 1 },
	{ "nO", 0 }, { "tRuE", 1 }, { "FALSE", 0 },
};

static long long enabled_value(void)
{
	return rc_read_ll(ENABLED);
}

static int write_raw(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, buf, len);
	ret = ret < 0 ? -errno : ret;
	close(fd);
	return ret;
}

static void show(char *dst, size_t n, const char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < n; i++) {
		unsigned char c = buf[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = c;
		else
			o += snprintf(dst + o, n - o, "\\x%02x", c);
	}
	if (i < len)
		snprintf(dst + o, n - o, "...(%zu bytes)", len);
	else
		dst[o] = '\0';
}

/* Write buf to "enabled" starting from value from; expect EINVAL, no change. */
static bool refused(const char *buf, size_t len, int from)
{
	char shown[96];
	long long now;
	int ret;

	if (rc_mod_enable(from)) {
		rc_diag("cannot set enabled=%d", from);
		return false;
	}
	ret = write_raw(ENABLED, buf, len);
	now = enabled_value();
	if (ret == -EINVAL && now == from)
		return true;
	show(shown, sizeof(shown), buf, len);
	rc_diag("write \"%s\" from %d: returned %d (%s), value now %lld; expected -EINVAL (%d) and %d",
		shown, from, ret, ret < 0 ? strerror(-ret) : "accepted", now,
		-EINVAL, from);
	return false;
}

static int sysfs_hostile(void)
{
	size_t i, len, n = 0, bad = 0;
	char *big;
	int from, st;

	st = rc_mod_set(RC_DISABLED);
	if (st != KSFT_PASS)
		return st;
	big = malloc(KiB(8) + 1);
	if (!big)
		return KSFT_FAIL;
	for (from = 0; from <= 1; from++) {
		for (i = 0; i < ARRAY_SIZE(hostile); i++) {
			len = hostile[i].len ? hostile[i].len :
					       strlen(hostile[i].buf);
			n++;
			bad += !refused(hostile[i].buf, len, from);
		}
		/* overlong: more than a page, valid-looking start */
		memset(big, 'a', KiB(8));
		n++;
		bad += !refused(big, KiB(5), from);
		memset(big, ' ', KiB(8));
		big[0] = '1';
		n++;
		bad += !refused(big, KiB(5), from);
		big[0] = '0';
		big[1] = '\n';
		memset(big + 2, '\n', KiB(8) - 2);
		n++;
		bad += !refused(big, KiB(4) + 100, from);
		memset(big, '\n', KiB(8));
		big[KiB(4) + 1] = '1';
		n++;
		bad += !refused(big, KiB(8), from);
		/* exactly one page of junk */
		memset(big, 'y', KiB(4));
		n++;
		bad += !refused(big, KiB(4), from);
	}
	free(big);
	rc_diag("%zu hostile writes (%zu distinct strings from 0 and from 1), %zu accepted or wrong errno",
		n, n / 2, bad);
	return bad ? KSFT_FAIL : KSFT_PASS;
}

static int sysfs_valid_forms(void)
{
	char buf[16];
	size_t i, bad = 0;
	int nl, ret, st;
	long long now;

	st = rc_mod_set(RC_DISABLED);
	if (st != KSFT_PASS)
		return st;
	for (i = 0; i < ARRAY_SIZE(valid); i++) {
		for (nl = 0; nl <= 1; nl++) {
			snprintf(buf, sizeof(buf), "%s%s", valid[i].s,
				 nl ? "\n" : "");
			if (rc_mod_enable(!valid[i].val)) {
				bad++;
				continue;
			}
			ret = write_raw(ENABLED, buf, strlen(buf));
			now = enabled_value();
			if (ret == (int)strlen(buf) && now == valid[i].val)
				continue;
			rc_diag("write \"%s%s\": returned %d, value %lld; expected %zu and %d",
				valid[i].s, nl ? "\\n" : "", ret, now,
				strlen(buf), valid[i].val);
			bad++;
		}
	}
	/* the reading is exactly "0\n" or "1\n" */
	rc_mod_enable(true);
	if (rc_read_str(ENABLED, buf, sizeof(buf)) < 0 || strcmp(buf, "1\n")) {
		rc_diag("enabled reads \"%s\", expected \"1\\n\"", buf);
		bad++;
	}
	rc_mod_enable(false);
	rc_diag("%zu valid forms tried, %zu wrong", 2 * ARRAY_SIZE(valid),
		bad);
	return bad ? KSFT_FAIL : KSFT_PASS;
}

static int check_ro(const char *path, int *bad, int *n)
{
	char before[256], after[256];
	struct stat st;
	int ret;

	if (stat(path, &st))
		return -1;
	if (S_ISDIR(st.st_mode))
		return 0;
	(*n)++;
	if (st.st_mode & 0222) {
		rc_diag("%s: mode %o has a write bit", path, st.st_mode & 0777);
		(*bad)++;
	}
	rc_read_str(path, before, sizeof(before));
	ret = write_raw(path, "0\n", 2);
	if (ret >= 0) {
		rc_diag("%s: write accepted (%d)", path, ret);
		(*bad)++;
	}
	ret = write_raw(path, "1", 1);
	if (ret >= 0) {
		rc_diag("%s: write accepted (%d)", path, ret);
		(*bad)++;
	}
	rc_read_str(path, after, sizeof(after));
	if (!strstr(path, "/stats/") && strcmp(before, after)) {
		rc_diag("%s changed: \"%s\" -> \"%s\"", path, before, after);
		(*bad)++;
	}
	return 0;
}

/* The writable files of the top directory; their parameters are read-only. */
static bool writable(const char *dir, const char *name)
{
	return !strcmp(dir, RC_SYSFS) &&
	       (!strcmp(name, "enabled") || !strcmp(name, "metadata") ||
		!strcmp(name, "scope") || !strcmp(name, "target"));
}

static void walk_ro(const char *dir, int *bad, int *n)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || writable(dir, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			walk_ro(path, bad, n);
		else
			check_ro(path, bad, n);
	}
	closedir(d);
}

static int sysfs_readonly(void)
{
	int bad = 0, n = 0, st;
	struct stat sb;

	st = rc_mod_set(RC_ENABLED);
	if (st != KSFT_PASS)
		return st;
	walk_ro(RC_SYSFS, &bad, &n);
	walk_ro(PARAMS, &bad, &n);
	if (stat(ENABLED, &sb) || (sb.st_mode & 0777) != 0644) {
		rc_diag("%s: mode %o, expected 644 (root-only write)", ENABLED,
			sb.st_mode & 0777);
		bad++;
	}
	if (stat(METADATA, &sb) || (sb.st_mode & 0777) != 0644) {
		rc_diag("%s: mode %o, expected 644 (root-only write)", METADATA,
			sb.st_mode & 0777);
		bad++;
	}
	if (stat(RC_SYSFS "/target", &sb) || (sb.st_mode & 0777) != 0644) {
		rc_diag("%s: mode %o, expected 644 (root-only write)",
			RC_SYSFS "/target", sb.st_mode & 0777);
		bad++;
	}
	if (rc_mod_mode() != RC_ENABLED) {
		rc_diag("a read-only write changed enabled");
		bad++;
	}
	rc_diag("%d read-only files checked, %d problems", n, bad);
	if (!rc_equal("read-only files", n, NR_READONLY))
		bad++;
	return bad ? KSFT_FAIL : KSFT_PASS;
}

static int sysfs_layout(void)
{
	static const char *const stats[] = {
		"redirected_folios", "redirected_bytes", "skipped_unevictable",
		"skipped_not_regular", "skipped_out_of_scope", "probe_misses",
		"in_flight", "redirect_failed", "redirected_inode_writeback",
		"redirected_metadata_folios", "redirected_collapses",
		"target_fallbacks",
	};
	char buf[128], modver[128], want[64];
	int bad = 0, st;
	regex_t re;
	size_t i;
	long long v;

	st = rc_mod_set(RC_DISABLED);
	if (st != KSFT_PASS)
		return st;
	/* the sysfs version is MODULE_VERSION's, and looks like one */
	if (rc_read_str(RC_SYSFS "/version", buf, sizeof(buf)) <= 0 ||
	    rc_read_str("/sys/module/rootcache/version", modver,
			sizeof(modver)) <= 0) {
		rc_diag("no version (rootcache/version or module version)");
		bad++;
	} else if (regcomp(&re, "^[0-9]+\\.[0-9]+\\.[0-9]+(\\+[0-9A-Za-z.]+)?\n$",
			   REG_EXTENDED | REG_NOSUB)) {
		rc_diag("regcomp failed");
		bad++;
	} else {
		if (regexec(&re, buf, 0, NULL, 0)) {
			rc_diag("version \"%s\" is not MAJOR.MINOR.PATCH[+tag]",
				strtok(buf, "\n"));
			bad++;
		}
		regfree(&re);
		if (strcmp(buf, modver)) {
			rc_diag("version \"%s\", module version \"%s\"",
				strtok(buf, "\n"), strtok(modver, "\n"));
			bad++;
		}
		rc_diag("version %s", strtok(buf, "\n"));
	}
	if (rc_read_str(RC_SYSFS "/hook", buf, sizeof(buf)) <= 0) {
		rc_diag("no hook");
		bad++;
	} else {
		strtok(buf, "\n");
		rc_diag("hook %s", buf);
		if (strcmp(buf, rc_kernel_inserts_folios() ?
			   "filemap_add_folio" : "__add_to_page_cache_locked")) {
			rc_diag("unexpected hook for %s", rc.kernel);
			bad++;
		}
	}
	snprintf(want, sizeof(want), "%s\n", rc_hook_state_whole());
	if (rc_read_str(RC_SYSFS "/hook_state", buf, sizeof(buf)) <= 0 ||
	    strcmp(buf, want)) {
		rc_diag("hook_state reads \"%s\", expected \"%s\"", buf, want);
		bad++;
	}
	for (i = 0; i < ARRAY_SIZE(stats); i++) {
		v = rc_mod_stat(stats[i]);
		rc_diag("stats/%s %lld", stats[i], v);
		if (v < 0) {
			rc_diag("stats/%s missing or negative", stats[i]);
			bad++;
		}
	}
	v = rc_read_ll(METADATA);
	if (v != 0 && v != 1) {
		rc_diag("metadata reads %lld, expected 0 or 1", v);
		bad++;
	}
	if (rc_read_ll(PARAMS "/maxactive") <= 0) {
		rc_diag("parameter maxactive missing or not positive");
		bad++;
	}
	return bad ? KSFT_FAIL : KSFT_PASS;
}

static int param_reads(int expect)
{
	char buf[16];

	if (rc_read_str(PARAMS "/enabled", buf, sizeof(buf)) <= 0)
		return -1;
	if (expect)
		return buf[0] == '1' || buf[0] == 'Y' ? 0 : -1;
	return buf[0] == '0' || buf[0] == 'N' ? 0 : -1;
}

static int sysfs_load_param(void)
{
	int ret = KSFT_FAIL, st, on;

	st = rc_mod_set(RC_UNLOADED);
	if (st != KSFT_PASS)
		return st;
	if (access(rc.ko, R_OK))
		return rc_skip("no module at %s", rc.ko);
	for (on = 0; on <= 1; on++) {
		st = rc_mod_load(on ? "enabled=1" : "enabled=0");
		if (st) {
			rc_diag("insmod enabled=%d: %s", on, strerror(-st));
			goto cleanup;
		}
		if (!rc_equal("enabled after insmod", enabled_value(), on))
			goto cleanup;
		if (param_reads(on)) {
			rc_diag("parameters/enabled does not read %d", on);
			goto cleanup;
		}
		rc_mod_enable(!on);
		if (param_reads(!on)) {
			rc_diag("parameters/enabled does not follow sysfs (%d)",
				!on);
			goto cleanup;
		}
		if (rc_mod_unload()) {
			rc_diag("rmmod failed");
			goto cleanup;
		}
	}
	st = rc_mod_load("enabled=2");
	if (!st || rc_mod_mode() != RC_UNLOADED) {
		rc_diag("insmod enabled=2 succeeded");
		goto cleanup;
	}
	rc_diag("insmod enabled=2: %s (refused)", strerror(-st));
	st = rc_mod_load("enabled=yesplease");
	if (!st) {
		rc_diag("insmod enabled=yesplease succeeded");
		goto cleanup;
	}
	ret = KSFT_PASS;
cleanup:
	rc_mod_unload();
	return ret;
}

/* Write buf to "metadata" set to from: expect ret (bytes or -errno) and then. */
static bool metadata_write(const char *buf, size_t len, int from, int ret,
			   int then)
{
	char shown[96];
	long long now;
	int got;

	if (rc_write_str(METADATA, from ? "1" : "0")) {
		rc_diag("cannot set metadata=%d", from);
		return false;
	}
	got = write_raw(METADATA, buf, len);
	now = rc_read_ll(METADATA);
	if (got == ret && now == then)
		return true;
	show(shown, sizeof(shown), buf, len);
	rc_diag("metadata: write \"%s\" from %d: returned %d, value now %lld; expected %d and %d",
		shown, from, got, now, ret, then);
	return false;
}

static int sysfs_metadata(void)
{
	size_t i, len, bad = 0, n = 0;
	int from, st;

	st = rc_mod_set(RC_UNLOADED);
	if (st != KSFT_PASS)
		return st;
	if (access(rc.ko, R_OK))
		return rc_skip("no module at %s", rc.ko);
	st = rc_mod_load("");
	if (st || !rc_equal("metadata after a plain insmod", rc_read_ll(METADATA), 1))
		goto out;
	for (from = 0; from <= 1; from++) {
		for (i = 0; i < ARRAY_SIZE(valid); i++, n++) {
			len = strlen(valid[i].s);
			bad += !metadata_write(valid[i].s, len, from, (int)len,
					       valid[i].val);
		}
		for (i = 0; i < ARRAY_SIZE(hostile); i++, n++) {
			len = hostile[i].len ? hostile[i].len :
					       strlen(hostile[i].buf);
			bad += !metadata_write(hostile[i].buf, len, from,
					       -EINVAL, from);
		}
	}
	rc_diag("%zu writes to metadata, %zu wrong", n, bad);
	if (bad || rc_mod_unload())
		goto out;
	st = rc_mod_load("metadata=0");
	if (st || !rc_equal("metadata after insmod metadata=0",
			    rc_read_ll(METADATA), 0) ||
	    rc_mod_unload())
		goto out;
	st = rc_mod_load("metadata=2");
	if (!rc_equal("insmod metadata=2 refused", !st && rc_mod_mode() != RC_UNLOADED, 0))
		goto out;
	rc_mod_unload();
	return KSFT_PASS;
out:
	rc_mod_unload();
	return KSFT_FAIL;
}

static const struct rc_test tests[] = {
	T(sysfs_layout, 0),
	T(sysfs_hostile, 0),
	T(sysfs_valid_forms, 0),
	T(sysfs_readonly, 0),
	T(sysfs_metadata, 0),
	T(sysfs_load_param, 0),
};

int main(int argc, char **argv)
{
	return rc_main(argc, argv, tests, ARRAY_SIZE(tests));
}

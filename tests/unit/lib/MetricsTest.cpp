// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "Fixture.h"
#include "PrometheusText.h"
#include "rootcache/Commands.h"

namespace rootcache {
namespace {

TEST(Metrics, LoadedV2) {
  test::FixtureTree t;
  t.cgroupV2(4);
  t.module(true, "11\n12\n");
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty());
  EXPECT_NE(o.text.find("rootcache_enabled 1\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_redirected_bytes_total 33554432\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_skipped_folios_total{reason=\"not_regular\"} 17\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_scope_entries 2\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_dying_memcgs 4\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_info{version=\"0.1.0\",hook=\"filemap_add_folio\"} 1\n"), std::string::npos);
  EXPECT_EQ(o.json["scope_entries"], 2);
}

// rootcache_boot_enabled: what /etc/rootcache/rootcache.conf asks for at
// boot (1 when enabled= is unset), for an alert that compares it with
// rootcache_enabled; absent without the file or when it does not parse.
TEST(Metrics, BootEnabled) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(false);
  Output o = runMetrics(t.roots(), std::nullopt);
  EXPECT_EQ(o.text.find("rootcache_boot_enabled"), std::string::npos) << o.text;
  const std::string conf = t.roots().etc + "/rootcache/rootcache.conf";
  test::FixtureTree::put(conf, "enabled=1\n");
  o = runMetrics(t.roots(), std::nullopt);
  EXPECT_NE(o.text.find("rootcache_boot_enabled 1\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("rootcache_enabled 0\n"), std::string::npos) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty());
  test::FixtureTree::put(conf, "enabled=0\n");
  o = runMetrics(t.roots(), std::nullopt);
  EXPECT_NE(o.text.find("rootcache_boot_enabled 0\n"), std::string::npos) << o.text;
  test::FixtureTree::put(conf, "# only a target\ntarget=x\n");
  o = runMetrics(t.roots(), std::nullopt);
  EXPECT_NE(o.text.find("rootcache_boot_enabled 1\n"), std::string::npos) << o.text;
  test::FixtureTree::put(conf, "garbage\n");
  o = runMetrics(t.roots(), std::nullopt);
  EXPECT_EQ(o.exit, Exit::kOk);
  EXPECT_EQ(o.text.find("rootcache_boot_enabled"), std::string::npos) << o.text;
}

// Collapses are a counter of their own, not a generic rootcache_stat{name}.
TEST(Metrics, RedirectedCollapses) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "", {{"redirected_collapses", "32\n"}});
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
  EXPECT_NE(o.text.find("# TYPE rootcache_redirected_collapses_total counter\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("rootcache_redirected_collapses_total 32\n"), std::string::npos) << o.text;
  EXPECT_EQ(o.text.find("rootcache_stat{name=\"redirected_collapses\"}"), std::string::npos) << o.text;
}

TEST(Metrics, Metadata) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "", {{"redirected_metadata_folios", "77\n"}});
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
  EXPECT_NE(o.text.find("rootcache_metadata 1\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("rootcache_redirected_metadata_folios_total 77\n"), std::string::npos) << o.text;
  test::FixtureTree::put(t.moduleDir() + "/metadata", "0\n");
  o = runMetrics(t.roots(), std::nullopt);
  EXPECT_NE(o.text.find("rootcache_metadata 0\n"), std::string::npos) << o.text;
  std::filesystem::remove(t.moduleDir() + "/metadata");
  o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.text.find("rootcache_metadata "), std::string::npos) << o.text;
}

TEST(Metrics, HookStateAndRedirectFailed) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "", {{"redirect_failed", "5\n"}});
  test::FixtureTree::put(t.moduleDir() + "/hook_state", "disarmed\n");
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
  EXPECT_NE(o.text.find("# TYPE rootcache_hook_state gauge\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("rootcache_hook_state{state=\"ok\"} 0\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_hook_state{state=\"disarmed\"} 1\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_hook_state{state=\"failed\"} 0\n"), std::string::npos);
  EXPECT_NE(o.text.find("# TYPE rootcache_redirect_failed_total counter\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_redirect_failed_total 5\n"), std::string::npos);
  EXPECT_EQ(o.json["hook_state"], "disarmed");
  // An older module without hook_state: no state is claimed.
  std::filesystem::remove(t.moduleDir() + "/hook_state");
  o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.text.find("rootcache_hook_state"), std::string::npos);
}

// hook_mechanism: one info-style series, the mechanism in use as its label;
// none with an older module; a garbage word fails the collection, naming the
// file, as a garbage hook_state does.
TEST(Metrics, HookMechanism) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
  EXPECT_NE(o.text.find("# HELP rootcache_hook_mechanism "), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("# TYPE rootcache_hook_mechanism gauge\n"
                        "rootcache_hook_mechanism{mechanism=\"ftrace\"} 1\n"),
            std::string::npos)
      << o.text;
  EXPECT_EQ(o.text.find("mechanism=\"kretprobe\""), std::string::npos) << o.text;
  EXPECT_EQ(o.json["hook_mechanism"], "ftrace");
  test::FixtureTree::put(t.moduleDir() + "/hook_mechanism", "kretprobe\n");
  o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
  EXPECT_NE(o.text.find("rootcache_hook_mechanism{mechanism=\"kretprobe\"} 1\n"), std::string::npos) << o.text;
  EXPECT_EQ(o.text.find("mechanism=\"ftrace\""), std::string::npos) << o.text;
  EXPECT_EQ(o.json["hook_mechanism"], "kretprobe");
  // An older module without hook_mechanism: no series, no family.
  std::filesystem::remove(t.moduleDir() + "/hook_mechanism");
  o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
  EXPECT_EQ(o.text.find("rootcache_hook_mechanism"), std::string::npos) << o.text;
  EXPECT_TRUE(o.json["hook_mechanism"].is_null());
  EXPECT_NE(o.text.find("rootcache_hook_state{state=\"ok\"} 1\n"), std::string::npos) << o.text;
  // Garbage: no mechanism is claimed; the error names the file and the
  // textfile says the scrape failed.
  std::string dir = t.base() + "/textfile";
  std::filesystem::create_directory(dir);
  test::FixtureTree::put(t.moduleDir() + "/hook_mechanism", "kprobe\n");
  o = runMetrics(t.roots(), dir);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_NE(o.errors.find("unexpected value 'kprobe' in"), std::string::npos) << o.errors;
  EXPECT_NE(o.errors.find("hook_mechanism"), std::string::npos) << o.errors;
  std::string text = test::FixtureTree::get(dir + "/rootcache.prom");
  EXPECT_TRUE(test::checkPrometheusText(text).empty()) << text;
  EXPECT_NE(text.find("rootcache_scrape_error 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("rootcache_hook_mechanism"), std::string::npos) << text;
}

// Counters this tool does not know are exported too, generically.
TEST(Metrics, UnknownCounters) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "", {{"future_counter", "9\n"}, {"skipped_new_reason", "4\n"}});
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
  EXPECT_NE(o.text.find("rootcache_stat{name=\"future_counter\"} 9\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("rootcache_skipped_folios_total{reason=\"new_reason\"} 4\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_redirected_inode_writeback_total 0\n"), std::string::npos);
}

TEST(Metrics, NotLoadedStillExports) {
  test::FixtureTree t;
  t.cgroupV1(5);
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk);
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty());
  EXPECT_NE(o.text.find("rootcache_module_loaded 0\n"), std::string::npos);
  EXPECT_NE(o.text.find("rootcache_dying_memcgs 4\n"), std::string::npos);
  EXPECT_EQ(o.text.find("rootcache_enabled"), std::string::npos);
}

TEST(Metrics, Textfile) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(false);
  std::string dir = t.base() + "/textfile";
  std::filesystem::create_directory(dir);
  Output o = runMetrics(t.roots(), dir);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  std::string text = test::FixtureTree::get(dir + "/rootcache.prom");
  EXPECT_TRUE(test::checkPrometheusText(text).empty());
  EXPECT_NE(text.find("rootcache_enabled 0\n"), std::string::npos);
  // Nothing but the final file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
  EXPECT_NE(runMetrics(t.roots(), t.base() + "/nodir").exit, Exit::kOk);
}

// A textfile that cannot be written: a failure naming it, nothing on stdout.
// When collecting failed too, both errors are said, one line each.
TEST(Metrics, TextfileWriteErrors) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  const std::string dir = t.base() + "/textfile";
  std::filesystem::create_directories(dir + "/rootcache.prom");  // rename(2) onto a directory fails
  Output o = runMetrics(t.roots(), dir);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.text, "");
  EXPECT_NE(o.errors.find(dir + "/rootcache.prom"), std::string::npos) << o.errors;
  EXPECT_FALSE(o.json.contains("textfile")) << o.json.dump();
  EXPECT_TRUE(o.json.contains("error"));
  test::FixtureTree::put(t.moduleDir() + "/hook_state", "maybe\n");
  o = runMetrics(t.roots(), dir);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.text, "");
  EXPECT_EQ(std::count(o.errors.begin(), o.errors.end(), '\n'), 2) << o.errors;
  EXPECT_NE(o.errors.find("hook_state"), std::string::npos) << o.errors;
  EXPECT_NE(o.errors.find(dir + "/rootcache.prom"), std::string::npos) << o.errors;
  EXPECT_FALSE(o.json.contains("textfile")) << o.json.dump();
}

// --textfile takes the collector's directory, or a .prom file in it; any
// other path is a usage error and nothing is written.
TEST(Metrics, TextfileDirOrPromFile) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  const std::string dir = t.base() + "/textfile";
  std::filesystem::create_directory(dir);
  EXPECT_EQ(*textfilePath(dir), dir + "/rootcache.prom");
  EXPECT_EQ(*textfilePath(dir + "/"), dir + "/rootcache.prom");
  EXPECT_EQ(*textfilePath(dir + "/node.prom"), dir + "/node.prom");
  EXPECT_EQ(textfilePath(dir + "/node.txt").error().exit, Exit::kUsage);
  EXPECT_EQ(textfilePath(t.base() + "/nodir/rootcache.prom").error().exit, Exit::kUsage);
  EXPECT_EQ(textfilePath(dir + "/.prom").error().exit, Exit::kUsage);

  Output o = runMetrics(t.roots(), dir + "/node.prom");
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_NE(test::FixtureTree::get(dir + "/node.prom").find("rootcache_enabled 1\n"), std::string::npos);
  EXPECT_EQ(o.json["textfile"], dir + "/node.prom");

  o = runMetrics(t.roots(), t.base() + "/nodir");
  EXPECT_EQ(o.exit, Exit::kUsage);
  EXPECT_NE(o.errors.find("--textfile " + t.base() + "/nodir: no such directory"), std::string::npos) << o.errors;
  EXPECT_FALSE(exists(t.base() + "/nodir"));
}

// A symlink planted at the temporary name the tool used to write through
// (rootcache.prom.tmp.<pid>) must not make it write to the symlink's target.
TEST(Metrics, TextfileDoesNotFollowAPlantedSymlink) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  std::string dir = t.base() + "/textfile";
  std::filesystem::create_directory(dir);
  std::string victim = t.base() + "/victim";
  test::FixtureTree::put(victim, "precious\n");
  std::string planted = dir + "/rootcache.prom.tmp." + std::to_string(::getpid());
  ASSERT_EQ(::symlink(victim.c_str(), planted.c_str()), 0);
  Output o = runMetrics(t.roots(), dir);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(victim), "precious\n");
  EXPECT_TRUE(std::filesystem::is_symlink(planted));
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(dir + "/rootcache.prom")));
  std::string text = test::FixtureTree::get(dir + "/rootcache.prom");
  EXPECT_NE(text.find("rootcache_enabled 1\n"), std::string::npos) << text;
  EXPECT_EQ(std::filesystem::status(dir + "/rootcache.prom").permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::others_read);
}

// When collecting fails, the textfile says so instead of keeping old numbers.
TEST(Metrics, TextfileScrapeError) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  std::string dir = t.base() + "/textfile";
  std::filesystem::create_directory(dir);
  ASSERT_EQ(runMetrics(t.roots(), dir).exit, Exit::kOk);
  EXPECT_NE(test::FixtureTree::get(dir + "/rootcache.prom").find("rootcache_scrape_error 0\n"), std::string::npos);
  test::FixtureTree::put(t.moduleDir() + "/stats/redirected_bytes", "garbage\n");
  Output o = runMetrics(t.roots(), dir);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  std::string text = test::FixtureTree::get(dir + "/rootcache.prom");
  EXPECT_TRUE(test::checkPrometheusText(text).empty()) << text;
  EXPECT_NE(text.find("rootcache_scrape_error 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("rootcache_redirected_bytes_total"), std::string::npos) << text;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
}

TEST(Metrics, GarbageCounterFails) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "", {{"in_flight", "x\n"}});
  EXPECT_NE(runMetrics(t.roots(), std::nullopt).exit, Exit::kOk);
}

TEST(PrometheusCheck, FindsProblems) {
  EXPECT_TRUE(test::checkPrometheusText("# HELP a x\n# TYPE a gauge\na 1\n").empty());
  EXPECT_TRUE(test::checkPrometheusText("# TYPE a counter\na{b=\"c\\\"d\",e=\"f\"} 1.5e3\n").empty());
  EXPECT_FALSE(test::checkPrometheusText("a 1\n").empty());                          // no TYPE
  EXPECT_FALSE(test::checkPrometheusText("# TYPE a gauge\na one\n").empty());        // value
  EXPECT_FALSE(test::checkPrometheusText("# TYPE a gauge\na{b=c} 1\n").empty());     // unquoted
  EXPECT_FALSE(test::checkPrometheusText("# TYPE a gauge\na{b=\"c\" 1\n").empty());  // unterminated
  EXPECT_FALSE(test::checkPrometheusText("# TYPE a gauge\na 1\na 2\n").empty());     // duplicate
  EXPECT_FALSE(test::checkPrometheusText("# TYPE a gauge\n# TYPE a gauge\na 1\n").empty());
  EXPECT_FALSE(test::checkPrometheusText("# TYPE 1a gauge\n").empty());
  EXPECT_FALSE(test::checkPrometheusText("# TYPE a gauge\na 1").empty());  // no final newline
  EXPECT_FALSE(test::checkPrometheusText("# TYPE a bogus\na 1\n").empty());
}

// The real checker, when Debian's prometheus package provides it.
TEST(PrometheusCheck, Promtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {  // NOLINT(concurrency-mt-unsafe)
    GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  }
  test::FixtureTree t;
  t.cgroupV2(1);
  t.module(true, "3\n");
  Output o = runMetrics(t.roots(), std::nullopt);
  std::string file = t.base() + "/m.prom";
  test::FixtureTree::put(file, o.text);
  std::string cmd = "promtool check metrics < " + file;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << o.text;  // NOLINT(concurrency-mt-unsafe)
}

// Label values are escaped as the exposition format wants: '"', '\\' and
// newline. The module's version file is one such value.
TEST(Metrics, LabelValuesEscaped) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  test::FixtureTree::put(t.moduleDir() + "/version", "0.1\"x\\y\n");
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_NE(o.text.find("rootcache_info{version=\"0.1\\\"x\\\\y\",hook=\"filemap_add_folio\"} 1\n"), std::string::npos)
      << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
}

// A newline in a label value is escaped too, so that a name read from the
// kernel (here a stats file name, as a newer module could add) cannot start
// a line of its own and inject a series into the textfile.
TEST(Metrics, NewlineInALabelCannotInjectASeries) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  test::FixtureTree::put(t.moduleDir() + "/stats/x\nrootcache_enabled 0\n#", "7\n");
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.text.find("\nrootcache_enabled 0"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("rootcache_stat{name=\"x\\nrootcache_enabled 0\\n#\"} 7\n"), std::string::npos) << o.text;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
}

}  // namespace
}  // namespace rootcache

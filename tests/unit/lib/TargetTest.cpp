// SPDX-License-Identifier: GPL-2.0
// target show|set|clear, and the target in status and metrics.
#include <gtest/gtest.h>

#include "FakeKernelFs.h"
#include "Fixture.h"
#include "PrometheusText.h"
#include "rootcache/Commands.h"

namespace rootcache {
namespace {

using Op = test::FakeKernelFs::Op;

class TargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t.cgroupV2();
    t.cgV2("system.slice");
    t.cgV2("system.slice/pagecache.slice");
    pool = *inodeOf(t.roots().cgroup + "/system.slice/pagecache.slice");
    t.module(true);
    target = t.moduleDir() + "/target";
  }
  void setTarget(std::uint64_t id) const { test::FixtureTree::put(target, std::to_string(id) + "\n"); }
  test::FixtureTree t;
  std::uint64_t pool = 0;
  std::string target;
};

TEST_F(TargetTest, SetWritesTheIdOfThePath) {
  Output o = runTarget(t.roots(), TargetAction::kSet, "system.slice/pagecache.slice");
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_EQ(test::FixtureTree::get(target), std::to_string(pool) + "\n");
  EXPECT_EQ(o.json["target"]["id"], pool);
  EXPECT_EQ(o.json["target"]["path"], "/system.slice/pagecache.slice");
  EXPECT_EQ(o.json["previous"], 0);
  EXPECT_NE(o.text.find("/system.slice/pagecache.slice (" + std::to_string(pool) + ")"), std::string::npos) << o.text;
}

TEST_F(TargetTest, SetAbsolutePath) {
  Output o = runTarget(t.roots(), TargetAction::kSet, t.roots().cgroup + "/system.slice/pagecache.slice");
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_EQ(test::FixtureTree::get(target), std::to_string(pool) + "\n");
}

// The root cgroup is "no target": 0, never root's own ID.
TEST_F(TargetTest, SetRootWritesZero) {
  setTarget(pool);
  Output o = runTarget(t.roots(), TargetAction::kSet, "/");
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_EQ(test::FixtureTree::get(target), "0\n");
  EXPECT_EQ(o.json["target"]["root"], true);
  EXPECT_EQ(o.json["previous"], pool);
}

TEST_F(TargetTest, SetMissingPathChangesNothing) {
  setTarget(pool);
  Output o = runTarget(t.roots(), TargetAction::kSet, "/no/such");
  EXPECT_EQ(o.exit, Exit::kUsage) << o.errors;
  EXPECT_EQ(test::FixtureTree::get(target), std::to_string(pool) + "\n");
}

TEST_F(TargetTest, ClearWritesZero) {
  setTarget(pool);
  Output o = runTarget(t.roots(), TargetAction::kClear);
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_EQ(test::FixtureTree::get(target), "0\n");
  EXPECT_EQ(o.json["previous"], pool);
  EXPECT_NE(o.text.find("root"), std::string::npos);
}

TEST_F(TargetTest, ShowRoot) {
  Output o = runTarget(t.roots(), TargetAction::kShow);
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_EQ(o.json["target"]["id"], 0);
  EXPECT_EQ(o.json["target"]["root"], true);
  EXPECT_EQ(o.json["target"]["path"], "/");
  EXPECT_EQ(o.text.rfind("target: root", 0), 0U) << o.text;
}

TEST_F(TargetTest, ShowPathAndId) {
  setTarget(pool);
  Output o = runTarget(t.roots(), TargetAction::kShow);
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_EQ(o.json["target"]["path"], "/system.slice/pagecache.slice");
  EXPECT_EQ(o.json["target"]["exists"], true);
  EXPECT_EQ(o.text, "target: /system.slice/pagecache.slice (" + std::to_string(pool) + ")\n");
}

TEST_F(TargetTest, ShowRemovedTarget) {
  setTarget(987654321);
  Output o = runTarget(t.roots(), TargetAction::kShow);
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_EQ(o.json["target"]["exists"], false);
  EXPECT_TRUE(o.json["target"]["path"].is_null());
  EXPECT_NE(o.text.find("987654321 (removed"), std::string::npos) << o.text;
}

TEST_F(TargetTest, KernelErrorsExplained) {
  struct Case {
    int err;
    Exit exit;
    const char* says;
  };
  for (const Case& c :
       {Case{ENOENT, Exit::kCheckFailed, "not a live memory cgroup"},
        Case{EOPNOTSUPP, Exit::kCheckFailed, "only root is supported"},
        Case{EINVAL, Exit::kCheckFailed, "refused target"}, Case{EACCES, Exit::kEnvironment, "needs root"},
        Case{EPERM, Exit::kEnvironment, "needs root"}}) {
    test::FakeKernelFs fs;
    fs.fail(Op::kWrite, target, c.err);
    Output o = runTarget(t.roots(), TargetAction::kSet, "/system.slice/pagecache.slice");
    EXPECT_EQ(o.exit, c.exit) << c.err << ": " << o.errors;
    EXPECT_NE(o.errors.find(c.says), std::string::npos) << o.errors;
    EXPECT_NE(o.errors.find("/system.slice/pagecache.slice"), std::string::npos) << o.errors;
  }
}

TEST_F(TargetTest, ModuleWithoutTarget) {
  std::filesystem::remove(target);
  Output o = runTarget(t.roots(), TargetAction::kShow);
  EXPECT_EQ(o.exit, Exit::kEnvironment);
  EXPECT_NE(o.errors.find("no target support"), std::string::npos) << o.errors;
  // status of an older module: no target line, not a problem.
  Output s = runStatus(t.roots());
  EXPECT_EQ(s.exit, Exit::kOk) << s.text;
  EXPECT_TRUE(s.json["module"]["target"].is_null());
  EXPECT_EQ(s.text.find("target:"), std::string::npos) << s.text;
}

TEST_F(TargetTest, GarbageTargetFileFails) {
  test::FixtureTree::put(target, "pool\n");
  EXPECT_NE(runTarget(t.roots(), TargetAction::kShow).exit, Exit::kOk);
  EXPECT_NE(runStatus(t.roots()).exit, Exit::kOk);
}

TEST_F(TargetTest, StatusShowsTargetAndFallbacks) {
  setTarget(pool);
  test::FixtureTree::put(t.moduleDir() + "/stats/target_fallbacks", "12\n");
  Output o = runStatus(t.roots());
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["module"]["target"]["id"], pool);
  EXPECT_EQ(o.json["module"]["target"]["path"], "/system.slice/pagecache.slice");
  EXPECT_NE(o.text.find("target:         /system.slice/pagecache.slice"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("target_fallbacks:"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("to the target cgroup"), std::string::npos) << o.text;
}

TEST_F(TargetTest, StatusDegradedWhenTargetRemoved) {
  setTarget(987654321);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.json["health"]["ok"], false);
  EXPECT_NE(o.text.find("target cgroup 987654321 was removed"), std::string::npos) << o.text;
}

TEST_F(TargetTest, StatusRootTargetSaysRoot) {
  Output o = runStatus(t.roots());
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["module"]["target"]["id"], 0);
  EXPECT_NE(o.text.find("target:         root"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("of all cgroups to root"), std::string::npos) << o.text;
}

TEST_F(TargetTest, MetricsExportTarget) {
  setTarget(pool);
  test::FixtureTree::put(t.moduleDir() + "/stats/target_fallbacks", "5\n");
  Output o = runMetrics(t.roots(), std::nullopt);
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_TRUE(test::checkPrometheusText(o.text).empty()) << o.text;
  EXPECT_NE(o.text.find("rootcache_target_id " + std::to_string(pool) + "\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("rootcache_target_removed 0\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("# TYPE rootcache_target_fallbacks_total counter\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("rootcache_target_fallbacks_total 5\n"), std::string::npos) << o.text;
  setTarget(987654321);
  o = runMetrics(t.roots(), std::nullopt);
  EXPECT_NE(o.text.find("rootcache_target_removed 1\n"), std::string::npos) << o.text;
  setTarget(0);
  o = runMetrics(t.roots(), std::nullopt);
  EXPECT_NE(o.text.find("rootcache_target_id 0\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("rootcache_target_removed 0\n"), std::string::npos) << o.text;
}

TEST(TargetDescribe, Forms) {
  EXPECT_EQ(describeTarget(0, std::nullopt).rfind("root", 0), 0U);
  EXPECT_EQ(describeTarget(42, "/a\nb"), "/a\\nb (42)");
  EXPECT_NE(describeTarget(42, std::nullopt).find("42 (removed"), std::string::npos);
}

}  // namespace
}  // namespace rootcache

// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include <algorithm>

#include "FakeKernelFs.h"
#include "Fixture.h"
#include "rootcache/Commands.h"

namespace rootcache {
namespace {

class ScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t.cgroupV2();
    t.cgV2("yarn");
    t.cgV2("yarn/c1");
    t.cgV2("system");
    yarn = *inodeOf(t.roots().cgroup + "/yarn");
    system = *inodeOf(t.roots().cgroup + "/system");
  }
  test::FixtureTree t;
  std::uint64_t yarn = 0;
  std::uint64_t system = 0;
};

TEST_F(ScopeTest, ListMarksStale) {
  t.module(true, std::to_string(yarn) + "\n999999999\n");
  Output o = runScope(t.roots(), ScopeAction::kList, {});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  ASSERT_EQ(o.json["scope"].size(), 2U);
  EXPECT_EQ(o.json["scope"][0]["path"], "/yarn");
  EXPECT_EQ(o.json["scope"][0]["exists"], true);
  EXPECT_EQ(o.json["scope"][1]["exists"], false);
  EXPECT_EQ(o.json["stale"], 1);
  EXPECT_NE(o.text.find("gone"), std::string::npos);
}

TEST_F(ScopeTest, ListEmpty) {
  t.module(true, "");
  Output o = runScope(t.roots(), ScopeAction::kList, {});
  EXPECT_EQ(o.exit, Exit::kOk);
  EXPECT_NE(o.text.find("every cgroup"), std::string::npos);
}

TEST_F(ScopeTest, AddWritesId) {
  t.module(true, "");
  Output o = runScope(t.roots(), ScopeAction::kAdd, {"/yarn"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "+" + std::to_string(yarn) + "\n");
  EXPECT_EQ(o.json["results"][0]["id"], yarn);
}

TEST_F(ScopeTest, AddAbsolutePath) {
  t.module(true, "");
  Output o = runScope(t.roots(), ScopeAction::kAdd, {t.roots().cgroup + "/system"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "+" + std::to_string(system) + "\n");
}

TEST_F(ScopeTest, AddMissingPathFails) {
  t.module(true, "");
  Output o = runScope(t.roots(), ScopeAction::kAdd, {"/nope"});
  EXPECT_EQ(o.exit, Exit::kUsage);  // as in every command that takes a cgroup
  EXPECT_EQ(o.json["results"][0]["ok"], false);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "");
}

TEST_F(ScopeTest, DelByPathOrId) {
  t.module(true, std::to_string(yarn) + "\n");
  Output o = runScope(t.roots(), ScopeAction::kDel, {"yarn"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "-" + std::to_string(yarn) + "\n");
  test::FixtureTree::put(t.moduleDir() + "/scope", "424242\n");
  o = runScope(t.roots(), ScopeAction::kDel, {"424242"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "-424242\n");
}

// Arguments are not trimmed: "/yarn " is not /yarn, "424242 " is not an ID.
TEST_F(ScopeTest, ArgumentsAreNotTrimmed) {
  t.module(true, "424242\n");
  Output o = runScope(t.roots(), ScopeAction::kAdd, {"/yarn "});
  EXPECT_EQ(o.exit, Exit::kUsage) << o.errors;
  o = runScope(t.roots(), ScopeAction::kDel, {"424242 "});
  EXPECT_EQ(o.exit, Exit::kUsage) << o.errors;
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "424242\n");
}

TEST_F(ScopeTest, Clear) {
  t.module(true, "5\n");
  Output o = runScope(t.roots(), ScopeAction::kClear, {});
  ASSERT_EQ(o.exit, Exit::kOk);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "clear\n");
}

TEST_F(ScopeTest, PruneDropsOnlyStale) {
  t.module(true, std::to_string(yarn) + "\n424242\n");
  Output o = runScope(t.roots(), ScopeAction::kPrune, {});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["pruned"], nlohmann::json::array({424242}));
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "-424242\n");
}

// Nothing stale: prune says so and writes nothing.
TEST_F(ScopeTest, PruneWithNothingStale) {
  t.module(true, std::to_string(yarn) + "\n");
  test::FakeKernelFs fs;
  Output o = runScope(t.roots(), ScopeAction::kPrune, {});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text << o.errors;
  EXPECT_EQ(o.text, "nothing to prune\n");
  EXPECT_TRUE(fs.writesTo(t.moduleDir() + "/scope").empty());
}

TEST_F(ScopeTest, ModuleWithoutScope) {
  t.module(true, "");
  std::filesystem::remove(t.moduleDir() + "/scope");
  EXPECT_EQ(runScope(t.roots(), ScopeAction::kList, {}).exit, Exit::kEnvironment);
}

TEST_F(ScopeTest, ModuleAbsent) {
  EXPECT_EQ(runScope(t.roots(), ScopeAction::kList, {}).exit, Exit::kEnvironment);
}

TEST_F(ScopeTest, GarbageScopeFile) {
  t.module(true, "12\nfoo\n");
  EXPECT_EQ(runScope(t.roots(), ScopeAction::kList, {}).exit, Exit::kCheckFailed);
}

// A path of another hierarchy (here v1 cpu and the unified one of a
// hybrid node) is not silently looked up under the memory root.
TEST(ScopeV1, OutsideMemoryHierarchySaysSo) {
  test::FixtureTree t;
  t.cgroupV1(1, true);
  t.cgV1("yarn");
  t.module(true, "");
  std::filesystem::create_directories(t.roots().cgroup + "/cpu/yarn");
  std::filesystem::create_directories(t.roots().cgroup + "/unified/yarn");
  for (const std::string& p : {t.roots().cgroup + "/cpu/yarn", t.roots().cgroup + "/unified/yarn"}) {
    Output o = runScope(t.roots(), ScopeAction::kAdd, {p});
    EXPECT_EQ(o.exit, Exit::kUsage) << o.errors;
    EXPECT_NE(o.errors.find(p + " is outside the memory hierarchy (mounted at " + t.roots().cgroup + "/memory)"),
              std::string::npos)
        << o.errors;
    EXPECT_EQ(o.text, "");
  }
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "");
  // A cgroup path that is nowhere is "no such cgroup", with the same code.
  Output o = runScope(t.roots(), ScopeAction::kAdd, {t.roots().cgroup + "/cpu/nope"});
  EXPECT_EQ(o.exit, Exit::kUsage);
  EXPECT_NE(o.errors.find("no such cgroup"), std::string::npos) << o.errors;
}

// Reports on stdout (text), failures on stderr (errors), one line each.
TEST_F(ScopeTest, ErrorsApartFromReport) {
  t.module(true, "");
  Output o = runScope(t.roots(), ScopeAction::kAdd, {"/yarn", "/nope"});
  EXPECT_EQ(o.exit, Exit::kUsage);
  EXPECT_EQ(o.text, "added /yarn (" + std::to_string(yarn) + ")\n");
  EXPECT_EQ(o.errors.rfind("rootcachectl: no such cgroup: /nope", 0), 0U) << o.errors;
  EXPECT_EQ(o.json["results"][1]["ok"], false);
}

// A name with a newline stays on one line of text, C-escaped; JSON has
// the name itself.
TEST_F(ScopeTest, NamesWithControlCharactersEscaped) {
  t.cgV2("job\nadded /system (1)");
  t.cgV2("tab\there");
  t.module(true, "");
  Output o = runScope(t.roots(), ScopeAction::kAdd, {"job\nadded /system (1)", "tab\there"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.errors;
  EXPECT_NE(o.text.find("added /job\\nadded /system (1) ("), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("added /tab\\there ("), std::string::npos) << o.text;
  EXPECT_EQ(std::count(o.text.begin(), o.text.end(), '\n'), 2);
  EXPECT_EQ(o.json["results"][0]["path"], "/job\nadded /system (1)");
  // The fixture's scope file holds what was written ("+ID"): list reads IDs.
  const auto id = *inodeOf(t.roots().cgroup + "/job\nadded /system (1)");
  test::FixtureTree::put(t.moduleDir() + "/scope", std::to_string(id) + "\n");
  o = runScope(t.roots(), ScopeAction::kList, {});
  EXPECT_NE(o.text.find(" /job\\nadded /system (1)\n"), std::string::npos) << o.text;
  EXPECT_NE(o.json.dump().find(R"x("/job\nadded /system (1)")x"), std::string::npos) << o.json.dump();
}

TEST(ScopeV1, UsesMemoryHierarchy) {
  test::FixtureTree t;
  t.cgroupV1();
  t.cgV1("hadoop-yarn");
  t.module(true, "");
  Output o = runScope(t.roots(), ScopeAction::kAdd, {"/hadoop-yarn"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  auto id = *inodeOf(t.roots().cgroup + "/memory/hadoop-yarn");
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "+" + std::to_string(id) + "\n");
}

// The kernel's answers to scope writes, through FakeKernelFs.
using Op = test::FakeKernelFs::Op;

// prune: ENOENT means someone else removed the ID meanwhile: pruned all the
// same. Any other errno is an error and the ID is not reported as dropped.
TEST_F(ScopeTest, PruneToleratesEnoentOnly) {
  t.module(true, std::to_string(yarn) + "\n424242\n515151\n");
  test::FakeKernelFs fs;
  fs.fail(Op::kWrite, t.moduleDir() + "/scope", ENOENT);
  Output o = runScope(t.roots(), ScopeAction::kPrune, {});
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["pruned"], nlohmann::json::array({424242, 515151}));
  EXPECT_FALSE(o.json.contains("error"));
  EXPECT_NE(o.text.find("dropped 515151"), std::string::npos) << o.text;
  EXPECT_EQ(fs.writesTo(t.moduleDir() + "/scope"), (std::vector<std::string>{"-424242\n", "-515151\n"}));
  for (auto [err, exit] : {std::pair{EACCES, Exit::kEnvironment}, std::pair{EINVAL, Exit::kCheckFailed},
                           std::pair{EBUSY, Exit::kCheckFailed}}) {
    test::FakeKernelFs failing;
    failing.fail(Op::kWrite, t.moduleDir() + "/scope", err);
    o = runScope(t.roots(), ScopeAction::kPrune, {});
    EXPECT_EQ(o.exit, exit) << err << ": " << o.text;
    EXPECT_EQ(o.json["pruned"], nlohmann::json::array()) << err;
    EXPECT_TRUE(o.json.contains("error")) << err;
    EXPECT_EQ(o.text.find("nothing to prune"), std::string::npos) << o.text;
  }
}

TEST_F(ScopeTest, AddErrnoExplained) {
  t.module(true, "");
  const std::string scope = t.moduleDir() + "/scope";
  struct Case {
    int err;
    Exit exit;
    const char* says;
  };
  for (const Case& c :
       {Case{ENOSPC, Exit::kCheckFailed, "scope is full"},
        Case{ENOENT, Exit::kCheckFailed, "is not a live memory cgroup"}, Case{EACCES, Exit::kEnvironment, "needs root"},
        Case{EPERM, Exit::kEnvironment, "needs root"}}) {
    test::FakeKernelFs fs;
    fs.fail(Op::kWrite, scope, c.err);
    Output o = runScope(t.roots(), ScopeAction::kAdd, {"/yarn"});
    EXPECT_EQ(o.exit, c.exit) << c.err << ": " << o.errors;
    EXPECT_EQ(o.json["results"][0]["ok"], false);
    EXPECT_NE(o.errors.find(c.says), std::string::npos) << o.errors;
  }
}

// Reading the scope file: ENOENT is a module without scope support (exit
// 3), EACCES an environment problem too.
TEST_F(ScopeTest, ScopeReadErrno) {
  t.module(true, "");
  test::FakeKernelFs fs;
  fs.fail(Op::kRead, t.moduleDir() + "/scope", ENOENT, 1);
  Output o = runScope(t.roots(), ScopeAction::kList, {});
  EXPECT_EQ(o.exit, Exit::kEnvironment) << o.errors;
  EXPECT_NE(o.errors.find("no scope support"), std::string::npos) << o.errors;
  fs.fail(Op::kRead, t.moduleDir() + "/scope", EACCES, 1);
  EXPECT_EQ(runScope(t.roots(), ScopeAction::kList, {}).exit, Exit::kEnvironment);
}

}  // namespace
}  // namespace rootcache

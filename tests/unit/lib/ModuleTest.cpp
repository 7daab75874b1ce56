// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "Fixture.h"
#include "rootcache/Module.h"

namespace rootcache {
namespace {

TEST(Module, NotLoaded) {
  test::FixtureTree t;
  ModuleClient m(t.roots());
  EXPECT_FALSE(m.loaded());
  auto st = m.read();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().exit, Exit::kEnvironment);
  EXPECT_EQ(m.setEnabled(true).error().exit, Exit::kEnvironment);
  EXPECT_EQ(m.writeScope(ScopeOp::kClear).error().exit, Exit::kEnvironment);
}

TEST(Module, ReadsEverything) {
  test::FixtureTree t;
  t.module(true, "7\n9\n");
  auto st = ModuleClient(t.roots()).read();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(st->version, "0.1.0");
  EXPECT_TRUE(st->enabled);
  EXPECT_EQ(st->hook, "filemap_add_folio");
  ASSERT_TRUE(st->scope.has_value());
  EXPECT_EQ(*st->scope, (std::vector<std::uint64_t>{7, 9}));
  EXPECT_EQ(st->stats.at("redirected_bytes"), 33554432U);
  EXPECT_EQ(st->stats.size(), kStatNames.size());
}

TEST(Module, GarbageValues) {
  test::FixtureTree t;
  t.module(true, "", {{"probe_misses", "lots\n"}});
  auto st = ModuleClient(t.roots()).read();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("probe_misses"), std::string::npos);
  test::FixtureTree::put(t.moduleDir() + "/stats/probe_misses", "0\n");
  test::FixtureTree::put(t.moduleDir() + "/enabled", "maybe\n");
  EXPECT_FALSE(ModuleClient(t.roots()).read().ok());
  test::FixtureTree::put(t.moduleDir() + "/enabled", "1\n");
  test::FixtureTree::put(t.moduleDir() + "/scope", "12\n-3\n");
  EXPECT_FALSE(ModuleClient(t.roots()).read().ok());
}

TEST(Module, MissingOptionalFiles) {
  test::FixtureTree t;
  t.module();
  std::filesystem::remove(t.moduleDir() + "/scope");
  std::filesystem::remove(t.moduleDir() + "/stats/skipped_out_of_scope");
  auto st = ModuleClient(t.roots()).read();
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->scope.has_value());
  EXPECT_EQ(st->stats.count("skipped_out_of_scope"), 0U);
  std::filesystem::remove(t.moduleDir() + "/version");
  EXPECT_FALSE(ModuleClient(t.roots()).read().ok());
}

TEST(Module, Writes) {
  test::FixtureTree t;
  t.module(false);
  ModuleClient m(t.roots());
  ASSERT_TRUE(m.setEnabled(true).ok());
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "1\n");
  ASSERT_TRUE(m.writeScope(ScopeOp::kAdd, 42).ok());
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/scope"), "+42\n");
  EXPECT_EQ(scopeCommand(ScopeOp::kDel, 5), "-5\n");
  EXPECT_EQ(scopeCommand(ScopeOp::kClear, 0), "clear\n");
}

TEST(Module, ScopeErrorsExplained) {
  Error raw{ENOSPC, "write", Exit::kCheckFailed};
  EXPECT_NE(explainScopeError(ScopeOp::kAdd, 5, raw).message.find("full"), std::string::npos);
  raw.errnum = ENOENT;
  EXPECT_NE(explainScopeError(ScopeOp::kAdd, 5, raw).message.find("not a live memory cgroup"), std::string::npos);
  EXPECT_NE(explainScopeError(ScopeOp::kDel, 5, raw).message.find("not in the scope"), std::string::npos);
  raw.errnum = EINVAL;
  EXPECT_NE(explainScopeError(ScopeOp::kDel, 5, raw).message.find("-5"), std::string::npos);
  raw.errnum = EACCES;
  EXPECT_EQ(explainScopeError(ScopeOp::kAdd, 5, raw).exit, Exit::kEnvironment);
}

}  // namespace
}  // namespace rootcache

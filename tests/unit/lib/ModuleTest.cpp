// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "FakeKernelFs.h"
#include "Fixture.h"
#include "PrometheusText.h"
#include "rootcache/Commands.h"
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
  EXPECT_EQ(st->stats.size(), kKnownStats.size());
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

// hook_mechanism: one of two words, read into ModuleState; an older module
// without the file leaves it unknown; any other word fails the read, naming
// the file (as hook_state does).
TEST(Module, HookMechanism) {
  test::FixtureTree t;
  t.module();
  auto st = ModuleClient(t.roots()).read();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(st->hookMechanism, HookMechanism::kFtrace);
  test::FixtureTree::put(t.moduleDir() + "/hook_mechanism", "kretprobe\n");
  st = ModuleClient(t.roots()).read();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(st->hookMechanism, HookMechanism::kKretprobe);
  std::filesystem::remove(t.moduleDir() + "/hook_mechanism");
  st = ModuleClient(t.roots()).read();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_FALSE(st->hookMechanism.has_value());
  for (const char* garbage : {"kprobe\n", "auto\n", "FTRACE\n", "ftrace kretprobe\n", ""}) {
    test::FixtureTree::put(t.moduleDir() + "/hook_mechanism", garbage);
    st = ModuleClient(t.roots()).read();
    ASSERT_FALSE(st.ok()) << garbage;
    EXPECT_EQ(st.error().exit, Exit::kCheckFailed);
    EXPECT_NE(st.error().message.find("hook_mechanism"), std::string::npos) << st.error().message;
  }
  EXPECT_EQ(toString(HookMechanism::kFtrace), "ftrace");
  EXPECT_EQ(toString(HookMechanism::kKretprobe), "kretprobe");
  EXPECT_EQ(parseHookMechanism(" kretprobe\n"), HookMechanism::kKretprobe);
}

// hook_state: its first word is the state; after it, the missing optional
// parts of the hook (kmod/sysfs.c).
TEST(Module, HookStatePartial) {
  test::FixtureTree t;
  t.module();
  test::FixtureTree::put(t.moduleDir() + "/hook_state", "partial collapse_file __inode_attach_wb\n");
  auto st = ModuleClient(t.roots()).read();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(st->hookState, HookState::kPartial);
  EXPECT_EQ(st->hookMissing, (std::vector<std::string>{"collapse_file", "__inode_attach_wb"}));
  test::FixtureTree::put(t.moduleDir() + "/hook_state", "disarmed collapse_file\n");
  st = ModuleClient(t.roots()).read();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(st->hookState, HookState::kDisarmed);
  EXPECT_EQ(st->hookMissing, (std::vector<std::string>{"collapse_file"}));
  test::FixtureTree::put(t.moduleDir() + "/hook_state", "ok\n");
  st = ModuleClient(t.roots()).read();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(st->hookState, HookState::kOk);
  EXPECT_TRUE(st->hookMissing.empty());
  for (const char* garbage : {"partly collapse_file\n", "\n", "OK\n"}) {
    test::FixtureTree::put(t.moduleDir() + "/hook_state", garbage);
    st = ModuleClient(t.roots()).read();
    EXPECT_FALSE(st.ok()) << garbage;
  }
  EXPECT_EQ(toString(HookState::kPartial), "partial");
  EXPECT_NE(explainHookMissing("collapse_file").find("huge-page collapses"), std::string::npos);
  EXPECT_NE(explainHookMissing("__inode_attach_wb").find("dying"), std::string::npos);
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

// The counters are whatever stats/ holds: one this tool does not know is read
// too; a directory there is not a counter.
TEST(Module, StatsFromTheDirectory) {
  test::FixtureTree t;
  t.module(true, "", {{"future_counter", "42\n"}});
  std::filesystem::create_directory(t.moduleDir() + "/stats/subdir");
  auto st = ModuleClient(t.roots()).read();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(st->stats.at("future_counter"), 42U);
  EXPECT_EQ(st->stats.at("redirected_inode_writeback"), 0U);
  EXPECT_EQ(st->stats.count("subdir"), 0U);
  EXPECT_EQ(knownStat("future_counter"), nullptr);
  ASSERT_NE(knownStat("redirect_failed"), nullptr);
  EXPECT_FALSE(knownStat("redirect_failed")->help.empty());
}

// The files Documentation/ABI/testing/sysfs-kernel-rootcache lists
// ("What:" lines), as paths under /sys.
std::vector<std::string> abiFiles() {
  std::ifstream f(ROOTCACHE_ABI_DOC);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("What:", 0) != 0) {
      continue;
    }
    std::istringstream words(line.substr(5));
    std::string path;
    words >> path;
    out.push_back(path);
  }
  return out;
}

// A counter added to the ABI and not shown by the tool turns this red, and
// so does a file the ABI lists that the fixture does not hold.
TEST(ModuleAbi, ToolShowsEveryCounterTheAbiLists) {
  auto paths = abiFiles();
  ASSERT_FALSE(paths.empty()) << "cannot read " << ROOTCACHE_ABI_DOC;
  const std::string statsPrefix = "/sys/kernel/rootcache/stats/";
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  std::vector<std::string> stats;
  for (const auto& p : paths) {
    ASSERT_EQ(p.rfind("/sys/", 0), 0U) << p;
    EXPECT_TRUE(exists(t.roots().sysfs + p.substr(4))) << "the fixture lacks " << p;
    if (p.rfind(statsPrefix, 0) == 0) {
      stats.push_back(p.substr(statsPrefix.size()));
    }
  }
  ASSERT_FALSE(stats.empty()) << "no stats/ file in " << ROOTCACHE_ABI_DOC;
  // A distinct value per counter, to find each in the exposition.
  std::map<std::string, std::uint64_t> values;
  std::uint64_t next = 7000001;
  for (const auto& name : stats) {
    values[name] = next;
    test::FixtureTree::put(t.moduleDir() + "/stats/" + name, std::to_string(next++) + "\n");
  }
  Output status = runStatus(t.roots());
  Output metrics = runMetrics(t.roots(), std::nullopt);
  ASSERT_NE(metrics.exit, Exit::kEnvironment) << metrics.text;
  EXPECT_TRUE(test::checkPrometheusText(metrics.text).empty()) << metrics.text;
  for (const auto& [name, value] : values) {
    EXPECT_EQ(status.json["module"]["stats"][name], value) << "status --json lacks " << name;
    EXPECT_NE(status.text.find(name + ":"), std::string::npos) << "status lacks " << name;
    EXPECT_EQ(metrics.json["stats"][name], value) << "metrics --json lacks " << name;
    EXPECT_NE(metrics.text.find(" " + std::to_string(value) + "\n"), std::string::npos)
        << "metrics lacks " << name << ":\n"
        << metrics.text;
    EXPECT_NE(knownStat(name), nullptr) << name << " has no help text in kKnownStats";
  }
}

using Op = test::FakeKernelFs::Op;

// A counter that vanished between the listing and its read (ENOENT: the
// module is unloading) is skipped; any other errno fails the read.
TEST(ModuleErrno, StatsReadErrors) {
  test::FixtureTree t;
  t.module(true);
  ModuleClient m(t.roots());
  test::FakeKernelFs fs;
  fs.fail(Op::kRead, t.moduleDir() + "/stats/redirect_failed", ENOENT);
  auto stats = m.stats();
  ASSERT_TRUE(stats.ok()) << stats.error().describe();
  EXPECT_EQ(stats->count("redirect_failed"), 0U);
  EXPECT_EQ(stats->at("redirected_bytes"), 33554432U);
  EXPECT_EQ(stats->size(), kKnownStats.size() - 1);
  for (int err : {EACCES, EIO, EAGAIN}) {
    test::FakeKernelFs failing;
    failing.fail(Op::kRead, t.moduleDir() + "/stats/redirect_failed", err);
    auto r = m.stats();
    ASSERT_FALSE(r.ok()) << err;
    EXPECT_EQ(r.error().errnum, err);
  }
  // No stats directory: no counters. A directory that cannot be read: error.
  fs.fail(Op::kList, t.moduleDir() + "/stats", ENOENT, 1);
  stats = m.stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_TRUE(stats->empty());
  fs.fail(Op::kList, t.moduleDir() + "/stats", EACCES, 1);
  EXPECT_FALSE(m.stats().ok());
}

// hook_state: ENOENT is an older module (unknown, not failed); EACCES fails.
TEST(ModuleErrno, HookStateReadErrors) {
  test::FixtureTree t;
  t.module(true);
  ModuleClient m(t.roots());
  test::FakeKernelFs fs;
  fs.fail(Op::kRead, t.moduleDir() + "/hook_state", ENOENT, 1);
  auto hs = m.hookState();
  ASSERT_TRUE(hs.ok());
  EXPECT_FALSE(hs->has_value());
  fs.fail(Op::kRead, t.moduleDir() + "/hook_state", EACCES, 1);
  ASSERT_FALSE(m.hookState().ok());
}

// hook_mechanism: ENOENT is an older module (unknown); EACCES fails.
TEST(ModuleErrno, HookMechanismReadErrors) {
  test::FixtureTree t;
  t.module(true);
  ModuleClient m(t.roots());
  test::FakeKernelFs fs;
  fs.fail(Op::kRead, t.moduleDir() + "/hook_mechanism", ENOENT, 1);
  auto hm = m.hookMechanism();
  ASSERT_TRUE(hm.ok());
  EXPECT_FALSE(hm->has_value());
  fs.fail(Op::kRead, t.moduleDir() + "/hook_mechanism", EACCES, 1);
  auto r = m.read();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errnum, EACCES);
  hm = m.hookMechanism();
  ASSERT_TRUE(hm.ok()) << hm.error().describe();
  EXPECT_EQ(*hm, HookMechanism::kFtrace);
}

// EACCES or EPERM writing "enabled": not root (exit 3), and the message says so.
TEST(ModuleErrno, SetEnabledWithoutRoot) {
  test::FixtureTree t;
  t.module(false);
  ModuleClient m(t.roots());
  for (int err : {EACCES, EPERM}) {
    test::FakeKernelFs fs;
    fs.fail(Op::kWrite, t.moduleDir() + "/enabled", err);
    Status s = m.setEnabled(true);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().exit, Exit::kEnvironment) << err;
    EXPECT_NE(s.error().message.find("needs root"), std::string::npos) << s.error().message;
  }
  test::FakeKernelFs fs;
  fs.fail(Op::kWrite, t.moduleDir() + "/enabled", EBUSY);
  Status s = m.setEnabled(true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().exit, Exit::kCheckFailed);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "0\n");
}

}  // namespace
}  // namespace rootcache

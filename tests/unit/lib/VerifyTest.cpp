// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "FakeKernelFs.h"
#include "Fixture.h"
#include "rootcache/Commands.h"

namespace rootcache {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;

VerifyMeasurement redirectedV1() {
  VerifyMeasurement m;
  m.enabled = true;
  m.sizeBytes = 64 * kMiB;
  m.childFileBytes = 0;
  m.rootFileBefore = 100 * kMiB;
  m.rootFileAfter = 164 * kMiB;
  m.redirectedBefore = 0;
  m.redirectedAfter = 64 * kMiB + 8192;
  m.dyingBefore = 3;
  m.dyingAfter = 3;
  return m;
}

const VerifyCheck& check(const VerifyDecision& d, const std::string& name) {
  for (const auto& c : d.checks) {
    if (c.name == name) {
      return c;
    }
  }
  throw std::runtime_error("no check " + name);
}

TEST(VerifyDecision, EnabledRedirectsPasses) {
  auto d = decideVerify(redirectedV1());
  EXPECT_TRUE(d.pass);
  for (const auto& c : d.checks) {
    EXPECT_EQ(c.verdict, Verdict::kPass) << c.name;
  }
  EXPECT_NE(d.summary.find("PASS"), std::string::npos);
}

TEST(VerifyDecision, EnabledButChargedToJobFails) {
  auto m = redirectedV1();
  m.childFileBytes = 64 * kMiB;
  m.redirectedAfter = 0;
  auto d = decideVerify(m);
  EXPECT_FALSE(d.pass);
  EXPECT_EQ(check(d, "job cgroup file charge").verdict, Verdict::kFail);
  EXPECT_EQ(check(d, "module redirected_bytes").verdict, Verdict::kFail);
}

TEST(VerifyDecision, ToleratesMetadataPages) {
  auto m = redirectedV1();
  m.childFileBytes = 172 * 1024;
  EXPECT_TRUE(decideVerify(m).pass);
}

// The job may keep a tenth of the file (at least 2 MiB), not a byte more:
// 64 MiB -> 6.4 MiB.
TEST(VerifyDecision, ToleranceIsATenthOfTheFile) {
  auto m = redirectedV1();
  const std::uint64_t tenth = m.sizeBytes / 10;
  m.childFileBytes = tenth;
  auto d = decideVerify(m);
  EXPECT_EQ(check(d, "job cgroup file charge").verdict, Verdict::kPass);
  EXPECT_EQ(check(d, "job cgroup file charge").expected, "<= 6.4 MiB");
  m.childFileBytes = tenth + 1;
  d = decideVerify(m);
  EXPECT_EQ(check(d, "job cgroup file charge").verdict, Verdict::kFail);
  EXPECT_FALSE(d.pass);
  EXPECT_NE(d.summary.find("not redirected"), std::string::npos) << d.summary;
  // A small file: the 2 MiB floor.
  m.sizeBytes = 4 * kMiB;
  m.redirectedAfter = 4 * kMiB;
  m.childFileBytes = 2 * kMiB;
  EXPECT_EQ(check(decideVerify(m), "job cgroup file charge").verdict, Verdict::kPass);
  m.childFileBytes = 2 * kMiB + 1;
  EXPECT_EQ(check(decideVerify(m), "job cgroup file charge").verdict, Verdict::kFail);
  // Disabled: the module's counter may move by the same tolerance only.
  m = redirectedV1();
  m.enabled = false;
  m.childFileBytes = m.sizeBytes;
  m.redirectedAfter = m.redirectedBefore + tenth;
  EXPECT_EQ(check(decideVerify(m), "module redirected_bytes").verdict, Verdict::kPass);
  m.redirectedAfter = m.redirectedBefore + tenth + 1;
  EXPECT_EQ(check(decideVerify(m), "module redirected_bytes").verdict, Verdict::kFail);
}

TEST(VerifyDecision, NewDyingMemcgFailsOnV1AndV2) {
  auto m = redirectedV1();
  m.dyingAfter = 4;
  auto d = decideVerify(m);
  EXPECT_FALSE(d.pass);
  EXPECT_EQ(check(d, "dying memcgs after rmdir").verdict, Verdict::kFail);
  EXPECT_NE(d.summary.find("still dying"), std::string::npos);
  m.v2 = true;
  m.metadata = true;
  d = decideVerify(m);
  EXPECT_FALSE(d.pass);
  EXPECT_EQ(check(d, "dying memcgs after rmdir").verdict, Verdict::kFail);
  EXPECT_EQ(check(d, "dying memcgs after rmdir").expected, "no new one (own parent)");
  EXPECT_EQ(check(d, "root file charge").verdict, Verdict::kInfo);
}

TEST(VerifyDecision, NewDyingMemcgOnlyWarnsWithMetadataOff) {
  auto m = redirectedV1();
  m.dyingAfter = 4;
  m.metadata = false;
  auto d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_EQ(check(d, "dying memcgs after rmdir").verdict, Verdict::kWarn);
  EXPECT_NE(check(d, "dying memcgs after rmdir").expected.find("metadata 0"), std::string::npos);
  m.dyingAfter = m.dyingBefore;
  EXPECT_EQ(check(decideVerify(m), "dying memcgs after rmdir").verdict, Verdict::kPass);
}

TEST(VerifyDecision, RootCacheShrinkingOnlyWarns) {
  auto m = redirectedV1();
  m.rootFileAfter = 90 * kMiB;
  auto d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_EQ(check(d, "root file charge").verdict, Verdict::kWarn);
}

// With a cache pool the pool's own charge is judged, on v2 too.
TEST(VerifyDecision, TargetFileChargeJudged) {
  auto m = redirectedV1();
  m.v2 = true;
  m.target = "/pagecache.slice";
  m.rootFileBefore = 0;
  m.rootFileAfter = 64 * kMiB;
  auto d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_EQ(check(d, "target file charge").verdict, Verdict::kPass);
  EXPECT_NE(check(d, "target file charge").expected.find("/pagecache.slice"), std::string::npos);
  m.rootFileAfter = 1 * kMiB;
  d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_EQ(check(d, "target file charge").verdict, Verdict::kWarn);
}

TEST(VerifyDecision, DisabledExpectsNormalCharging) {
  VerifyMeasurement m;
  m.enabled = false;
  m.sizeBytes = 64 * kMiB;
  m.childFileBytes = 64 * kMiB;
  m.redirectedBefore = m.redirectedAfter = 5 * kMiB;
  m.dyingBefore = 1;
  m.dyingAfter = 2;
  m.drainedBeforeRemoval = true;
  auto d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_NE(d.summary.find("disabled"), std::string::npos);
  EXPECT_EQ(check(d, "dying memcgs after rmdir").verdict, Verdict::kInfo);
  // Disabled but redirected anyway: fail.
  m.childFileBytes = 0;
  m.redirectedAfter = 69 * kMiB;
  d = decideVerify(m);
  EXPECT_FALSE(d.pass);
}

TEST(VerifyDecision, OutOfScopeExpectsNormalCharging) {
  VerifyMeasurement m;
  m.enabled = true;
  m.inScope = false;
  m.sizeBytes = 16 * kMiB;
  m.childFileBytes = 16 * kMiB;
  m.redirectedAfter = 100 * kMiB;  // other cgroups
  auto d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_EQ(check(d, "module redirected_bytes").verdict, Verdict::kInfo);
  EXPECT_NE(d.summary.find("outside the scope"), std::string::npos);
}

// --keep does not remove the cgroup: the dying check is skipped, not passed.
TEST(VerifyDecision, KeepSkipsTheDyingCheck) {
  auto m = redirectedV1();
  m.dyingChecked = false;
  auto d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_EQ(check(d, "dying memcgs after rmdir").verdict, Verdict::kSkip);
  EXPECT_EQ(toString(Verdict::kSkip), "SKIP");
  EXPECT_NE(d.summary.find("not checked"), std::string::npos) << d.summary;
  m.enabled = false;
  m.childFileBytes = m.sizeBytes;
  m.redirectedAfter = 0;
  EXPECT_EQ(check(decideVerify(m), "dying memcgs after rmdir").verdict, Verdict::kSkip);
}

TEST(VerifyDecision, RedirectFailedGrowthFails) {
  auto m = redirectedV1();
  m.redirectFailedBefore = 1;
  m.redirectFailedAfter = 1;
  auto d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_EQ(check(d, "module redirect_failed").verdict, Verdict::kPass);
  m.redirectFailedAfter = 4;
  d = decideVerify(m);
  EXPECT_FALSE(d.pass);
  EXPECT_EQ(check(d, "module redirect_failed").verdict, Verdict::kFail);
  EXPECT_EQ(check(d, "module redirect_failed").actual, "+3");
  EXPECT_NE(d.summary.find("redirect_failed grew by 3"), std::string::npos) << d.summary;
  // A module without the counter: no such check.
  m.redirectFailedBefore.reset();
  m.redirectFailedAfter.reset();
  d = decideVerify(m);
  EXPECT_TRUE(std::none_of(d.checks.begin(), d.checks.end(),
                           [](const VerifyCheck& c) { return c.name == "module redirect_failed"; }));
}

// A hook that does not work fails verify before the job runs.
TEST(Verify, HookStateNotOkFailsBeforeTheJob) {
  for (const char* state : {"failed", "disarmed"}) {
    test::FixtureTree t;
    t.cgroupV2();
    t.module(true);
    test::FixtureTree::put(t.moduleDir() + "/hook_state", std::string(state) + "\n");
    VerifyOptions opts;
    opts.dir = t.base();
    Output o = runVerify(t.roots(), opts);
    EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
    EXPECT_EQ(o.json["pass"], false);
    EXPECT_NE(o.text.find(std::string("hook_state is \"") + state + "\""), std::string::npos) << o.text;
    // No scratch cgroup, no file.
    for (const auto& e : std::filesystem::directory_iterator(t.roots().cgroup)) {
      EXPECT_EQ(e.path().filename().string().rfind("rootcache-verify", 0), std::string::npos) << e.path();
    }
    for (const auto& e : std::filesystem::directory_iterator(t.base())) {
      EXPECT_EQ(e.path().filename().string().rfind("rootcache-verify", 0), std::string::npos) << e.path();
    }
  }
}

// By default verify proves redirection: when it would not happen it fails.
// --expect-disabled asks for normal charging, and fails when redirection
// would happen.
TEST(VerifyExpectation, RedirectionMustBeExercised) {
  auto disabled = verifyExpectationFailure(false, true, false);
  ASSERT_TRUE(disabled.has_value());
  EXPECT_NE(disabled->find("rootcache is disabled"), std::string::npos) << *disabled;
  EXPECT_NE(disabled->find("--expect-disabled"), std::string::npos) << *disabled;
  auto outOfScope = verifyExpectationFailure(true, false, false);
  ASSERT_TRUE(outOfScope.has_value());
  EXPECT_NE(outOfScope->find("outside the scope"), std::string::npos) << *outOfScope;
  EXPECT_NE(outOfScope->find("--parent"), std::string::npos) << *outOfScope;
  EXPECT_FALSE(verifyExpectationFailure(true, true, false).has_value());
  EXPECT_FALSE(verifyExpectationFailure(false, true, true).has_value());
  EXPECT_FALSE(verifyExpectationFailure(true, false, true).has_value());
  auto redirected = verifyExpectationFailure(true, true, true);
  ASSERT_TRUE(redirected.has_value());
  EXPECT_NE(redirected->find("--expect-disabled, but"), std::string::npos) << *redirected;
}

TEST(VerifyScope, CoversTheParentAndItsAncestors) {
  // lineage: parent 30, its parent 20, root 1.
  std::vector<std::uint64_t> lineage{30, 20, 1};
  EXPECT_TRUE(scopeCovers({}, lineage));
  EXPECT_TRUE(scopeCovers({20}, lineage));
  EXPECT_TRUE(scopeCovers({99, 30}, lineage));
  EXPECT_TRUE(scopeCovers({1}, lineage));
  EXPECT_FALSE(scopeCovers({31, 40}, lineage));
}

TEST(VerifyDecision, SaysWhereDyingMemcgsWereCounted) {
  auto m = redirectedV1();
  m.dyingNodeWide = true;
  EXPECT_EQ(check(decideVerify(m), "dying memcgs after rmdir").expected, "no new one (node-wide)");
  m.dyingNodeWide = false;
  m.v2 = true;
  EXPECT_EQ(check(decideVerify(m), "dying memcgs after rmdir").expected, "no new one (own parent)");
}

// Nothing named rootcache-verify* in `dir` (recursively).
void expectNoScratch(const std::string& dir) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    EXPECT_EQ(e.path().filename().string().rfind("rootcache-verify", 0), std::string::npos) << e.path();
  }
}

// A directory for verify's file that is not on tmpfs (the fixture's may be).
std::string diskDir(const test::FixtureTree& t) {
  struct statfs fs {};
  if (::statfs(t.base().c_str(), &fs) == 0 && fs.f_type != TMPFS_MAGIC) {
    return t.base();
  }
  return "/var/tmp";
}

// The module disabled: verify fails by default, before making anything.
TEST(Verify, DisabledFailsUnlessExpected) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(false);
  VerifyOptions opts;
  opts.dir = diskDir(t);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.json["pass"], false);
  EXPECT_NE(o.text.find("FAIL: rootcache is disabled"), std::string::npos) << o.text;
  expectNoScratch(t.roots().cgroup);
  // Enabled, but the scope holds only another cgroup.
  std::string other = t.cgV2("other");
  t.module(true, std::to_string(*inodeOf(other)) + "\n");
  o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_NE(o.text.find("outside the scope"), std::string::npos) << o.text;
  expectNoScratch(t.roots().cgroup);
}

// --parent: in scope through an ancestor; --expect-disabled then fails
// before the job; an unknown parent is a usage error.
TEST(Verify, ParentInScope) {
  test::FixtureTree t;
  t.cgroupV2();
  std::string a = t.cgV2("a");
  t.cgV2("a/b");
  t.cgV2("c");
  t.module(true, std::to_string(*inodeOf(a)) + "\n");
  VerifyOptions opts;
  opts.dir = diskDir(t);
  opts.expectDisabled = true;
  opts.parent = "/a/b";
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_NE(o.text.find("--expect-disabled, but rootcache is enabled"), std::string::npos) << o.text;
  EXPECT_EQ(o.json["parent"], "/a/b");
  // Out of scope is what --expect-disabled expects: past that check (the
  // fixture then lacks c's cgroup.subtree_control).
  opts.parent = "c";
  o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.text.find("FAIL:"), std::string::npos) << o.text;
  opts.expectDisabled = false;
  o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_NE(o.text.find("outside the scope"), std::string::npos) << o.text;
  opts.parent = "/nope";
  o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kUsage) << o.errors;
  EXPECT_NE(o.errors.find("--parent"), std::string::npos) << o.errors;
  expectNoScratch(t.roots().cgroup);
}

// tmpfs is never redirected: refused as a usage error, nothing made.
TEST(Verify, RefusesTmpfsDir) {
  struct statfs fs {};
  if (::statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC) {
    GTEST_SKIP() << "/dev/shm is not a tmpfs here";
  }
  EXPECT_FALSE(checkVerifyDir("/dev/shm").ok());
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  VerifyOptions opts;
  opts.dir = "/dev/shm";
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kUsage) << o.errors;
  EXPECT_NE(o.errors.find("is on tmpfs"), std::string::npos) << o.errors;
  expectNoScratch(t.roots().cgroup);
  expectNoScratch("/dev/shm");
  EXPECT_TRUE(checkVerifyDir(diskDir(t)).ok());
}

// --dir must be a directory: a missing one or a regular file is a usage
// error that says so (statfs alone would accept a file).
TEST(Verify, DirMustBeADirectory) {
  test::FixtureTree t;
  std::string file = t.base() + "/a-file";
  test::FixtureTree::put(file, "x");
  for (const std::string& dir : {file, t.base() + "/no-such-dir"}) {
    Status s = checkVerifyDir(dir);
    ASSERT_FALSE(s.ok()) << dir;
    EXPECT_EQ(s.error().exit, Exit::kUsage) << dir;
    EXPECT_NE(s.error().message.find("is not a directory"), std::string::npos) << s.error().message;
  }
  EXPECT_TRUE(checkVerifyDir(t.base()).ok());
}

// tmpfs and ramfs, as statfs reports them; statfs's own failure is an error.
TEST(Verify, DirFilesystemFromStatfs) {
  test::FixtureTree t;
  test::FakeKernelFs fs;
  fs.fsType(t.base(), TMPFS_MAGIC);
  Status s = checkVerifyDir(t.base());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().exit, Exit::kUsage);
  EXPECT_NE(s.error().message.find("is on tmpfs"), std::string::npos) << s.error().message;
  fs.fsType(t.base(), RAMFS_MAGIC);
  s = checkVerifyDir(t.base());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("is on ramfs"), std::string::npos) << s.error().message;
  fs.fsType(t.base(), EXT4_SUPER_MAGIC);
  EXPECT_TRUE(checkVerifyDir(t.base()).ok());
  fs.fail(test::FakeKernelFs::Op::kStatfs, t.base(), EACCES);
  s = checkVerifyDir(t.base());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().errnum, EACCES);
}

TEST(Verify, EnvironmentErrors) {
  test::FixtureTree t;
  t.cgroupV2();
  VerifyOptions opts;
  EXPECT_EQ(runVerify(t.roots(), opts).exit, Exit::kEnvironment);  // module absent
  t.module(true);
  opts.dir = t.base() + "/no-such-dir";
  Output o = runVerify(t.roots(), opts);
  EXPECT_NE(o.exit, Exit::kOk);
}

// runVerify step by step, on a v2 fixture with FakeKernelFs standing in for
// the kernel: the scratch cgroups are real directories of the fixture, their
// control files are virtual, the module's redirected_bytes moves by the
// file's size during the job. The child really writes and reads a 1 MiB file.
class VerifySteps : public ::testing::Test {
 protected:
  using Op = test::FakeKernelFs::Op;

  void SetUp() override {
    t.cgroupV2();
    t.module(true);
    opts.dir = diskDir(t);
    opts.sizeMiB = 1;
    opts.settleSeconds = 0.2;
    parent = t.roots().cgroup + "/rootcache-verify-" + std::to_string(::getpid());
    job = parent + "/job";
    turnover = parent + "/turnover";
    file = opts.dir + "/rootcache-verify." + std::to_string(::getpid());
    fs.file(parent + "/cgroup.subtree_control", {""});
    fs.file(parent + "/cgroup.stat", {"nr_descendants 1\nnr_dying_descendants 0\n"});
    fs.file(job + "/cgroup.procs", {""});
    fs.file(turnover + "/cgroup.procs", {""});
    jobCharge(0);
    fs.file(t.moduleDir() + "/stats/redirected_bytes", {"33554432\n", std::to_string(33554432 + kMiB) + "\n"});
  }
  void jobCharge(std::uint64_t bytes) {
    fs.file(job + "/memory.stat", {"anon 0\nfile " + std::to_string(bytes) + "\n"});
  }
  // Nothing of verify's is left: no cgroup, no file.
  void expectCleanedUp() {
    EXPECT_FALSE(exists(parent));
    EXPECT_FALSE(exists(file));
    expectNoScratch(t.roots().cgroup);
  }

  test::FixtureTree t;
  test::FakeKernelFs fs;
  VerifyOptions opts;
  std::string parent;
  std::string job;
  std::string turnover;
  std::string file;
};

TEST_F(VerifySteps, RedirectedJobPassesAndEverythingIsRemoved) {
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["pass"], true) << o.text;
  EXPECT_EQ(o.json["in_scope"], true);
  EXPECT_EQ(o.json["cgroup_ops"], "cgroupfs");
  EXPECT_EQ(o.json["measurements"]["job_file_bytes"], 0);
  EXPECT_EQ(o.json["measurements"]["redirected_bytes_after"], 33554432 + kMiB);
  for (const auto& c : o.json["checks"]) {
    EXPECT_NE(c["result"], "FAIL") << c.dump();
  }
  // The steps, in order: parent, memory for its children, job, the child
  // joins the job; after it, the turnover cgroup and its own child (which
  // charges on each CPU), then the job, the turnover cgroup and the parent go.
  EXPECT_EQ(fs.paths(Op::kMkdir), (std::vector<std::string>{parent, job, turnover}));
  EXPECT_EQ(fs.writesTo(parent + "/cgroup.subtree_control"), std::vector<std::string>{"+memory"});
  auto attached = fs.writesTo(job + "/cgroup.procs");
  ASSERT_EQ(attached.size(), 1U);
  EXPECT_NE(attached[0], std::to_string(::getpid()));  // the child, not us
  auto charger = fs.writesTo(turnover + "/cgroup.procs");
  ASSERT_EQ(charger.size(), 1U);
  EXPECT_NE(charger[0], std::to_string(::getpid()));
  EXPECT_NE(charger[0], attached[0]);
  EXPECT_EQ(o.json["measurements"]["charge_caches_turned_over"], true);
  EXPECT_EQ(fs.paths(Op::kRmdir), (std::vector<std::string>{job, turnover, parent}));
  expectCleanedUp();
}

// The turnover is best effort: where its cgroup cannot be made, or its child
// cannot join it, verify still decides, says so in the JSON, and leaves
// nothing behind.
TEST_F(VerifySteps, TurnoverCgroupCannotBeCreated) {
  fs.fail(Op::kMkdir, turnover, ENOSPC);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["measurements"]["charge_caches_turned_over"], false);
  EXPECT_EQ(fs.paths(Op::kRmdir), (std::vector<std::string>{job, parent}));
  expectCleanedUp();
}

TEST_F(VerifySteps, TurnoverChildCannotJoin) {
  fs.fail(Op::kWrite, turnover + "/cgroup.procs", EBUSY);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["measurements"]["charge_caches_turned_over"], false);
  EXPECT_EQ(fs.paths(Op::kRmdir), (std::vector<std::string>{job, turnover, parent}));
  expectCleanedUp();
}

// With --keep nothing is removed, so nothing is turned over either.
TEST_F(VerifySteps, KeepMakesNoTurnover) {
  opts.keep = true;
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.json["measurements"]["charge_caches_turned_over"], false);
  EXPECT_EQ(fs.paths(Op::kMkdir), (std::vector<std::string>{parent, job}));
  EXPECT_TRUE(fs.paths(Op::kRmdir).empty());
}

// The scope holds the root cgroup: the scratch cgroup is in it through its
// parent's line, and redirection is what verify checks.
TEST_F(VerifySteps, InScopeThroughAnAncestor) {
  t.module(true, std::to_string(*inodeOf(t.roots().cgroup)) + "\n");
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["in_scope"], true);
  EXPECT_NE(o.text.find("PASS: the job's page cache was charged to the root cgroup"), std::string::npos) << o.text;
  // Out of the scope (another cgroup only): fails before making anything.
  std::string other = t.cgV2("other");
  t.module(true, std::to_string(*inodeOf(other)) + "\n");
  const size_t made = fs.paths(Op::kMkdir).size();
  o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.json["in_scope"], false);
  EXPECT_NE(o.text.find("outside the scope"), std::string::npos) << o.text;
  EXPECT_EQ(fs.paths(Op::kMkdir).size(), made);
}

// --expect-disabled out of the scope: the job is charged normally and
// drained before removal.
TEST_F(VerifySteps, OutOfScopeChargedNormally) {
  std::string other = t.cgV2("other");
  t.module(true, std::to_string(*inodeOf(other)) + "\n");
  opts.expectDisabled = true;
  fs.file(t.moduleDir() + "/stats/redirected_bytes", {"33554432\n"});
  jobCharge(kMiB);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["in_scope"], false);
  EXPECT_NE(o.text.find("outside the scope and was charged normally"), std::string::npos) << o.text;
  expectCleanedUp();
}

// The job kept the file's charge although redirection was expected.
TEST_F(VerifySteps, JobChargedFails) {
  jobCharge(3 * kMiB);
  fs.file(t.moduleDir() + "/stats/redirected_bytes", {"33554432\n"});
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.json["pass"], false);
  EXPECT_EQ(o.json["checks"][0]["name"], "job cgroup file charge");
  EXPECT_EQ(o.json["checks"][0]["result"], "FAIL") << o.text;
  EXPECT_EQ(o.json["checks"][1]["result"], "FAIL") << o.text;
  EXPECT_NE(o.text.find("FAIL: the job's page cache was not redirected"), std::string::npos) << o.text;
  expectCleanedUp();
}

// A new dying memcg under verify's parent fails on v2 as on v1; it only
// warns when the module's metadata switch is 0.
TEST_F(VerifySteps, DyingAfterRemovalFailsUnlessMetadataOff) {
  fs.file(parent + "/cgroup.stat", {"nr_dying_descendants 0\n", "nr_dying_descendants 1\n"});
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.json["measurements"]["dying_memcgs_after"], 1);
  EXPECT_EQ(o.json["checks"][3]["result"], "FAIL") << o.text;
  test::FixtureTree::put(t.moduleDir() + "/metadata", "0\n");
  fs.file(parent + "/cgroup.stat", {"nr_dying_descendants 0\n", "nr_dying_descendants 1\n"});
  fs.file(t.moduleDir() + "/stats/redirected_bytes", {"33554432\n", std::to_string(33554432 + kMiB) + "\n"});
  o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["checks"][3]["result"], "WARN") << o.text;
}

TEST_F(VerifySteps, NeedsRoot) {
  fs.setPrivileged(false);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kEnvironment) << o.errors;
  EXPECT_NE(o.errors.find("needs root"), std::string::npos) << o.errors;
  EXPECT_TRUE(fs.paths(Op::kMkdir).empty());
}

// Each step's errno, and what is left behind: nothing.
TEST_F(VerifySteps, ParentCannotBeCreated) {
  fs.fail(Op::kMkdir, parent, EACCES);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kEnvironment) << o.errors;
  EXPECT_NE(o.errors.find("Permission denied"), std::string::npos) << o.errors;
  EXPECT_TRUE(fs.paths(Op::kRmdir).empty());  // it was never made
  expectCleanedUp();
}

TEST_F(VerifySteps, JobCannotBeCreated) {
  fs.fail(Op::kMkdir, job, ENOSPC);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.errors;
  EXPECT_EQ(o.json["errno"], ENOSPC) << o.json.dump();
  EXPECT_NE(o.errors.find("cannot create cgroup " + job), std::string::npos) << o.errors;
  EXPECT_EQ(fs.paths(Op::kRmdir), std::vector<std::string>{parent});
  expectCleanedUp();
}

TEST_F(VerifySteps, ChildCannotJoinTheJob) {
  fs.fail(Op::kWrite, job + "/cgroup.procs", EBUSY);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.json["errno"], EBUSY) << o.json.dump();
  EXPECT_EQ(fs.paths(Op::kRmdir), (std::vector<std::string>{job, parent}));
  expectCleanedUp();
}

// rmdir of the job says EBUSY: the error is reported; the destructor tries
// again and the second attempt removes it.
TEST_F(VerifySteps, JobBusyOnRemoval) {
  fs.fail(Op::kRmdir, job, EBUSY, 1);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.errors;
  EXPECT_EQ(o.json["errno"], EBUSY) << o.json.dump();
  EXPECT_NE(o.errors.find("cannot remove cgroup " + job), std::string::npos) << o.errors;
  EXPECT_EQ(fs.paths(Op::kRmdir), (std::vector<std::string>{job, job, turnover, parent}));
  expectCleanedUp();
}

TEST_F(VerifySteps, DyingCountUnreadable) {
  fs.fail(Op::kRead, parent + "/cgroup.stat", ENOENT);
  Output o = runVerify(t.roots(), opts);
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.json["errno"], ENOENT) << o.json.dump();
  EXPECT_FALSE(exists(file));  // failed before the file was made
  expectCleanedUp();
}

}  // namespace
}  // namespace rootcache

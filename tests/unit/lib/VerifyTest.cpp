// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include <algorithm>

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

TEST(VerifyDecision, NewDyingMemcgFailsOnV1WarnsOnV2) {
  auto m = redirectedV1();
  m.dyingAfter = 4;
  auto d = decideVerify(m);
  EXPECT_FALSE(d.pass);
  EXPECT_EQ(check(d, "dying memcgs after rmdir").verdict, Verdict::kFail);
  EXPECT_NE(d.summary.find("still dying"), std::string::npos);
  m.v2 = true;
  d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_EQ(check(d, "dying memcgs after rmdir").verdict, Verdict::kWarn);
  EXPECT_EQ(check(d, "root file charge").verdict, Verdict::kInfo);
}

TEST(VerifyDecision, RootCacheShrinkingOnlyWarns) {
  auto m = redirectedV1();
  m.rootFileAfter = 90 * kMiB;
  auto d = decideVerify(m);
  EXPECT_TRUE(d.pass);
  EXPECT_EQ(check(d, "root file charge").verdict, Verdict::kWarn);
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

}  // namespace
}  // namespace rootcache

// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "Fixture.h"
#include "rootcache/Commands.h"

namespace rootcache {
namespace {

TEST(Status, HealthyV2) {
  test::FixtureTree t;
  t.cgroupV2(2);
  t.module(true);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["module"]["loaded"], true);
  EXPECT_EQ(o.json["module"]["enabled"], true);
  EXPECT_EQ(o.json["module"]["version"], "0.1.0");
  EXPECT_EQ(o.json["cgroup_mode"], "v2");
  EXPECT_EQ(o.json["dying_memcgs"], 2);
  EXPECT_EQ(o.json["kernel"], "6.1.0-test-amd64");
  EXPECT_EQ(o.json["health"]["ok"], true);
  EXPECT_NE(o.text.find("all cgroups"), std::string::npos);
  EXPECT_NE(o.text.find("health:"), std::string::npos);
}

TEST(Status, ModuleMissing) {
  test::FixtureTree t;
  t.cgroupV1(3);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kEnvironment);
  EXPECT_EQ(o.json["module"]["loaded"], false);
  EXPECT_EQ(o.json["cgroup_mode"], "v1");
  EXPECT_EQ(o.json["dying_memcgs"], 2);
  EXPECT_NE(o.json["health"]["verdict"].get<std::string>().find("not loaded"), std::string::npos);
}

TEST(Status, ProbeMissesDegrade) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "5\n", {{"probe_misses", "3\n"}});
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_EQ(o.json["health"]["ok"], false);
  EXPECT_NE(o.text.find("maxactive"), std::string::npos);
  EXPECT_EQ(o.json["module"]["scope"].size(), 1U);
}

TEST(Status, NoMemoryController) {
  test::FixtureTree t;
  t.module(false);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kEnvironment);
  EXPECT_EQ(o.json["cgroup_mode"], "none");
}

TEST(Status, GarbageCounter) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "", {{"redirected_bytes", "-12\n"}});
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_NE(o.text.find("redirected_bytes"), std::string::npos);
}

TEST(Status, Hybrid) {
  test::FixtureTree t;
  t.cgroupV1(4, true);
  t.module(true);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["cgroup_mode"], "hybrid");
  EXPECT_EQ(o.json["dying_memcgs"], 3);
  EXPECT_EQ(o.json["memory_hierarchy"], t.roots().cgroup + "/memory");
}

TEST(Status, Disabled) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(false);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk);
  EXPECT_NE(o.json["health"]["verdict"].get<std::string>().find("disabled"), std::string::npos);
}

}  // namespace
}  // namespace rootcache

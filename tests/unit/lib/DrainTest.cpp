// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "Fixture.h"
#include "rootcache/Commands.h"
#include "rootcache/Drain.h"

namespace rootcache {
namespace {

TEST(Drain, V1ForceEmpty) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.cgV1("job", 1 << 20);
  Output o = runDrain(t.roots(), {"/job"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.force_empty"), "0");
  EXPECT_EQ(o.json["results"][0]["method"], "memory.force_empty");
  EXPECT_EQ(o.json["results"][0]["file_bytes_before"], 1 << 20);
}

TEST(Drain, V2Reclaim) {
  test::FixtureTree t;
  t.cgroupV2();
  std::string d = t.cgV2("job", 8192);
  test::FixtureTree::put(d + "/memory.reclaim", "");
  Output o = runDrain(t.roots(), {"job"});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.reclaim"), "8192");
  EXPECT_EQ(o.json["results"][0]["method"], "memory.reclaim");
}

TEST(Drain, V2WithoutReclaimSaysWhy) {
  test::FixtureTree t;
  t.cgroupV2();
  t.cgV2("job", 8192);
  Output o = runDrain(t.roots(), {"job"});
  EXPECT_EQ(o.exit, Exit::kEnvironment);
  std::string err = o.json["results"][0]["error"];
  EXPECT_NE(err.find("memory.reclaim"), std::string::npos);
  EXPECT_NE(err.find("5.19"), std::string::npos);
}

TEST(Drain, RefusesRootAndMissing) {
  test::FixtureTree t;
  t.cgroupV1();
  EXPECT_EQ(runDrain(t.roots(), {"/"}).exit, Exit::kUsage);
  EXPECT_EQ(runDrain(t.roots(), {"/nope"}).exit, Exit::kCheckFailed);
}

TEST(Drain, GarbageStat) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.cgV1("job", 5);
  test::FixtureTree::put(d + "/memory.stat", "garbage\n");
  EXPECT_EQ(runDrain(t.roots(), {"job"}).exit, Exit::kCheckFailed);
}

TEST(ReleaseAgent, DrainsAndRemoves) {
  test::FixtureTree t;
  t.cgroupV1();
  std::string d = t.cgV1("yarn/c1", 4096);
  // A real cgroupfs directory can be removed with its files; a fixture
  // directory cannot: remove the files the kernel would not have.
  Output o = runReleaseAgent(t.roots(), "/yarn/c1");
  // rmdir fails on the fixture (not empty) but the drain happened.
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.force_empty"), "0");
  EXPECT_EQ(o.json["removed"], false);
  EXPECT_NE(o.exit, Exit::kOk);
}

TEST(ReleaseAgent, RemovesEmptyDirectory) {
  test::FixtureTree t;
  t.cgroupV1();
  std::filesystem::create_directories(t.roots().cgroup + "/memory/empty");
  Output o = runReleaseAgent(t.roots(), "/empty");
  // Drain fails (no files), removal still happens.
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["removed"], true);
  EXPECT_FALSE(exists(t.roots().cgroup + "/memory/empty"));
}

TEST(ReleaseAgent, AlreadyGoneIsFine) {
  test::FixtureTree t;
  t.cgroupV1();
  EXPECT_EQ(runReleaseAgent(t.roots(), "/gone").exit, Exit::kOk);
  EXPECT_EQ(runReleaseAgent(t.roots(), "/").exit, Exit::kUsage);
}

}  // namespace
}  // namespace rootcache

// SPDX-License-Identifier: GPL-2.0
// The front end as a program: exit codes, --json placement, the release
// agent name. Runs the built binary (ROOTCACHECTL) against fixture trees.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "Fixture.h"

namespace rootcache {
namespace {

struct RunResult {
  int exit = -1;
  std::string out;
};

class MainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("ROOTCACHECTL");  // NOLINT(concurrency-mt-unsafe)
    if (bin == nullptr) {
      GTEST_SKIP() << "ROOTCACHECTL not set";
    }
    ctl = bin;
  }
  RunResult run(const std::string& args, const std::string& argv0 = "") {
    const Roots& r = t.roots();
    std::string exe = argv0.empty() ? ctl : argv0;
    std::string cmd = exe + " --sysfs-root " + r.sysfs + " --cgroup-root " + r.cgroup + " --proc-root " + r.proc +
                      " --etc-root " + r.etc + " --run-root " + r.run + " " + args + " 2>&1";
    if (!argv0.empty()) {
      cmd = exe + " " + args + " 2>&1";
    }
    RunResult res;
    FILE* p = ::popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
      res.out.append(buf.data(), n);
    }
    int st = ::pclose(p);
    res.exit = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return res;
  }
  test::FixtureTree t;
  std::string ctl;
};

TEST_F(MainTest, UsageErrorsExit2) {
  EXPECT_EQ(run("").exit, 2);
  EXPECT_EQ(run("frobnicate").exit, 2);
  EXPECT_EQ(run("status --bogus").exit, 2);
  EXPECT_EQ(run("scope").exit, 2);
  EXPECT_EQ(run("drain").exit, 2);
  EXPECT_EQ(run("verify --size 0").exit, 2);
  EXPECT_EQ(run("--help").exit, 0);
  EXPECT_EQ(run("--version").exit, 0);
}

TEST_F(MainTest, StatusExitCodesAndJson) {
  t.cgroupV2();
  RunResult r = run("status --json");
  EXPECT_EQ(r.exit, 3);
  EXPECT_EQ(nlohmann::json::parse(r.out)["module"]["loaded"], false);
  t.module(true);
  r = run("--json status");
  EXPECT_EQ(r.exit, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["module"]["enabled"], true);
  r = run("status");
  EXPECT_NE(r.out.find("health:"), std::string::npos);
}

TEST_F(MainTest, EnableDisable) {
  t.cgroupV2();
  t.module(false);
  EXPECT_EQ(run("enable").exit, 0);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "1\n");
  EXPECT_EQ(run("disable --persist").exit, 0);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "0\n");
}

TEST_F(MainTest, MetricsJsonParses) {
  t.cgroupV1(3);
  t.module(true);
  RunResult r = run("metrics --json");
  ASSERT_EQ(r.exit, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["dying_memcgs"], 2);
}

TEST_F(MainTest, ErrorJsonIsJson) {
  t.cgroupV2();
  RunResult r = run("scope list --json");
  EXPECT_EQ(r.exit, 3);
  EXPECT_TRUE(nlohmann::json::parse(r.out).contains("error"));
}

TEST_F(MainTest, DrainForce) {
  t.cgroupV1();
  std::string d = t.cgV1("job", 4096);
  test::FixtureTree::put(d + "/cgroup.procs", "4242\n");
  RunResult r = run("drain /job");
  EXPECT_EQ(r.exit, 2) << r.out;
  EXPECT_NE(r.out.find("has tasks"), std::string::npos) << r.out;
  r = run("drain --force /job");
  EXPECT_EQ(r.exit, 0) << r.out;
  EXPECT_EQ(test::FixtureTree::get(d + "/memory.force_empty"), "0");
}

TEST_F(MainTest, ReleaseAgentName) {
  std::string link = t.base() + "/rootcache-release-agent";
  ASSERT_EQ(::symlink(ctl.c_str(), link.c_str()), 0);
  EXPECT_EQ(run("", link).exit, 2);  // needs exactly one argument
}

}  // namespace
}  // namespace rootcache

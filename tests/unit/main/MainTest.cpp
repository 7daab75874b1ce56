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
#include "rootcache/Fs.h"

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
  // stdout and stderr together, or stdout alone with stderr in err().
  RunResult run(const std::string& args, const std::string& argv0 = "", bool splitStderr = false) {
    const Roots& r = t.roots();
    std::string exe = argv0.empty() ? ctl : argv0;
    const std::string redirect = splitStderr ? " 2>" + errFile() : " 2>&1";
    std::string cmd = exe + " --sysfs-root " + r.sysfs + " --cgroup-root " + r.cgroup + " --proc-root " + r.proc +
                      " --etc-root " + r.etc + " --run-root " + r.run + " " + args + redirect;
    if (!argv0.empty()) {
      cmd = exe + " " + args + redirect;
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
  [[nodiscard]] std::string errFile() const { return t.base() + "/stderr"; }
  [[nodiscard]] std::string err() const { return test::FixtureTree::get(errFile()); }
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
  RunResult r = run("enable");
  EXPECT_EQ(r.exit, 0) << r.out;
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

// The testing options work but are not in --help; --json is in every
// command's --help; --textfile shows DIR.
TEST_F(MainTest, Help) {
  RunResult r = run("--help");
  ASSERT_EQ(r.exit, 0);
  for (const char* hidden : {"--sysfs-root", "--cgroup-root", "--proc-root", "--etc-root", "--run-root"}) {
    EXPECT_EQ(r.out.find(hidden), std::string::npos) << hidden << " in\n" << r.out;
  }
  EXPECT_NE(r.out.find("--json"), std::string::npos);
  for (const char* cmd : {"status", "enable", "disable", "verify", "metrics", "scope", "scope list", "scope add",
                          "scope del", "scope clear", "scope prune", "target", "target show", "target set",
                          "target clear", "drain", "release-agent"}) {
    r = run(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit, 0) << cmd;
    EXPECT_NE(r.out.find("--json"), std::string::npos) << cmd << ":\n" << r.out;
    EXPECT_EQ(r.out.find("--sysfs-root"), std::string::npos) << cmd << ":\n" << r.out;
  }
  r = run("metrics --help");
  EXPECT_NE(r.out.find("--textfile DIR"), std::string::npos) << r.out;
}

TEST_F(MainTest, JsonAfterEveryCommand) {
  t.cgroupV2();
  t.cgV2("yarn");
  t.module(true);
  for (const char* cmd :
       {"status --json", "scope list --json", "scope --json list", "metrics --json", "--json scope list"}) {
    RunResult r = run(cmd);
    EXPECT_EQ(r.exit, 0) << cmd << ": " << r.out;
    EXPECT_TRUE(nlohmann::json::accept(r.out)) << cmd << ": " << r.out;
  }
}

// Status without the module says how to load it.
TEST_F(MainTest, StatusWithoutModuleSaysHowToLoad) {
  t.cgroupV2();
  RunResult r = run("status");
  EXPECT_EQ(r.exit, 3);
  EXPECT_NE(r.out.find("modprobe rootcache enabled=1"), std::string::npos) << r.out;
}

// One mistake, one exit code: a cgroup that does not exist is 2 whichever
// command names it; the message goes to stderr, stdout stays clean.
TEST_F(MainTest, MissingCgroupSameExitEverywhere) {
  t.cgroupV1();
  t.cgV1("job", 4096);
  t.module(true);
  for (const char* cmd : {"scope add /nope", "scope del /nope", "drain /nope", "drain /job /nope"}) {
    RunResult r = run(cmd, "", true);
    EXPECT_EQ(r.exit, 2) << cmd;
    EXPECT_EQ(r.out.find("nope"), std::string::npos) << cmd << ": stdout: " << r.out;
    EXPECT_NE(err().find("rootcachectl: "), std::string::npos) << cmd;
    EXPECT_NE(err().find("no such cgroup: /nope"), std::string::npos) << cmd << ": stderr: " << err();
  }
  RunResult r = run("drain /job /nope", "", true);
  EXPECT_EQ(r.out.rfind("CGROUP", 0), 0U) << r.out;
  // With --json, stdout is the JSON, errors included; stderr is empty.
  r = run("drain --json /nope", "", true);
  EXPECT_EQ(r.exit, 2);
  EXPECT_TRUE(nlohmann::json::parse(r.out)["results"][0].contains("error"));
  EXPECT_EQ(err(), "");
}

// Every row of the command table reaches its own handler: each command
// leaves its own mark (the file it writes, the JSON key only it prints).
TEST_F(MainTest, EveryCommandReachesItsHandler) {
  t.cgroupV1();
  const std::string job = t.cgV1("job", 4096);
  const std::string id = std::to_string(*inodeOf(job));
  t.module(false, "");
  const std::string dir = t.moduleDir();
  auto file = [&](const char* name) { return test::FixtureTree::get(dir + "/" + name); };

  RunResult r = run("enable");
  EXPECT_EQ(r.exit, 0) << r.out;
  EXPECT_EQ(file("enabled"), "1\n");
  EXPECT_EQ(run("disable").exit, 0);
  EXPECT_EQ(file("enabled"), "0\n");
  EXPECT_EQ(run("scope add /job").exit, 0);
  EXPECT_EQ(file("scope"), "+" + id + "\n");
  // The fixture's files keep what was written: put back what the kernel shows.
  test::FixtureTree::put(dir + "/scope", id + "\n");
  r = run("scope del /job");
  EXPECT_EQ(r.exit, 0) << r.out;
  EXPECT_EQ(file("scope"), "-" + id + "\n");
  test::FixtureTree::put(dir + "/scope", id + "\n424242\n");
  EXPECT_EQ(run("scope prune").exit, 0);
  EXPECT_EQ(file("scope"), "-424242\n");
  test::FixtureTree::put(dir + "/scope", id + "\n");
  r = run("scope list --json");
  EXPECT_EQ(nlohmann::json::parse(r.out)["scope"][0]["path"], "/job") << r.out;
  EXPECT_EQ(run("scope clear").exit, 0);
  EXPECT_EQ(file("scope"), "clear\n");
  test::FixtureTree::put(dir + "/scope", "");
  EXPECT_EQ(run("target set /job").exit, 0);
  EXPECT_EQ(file("target"), id + "\n");
  r = run("target show --json");
  EXPECT_EQ(nlohmann::json::parse(r.out)["target"]["id"], std::stoull(id)) << r.out;
  EXPECT_EQ(run("target clear").exit, 0);
  EXPECT_EQ(file("target"), "0\n");
  EXPECT_TRUE(nlohmann::json::parse(run("status --json").out).contains("health"));
  r = run("metrics");
  EXPECT_NE(r.out.find("# TYPE rootcache_enabled gauge\n"), std::string::npos) << r.out;
  r = run("drain /job");
  EXPECT_EQ(r.exit, 0) << r.out;
  EXPECT_EQ(test::FixtureTree::get(job + "/memory.force_empty"), "0");
  r = run("release-agent /gone");
  EXPECT_EQ(r.exit, 0) << r.out;
  EXPECT_EQ(r.out, "/gone: already gone\n");
  // Disabled: verify says why it cannot run, before anything is made.
  r = run("verify --json");
  EXPECT_EQ(r.exit, 1) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["summary"].get<std::string>().rfind("FAIL: rootcache is disabled", 0), 0U)
      << r.out;
}

// The memory hierarchy found through the mount table, end to end.
TEST_F(MainTest, MountinfoNonStandardHierarchy) {
  const std::string mp = t.base() + "/cgroup/cpu,memory";
  test::FixtureTree::v1MemoryFiles(mp);
  test::FixtureTree::put(mp + "/yarn/memory.stat", "cache 0\n");
  t.mountinfo(
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "31 22 0:31 / /cgroup/cpu,memory rw,relatime shared:9 - cgroup cgroup rw,cpu,memory\n");
  t.setProcCgroups(2);
  t.module(true);
  RunResult r = run("status --json");
  EXPECT_EQ(r.exit, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["memory_hierarchy"], mp);
  EXPECT_EQ(j["cgroup_mode"], "v1");
  r = run("scope add " + mp + "/yarn");
  EXPECT_EQ(r.exit, 0) << r.out;
}

}  // namespace
}  // namespace rootcache

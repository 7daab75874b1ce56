// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include <filesystem>

#include "Fixture.h"
#include "rootcache/Commands.h"

namespace rootcache {
namespace {

// ---- decideStatus: the verdict and exit code over collected facts.

// A v2 node with the module loaded, enabled, global, healthy.
StatusFacts healthyFacts() {
  StatusFacts f;
  f.kernel = "6.1.0-test-amd64";
  f.mode = CgroupMode::kV2;
  f.hierarchy = MemoryHierarchy{CgroupMode::kV2, true, "/sys/fs/cgroup"};
  f.dyingMemcgs = std::uint64_t{2};
  f.loaded = true;
  ModuleState st;
  st.version = "0.1.0";
  st.enabled = true;
  st.hook = "filemap_add_folio";
  st.hookMechanism = HookMechanism::kFtrace;
  st.hookState = HookState::kOk;
  st.scope = std::vector<std::uint64_t>{};
  st.target = 0;
  st.stats = {{"redirected_bytes", 4096}, {"redirect_failed", 0}, {"probe_misses", 0}};
  f.module = st;
  f.targetPath = "/";
  f.bootFile = "/etc/rootcache/rootcache.conf";
  f.boot = BootState{"/etc/rootcache/rootcache.conf", true, true};
  return f;
}

ModuleState& moduleOf(StatusFacts& f) {
  return *f.module;
}

TEST(StatusDecision, HealthyGlobal) {
  StatusDecision d = decideStatus(healthyFacts());
  EXPECT_EQ(d.exit, Exit::kOk);
  EXPECT_TRUE(d.problems.empty());
  EXPECT_EQ(d.verdict, "ok: redirecting page cache of all cgroups to root");
  EXPECT_EQ(d.newProbeMisses, 0U);
  EXPECT_EQ(d.probeMissesSince, "the module was loaded");
  EXPECT_TRUE(d.note.empty());
}

TEST(StatusDecision, VerdictSaysScopeTargetAndDisabled) {
  StatusFacts f = healthyFacts();
  moduleOf(f).scope = std::vector<std::uint64_t>{7, 9};
  EXPECT_EQ(decideStatus(f).verdict, "ok: redirecting page cache of 2 scoped cgroup subtree(s) to root");
  moduleOf(f).target = 42;
  f.targetPath = "/pagecache.slice";
  EXPECT_EQ(decideStatus(f).verdict, "ok: redirecting page cache of 2 scoped cgroup subtree(s) to the target cgroup");
  moduleOf(f).scope = std::vector<std::uint64_t>{};
  EXPECT_EQ(decideStatus(f).verdict, "ok: redirecting page cache of all cgroups to the target cgroup");
  // A module without a scope file: global.
  moduleOf(f).scope.reset();
  moduleOf(f).target.reset();
  EXPECT_EQ(decideStatus(f).verdict, "ok: redirecting page cache of all cgroups to root");
  moduleOf(f).enabled = false;
  StatusDecision d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kOk);
  EXPECT_EQ(d.verdict, "ok: loaded, disabled (page cache is charged normally)");
}

// The worst problem decides the exit code: environment (3) over a failed
// check (1), whatever the order; the verdict's word follows it.
TEST(StatusDecision, EnvironmentOutranksCheckFailed) {
  StatusFacts f = healthyFacts();
  f.loaded = false;
  f.module = environmentError("module not loaded");
  f.boot = checkError("rootcache.conf line 1: what");
  StatusDecision d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kEnvironment);
  ASSERT_EQ(d.problems.size(), 2U);
  EXPECT_NE(d.problems[0].find("module not loaded; load it with: modprobe rootcache"), std::string::npos);
  EXPECT_EQ(d.problems[1].rfind("boot configuration: ", 0), 0U) << d.problems[1];
  EXPECT_EQ(d.verdict.rfind("error: module not loaded", 0), 0U) << d.verdict;

  f = healthyFacts();
  f.boot = checkError("rootcache.conf line 1: what");
  d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kCheckFailed);
  EXPECT_EQ(d.verdict.rfind("degraded: boot configuration: ", 0), 0U) << d.verdict;
}

TEST(StatusDecision, NoHierarchyIsAnEnvironmentError) {
  StatusFacts f = healthyFacts();
  f.hierarchy = environmentError("no memory controller");
  // A dying count without a hierarchy is not looked at.
  f.dyingMemcgs = checkError("not counted");
  StatusDecision d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kEnvironment);
  ASSERT_EQ(d.problems.size(), 1U);
  EXPECT_EQ(d.problems[0], "no memory controller");
}

TEST(StatusDecision, UncountedDyingMemcgsDegrade) {
  StatusFacts f = healthyFacts();
  f.dyingMemcgs = checkError("cannot read /proc/cgroups");
  StatusDecision d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kCheckFailed);
  ASSERT_EQ(d.problems.size(), 1U);
  EXPECT_EQ(d.problems[0], "cannot count dying memcgs: cannot read /proc/cgroups");
}

// A module that is loaded but cannot be read: the read error's own class.
TEST(StatusDecision, UnreadableModuleTakesItsErrorsExit) {
  StatusFacts f = healthyFacts();
  f.module = environmentError("cannot read /sys/kernel/rootcache/enabled");
  EXPECT_EQ(decideStatus(f).exit, Exit::kEnvironment);
  f.module = checkError("unexpected value 'x' in /sys/kernel/rootcache/enabled");
  StatusDecision d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kCheckFailed);
  EXPECT_EQ(d.verdict, "degraded: unexpected value 'x' in /sys/kernel/rootcache/enabled");
}

// A target ID that no live cgroup has was removed; without a hierarchy
// nothing can be said about it.
TEST(StatusDecision, RemovedTargetDegrades) {
  StatusFacts f = healthyFacts();
  moduleOf(f).target = 42;
  f.targetPath.reset();
  StatusDecision d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kCheckFailed);
  ASSERT_EQ(d.problems.size(), 1U);
  EXPECT_EQ(d.problems[0].rfind("target cgroup 42 was removed", 0), 0U) << d.problems[0];
  f.targetPath = "/pagecache.slice";
  EXPECT_EQ(decideStatus(f).exit, Exit::kOk);
  // Root (0) is never removed.
  moduleOf(f).target = 0;
  f.targetPath.reset();
  EXPECT_EQ(decideStatus(f).exit, Exit::kOk);
  f.hierarchy = environmentError("no memory controller");
  moduleOf(f).target = 42;
  d = decideStatus(f);
  ASSERT_EQ(d.problems.size(), 1U);
  EXPECT_EQ(d.problems[0], "no memory controller");
}

TEST(StatusDecision, HookStateAndRedirectFailed) {
  StatusFacts f = healthyFacts();
  moduleOf(f).hookState = HookState::kDisarmed;
  StatusDecision d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kCheckFailed);
  ASSERT_EQ(d.problems.size(), 1U);
  EXPECT_EQ(d.problems[0], explainHookState(HookState::kDisarmed));
  // redirect_failed alone degrades, with the count.
  f = healthyFacts();
  moduleOf(f).stats["redirect_failed"] = 3;
  d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kCheckFailed);
  ASSERT_EQ(d.problems.size(), 1U);
  EXPECT_EQ(d.problems[0].rfind("3 redirected folio(s) found charged to another cgroup", 0), 0U) << d.problems[0];
  // With hook_state "failed" it is one problem, not two; with "disarmed", two.
  moduleOf(f).hookState = HookState::kFailed;
  EXPECT_EQ(decideStatus(f).problems.size(), 1U);
  moduleOf(f).hookState = HookState::kDisarmed;
  EXPECT_EQ(decideStatus(f).problems.size(), 2U);
  // An older module (no hook_state) with redirect_failed: degraded too.
  moduleOf(f).hookState.reset();
  EXPECT_EQ(decideStatus(f).exit, Exit::kCheckFailed);
}

TEST(StatusDecision, ProbeMissesSinceTheLastStatus) {
  StatusFacts f = healthyFacts();
  moduleOf(f).stats["probe_misses"] = 5;
  // No status saw it before: judged since the load.
  StatusDecision d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kCheckFailed);
  EXPECT_EQ(d.newProbeMisses, 5U);
  EXPECT_EQ(d.probeMissesSince, "the module was loaded");
  ASSERT_EQ(d.problems.size(), 1U);
  EXPECT_EQ(d.problems[0].rfind("5 probe misses since the module was loaded", 0), 0U) << d.problems[0];
  // Seen before, no new one: healthy, with a note.
  f.lastProbeMisses = 5;
  d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kOk);
  EXPECT_EQ(d.newProbeMisses, 0U);
  EXPECT_EQ(d.probeMissesSince, "the last status");
  EXPECT_EQ(d.note, "5 probe misses in total, none since the last status");
  // Two new ones.
  f.lastProbeMisses = 3;
  d = decideStatus(f);
  EXPECT_EQ(d.newProbeMisses, 2U);
  EXPECT_EQ(d.exit, Exit::kCheckFailed);
  // The counter went back: reloaded, judged since the load.
  f.lastProbeMisses = 9;
  d = decideStatus(f);
  EXPECT_EQ(d.newProbeMisses, 5U);
  EXPECT_EQ(d.probeMissesSince, "the module was loaded");
  // None ever: no note.
  moduleOf(f).stats["probe_misses"] = 0;
  f.lastProbeMisses.reset();
  d = decideStatus(f);
  EXPECT_EQ(d.exit, Exit::kOk);
  EXPECT_TRUE(d.note.empty());
  // A module without the counter: nothing said.
  moduleOf(f).stats.erase("probe_misses");
  EXPECT_FALSE(decideStatus(f).newProbeMisses.has_value());
}

TEST(StatusDecision, ProbeMissAdviceFollowsTheMechanism) {
  StatusFacts f = healthyFacts();
  moduleOf(f).stats["probe_misses"] = 1;
  StatusDecision d = decideStatus(f);
  ASSERT_EQ(d.problems.size(), 1U);
  EXPECT_NE(d.problems[0].find("cannot miss"), std::string::npos) << d.problems[0];
  EXPECT_EQ(d.problems[0].find("maxactive=N"), std::string::npos) << d.problems[0];
  for (auto mech : {std::optional<HookMechanism>(HookMechanism::kKretprobe), std::optional<HookMechanism>()}) {
    moduleOf(f).hookMechanism = mech;
    d = decideStatus(f);
    ASSERT_EQ(d.problems.size(), 1U);
    EXPECT_NE(d.problems[0].find("modprobe rootcache maxactive=N"), std::string::npos) << d.problems[0];
  }
}

// renderStatus shows the decision as it is: verdict, exit, note, problems.
TEST(StatusRender, ShowsTheDecision) {
  StatusFacts f = healthyFacts();
  StatusDecision d;
  d.exit = Exit::kCheckFailed;
  d.problems = {"one", "two"};
  d.verdict = "degraded: one; two";
  d.note = "a note";
  d.newProbeMisses = 4;
  d.probeMissesSince = "the last status";
  Output o = renderStatus(f, d);
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_EQ(o.json["health"]["ok"], false);
  EXPECT_EQ(o.json["health"]["verdict"], "degraded: one; two");
  EXPECT_EQ(o.json["health"]["problems"], nlohmann::json({"one", "two"}));
  EXPECT_EQ(o.json["module"]["probe_misses_new"]["count"], 4);
  EXPECT_EQ(o.json["module"]["probe_misses_new"]["since"], "the last status");
  EXPECT_NE(o.text.find("health:         degraded: one; two\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("note:           a note\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("target:         root ("), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("next boot:      enabled (/etc/rootcache/rootcache.conf)\n"), std::string::npos) << o.text;
  // An unreadable boot configuration: JSON names the file, text says unknown.
  f.boot = checkError("bad line");
  o = renderStatus(f, d);
  EXPECT_EQ(o.json["boot"]["file"], "/etc/rootcache/rootcache.conf");
  EXPECT_TRUE(o.json["boot"]["enabled"].is_null());
  EXPECT_NE(o.text.find("next boot:      unknown (bad line)\n"), std::string::npos) << o.text;
}

// ---- runStatus on fixture trees.

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

// What the next boot does: rootcache.conf's enabled=, 1 when unset or the
// file is absent; a file rootcache-apply cannot read degrades the status.
TEST(Status, NextBoot) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.json["boot"]["exists"], false);
  EXPECT_EQ(o.json["boot"]["enabled"], true);
  const std::string conf = t.roots().etc + "/rootcache/rootcache.conf";
  test::FixtureTree::put(conf, "# comment\nenabled=0\n");
  o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["boot"]["enabled"], false);
  EXPECT_NE(o.text.find("next boot:      disabled (" + conf + ")"), std::string::npos) << o.text;
  test::FixtureTree::put(conf, "target=x\n");
  o = runStatus(t.roots());
  EXPECT_NE(o.text.find("next boot:      enabled (" + conf + ": no enabled=, default 1)"), std::string::npos) << o.text;
  test::FixtureTree::put(conf, "enabled=sometimes\n");
  o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_TRUE(o.json["boot"]["enabled"].is_null());
  EXPECT_NE(o.json["health"]["verdict"].get<std::string>().find("boot configuration"), std::string::npos);
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
  // And how to load it.
  EXPECT_NE(o.text.find("modprobe rootcache enabled=1"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("systemctl start rootcache"), std::string::npos) << o.text;
}

TEST(Status, ProbeMissesDegrade) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "5\n", {{"probe_misses", "3\n"}});
  test::FixtureTree::put(t.moduleDir() + "/hook_mechanism", "kretprobe\n");
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_EQ(o.json["health"]["ok"], false);
  EXPECT_NE(o.text.find("raise the maxactive module parameter"), std::string::npos) << o.text;
  EXPECT_EQ(o.json["module"]["scope"].size(), 1U);
}

// The insertion hook's mechanism decides what probe misses mean. With the
// kretprobe (and with an older module, which always uses it) maxactive is the
// remedy; the ftrace wrapper cannot miss, so raising maxactive is not advised,
// yet the misses of the other probes still degrade the verdict.
TEST(Status, ProbeMissesAdviceFollowsTheHookMechanism) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "", {{"probe_misses", "3\n"}});
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(o.json["health"]["ok"], false);
  std::string verdict = o.json["health"]["verdict"];
  EXPECT_NE(verdict.find("3 probe misses since the module was loaded"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("hook mechanism ftrace) cannot miss"), std::string::npos) << verdict;
  EXPECT_EQ(verdict.find("raise the maxactive"), std::string::npos) << verdict;
  EXPECT_EQ(verdict.find("maxactive=N"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("the counter restarts at 0 when the module is reloaded"), std::string::npos) << verdict;
  // An older module: the kretprobe, so maxactive is the advice.
  std::filesystem::remove(t.moduleDir() + "/hook_mechanism");
  test::FixtureTree::put(t.moduleDir() + "/stats/probe_misses", "4\n");
  o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  verdict = o.json["health"]["verdict"];
  EXPECT_NE(verdict.find("1 probe misses since the last status"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("modprobe rootcache maxactive=N"), std::string::npos) << verdict;
}

// Probe misses are judged since the last status: an old burst does not keep
// the node degraded, new misses do, and the message says how to reset.
TEST(Status, ProbeMissesSinceTheLastStatus) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "", {{"probe_misses", "3\n"}});
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_NE(o.text.find("3 probe misses since the module was loaded"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("the counter restarts at 0 when the module is reloaded"), std::string::npos) << o.text;
  o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["module"]["probe_misses_new"]["count"], 0);
  EXPECT_NE(o.text.find("3 probe misses in total, none since the last status"), std::string::npos) << o.text;
  test::FixtureTree::put(t.moduleDir() + "/stats/probe_misses", "5\n");
  o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_NE(o.text.find("2 probe misses since the last status"), std::string::npos) << o.text;
  // Reloaded: the counter went back; judged since the load.
  test::FixtureTree::put(t.moduleDir() + "/stats/probe_misses", "1\n");
  o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_NE(o.text.find("1 probe misses since the module was loaded"), std::string::npos) << o.text;
}

// An older module without a scope file: said in the text, null in JSON,
// healthy, global.
TEST(Status, ModuleWithoutScopeFile) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  std::filesystem::remove(t.moduleDir() + "/scope");
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  ASSERT_TRUE(o.json["module"].contains("scope"));
  EXPECT_TRUE(o.json["module"]["scope"].is_null());
  EXPECT_NE(o.text.find("scope:          unsupported by this module\n"), std::string::npos) << o.text;
  EXPECT_EQ(o.json["health"]["verdict"], "ok: redirecting page cache of all cgroups to root");
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

TEST(Status, HookStateOk) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["module"]["hook_state"], "ok");
  EXPECT_EQ(o.json["module"]["stats"]["redirect_failed"], 0);
  EXPECT_NE(o.text.find("hook state:     ok\n"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("redirect_failed:"), std::string::npos) << o.text;
}

TEST(Status, Metadata) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["module"]["metadata"], true);
  EXPECT_NE(o.text.find("metadata:       yes"), std::string::npos) << o.text;
  test::FixtureTree::put(t.moduleDir() + "/metadata", "0\n");
  o = runStatus(t.roots());
  EXPECT_EQ(o.json["module"]["metadata"], false);
  EXPECT_NE(o.text.find("metadata:       no\n"), std::string::npos) << o.text;
  // An older module without the file: not claimed either way.
  std::filesystem::remove(t.moduleDir() + "/metadata");
  o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(o.json["module"]["metadata"].is_null());
  EXPECT_EQ(o.text.find("metadata:"), std::string::npos) << o.text;
  // Garbage is named, not read as a value.
  test::FixtureTree::put(t.moduleDir() + "/metadata", "maybe\n");
  o = runStatus(t.roots());
  EXPECT_NE(o.exit, Exit::kOk);
  EXPECT_NE(o.text.find("metadata"), std::string::npos) << o.text;
}

// An older module has no hook_state: unknown, not a failure.
TEST(Status, HookStateMissingIsUnknown) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  std::filesystem::remove(t.moduleDir() + "/hook_state");
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_TRUE(o.json["module"]["hook_state"].is_null());
  EXPECT_NE(o.text.find("hook state:     unknown"), std::string::npos) << o.text;
}

TEST(Status, HookStateFailedIsUnhealthy) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(false, "", {{"redirect_failed", "8\n"}});
  test::FixtureTree::put(t.moduleDir() + "/hook_state", "failed\n");
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_EQ(o.json["health"]["ok"], false);
  EXPECT_EQ(o.json["module"]["hook_state"], "failed");
  // One reason, naming the cause and what happened.
  ASSERT_EQ(o.json["health"]["problems"].size(), 1U) << o.text;
  std::string why = o.json["health"]["problems"][0];
  EXPECT_NE(why.find("the kernel's charge path does not honour the hook; the module switched itself off"),
            std::string::npos)
      << why;
}

TEST(Status, HookStateDisarmedIsUnhealthy) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  test::FixtureTree::put(t.moduleDir() + "/hook_state", "disarmed\n");
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  const auto verdict = o.json["health"]["verdict"].get<std::string>();
  // Both causes: the ftrace wrapper is stopped by ftrace_enabled, not by kprobes' switch.
  EXPECT_NE(verdict.find("kprobes are disarmed (see /sys/kernel/debug/kprobes/enabled)"), std::string::npos) << o.text;
  EXPECT_NE(verdict.find("ftrace is off (sysctl kernel.ftrace_enabled)"), std::string::npos) << o.text;
}

// A partial hook: each missing part named with its cost; the node stays healthy.
TEST(Status, HookStatePartialNamesMissingParts) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  test::FixtureTree::put(t.moduleDir() + "/hook_state", "partial collapse_file __inode_attach_wb\n");
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["health"]["ok"], true) << o.text;
  EXPECT_EQ(o.json["module"]["hook_state"], "partial");
  ASSERT_EQ(o.json["module"]["hook_missing"].size(), 2U) << o.text;
  EXPECT_EQ(o.json["module"]["hook_missing"][0]["function"], "collapse_file");
  EXPECT_NE(o.text.find("hook state:     partial\nmissing:        collapse_file: huge-page collapses"),
            std::string::npos)
      << o.text;
  EXPECT_NE(o.text.find("missing:        __inode_attach_wb: inodes a job dirties"), std::string::npos) << o.text;
}

// hook_mechanism: shown as read, in JSON and text; it does not change health.
TEST(Status, HookMechanism) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["module"]["hook_mechanism"], "ftrace");
  EXPECT_NE(o.text.find("hook:           filemap_add_folio\nhook mechanism: ftrace\n"), std::string::npos) << o.text;
  test::FixtureTree::put(t.moduleDir() + "/hook_mechanism", "kretprobe\n");
  o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(o.json["module"]["hook_mechanism"], "kretprobe");
  EXPECT_NE(o.text.find("hook mechanism: kretprobe\n"), std::string::npos) << o.text;
}

// An older module has no hook_mechanism: unknown (JSON null), not a failure.
TEST(Status, HookMechanismMissingIsUnknown) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  std::filesystem::remove(t.moduleDir() + "/hook_mechanism");
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  ASSERT_TRUE(o.json["module"].contains("hook_mechanism"));
  EXPECT_TRUE(o.json["module"]["hook_mechanism"].is_null());
  EXPECT_NE(o.text.find("hook mechanism: unknown (module without hook_mechanism)\n"), std::string::npos) << o.text;
}

// An unknown word is named, not shown as a mechanism (as for hook_state).
TEST(Status, GarbageHookMechanism) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  test::FixtureTree::put(t.moduleDir() + "/hook_mechanism", "kprobe\n");
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_EQ(o.json["health"]["ok"], false);
  EXPECT_NE(o.text.find("unexpected value 'kprobe' in"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("hook_mechanism"), std::string::npos) << o.text;
  EXPECT_EQ(o.text.find("hook mechanism:"), std::string::npos) << o.text;
}

TEST(Status, RedirectFailedIsUnhealthy) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true, "", {{"redirect_failed", "2\n"}});
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_EQ(o.json["module"]["stats"]["redirect_failed"], 2);
  EXPECT_NE(o.json["health"]["verdict"].get<std::string>().find("redirect_failed"), std::string::npos) << o.text;
}

TEST(Status, GarbageHookState) {
  test::FixtureTree t;
  t.cgroupV2();
  t.module(true);
  test::FixtureTree::put(t.moduleDir() + "/hook_state", "maybe\n");
  Output o = runStatus(t.roots());
  EXPECT_EQ(o.exit, Exit::kCheckFailed);
  EXPECT_NE(o.text.find("hook_state"), std::string::npos) << o.text;
}

}  // namespace
}  // namespace rootcache

// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "Fixture.h"
#include "rootcache/Commands.h"

namespace rootcache {
namespace {

TEST(Enable, Toggles) {
  test::FixtureTree t;
  t.module(false);
  Output o = runEnable(t.roots(), {true, false});
  EXPECT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "1\n");
  EXPECT_EQ(o.json["enabled"], true);
  o = runEnable(t.roots(), {false, false});
  EXPECT_EQ(o.exit, Exit::kOk);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "0\n");
}

TEST(Enable, PersistWritesAndRemoves) {
  test::FixtureTree t;
  t.module(false);
  Output o = runEnable(t.roots(), {true, true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  std::string conf = test::FixtureTree::get(t.roots().etc + "/modprobe.d/rootcachectl.conf");
  EXPECT_NE(conf.find("options rootcache enabled=1"), std::string::npos);
  std::string load = test::FixtureTree::get(t.roots().etc + "/modules-load.d/rootcachectl.conf");
  EXPECT_NE(load.find("\nrootcache\n"), std::string::npos);
  EXPECT_EQ(o.json["persist"]["files"].size(), 2U);

  o = runEnable(t.roots(), {false, true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_FALSE(exists(t.roots().etc + "/modprobe.d/rootcachectl.conf"));
  EXPECT_FALSE(exists(t.roots().etc + "/modules-load.d/rootcachectl.conf"));
  // Idempotent.
  o = runEnable(t.roots(), {false, true});
  EXPECT_EQ(o.exit, Exit::kOk);
}

// An admin's file, and the package's conffile at the same name, are never
// changed or removed.
TEST(Enable, PersistLeavesTheAdminsFileAlone) {
  test::FixtureTree t;
  t.module(false);
  const std::string admin = t.roots().etc + "/modprobe.d/rootcache.conf";
  const std::string adminLoad = t.roots().etc + "/modules-load.d/rootcache.conf";
  test::FixtureTree::put(admin, "options rootcache maxactive=4096\n");
  test::FixtureTree::put(adminLoad, "rootcache\n");
  Output o = runEnable(t.roots(), {true, true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(admin), "options rootcache maxactive=4096\n");
  EXPECT_EQ(test::FixtureTree::get(adminLoad), "rootcache\n");
  std::string ours = test::FixtureTree::get(t.roots().etc + "/modprobe.d/rootcachectl.conf");
  EXPECT_EQ(ours.rfind(kPersistHeader, 0), 0U) << ours;
  EXPECT_NE(ours.find("\noptions rootcache enabled=1\n"), std::string::npos) << ours;
  // Enabling again rewrites the tool's own file.
  ASSERT_EQ(runEnable(t.roots(), {true, true}).exit, Exit::kOk);

  o = runEnable(t.roots(), {false, true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text;
  EXPECT_EQ(test::FixtureTree::get(admin), "options rootcache maxactive=4096\n");
  EXPECT_EQ(test::FixtureTree::get(adminLoad), "rootcache\n");
  EXPECT_FALSE(exists(t.roots().etc + "/modprobe.d/rootcachectl.conf"));
  EXPECT_NE(o.text.find(admin + " unchanged"), std::string::npos) << o.text;
}

// A file at the tool's name that the tool did not write: refused, unchanged.
TEST(Enable, PersistRefusesAFileItDidNotWrite) {
  test::FixtureTree t;
  t.module(false);
  const std::string conf = t.roots().etc + "/modprobe.d/rootcachectl.conf";
  test::FixtureTree::put(conf, "options rootcache maxactive=4096\n");
  Output o = runEnable(t.roots(), {true, true});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_NE(o.errors.find("did not write it"), std::string::npos) << o.errors;
  EXPECT_EQ(test::FixtureTree::get(conf), "options rootcache maxactive=4096\n");
  EXPECT_FALSE(exists(t.roots().etc + "/modules-load.d/rootcachectl.conf"));
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "0\n");
  o = runEnable(t.roots(), {false, true});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(test::FixtureTree::get(conf), "options rootcache maxactive=4096\n");
}

TEST(Enable, ModuleNotLoaded) {
  test::FixtureTree t;
  Output o = runEnable(t.roots(), {true, false});
  EXPECT_EQ(o.exit, Exit::kEnvironment);
  EXPECT_NE(o.errors.find("modprobe"), std::string::npos);
  // --persist still records the wish for the next boot.
  o = runEnable(t.roots(), {true, true});
  EXPECT_EQ(o.exit, Exit::kEnvironment);
  EXPECT_TRUE(exists(t.roots().etc + "/modprobe.d/rootcachectl.conf"));
  // Disabling an absent module is already done.
  o = runEnable(t.roots(), {false, false});
  EXPECT_EQ(o.exit, Exit::kOk);
}

TEST(Enable, WriteFailure) {
  test::FixtureTree t;
  t.module(false);
  std::filesystem::remove(t.moduleDir() + "/enabled");
  std::filesystem::create_directory(t.moduleDir() + "/enabled");  // EISDIR on write
  Output o = runEnable(t.roots(), {true, false});
  EXPECT_NE(o.exit, Exit::kOk);
  EXPECT_TRUE(o.json.contains("error"));
}

// Writing as an unprivileged user: EACCES on the control file is an
// environment problem (exit 3) with a message that says root is needed.
TEST(Enable, PermissionDeniedIsEnvironment) {
  test::FixtureTree t;
  t.module(false);
  std::filesystem::permissions(t.moduleDir() + "/enabled", std::filesystem::perms::owner_read |
                                                               std::filesystem::perms::group_read |
                                                               std::filesystem::perms::others_read);
  // The fixture must be reachable by the unprivileged child.
  std::filesystem::permissions(t.base(), std::filesystem::perms::all);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      ::_exit(100);
    }
    Output o = runEnable(t.roots(), {true, false});
    bool saysRoot = o.errors.find("root") != std::string::npos;
    ::_exit(o.exit == Exit::kEnvironment && saysRoot ? 0 : 1);
  }
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  if (WEXITSTATUS(st) == 100) {
    GTEST_SKIP() << "cannot drop privileges";
  }
  EXPECT_EQ(WEXITSTATUS(st), 0);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "0\n");
}

TEST(Enable, PersistTextFormats) {
  EXPECT_EQ(modprobeConfText(true).find("options rootcache enabled=1\n") != std::string::npos, true);
  EXPECT_NE(modulesLoadConfText().find("rootcache\n"), std::string::npos);
}

}  // namespace
}  // namespace rootcache

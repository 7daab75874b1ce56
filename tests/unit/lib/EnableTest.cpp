// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>

#include "FakeKernelFs.h"
#include "Fixture.h"
#include "rootcache/BootConf.h"
#include "rootcache/Commands.h"

namespace rootcache {
namespace {

// Runs check() in a child as the unprivileged user 65534 (nobody) and says
// whether it returned true; nullopt when privileges cannot be dropped here.
std::optional<bool> asNobody(const std::function<bool()>& check) {
  pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return false;
  }
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      ::_exit(100);
    }
    ::_exit(check() ? 0 : 1);
  }
  int st = 0;
  if (::waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
    ADD_FAILURE() << "the unprivileged child did not exit normally";
    return false;
  }
  if (WEXITSTATUS(st) == 100) {
    return std::nullopt;
  }
  return WEXITSTATUS(st) == 0;
}

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

// The package's rootcache.conf, as shipped: --persist edits enabled= in
// place and keeps every comment and the other keys.
constexpr std::string_view kPackagedConf =
    "# /etc/rootcache/rootcache.conf: read by rootcache-apply at boot.\n"
    "#\n"
    "# enabled=1  comment\n"
    "#target=pagecache.slice\n"
    "target = pagecache.slice   # the pool\n"
    "\n"
    "enabled=1\n";

TEST(Enable, PersistEditsTheBootConfigurationInPlace) {
  test::FixtureTree t;
  t.module(true);
  const std::string conf = t.roots().etc + "/rootcache/rootcache.conf";
  test::FixtureTree::put(conf, std::string(kPackagedConf));
  Output o = runEnable(t.roots(), {false, true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text << o.errors;
  std::string want(kPackagedConf);
  want.replace(want.rfind("enabled=1"), 9, "enabled=0");
  EXPECT_EQ(test::FixtureTree::get(conf), want);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "0\n");
  EXPECT_EQ(o.json["persist"]["file"], conf);
  EXPECT_EQ(o.json["persist"]["changed"], true);
  EXPECT_NE(o.text.find("wrote enabled=0 in " + conf), std::string::npos) << o.text;

  // Again: nothing to change, the file is not rewritten.
  o = runEnable(t.roots(), {false, true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text << o.errors;
  EXPECT_EQ(o.json["persist"]["changed"], false);
  EXPECT_EQ(test::FixtureTree::get(conf), want);

  o = runEnable(t.roots(), {true, true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text << o.errors;
  EXPECT_EQ(test::FixtureTree::get(conf), std::string(kPackagedConf));
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "1\n");
}

// No rootcache.conf (a node without the package): made, with its directory.
TEST(Enable, PersistCreatesTheBootConfiguration) {
  test::FixtureTree t;
  t.module(true);
  const std::string conf = t.roots().etc + "/rootcache/rootcache.conf";
  Output o = runEnable(t.roots(), {false, true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text << o.errors;
  auto enabled = bootEnabled(test::FixtureTree::get(conf));
  ASSERT_TRUE(enabled.ok());
  EXPECT_EQ(*enabled, std::optional<bool>(false));
}

// A file rootcache-apply could not read either: refused, nothing changed,
// the module's state included.
TEST(Enable, PersistRefusesAFileItCannotParse) {
  test::FixtureTree t;
  t.module(true);
  const std::string conf = t.roots().etc + "/rootcache/rootcache.conf";
  const std::string bad = "enabled=1\nthis is not a setting\n";
  test::FixtureTree::put(conf, bad);
  Output o = runEnable(t.roots(), {false, true});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_NE(o.errors.find("line 2"), std::string::npos) << o.errors;
  EXPECT_NE(o.errors.find("nothing changed"), std::string::npos) << o.errors;
  EXPECT_EQ(test::FixtureTree::get(conf), bad);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "1\n");
}

// A symlink is never followed: refused, the link and its target unchanged.
TEST(Enable, PersistRefusesASymlink) {
  test::FixtureTree t;
  t.module(true);
  const std::string real = t.base() + "/elsewhere.conf";
  const std::string conf = t.roots().etc + "/rootcache/rootcache.conf";
  test::FixtureTree::put(real, "enabled=1\n");
  std::filesystem::create_directories(t.roots().etc + "/rootcache");
  std::filesystem::create_symlink(real, conf);
  Output o = runEnable(t.roots(), {false, true});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_NE(o.errors.find("symbolic link"), std::string::npos) << o.errors;
  EXPECT_TRUE(std::filesystem::is_symlink(conf));
  EXPECT_EQ(test::FixtureTree::get(real), "enabled=1\n");
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "1\n");
}

// The files an older rootcachectl wrote (its header first) would load the
// module enabled before the scope: --persist removes them; an
// administrator's file of the same name stays.
TEST(Enable, PersistRemovesTheLegacyFiles) {
  test::FixtureTree t;
  t.module(false);
  const std::string legacy = t.roots().etc + "/modprobe.d/rootcachectl.conf";
  const std::string legacyLoad = t.roots().etc + "/modules-load.d/rootcachectl.conf";
  test::FixtureTree::put(legacy, std::string(kPersistHeader) + "\noptions rootcache enabled=1\n");
  test::FixtureTree::put(legacyLoad, "options rootcache maxactive=4096\n");
  Output o = runEnable(t.roots(), {true, true});
  ASSERT_EQ(o.exit, Exit::kOk) << o.text << o.errors;
  EXPECT_FALSE(exists(legacy));
  EXPECT_EQ(test::FixtureTree::get(legacyLoad), "options rootcache maxactive=4096\n");
  EXPECT_EQ(o.json["persist"]["removed"].size(), 1U);
  EXPECT_NE(o.text.find("removed " + legacy), std::string::npos) << o.text;
}

// The write succeeds but enabled does not read back the requested value
// (the module refused it silently, or another writer raced): a failure, in
// both directions, and --persist still recorded the wish.
TEST(Enable, FailsWhenTheSwitchDoesNotReadBack) {
  test::FixtureTree t;
  t.module(false);
  test::FakeKernelFs fs;
  fs.file(t.moduleDir() + "/enabled", {"0\n"});
  Output o = runEnable(t.roots(), {true, false});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_NE(o.text.find("did not change: enabled reads 0"), std::string::npos) << o.text;
  EXPECT_EQ(fs.writesTo(t.moduleDir() + "/enabled"), std::vector<std::string>{"1\n"});
  fs.file(t.moduleDir() + "/enabled", {"1\n"});
  o = runEnable(t.roots(), {false, true});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_NE(o.text.find("did not change: enabled reads 1"), std::string::npos) << o.text;
  EXPECT_EQ(*bootEnabled(test::FixtureTree::get(t.roots().etc + "/rootcache/rootcache.conf")),
            std::optional<bool>(false));
}

// The switch was written but cannot be read back: a failure naming the file,
// not a success.
TEST(Enable, ReadBackErrorFails) {
  test::FixtureTree t;
  t.module(false);
  test::FakeKernelFs fs;
  fs.fail(test::FakeKernelFs::Op::kRead, t.moduleDir() + "/enabled", EIO);
  Output o = runEnable(t.roots(), {true, false});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  EXPECT_EQ(fs.writesTo(t.moduleDir() + "/enabled"), std::vector<std::string>{"1\n"});
  EXPECT_EQ(o.text, "");
  EXPECT_NE(o.errors.find(t.moduleDir() + "/enabled"), std::string::npos) << o.errors;
  EXPECT_TRUE(o.json.contains("error"));
  EXPECT_EQ(o.json["errno"], EIO);
}

// --persist wrote the boot configuration but cannot read a legacy file:
// the exit says so, the report keeps what was written, and the module's
// switch is not touched.
TEST(Enable, PersistLegacyFileErrorFailsAfterTheWrite) {
  test::FixtureTree t;
  t.module(false);
  const std::string legacy = t.roots().etc + "/modprobe.d/rootcachectl.conf";
  test::FixtureTree::put(legacy, std::string(kPersistHeader) + "\noptions rootcache enabled=1\n");
  test::FakeKernelFs fs;
  fs.fail(test::FakeKernelFs::Op::kRead, legacy, EIO);
  Output o = runEnable(t.roots(), {true, true});
  EXPECT_EQ(o.exit, Exit::kCheckFailed) << o.text;
  const std::string conf = t.roots().etc + "/rootcache/rootcache.conf";
  EXPECT_NE(o.text.find("wrote enabled=1 in " + conf), std::string::npos) << o.text;
  EXPECT_EQ(o.json["persist"]["file"], conf);
  EXPECT_FALSE(o.json["persist"].contains("removed"));
  EXPECT_NE(o.json["error"].get<std::string>().find(legacy), std::string::npos) << o.json.dump();
  EXPECT_NE(o.errors.find("rootcachectl: "), std::string::npos) << o.errors;
  EXPECT_TRUE(exists(legacy));
  EXPECT_TRUE(fs.writesTo(t.moduleDir() + "/enabled").empty());
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "0\n");
}

// --persist as a user who cannot write /etc: exit 3, a message that says root
// is needed, and nothing changed (neither the file nor the module).
TEST(Enable, PersistWithoutRootChangesNothing) {
  test::FixtureTree t;
  t.module(false);
  std::filesystem::permissions(t.base(), std::filesystem::perms::all);
  auto refused = asNobody([&] {
    Output o = runEnable(t.roots(), {true, true});
    bool saysRoot = o.errors.find("rootcachectl: --persist needs root: cannot create") != std::string::npos;
    return o.exit == Exit::kEnvironment && saysRoot && o.text.empty();
  });
  if (!refused) {
    GTEST_SKIP() << "cannot drop privileges";
  }
  EXPECT_TRUE(*refused);
  EXPECT_FALSE(exists(t.roots().etc + "/rootcache"));
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "0\n");
}

TEST(Enable, ModuleNotLoaded) {
  test::FixtureTree t;
  Output o = runEnable(t.roots(), {true, false});
  EXPECT_EQ(o.exit, Exit::kEnvironment);
  EXPECT_NE(o.errors.find("modprobe"), std::string::npos);
  // --persist still records the wish for the next boot.
  o = runEnable(t.roots(), {true, true});
  EXPECT_EQ(o.exit, Exit::kEnvironment);
  EXPECT_TRUE(exists(t.roots().etc + "/rootcache/rootcache.conf"));
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
  auto refused = asNobody([&] {
    Output o = runEnable(t.roots(), {true, false});
    bool saysRoot = o.errors.find("root") != std::string::npos;
    return o.exit == Exit::kEnvironment && saysRoot;
  });
  if (!refused) {
    GTEST_SKIP() << "cannot drop privileges";
  }
  EXPECT_TRUE(*refused);
  EXPECT_EQ(test::FixtureTree::get(t.moduleDir() + "/enabled"), "0\n");
}

}  // namespace
}  // namespace rootcache

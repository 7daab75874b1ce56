// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "Fixture.h"
#include "rootcache/BootConf.h"

namespace rootcache {
namespace {

TEST(BootConf, ParsesWhatRootcacheApplyReads) {
  EXPECT_EQ(*bootEnabled(""), std::nullopt);
  EXPECT_EQ(*bootEnabled("# enabled=0\n\n"), std::nullopt);
  EXPECT_EQ(*bootEnabled("enabled=0\n"), std::optional<bool>(false));
  EXPECT_EQ(*bootEnabled("  enabled = off   # comment\n"), std::optional<bool>(false));
  EXPECT_EQ(*bootEnabled("enabled=yes"), std::optional<bool>(true));  // no final newline
  // The last line wins, as with rootcache-apply's tail -n 1.
  EXPECT_EQ(*bootEnabled("enabled=0\ntarget=x\nenabled=1\n"), std::optional<bool>(true));
  // An empty value sets nothing.
  EXPECT_EQ(*bootEnabled("enabled=0\nenabled=\n"), std::optional<bool>(false));
}

TEST(BootConf, RefusesWhatItCannotParse) {
  for (std::string_view bad : {"enabled 1\n", "=1\n", "enabled=1 extra\n", "1enabled=1\n", "[section]\n"}) {
    EXPECT_FALSE(bootEnabled(bad).ok()) << bad;
    EXPECT_FALSE(withBootEnabled(bad, true).ok()) << bad;
  }
  // A value rootcache-apply refuses (it exits 2 at boot).
  EXPECT_FALSE(bootEnabled("enabled=1\nenabled=maybe\n").ok());
  auto r = bootEnabled("# ok\nenabled=1\ngarbage here\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().exit, Exit::kCheckFailed);
}

TEST(BootConf, EditKeepsEverythingElse) {
  const std::string text =
      "# header\n"
      "  enabled = 1   # on at boot\n"
      "target=pagecache.slice\n"
      "\n"
      "scope_wait=30\n";
  auto edited = withBootEnabled(text, false);
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(*edited,
            "# header\n"
            "  enabled = 0   # on at boot\n"
            "target=pagecache.slice\n"
            "\n"
            "scope_wait=30\n");
  // Every enabled= line, so that no earlier or later one disagrees.
  EXPECT_EQ(*withBootEnabled("enabled=1\nenabled=yes\n", false), "enabled=0\nenabled=0\n");
  // An unreadable value is replaced.
  EXPECT_EQ(*withBootEnabled("enabled=maybe\n", true), "enabled=1\n");
  // None: appended, a missing final newline added first.
  EXPECT_EQ(*withBootEnabled("target=a", false), "target=a\nenabled=0\n");
  EXPECT_EQ(*withBootEnabled("", true), "enabled=1\n");
  // The result reads back as asked.
  EXPECT_EQ(*bootEnabled(*withBootEnabled(text, true)), std::optional<bool>(true));
}

TEST(BootConf, NewFileReadsBack) {
  EXPECT_EQ(*bootEnabled(newBootConf(false)), std::optional<bool>(false));
  EXPECT_EQ(*bootEnabled(newBootConf(true)), std::optional<bool>(true));
}

TEST(BootConf, ReadBootState) {
  test::FixtureTree t;
  auto st = readBootState(t.roots());
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->exists);
  test::FixtureTree::put(bootConfPath(t.roots()), "enabled=0\n");
  st = readBootState(t.roots());
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->exists);
  EXPECT_EQ(st->enabled, std::optional<bool>(false));
  test::FixtureTree::put(bootConfPath(t.roots()), "enabled=perhaps\n");
  EXPECT_FALSE(readBootState(t.roots()).ok());
}

TEST(BootConf, PersistReportsWhetherItChanged) {
  test::FixtureTree t;
  auto r = persistBootEnabled(t.roots(), true);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(*r);
  r = persistBootEnabled(t.roots(), true);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  // A directory in its place is refused.
  std::filesystem::remove(bootConfPath(t.roots()));
  std::filesystem::create_directory(bootConfPath(t.roots()));
  EXPECT_FALSE(persistBootEnabled(t.roots(), true).ok());
}

}  // namespace
}  // namespace rootcache

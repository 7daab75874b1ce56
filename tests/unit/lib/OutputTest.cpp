// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "rootcache/Commands.h"

namespace rootcache {
namespace {

TEST(EscapeName, ControlCharacters) {
  EXPECT_EQ(escapeName("/yarn/c1"), "/yarn/c1");
  EXPECT_EQ(escapeName("/a b"), "/a b");
  EXPECT_EQ(escapeName("/a\nb"), "/a\\nb");
  EXPECT_EQ(escapeName("/a\tb\rc"), "/a\\tb\\rc");
  EXPECT_EQ(escapeName("/a\\nb"), "/a\\\\nb");  // a backslash is not an escape
  EXPECT_EQ(escapeName(std::string("/a\x1b[31m\x7f", 8)), "/a\\x1b[31m\\x7f");
  EXPECT_EQ(escapeName(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(escapeName("/caf\xc3\xa9"), "/caf\xc3\xa9");  // UTF-8 is left alone
}

TEST(ErrorOutput, OneLineOnStderr) {
  Output o = errorOutput(usageError("no such cgroup: /a\nb"));
  EXPECT_EQ(o.text, "");
  EXPECT_EQ(o.errors, "rootcachectl: no such cgroup: /a\\nb\n");
  EXPECT_EQ(o.json["error"], "no such cgroup: /a\nb");
  EXPECT_EQ(o.exit, Exit::kUsage);
}

}  // namespace
}  // namespace rootcache

// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "FakeKernelFs.h"
#include "Fixture.h"
#include "rootcache/Fs.h"

namespace rootcache {
namespace {

TEST(JoinPath, OneSlash) {
  EXPECT_EQ(joinPath("/sys/", "/kernel/rootcache"), "/sys/kernel/rootcache");
  EXPECT_EQ(joinPath("/sys", "kernel"), "/sys/kernel");
  EXPECT_EQ(joinPath("/", "proc"), "/proc");
  EXPECT_EQ(joinPath("/a", ""), "/a");
}

TEST(ParseU64, AcceptsKernelDecimals) {
  EXPECT_EQ(parseU64("0\n"), 0U);
  EXPECT_EQ(parseU64("18446744073709551615\n"), UINT64_MAX);
  EXPECT_EQ(parseU64("  42 "), 42U);
}

TEST(ParseU64, RejectsGarbage) {
  for (const char* bad : {"", "\n", "-1", "+1", "1x", "x1", "18446744073709551616", "1 2", "0x10", "max"}) {
    EXPECT_FALSE(parseU64(bad).has_value()) << bad;
  }
}

TEST(ParseI64, Signed) {
  EXPECT_EQ(parseI64("-5\n"), -5);
  EXPECT_FALSE(parseI64("--5").has_value());
}

TEST(ParseBool01, OnlyZeroAndOne) {
  EXPECT_EQ(parseBool01("1\n"), true);
  EXPECT_EQ(parseBool01("0"), false);
  EXPECT_FALSE(parseBool01("Y").has_value());
  EXPECT_FALSE(parseBool01("2").has_value());
  EXPECT_FALSE(parseBool01("").has_value());
}

TEST(ParseKeyValues, MemoryStat) {
  auto kv = parseKeyValues("anon 10\nfile 20\nbogus\nbad x\nfile 30\n\ntrailing 5");
  EXPECT_EQ(kv.size(), 3U);
  EXPECT_EQ(kv["anon"], 10U);
  EXPECT_EQ(kv["file"], 30U);
  EXPECT_EQ(kv["trailing"], 5U);
  EXPECT_EQ(kv.count("bad"), 0U);
}

TEST(ParseIdList, Lines) {
  auto ids = parseIdList("12\n345\n");
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, (std::vector<std::uint64_t>{12, 345}));
  EXPECT_TRUE(parseIdList("")->empty());
  EXPECT_FALSE(parseIdList("12\nabc\n").has_value());
  EXPECT_FALSE(parseIdList("0\n").has_value());
}

TEST(ParseProcCgroups, Memory) {
  auto e = parseProcCgroups("#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t5\t42\t1\ncpu 0 1\n");
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].subsys, "memory");
  EXPECT_EQ(e[0].hierarchy, 5U);
  EXPECT_EQ(e[0].numCgroups, 42U);
  EXPECT_TRUE(e[0].enabled);
}

TEST(SplitWords, Whitespace) {
  EXPECT_EQ(splitWords("  a b\tc\n"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(splitWords("\n").empty());
}

TEST(Files, ReadWriteAtomic) {
  test::FixtureTree t;
  std::string p = t.base() + "/x";
  EXPECT_FALSE(readFile(p).ok());
  EXPECT_EQ(readFile(p).error().errnum, ENOENT);
  ASSERT_TRUE(writeFileAtomic(p, "hello\n").ok());
  EXPECT_EQ(*readFile(p), "hello\n");
  ASSERT_TRUE(writeFile(p, "bye").ok());
  EXPECT_EQ(test::FixtureTree::get(p), "bye");
  EXPECT_FALSE(writeFile(t.base() + "/missing/x", "1").ok());
  EXPECT_FALSE(writeFileAtomic(t.base() + "/missing/x", "1").ok());
}

TEST(Files, ListDirsRecursive) {
  test::FixtureTree t;
  std::filesystem::create_directories(t.base() + "/w/a/b");
  std::filesystem::create_directories(t.base() + "/w/c");
  test::FixtureTree::put(t.base() + "/w/file", "x");
  auto dirs = listDirsRecursive(t.base() + "/w");
  ASSERT_TRUE(dirs.ok());
  EXPECT_EQ(*dirs, (std::vector<std::string>{"a", "a/b", "c"}));
  EXPECT_FALSE(listDirsRecursive(t.base() + "/nope").ok());
}

TEST(ParseMountinfo, Fields) {
  // proc(5)'s example, a hybrid node's cgroups, a bad line.
  auto m = parseMountinfo(
      "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
      "30 24 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup "
      "rw,memory\n"
      "31 24 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct\n"
      "25 24 0:22 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw,nsdelegate\n"
      "garbage\n");
  ASSERT_EQ(m.size(), 4U);
  EXPECT_EQ(m[0].root, "/mnt1");
  EXPECT_EQ(m[0].mountPoint, "/mnt2");
  EXPECT_EQ(m[0].fsType, "ext3");
  EXPECT_EQ(m[0].superOptions, (std::vector<std::string>{"rw", "errors=continue"}));
  EXPECT_EQ(m[1].mountPoint, "/sys/fs/cgroup/memory");
  EXPECT_EQ(m[1].superOptions, (std::vector<std::string>{"rw", "memory"}));
  EXPECT_EQ(m[2].superOptions, (std::vector<std::string>{"rw", "cpu", "cpuacct"}));
  EXPECT_EQ(m[3].fsType, "cgroup2");
}

TEST(ParseMountinfo, NoOptionalFields) {
  auto m = parseMountinfo("22 1 0:20 / /cg rw - cgroup2 none rw\n");
  ASSERT_EQ(m.size(), 1U);
  EXPECT_EQ(m[0].mountPoint, "/cg");
  // Too few fields after the separator.
  EXPECT_TRUE(parseMountinfo("22 1 0:20 / /cg rw - cgroup2 none\n").empty());
}

TEST(ParseMountinfo, Escapes) {
  auto m = parseMountinfo("40 24 0:30 / /cgroup/my\\040mem\\011x\\012y\\134z rw - cgroup cgroup rw,memory\n");
  ASSERT_EQ(m.size(), 1U);
  EXPECT_EQ(m[0].mountPoint, "/cgroup/my mem\tx\ny\\z");
  EXPECT_EQ(unescapeMountField("a\\040"), "a ");
  EXPECT_EQ(unescapeMountField("a\\04"), "a\\04");  // not a whole escape
  EXPECT_EQ(unescapeMountField("a\\9999"), "a\\9999");
}

TEST(Errors, PermissionIsEnvironment) {
  EXPECT_EQ(systemError(EACCES, "x").exit, Exit::kEnvironment);
  EXPECT_EQ(systemError(EPERM, "x").exit, Exit::kEnvironment);
  EXPECT_EQ(systemError(EIO, "x").exit, Exit::kCheckFailed);
  EXPECT_NE(systemError(EACCES, "open /x").describe().find("Permission denied"), std::string::npos);
}

// The seam: the free functions go through the KernelFs in use; a fake is
// in use while it lives, nested ones included.
TEST(KernelFsSeam, ScopedAndNested) {
  using Op = test::FakeKernelFs::Op;
  test::FixtureTree t;
  std::string f = t.base() + "/f";
  test::FixtureTree::put(f, "disk\n");
  EXPECT_EQ(&kernelFs(), &systemKernelFs());
  {
    test::FakeKernelFs outer;
    EXPECT_EQ(&kernelFs(), &outer);
    outer.file(f, {"one\n", "two\n"});
    EXPECT_EQ(*readFile(f), "one\n");
    {
      test::FakeKernelFs inner;
      inner.fail(Op::kRead, f, EAGAIN, 1);
      auto r = readFile(f);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().errnum, EAGAIN);
      EXPECT_EQ(*readFile(f), "disk\n");  // once only, then the disk
    }
    EXPECT_EQ(*readFile(f), "two\n");
    EXPECT_EQ(*readFile(f), "two\n");  // the last content stays
    EXPECT_TRUE(writeFile(f, "w").ok());
    EXPECT_EQ(outer.writesTo(f), std::vector<std::string>{"w"});
    outer.fail(Op::kMkdir, t.base() + "/d", ENOSPC);
    EXPECT_EQ(makeDir(t.base() + "/d").error().errnum, ENOSPC);
  }
  EXPECT_EQ(&kernelFs(), &systemKernelFs());
  EXPECT_EQ(test::FixtureTree::get(f), "disk\n");  // virtual writes stay virtual
  ASSERT_TRUE(makeDir(t.base() + "/d").ok());
  EXPECT_EQ(makeDir(t.base() + "/d").error().errnum, EEXIST);
  ASSERT_TRUE(removeDir(t.base() + "/d").ok());
  EXPECT_EQ(removeDir(t.base() + "/d").error().errnum, ENOENT);
  EXPECT_TRUE(filesystemType(t.base()).ok());
  EXPECT_EQ(filesystemType(t.base() + "/d").error().errnum, ENOENT);
}

}  // namespace
}  // namespace rootcache
